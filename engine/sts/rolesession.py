"""The steps of issuing a role session (AssumeRole, AssumeRoleWithSAML / WithWebIdentity, a service's role
credentials), each a small function with its own tests (tests/engine/test_role_session_steps.py); StsService's
issue_role_session runs them in order. Citations as in engine/sts/service.py.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from engine.directory import PolicyText, RoleInfo
from engine.errors import AwsError, MalformedPolicyDocument, ValidationError
from engine.policy import NamedPolicy
from engine.sts import ids
from engine.sts.caller import Caller, RequestMeta, principal_context
from engine.sts.policies import named
from engine.sts.sessions import IssuedSession
from engine.sts.validation import constraint_error

log = logging.getLogger(__name__)

DEFAULT_ROLE_DURATION = 3600            # [STS-MODEL] AssumeRole DurationSeconds default
CHAINED_MAX_DURATION = 3600             # [UG:id_roles_terms-and-concepts] role chaining: 1 hour
CHAINING_MESSAGE = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
MAX_SESSION_MESSAGE = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


class InvalidParameterValue(AwsError):
    code = "InvalidParameterValue"
    status = 400
    sender_fault = True


# Wire answers recorded against real AWS (an outside corpus of AWS-validated snapshots, issue 25): the session tag
# rules answer InvalidParameterValue, not ValidationError.
DUPLICATE_TAGS_MESSAGE = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
TRANSITIVE_NOT_TAGGED_MESSAGE = "The specified transitive tag key must be included in the requested tags."
TRANSITIVE_CONFLICT_MESSAGE = ("One of the specified transitive tag keys can't be set because it conflicts with a "
                               "transitive tag key from the calling session.")

@dataclass(frozen=True)
class RoleSessionRequest:
    """Who asks for a session of which role, and how. `caller` is None for federation and service principals;
    `deny_error(action)` is the refusal in the operation's words; `duration_cap` (e.g. SAML's SessionNotOnOrAfter)
    and `service` (a service's credentials are not capped by MaxSessionDuration) shape the duration;
    `session_extra` is kept on the session (the federation keys for later hops)."""
    caller: Caller | None
    sandbox_id: str | None
    role_arn: str
    session_name: str
    principal: Any                                   # engine.policy.Principal
    action: str                                      # sts:AssumeRole | sts:AssumeRoleWithSAML | ...WithWebIdentity
    params: dict[str, Any]
    meta: RequestMeta
    mfa_time: datetime | None
    origin: str
    deny_error: Callable[[str], AwsError]
    extra_context: dict[str, Any] = field(default_factory=dict)
    duration_cap: int | None = None
    service: str | None = None
    federated_provider: str | None = None
    session_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def role_account(self) -> str | None:
        return self.role_arn.split(":")[4] if self.role_arn.count(":") >= 5 else None

    @property
    def parent(self) -> IssuedSession | None:
        return self.caller.session if self.caller is not None else None

    @property
    def chained(self) -> bool:
        return self.caller is not None and self.caller.is_role_session

    @property
    def one_hour_cap(self) -> bool:
        """The 1-hour cap binds role chaining, and also AssumeRole signed with GetSessionToken credentials: AWS
        Knowledge Center "iam-role-chaining-limit" ("Users that use MFA with the AWS CLI use temporary credentials
        to assume another role. The temporary credentials use the AWS STS GetSessionToken API and are limited to 1
        hour"), wire text observed in [GH:mmmorris1975/aws-runas#11]. Instance-profile credentials are role
        sessions, so they are capped too (observed: gitlab-org/gitlab-runner#38370); only the instance's own
        session is not."""
        return self.chained or (self.caller is not None and self.caller.is_session_token)

    @property
    def inherited_tags(self) -> dict[str, str]:
        return self.parent.transitive_tags() if self.parent is not None else {}

    @property
    def inherited_source_identity(self) -> str | None:
        return self.parent.source_identity if self.parent is not None else None


@dataclass(frozen=True)
class SessionTags:
    requested: dict[str, str]                # the call's Tags (keys case-preserving)
    transitive: list[str]                    # the call's TransitiveTagKeys
    inherited: dict[str, str]                # the calling session's transitive tags


def session_tags(params: dict[str, Any], inherited: dict[str, str]) -> SessionTags:
    """The call's session tags checked against the transitive keys and what the calling session passes on
    [UG:id_session-tags]. Keys are case-insensitive but case-preserving [STS-MODEL AssumeRole.Tags]."""
    tags: dict[str, str] = {}
    for tag in params.get("Tags") or []:
        key = tag["Key"]
        if key.lower() in {k.lower() for k in tags}:
            raise InvalidParameterValue(DUPLICATE_TAGS_MESSAGE)     # AWS's answer (outside corpus, issue 25)
        tags[key] = tag.get("Value", "")
    transitive = list(params.get("TransitiveTagKeys") or [])
    for key in transitive:
        if key.lower() not in {k.lower() for k in tags}:
            raise InvalidParameterValue(TRANSITIVE_NOT_TAGGED_MESSAGE)
    for key in tags:
        if key.lower() in {k.lower() for k in inherited}:
            # [STS-MODEL AssumeRole.Tags]: "If you pass a session tag with the same key as an inherited tag, the
            # operation fails."
            raise InvalidParameterValue(TRANSITIVE_CONFLICT_MESSAGE)
    return SessionTags(tags, transitive, inherited)


@dataclass(frozen=True)
class SourceIdentity:
    requested: str | None                    # on this call (only the request that sets it carries the key)
    inherited: str | None                    # from the calling session, which fixes it for every later hop

    @property
    def effective(self) -> str | None:
        return self.inherited or self.requested


def source_identity(requested: str | None, inherited: str | None) -> SourceIdentity:
    """The session's source identity [UG:id_credentials_temp_control-access_monitor]: set once, then carried along
    a chain unchanged; the `aws:` prefix is reserved."""
    if requested is not None and requested.lower().startswith("aws:"):
        raise ValidationError(constraint_error(requested, "sourceIdentity",
                                               "Member must not begin with the reserved prefix aws:"))
    if inherited and requested is not None and requested != inherited:
        raise ValidationError("The source identity cannot be changed: the calling session already carries "
                              f"source identity '{inherited}'.")
    return SourceIdentity(requested, inherited)


def trust_context(request: RoleSessionRequest, now: datetime, role: RoleInfo | None,
                  tags: SessionTags) -> dict[str, Any]:
    """The request context the trust policy is evaluated with: the caller's keys, sts:RoleSessionName,
    sts:ExternalId, sts:SourceIdentity, sts:TransitiveTagKeys, aws:RequestTag/*, aws:TagKeys, aws:ResourceTag/* (the
    role's tags, overridden by inherited transitive tags), MFA presence and age, and the federation's keys."""
    params = request.params
    context = principal_context(request.caller, now, request.meta)
    if request.caller is None:
        context.pop("aws:PrincipalArn", None)
    context["sts:RoleSessionName"] = request.session_name
    if params.get("ExternalId") is not None:
        context["sts:ExternalId"] = params["ExternalId"]
    if params.get("SourceIdentity") is not None:
        context["sts:SourceIdentity"] = params["SourceIdentity"]       # only on the request that sets it
    if tags.transitive:
        context["sts:TransitiveTagKeys"] = list(tags.transitive)
    for key, value in tags.requested.items():
        context[f"aws:RequestTag/{key}"] = value
    if tags.requested:
        context["aws:TagKeys"] = list(tags.requested)
    for key, value in merged_tags(role.tags if role else {}, tags.inherited).items():
        context[f"aws:ResourceTag/{key}"] = value
    if request.mfa_time is not None:
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = str(max(0, int((now - request.mfa_time).total_seconds())))
    context.update(request.extra_context)
    return context


def merged_tags(base: dict[str, str], *overrides: dict[str, str]) -> dict[str, str]:
    """`base` with each override's keys replacing the same key in any case (tag keys are case-insensitive)."""
    merged = dict(base)
    for override in overrides:
        for key, value in override.items():
            for existing in [k for k in merged if k.lower() == key.lower()]:
                del merged[existing]
            merged[key] = value
    return merged


def trust_policy(role: RoleInfo | None) -> tuple[Any | None, str]:
    """The role's trust policy, parsed, and a diagnostic: a stored trust policy the lab cannot read trusts nobody,
    and says so (the Decision's explanation and the log carry the parser's message, line and column), instead of
    denying as if the policy simply did not name the caller. IAM refuses such documents when they are written, so
    only a document stored around its checks gets here."""
    if role is None:
        return None, ""
    try:
        return named(f"{role.name} trust policy", role.trust_policy, "trust", "trust"), ""
    except MalformedPolicyDocument as error:
        where = f" at line {error.line}, column {error.column}" if error.line and "(at line" not in error.message \
            else ""
        diagnostic = (f"the stored trust policy of role {role.name} could not be read ({error.message}{where}), "
                      "so it trusts nobody")
        log.warning("%s (%s)", diagnostic, role.arn)
        # still handed to the authorizer: it allows nothing and is reported in Decision.errors (never raised)
        return NamedPolicy(name=f"{role.name} trust policy", document=None, source="trust",
                           error=f"the stored policy cannot be read: {error.message}"), diagnostic


def explain_unreadable_trust_policy(decision: Any, diagnostic: str) -> None:
    """Put the diagnostic first in the Decision's explanation (its steps and reason; the Decision keeps its shape)."""
    decision.steps = [diagnostic, *decision.steps]
    decision.reason = f"{diagnostic}; {decision.reason}" if decision.reason else diagnostic


def session_duration(request: RoleSessionRequest, role: RoleInfo) -> int:
    """DurationSeconds checked as AWS does [STS-MODEL], [UG:id_roles_use]: at most 1 hour when chained, at most the
    role's MaxSessionDuration otherwise (a service's own credentials excepted, [UG:reference_iam-quotas]), 1 hour by
    default; then within the request's cap (SAML's SessionNotOnOrAfter), at least 1 second."""
    requested = request.params.get("DurationSeconds")
    if request.one_hour_cap:
        if requested is not None and requested > CHAINED_MAX_DURATION:
            raise ValidationError(CHAINING_MESSAGE)
        duration = requested if requested is not None else min(DEFAULT_ROLE_DURATION, CHAINED_MAX_DURATION)
    elif request.service is not None:
        duration = requested if requested is not None else DEFAULT_ROLE_DURATION
    else:
        if requested is not None and requested > role.max_session_duration:
            raise ValidationError(MAX_SESSION_MESSAGE)
        duration = requested if requested is not None else DEFAULT_ROLE_DURATION
    if request.duration_cap is not None:
        duration = max(1, min(duration, request.duration_cap))
    return int(duration)


def role_session_arn(role: RoleInfo | None, role_arn: str, session_name: str) -> str:
    """arn:aws:sts::ACCT:assumed-role/ROLE_NAME/SESSION — the role *name*, never its path [UG:reference_identifiers]."""
    account = role.account if role else role_arn.split(":")[4]
    name = role.name if role else role_arn.rsplit("/", 1)[-1]
    return f"arn:aws:sts::{account}:assumed-role/{name}/{session_name}"


def new_role_session(request: RoleSessionRequest, role: RoleInfo, now: datetime, duration: int, tags: SessionTags,
                     source: str | None, policies: list[PolicyText]) -> IssuedSession:
    """The session, with fresh credentials: principal tags are the role's, then the inherited transitive ones, then
    the call's; transitive keys are the inherited ones plus the call's; MFA carries over a chain."""
    caller, parent = request.caller, request.parent
    return IssuedSession(
        access_key_id=ids.temporary_access_key_id(role.account), secret_access_key=ids.secret_access_key(),
        session_token=ids.session_token(), sandbox_id=request.sandbox_id or "", account=role.account,
        kind="assumed-role", origin=request.origin,
        arn=role_session_arn(role, request.role_arn, request.session_name),
        user_id=f"{role.role_id}:{request.session_name}", issued_at=now, expires_at=now + timedelta(seconds=duration),
        role_arn=role.arn, role_id=role.role_id, role_name=role.name, session_name=request.session_name,
        chain_depth=(parent.chain_depth + 1) if request.chained and parent else 0, chained=request.chained,
        parent_access_key_id=caller.access_key_id if caller else None,
        created_by_arn=caller.arn if caller else getattr(request.principal, "display", None),
        service=request.service, federated_provider=request.federated_provider,
        mfa_authenticated_at=request.mfa_time if request.mfa_time is not None else (caller.mfa if caller else None),
        mfa_serial=request.params.get("SerialNumber") or (parent.mfa_serial if parent else None),
        session_tags=tags.requested, principal_tags=merged_tags(role.tags, tags.inherited, tags.requested),
        transitive_tag_keys={k.lower() for k in tags.inherited} | {k.lower() for k in tags.transitive},
        source_identity=source, session_policies=policies, session_policy_present=bool(policies),
        extra=dict(request.session_extra),
    )
