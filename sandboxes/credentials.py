"""The learner's current temporary credentials, per sandbox, kept in the cache (process memory by default).

They live as long as the engine's own session store does (it is in memory too): after a restart both are gone and
the learner simply assumes the role again. The database never holds session secrets.
"""
from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.cache import cache


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


# Reset must drop every kept credential at once, from any web process, without a read-modify-write index that two
# processes could race on: entries live under a per-sandbox generation, and forgetting them all starts a new one.
_KEEP_SECONDS = 2 * 86400  # longer than any STS session (GetSessionToken allows 36 hours)


def _generation(sandbox_id: str) -> str:
    key = f"creds-gen:{sandbox_id}"
    generation = cache.get(key)
    if generation is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        generation = cache.get(key)
    return generation


def _key(sandbox_id: str, name: str) -> str:
    return f"creds:{sandbox_id}:{_generation(sandbox_id)}:{name}"


def keep(sandbox_id: str, creds: SessionCredentials) -> None:
    cache.set(_key(sandbox_id, creds.name), asdict(creds), timeout=_KEEP_SECONDS)


def get(sandbox_id: str, name: str) -> SessionCredentials | None:
    data = cache.get(_key(sandbox_id, name))
    return SessionCredentials(**data) if data else None


def forget_all(sandbox_id: str) -> None:
    cache.set(f"creds-gen:{sandbox_id}", secrets.token_hex(8), timeout=None)
