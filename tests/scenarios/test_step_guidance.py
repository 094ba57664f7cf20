"""A run that does not do what the step says must tell the learner why, and re-running a step must work
(found in the learner QA sweep)."""
from __future__ import annotations


S1 = "cross-account-auditors"
S5 = "mfa-protected-access"


def test_calling_before_the_expiry_says_to_fast_forward_first(learner):
    learner.run(S1, "assume-audit-role")
    learner.run(S1, "session-expires")
    result = learner.last_result(S1, "session-expires")
    assert not result["succeeded"] and result["calls"][0]["ok"]        # still valid: S3 answers
    assert any("still valid" in note and "To expiry" in note for note in result["notes"])
    page = learner.client.get(learner.step_url(S1, "session-expires")).content.decode()
    assert "data-unexpected" in page and "The lesson expects <strong>ExpiredToken</strong> here" in page

    learner.sandbox.advance_clock(3601)
    learner.run(S1, "session-expires")
    result = learner.last_result(S1, "session-expires")
    assert result["succeeded"] and not result["notes"]
    assert "data-unexpected" not in learner.client.get(learner.step_url(S1, "session-expires")).content.decode()


def _codes(result):
    return [(c["operation"], (c["error"] or {}).get("code")) for c in result["calls"]]


def test_activation_can_be_run_again_and_the_same_code_what_if_still_shows_its_refusal(learner):
    learner.run(S5, "enrol-device")
    learner.run(S5, "activate-device")
    assert learner.last_result(S5, "activate-device")["succeeded"]

    # The what-if after activation: IAM would say EntityAlreadyExists; the lesson is about the two codes.
    learner.run(S5, "activate-device", "same-code")
    result = learner.last_result(S5, "activate-device")
    assert _codes(result) == [("DeactivateMFADevice", None), ("EnableMFADevice", "InvalidAuthenticationCode")]
    assert all(call["met_expectation"] for call in result["calls"])

    learner.run(S5, "activate-device")                 # inactive after the refusal: activates again
    assert learner.last_result(S5, "activate-device")["succeeded"]
    learner.run(S5, "activate-device")                 # active: deactivate, then activate again
    result = learner.last_result(S5, "activate-device")
    assert result["succeeded"], result
    assert [op for op, _ in _codes(result)] == ["DeactivateMFADevice", "EnableMFADevice", "ListMFADevices"]


def test_a_trust_policy_syntax_error_names_its_place_once(learner):
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow" "Action": "sts:AssumeRole"}\n  ]\n}'
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {"document": text},
                            HTTP_HX_REQUEST="true")
    error = r.content.decode().split('id="trust-error"', 1)[1].split("</div>", 1)[0]
    assert error.count("line 4, column") == 1
    assert "Where:" not in error          # the JSON root ("$") tells the learner nothing


def test_the_note_names_the_code_typed_not_a_code_the_phone_does_not_show(learner):
    learner.run(S5, "enrol-device")
    learner.run(S5, "activate-device")        # uses the phone's current code: the next sign-in takes the next one
    learner.run(S5, "get-session-token")
    result = learner.last_result(S5, "get-session-token")
    typed = result["calls"][0]["params"]["TokenCode"]
    assert any(f"Code typed: <code>{typed}</code>" in note for note in result["notes"])
    assert not any("phone shows" in note for note in result["notes"])
