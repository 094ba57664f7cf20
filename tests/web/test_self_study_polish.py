"""What a first-time learner tripped over (issue 15): explanations that contradict the result, expiry steps ticked
without any expiry, Markdown backticks, miscounted secrets and line numbers, wrong SAML diagnoses, "the lesson
expects" on pages without a lesson, and a step that only repeats ExpiredToken after the session it needs expired."""
from __future__ import annotations

import json
import re

from sandboxes import credentials
from sandboxes import services as sandbox_services

S1 = "cross-account-auditors"
S2 = "identity-center"
S5 = "mfa-protected-access"


def _open_trust_without_condition(learner) -> None:
    accounts = learner.sandbox.account_ids()
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "TrustAuditorAccount", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{accounts['auditor']}:root"}, "Action": "sts:AssumeRole"}]}
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {"document": json.dumps(policy)})
    assert r.status_code == 302


# ------------------------------------------------------------------------------------------------- item 1
def test_what_if_explanation_follows_the_engine_after_the_condition_is_removed(learner):
    learner.run(S1, "assume-audit-role", "missing-external-id")
    usual = learner.last_result(S1, "assume-audit-role")
    assert usual["succeeded"] and "absent key is false" in usual["explanation"]

    _open_trust_without_condition(learner)
    learner.run(S1, "assume-audit-role", "missing-external-id")
    result = learner.last_result(S1, "assume-audit-role")
    assert result["calls"][0]["ok"]                       # no ExternalId, and AWS (the engine) allowed it
    assert "absent key is false" not in result["explanation"]
    assert "outcome is different" in result["explanation"] and "you edited the trust policy" in result["explanation"]
    assert "succeeded (200 OK)" in result["explanation"]
    page = learner.client.get(learner.step_url(S1, "assume-audit-role")).content.decode()
    assert "absent key is false" not in page and "data-different-outcome" in page


# ------------------------------------------------------------------------------------------------- item 2
def test_an_expiry_step_completes_only_after_an_expired_call_was_refused(learner):
    learner.run(S1, "assume-audit-role")
    learner.run(S1, "session-expires", "assume-again")        # succeeds, but nothing expired
    assert learner.sandbox.progress.get(scenario=S1, step="session-expires").completed_at is None
    learner.run(S1, "session-expires")                        # still valid: not the lesson yet
    assert learner.sandbox.progress.get(scenario=S1, step="session-expires").completed_at is None
    learner.client.post(learner.step_url(S1, "session-expires", "clock"), {"by": "expiry:audit-session"})
    learner.run(S1, "session-expires")
    assert learner.sandbox.progress.get(scenario=S1, step="session-expires").completed_at is not None


def test_identity_center_still_valid_credentials_do_not_complete_the_expiry_step(learner):
    for step in ("directory", "permission-set", "assign", "provision", "portal"):
        learner.run(S2, step)
        assert learner.last_result(S2, step)["succeeded"], step
    learner.run(S2, "session-ends")
    result = learner.last_result(S2, "session-ends")
    assert result["calls"][0]["ok"] and not result["succeeded"]
    assert learner.sandbox.progress.get(scenario=S2, step="session-ends").completed_at is None
    learner.run(S2, "session-ends", "assume-again")
    assert learner.sandbox.progress.get(scenario=S2, step="session-ends").completed_at is None
    sandbox_services.advance_clock(learner.sandbox, 3601)
    learner.run(S2, "session-ends")
    assert learner.sandbox.progress.get(scenario=S2, step="session-ends").completed_at is not None


# ------------------------------------------------------------------------------------------------- item 3
def test_why_box_shows_code_not_markdown_backticks(learner):
    learner.run(S1, "assume-audit-role")
    reason = learner.last_result(S1, "assume-audit-role")["calls"][0]["decision"]["reason"]
    assert "`" in reason                                   # the engine quotes names Markdown-style
    page = learner.client.get(learner.step_url(S1, "assume-audit-role")).content.decode()
    why = re.search(r'<p class="decision-reason">.*?</p>', page, re.S).group(0)
    assert "`" not in why and "<code>TrustAuditorAccount</code>" in why


# ------------------------------------------------------------------------------------------------- item 4
def test_masked_secrets_keep_their_true_length_in_the_http_panel(learner):
    learner.run(S1, "assume-audit-role")
    creds = credentials.get(learner.sandbox.id, "audit-session")
    body = learner.last_result(S1, "assume-audit-role")["calls"][0]["exchanges"][0]["response_body"]
    secret = re.search(r"<SecretAccessKey>([^<]*)</SecretAccessKey>", body).group(1)
    token = re.search(r"<SessionToken>([^<]*)</SessionToken>", body).group(1)
    assert secret == f"{creds.secret_access_key[:4]}…(40 characters, hidden)"
    assert token == f"{creds.session_token[:4]}…({len(creds.session_token)} characters, hidden)"
    assert creds.secret_access_key not in body and creds.session_token not in body


def test_full_evaluation_line_numbers_match_the_policy_panel(learner):
    learner.run(S1, "assume-audit-role")
    page = learner.client.get(learner.step_url(S1, "assume-audit-role")).content.decode()
    panel = re.search(r"<code>TrustAuditorAccount</code> \(lines (\d+)–(\d+)\)", page)
    trace = re.search(r"<strong>TrustAuditorAccount</strong> \(Allow, lines (\d+)–(\d+)\)", page)
    assert panel and trace
    assert panel.groups() == trace.groups() and panel.group(1) != panel.group(2)


# ------------------------------------------------------------------------------------------------- item 6
def test_saml_viewer_says_carol_has_no_role_not_an_account_mismatch(learner):
    learner.client.post("/federation/idp/login/", {"username": "carol", "password": "securecart", "next": "aws"})
    html = learner.client.get("/federation/inspect/saml/").content.decode()
    assert "Principal exists outside the account" not in html and "000000000000" not in html
    assert "the assertion names no role at all" in html
    assert "no Role attribute" in html


# ------------------------------------------------------------------------------------------------- item 7
def test_free_oidc_page_does_not_talk_about_a_lesson(learner):
    learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "feature-x"})
    html = learner.client.post("/federation/oidc/token/", {"action": "exchange", "issuer": "github"}).content.decode()
    assert "AccessDenied" in html
    assert "The lesson expects" not in html and "does not count yet" not in html


# ------------------------------------------------------------------------------------------------- item 8
def test_a_step_needing_a_live_session_points_back_once_it_expired(learner):
    learner.run(S1, "assume-audit-role")
    learner.client.post(learner.step_url(S1, "assume-audit-role", "clock"), {"by": "expiry:audit-session"})
    learner.run(S1, "read-security-logs")
    result = learner.last_result(S1, "read-security-logs")
    assert result["calls"] == [] and "expired" in result["needs"]["message"]
    assert result["needs"]["url"].endswith("/assume-audit-role/")
