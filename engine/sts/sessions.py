"""Issued sessions (temporary credentials) and the in-memory credential store.

Sessions live only in memory: the DB keeps progress, not secrets; learners assume roles again after a restart.
Expired sessions are kept for a while so that using them answers ExpiredToken (not InvalidClientTokenId), then
dropped; the store is bounded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterator

from engine.directory import PolicyText

# How long after expiry a session still answers ExpiredToken before it is forgotten (sandbox time).
EXPIRED_RETENTION = timedelta(days=2)
MAX_SESSIONS = 200_000


@dataclass
class IssuedSession:
    access_key_id: str
    secret_access_key: str
    session_token: str
    sandbox_id: str
    account: str                      # account of the session principal (the role's account for role sessions)
    kind: str                         # "assumed-role" | "session-token" | "federated-user"
    origin: str                       # AssumeRole | AssumeRoleWithSAML | AssumeRoleWithWebIdentity |
                                      # GetSessionToken | GetFederationToken | ServiceRole
    arn: str                          # assumed-role session ARN / user ARN (session-token) / federated-user ARN
    user_id: str                      # aws:userid: AROA...:session / AIDA... / ACCT:name
    issued_at: datetime
    expires_at: datetime
    role_arn: str | None = None
    role_id: str | None = None
    role_name: str | None = None
    session_name: str | None = None
    user_name: str | None = None      # IAM user behind session-token / federated-user sessions
    is_root: bool = False             # GetSessionToken called with root credentials
    chain_depth: int = 0              # 0: first hop; n: assumed with credentials of a role session n hops deep
    chained: bool = False             # came from a role session (role chaining: 1 hour cap)
    parent_access_key_id: str | None = None
    created_by_arn: str | None = None
    service: str | None = None        # "ec2.amazonaws.com" for instance-role sessions
    federated_provider: str | None = None
    mfa_authenticated_at: datetime | None = None
    mfa_serial: str | None = None
    session_tags: dict[str, str] = field(default_factory=dict)      # tags passed in (case preserved)
    principal_tags: dict[str, str] = field(default_factory=dict)    # role tags < inherited < session tags
    transitive_tag_keys: set[str] = field(default_factory=set)       # lowercased keys passed on to the next hop
    source_identity: str | None = None
    session_policies: list[PolicyText] = field(default_factory=list)
    session_policy_present: bool = False  # GetFederationToken without any session policy grants nothing
    extra: dict[str, Any] = field(default_factory=dict)              # federation context for aws:/saml:/oidc keys

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def transitive_tags(self) -> dict[str, str]:
        return {k: v for k, v in self.principal_tags.items() if k.lower() in self.transitive_tag_keys}

    def to_summary(self, now: datetime) -> dict[str, Any]:
        """JSON-safe view for the UI (no secrets)."""
        remaining = max(0, int((self.expires_at - now).total_seconds()))
        return {
            "access_key_id": self.access_key_id, "kind": self.kind, "origin": self.origin, "arn": self.arn,
            "account": self.account, "role_arn": self.role_arn, "session_name": self.session_name,
            "issued_at": _iso(self.issued_at), "expires_at": _iso(self.expires_at),
            "expired": self.is_expired(now), "seconds_remaining": remaining, "chain_depth": self.chain_depth,
            "chained": self.chained, "mfa": self.mfa_authenticated_at is not None,
            "tags": dict(self.principal_tags), "transitive_tag_keys": sorted(self.transitive_tag_keys),
            "source_identity": self.source_identity, "created_by": self.created_by_arn,
            "session_policies": [p.arn or p.name for p in self.session_policies],
        }


@dataclass(frozen=True)
class SessionSecret:
    """The secret parts of an issued session: what a web process needs to sign with it again after its own copy was
    lost (a cache eviction, a Redis restart); see engine.ports.SessionPort.session_secret."""
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: datetime


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class CredentialStore:
    """Sessions by access key id, with a per-sandbox index. Not locked itself: the Lab's lock guards it."""

    def __init__(self) -> None:
        self._by_key: dict[str, IssuedSession] = {}
        self._by_sandbox: dict[str, dict[str, IssuedSession]] = {}

    def add(self, session: IssuedSession) -> None:
        if len(self._by_key) >= MAX_SESSIONS:
            self._evict_oldest()
        self._by_key[session.access_key_id] = session
        self._by_sandbox.setdefault(session.sandbox_id, {})[session.access_key_id] = session

    def get(self, access_key_id: str) -> IssuedSession | None:
        return self._by_key.get(access_key_id)

    def sessions_of(self, sandbox_id: str) -> Iterator[IssuedSession]:
        return iter(list(self._by_sandbox.get(sandbox_id, {}).values()))

    def drop_sandbox(self, sandbox_id: str) -> int:
        sessions = self._by_sandbox.pop(sandbox_id, {})
        for key_id in sessions:
            self._by_key.pop(key_id, None)
        return len(sessions)

    def purge(self, sandbox_id: str, now: datetime) -> None:
        """Forget sessions that expired longer than EXPIRED_RETENTION ago (sandbox time)."""
        sessions = self._by_sandbox.get(sandbox_id, {})
        for key_id in [k for k, s in sessions.items() if now - s.expires_at > EXPIRED_RETENTION]:
            sessions.pop(key_id, None)
            self._by_key.pop(key_id, None)

    def __len__(self) -> int:
        return len(self._by_key)

    def _evict_oldest(self) -> None:
        oldest = min(self._by_key.values(), key=lambda s: s.expires_at)
        self._by_key.pop(oldest.access_key_id, None)
        self._by_sandbox.get(oldest.sandbox_id, {}).pop(oldest.access_key_id, None)
