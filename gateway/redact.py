"""The one redactor: how a secret looks on a page (HTTP panels, returned data, credential cards, notes).

Every place that shows something a call carried uses these: the gateway client's ExchangeRecorder (request
headers, form and JSON bodies, response bodies) and the web layer's step results (sandboxes/steps.py), which also
mask the secrets a step knows by value wherever they turn up (e.g. echoed in an error message). A masked secret
keeps its first four characters and its true length (a secret access key is 40 characters), so a panel never
miscounts it; masking is idempotent, so a value masked by the recorder is left as it is downstream.

Plain Python (no Django): the gateway uses it, and the web layer reaches it through these public names.
"""
from __future__ import annotations

import re
from typing import Any, Iterable
from urllib.parse import parse_qsl

# Fields whose value is a secret wherever they appear (AWS query/XML/JSON shapes).
SECRET_FIELDS = frozenset({"SecretAccessKey", "SessionToken", "Password", "NewPassword", "OldPassword",
                           "SecretString", "SecretBinary", "PrivateKey", "AuthenticationCode1",
                           "AuthenticationCode2", "Base32StringSeed"})
# Fields that are not secret but too long to read in a panel (shown abbreviated).
LONG_FIELDS = frozenset({"SAMLAssertion", "WebIdentityToken", "QRCodePNG"})

_ALREADY_MASKED = re.compile(r"…\((\d+ characters, )?hidden\)$")
_SECRET_XML = re.compile(r"<(SecretAccessKey|SessionToken)>([^<]+)</\1>")
_SIGNATURE = re.compile(r"Signature=([0-9a-f]{8})[0-9a-f]+")
MIN_KNOWN_SECRET = 8   # shorter known values are not searched for in free text (too many false hits)


def mask_secret(value: str) -> str:
    """`AKIA…(40 characters, hidden)`; a value masked already is returned unchanged."""
    if _ALREADY_MASKED.search(value):
        return value
    return f"{value[:4]}…({len(value)} characters, hidden)" if len(value) > 4 else "…(hidden)"


def abbreviate(text: str, keep: int = 12) -> str:
    """A long, non-secret value cut for reading: `PHNhbWxwOlJl…(5120 chars)`."""
    return text if len(text) <= keep + 3 else f"{text[:keep]}…({len(text)} chars)"


def shorten_token(value: str) -> str:
    """A session token as a credentials card and returned data show it: head and tail, `IQoJb3JpZ2lu…Ab12Cd34`."""
    return value if len(value) <= 24 else f"{value[:12]}…{value[-8:]}"


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    masked = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "authorization":
            value = _SIGNATURE.sub(r"Signature=\1…", value)
        elif lowered == "x-amz-security-token":
            value = abbreviate(value, 16)
        masked[name] = value
    return masked


def mask_form(body: str) -> dict[str, str]:
    """A form-encoded (query protocol) body as name -> value, secrets masked, long values abbreviated."""
    fields = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        leaf = key.rsplit(".", 1)[-1]
        if leaf in SECRET_FIELDS:
            value = mask_secret(value)
        elif leaf in LONG_FIELDS:
            value = abbreviate(value, 24)
        fields[key] = value
    return fields


def mask_json_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The top-level secret fields of a JSON (json protocol) body masked."""
    for name in SECRET_FIELDS & set(data):
        data[name] = mask_secret(str(data[name]))
    return data


def mask_response_text(text: str) -> str:
    """Secret fields of an XML or JSON response body masked."""
    for name in SECRET_FIELDS:
        text = re.sub(rf"<{name}>([^<]*)</{name}>", lambda m: f"<{name}>{mask_secret(m.group(1))}</{name}>", text)
        text = re.sub(rf'"{name}"\s*:\s*"([^"]*)"', lambda m: f'"{name}": "{mask_secret(m.group(1))}"', text)
    return text


def mask_response_data(response: Any) -> Any:
    """A parsed (boto3) response as the page's "Returned data" shows it: SecretAccessKey masked, SessionToken
    shortened, everywhere in the structure."""
    if isinstance(response, dict):
        out = {}
        for key, value in response.items():
            if key == "SecretAccessKey" and isinstance(value, str):
                out[key] = mask_secret(value)
            elif key == "SessionToken" and isinstance(value, str):
                out[key] = shorten_token(value)
            else:
                out[key] = mask_response_data(value)
        return out
    if isinstance(response, list):
        return [mask_response_data(v) for v in response]
    return response


class Redactor:
    """The secrets one run knows by value (keys it signed with, credentials calls returned), masked anywhere."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._known: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and secret not in self._known:
                self._known.append(secret)

    @property
    def known(self) -> tuple[str, ...]:
        return tuple(self._known)

    def text(self, text: str) -> str:
        """SecretAccessKey/SessionToken XML elements and every known secret (8+ characters) in `text` masked."""
        text = _SECRET_XML.sub(lambda m: f"<{m.group(1)}>{mask_secret(m.group(2))}</{m.group(1)}>", text)
        for secret in self._known:
            if len(secret) >= MIN_KNOWN_SECRET:
                text = text.replace(secret, mask_secret(secret))
        return text
