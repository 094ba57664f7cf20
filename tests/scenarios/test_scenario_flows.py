"""Scenarios 1 and 6 end to end through the views: every outcome comes from real calls through the gateway."""
from __future__ import annotations

from sandboxes import credentials

S1 = "cross-account-auditors"
S6 = "role-chaining"


def _call(result: dict, index: int = 0) -> dict:
    return result["calls"][index]


def test_scenario_1_assume_read_denied_write_expire_and_assume_again(learner):
    learner.run(S1, "assume-audit-role")
    result = learner.last_result(S1, "assume-audit-role")
    assume, whoami = result["calls"]
    assert assume["ok"] and assume["operation"] == "AssumeRole"
    assert assume["decision"]["allowed"] and assume["decision"]["deciding"][0]["sid"] == "TrustAuditorAccount"
    production = learner.sandbox.account_ids()["production"]
    assert whoami["response"]["Arn"] == (
        f"arn:aws:sts::{production}:assumed-role/SecureCart-AuditRole/q3-security-review")
    # The secret never reaches the stored result.
    creds = credentials.get(learner.sandbox.id, "audit-session")
    assert creds.secret_access_key not in str(result) and creds.session_token not in str(result)

    learner.run(S1, "read-security-logs")
    listed, read = learner.last_result(S1, "read-security-logs")["calls"]
    assert [o["Key"] for o in listed["response"]["Contents"]] == [
        "cloudtrail/2024/10/01/events.json", "guardduty/2024/10/findings-summary.txt"]
    assert "eventSource" in read["response"]["Body"]

    learner.run(S1, "write-denied")
    denied = _call(learner.last_result(S1, "write-denied"))
    assert denied["error"]["code"] == "AccessDenied"
    assert "s3:PutObject" in denied["error"]["message"] and not denied["decision"]["allowed"]

    # Before expiry the old session still works, so the expiry step is not done yet.
    learner.run(S1, "session-expires")
    assert _call(learner.last_result(S1, "session-expires"))["ok"]
    page = learner.client.get(learner.step_url(S1, "session-expires")).content.decode()
    assert "Expires in" in page and "To expiry" in page

    r = learner.client.post(learner.step_url(S1, "session-expires", "clock"), {"by": "expiry:audit-session"})
    assert r.status_code == 302
    learner.run(S1, "session-expires")
    expired = _call(learner.last_result(S1, "session-expires"))
    assert expired["error"]["code"] == "ExpiredToken"
    assert learner.sandbox.progress.get(scenario=S1, step="session-expires").completed_at is not None

    learner.run(S1, "session-expires", variant="assume-again")
    again = learner.last_result(S1, "session-expires")
    assert again["succeeded"] and _call(again)["operation"] == "AssumeRole"
    assert credentials.get(learner.sandbox.id, "audit-session").access_key_id != creds.access_key_id


def test_prove_expired_button_makes_a_call_that_fails_with_expired_token(learner):
    learner.run(S1, "assume-audit-role")
    learner.client.post(learner.step_url(S1, "assume-audit-role", "clock"), {"by": "expiry:audit-session"})
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "check/audit-session"), HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "ExpiredToken" in html and "The security token included in the request is expired" in html
    assert 'class="creds-card expired"' in html


def test_fast_forward_moves_the_sandbox_clock(learner):
    learner.run(S1, "assume-audit-role")
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "clock"), {"by": "15m"}, HTTP_HX_REQUEST="true")
    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds == 900
    assert "fast-forwarded 15 min" in r.content.decode()
    assert "45:0" in r.content.decode() or "44:5" in r.content.decode()  # the card counts from the new time


def test_what_ifs_show_aws_errors_and_why(learner):
    cases = {
        "wrong-external-id": ("AccessDenied", "is not authorized to perform: sts:AssumeRole"),
        "missing-external-id": ("AccessDenied", "is not authorized to perform: sts:AssumeRole"),
        "intern-without-permission": ("AccessDenied", "user/audit-intern is not authorized"),
        "suspended-contractor": ("AccessDenied", "user/audit-contractor is not authorized"),
        "duration-too-long": ("ValidationError",
                              "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
    }
    for variant, (code, message) in cases.items():
        learner.run(S1, "assume-audit-role", variant=variant)
        call = _call(learner.last_result(S1, "assume-audit-role"))
        assert call["error"]["code"] == code, variant
        assert message in call["error"]["message"], variant
    # The trace names the failing condition for the wrong external ID.
    learner.run(S1, "assume-audit-role", variant="wrong-external-id")
    html = learner.client.get(learner.step_url(S1, "assume-audit-role")).content.decode()
    assert "cond-fail" in html and "SecureCart-Audit-0000" in html


def test_what_if_explicit_deny_is_named_as_the_deciding_statement(learner):
    learner.run(S1, "assume-audit-role", variant="suspended-contractor")
    decision = _call(learner.last_result(S1, "assume-audit-role"))["decision"]
    assert decision["effect"] == "ExplicitDeny"
    assert [d["sid"] for d in decision["deciding"]] == ["SuspendedUntilRenewal"]


def test_step_needing_an_earlier_session_explains_which_step(learner):
    r = learner.run(S1, "read-security-logs", htmx=True)
    html = r.content.decode()
    assert r.status_code == 200 and "Assume the audit role across accounts" in html


def test_unknown_what_if_is_a_helpful_404(learner):
    r = learner.run(S1, "assume-audit-role", variant="no-such-thing")
    assert r.status_code == 404 and "no-such-thing" in r.content.decode()


def test_scenario_6_two_hops_each_with_own_credentials(learner):
    learner.run(S6, "first-hop")
    hop1 = learner.last_result(S6, "first-hop")["calls"]
    production = learner.sandbox.account_ids()["production"]
    assert hop1[1]["response"]["Arn"] == f"arn:aws:sts::{production}:assumed-role/SecureCart-DeployPipeline/build-1842"

    # Ten minutes pass between the hops: each session keeps its own expiry.
    learner.client.post(learner.step_url(S6, "first-hop", "clock"), {"by": "5m"})
    learner.client.post(learner.step_url(S6, "first-hop", "clock"), {"by": "5m"})
    learner.run(S6, "second-hop")
    hop2 = learner.last_result(S6, "second-hop")["calls"]
    assert hop2[0]["signer"].startswith("Role A session")
    assert hop2[1]["response"]["Arn"] == (
        f"arn:aws:sts::{production}:assumed-role/SecureCart-ReleaseManager/release-2-4-0")
    a = credentials.get(learner.sandbox.id, "pipeline-session")
    b = credentials.get(learner.sandbox.id, "release-session")
    assert a.access_key_id != b.access_key_id
    assert 600 <= (b.expires_at - a.expires_at).total_seconds() <= 610  # real seconds pass between the hops too

    page = learner.client.get(learner.step_url(S6, "second-hop")).content.decode()
    assert page.count("data-expires=") == 2  # two cards, two countdowns

    learner.run(S6, "second-hop", variant="chained-two-hours")
    error = _call(learner.last_result(S6, "second-hop"))["error"]
    # AWS's wording for role chaining (aws-sts-facts.md §2: GH aws/eks-anywhere#9485, prowler-cloud/prowler#7721).
    assert error == {"code": "ValidationError",
                     "message": "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                                "assumed by role chaining."}

    learner.run(S6, "publish-release")
    release_put, pipeline_put = learner.last_result(S6, "publish-release")["calls"]
    assert release_put["ok"] and pipeline_put["error"]["code"] == "AccessDenied"
