"""Virtual MFA (TOTP) for the lab: the ONE verifier every MFA check goes through.

Who uses it: the Lab holds ONE `MfaVerifier` as `lab.mfa`. engine/sts checks SerialNumber + TokenCode on
GetSessionToken/AssumeRole with `lab.mfa.verify(serial, device.seed, token_code)` (-> MfaProof; raises MfaCheckFailed,
an AccessDenied 403) or `MfaCheckFailed.unknown_device(serial)`; the gateway's EnableMFADevice override
(gateway/mfa_overrides.py) calls `lab.mfa.verify_enable(...)` on the same store, so a code typed at enrolment cannot be
replayed at GetSessionToken. Pass no time: codes are checked against `clock()`, i.e. REAL time (see "Time" below).

Rules (RFC 6238, as AWS's virtual MFA does it): 6 digits, 30-second steps, HMAC-SHA1; a code is accepted for the
current step or one step either side (clock drift); a code whose step is not newer than the last step accepted for
that device is refused as a replay (AWS refuses to reuse a code: two GetSessionToken calls in the same 30 s with the
same code fail — observed, glassechidna/awsweb#5); every refusal carries AWS's wire message
"MultiFactorAuthentication failed with invalid MFA one time pass code." (observed: lonelyplanet/aws-mfa#21,
binxio/aws-ssm-copy#22), and `.reason` says which rule failed for the explanation panel.

Time: an authenticator app keeps *real* time, so codes are checked against real time by default (`at=None`), not the
sandbox clock — fast-forwarding a sandbox must not break a learner's phone. `aws:MultiFactorAuthAge` is a different
thing (session context, sandbox time) and stays in engine/sts.

EnableMFADevice needs two consecutive codes (`verify_enable`); failure is IAM's InvalidAuthenticationCode (403,
"Authentication code for device is not valid."; model: botocore iam InvalidAuthenticationCodeException).
"""
from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import pyotp
import segno

from engine.errors import AccessDenied, ClientError

STEP_SECONDS = 30
DIGITS = 6
WINDOW_STEPS = 1
# How far back a code is still recognised as "stale" (an old code) instead of plain "wrong" — for the explanation only.
STALE_LOOKBACK_STEPS = 20
SEED_LENGTH = 64  # AWS and moto hand out 64 base32 characters

INVALID_CODE_MESSAGE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
UNKNOWN_DEVICE_MESSAGE = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
                          "serial number is valid and associated with this user.")  # aws/aws-cli#6325 (two spaces)
INVALID_AUTHENTICATION_CODE_MESSAGE = "Authentication code for device is not valid."

_BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def clock() -> float:
    """Real time, as a phone keeps it (one seam, so tests can let 30 s pass without sleeping)."""
    return time.time()


class MfaCheckFailed(AccessDenied):
    """A TokenCode refused by STS. `.reason`: malformed | wrong | stale | replayed | unknown-device."""

    def __init__(self, reason: str, detail: str, *, message: str = INVALID_CODE_MESSAGE) -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail

    @classmethod
    def unknown_device(cls, serial: str) -> MfaCheckFailed:
        return cls("unknown-device", f"no enabled MFA device `{serial}` for this user", message=UNKNOWN_DEVICE_MESSAGE)


class InvalidAuthenticationCode(ClientError):
    """IAM EnableMFADevice/ResyncMFADevice refusal (botocore iam model: 403, sender fault)."""
    code = "InvalidAuthenticationCode"
    status = 403

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(INVALID_AUTHENTICATION_CODE_MESSAGE)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class MfaProof:
    serial: str
    step: int
    verified_at: float  # epoch seconds (real time)


@dataclass(frozen=True)
class PhoneDisplay:
    """What an authenticator app shows right now."""
    code: str
    seconds_left: int
    step: int
    next_code: str


# ---- TOTP primitives -------------------------------------------------------------------------------------------

def new_seed() -> str:
    return "".join(secrets.choice(_BASE32_ALPHABET) for _ in range(SEED_LENGTH))


def normalise_seed(seed: str | bytes) -> str:
    """moto/boto3 hand the seed out as bytes (the wire value is base64 of the base32 text); accept either."""
    if isinstance(seed, bytes):
        seed = seed.decode("ascii")
    seed = seed.strip().replace(" ", "").upper()
    if not seed or any(ch not in _BASE32_ALPHABET + "=" for ch in seed):
        raise ValueError("an MFA seed is base32 text (A-Z, 2-7)")
    return seed


def _totp(seed: str) -> pyotp.TOTP:
    return pyotp.TOTP(normalise_seed(seed), digits=DIGITS, interval=STEP_SECONDS)


def step_of(at: float) -> int:
    return int(at // STEP_SECONDS)


def code_for_step(seed: str, step: int) -> str:
    return _totp(seed).at(step * STEP_SECONDS)


def code_at(seed: str, at: float | None = None) -> str:
    return code_for_step(seed, step_of(clock() if at is None else at))


def phone_display(seed: str, at: float | None = None) -> PhoneDisplay:
    """The on-screen "virtual phone" for learners without an authenticator app."""
    now = clock() if at is None else at
    step = step_of(now)
    seconds_left = STEP_SECONDS - int(now - step * STEP_SECONDS)
    return PhoneDisplay(code=code_for_step(seed, step), seconds_left=seconds_left, step=step,
                        next_code=code_for_step(seed, step + 1))


def _is_six_digits(code: object) -> bool:
    return isinstance(code, str) and len(code) == DIGITS and code.isascii() and code.isdigit()


def _matching_step(seed: str, code: str, centre: int, back: int, forward: int) -> int | None:
    """The newest step in [centre-back, centre+forward] whose code equals `code`."""
    for step in range(centre + forward, centre - back - 1, -1):
        if secrets.compare_digest(code_for_step(seed, step), code):
            return step
    return None


# ---- enrolment: the otpauth URI and its QR code -----------------------------------------------------------------

def provisioning_uri(device_name: str, account_label: str, seed: str) -> str:
    """`otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String` (botocore iam model, QRCodePNG).

    `account_label` is the account alias when there is one, else the account id.
    """
    label = quote(f"{device_name}@{account_label}", safe="@")
    return f"otpauth://totp/{label}?secret={normalise_seed(seed)}"


def qr_png(uri: str, *, scale: int = 4, border: int = 4) -> bytes:
    """A real PNG of the QR code (moto returns 64 random bytes instead)."""
    import io
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_png_data_uri(uri: str, *, scale: int = 5) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(uri, scale=scale)).decode("ascii")


def qr_svg(uri: str, *, scale: int = 5) -> str:
    """Inline SVG markup (no XML declaration) for the enrolment page."""
    return segno.make(uri, error="m", micro=False).svg_inline(scale=scale, title="MFA enrolment QR code")


# ---- the verifier ------------------------------------------------------------------------------------------------

class MfaVerifier:
    """Checks TokenCodes and remembers, per device, the last step accepted (replay refusal). Thread-safe."""

    def __init__(self, *, window_steps: int = WINDOW_STEPS) -> None:
        self.window_steps = window_steps
        self._last_step: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(serial: str, seed: str | bytes) -> tuple[str, str]:
        # The seed is part of the key: a device deleted and recreated under the same serial starts afresh.
        return (serial, normalise_seed(seed))

    def last_used_step(self, serial: str, seed: str) -> int | None:
        with self._lock:
            return self._last_step.get(self._key(serial, seed))

    def forget(self, serial: str) -> None:
        with self._lock:
            for key in [k for k in self._last_step if k[0] == serial]:
                del self._last_step[key]

    def _classify(self, seed: str, code: str, now_step: int, last: int | None) -> tuple[int | None, str, str]:
        """Returns (accepted step or None, reason, detail)."""
        if not _is_six_digits(code):
            return None, "malformed", "a TokenCode is exactly 6 digits"
        step = _matching_step(seed, code, now_step, self.window_steps, self.window_steps)
        if step is None:
            old = _matching_step(seed, code, now_step - self.window_steps - 1, STALE_LOOKBACK_STEPS, 0)
            if old is not None:
                age = (now_step - old) * STEP_SECONDS
                return None, "stale", (f"the code belongs to a 30-second window about {age} s ago; only the current "
                                       f"window and {self.window_steps} either side are accepted")
            return None, "wrong", "the code matches no window near the current time for this device's seed"
        if last is not None and step <= last:
            return None, "replayed", "this code (or a later one) was already used with this device; each code works once"
        return step, "ok", "accepted"

    def verify(self, serial: str, seed: str | bytes | None, code: str, now: datetime | float | None = None) -> MfaProof:
        """Drop-in for engine/sts/mfa.py's verifier. `now` should be left out (real time); kept for tests."""
        at = now.timestamp() if isinstance(now, datetime) else now
        return self.verify_token(serial, seed, code, at=at)

    def verify_token(self, serial: str, seed: str | bytes | None, code: str, *, at: float | None = None) -> MfaProof:
        """Accept `code` for the device or raise MfaCheckFailed. Records the step so the code cannot be reused."""
        now = clock() if at is None else at
        try:
            key = self._key(serial, seed or "")
            seed = key[1]
        except ValueError:  # a hardware device (no seed) or a seed that is not base32: a failed check, never a 500
            raise MfaCheckFailed("wrong", "the lab cannot compute codes for this device (no virtual seed)") from None
        with self._lock:
            step, reason, detail = self._classify(seed, code, step_of(now), self._last_step.get(key))
            if step is None:
                raise MfaCheckFailed(reason, detail)
            self._last_step[key] = step
        return MfaProof(serial=serial, step=step, verified_at=now)

    def check_token(self, serial: str, seed: str, code: str, *, at: float | None = None) -> tuple[bool, str, str]:
        """Dry run for the explanation panel: (would_accept, reason, detail); records nothing."""
        now = clock() if at is None else at
        try:
            key = self._key(serial, seed)
        except ValueError:
            return False, "wrong", "the lab cannot compute codes for this device (no virtual seed)"
        with self._lock:
            step, reason, detail = self._classify(key[1], code, step_of(now), self._last_step.get(key))
        return step is not None, reason, detail

    def verify_enable(self, serial: str, seed: str, code1: str, code2: str, *, at: float | None = None) -> MfaProof:
        """EnableMFADevice: code2 must be the code right after code1, and code2 must be current (±window)."""
        now = clock() if at is None else at
        try:
            seed = normalise_seed(seed)
        except ValueError:
            raise InvalidAuthenticationCode("wrong", "the lab cannot compute codes for this device (no virtual seed)") from None
        if not (_is_six_digits(code1) and _is_six_digits(code2)):
            raise InvalidAuthenticationCode("malformed", "each authentication code is exactly 6 digits")
        if code1 == code2:
            raise InvalidAuthenticationCode("same-code", "both codes are the same: wait for the app to show the next "
                                                         "code and enter that one second")
        now_step = step_of(now)
        step2 = _matching_step(seed, code2, now_step, self.window_steps, self.window_steps)
        if step2 is None:
            raise InvalidAuthenticationCode("wrong", "the second code does not match the current time for this seed")
        if not secrets.compare_digest(code_for_step(seed, step2 - 1), code1):
            raise InvalidAuthenticationCode("not-consecutive",
                                            "the first code is not the code shown just before the second one")
        with self._lock:
            self._last_step[self._key(serial, seed)] = step2
        return MfaProof(serial=serial, step=step2, verified_at=now)
