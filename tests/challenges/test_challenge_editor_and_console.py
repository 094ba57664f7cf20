"""The policy editor beside the console (the engine's parse errors with line and column, the text kept; Apply runs
the IAM command through the console path) and the console's smaller fixes of issue 29: usage errors say `aws:`,
`--output table` is shown unwrapped, an instance's metadata service is a console identity."""
from __future__ import annotations

import pytest

from challenges import kept
from challenges.forms import PolicyEditorForm
from challenges.models import ChallengeProgress

from tests.challenges.challengeplay import check, console_post, in_process_console
from tests.factories import new_learner

TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Trust",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::%s:root"},
      "Action": "sts:AssumeRole",
      "Condition": {
        "StringEquals": {"sts:ExternalId": "SecureCart-Audit-7F3K9Q"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"}
      }
    }
  ]
}"""


@pytest.fixture
def player(transactional_db, learner, monkeypatch):
    # the console's loopback server answers in another thread (console.endpoint): it must see this thread's rows
    in_process_console(monkeypatch)
    return learner


def apply(learner, document: str, *, target="trust", name="Challenge-AuditReview", policy_name="", htmx=True,
          slug="auditors-externalid-and-mfa", identity="key:production/lab-admin"):
    data = {"target": target, "name": name, "policy_name": policy_name, "document": document, "challenge": slug,
            "identity": identity}
    return learner.client.post("/challenges/console/editor/", data, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))


def test_the_editor_is_beside_the_console_and_starts_on_the_roles_current_trust_policy(player):
    auditor = player.sandbox.account_ids()["auditor"]
    html = player.client.get("/challenges/auditors-externalid-and-mfa/").content.decode()
    assert 'id="policy-editor"' in html and 'id="console"' in html
    assert 'src="/static/js/policy-editor.js"' in html and 'value="Challenge-AuditReview"' in html
    assert html.index('id="policy-editor"') < html.index('id="console"')
    editor = html.split("<textarea", 1)[1].split("</textarea>", 1)[0]
    assert f"arn:aws:iam::{auditor}:root" in editor and "ExternalId" not in editor
    apply(player, TRUST % auditor)   # the page shows the sandbox's document, the learner's edit included
    html = player.client.get("/challenges/auditors-externalid-and-mfa/").content.decode()
    assert "sts:ExternalId" in html.split("<textarea", 1)[1].split("</textarea>", 1)[0]


@pytest.mark.parametrize("mistake,where", [
    ('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow" "Action": "*"}\n  ]\n}', "line 4"),
    ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n    "Acton": "sts:AssumeRole",\n'
     '    "Principal": {"AWS": "*"}\n  }]\n}', "line 5"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", '
     '"Principal": {"AWS": "*"}, "Condition": {"StringEqual": {"a": "b"}}}]}', "line 1"),
])
def test_a_document_the_engine_refuses_comes_back_with_line_and_column_and_the_text_kept(player, mistake, where):
    r = apply(player, mistake)
    html = r.content.decode()
    assert r.status_code == 400 and r["HX-Retarget"] == "#policy-editor" and r["HX-Reswap"] == "outerHTML"
    assert f"{where}, column" in html and 'role="alert"' in html
    assert "data-error-line=" in html
    from django.utils.html import escape
    assert escape(mistake) in html                      # the learner's text, as typed, in the textarea
    assert kept.sessions(player.sandbox.id) == []       # nothing ran


def test_apply_runs_the_command_in_the_console_and_the_checker_accepts_it(player):
    production, auditor = (player.sandbox.account_ids()[a] for a in ("production", "auditor"))
    player.client.get("/challenges/auditors-externalid-and-mfa/")
    r = apply(player, TRUST % auditor)
    html = r.content.decode()
    assert r.status_code == 200 and "from the policy editor" in html and "exit code 0" in html
    assert "aws iam update-assume-role-policy --role-name Challenge-AuditReview --policy-document" in html
    assert check(player.client, player.sandbox, "auditors-externalid-and-mfa")["passed"]
    assert production not in html.split("<code>", 1)[0]


def test_apply_without_javascript_shows_the_challenge_page_with_the_result_or_the_error(player):
    auditor = player.sandbox.account_ids()["auditor"]
    player.client.get("/challenges/auditors-externalid-and-mfa/")
    r = apply(player, '{"Version": "2012-10-17", "Statement": [', htmx=False)
    assert r.status_code == 400 and b"Objective" in r.content and b"line 1, column" in r.content
    r = apply(player, TRUST % auditor, htmx=False, identity="")   # no picker sent: the challenge's start identity
    assert r.status_code == 200 and b"exit code 0" in r.content and b"Objective" in r.content


def test_the_editor_form_refuses_what_is_not_an_iam_name_and_needs_a_policy_name_for_inline_policies():
    form = PolicyEditorForm({"target": "role-policy", "name": "Challenge-X; rm -rf", "document": "{}"})
    assert not form.is_valid() and "name" in form.errors and "policy_name" in form.errors
    form = PolicyEditorForm({"target": "policy-version", "name": "Challenge-X", "document": "{}"})
    assert not form.is_valid() and "a managed policy's ARN" in form.errors["name"][0]
    form = PolicyEditorForm({"target": "trust", "name": "Challenge-X", "document": "x" * 10_241})
    assert not form.is_valid() and "document" in form.errors


def test_apply_quotes_the_document_so_it_is_one_argument(player):
    """A policy with a quote, spaces and `;` in a value stays one argument: the console splits with shlex, never a
    shell, and the editor builds the line with shlex.join."""
    form = PolicyEditorForm({"target": "user-policy", "name": "junior-dev", "policy_name": "Odd",
                             "document": '{"Version": "2012-10-17", "Statement": [{"Sid": "x", "Effect": "Allow", '
                                         '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/it\'s; a key"}]}'})
    assert form.is_valid(), form.errors
    import shlex

    argv = shlex.split(form.command())
    assert argv[:4] == ["aws", "iam", "put-user-policy", "--user-name"] and argv[-2] == "--policy-document"
    assert "it's; a key" in argv[-1]


def test_usage_errors_name_aws_not_the_childs_file(player):
    html = console_post(player.client, "aws sts assume-role --role-arn x", "key:production/lab-admin")
    assert "aws: error: the following arguments are required: --role-session-name" in html
    assert "cli_child" not in html


def test_table_output_is_shown_unwrapped_in_a_box_that_scrolls(player):
    html = console_post(player.client, "aws iam list-users --output table", "key:production/lab-admin")
    assert 'class="console-out console-table"' in html and 'tabindex="0"' in html
    json_html = console_post(player.client, "aws iam list-users", "key:production/lab-admin")
    assert "console-table" not in json_html


def test_an_instances_metadata_service_is_a_console_identity_the_passrole_route(player):
    slug = "passrole-runinstances"
    player.client.get(f"/challenges/{slug}/")
    console_post(player.client, "aws ec2 run-instances --image-id ami-12c6146b --instance-type t3.micro --count 1 "
                                "--iam-instance-profile Name=Challenge-InstanceAdmin", "key:production/build-agent", slug)
    page = player.client.get(f"/challenges/{slug}/").content.decode()
    import re

    instance = re.search(r'value="instance:(i-[0-9a-f]+)"', page).group(1)
    assert f"instance {instance} (Challenge-InstanceAdmin): its metadata service" in page
    html = console_post(player.client, "aws sts get-caller-identity --query Arn --output text",
                        f"instance:{instance}", slug)
    assert f"assumed-role/Challenge-InstanceAdmin/{instance}" in html
    assert check(player.client, player.sandbox, slug)["passed"]
    # an instance id no sandbox has, and another learner's real instance, are no identities of this one
    html = console_post(player.client, "aws sts get-caller-identity", "instance:i-0123456789abcdef0", slug)
    assert "choose whose credentials to use" in html
    bob = new_learner()
    bob.client.get(f"/challenges/{slug}/")
    console_post(bob.client, "aws ec2 run-instances --image-id ami-12c6146b --instance-type t3.micro --count 1 "
                             "--iam-instance-profile Name=Challenge-InstanceAdmin", "key:production/build-agent", slug)
    bobs = re.search(r'value="instance:(i-[0-9a-f]+)"', bob.client.get(f"/challenges/{slug}/").content.decode())
    html = console_post(player.client, "aws sts get-caller-identity", f"instance:{bobs.group(1)}", slug)
    assert "choose whose credentials to use" in html and "assumed-role/Challenge-InstanceAdmin" not in html


def test_hints_seen_are_kept_with_the_solve(player):
    slug = "auditors-externalid-and-mfa"
    player.client.get(f"/challenges/{slug}/")
    player.client.post(f"/challenges/{slug}/hint/")
    player.client.post(f"/challenges/{slug}/hint/")
    auditor = player.sandbox.account_ids()["auditor"]
    apply(player, TRUST % auditor)
    assert check(player.client, player.sandbox, slug)["passed"]
    progress = ChallengeProgress.objects.get(sandbox=player.sandbox, challenge=slug)
    assert (progress.hints_when_solved, progress.solution_seen_when_solved) == (2, False)
    row = player.client.get("/challenges/").content.decode().split(f'href="/challenges/{slug}/"', 1)[1]
    assert "2 hints" in row.split("</tr>", 1)[0]
    player.client.post(f"/challenges/{slug}/solution/")
    assert check(player.client, player.sandbox, slug)["passed"]
    progress.refresh_from_db()
    assert progress.hints_when_solved == 2   # the first solve is what counts


def test_the_sandbox_clock_is_on_challenge_pages(learner):
    learner.sandbox.advance_clock(15 * 60)
    html = learner.client.get("/challenges/revoke-leaked-sessions/").content.decode()
    assert "Sandbox clock:" in html and "data-sandbox-clock" in html and "fast-forwarded 15 min" in html
