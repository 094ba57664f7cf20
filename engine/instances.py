"""Instance-role credentials as EC2 hands them out, and IMDSv2 session tokens — pure Python, no moto, no STS.

EC2 gives an instance temporary credentials for the role in its instance profile through the instance metadata
service, and replaces them on its own. AWS's wording (EC2 User Guide, "Retrieve security credentials from instance
metadata"): "These security credentials are temporary and we rotate them automatically. We make new credentials
available at least five minutes before the expiration of the old credentials."

So for one instance the lab keeps a list of *generations*: each one is a real session issued by the engine (through a
callback, see `InstanceCredentials.serve`), with its own issue and expiry time. The metadata service always serves
the newest generation; a new one is issued once the newest is `refresh_every` old or within `min_lead` of expiry,
whichever comes first. Older generations are not revoked: old and new overlap and each works until its own expiry,
which is why an application that cached the previous credentials keeps working.

AWS does not document the lifetime or refresh interval; the defaults (6 h lifetime, refreshed hourly) are what users
observe (JuliaCloud/AWS.jl#57: "instance credentials tend to expire after about 6.5 hours, but new credentials are
rotated in every hour or so"). The one documented rule — new credentials at least five minutes before expiry — is
enforced by `RotationPolicy`.

AWS refreshes in the background; the lab refreshes when the instance next asks (and when a page draws the timeline),
so after a long fast-forward the timeline shows the gap honestly instead of inventing back-dated sessions.

Detaching the instance profile (DisassociateIamInstanceProfile) stops new credentials: the metadata service answers
404 for iam/security-credentials/. Credentials already handed out stay valid until they expire (AWS does not revoke
them; "Revoke active sessions" on the role would).
"""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

FIVE_MINUTES = 300
ROTATION_DOC = ("We make new credentials available at least five minutes before the expiration of the old "
                "credentials. (Amazon EC2 User Guide, Retrieve security credentials from instance metadata)")

# IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds between 1 and 21,600 (six hours).
TOKEN_TTL_MIN = 1
TOKEN_TTL_MAX = 21600


def iso_z(moment: datetime) -> str:
    """IMDS writes times as 2020-11-04T19:38:27Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RotationPolicy:
    lifetime_seconds: int = 6 * 3600
    refresh_every_seconds: int = 3600
    min_lead_seconds: int = FIVE_MINUTES

    def __post_init__(self) -> None:
        if self.min_lead_seconds < FIVE_MINUTES:
            raise ValueError("EC2 makes new credentials available at least five minutes before expiry")
        if not 0 < self.refresh_every_seconds <= self.lifetime_seconds - self.min_lead_seconds:
            raise ValueError("credentials must be refreshed at least min_lead_seconds before they expire")
        if self.lifetime_seconds < 900:
            raise ValueError("STS sessions last at least 900 seconds")


@dataclass(frozen=True)
class IssuedCredentials:
    """What the engine's STS hook hands back for one service-role session."""
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime

    @classmethod
    def from_any(cls, value: Any) -> IssuedCredentials:
        """Accept the STS result shape ({"Credentials": {...}} or the Credentials dict) or an object with attributes."""
        if isinstance(value, IssuedCredentials):
            return value
        if isinstance(value, dict):
            creds = value.get("Credentials", value)
            return cls(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"],
                       _as_datetime(creds["Expiration"]))
        for holder in (getattr(value, "credentials", None), value):
            if holder is not None and hasattr(holder, "access_key_id"):
                return cls(holder.access_key_id, holder.secret_access_key,
                           getattr(holder, "session_token", None) or getattr(holder, "token"),
                           _as_datetime(getattr(holder, "expiration", None) or getattr(holder, "expires_at")))
        raise TypeError(f"cannot read credentials from {type(value).__name__}")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class CredentialGeneration:
    number: int
    role_arn: str
    credentials: IssuedCredentials
    issued_at: datetime

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def expires_at(self) -> datetime:
        return self.credentials.expiration

    def is_valid(self, now: datetime) -> bool:
        return now < self.expires_at

    def imds_document(self) -> dict[str, str]:
        """The JSON body of GET /latest/meta-data/iam/security-credentials/<role>."""
        return {
            "Code": "Success",
            "LastUpdated": iso_z(self.issued_at),
            "Type": "AWS-HMAC",
            "AccessKeyId": self.credentials.access_key_id,
            "SecretAccessKey": self.credentials.secret_access_key,
            "Token": self.credentials.session_token,
            "Expiration": iso_z(self.expires_at),
        }


IssueCallback = Callable[[str, int], Any]   # (role_arn, duration_seconds) -> credentials (any shape from_any reads)


@dataclass
class TimelineEvent:
    at: datetime
    kind: str           # issued | detached | attached
    detail: str


class InstanceCredentials:
    """The credential generations of one instance. Not thread-safe on its own: InstanceRegistry holds the lock."""

    def __init__(self, instance_id: str, policy: RotationPolicy | None = None) -> None:
        self.instance_id = instance_id
        self.policy = policy or RotationPolicy()
        self.generations: list[CredentialGeneration] = []
        self.events: list[TimelineEvent] = []
        self._attached_role: str | None = None

    @property
    def latest(self) -> CredentialGeneration | None:
        return self.generations[-1] if self.generations else None

    def refresh_due_at(self) -> datetime | None:
        """When the newest generation stops being the one served."""
        latest = self.latest
        if latest is None:
            return None
        by_interval = latest.issued_at + timedelta(seconds=self.policy.refresh_every_seconds)
        by_lead = latest.expires_at - timedelta(seconds=self.policy.min_lead_seconds)
        return min(by_interval, by_lead)

    def needs_new(self, now: datetime, role_arn: str) -> bool:
        latest = self.latest
        if latest is None or latest.role_arn != role_arn:
            return True
        return now >= self.refresh_due_at()  # type: ignore[operator]

    def note_role(self, now: datetime, role_arn: str | None) -> None:
        """Record attach/detach as the metadata service sees them (for the timeline)."""
        if role_arn == self._attached_role:
            return
        if role_arn is None:
            self.events.append(TimelineEvent(now, "detached", f"instance profile removed (role "
                                             f"{(self._attached_role or '').rsplit('/', 1)[-1]}): no new credentials"))
        else:
            self.events.append(TimelineEvent(now, "attached", f"instance profile with role "
                                                              f"{role_arn.rsplit('/', 1)[-1]}"))
        self._attached_role = role_arn

    def serve(self, now: datetime, role_arn: str, issue: IssueCallback) -> CredentialGeneration:
        """The credentials the metadata service hands out at `now`, issuing a new generation when due."""
        self.note_role(now, role_arn)
        if self.needs_new(now, role_arn):
            issued = IssuedCredentials.from_any(issue(role_arn, self.policy.lifetime_seconds))
            generation = CredentialGeneration(len(self.generations) + 1, role_arn, issued, now)
            self.generations.append(generation)
            self.events.append(TimelineEvent(now, "issued", f"generation {generation.number} "
                                                            f"({issued.access_key_id}) valid until {iso_z(issued.expiration)}"))
        return self.latest  # type: ignore[return-value]

    def valid_generations(self, now: datetime) -> list[CredentialGeneration]:
        return [g for g in self.generations if g.is_valid(now)]

    def timeline(self, now: datetime) -> list[dict[str, Any]]:
        """Generations for the page: number, key, issue/expiry, state (served | still-valid | expired)."""
        latest = self.latest
        rows = []
        for generation in self.generations:
            if not generation.is_valid(now):
                state = "expired"
            elif generation is latest and self._attached_role is not None:
                state = "served"
            else:
                state = "still-valid"
            rows.append({
                "number": generation.number, "role": generation.role_name,
                "access_key_id": generation.credentials.access_key_id,
                "issued_at": generation.issued_at, "expires_at": generation.expires_at,
                "issued_at_iso": iso_z(generation.issued_at), "expires_at_iso": iso_z(generation.expires_at),
                "state": state,
                "seconds_left": max(0, int((generation.expires_at - now).total_seconds())),
            })
        return rows


@dataclass
class ImdsToken:
    value: str
    instance_id: str
    expires_at: datetime


class ImdsTokens:
    """IMDSv2 session tokens, each bound to the instance that asked for it."""

    def __init__(self) -> None:
        self._tokens: dict[str, ImdsToken] = {}

    def issue(self, instance_id: str, ttl_seconds: int, now: datetime) -> ImdsToken:
        if not TOKEN_TTL_MIN <= ttl_seconds <= TOKEN_TTL_MAX:
            raise ValueError(f"token TTL must be between {TOKEN_TTL_MIN} and {TOKEN_TTL_MAX} seconds")
        self._drop_expired(now)
        token = ImdsToken("AQAEA" + secrets.token_urlsafe(42), instance_id, now + timedelta(seconds=ttl_seconds))
        self._tokens[token.value] = token
        return token

    def check(self, instance_id: str, value: str, now: datetime) -> str:
        """'ok', 'expired', 'other-instance' or 'unknown'."""
        token = self._tokens.get(value)
        if token is None:
            return "unknown"
        if token.instance_id != instance_id:
            return "other-instance"
        if now >= token.expires_at:
            return "expired"
        return "ok"

    def _drop_expired(self, now: datetime) -> None:
        if len(self._tokens) > 256:
            for value in [v for v, t in self._tokens.items() if now >= t.expires_at]:
                del self._tokens[value]


@dataclass
class InstanceState:
    sandbox_id: str
    instance_id: str
    credentials: InstanceCredentials
    tokens: ImdsTokens = field(default_factory=ImdsTokens)


class InstanceRegistry:
    """Per-process store of every instance's credential generations and IMDS tokens, keyed by (sandbox, instance)."""

    def __init__(self, policy: RotationPolicy | None = None) -> None:
        self.policy = policy or RotationPolicy()
        self.lock = threading.RLock()
        self._states: dict[tuple[str, str], InstanceState] = {}

    def state(self, sandbox_id: str, instance_id: str) -> InstanceState:
        with self.lock:
            key = (sandbox_id, instance_id)
            if key not in self._states:
                self._states[key] = InstanceState(sandbox_id, instance_id, InstanceCredentials(instance_id, self.policy))
            return self._states[key]

    def existing(self, sandbox_id: str, instance_id: str) -> InstanceState | None:
        with self.lock:
            return self._states.get((sandbox_id, instance_id))

    def forget_sandbox(self, sandbox_id: str) -> None:
        with self.lock:
            for key in [k for k in self._states if k[0] == sandbox_id]:
                del self._states[key]
