"""The learner's current temporary credentials, per sandbox, kept in the cache (process memory by default).

They live as long as the engine's own session store does (it is in memory too): after a restart both are gone and
the learner simply assumes the role again. The database never holds session secrets.
"""
from __future__ import annotations

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


def _key(sandbox_id: str, name: str) -> str:
    return f"creds:{sandbox_id}:{name}"


def _index_key(sandbox_id: str) -> str:
    return f"creds-index:{sandbox_id}"


def keep(sandbox_id: str, creds: SessionCredentials) -> None:
    cache.set(_key(sandbox_id, creds.name), asdict(creds), timeout=None)
    names = set(cache.get(_index_key(sandbox_id), ()))
    names.add(creds.name)
    cache.set(_index_key(sandbox_id), sorted(names), timeout=None)


def get(sandbox_id: str, name: str) -> SessionCredentials | None:
    data = cache.get(_key(sandbox_id, name))
    return SessionCredentials(**data) if data else None


def forget_all(sandbox_id: str) -> None:
    for name in cache.get(_index_key(sandbox_id), ()):
        cache.delete(_key(sandbox_id, name))
    cache.delete(_index_key(sandbox_id))
