"""CloudTrail in the web layer: events persisted per sandbox, the history page and its filters, the trace of
scenario 6's PutObject back to securecart-ci, the Defend exercise, detections, reset, and isolation."""
from __future__ import annotations

import json

from trail.models import DefendAttempt, TrailEvent

S6 = "role-chaining"


def _play_scenario_6(learner) -> None:
    for step in ("first-hop", "second-hop", "publish-release"):
        learner.run(S6, step)
        assert learner.last_result(S6, step)["succeeded"], step


def _final_put(learner) -> TrailEvent:
    return TrailEvent.objects.filter(sandbox=learner.sandbox, event_name="PutObject", error_code="").newest_first()[0]


def test_scenario_calls_are_persisted_per_sandbox_with_aws_fields(learner, other_learner):
    _play_scenario_6(learner)
    names = set(TrailEvent.objects.filter(sandbox=learner.sandbox).values_list("event_name", flat=True))
    assert {"AssumeRole", "GetCallerIdentity", "PutObject"} <= names
    assert not TrailEvent.objects.filter(sandbox=other_learner.sandbox).exists()
    put = _final_put(learner)
    assert put.category == "Data" and put.record["managementEvent"] is False
    assert put.record["requestParameters"]["bucketName"] == "securecart-product-images"
    assert put.record["requestParameters"]["key"] == "releases/2.4.0/manifest.json"
    denied = TrailEvent.objects.get(sandbox=learner.sandbox, event_name="PutObject", error_code="AccessDenied")
    assert "SecureCart-DeployPipeline" in denied.record["userIdentity"]["arn"]


def test_history_page_lists_newest_first_and_filters(learner):
    _play_scenario_6(learner)
    r = learner.client.get("/trail/")
    page = r.content.decode()
    assert r.status_code == 200 and "PutObject" in page and "AssumeRole" in page
    assert page.index("PutObject") < page.index("AssumeRole")   # the upload came last
    r = learner.client.get("/trail/", {"event_name": "AssumeRole"})
    rows = r.content.decode().count('data-event-name="AssumeRole"')
    assert rows == TrailEvent.objects.filter(sandbox=learner.sandbox, event_name="AssumeRole").count() >= 2
    assert 'data-event-name="PutObject"' not in r.content.decode()
    r = learner.client.get("/trail/", {"errors_only": "on"})
    assert 'data-event-name="PutObject"' in r.content.decode() and 'data-event-name="GetCallerIdentity"' not in \
        r.content.decode()
    # htmx polling gets only the events section
    r = learner.client.get("/trail/", {"event_name": "PutObject"}, HTTP_HX_REQUEST="true")
    assert r.content.decode().lstrip().startswith('<section id="events"')


def test_bad_filter_is_a_clear_400(learner):
    r = learner.client.get("/trail/", {"account_id": "12x"})
    assert r.status_code == 400 and "An account id is 12 digits." in r.content.decode()


def test_trace_of_the_final_put_object_leads_through_both_hops_to_securecart_ci(learner):
    _play_scenario_6(learner)
    put = _final_put(learner)
    r = learner.client.get(f"/trail/events/{put.event_id}/trace/")
    page = r.content.decode()
    assert r.status_code == 200
    assert "SecureCart-ReleaseManager/release-2-4-0" in page and "SecureCart-DeployPipeline/build-1842" in page
    assert "Origin: <strong>securecart-ci</strong>" in page
    assert page.count('class="trace-hop"') == 3   # the PutObject, hop 2's AssumeRole, hop 1's AssumeRole


def test_event_page_shows_the_record_with_sts_fields_marked(learner):
    _play_scenario_6(learner)
    event = TrailEvent.objects.filter(sandbox=learner.sandbox, event_name="AssumeRole").newest_first()[0]
    page = learner.client.get(f"/trail/events/{event.event_id}/").content.decode()
    assert '<mark class="sts-field">' in page and "sessionIssuer" in page


def test_someone_elses_event_is_not_found(learner, other_learner):
    _play_scenario_6(learner)
    put = _final_put(learner)
    assert other_learner.client.get(f"/trail/events/{put.event_id}/").status_code == 404
    assert other_learner.client.get(f"/trail/events/{put.event_id}/trace/").status_code == 404


def test_defend_exercise_checks_the_answer_against_the_events(learner):
    r = learner.client.get("/trail/defend/6/")
    assert "no event to ask about yet" in r.content.decode()
    _play_scenario_6(learner)
    r = learner.client.post("/trail/defend/6/", {"answer": "SecureCart-DeployPipeline"})
    assert 'id="verdict"' in r.content.decode() and "Not what the events say" in r.content.decode()
    r = learner.client.post("/trail/defend/6/", {"answer": " securecart-ci "})
    assert "Correct: the events bear it out." in r.content.decode()
    assert list(DefendAttempt.objects.filter(sandbox=learner.sandbox).values_list("correct", flat=True)) == [
        False, True]
    assert learner.client.post("/trail/defend/6/", {"answer": ""}).status_code == 400
    assert learner.client.get("/trail/defend/99/").status_code == 404


def test_defend_step_reads_the_events_with_lookup_events(learner):
    _play_scenario_6(learner)
    learner.run(S6, "defend")
    result = learner.last_result(S6, "defend")
    assert result["succeeded"]
    call = result["calls"][0]
    assert call["operation"] == "LookupEvents"
    events = call["response"]["Events"]
    assert events and all(e["EventName"] == "AssumeRole" for e in events)
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventSource"] == "sts.amazonaws.com"


def test_detections_find_a_changed_trust_policy(learner):
    from sandboxes.labclient import learner_client
    from sandboxes.services import key_for

    key = key_for(learner.sandbox, "production", "lab-admin")
    iam = learner_client("iam", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                 "Principal": {"Service": "ec2.amazonaws.com"}}]})
    iam.update_assume_role_policy(RoleName="SecureCart-DeployPipeline", PolicyDocument=trust)
    page = learner.client.get("/trail/findings/").content.decode()
    assert 'data-rule="trust-policy-changed"' in page and "SecureCart-DeployPipeline" in page


def test_reset_clears_the_sandbox_events(learner):
    _play_scenario_6(learner)
    assert TrailEvent.objects.filter(sandbox=learner.sandbox).exists()
    learner.client.post("/sandbox/reset/")
    assert not TrailEvent.objects.filter(sandbox=learner.sandbox).exists()


def test_portal_sign_in_is_recorded_and_a_sign_in_without_mfa_is_a_finding(learner):
    r = learner.client.post("/federation/idp/login/?next=portal", {"username": "bob", "password": "securecart",
                                                                    "next": "portal"})
    assert r.status_code == 302
    event = TrailEvent.objects.get(sandbox=learner.sandbox, event_name="ConsoleLogin")
    assert event.record["additionalEventData"]["MFAUsed"] == "No" and event.username == "bob"
    assert event.account_id == learner.sandbox.account_ids()["production"]
    page = learner.client.get("/trail/findings/").content.decode()
    assert 'data-rule="signin-without-mfa"' in page and "bob" in page


def test_a_sandbox_is_counted_for_trimming_on_its_first_write_then_every_hundred_events() -> None:
    from trail import store

    sandbox_id = "sb-trim-check"
    assert store.due_for_trim(sandbox_id, 1)            # first write in this process: count it
    assert not any(store.due_for_trim(sandbox_id, 1) for _ in range(store.TRIM_CHECK_EVERY - 1))
    assert store.due_for_trim(sandbox_id, 1)            # the hundredth event since: count again
    assert store.due_for_trim(sandbox_id, store.TRIM_CHECK_EVERY)   # a big batch is counted at once
