"""What the STS operations answer, as dataclasses (issue 24): the dialect writes them (`members()` gives the output
members as botocore's sts model names them, [STS-MODEL] *Response shapes), CloudTrail records the same members.

Field names are the members' in snake case (`access_key_id` is `AccessKeyId`); a member that is None is left out, as
AWS leaves out an optional member it has no value for (PackedPolicySize without session policies or tags).
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.sts.sessions import IssuedSession

__all__ = ["StsResult", "Credentials", "AssumedRoleUser", "FederatedUser", "CallerIdentity", "RoleSessionResult",
           "SessionTokenResult", "FederationTokenResult", "AccessKeyInfoResult", "DecodedMessageResult",
           "member_name"]


@functools.lru_cache(maxsize=None)
def member_name(field_name: str) -> str:
    """`assumed_role_id` -> `AssumedRoleId`: the STS model's member names are the fields' words capitalised."""
    return "".join(word[:1].upper() + word[1:] for word in field_name.split("_"))


@functools.lru_cache(maxsize=None)
def _plan(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """(field, member name, merged) for each field of a result dataclass: worked out once per class."""
    return tuple((item.name, member_name(item.name), bool(item.metadata.get("merged")))
                 for item in dataclasses.fields(cls))


def _members(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for name, member, merged in _plan(type(value)):
            item = getattr(value, name)
            if merged:
                out.update(item)
            elif item is not None:
                out[member] = _members(item)
        return out
    return value


class StsResult:
    """Base of every operation's result."""

    def members(self) -> dict[str, Any]:
        members: dict[str, Any] = _members(self)
        return members


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime

    @classmethod
    def of(cls, session: IssuedSession) -> Credentials:
        return cls(session.access_key_id, session.secret_access_key, session.session_token, session.expires_at)


@dataclass(frozen=True)
class AssumedRoleUser:
    arn: str
    assumed_role_id: str


@dataclass(frozen=True)
class FederatedUser:
    federated_user_id: str
    arn: str


@dataclass(frozen=True)
class CallerIdentity(StsResult):
    user_id: str
    account: str
    arn: str


@dataclass(frozen=True)
class RoleSessionResult(StsResult):
    """AssumeRole, and the role session part of AssumeRoleWithSAML / AssumeRoleWithWebIdentity, whose own members
    (Subject, Issuer, Audience, Provider ...) come from the token's validation (`federation`)."""
    credentials: Credentials
    assumed_role_user: AssumedRoleUser
    packed_policy_size: int | None = None
    source_identity: str | None = None
    federation: dict[str, Any] = field(default_factory=dict, metadata={"merged": True})

    def with_federation(self, members: dict[str, Any]) -> RoleSessionResult:
        return dataclasses.replace(self, federation={**self.federation, **members})


@dataclass(frozen=True)
class SessionTokenResult(StsResult):
    credentials: Credentials


@dataclass(frozen=True)
class FederationTokenResult(StsResult):
    credentials: Credentials
    federated_user: FederatedUser
    packed_policy_size: int | None = None


@dataclass(frozen=True)
class AccessKeyInfoResult(StsResult):
    account: str


@dataclass(frozen=True)
class DecodedMessageResult(StsResult):
    decoded_message: str
