"""Sessions the learner obtained or used in the console, kept (secrets in the cache, like sandboxes.credentials,
never in the database) so the credentials picker offers them and checkers can call AWS with them."""
from __future__ import annotations

from django.core.cache import cache

from sandboxes import credentials

MAX_KEPT = 20
_KEEP_SECONDS = 2 * 86400


def _index_key(sandbox_id: str) -> str:
    return f"console-sessions:{sandbox_id}"


def keep(sandbox_id: str, creds: credentials.SessionCredentials) -> None:
    credentials.keep(sandbox_id, creds)
    names = [n for n in cache.get(_index_key(sandbox_id), []) if n != creds.name]
    cache.set(_index_key(sandbox_id), (names + [creds.name])[-MAX_KEPT:], timeout=_KEEP_SECONDS)


def sessions(sandbox_id: str) -> list[credentials.SessionCredentials]:
    """Newest first; those lost with a reset (credentials.forget_all) are skipped."""
    found = [credentials.get(sandbox_id, name) for name in cache.get(_index_key(sandbox_id), [])]
    return [c for c in reversed(found) if c is not None]


def get(sandbox_id: str, name: str) -> credentials.SessionCredentials | None:
    return credentials.get(sandbox_id, name) if name in cache.get(_index_key(sandbox_id), []) else None


def _session_prefix(role_arn: str) -> str:
    """Role ARN arn:aws:iam::ACCT:role/NAME -> the prefix of its session ARNs, arn:aws:sts::ACCT:assumed-role/NAME/."""
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    return f"arn:aws:sts::{account}:assumed-role/{name}/"


def sessions_of_role(sandbox, role_arn: str) -> list[credentials.SessionCredentials]:
    """Kept sessions of this role."""
    prefix = _session_prefix(role_arn)
    return [c for c in sessions(sandbox.id) if c.arn.startswith(prefix)]


def forget_roles(sandbox_id: str, role_arns: list[str]) -> int:
    """Stop offering the sessions of these roles (a challenge was reset: its sessions are not the new round's).
    Returns how many were dropped."""
    prefixes = tuple(_session_prefix(arn) for arn in role_arns)
    if not prefixes:
        return 0
    names = cache.get(_index_key(sandbox_id), [])
    dropped = [n for n in names if (c := credentials.get(sandbox_id, n)) is not None and c.arn.startswith(prefixes)]
    if dropped:
        cache.set(_index_key(sandbox_id), [n for n in names if n not in dropped], timeout=_KEEP_SECONDS)
    return len(dropped)
