"""The in-page AWS CLI console on a shared server (issue 22): what the parent refuses before any CLI runs, the whole
attack chain of the issue replayed through the console's form (each step refused, the secret key and database never
shown), the child held to its allow-list even when the parent's checks are bypassed, a learner reaching only their
own sandbox, and commands that run forever or print megabytes cut off. The allow-list's cases are in
test_console_allowlist.py, the bubblewrap sandbox's in test_console_jail.py, fair sharing in test_console_slots.py.

Every run here goes through the product's default: the bubblewrap sandbox (LAB_CONSOLE=bubblewrap)."""
from __future__ import annotations

import os
import re

import pytest
from django.conf import settings

from challenges import console
from gateway.client import admin_client
from sandboxes.models import AccessKey

pytestmark = pytest.mark.slow   # several seconds of processes starting and commands running

PARENT_REFUSED = [
    ("aws iam list-roles | grep Admin", "no shell here"),
    ("aws s3 ls > roles.txt", "no shell here"),
    ("aws sts get-caller-identity; cat /etc/passwd", "no shell here"),
    ("aws sts get-caller-identity && aws s3 ls", "no shell here"),
    ("aws sts get-caller-identity $(id)", "no shell here"),
    ("ls -la", "start the command with `aws`"),
    ("aws", "name a service"),
    ("aws iam list-roles --query 'Roles[", "could not be split into words"),
    ("", "type an AWS CLI command"),
    ("aws " + "x" * 9000, "longer than 8192 characters"),
]


@pytest.mark.parametrize("command,message", PARENT_REFUSED)
def test_what_needs_no_cli_is_refused_before_a_child_starts(command, message):
    with pytest.raises(console.Refused) as refused:
        console.parse(command)
    assert message in str(refused.value)


def run(learner, command: str, identity: str = "key:production/lab-admin", **fields) -> str:
    r = learner.client.post("/challenges/console/run/", {"command": command, "identity": identity, **fields},
                            HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    return r.content.decode()


def test_a_refusal_is_shown_and_nothing_runs(learner):
    html = run(learner, "aws s3 cp /etc/passwd s3://securecart-invoices/passwd")
    assert "Not run:" in html and "no local files" in html and "exit code" not in html


def test_the_console_shows_the_cli_output_with_query_and_output(learner):
    html = run(learner, "aws sts get-caller-identity --query Account --output text")
    assert learner.sandbox.account_ids()["production"] in html and "exit code 0" in html


def test_a_named_identity_is_looked_up_in_my_own_sandbox_only(learner, other_learner):
    html = run(learner, "aws sts get-caller-identity --query Arn --output text")
    assert f"arn:aws:iam::{learner.sandbox.account_ids()['production']}:user/lab-admin" in html
    assert other_learner.sandbox.account_ids()["production"] not in html


def test_another_sandboxs_keys_are_refused_by_the_gateway(learner, other_learner):
    bobs = AccessKey.objects.get(sandbox=other_learner.sandbox, account_name="production", user_name="lab-admin")
    html = run(learner, "aws s3 ls", "pasted", access_key_id=bobs.access_key_id,
               secret_access_key=bobs.secret_access_key)
    assert "belong to another sandbox" in html and "securecart-" not in html.split("console-err", 1)[-1][:40]
    html = run(learner, "aws sts get-caller-identity", "pasted", access_key_id=bobs.access_key_id,
               secret_access_key=bobs.secret_access_key)
    assert "InvalidClientTokenId" in html and "belong to another sandbox" in html
    assert other_learner.sandbox.account_ids()["production"] not in html


def test_a_session_kept_for_one_learner_is_not_offered_to_another(learner, other_learner):
    html = run(learner, "aws sts get-session-token")
    assert "Kept:" in html
    from challenges import kept

    name = kept.sessions(learner.sandbox.id)[0].name
    assert name not in run(other_learner, "aws sts get-caller-identity")
    refused = run(other_learner, "aws sts get-caller-identity", f"session:{name}")
    assert "choose whose credentials to use" in refused


def creds_of(learner) -> console.ConsoleCredentials:
    key = AccessKey.objects.get(sandbox=learner.sandbox, account_name="production", user_name="lab-admin")
    return console.ConsoleCredentials(key.access_key_id, key.secret_access_key)


def server_files() -> list[str]:
    """What the attack chain was after: the secret key, the database, the code tree (issue 22)."""
    return [str(settings.SECRET_KEY_PATH), str(settings.DATABASES["default"]["NAME"]), str(settings.BASE_DIR)]


def test_the_console_runs_in_the_bubblewrap_sandbox_by_default(learner):
    assert settings.LAB_CONSOLE == "bubblewrap"
    state = console.status()
    assert state.available, state.reason   # bwrap is installed and starts here (.ci/run installs it)
    html = run(learner, "aws sts get-caller-identity --debug")
    assert "/lab/site/awscli/" in html      # botocore loaded its models from the sandbox's own mount


def test_the_attack_chain_of_issue_22_is_refused_at_every_step(learner, monkeypatch):
    """Replayed through the form as an anonymous visitor would: each step refused, nothing of the server shown.
    (A dozen commands in a few seconds: more than the per-browser rate, which test_console_slots.py tests.)"""
    monkeypatch.setattr(console, "BROWSER_COMMANDS_PER_WINDOW", 100)
    secret, database, code = server_files()
    pages = [run(learner, "aws --debug sts get-caller-identity")]
    for command, message in [
        (f"aws s3api put-object --bucket securecart-product-images --key sk --bod {secret}", "spelled in full"),
        (f"aws s3api put-object --bucket securecart-product-images --key sk --body {secret}", "cannot upload"),
        (f"aws s3 cp --force {database} s3://securecart-product-images/db", "spelled in full"),
        (f"aws s3 cp --force-glacier-transfer {database} s3://securecart-product-images/db", "local path"),
        (f"aws s3api put-object --bucket securecart-product-images --key db --bo {database}", "spelled in full"),
        (f"aws s3 sync --force {code}/securecart s3://securecart-product-images/code", "spelled in full"),
        (f"aws s3 sync {code}/securecart s3://securecart-product-images/code", "local path"),
        (f"aws --endpoint=http://127.0.0.1:1 sts get-caller-identity", "spelled in full"),
        (f"aws sts get-caller-identity --no-sign", "spelled in full"),
        (f"aws iam create-policy --policy-name p --policy-document file://{secret}", "cannot read local files"),
    ]:
        html = run(learner, command)
        assert "Not run:" in html and message in html, (command, html[-800:])
        pages.append(html)
    listing = run(learner, "aws s3 ls s3://securecart-product-images --recursive")
    assert "exit code 0" in listing and " sk" not in listing and " db" not in listing
    pages.append(listing)
    for page in pages:
        shown = re.sub(r'<p class="console-echo">.*?</p>', "", page, flags=re.S)   # what the attacker typed
        assert settings.SECRET_KEY not in shown
        for path in (str(settings.BASE_DIR), str(settings.LAB_DATA_DIR)):
            assert path not in shown, shown[-600:]


def test_the_child_refuses_a_crafted_argv_that_bypasses_the_parents_checks(learner):
    """console.run takes argv as the parent split it; handed attack argv directly, the child's own allow-list
    refuses (and the sandbox has none of these files anyway: test_console_jail.py)."""
    secret, database, code = server_files()
    creds = creds_of(learner)
    for argv in (["s3api", "put-object", "--bucket", "b", "--key", "k", "--bod", secret],
                 ["s3", "cp", "--force", database, "s3://securecart-invoices/db"],
                 ["iam", "create-policy", "--policy-name", "p", "--policy-document", "file://" + secret],
                 ["--endpoint-url", "http://127.0.0.1:9", "sts", "get-caller-identity"],
                 ["sts", "get-caller-identity", "|", "cat", secret]):
        result = console.run(argv, creds, learner.sandbox.id)
        assert result.refused or result.exit_code not in (0, None), (argv, result)
        assert settings.SECRET_KEY not in result.stdout + result.stderr
    write = console.run(["s3", "cp", "s3://securecart-invoices/2024/10/INV-100231.pdf", "/tmp/lab-console-escape"],
                        creds, learner.sandbox.id)
    assert "local path" in write.refused and not os.path.exists("/tmp/lab-console-escape")


def test_requests_go_to_the_lab_only(learner):
    control = console.run(["s3api", "list-objects-v2", "--bucket", "_lab"], creds_of(learner), learner.sandbox.id)
    assert control.exit_code != 0 and "only makes AWS requests" in control.stderr


def test_a_command_that_runs_forever_is_stopped(learner):
    accounts = learner.sandbox.account_ids()
    instance = admin_client("ec2", accounts["production"]).run_instances(
        ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    result = console.run(["ec2", "wait", "instance-terminated", "--instance-ids", instance], creds_of(learner),
                         learner.sandbox.id, time_limit=3.0)
    assert result.timed_out and result.exit_code is None and 3.0 <= result.seconds < 8


def test_a_waiter_gets_the_shorter_limit_and_the_page_says_so(learner):
    assert console.time_limit_for(["ec2", "wait", "instance-running"]) == console.WAIT_TIME_LIMIT_SECONDS
    assert console.time_limit_for(["sts", "get-caller-identity"]) == console.TIME_LIMIT_SECONDS
    assert console.WAIT_TIME_LIMIT_SECONDS < console.TIME_LIMIT_SECONDS < 30   # well under any web timeout


def test_a_command_that_prints_megabytes_is_cut_off(learner):
    big = b"0123456789abcdef" * (3 * 1024 * 1024 // 16)  # 3 MB
    admin_client("s3", learner.sandbox.account_ids()["production"], sandbox_id=learner.sandbox.id).put_object(
        Bucket="securecart-invoices", Key="big.bin", Body=big)
    html = run(learner, "aws s3 cp s3://securecart-invoices/big.bin -")
    assert f"passed {console.OUTPUT_LIMIT_BYTES // 1024} KB and was cut off" in html
    assert len(html) < 2 * console.OUTPUT_LIMIT_BYTES


@pytest.mark.parametrize("path", ["/challenges/console/", "/challenges/auditors-externalid-and-mfa/"])
def test_pages_that_show_keys_are_never_stored_by_a_cache(learner, path):
    r = learner.client.get(path)
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]


def test_console_output_is_never_stored_by_a_cache(learner):
    r = learner.client.post("/challenges/console/run/", {"command": "aws sts get-session-token",
                                                         "identity": "key:production/lab-admin"},
                            HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "SecretAccessKey" in r.content.decode()
    assert "no-store" in r["Cache-Control"]


@pytest.mark.parametrize("query", [
    "{Credentials: {AccessKeyId: `1`, SecretAccessKey: `2`, SessionToken: `3`}}",
    "{Credentials: {AccessKeyId: 'AKIAZZZ', SecretAccessKey: 'a', SessionToken: 'b'}, AssumedRoleUser: `\"x\"`}",
    "{Credentials: {AccessKeyId: 'ASIAFORGED0000000000', SecretAccessKey: 'x', SessionToken: 'y'}, "
    "AssumedRoleUser: {Arn: 'arn:aws:sts::111111111111:assumed-role/Challenge-DataSupport/forged'}}",
])
def test_printed_credentials_are_kept_only_when_sts_issued_them(learner, query):
    """`--query` can print any JSON: a forged Credentials block is neither kept nor a 500 (issue 22's attacker
    walk forged a kept session and passed a challenge's check with it)."""
    from challenges import kept

    html = run(learner, f"aws sts get-caller-identity --query \"{query}\"")
    assert "exit code 0" in html and "Kept:" not in html
    assert kept.sessions(learner.sandbox.id) == []


def test_real_credentials_are_kept_with_the_engines_arn_and_expiry(learner):
    from challenges import kept

    html = run(learner, "aws sts get-session-token --query '{Credentials: Credentials}'")
    assert "Kept:" in html
    [session] = kept.sessions(learner.sandbox.id)
    assert session.arn.endswith(":user/lab-admin") and session.access_key_id.startswith("ASIA")


@pytest.mark.parametrize("command", ["aws sts get-caller-identity\nrm -rf /", "aws sts\x00 get-caller-identity",
                                     "aws\tsts get-caller-identity"])
def test_a_command_with_control_characters_is_refused_as_bad_input(learner, command):
    r = learner.client.post("/challenges/console/run/", {"command": command, "identity": "key:production/lab-admin"},
                            HTTP_HX_REQUEST="true")
    text = r.content.decode()
    assert r.status_code == 400 and ("one line of text" in text or "Null characters are not allowed" in text)


def test_make_run_serves_with_debug_off():
    import subprocess

    plan = subprocess.run(["make", "-n", "run"], cwd=settings.BASE_DIR, capture_output=True, text=True).stdout
    assert "DEBUG=False" in plan and "DEBUG=True" in subprocess.run(
        ["make", "-n", "dev"], cwd=settings.BASE_DIR, capture_output=True, text=True).stdout
