"""Virtual MFA through the gateway with boto3: enrolment (real QR PNG, two consecutive codes), GetSessionToken's
TokenCode checks (wrong, stale, replayed), and MFA-protected actions with both the right and the classic wrong
policy (aws-sts-facts §4.4: Allow + BoolIfExists admits long-term keys; Allow + Bool does not)."""
from __future__ import annotations

import io
import time

import pyotp
import pytest
import zxingcpp   # requirements-dev.txt: a missing decoder fails the tests, never skips them
from PIL import Image
from botocore.exceptions import ClientError

import gateway.mfa_overrides  # noqa: F401  (registers CreateVirtualMFADevice / EnableMFADevice)
from gateway_kit import Sandbox, allow

INVALID_OTP = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def error_of(info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def decode_qr(png: bytes) -> str:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    # QR codes only: with every format on, zxing-cpp now and then also reads a 1-D code out of the QR (5 in
    # 3,000 random enrolment URIs; a full run failed on one)
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0].text


SELF_SERVICE_MFA = allow(["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"])


def enrol(sbx: Sandbox, creds: dict, user: str) -> tuple[str, str, float]:
    """Create and enable alice's device through the gateway; returns (serial, seed, the time its codes were made
    for: the second of the two codes enrolment spent is the one at that time)."""
    iam = sbx.client("iam", creds)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-phone")["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    now = time.time()
    totp = pyotp.TOTP(seed)
    iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    return device["SerialNumber"], seed, now


def test_create_virtual_mfa_device_returns_a_real_qr_png_of_the_otpauth_uri(sbx: Sandbox) -> None:
    alice = sbx.user("alice", SELF_SERVICE_MFA)
    device = sbx.client("iam", alice).create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    assert device["SerialNumber"] == f"arn:aws:iam::{sbx.dev}:mfa/alice-phone"
    assert len(seed) == 64
    assert decode_qr(device["QRCodePNG"]) == f"otpauth://totp/alice-phone@{sbx.dev}?secret={seed}"


def test_the_qr_code_names_the_account_alias_when_there_is_one(local: Sandbox) -> None:
    alias = f"securecart-{local.id}"
    local.admin("iam").create_account_alias(AccountAlias=alias)
    admin = local.user("boss", allow("iam:*"))
    device = local.client("iam", admin).create_virtual_mfa_device(VirtualMFADeviceName="ops")["VirtualMFADevice"]
    assert decode_qr(device["QRCodePNG"]) == f"otpauth://totp/ops@{alias}?secret={device['Base32StringSeed'].decode()}"


def test_enable_mfa_device_needs_two_consecutive_codes(sbx: Sandbox) -> None:
    alice = sbx.user("alice", SELF_SERVICE_MFA)
    iam = sbx.client("iam", alice)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    serial, totp = device["SerialNumber"], pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    for code1, code2 in [(totp.at(now), totp.at(now)),              # the same code twice
                         (totp.at(now), totp.at(now - 30)),         # wrong order
                         ("000000", "000000"),                      # what moto would accept
                         (totp.at(now - 300), totp.at(now - 270))]:  # consecutive but long gone
        with pytest.raises(ClientError) as info:
            iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1=code1,
                                  AuthenticationCode2=code2)
        assert error_of(info) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1=totp.at(now - 30),
                          AuthenticationCode2=totp.at(now))
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]


def test_enable_mfa_device_bad_input_is_a_validation_error(local: Sandbox) -> None:
    alice = local.user("alice", SELF_SERVICE_MFA)
    iam = local.client("iam", alice)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="p")["VirtualMFADevice"]["SerialNumber"]
    with pytest.raises(ClientError) as info:
        iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="1234567",
                              AuthenticationCode2="123456")
    assert error_of(info)[0] == "ValidationError"
    with pytest.raises(ClientError) as info:
        iam.enable_mfa_device(UserName="alice", SerialNumber=f"arn:aws:iam::{local.dev}:mfa/nope",
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    assert error_of(info)[0] == "NoSuchEntity"


def test_get_session_token_refuses_wrong_stale_and_replayed_codes(sbx: Sandbox) -> None:
    alice = sbx.user("alice", SELF_SERVICE_MFA)
    # The codes are reckoned from the enrolment's time, not read again: on a busy machine a 30-second window could
    # turn between the two, and "the code enrolment spent" would be the next window's, which is not spent (a full
    # run failed so).
    serial, seed, now = enrol(sbx, alice, "alice")
    totp = pyotp.TOTP(seed)
    sts = sbx.client("sts", alice)
    refused = [totp.at(now),                 # already spent as AuthenticationCode2 at enrolment
               totp.at(now - 120),           # stale
               f"{(int(totp.at(now + 30)) + 1) % 1000000:06d}"]  # wrong
    for code in refused:
        with pytest.raises(ClientError) as info:
            sts.get_session_token(SerialNumber=serial, TokenCode=code)
        assert error_of(info) == ("AccessDenied", INVALID_OTP, 403)
    fresh = totp.at(now + 30)   # the next window: within the ±1 step AWS allows for drift
    session = sts.get_session_token(SerialNumber=serial, TokenCode=fresh, DurationSeconds=900)["Credentials"]
    assert session["AccessKeyId"].startswith("ASIA")
    with pytest.raises(ClientError) as info:   # the same code again: a replay
        sts.get_session_token(SerialNumber=serial, TokenCode=fresh)
    assert error_of(info) == ("AccessDenied", INVALID_OTP, 403)


def test_a_serial_that_is_not_the_callers_device(local: Sandbox) -> None:
    alice = local.user("alice", SELF_SERVICE_MFA)
    bob = local.user("bob", SELF_SERVICE_MFA)
    serial, seed, _ = enrol(local, alice, "alice")
    with pytest.raises(ClientError) as info:
        local.client("sts", bob).get_session_token(SerialNumber=serial, TokenCode=pyotp.TOTP(seed).at(time.time() + 30))
    code, message, status = error_of(info)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith("MultiFactorAuthentication failed, unable to validate MFA code.")


def _session(answer: dict) -> dict:
    c = answer["Credentials"]
    return {"access_key_id": c["AccessKeyId"], "secret_access_key": c["SecretAccessKey"],
            "session_token": c["SessionToken"]}


@pytest.mark.parametrize("operator,long_term_allowed", [("Bool", False), ("BoolIfExists", True)])
def test_mfa_protected_secret_bool_versus_boolifexists(sbx: Sandbox, operator: str, long_term_allowed: bool) -> None:
    sbx.admin("secretsmanager").create_secret(Name="DBPassword", SecretString="s3cret")
    alice = sbx.user("alice", SELF_SERVICE_MFA, allow(
        "secretsmanager:GetSecretValue", "*",
        Condition={operator: {"aws:MultiFactorAuthPresent": "true"}}))
    serial, seed, _ = enrol(sbx, alice, "alice")
    # Long-term keys: aws:MultiFactorAuthPresent is absent. Bool -> no match -> denied; BoolIfExists -> allowed.
    long_term = sbx.client("secretsmanager", alice)
    if long_term_allowed:
        assert long_term.get_secret_value(SecretId="DBPassword")["SecretString"] == "s3cret"
    else:
        with pytest.raises(ClientError) as info:
            long_term.get_secret_value(SecretId="DBPassword")
        assert error_of(info)[0] == "AccessDeniedException"
    # Temporary credentials without MFA carry aws:MultiFactorAuthPresent=false: denied by both variants.
    plain = _session(sbx.client("sts", alice).get_session_token(DurationSeconds=900))
    with pytest.raises(ClientError):
        sbx.client("secretsmanager", plain).get_secret_value(SecretId="DBPassword")
    # With MFA: allowed by both.
    with_mfa = _session(sbx.client("sts", alice).get_session_token(
        SerialNumber=serial, TokenCode=pyotp.TOTP(seed).at(time.time() + 30), DurationSeconds=900))
    assert sbx.client("secretsmanager", with_mfa).get_secret_value(SecretId="DBPassword")["SecretString"] == "s3cret"


def test_mfa_age_limit_fails_after_fast_forward_and_the_session_expires(local: Sandbox) -> None:
    local.admin("secretsmanager").create_secret(Name="DBPassword", SecretString="s3cret")
    alice = local.user("alice", SELF_SERVICE_MFA, allow(
        "secretsmanager:GetSecretValue", "*",
        Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"},
                   "NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}))
    serial, seed, _ = enrol(local, alice, "alice")
    session = _session(local.client("sts", alice).get_session_token(
        SerialNumber=serial, TokenCode=pyotp.TOTP(seed).at(time.time() + 30), DurationSeconds=900))
    secrets = local.client("secretsmanager", session)
    assert secrets.get_secret_value(SecretId="DBPassword")["SecretString"] == "s3cret"
    local.lab.advance_clock(local.id, 301)        # MFA is now 301 s old: NumericLessThan 300 fails
    with pytest.raises(ClientError) as info:
        secrets.get_secret_value(SecretId="DBPassword")
    assert error_of(info)[0] == "AccessDeniedException"
    decision = local.lab.decision(info.value.response["ResponseMetadata"]["RequestId"])
    assert decision is not None and not decision.allowed
    local.lab.advance_clock(local.id, 600)        # 901 s: the 900 s session itself has expired
    with pytest.raises(ClientError) as info:
        secrets.get_secret_value(SecretId="DBPassword")
    assert error_of(info)[0] == "ExpiredTokenException"
