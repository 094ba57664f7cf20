"""The learner's current temporary credentials, per sandbox and name ("audit-session").

Nothing here can be lost to a cache: which key a named session is (and what its card shows) is a row
(models.KeptSession, no secret); the secret and token stay where they are authoritative, in the engine's
CredentialStore that issued them and verifies signatures with them. The web caches them (the default cache: process
memory, or Redis with several processes) and, on a miss (an LRU eviction, a Redis restart), asks the engine again
through its typed port (`lab().session_secret`). So the credentials live exactly as long as the engine's session
does: a restarted one-process lab or a dead gateway forgets its sessions (the learner assumes the role again); a
full cache or a restarted Redis forgets nothing. The database never holds session secrets.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

from .labclient import lab
from .models import KeptSession

log = logging.getLogger(__name__)

_CACHE_SECONDS = 2 * 86400  # longer than any STS session (GetSessionToken allows 36 hours)


@dataclass
class SessionCredentials:
    name: str                 # what the scenario calls them, e.g. "audit-session"
    label: str                # shown on the card, e.g. "SecureCart-AuditRole session"
    arn: str                  # the assumed-role ARN the credentials act as
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str           # ISO 8601, UTC
    issued_by: str = "AssumeRole"
    origin: str = ""          # the step page that issues them ("assume again" goes there)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromisoformat(self.expiration)

    def as_client_kwargs(self) -> dict[str, str]:
        return {"access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key,
                "session_token": self.session_token}


def _secret_key(access_key_id: str) -> str:
    return f"session-secret:{access_key_id}"


def keep(sandbox_id: str, creds: SessionCredentials, *, in_console: bool = False) -> None:
    """Remember these credentials under their name (replacing that name's previous ones)."""
    fields = {"label": creds.label, "arn": creds.arn, "access_key_id": creds.access_key_id,
              "expiration": creds.expiration, "issued_by": creds.issued_by, "origin": creds.origin}
    if in_console:
        fields["in_console"] = True
    KeptSession.objects.update_or_create(sandbox_id=sandbox_id, name=creds.name, defaults=fields)
    cache.set(_secret_key(creds.access_key_id), (creds.secret_access_key, creds.session_token),
              timeout=_CACHE_SECONDS)


def _secret(sandbox_id: str, access_key_id: str) -> tuple[str, str] | None:
    cached = cache.get(_secret_key(access_key_id))
    if cached is not None:
        return cached[0], cached[1]
    found = lab().session_secret(sandbox_id, access_key_id)
    if found is None:       # the engine forgot the session (a restart, a dead gateway, a reset): gone for good
        return None
    log.info("session secret of %s rebuilt from the engine (cache miss)", access_key_id)
    pair = (found.secret_access_key, found.session_token)
    cache.set(_secret_key(access_key_id), pair, timeout=_CACHE_SECONDS)
    return pair


def credentials_of(row: KeptSession) -> SessionCredentials | None:
    """The full credentials of a kept row, or None when the engine no longer knows the session."""
    secret = _secret(row.sandbox_id, row.access_key_id)
    if secret is None:
        return None
    return SessionCredentials(name=row.name, label=row.label, arn=row.arn, access_key_id=row.access_key_id,
                              secret_access_key=secret[0], session_token=secret[1], expiration=row.expiration,
                              issued_by=row.issued_by, origin=row.origin)


def get(sandbox_id: str, name: str) -> SessionCredentials | None:
    try:   # get(), not first(): (sandbox, name) is unique, and first()'s ORDER BY was a fifth of this lookup
        row = KeptSession.objects.get(sandbox_id=sandbox_id, name=name)
    except KeptSession.DoesNotExist:
        return None
    return credentials_of(row)


def forget_all(sandbox_id: str) -> None:
    """Reset, a rebuild on another gateway: the sandbox's sessions are gone with the memory that issued them."""
    KeptSession.objects.filter(sandbox_id=sandbox_id).delete()
