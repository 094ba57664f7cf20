"""The global condition keys AWS puts in every request context (IAM User Guide:
reference_policies_condition-keys), built from the caller and the request metadata."""
from __future__ import annotations

from datetime import datetime, timezone

from .model import Principal

_PRINCIPAL_TYPE = {"user": "User", "root": "Account", "assumed-role": "AssumedRole",
                   "federated-user": "FederatedUser", "anonymous": "Anonymous"}


def iso8601(dt: datetime) -> str:
    """aws:CurrentTime style: 2024-05-01T12:00:00Z."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def global_context(principal: Principal, *, now: datetime, source_ip: str | None = None,
                   secure_transport: bool | None = True, temporary: bool | None = None,
                   mfa_authenticated_at: datetime | None = None, token_issued_at: datetime | None = None,
                   source_identity: str | None = None, principal_tags: dict[str, str] | None = None,
                   principal_org_id: str | None = None, user_agent: str | None = None,
                   requested_region: str | None = None, via_aws_service: bool = False,
                   extra: dict[str, str | list[str]] | None = None) -> dict[str, str | list[str]]:
    """Build the standard global keys for a request by `principal`.

    - aws:PrincipalArn is the *role* ARN for a role session (not the session ARN).
    - aws:username exists only for IAM users (so `${aws:username}` fails to resolve for sessions).
    - aws:MultiFactorAuthPresent exists only for temporary credentials ("true"/"false"); long-term access keys
      have no such key, which is why `BoolIfExists` admits them. aws:MultiFactorAuthAge exists only when MFA
      was used. temporary defaults to "the caller is a session" (assumed-role or federated-user).
    - aws:TokenIssueTime exists only for temporary credentials.
    - principal tags: the user's or role's tags overlaid with session tags - pass the merged dict (or put
      them on principal.tags).
    """
    ctx: dict[str, str | list[str]] = {}
    kind = principal.kind
    if temporary is None:
        temporary = kind in ("assumed-role", "federated-user")
    if principal.is_iam:
        ctx["aws:PrincipalArn"] = principal.role_arn if (kind == "assumed-role" and principal.role_arn) \
            else principal.arn
        if principal.account:
            ctx["aws:PrincipalAccount"] = principal.account
        ctx["aws:PrincipalIsAWSService"] = "false"
    if kind in _PRINCIPAL_TYPE:
        ctx["aws:PrincipalType"] = _PRINCIPAL_TYPE[kind]
    if kind == "service":
        ctx["aws:PrincipalIsAWSService"] = "true"
        if principal.service:
            ctx["aws:PrincipalServiceName"] = principal.service
    if principal.userid:
        ctx["aws:userid"] = principal.userid
    if kind == "user" and principal.username:
        ctx["aws:username"] = principal.username
    tags = dict(principal.tags)
    if principal_tags:
        # session tags override same-named role/user tags regardless of case (id_session-tags)
        lowered = {k.lower(): k for k in tags}
        for k, v in principal_tags.items():
            if k.lower() in lowered:
                del tags[lowered[k.lower()]]
            tags[k] = v
    for k, v in tags.items():
        ctx[f"aws:PrincipalTag/{k}"] = v
    if principal_org_id:
        ctx["aws:PrincipalOrgID"] = principal_org_id
    if temporary and principal.is_iam:
        ctx["aws:MultiFactorAuthPresent"] = "true" if mfa_authenticated_at else "false"
    if mfa_authenticated_at is not None:
        ctx["aws:MultiFactorAuthAge"] = str(max(0, int((now - mfa_authenticated_at).total_seconds())))
    if temporary and token_issued_at is not None:
        ctx["aws:TokenIssueTime"] = iso8601(token_issued_at)
    ctx["aws:CurrentTime"] = iso8601(now)
    ctx["aws:EpochTime"] = str(int(now.timestamp()))
    if source_ip:
        ctx["aws:SourceIp"] = source_ip
    if secure_transport is not None:
        ctx["aws:SecureTransport"] = "true" if secure_transport else "false"
    if source_identity:
        ctx["aws:SourceIdentity"] = source_identity
    if user_agent:
        ctx["aws:UserAgent"] = user_agent
    if requested_region:
        ctx["aws:RequestedRegion"] = requested_region
    ctx["aws:ViaAWSService"] = "true" if via_aws_service else "false"
    if extra:
        ctx.update(extra)
    return ctx
