"""Every page renders in full, and the step page also as the htmx fragment (only #workspace)."""
from __future__ import annotations

S1 = "cross-account-auditors"


def test_home_lists_six_scenarios_with_progress(learner):
    from scenarios.registry import all_scenarios

    r = learner.client.get("/")
    html = r.content.decode()
    assert "Cross-account access for auditors" in html and "Role chaining in the release pipeline" in html
    # The six lessons plus SecureCart's use cases; the short versions ("variation") show inside their scenario's
    # card instead of as cards of their own.
    from scenarios.registry import listings
    cards = [listing for listing in listings() if listing.scenario is None or listing.scenario.kind != "variation"]
    assert html.count('class="scenario-item') == len(cards) >= 6
    # Lessons show as "coming" until their modules land in scenarios/library.
    assert html.count(">Coming<") == sum(1 for listing in listings() if listing.scenario is None)
    assert "0 of 6 steps" in html
    for account in learner.sandbox.accounts.all():
        assert account.account_id in html


def test_home_shows_progress_after_a_step(learner):
    learner.run(S1, "meet-the-auditor")
    assert "1 of 6 steps" in learner.client.get("/").content.decode()


def test_scenario_start_resumes_at_first_unfinished_step(learner):
    assert learner.client.get(f"/scenarios/{S1}/")["Location"].endswith("/meet-the-auditor/")
    learner.run(S1, "meet-the-auditor")
    assert learner.client.get(f"/scenarios/{S1}/")["Location"].endswith("/assume-audit-role/")


def test_step_page_full(learner):
    r = learner.client.get(f"/scenarios/{S1}/assume-audit-role/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "<html" in html and 'id="workspace"' in html
    assert "SecureCart-AuditRole" in html and "sts:ExternalId" in html  # the trust policy, read from the sandbox
    assert 'aria-current="true"' in html  # the lit hop in the diagram
    assert "Wrong external ID" in html and 'name="document"' in html


def test_step_page_htmx_fragment_is_only_the_workspace(learner):
    r = learner.client.get(f"/scenarios/{S1}/assume-audit-role/", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200
    assert "<html" not in html and "site-header" not in html
    assert html.lstrip().startswith('<div id="workspace"')


def test_run_without_htmx_redirects_to_the_result(learner):
    r = learner.run(S1, "meet-the-auditor")
    assert r.status_code == 302 and r["Location"].endswith("/meet-the-auditor/#result")


def test_run_with_htmx_returns_the_fragment_with_the_exchange(learner):
    r = learner.run(S1, "meet-the-auditor", htmx=True)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "GetCallerIdentity" in html
    assert "AWS4-HMAC-SHA256 Credential=" in html  # the SigV4 Authorization header as sent
    assert "user/securecart-auditor" in html  # the real answer


def test_sandbox_page(learner):
    html = learner.client.get("/sandbox/").content.decode()
    assert learner.sandbox.id in html and "Reset my sandbox" in html


def test_terminal_page_has_endpoint_keys_and_snippets(learner):
    html = learner.client.get("/sandbox/terminal/").content.decode()
    key = learner.sandbox.access_keys.get(account_name="auditor", user_name="securecart-auditor")
    assert "http://testserver/aws" in html
    assert key.access_key_id in html and key.secret_access_key in html
    assert "aws --endpoint-url http://testserver/aws sts assume-role" in html
    assert "import boto3" in html


def test_login_and_signup_pages_render_their_forms(db, client):
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    html = login.content.decode()
    assert 'name="username"' in html and 'name="password"' in html and "csrfmiddlewaretoken" in html
    signup = client.get("/accounts/signup/")
    assert signup.status_code == 200
    html = signup.content.decode()
    assert all(f'name="{field}"' in html for field in ("username", "password1", "password2", "csrfmiddlewaretoken"))
    # a bad submission is a 400 with the form's own error, not a crash
    refused = client.post("/accounts/signup/", {"username": "carol", "password1": "a", "password2": "b"})
    assert refused.status_code == 400 and "password fields didn" in refused.content.decode()
