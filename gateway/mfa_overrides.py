"""IAM's virtual-MFA operations done as AWS does them (moto gets both wrong), via the gateway's override registry.

- CreateVirtualMFADevice: moto returns 64 random bytes as QRCodePNG ("this would be a generated PNG"). AWS returns a
  PNG of `otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String` (botocore iam model, VirtualMFADevice
  .QRCodePNG); the lab names the account by its alias when it has one, else by its id.
- EnableMFADevice: moto accepts any two codes. AWS needs two consecutive codes from the device; otherwise
  InvalidAuthenticationCode (403) "Authentication code for device is not valid." The check is engine.mfa's verifier
  (the one STS uses), so the second code is spent and cannot be replayed at GetSessionToken.

gateway.builtin_overrides registers them (`register(registry)`).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from engine import mfa
from engine.errors import AwsError, ValidationError

from .operation import OperationCall, OverrideRegistry
from .protocols import Response

_SIX_DIGITS = re.compile(r"^[\d]+$")


def _iam_backend(account: str) -> Any:
    from moto.iam.models import iam_backends
    return iam_backends[account]["global"]


def account_label(account: str) -> str:
    """The account alias if one is set (IAM CreateAccountAlias), else the account id."""
    from engine.directory import moto_lock
    with moto_lock:
        aliases = list(getattr(_iam_backend(account), "account_aliases", []) or [])
    return aliases[0] if aliases else account


def _serial_from(body: bytes) -> str | None:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    for element in root.iter():
        if element.tag.endswith("SerialNumber") and element.text:
            return element.text
    return None


def create_virtual_mfa_device(call: OperationCall) -> Response:
    response = call.forward()  # moto checks the name/path and duplicates and stores the device (and the seed)
    if response.status != 200:
        return response
    serial = _serial_from(response.body)
    if serial is None:
        return response
    from engine.directory import moto_lock
    label = account_label(call.account)
    with moto_lock:
        device = _iam_backend(call.account).virtual_mfa_devices.get(serial)
        if device is None:
            return response
        seed = mfa.normalise_seed(device.base32_string_seed)
        uri = mfa.provisioning_uri(call.params.get("VirtualMFADeviceName", serial.rsplit("/", 1)[-1]), label, seed)
        png = mfa.qr_png(uri)
        device.qr_code_png = png  # so anything reading moto later sees the real image too
        tags = list(call.params.get("Tags") or [])
    result: dict[str, Any] = {"SerialNumber": serial, "Base32StringSeed": seed.encode("ascii"), "QRCodePNG": png}
    if tags:
        result["Tags"] = tags
    return call.result({"VirtualMFADevice": result})


def _validate_code(name: str, value: Any) -> None:
    # IAM model: AuthenticationCode1/2 "Fixed length of 6", pattern [\d]+. botocore checks only the minimum locally,
    # so longer or non-digit values reach the server, which answers ValidationError.
    text = "" if value is None else str(value)
    field = name[0].lower() + name[1:]
    if len(text) != 6:
        bound = "greater than or equal to 6" if len(text) < 6 else "less than or equal to 6"
        raise ValidationError(f"1 validation error detected: Value '{text}' at '{field}' failed to satisfy "
                              f"constraint: Member must have length {bound}")
    if not _SIX_DIGITS.match(text):
        raise ValidationError(f"1 validation error detected: Value '{text}' at '{field}' failed to satisfy "
                              f"constraint: Member must satisfy regular expression pattern: [\\d]+")


def enable_mfa_device(call: OperationCall) -> Response:
    params = call.params
    serial = str(params.get("SerialNumber") or "")
    code1, code2 = params.get("AuthenticationCode1"), params.get("AuthenticationCode2")
    _validate_code("AuthenticationCode1", code1)
    _validate_code("AuthenticationCode2", code2)
    lab = call.lab
    device = lab.directory.mfa_device(serial)
    if device is None or device.account != call.account:
        # A hardware serial or someone else's device: the lab only has virtual devices.
        raise AwsError(f"VirtualMFADevice with serial number {serial} doesn't exist.", code="NoSuchEntity",
                       status=404, sender_fault=True)
    if device.seed is None or device.user_name is not None:
        raise AwsError("MFA Device is already in use.", code="EntityAlreadyExists", status=409, sender_fault=True)
    if lab.directory.user(call.account, str(params.get("UserName") or "")) is None:
        return call.forward()  # moto answers NoSuchEntity for the user, in IAM's words
    lab.mfa.verify_enable(serial, device.seed, str(code1), str(code2),
                          at=lab.mfa_clock(lab.sandbox_of_account(call.account)))
    return call.forward()


def register(registry: OverrideRegistry) -> None:
    registry.register("iam", "CreateVirtualMFADevice", create_virtual_mfa_device)
    registry.register("iam", "EnableMFADevice", enable_mfa_device)
