"""Real STS calls made by the federation pages: unsigned, through the gateway, recorded like scenario steps.

AssumeRoleWithSAML and AssumeRoleWithWebIdentity take no AWS credentials (the assertion or token is the
credential), so the boto3 client is unsigned. The answer, the HTTP exchange, the engine's Decision and the
validation checklist (which defence caught a forged token) are all kept for the page.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from engine.federation.saml import SamlProviderRecord, validate_saml_response
from sandboxes.steps import Keys, StepContext

ANONYMOUS = Keys("nobody: the request is unsigned; the assertion or token is the credential", "", "")


def unsigned_sts(ctx: StepContext) -> Any:
    from gateway.client import unsigned_client

    return unsigned_client("sts", recorder=ctx.recorder, region=getattr(settings, "LAB_REGION", "us-east-1"))


def _report(request_id: str) -> dict[str, Any] | None:
    """The Lab's validation report of a federation call (in-process, or the gateway's when LAB_GATEWAY_URL is set)."""
    from sandboxes.labclient import lab

    return lab().federation_report(request_id)


def last_report(ctx: StepContext) -> dict[str, Any] | None:
    """The checklist of the last federation call this context made."""
    for call in reversed(ctx.calls):
        request_id = call.request_id
        if request_id:
            return _report(request_id)
    return None


def assume_role_with_saml(ctx: StepContext, *, role_arn: str, provider_arn: str, assertion_b64: str,
                          label: str = "Redeem the SAML assertion with STS (AssumeRoleWithSAML)",
                          expect: str | None = None, **extra: Any) -> dict[str, Any] | None:
    return ctx.call(label, unsigned_sts(ctx).assume_role_with_saml, signer=ANONYMOUS, expect=expect,
                    RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=assertion_b64, **extra)


def assume_role_with_web_identity(ctx: StepContext, *, role_arn: str, token: str, session_name: str,
                                  label: str = "Trade the ID token for role credentials (AssumeRoleWithWebIdentity)",
                                  expect: str | None = None, **extra: Any) -> dict[str, Any] | None:
    return ctx.call(label, unsigned_sts(ctx).assume_role_with_web_identity, signer=ANONYMOUS, expect=expect,
                    RoleArn=role_arn, RoleSessionName=session_name, WebIdentityToken=token, **extra)


def dry_check_saml(assertion_b64: str, *, provider_arn: str, metadata: str, role_arn: str,
                   now: datetime) -> dict[str, Any]:
    """Run STS's checks locally (no call, nothing issued), for the viewer."""
    from engine.federation.errors import FederationError

    try:
        result = validate_saml_response(assertion_b64, provider=SamlProviderRecord(provider_arn, metadata),
                                        role_arn=role_arn, now=now)
    except FederationError as error:
        return {"ok": False, "error": error.explain(), "checks": [c.to_dict() for c in getattr(error, "checks", [])]}
    return {"ok": True, "error": None, "checks": [c.to_dict() for c in result.checks],
            "context": result.condition_context}
