"""Scenario 4 (service roles for EC2) end to end through the views: IMDS calls, S3 with the instance credentials,
the service-principal trust, rotation with overlap, and detaching the profile — all real calls."""
from __future__ import annotations

import re

from sandboxes import credentials

S4 = "service-roles"


def test_scenario_4_end_to_end(learner):
    production = learner.sandbox.account_ids()["production"]
    assert learner.run(S4, "launch-instance").status_code == 302
    launched = learner.last_result(S4, "launch-instance")
    assert launched["succeeded"], launched
    assert launched["calls"][-1]["operation"] == "RunInstances"

    learner.run(S4, "instance-credentials")
    result = learner.last_result(S4, "instance-credentials")
    assert result["succeeded"], result
    statuses = [(c["operation"], c["exchanges"][0]["status"]) for c in result["calls"]]
    assert statuses[0] == ("IMDS GET /latest/meta-data/instance-id", 401)        # IMDSv1 refused
    assert statuses[1] == ("IMDS PUT /latest/api/token", 200)
    creds = credentials.get(learner.sandbox.id, "web-tier-instance")
    instance_id = creds.arn.rsplit("/", 1)[-1]
    assert instance_id.startswith("i-")
    assert result["calls"][-1]["response"]["Arn"] == (
        f"arn:aws:sts::{production}:assumed-role/SecureCart-WebTier-Role/{instance_id}")
    # Secrets never reach the stored result (masked in the IMDS body too).
    assert creds.secret_access_key not in str(result) and creds.session_token not in str(result)
    assert any("data-credential-timeline" in note for note in result["notes"])

    learner.run(S4, "read-product-images")
    image, invoice = learner.last_result(S4, "read-product-images")["calls"]
    assert image["ok"] and "espresso" not in image["response"]["Body"]
    assert invoice["error"]["code"] == "AccessDenied" and not invoice["decision"]["allowed"]

    learner.run(S4, "service-principal-only")
    refused = learner.last_result(S4, "service-principal-only")["calls"][0]
    assert refused["error"]["code"] == "AccessDenied" and refused["met_expectation"]

    learner.run(S4, "rotation")
    rotation = learner.last_result(S4, "rotation")
    assert rotation["succeeded"], rotation
    new_creds = credentials.get(learner.sandbox.id, "web-tier-instance")
    assert new_creds.access_key_id != creds.access_key_id
    previous_call, current_call = rotation["calls"][-2:]
    assert previous_call["ok"] and current_call["ok"]                              # both generations work
    timeline = rotation["notes"][-1]
    assert "data-generation='1' data-state='still-valid'" in timeline
    assert "data-generation='2' data-state='served'" in timeline

    learner.run(S4, "rotation", variant="seven-hours")
    far = learner.last_result(S4, "rotation")
    assert far["succeeded"], far
    assert far["calls"][-2]["error"]["code"] == "ExpiredToken"

    learner.run(S4, "detach-profile")
    detached = learner.last_result(S4, "detach-profile")
    assert detached["succeeded"], detached
    assert [c["exchanges"][0]["status"] for c in detached["calls"] if c["operation"].startswith("IMDS")] == [200, 404]

    page = learner.client.get(learner.step_url(S4, "detach-profile")).content.decode()
    assert "Credential generations of this instance" in page


def test_steps_that_need_the_instance_point_back_to_launch(learner):
    learner.run(S4, "instance-credentials")
    result = learner.last_result(S4, "instance-credentials")
    assert not result["succeeded"] and result["needs"]["url"].endswith("/launch-instance/")


def test_what_ifs_no_profile_and_ssrf(learner):
    learner.run(S4, "launch-instance", variant="no-profile")
    result = learner.last_result(S4, "launch-instance")
    assert result["succeeded"], result
    assert result["calls"][-1]["exchanges"][0]["status"] == 404
    learner.run(S4, "launch-instance")
    learner.run(S4, "instance-credentials", variant="ssrf")
    ssrf = learner.last_result(S4, "instance-credentials")
    assert ssrf["succeeded"] and [c["exchanges"][0]["status"] for c in ssrf["calls"]] == [401, 403]


def test_scenario_4_page_renders_full_and_fragment(learner):
    full = learner.client.get(learner.step_url(S4, "launch-instance"))
    assert full.status_code == 200 and b"<html" in full.content and b"Launch the instance" in full.content
    fragment = learner.run(S4, "launch-instance", htmx=True)
    assert fragment.status_code == 200 and b"<html" not in fragment.content and b"RunInstances" in fragment.content


def test_rotation_signs_and_shows_the_newest_generation_not_the_one_read_first(learner):
    # The step reads the first generation (stored_session), then keeps the new one IMDS serves; the run's record of
    # the sessions it read or kept (StepContext.known_sessions) must hand the later read and the card the new one:
    # the mistake is a stale entry, so the "now" call is signed with, and the card shows, the previous key.
    learner.run(S4, "launch-instance")
    learner.run(S4, "instance-credentials")
    before = credentials.get(learner.sandbox.id, "web-tier-instance").access_key_id
    workspace = learner.run(S4, "rotation", htmx=True).content.decode()
    after = credentials.get(learner.sandbox.id, "web-tier-instance").access_key_id
    assert after != before
    previous_call, current_call = learner.last_result(S4, "rotation")["calls"][-2:]
    assert f"Credential={before}/" in previous_call["exchanges"][0]["headers"]["Authorization"]
    assert f"Credential={after}/" in current_call["exchanges"][0]["headers"]["Authorization"]
    card = re.search(r'<article class="creds-card.*?</article>', workspace, re.S).group(0)
    assert f"<code>{after}</code>" in card and before not in card
