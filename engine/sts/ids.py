"""Identifiers and secrets in AWS's formats [UG:reference_identifiers].

Access key ids carry their account the way AWS (and moto) encode it: prefix + base32 of (account // 2 + offset) +
one character whose half of the alphabet gives the account's parity. GetAccessKeyInfo can therefore answer for any
well-formed key, as AWS does. Everything random comes from `secrets`: secrets and session tokens are unguessable.
"""
from __future__ import annotations

import base64
import secrets

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ACCOUNT_OFFSET = 549755813888  # base32 "QAAAAAAA"; the same origin moto and AWS use
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def key_id(account: str, prefix: str, total_length: int = 20) -> str:
    """ASIA.../AKIA... (20 chars) or AROA... (21 chars) id that encodes `account`."""
    number = int(account)
    encoded = base64.b32encode((number // 2 + _ACCOUNT_OFFSET).to_bytes(5, "big")).decode("ascii")
    parity = secrets.choice(ALPHABET[16:] if number % 2 else ALPHABET[:16])
    head = prefix + encoded + parity
    return head + _random(ALPHABET, total_length - len(head))


def account_of_key_id(access_key_id: str) -> str | None:
    """The account an AWS-format key id encodes, or None if it does not decode."""
    if len(access_key_id) < 13 or access_key_id[4:12].strip(ALPHABET):
        return None
    try:
        number = int.from_bytes(base64.b32decode(access_key_id[4:12]), "big") - _ACCOUNT_OFFSET
    except (ValueError, TypeError):
        return None
    if number < 0:
        return None
    account = number * 2 + (1 if access_key_id[12] in ALPHABET[16:] else 0)
    if account > 999_999_999_999:
        return None
    return f"{account:012d}"


def temporary_access_key_id(account: str) -> str:
    return key_id(account, "ASIA")


def long_term_access_key_id(account: str) -> str:
    return key_id(account, "AKIA")


def secret_access_key() -> str:
    return _random(_SECRET_ALPHABET, 40)


def session_token() -> str:
    """Opaque and unguessable (256 random bits), shaped like AWS's base64 tokens; it carries no meaning."""
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(192)).decode("ascii")
