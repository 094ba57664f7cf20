"""Bad input gets a clear answer and a 4xx, never a 500."""
from __future__ import annotations

from django.test import Client, override_settings

S1 = "cross-account-auditors"


def test_unknown_scenario_is_a_404_that_lists_what_exists(learner):
    r = learner.client.get("/scenarios/no-such-scenario/")
    html = r.content.decode()
    assert r.status_code == 404
    assert "no-such-scenario" in html and "/scenarios/cross-account-auditors/meet-the-auditor/" in html


def test_unknown_step_is_a_404_naming_the_step(learner):
    r = learner.client.get(f"/scenarios/{S1}/no-such-step/")
    assert r.status_code == 404 and "no-such-step" in r.content.decode()


def test_unknown_url_is_a_404_page(learner):
    r = learner.client.get("/definitely/not/here")
    assert r.status_code == 404 and "We could not find that page" in r.content.decode()


def test_oversized_form_is_a_400_not_a_500(learner):
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {"document": "x" * 200_000})
    assert r.status_code == 400


def test_oversized_policy_under_the_form_cap_gets_the_editor_message(learner):
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {"document": "{" * 20_000},
                            HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "the editor accepts up to" in r.content.decode()


def test_non_json_garbage_in_the_editor_is_explained(learner):
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {"document": "\x00\ufffd<xml/>"},
                            HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "MalformedPolicyDocument" in r.content.decode()


def test_bad_fast_forward_values_are_refused(learner):
    url = learner.step_url(S1, "assume-audit-role", "clock")
    assert learner.client.post(url, {"by": "-5m"}).status_code == 400
    assert learner.client.post(url, {"by": "expiry:never-issued"}).status_code == 404
    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds == 0


def test_bad_sandbox_clock_form_is_a_400_with_a_message(learner):
    r = learner.client.post("/sandbox/clock/", {"minutes": "soon"})
    assert r.status_code == 400 and "whole number of minutes" in r.content.decode()


def test_get_on_post_only_actions_is_405(learner):
    assert learner.client.get(learner.step_url(S1, "assume-audit-role", "run")).status_code == 405


def test_internal_api_refuses_calls_without_a_valid_token(db):
    client = Client()
    assert client.post("/internal/sandboxes/", "{}", content_type="application/json").status_code == 403
    r = client.post("/internal/sandboxes/", "{}", content_type="application/json", HTTP_X_LAB_TOKEN="forged")
    assert r.status_code == 403


def test_csrf_is_enforced_on_learner_actions(learner):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = learner.client.cookies
    assert strict.post(learner.step_url(S1, "meet-the-auditor", "run")).status_code == 403


@override_settings(DEBUG=False)
def test_server_error_page_is_friendly(db):
    from securecart.errors import server_error
    from django.test import RequestFactory

    r = server_error(RequestFactory().get("/"))
    assert r.status_code == 500 and "Your sandbox, your edits and your progress are saved" in r.content.decode()


import pytest  # noqa: E402


@pytest.mark.parametrize("variant", ["\x00", "wrong-external-id\x00", "\x01\x1f", "a b", "<script>", "../x",
                                     "x" * 65, "\u202e", "wrong external id"])
def test_a_run_with_a_variant_that_is_no_slug_is_a_400_that_says_so(learner, variant):
    # issue 23: variant=<NUL> answered 500 (a KeyError after an invalid form)
    r = learner.run(S1, "assume-audit-role", variant=variant)
    assert r.status_code == 400
    assert "“variant” must be one of this step" in r.content.decode()
    assert not learner.sandbox.progress.filter(scenario=S1, step="assume-audit-role").exists()


def test_a_run_with_an_unknown_slug_is_a_404_and_a_known_one_runs(learner):
    assert learner.run(S1, "assume-audit-role", variant="no-such-what-if").status_code == 404
    assert learner.run(S1, "assume-audit-role", variant="wrong-external-id", htmx=True).status_code == 200
