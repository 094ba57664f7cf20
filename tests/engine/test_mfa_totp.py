"""TOTP enrolment and verification as AWS's virtual MFA does it (RFC 6238: 6 digits, 30 s steps)."""
from __future__ import annotations

import pyotp
import pytest

from engine import mfa
from engine.errors import AccessDenied

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SERIAL = "arn:aws:iam::123456789012:mfa/alice-phone"
T0 = 1_800_000_000.0  # a fixed instant, 10 s into its 30 s window


def test_codes_match_an_independent_totp_implementation():
    # pyotp with default RFC 6238 parameters is what a phone app computes.
    assert mfa.code_at(SEED, T0) == pyotp.TOTP(SEED).at(T0)
    assert mfa.code_at(SEED, T0 + 30) == pyotp.TOTP(SEED).at(T0 + 30)


def test_phone_display_counts_down_and_shows_next_code():
    display = mfa.phone_display(SEED, T0)
    assert display.seconds_left == 30 - int(T0 % 30)
    assert display.code == pyotp.TOTP(SEED).at(T0)
    assert display.next_code == pyotp.TOTP(SEED).at(T0 + 30)


def test_accepts_current_and_one_step_either_side():
    for offset in (-30, 0, 30):
        verifier = mfa.MfaVerifier()
        proof = verifier.verify_token(SERIAL, SEED, pyotp.TOTP(SEED).at(T0 + offset), at=T0)
        assert proof.step == mfa.step_of(T0 + offset)


def test_refuses_stale_code_two_steps_old_with_aws_message():
    verifier = mfa.MfaVerifier()
    with pytest.raises(mfa.MfaCheckFailed) as caught:
        verifier.verify_token(SERIAL, SEED, pyotp.TOTP(SEED).at(T0 - 60), at=T0)
    error = caught.value
    assert isinstance(error, AccessDenied) and error.status == 403 and error.code == "AccessDenied"
    assert error.message == "MultiFactorAuthentication failed with invalid MFA one time pass code."
    assert error.reason == "stale"


def test_refuses_wrong_and_malformed_codes():
    verifier = mfa.MfaVerifier()
    good = pyotp.TOTP(SEED).at(T0)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    with pytest.raises(mfa.MfaCheckFailed) as caught:
        verifier.verify_token(SERIAL, SEED, wrong, at=T0)
    assert caught.value.reason in {"wrong", "stale"}
    for bad in ("12345", "abcdef", "1234567", "", None):
        with pytest.raises(mfa.MfaCheckFailed) as caught:
            verifier.verify_token(SERIAL, SEED, bad, at=T0)  # type: ignore[arg-type]
        assert caught.value.reason == "malformed"


def test_a_code_works_once_per_device():
    verifier = mfa.MfaVerifier()
    code = pyotp.TOTP(SEED).at(T0)
    verifier.verify_token(SERIAL, SEED, code, at=T0)
    with pytest.raises(mfa.MfaCheckFailed) as caught:
        verifier.verify_token(SERIAL, SEED, code, at=T0 + 5)
    assert caught.value.reason == "replayed"
    # An older (still in-window) code is refused too once a newer one was used.
    verifier.verify_token(SERIAL, SEED, pyotp.TOTP(SEED).at(T0 + 30), at=T0 + 30)
    with pytest.raises(mfa.MfaCheckFailed) as caught:
        verifier.verify_token(SERIAL, SEED, code, at=T0 + 30)
    assert caught.value.reason == "replayed"
    # The next window's code is fine.
    assert verifier.verify_token(SERIAL, SEED, pyotp.TOTP(SEED).at(T0 + 60), at=T0 + 60).step == mfa.step_of(T0 + 60)


def test_replay_state_is_per_device():
    verifier = mfa.MfaVerifier()
    other_serial = "arn:aws:iam::123456789012:mfa/bob-phone"
    code = pyotp.TOTP(SEED).at(T0)
    assert verifier.verify_token(SERIAL, SEED, code, at=T0).serial == SERIAL
    # same seed, other device: not a replay
    assert verifier.verify_token(other_serial, SEED, code, at=T0).serial == other_serial
    with pytest.raises(mfa.MfaCheckFailed) as caught:
        verifier.verify_token(other_serial, SEED, code, at=T0 + 1)  # ...but that device now refuses it too
    assert caught.value.reason == "replayed"
    other_seed = mfa.new_seed()
    # a device recreated under the same serial (new seed) starts with no used steps
    assert verifier.verify_token(SERIAL, other_seed, pyotp.TOTP(other_seed).at(T0), at=T0).step == mfa.step_of(T0)


def test_check_token_is_a_dry_run():
    verifier = mfa.MfaVerifier()
    code = pyotp.TOTP(SEED).at(T0)
    assert verifier.check_token(SERIAL, SEED, code, at=T0)[0] is True
    assert verifier.last_used_step(SERIAL, SEED) is None
    verifier.verify_token(SERIAL, SEED, code, at=T0)
    assert verifier.check_token(SERIAL, SEED, code, at=T0)[:2] == (False, "replayed")


def test_enable_needs_two_consecutive_codes():
    totp = pyotp.TOTP(SEED)
    verifier = mfa.MfaVerifier()
    proof = verifier.verify_enable(SERIAL, SEED, totp.at(T0 - 30), totp.at(T0), at=T0)
    assert proof.step == mfa.step_of(T0)
    # The second code is now used: STS refuses it as a replay.
    with pytest.raises(mfa.MfaCheckFailed):
        verifier.verify_token(SERIAL, SEED, totp.at(T0), at=T0)


@pytest.mark.parametrize("codes,reason", [
    (lambda t: (t.at(T0), t.at(T0)), "same-code"),
    (lambda t: (t.at(T0), t.at(T0 - 30)), "not-consecutive"),           # reversed order
    (lambda t: (t.at(T0 - 90), t.at(T0)), "not-consecutive"),           # gap
    (lambda t: (t.at(T0 - 150), t.at(T0 - 120)), "wrong"),              # consecutive but long ago
    (lambda t: ("12345", t.at(T0)), "malformed"),
])
def test_enable_refusals_use_iam_error(codes, reason):
    code1, code2 = codes(pyotp.TOTP(SEED))
    with pytest.raises(mfa.InvalidAuthenticationCode) as caught:
        mfa.MfaVerifier().verify_enable(SERIAL, SEED, code1, code2, at=T0)
    error = caught.value
    assert (error.code, error.status, error.message) == (
        "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
    assert error.reason == reason


def test_unknown_device_message_is_awss():
    error = mfa.MfaCheckFailed.unknown_device(SERIAL)
    assert error.message.startswith("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify")
    assert error.reason == "unknown-device" and error.status == 403


def test_seed_accepts_bytes_as_boto3_returns_it():
    assert mfa.normalise_seed(SEED.encode()) == SEED
    with pytest.raises(ValueError):
        mfa.normalise_seed("not base32!")
    assert len(mfa.new_seed()) == 64 and mfa.normalise_seed(mfa.new_seed())


def test_drop_in_verify_signature_and_bad_seeds_fail_cleanly():
    from datetime import datetime, timezone
    verifier = mfa.MfaVerifier()
    when = datetime.fromtimestamp(T0, tz=timezone.utc)
    assert verifier.verify(SERIAL, SEED.encode(), pyotp.TOTP(SEED).at(T0), when).step == mfa.step_of(T0)
    for seed in (None, "", "not base32!"):
        with pytest.raises(mfa.MfaCheckFailed):
            verifier.verify(SERIAL, seed, "123456")
        with pytest.raises(mfa.InvalidAuthenticationCode):
            verifier.verify_enable(SERIAL, seed or "", "123456", "654321")  # type: ignore[arg-type]


def test_default_time_is_real_time():
    verifier = mfa.MfaVerifier()
    assert verifier.verify_token(SERIAL, SEED, pyotp.TOTP(SEED).now()).serial == SERIAL
