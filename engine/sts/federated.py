"""AssumeRoleWithSAML and AssumeRoleWithWebIdentity: validate the token (engine.federation), then let the shared
StsService.issue_role_session evaluate the role's trust policy for the federated principal and issue the session.

Both calls are unsigned ("Calling AssumeRoleWithSAML does not require the use of AWS security credentials" [STS-MODEL]);
the caller, if any, is ignored. The provider lives in the ROLE's account (moto's IAM backend, read through the
Directory). The sandbox (and so the sandbox clock) is the one that owns the role's account.

Trust evaluation: principal kind "saml" / "web-identity" with `federated` = the provider ARN, so a trust policy
`"Principal": {"Federated": "arn:aws:iam::ACCT:saml-provider/NAME"}` matches; the saml:* / <host>:* keys from the
token go into the request context, and stay on the session (session.extra) for later requests and policy variables.
A trust policy that does not allow the call gives AccessDenied "Not authorized to perform sts:AssumeRoleWithSAML"
(observed: aws/aws-sdk-net #744) -- not InvalidIdentityToken.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Callable, Iterable, Protocol

from engine.errors import AccessDenied
from engine.federation.errors import FederationError, InvalidIdentityToken
from engine.federation.oidc import OidcProviderRecord, OidcValidation, validate_web_identity_token
from engine.federation.saml import SamlProviderRecord, SamlValidation, validate_saml_response
from engine.policy.model import Principal
from engine.sts.caller import Caller, RequestMeta
from engine.sts.results import RoleSessionResult, StsResult
from engine.sts.validation import validate

SAML_OPERATION = "AssumeRoleWithSAML"
WEB_IDENTITY_OPERATION = "AssumeRoleWithWebIdentity"


def federated_not_authorized(action: str) -> AccessDenied:
    # observed: "Not authorized to perform sts:AssumeRoleWithSAML" (aws/aws-sdk-net #744) and
    # "... sts:AssumeRoleWithWebIdentity" (aws-amplify/aws-sdk-android #9); 403 AccessDenied.
    return AccessDenied(f"Not authorized to perform {action}")


class FederationHost(Protocol):
    """What these operations need of the Lab (engine.lab.Lab implements it; a test may give its own)."""

    directory: Any          # engine.directory.Directory: saml_provider, oidc_provider_for_host

    def register_sts_operation(self, operation: str,
                               handler: Callable[[Caller | None, dict[str, Any], RequestMeta], StsResult]) -> None: ...

    def sandbox_of_account(self, account_id: str) -> str | None: ...

    def now(self, sandbox_id: str | None) -> datetime: ...

    def oidc_jwks(self, sandbox_id: str, issuer_url: str) -> dict[str, Any] | None: ...

    def record_federation_report(self, request_id: str | None, report: dict[str, Any]) -> None: ...

    def issue_federated_session(self, sandbox_id: str, *, role_arn: str, principal: Principal, action: str,
                                session_name: str, params: dict[str, Any] | None = None,
                                tags: dict[str, str] | None = None, transitive_tag_keys: Iterable[str] = (),
                                source_identity: str | None = None, context: dict[str, Any] | None = None,
                                duration_cap: int | None = None, provider: str | None = None,
                                request_meta: RequestMeta | dict[str, Any] | None = None
                                ) -> tuple[Any, RoleSessionResult]: ...


def install(lab: FederationHost) -> None:
    """Register both operations with the Lab (Lab.sts dispatches unknown STS operations to these hooks). The Lab's
    constructor calls it; calling it again re-registers the same handlers."""
    lab.register_sts_operation(SAML_OPERATION, partial(assume_role_with_saml, lab))
    lab.register_sts_operation(WEB_IDENTITY_OPERATION, partial(assume_role_with_web_identity, lab))


def _sandbox_of(lab: FederationHost, account: str) -> str | None:
    return lab.sandbox_of_account(account)


def _now(lab: FederationHost, sandbox_id: str | None) -> datetime:
    return lab.now(sandbox_id).replace(microsecond=0)


def _record_failure(lab: FederationHost, meta: RequestMeta, error: FederationError) -> None:
    """Keep the validation checklist where the web layer can find it (by request id: Lab.federation_report)."""
    lab.record_federation_report(meta.request_id, {
        "error": error.explain(), "checks": [c.to_dict() for c in getattr(error, "checks", [])]})


def _record_success(lab: FederationHost, meta: RequestMeta, checks: list[Any]) -> None:
    lab.record_federation_report(meta.request_id, {"error": None, "checks": [c.to_dict() for c in checks]})


def _role_account(role_arn: str) -> str:
    parts = role_arn.split(":")
    return parts[4] if len(parts) >= 6 else ""


# ------------------------------------------------------------------------------------------ AssumeRoleWithSAML
def assume_role_with_saml(lab: FederationHost, caller: Caller | None, params: dict[str, Any],
                          meta: RequestMeta) -> RoleSessionResult:
    meta = RequestMeta.coerce(meta)
    params = validate(SAML_OPERATION, params or {})
    role_arn: str = params["RoleArn"]
    provider_arn: str = params["PrincipalArn"]
    account = _role_account(role_arn)
    sandbox_id = _sandbox_of(lab, account) if account else None
    if sandbox_id is None:
        raise federated_not_authorized("sts:AssumeRoleWithSAML")
    now = _now(lab, sandbox_id)
    provider_account = _role_account(provider_arn)
    info = lab.directory.saml_provider(provider_arn) if _sandbox_of(lab, provider_account) == sandbox_id else None
    if info is None:
        error = InvalidIdentityToken("Specified provider doesn't exist", defence="provider",
                                     detail=f"No SAML provider {provider_arn} exists (CreateSAMLProvider).")
        _record_failure(lab, meta, error)
        raise error
    try:
        checked: SamlValidation = validate_saml_response(
            params["SAMLAssertion"], provider=SamlProviderRecord(info.arn, info.metadata), role_arn=role_arn, now=now)
    except FederationError as error:
        _record_failure(lab, meta, error)
        raise

    principal = Principal(arn="", account=info.account, kind="saml", federated=info.arn,
                          userid=f"{checked.name_qualifier}:{checked.subject}")
    try:
        session, result = lab.issue_federated_session(
            sandbox_id, role_arn=role_arn, principal=principal, action="sts:AssumeRoleWithSAML",
            session_name=checked.role_session_name, params=_session_params(params),
            tags=checked.principal_tags, transitive_tag_keys=checked.transitive_tag_keys,
            source_identity=checked.source_identity, context=dict(checked.condition_context),
            duration_cap=checked.max_session_seconds(now), provider=info.arn, request_meta=meta)
    finally:
        _record_success(lab, meta, checked.checks)   # the token was fine; a refusal is explained by the Decision
    return result.with_federation(checked.result_fields())


def _session_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in ("DurationSeconds", "Policy", "PolicyArns") if params.get(k) is not None}


# ---------------------------------------------------------------------------------- AssumeRoleWithWebIdentity
def assume_role_with_web_identity(lab: FederationHost, caller: Caller | None, params: dict[str, Any],
                                  meta: RequestMeta) -> RoleSessionResult:
    meta = RequestMeta.coerce(meta)
    params = validate(WEB_IDENTITY_OPERATION, params or {})
    role_arn: str = params["RoleArn"]
    account = _role_account(role_arn)
    sandbox_id = _sandbox_of(lab, account) if account else None
    if sandbox_id is None:
        raise federated_not_authorized("sts:AssumeRoleWithWebIdentity")
    if params.get("ProviderId"):
        # Only for the OAuth 2.0 providers www.amazon.com / graph.facebook.com, which the lab does not simulate.
        raise InvalidIdentityToken("ProviderId is only for OAuth 2.0 access tokens (www.amazon.com, "
                                   "graph.facebook.com); omit it for OpenID Connect ID tokens", defence="provider")
    now = _now(lab, sandbox_id)

    def find_provider(issuer: str) -> OidcProviderRecord | None:
        info = lab.directory.oidc_provider_for_host(account, issuer)
        return OidcProviderRecord(info.arn, info.url, tuple(info.client_ids)) if info else None

    try:
        checked: OidcValidation = validate_web_identity_token(
            params["WebIdentityToken"], find_provider=find_provider, role_account=account,
            jwks_for=partial(lab.oidc_jwks, sandbox_id), now=now)
    except FederationError as error:
        _record_failure(lab, meta, error)
        raise

    principal = Principal(arn="", account=account, kind="web-identity", federated=checked.provider_arn,
                          userid=f"{checked.issuer.removeprefix('https://')}:{checked.subject}")
    try:
        session, result = lab.issue_federated_session(
            sandbox_id, role_arn=role_arn, principal=principal, action="sts:AssumeRoleWithWebIdentity",
            session_name=params["RoleSessionName"], params=_session_params(params),
            context=dict(checked.condition_context), provider=checked.provider_arn, request_meta=meta)
    finally:
        _record_success(lab, meta, checked.checks)
    return result.with_federation(checked.result_fields())
