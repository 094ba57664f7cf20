"""The lab-control wire format, shared by both ends (gateway.control.server, gateway.control.client; what each
method carries is typed in gateway.control.registry).

JSON; datetimes travel as {"$datetime": ISO 8601} and bytes as {"$bytes": base64}, so they round-trip.
Errors travel as {"error": {"type", "message", ...}} and are raised again on the client as the same kind:
KeyError (unknown sandbox), ValueError (bad arguments), engine.errors.AwsError (code/status kept); anything about
the transport or the token is a LabControlError. Decisions come back as `RemoteDecision`, built from
Decision.to_dict().
"""
from __future__ import annotations

import base64
import copy
import dataclasses
import math
import os
from datetime import datetime
from typing import Any

CONTROL_PREFIX = "/_lab"
API_PATH = "/_lab/v1/"
TOKEN_ENV = "LAB_CONTROL_TOKEN"
MIN_TOKEN_LENGTH = 16
MAX_CONTROL_BODY = 32 * 1024 * 1024      # world.call carries S3 seed objects; far above what the world needs


class LabControlError(RuntimeError):
    """The control call could not be made or was refused (transport, token, server fault): not a Lab answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------------------------------------ wire encoding
def to_wire(value: Any) -> Any:
    """JSON-safe form; datetimes and bytes are tagged so `from_wire` restores them."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number: JSON cannot carry it")
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_wire(item) for item in value), key=str)
    if hasattr(value, "to_dict"):
        return to_wire(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):   # MfaDeviceInfo, MfaProof ...
        return to_wire(dataclasses.asdict(value))
    return str(value)


def from_wire(value: Any) -> Any:
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            if isinstance(value.get("$datetime"), str):
                return datetime.fromisoformat(value["$datetime"])
            if isinstance(value.get("$bytes"), str):
                return base64.b64decode(value["$bytes"])
        return {key: from_wire(item) for key, item in value.items()}
    return value


# ------------------------------------------------------------------------------------------------ Decisions
class RemoteDecision:
    """What the web layer reads from an engine Decision, rebuilt from Decision.to_dict() on the other side.

    Offers .allowed, .effect, .reason, .deciding, .cross_account, .denied_by, .steps, .request, .trace (the
    "policies" explanation), .explicit_deny and .to_dict() (a copy of what the gateway sent).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or "allowed" not in data:
            raise LabControlError("the gateway sent a malformed decision")
        self._data = data

    allowed = property(lambda self: bool(self._data.get("allowed")))
    effect = property(lambda self: self._data.get("effect"))
    reason = property(lambda self: self._data.get("reason", ""))
    deciding = property(lambda self: list(self._data.get("deciding") or []))
    cross_account = property(lambda self: bool(self._data.get("cross_account")))
    denied_by = property(lambda self: self._data.get("denied_by"))
    steps = property(lambda self: list(self._data.get("steps") or []))
    request = property(lambda self: dict(self._data.get("request") or {}))
    trace = property(lambda self: list(self._data.get("policies") or []))

    @property
    def explicit_deny(self) -> bool:
        return bool(self.effect == "ExplicitDeny")

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def __repr__(self) -> str:
        return f"RemoteDecision({self.effect}: {self.reason})"



def env_token() -> str:
    """LAB_CONTROL_TOKEN, or the content of the file LAB_CONTROL_TOKEN_FILE names (a secret mounted as a file wins,
    as for the Django settings' other secrets)."""
    path = os.environ.get(TOKEN_ENV + "_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as error:
            raise LabControlError(f"cannot read {TOKEN_ENV}_FILE={path!r}: {error.strerror}") from None
    return os.environ.get(TOKEN_ENV, "")
