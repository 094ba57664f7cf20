"""The policy lab (/policy-lab/) on a learner's own SecureCart sandbox: the simulator with the engine's waterfall (a
trust policy evaluated, as the live AssumeRole), the policy-change check with its counterexample and the console
command that replays it, bad input answered on the page, and nothing of another learner's sandbox reachable."""
from __future__ import annotations

import json
import re

from sandboxes.world import AUDIT_EXTERNAL_ID

S1_ROLE = "SecureCart-AuditRole"


def post(learner, url: str, data: dict, htmx: bool = True):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return learner.client.post(url, data, **extra)


def test_the_page_renders_with_its_forms_and_links(learner) -> None:
    html = learner.client.get("/policy-lab/").content.decode()
    assert 'action="/policy-lab/simulate/"' in html and 'action="/policy-lab/check/"' in html
    assert "aws/aws-cli/issues/10314" in html
    assert "/policy-lab/" in learner.client.get("/sandbox/").content.decode()
    assert "/policy-lab/" in learner.client.get("/challenges/").content.decode()


def test_simulating_assume_role_shows_the_trust_policy_waterfall(learner) -> None:
    accounts = learner.sandbox.account_ids()
    intern = f"arn:aws:iam::{accounts['auditor']}:user/audit-intern"
    role = f"arn:aws:iam::{accounts['production']}:role/{S1_ROLE}"
    r = post(learner, "/policy-lab/simulate/", {"principal": intern, "actions": "sts:AssumeRole",
                                                 "resources": role, "context": ""})
    html = r.content.decode()
    assert r.status_code == 200, html
    decisions = re.findall(r'data-eval-decision="(\w+)"', html)
    assert decisions and decisions[0] in ("implicitDeny", "explicitDeny")
    assert 'data-layer="resource"' in html           # the trust policy is a layer of the waterfall
    # the trust policy asks for the external ID: the simulator says which key it lacked
    assert "data-missing-context" in html and "sts:ExternalId" in html


def test_the_external_id_changes_the_simulated_answer(learner) -> None:
    accounts = learner.sandbox.account_ids()
    auditor = f"arn:aws:iam::{accounts['auditor']}:user/securecart-auditor"
    role = f"arn:aws:iam::{accounts['production']}:role/{S1_ROLE}"
    without = post(learner, "/policy-lab/simulate/", {"principal": auditor, "actions": "sts:AssumeRole",
                                                       "resources": role, "context": ""}).content.decode()
    given = post(learner, "/policy-lab/simulate/", {
        "principal": auditor, "actions": "sts:AssumeRole", "resources": role,
        "context": f"sts:ExternalId = {AUDIT_EXTERNAL_ID}"}).content.decode()
    assert re.findall(r'data-eval-decision="(\w+)"', without) != ["allowed"]
    assert re.findall(r'data-eval-decision="(\w+)"', given) == ["allowed"]


def test_check_finds_the_dropped_mfa_condition_with_a_replayable_counterexample(learner) -> None:
    production = learner.sandbox.account_ids()["production"]
    user = f"arn:aws:iam::{production}:user/lab-admin"
    statement = {"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}
    existing = json.dumps({"Version": "2012-10-17", "Statement": [
        {**statement, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})
    new = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    role = f"arn:aws:iam::{production}:role/{S1_ROLE}"
    r = post(learner, "/policy-lab/check/", {"policy_type": "trust", "existing": existing, "new": new,
                                              "role": role})
    html = r.content.decode()
    assert r.status_code == 200, html
    assert 'data-check-result="FAIL"' in html and "data-counterexample" in html
    assert "aws:MultiFactorAuthPresent" in html and "absent from the request" in html
    command = re.search(r'name="command" value="([^"]+)"', html).group(1)
    assert command == f"aws sts assume-role --role-arn {role} --role-session-name counterexample"
    assert 'name="identity" value="key:production/lab-admin"' in html
    # the reverse change passes
    back = post(learner, "/policy-lab/check/", {"policy_type": "trust", "existing": new, "new": existing,
                                                 "role": role}).content.decode()
    assert 'data-check-result="PASS"' in back and "data-counterexample" not in back


def test_check_shows_access_analyzer_findings_on_the_new_policy(learner) -> None:
    identity = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObjects", "iam:PassRole"], "Resource": "*"}]})
    html = post(learner, "/policy-lab/check/", {"policy_type": "identity", "existing": identity,
                                                 "new": identity}).content.decode()
    assert "INVALID_ACTION" in html and "PASS_ROLE_WITH_STAR_IN_RESOURCE" in html


def test_bad_input_is_answered_on_the_page(learner) -> None:
    for data in ({"principal": "not-an-arn", "actions": "sts:AssumeRole"},
                 {"principal": "arn:aws:iam::123456789012:user/x", "actions": "s3:*"},
                 {"principal": "arn:aws:iam::123456789012:user/x", "actions": "\n".join(["s3:GetObject"] * 30)},
                 {"principal": "arn:aws:iam::123456789012:user/x", "actions": "s3:GetObject",
                  "resources": "\n".join(f"arn:aws:s3:::b/{i}" for i in range(6))},
                 {"principal": "arn:aws:iam::123456789012:user/x", "actions": "s3:GetObject",
                  "context": "no equals sign"}):
        r = post(learner, "/policy-lab/simulate/", data)
        assert r.status_code == 400 and "data-simulation-refused" in r.content.decode()
    r = post(learner, "/policy-lab/check/", {"policy_type": "trust", "existing": "{", "new": "{}"})
    assert r.status_code == 200 and "data-check-error" in r.content.decode()      # AWS's ValidationException, shown
    r = post(learner, "/policy-lab/check/", {"policy_type": "trust", "existing": "x" * 30_000, "new": "{}"})
    assert r.status_code == 400
    # without htmx: the whole page, with the answer in it
    page = post(learner, "/policy-lab/simulate/", {"principal": "nope", "actions": "sts:AssumeRole"}, htmx=False)
    assert page.status_code == 400 and "<h1>Policy lab</h1>" in page.content.decode()


def test_another_learners_principal_is_never_simulated(learner, other_learner) -> None:
    theirs = other_learner.sandbox.account_ids()["production"]
    r = post(learner, "/policy-lab/simulate/", {"principal": f"arn:aws:iam::{theirs}:user/lab-admin",
                                                 "actions": "s3:GetObject"})
    html = r.content.decode()
    assert "data-simulation-error" in html and "data-eval-decision" not in html
    mine = learner.sandbox.account_ids()["production"]
    role = f"arn:aws:iam::{theirs}:role/{S1_ROLE}"
    html = post(learner, "/policy-lab/simulate/", {"principal": f"arn:aws:iam::{mine}:user/lab-admin",
                                                    "actions": "sts:AssumeRole", "resources": role}).content.decode()
    assert re.findall(r'data-eval-decision="(\w+)"', html) == ["implicitDeny"]
    assert "not part of this learner" in html          # refused for the sandbox rule, its trust policy never read


# ---- the editors warn on save with Access Analyzer's findings ---------------------------------------------------------
S1 = "/scenarios/cross-account-auditors"


def test_the_trust_editor_warns_when_anyone_may_assume_the_role(learner) -> None:
    """The mistake: an edit that opens a role to the world is saved without a word. The editor saves it (IAM does)
    and says so, once (Access Analyzer's security warning, not the parser's warning again)."""
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}, indent=2)
    html = learner.client.post(f"{S1}/assume-audit-role/trust/", {"document": document},
                               HTTP_HX_REQUEST="true").content.decode()
    assert "data-editor-advice" in html
    assert html.count("Any principal may assume this role") == 1
    assert "unless a Condition narrows it" not in html          # the parser's warning says the same: not twice
    narrowed = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}}]}, indent=2)
    quiet = learner.client.post(f"{S1}/assume-audit-role/trust/", {"document": narrowed},
                                HTTP_HX_REQUEST="true").content.decode()
    assert "Any principal may assume this role" not in quiet


def test_the_console_warns_about_a_policy_a_command_saves() -> None:
    from challenges.console import policy_advice

    wide = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
    notes = policy_advice(["iam", "update-assume-role-policy", "--role-name", "r", "--policy-document", wide])
    assert any(note.startswith("Any principal may assume this role") for note in notes)
    passrole = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]})
    notes = policy_advice(["iam", "put-user-policy", "--user-name", "u", "--policy-name", "p",
                           "--policy-document", passrole])
    assert notes and notes[0].startswith("Pass role with star in resource")
    assert policy_advice(["iam", "put-user-policy", "--user-name", "u", "--policy-name", "p", "--policy-document",
                          json.dumps({"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})]) == []
