"""Scenario 5 (MFA for sensitive operations) end to end through the views, with real calls: enrolment with a real
QR code, activation, Bool vs BoolIfExists, GetSessionToken code checks, MFA age, expiry and re-authentication."""
from __future__ import annotations

import base64
import io
import re

import pytest

from sandboxes import credentials
from sandboxes.world import ACCOUNT_ALIASES

S5 = "mfa-protected-access"
INVALID_OTP = "MultiFactorAuthentication failed with invalid MFA one time pass code."


class PhoneClock:
    """Lets 30-second TOTP windows pass without sleeping (engine.mfa.clock is the phone's and STS's clock)."""

    def __init__(self) -> None:
        import time
        self.shift = 0.0
        self._real = time.time

    def __call__(self) -> float:
        return self._real() + self.shift

    def wait_for_next_code(self) -> None:
        self.shift += 30


@pytest.fixture
def phone(monkeypatch) -> PhoneClock:
    from engine import mfa
    clock = PhoneClock()
    monkeypatch.setattr(mfa, "clock", clock)
    return clock


def test_scenario_5_end_to_end(learner, phone):
    learner.run(S5, "enrol-device")
    enrol = learner.last_result(S5, "enrol-device")
    assert enrol["succeeded"], enrol
    note = enrol["notes"][-1]
    uri = re.search(r"data-otpauth-uri>([^<]+)<", note).group(1)
    # $AccountName is the account's alias when it has one (botocore iam model, VirtualMFADevice QRCodePNG)
    assert uri.startswith(f"otpauth://totp/securecart-oncall-phone@{ACCOUNT_ALIASES['production']}?secret=")
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", note).group(1))
    import zxingcpp
    from PIL import Image
    # QR codes only: with every format on, zxing-cpp now and then also reads a 1-D code out of the QR's modules
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in found] == [uri]
    assert "data-virtual-phone" in note

    learner.run(S5, "activate-device", variant="same-code")
    same = learner.last_result(S5, "activate-device")
    assert same["succeeded"] and same["calls"][0]["error"] == {
        "code": "InvalidAuthenticationCode", "message": "Authentication code for device is not valid."}
    learner.run(S5, "activate-device")
    activated = learner.last_result(S5, "activate-device")
    assert activated["succeeded"], activated
    assert activated["calls"][-1]["response"]["MFADevices"][0]["SerialNumber"].endswith(":mfa/securecart-oncall-phone")

    learner.run(S5, "long-term-keys-denied")
    denied = learner.last_result(S5, "long-term-keys-denied")["calls"][0]
    assert denied["error"]["code"] == "AccessDeniedException" and not denied["decision"]["allowed"]
    learner.run(S5, "long-term-keys-denied", variant="bool-if-exists")
    mistake = learner.last_result(S5, "long-term-keys-denied")["calls"][0]
    assert mistake["ok"] and mistake["decision"]["allowed"]                # the classic mistake, for real
    learner.run(S5, "long-term-keys-denied")                               # and the right policy is back
    assert learner.last_result(S5, "long-term-keys-denied")["calls"][0]["error"]["code"] == "AccessDeniedException"

    for variant in ("wrong-code", "stale-code"):
        learner.run(S5, "get-session-token", variant=variant)
        refused = learner.last_result(S5, "get-session-token")
        assert refused["succeeded"], refused
        assert refused["calls"][-1]["error"] == {"code": "AccessDenied", "message": INVALID_OTP}
    phone.wait_for_next_code()
    learner.run(S5, "get-session-token")
    got = learner.last_result(S5, "get-session-token")
    assert got["succeeded"], got
    learner.run(S5, "get-session-token", variant="replayed-code")
    replay = learner.last_result(S5, "get-session-token")
    assert replay["succeeded"] and replay["calls"][-1]["error"]["message"] == INVALID_OTP

    learner.run(S5, "protected-action")
    allowed = learner.last_result(S5, "protected-action")
    assert allowed["succeeded"], allowed
    assert "sandbox-only-not-a-real-password" in allowed["calls"][-1]["response"]["SecretString"]
    learner.run(S5, "protected-action", variant="no-mfa-session")
    assert learner.last_result(S5, "protected-action")["calls"][-1]["error"]["code"] == "AccessDeniedException"

    learner.run(S5, "mfa-age")
    age = learner.last_result(S5, "mfa-age")
    assert age["succeeded"], age
    still_valid, too_old = age["calls"]
    assert still_valid["ok"] and too_old["error"]["code"] == "AccessDeniedException"
    assert any("aws:MultiFactorAuthAge" in str(p) for p in too_old["decision"].get("policies", [])) or \
        "MultiFactorAuthAge" in str(too_old["decision"])

    old = credentials.get(learner.sandbox.id, "mfa-session")
    phone.wait_for_next_code()
    learner.run(S5, "session-expires")
    again = learner.last_result(S5, "session-expires")
    assert again["succeeded"], again
    assert again["calls"][0]["error"]["code"] == "ExpiredTokenException"
    assert credentials.get(learner.sandbox.id, "mfa-session").access_key_id != old.access_key_id


def test_steps_need_the_device_first(learner):
    learner.run(S5, "get-session-token")
    result = learner.last_result(S5, "get-session-token")
    assert not result["succeeded"] and result["needs"]["url"].endswith("/enrol-device/")


def test_enrol_twice_starts_afresh(learner):
    learner.run(S5, "enrol-device")
    learner.run(S5, "activate-device")
    learner.run(S5, "enrol-device")
    again = learner.last_result(S5, "enrol-device")
    assert again["succeeded"] and "fresh enrolment" in " ".join(again["notes"])


def test_clicking_faster_than_the_phone_explains_the_wait_and_next_code_moves_on(learner, phone):
    learner.run(S5, "enrol-device")
    learner.run(S5, "activate-device")          # spends the current window's code
    learner.run(S5, "get-session-token")        # takes the next window's code (within ±1)
    assert learner.last_result(S5, "get-session-token")["succeeded"]
    for _ in range(4):  # each run spends the next code; soon none is left (a window may pass meanwhile)
        learner.run(S5, "get-session-token")
        result = learner.last_result(S5, "get-session-token")
        if not result["succeeded"]:
            break
    notes = " ".join(result["notes"])
    assert not result["succeeded"] and "No unused code yet" in notes and "Next code" in notes
    assert result["calls"][0]["error"]["message"] == INVALID_OTP
    # "Next code" on the virtual phone: the sandbox clock moves into the next 30-second window...
    back = f"/scenarios/{S5}/get-session-token/"
    r = learner.client.post("/sandbox/clock/next-mfa-code/", {"back": back})
    assert r.status_code == 302 and r["Location"] == back
    learner.sandbox.refresh_from_db()
    assert 2 <= learner.sandbox.clock_offset_seconds <= 32
    # ...so the phone has a code not used yet, and STS takes it.
    learner.run(S5, "get-session-token")
    assert learner.last_result(S5, "get-session-token")["succeeded"]
    # A code still works once (AWS): replaying the one just used is refused.
    learner.run(S5, "get-session-token", "replayed-code")
    replay = learner.last_result(S5, "get-session-token")
    assert replay["calls"][-1]["error"]["code"] == "AccessDenied"


def test_next_code_refuses_a_back_link_to_another_site(learner):
    r = learner.client.post("/sandbox/clock/next-mfa-code/", {"back": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/sandbox/"


def test_step_7_reached_quickly_signs_in_again(learner, phone):
    # The expiry fast-forward moves the sandbox's phone too, so a fresh code is there at once (issue 11).
    learner.run(S5, "enrol-device")
    learner.run(S5, "activate-device")
    learner.run(S5, "get-session-token")
    learner.run(S5, "session-expires")
    result = learner.last_result(S5, "session-expires")
    assert result["succeeded"], result["notes"]
    assert [c["error"]["code"] if c["error"] else "ok" for c in result["calls"]] == [
        "ExpiredTokenException", "ok", "ok"]
