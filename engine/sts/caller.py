"""Who is calling: the authenticated Caller, the request metadata, and the global condition-key context.

Context keys follow [UG:reference_policies_condition-keys]:
- aws:MultiFactorAuthPresent is present only for requests signed with temporary credentials ("true" when the
  session was authenticated with MFA, else "false"); absent for long-term keys. aws:MultiFactorAuthAge only with MFA.
- aws:PrincipalArn is the *role* ARN for a role session; aws:userid is AROA...:session for it.
- aws:username exists only for IAM users; aws:TokenIssueTime only for temporary credentials.
- aws:PrincipalTag/* come from the user's or role's tags plus session tags.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Protocol

from engine.errors import InvalidClientTokenId
from engine.policy.model import Principal
from engine.sts.sessions import IssuedSession

# Wire messages. Unknown key / no token: with the full stop [GH:jrl84/amazon-sp-api#218 raw XML]; a session token
# that does not belong to the key: without it [GH:aws-azure-login/aws-azure-login#251 raw XML].
INVALID_KEY_MESSAGE = "The security token included in the request is invalid."
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid"
EXPIRED_MESSAGE = "The security token included in the request is expired"


@dataclass
class RequestMeta:
    source_ip: str = "127.0.0.1"
    secure_transport: bool = True
    request_id: str = ""
    user_agent: str = ""
    region: str = "us-east-1"

    @classmethod
    def coerce(cls, meta: Any) -> "RequestMeta":
        if meta is None:
            return cls()
        if isinstance(meta, cls):
            return meta
        if isinstance(meta, Mapping):
            return cls(**{k: v for k, v in meta.items() if k in cls.__dataclass_fields__})
        return cls(**{k: getattr(meta, k) for k in cls.__dataclass_fields__ if hasattr(meta, k)})


@dataclass
class Caller:
    """An authenticated request signer. `principal` is an engine.policy.Principal."""
    access_key_id: str
    secret_access_key: str
    principal: Any
    sandbox_id: str | None
    account: str
    session: IssuedSession | None = None
    is_long_term: bool = True
    mfa: datetime | None = None           # when MFA was proved (sandbox time), for aws:MultiFactorAuthAge
    user_name: str | None = None          # IAM user (long-term keys, GetSessionToken and GetFederationToken sessions)
    is_root: bool = False
    session_token: str | None = None
    user_tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return str(self.principal.arn)

    @property
    def kind(self) -> str:
        return str(self.principal.kind)

    @property
    def is_role_session(self) -> bool:
        return self.session is not None and self.session.kind == "assumed-role"

    @property
    def is_federated_user(self) -> bool:
        return self.session is not None and self.session.kind == "federated-user"

    @property
    def is_session_token(self) -> bool:
        """Credentials from GetSessionToken (same principal as the user/root, temporary keys)."""
        return self.session is not None and self.session.kind == "session-token"

    @property
    def principal_arn(self) -> str:
        """aws:PrincipalArn: the role ARN for a role session, else the caller ARN."""
        if self.is_role_session and self.session and self.session.role_arn:
            return self.session.role_arn
        return str(self.principal.arn)

    @property
    def principal_type(self) -> str:
        if self.is_role_session:
            return "AssumedRole"
        if self.is_federated_user:
            return "FederatedUser"
        return "Account" if self.is_root else "User"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def principal_context(caller: Caller | None, now: datetime, meta: RequestMeta) -> dict[str, str | list[str]]:
    """The global aws:* keys of a request made by `caller` at sandbox time `now`."""
    ctx: dict[str, str | list[str]] = {
        "aws:CurrentTime": iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true" if meta.secure_transport else "false",
        "aws:RequestedRegion": meta.region,
        "aws:ViaAWSService": "false",
        "aws:PrincipalIsAWSService": "false",
    }
    if meta.source_ip:
        ctx["aws:SourceIp"] = meta.source_ip
    if meta.user_agent:
        ctx["aws:UserAgent"] = meta.user_agent
    if caller is None:
        return ctx
    principal = caller.principal
    ctx["aws:PrincipalArn"] = caller.principal_arn
    ctx["aws:PrincipalAccount"] = caller.account
    ctx["aws:PrincipalType"] = caller.principal_type
    if principal.userid:
        ctx["aws:userid"] = principal.userid
    if principal.username and not caller.is_role_session and not caller.is_federated_user:
        ctx["aws:username"] = principal.username
    for key, value in (principal.tags or {}).items():
        ctx[f"aws:PrincipalTag/{key}"] = value
    session = caller.session
    if session is not None:
        ctx["aws:TokenIssueTime"] = iso(session.issued_at)
        ctx["aws:MultiFactorAuthPresent"] = "true" if caller.mfa is not None else "false"
        if session.source_identity:
            ctx["aws:SourceIdentity"] = session.source_identity
        if session.federated_provider:
            ctx["aws:FederatedProvider"] = session.federated_provider
        for key, value in session.extra.items():
            ctx.setdefault(key, value)
    if caller.mfa is not None:
        ctx["aws:MultiFactorAuthAge"] = str(max(0, int((now - caller.mfa).total_seconds())))
    return ctx


class UserLookup(Protocol):
    """What building a Caller reads of IAM: engine.directory.Directory.user (None when the user is gone)."""

    def user(self, account: str, name: str) -> Any: ...


def caller_for_key(key: Any, sandbox_id: str | None, users: UserLookup) -> Caller:
    """The Caller behind a long-term access key (engine.directory.AccessKeyInfo): root or an IAM user.
    A key whose user no longer exists is refused like an unknown key (InvalidClientTokenId)."""
    if key.is_root:
        principal = Principal(arn=f"arn:aws:iam::{key.account}:root", account=key.account, kind="root",
                              userid=key.account)
        return Caller(key.access_key_id, key.secret_access_key, principal, sandbox_id, key.account, is_root=True)
    user = users.user(key.account, key.user_name or "")
    if user is None:
        raise InvalidClientTokenId(INVALID_KEY_MESSAGE)
    principal = Principal(arn=user.arn, account=user.account, kind="user", userid=user.user_id,
                          username=user.name, tags=dict(user.tags))
    return Caller(key.access_key_id, key.secret_access_key, principal, sandbox_id, key.account,
                  user_name=user.name, user_tags=dict(user.tags))


def caller_for_session(session: IssuedSession, users: UserLookup) -> Caller:
    """The Caller behind an issued session: GetSessionToken (root or user), GetFederationToken, or a role session."""
    common: dict[str, Any] = dict(sandbox_id=session.sandbox_id, account=session.account, session=session, is_long_term=False,
                  mfa=session.mfa_authenticated_at, session_token=session.session_token)
    if session.kind == "session-token":
        if session.is_root:
            principal = Principal(arn=session.arn, account=session.account, kind="root", userid=session.account)
            return Caller(session.access_key_id, session.secret_access_key, principal, is_root=True, **common)
        user = users.user(session.account, session.user_name or "")
        tags = dict(user.tags) if user else dict(session.principal_tags)
        principal = Principal(arn=session.arn, account=session.account, kind="user", userid=session.user_id,
                              username=session.user_name, tags=tags)
        return Caller(session.access_key_id, session.secret_access_key, principal,
                      user_name=session.user_name, user_tags=tags, **common)
    if session.kind == "federated-user":
        principal = Principal(arn=session.arn, account=session.account, kind="federated-user",
                              userid=session.user_id, tags=dict(session.principal_tags))
        return Caller(session.access_key_id, session.secret_access_key, principal,
                      user_name=session.user_name, is_root=False, **common)
    principal = Principal(arn=session.arn, account=session.account, kind="assumed-role",
                          role_arn=session.role_arn, userid=session.user_id, tags=dict(session.principal_tags))
    return Caller(session.access_key_id, session.secret_access_key, principal, **common)
