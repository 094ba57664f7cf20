"""Which organization policies apply to a request, and the organization condition keys it carries.

The authorizer (engine.policy.authorize) combines SCPs and RCPs; this module decides which apply, from moto's
Organizations data read through the Directory:

- SCPs apply to the IAM principals (users, roles, the root user) of member accounts, never to those of the
  management account, never to service-linked roles, and only once the SCP type is enabled in the root
  (Organizations User Guide, "Service control policies (SCPs)", "Tasks and entities not restricted by SCPs").
  A principal of another account (an outside auditor) is limited by its own organization's SCPs, not by those of
  the resource's organization.
- RCPs apply to the resources of member accounts (not the management account's), whoever calls, for the services
  that support them, once the RCP type is enabled (Organizations User Guide, "Resource control policies (RCPs)",
  "List of AWS services that support RCPs"). An action without a resource of its own (`*`) is judged by the RCPs of
  the caller's account (same page, "RCP evaluation").
- aws:PrincipalOrgID / aws:PrincipalOrgPaths are in the context when the principal's account is in an
  organization, aws:ResourceOrgID / aws:ResourceOrgPaths when the resource's is (IAM User Guide, "AWS global
  condition context keys"); absent otherwise, so `...IfExists` conditions treat outsiders as the docs say.
"""
from __future__ import annotations

from typing import Any, Callable

from engine.directory import OrgMembership, OrgPolicyText
from engine.policy import GuardrailLevel, Guardrails, NamedPolicy, Principal
from engine.sts.policies import named_or_error

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
# Organizations User Guide, "List of AWS services that support RCPs" (IAM action prefixes).
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-identity", "logs",
                          "dynamodb"})
SERVICE_LINKED_PATH = ":role/aws-service-role/"


def _policy(text: OrgPolicyText) -> NamedPolicy:
    kind = "scp" if text.type == SCP else "rcp"
    policy: NamedPolicy = named_or_error(text.name, text.text, kind, kind)
    return policy


def _attached(membership: OrgMembership, policy_type: str) -> Guardrails:
    """The policies of one type on the membership's levels; built once per membership (Directory.organization_of
    hands back the same membership while the organization is unchanged), so a call parses nothing."""
    guardrails = membership.derived.get(policy_type)
    if guardrails is None:
        guardrails = Guardrails(tuple(GuardrailLevel(level.kind, level.id, level.name,
                                                     tuple(_policy(p) for p in level.policies
                                                           if p.type == policy_type))
                                      for level in membership.levels))
        membership.derived[policy_type] = guardrails
    return guardrails


def scps_for(membership: OrgMembership | None, principal: Principal) -> Guardrails | None:
    """The SCPs that limit `principal` (an IAM principal of `membership.account`), or None outside organizations."""
    if membership is None or not principal.is_iam:
        return None
    if membership.is_management:
        return Guardrails(exempt="SCPs do not affect users or roles in the management account")
    if SCP not in membership.enabled_types:
        return Guardrails(exempt="service control policies are not enabled in this organization's root")
    if principal.kind == "assumed-role" and SERVICE_LINKED_PATH in (principal.role_arn or ""):
        return Guardrails(exempt="SCPs do not affect service-linked roles")
    return _attached(membership, SCP)


def rcps_for(membership: OrgMembership | None, action: str) -> Guardrails | None:
    """The RCPs that limit access to a resource of `membership.account` through `action`, or None."""
    if membership is None:
        return None
    if membership.is_management:
        return Guardrails(exempt="RCPs do not affect resources in the management account")
    if RCP not in membership.enabled_types:
        return Guardrails(exempt="resource control policies are not enabled in this organization's root")
    service = action.split(":", 1)[0].lower()
    if service not in RCP_SERVICES:
        return Guardrails(exempt=f"RCPs do not apply to {service} (they apply to "
                                 f"{', '.join(sorted(RCP_SERVICES))})")
    return _attached(membership, RCP)


def _path(membership: OrgMembership) -> str:
    path = membership.derived.get("path")
    if path is None:
        path = membership.derived["path"] = membership.path
    return path


def org_context(principal_org: OrgMembership | None, resource_org: OrgMembership | None) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if principal_org is not None:
        context["aws:PrincipalOrgID"] = principal_org.org_id
        context["aws:PrincipalOrgPaths"] = [_path(principal_org)]
    if resource_org is not None:
        context["aws:ResourceOrgID"] = resource_org.org_id
        context["aws:ResourceOrgPaths"] = [_path(resource_org)]
    return context


def guardrails(organization_of: Callable[[str], OrgMembership | None], principal: Principal,
               principal_account: str | None, resource_account: str | None,
               action: str) -> tuple[Guardrails | None, Guardrails | None, dict[str, Any]]:
    """(SCPs, RCPs, organization context keys) for one request. `organization_of`: an account's membership, from
    the live Directory (Directory.organization_of) or a snapshot of it (the access graph's)."""
    principal_org = organization_of(principal_account) if principal_account and principal.is_iam else None
    resource_owner = resource_account or principal_account
    if resource_owner == principal_account and principal.is_iam:
        resource_org = principal_org
    else:
        resource_org = organization_of(resource_owner) if resource_owner else None
    context = org_context(principal_org, resource_org if resource_account else None)
    return scps_for(principal_org, principal), rcps_for(resource_org, action), context
