"""Sessions the learner obtained or used in the console, kept so the credentials picker offers them and checkers can
call AWS with them: rows marked `in_console` (sandboxes.models.KeptSession, no secrets; the secret as
sandboxes.credentials keeps it: cached, rebuilt from the engine on a miss)."""
from __future__ import annotations

from sandboxes import credentials
from sandboxes.models import KeptSession

MAX_KEPT = 20


def keep(sandbox_id: str, creds: credentials.SessionCredentials) -> None:
    credentials.keep(sandbox_id, creds, in_console=True)
    older = KeptSession.objects.filter(sandbox_id=sandbox_id, in_console=True).order_by("-kept_at", "-id")
    stale = list(older.values_list("id", flat=True)[MAX_KEPT:])
    if stale:
        KeptSession.objects.filter(id__in=stale).delete()


def _rows(sandbox_id: str):
    return KeptSession.objects.filter(sandbox_id=sandbox_id, in_console=True).order_by("-kept_at", "-id")


def sessions(sandbox_id: str) -> list[credentials.SessionCredentials]:
    """Newest first; those the engine no longer knows (a reset, a restart) are skipped."""
    found = [credentials.credentials_of(row) for row in _rows(sandbox_id)]
    return [c for c in found if c is not None]


def get(sandbox_id: str, name: str) -> credentials.SessionCredentials | None:
    row = _rows(sandbox_id).filter(name=name).first()
    return credentials.credentials_of(row) if row is not None else None


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
    dropped = [row.id for row in _rows(sandbox_id) if row.arn.startswith(prefixes)]
    KeptSession.objects.filter(id__in=dropped).delete()
    return len(dropped)
