"""Encoded authorization failure messages (DecodeAuthorizationMessage).

Some services append "Encoded authorization failure message: <token>" to an AccessDenied; only
sts:DecodeAuthorizationMessage turns the token back into JSON. Ours are AES-GCM sealed with a per-process key and
bound to the sandbox (associated data), so they are opaque, tamper-proof and useless in another sandbox. A token
from before a restart no longer decodes: InvalidAuthorizationMessageException, as for an expired AWS message.

Decoded shape, as AWS documents it (STS API Reference, DecodeAuthorizationMessage):
{"allowed": false, "explicitDeny": bool, "matchedStatements": {"items": [...]}, "failures": {"items": []},
 "context": {"principal": {"id": ..., "arn": ...}, "action": ..., "resource": ..., "conditions": {"items": [...]}}}
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class AuthorizationMessageCodec:
    def __init__(self, key: bytes | None = None) -> None:
        self._aead = AESGCM(key or AESGCM.generate_key(bit_length=256))

    def encode(self, payload: dict[str, Any], sandbox_id: str | None) -> str:
        nonce = os.urandom(12)
        plain = zlib.compress(json.dumps(payload, separators=(",", ":")).encode("utf-8"), 9)
        sealed = self._aead.encrypt(nonce, plain, (sandbox_id or "").encode("utf-8"))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")

    def decode(self, token: str, sandbox_id: str | None) -> str | None:
        """The JSON text, or None if the token is not one of ours for this sandbox."""
        try:
            raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
            if len(raw) < 12 + 16:
                return None
            plain = self._aead.decrypt(raw[:12], raw[12:], (sandbox_id or "").encode("utf-8"))
            return zlib.decompress(plain).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, zlib.error):
            return None


def decision_payload(decision: Any, request: Any) -> dict[str, Any]:
    """AWS's decoded-message JSON for a denied `request` (engine.policy AuthzRequest) and its Decision."""
    matched: list[dict[str, Any]] = []
    for ref in getattr(decision, "deciding", None) or []:
        as_dict = ref.to_dict() if hasattr(ref, "to_dict") else {"statement": str(ref)}
        matched.append({
            "statementId": as_dict.get("sid") or as_dict.get("statement_id") or "",
            "effect": str(as_dict.get("effect", "")).upper(),     # AWS writes "DENY" / "ALLOW"
            "principals": {"items": [{"value": "*"}]},
            "principalGroups": {"items": []},
            "actions": {"items": [{"value": a} for a in as_dict.get("actions", [])]},
            "resources": {"items": [{"value": r} for r in as_dict.get("resources", [])]},
            "conditions": {"items": []},
            "policy": as_dict.get("policy", ""),
        })
    explicit = any(m["effect"] == "DENY" for m in matched) or bool(getattr(decision, "explicit_deny", False))
    conditions = []
    for key, value in (request.context or {}).items():
        values = value if isinstance(value, list) else [value]
        conditions.append({"key": key, "values": {"items": [{"value": str(v)} for v in values]}})
    principal = request.principal
    return {
        "allowed": bool(decision.allowed),
        "explicitDeny": explicit,
        "matchedStatements": {"items": matched},
        "failures": {"items": []},
        "context": {
            "principal": {"id": principal.userid or "", "name": _principal_name(principal), "arn": principal.arn},
            "action": request.action,
            "resource": request.resource,
            "conditions": {"items": conditions},
        },
    }


def _principal_name(principal: Any) -> str:
    if principal.username:
        return str(principal.username)
    return str(principal.arn).rsplit("/", 1)[-1] if principal.arn else ""
