"""What a first-time learner tripped over (issue 15): explanations that contradict the result, expiry steps ticked
without any expiry, Markdown backticks, miscounted secrets and line numbers, wrong SAML diagnoses, "the lesson
expects" on pages without a lesson, and a step that only repeats ExpiredToken after the session it needs expired."""
from __future__ import annotations

import json
import re

from sandboxes import credentials

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
    learner.sandbox.advance_clock(3601)
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


# ------------------------------------------------------------------------------------------------- item 9
def test_the_http_panel_explains_x_amz_date_versus_the_sandbox_clock(learner):
    learner.run(S1, "assume-audit-role")
    learner.client.post(learner.step_url(S1, "assume-audit-role", "clock"), {"by": "15m"})
    page = learner.client.get(learner.step_url(S1, "assume-audit-role")).content.decode()
    assert "data-amz-date-note" in page and "sandbox clock is 15 min ahead" in page


# ------------------------------------------------------------------------------------------------- item 11
def test_terminal_page_lists_the_product_images_bucket_with_a_working_key(learner):
    from botocore.exceptions import ClientError  # noqa: F401  (a failure below must be an error, not a skip)

    from sandboxes.labclient import learner_client
    from sandboxes.models import AccessKey

    page = learner.client.get("/sandbox/terminal/").content.decode()
    admin = AccessKey.objects.get(sandbox=learner.sandbox, account_name="production", user_name="lab-admin")
    assert "s3 ls s3://securecart-product-images --recursive" in page and admin.access_key_id in page
    s3 = learner_client("s3", access_key_id=admin.access_key_id, secret_access_key=admin.secret_access_key)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="securecart-product-images")["Contents"]]
    assert "images/hero-banner.jpg" in keys


def test_use_cases_are_not_numbered_scenarios_and_say_what_they_add(learner):
    html = learner.client.get("/").content.decode()
    assert "scenario 7" not in html and "scenario 8" not in html and "scenario 9" not in html
    assert 'id="use-cases"' in html and "What this adds over scenario 5" in html
    # The short versions live inside their scenario's card, not as lessons of their own.
    s1_card = html[html.index("/scenarios/cross-account-auditors/overview/"):]
    s1_card = s1_card[:s1_card.index('class="scenario-item')]
    assert "/scenarios/use-case-auditors/overview/" in s1_card
    overview = learner.client.get("/scenarios/use-case-auditors/overview/").content.decode()
    assert "The short path through scenario 1" in overview and "/scenarios/cross-account-auditors/overview/" in overview


# ------------------------------------------------------------------------------------------------- item 12
def test_every_scenario_has_an_objective_prerequisites_time_level_and_rules(learner):
    from scenarios.framework import LEVELS
    from scenarios.registry import all_scenarios

    for scenario in all_scenarios().values():
        assert scenario.objective and scenario.prerequisites and scenario.minutes > 0, scenario.slug
        assert scenario.level in LEVELS and scenario.rules, scenario.slug
        assert all(rule.url.startswith("https://docs.aws.amazon.com/") for rule in scenario.rules), scenario.slug
        page = learner.client.get(f"/scenarios/{scenario.slug}/overview/").content.decode()
        assert "What you will be able to do" in page and "Before you start" in page
        assert f"about {scenario.minutes} min" in page and scenario.level in page


def test_overview_opens_the_scenario_from_the_home_page_and_recap_ends_it(learner):
    home = learner.client.get("/").content.decode()
    assert 'href="/scenarios/cross-account-auditors/overview/"' in home
    last = learner.client.get(learner.step_url(S1, "defend")).content.decode()  # the Defend step ends it
    assert 'href="/scenarios/cross-account-auditors/recap/"' in last
    first = learner.client.get(learner.step_url(S1, "meet-the-auditor")).content.decode()
    assert 'href="/scenarios/cross-account-auditors/overview/" rel="prev"' in first


def test_recap_shows_what_sts_did_the_rules_with_links_and_quiz_questions(learner):
    learner.run(S1, "meet-the-auditor")
    learner.run(S1, "assume-audit-role")
    learner.run(S1, "write-denied")
    page = learner.client.get("/scenarios/cross-account-auditors/recap/").content.decode()
    assert "What STS did at each step" in page and "3 of 6 steps done" in page
    assert "<code>AssumeRole</code>" in page and "<code>GetCallerIdentity</code>" in page
    assert "AccessDenied</span> (the refusal the lesson shows)" in page            # PutObject, refused as taught
    assert "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html" in page
    assert "/quiz/questions/xacct-" in page and "?topic=cross-account" in page
    assert "not done yet" in page                       # session-expires and read-security-logs were not run


def test_recap_lists_next_steps_registered_by_other_apps(learner):
    from scenarios import recap

    def challenges(scenario, sandbox):
        return [recap.NextStep(f"Challenge for {scenario.slug}", "/challenges/x/", kind="challenge")]

    recap.register_next_steps(challenges)
    try:
        page = learner.client.get("/scenarios/role-chaining/recap/").content.decode()
        assert "Challenge for role-chaining" in page and 'class="next-challenge"' in page
    finally:
        recap.unregister_next_steps(challenges)
