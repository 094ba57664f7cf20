"""AWS Organizations through the gateway: moto's backend holds the data (patched in gateway/moto_organizations.py
where the lab depends on AWS's behaviour), and this module refuses what Organizations refuses, before moto sees it:

- only the management account may manage the organization (AccessDeniedException from a member account,
  AWSOrganizationsNotInUseException from an account in none: API Reference, each operation's errors);
- a policy of a type not enabled in the root cannot be attached (PolicyTypeNotEnabledException);
- a policy's content is checked against its type's grammar (MalformedPolicyDocumentException): SCPs as SCPs,
  RCPs as RCPs, which deny only ("The effect of Allow is only supported for the RCPFullAWSAccess policy",
  Organizations User Guide, "RCP syntax");
- RCPFullAWSAccess cannot be detached ("You cannot detach this policy", "RCP syntax"), nor the last SCP of a
  target (ConstraintViolationException, MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED);
- CreateAccount with an e-mail already in use, or past the default quota of 10 accounts (Organizations User Guide,
  "Quotas for AWS Organizations"), fails as AWS fails it.
"""
from __future__ import annotations

import hashlib
from types import MappingProxyType
from typing import Any

from engine.directory import moto_lock
from engine.errors import AwsError, MalformedPolicyDocument
from engine.policy import parse_policy

from .moto_organizations import DEFAULT_POLICIES, backend, management_of, member_account_id
from .operation import OperationCall, OverrideRegistry
from .protocols import Response

PARSE_KIND = MappingProxyType({"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"})
MAX_ACCOUNTS = 10              # default quota: accounts in an organization (Organizations User Guide, "Quotas")
MEMBER_OPERATIONS = frozenset({"DescribeOrganization", "CreateOrganization", "LeaveOrganization", "ListHandshakesForAccount",
                     "AcceptHandshake", "DeclineHandshake", "DescribeHandshake"})


# ------------------------------------------------------------------------------------------------ the gateway
def _error(code: str, message: str, status: int = 400) -> AwsError:
    return AwsError(message, code=code, status=status, sender_fault=True)


def _not_in_use() -> AwsError:
    return _error("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")


def _management_only(call: OperationCall) -> Any:
    """The caller's organization backend when the caller is its management account; AWS's refusal otherwise."""
    management = management_of(call.account)
    if management is None:
        raise _not_in_use()
    if management != call.account:
        raise _error("AccessDeniedException", "You don't have permissions to access this resource.")
    return backend(management)


def _policy(org: Any, policy_id: str) -> Any:
    with moto_lock:
        return next((p for p in org.policies if p.id == policy_id), None)


def _enabled_types(org: Any) -> set[str]:
    with moto_lock:
        roots = [ou for ou in org.ou if getattr(ou, "type", "") == "ROOT"]
        return {t["Type"] for root in roots for t in root.policy_types if t.get("Status") == "ENABLED"}


def check_policy_content(policy_type: str, content: Any, *, aws_managed: bool = False) -> None:
    """MalformedPolicyDocumentException unless `content` is a valid policy of `policy_type` (SCP or RCP)."""
    kind = PARSE_KIND.get(policy_type)
    if kind is None or content is None:
        return
    message = ("The provided policy document doesn't meet the requirements of the specified policy type.")
    try:
        document = parse_policy(str(content), kind=kind)
    except MalformedPolicyDocument as error:   # the parser's reason, with the line and column
        raise _error("MalformedPolicyDocumentException", f"{message} {error.message}") from None
    if kind == "rcp" and not aws_managed and any(st.effect == "Allow" for st in document.statements):
        raise _error("MalformedPolicyDocumentException", f"{message} A resource control policy can only deny: the "
                     "effect Allow is supported only for RCPFullAWSAccess.")


def create_policy(call: OperationCall) -> Response:
    _management_only(call)
    check_policy_content(str(call.params.get("Type", "")), call.params.get("Content"))
    return call.forward()


def update_policy(call: OperationCall) -> Response:
    org = _management_only(call)
    policy = _policy(org, str(call.params.get("PolicyId", "")))
    if policy is not None and policy.aws_managed:
        # AWS-managed policies (FullAWSAccess, RCPFullAWSAccess) cannot be changed; AWS documents no wire text for
        # this refusal, the lab answers as for any operation the caller may not perform
        raise _error("AccessDeniedException", "You don't have permissions to access this resource.")
    if policy is not None and "Content" in call.params:
        check_policy_content(policy.type, call.params.get("Content"))
    return call.forward()


def attach_policy(call: OperationCall) -> Response:
    org = _management_only(call)
    policy = _policy(org, str(call.params.get("PolicyId", "")))
    if policy is not None and policy.type in PARSE_KIND and policy.type not in _enabled_types(org):
        raise _error("PolicyTypeNotEnabledException", "This operation can be performed only for enabled policy types.")
    return call.forward()


def detach_policy(call: OperationCall) -> Response:
    org = _management_only(call)
    policy = _policy(org, str(call.params.get("PolicyId", "")))
    target_id = str(call.params.get("TargetId", ""))
    if policy is not None and policy.id == DEFAULT_POLICIES["RESOURCE_CONTROL_POLICY"]:
        raise _error("ConstraintViolationException", "You cannot detach the RCPFullAWSAccess policy.")
    if policy is not None and policy.type == "SERVICE_CONTROL_POLICY":
        with moto_lock:
            target = next((t for t in [*org.ou, *org.accounts] if t.id == target_id), None)
            left = [p for p in target.attached_policies if p.type == policy.type] if target is not None else []
        if policy in left and len(left) == 1:
            raise _error("ConstraintViolationException", "You attempted to detach a policy from an entity that "
                         "would cause the entity to have fewer than the minimum number of policies of a certain "
                         "type required.")
    return call.forward()


def create_account(call: OperationCall) -> Response:
    org = _management_only(call)
    email = str(call.params.get("Email", ""))
    account_id = member_account_id(call.account, email)
    with moto_lock:
        emails = {a.email.lower() for a in org.accounts}
        count = len(org.accounts)
    reason = None
    if email.lower() in emails:
        reason = "EMAIL_ALREADY_EXISTS"
    elif count >= MAX_ACCOUNTS:
        raise _error("ConstraintViolationException", "You have reached the limit on the number of accounts in your "
                     "organization.")
    elif call.lab.sandbox_of_account(account_id) not in (None, call.caller.sandbox_id):
        reason = "INTERNAL_FAILURE"      # the id this e-mail maps to is another sandbox's (odds: 1 in 10^11)
    if reason is None:
        return call.forward()
    # CreateAccount answers at once with a request status; a failure shows in it (API Reference,
    # CreateAccountStatus: State FAILED, FailureReason).
    return call.result({"CreateAccountStatus": {"Id": "car-" + hashlib.sha256(email.encode()).hexdigest()[:8],
                                                "AccountName": call.params.get("AccountName", ""),
                                                "State": "FAILED", "FailureReason": reason}})


def _guard(call: OperationCall) -> Response:
    _management_only(call)
    return call.forward()


def register(registry: OverrideRegistry) -> None:
    from botocore import xform_name
    from moto.organizations.responses import OrganizationsResponse

    from .protocols import service_model

    for operation in service_model("organizations").operation_names:
        # only what moto serves: a guard of its own would make an operation look served (gateway/served.py)
        if operation not in MEMBER_OPERATIONS and hasattr(OrganizationsResponse, xform_name(operation)):
            registry.register("organizations", operation, _guard)
    registry.register("organizations", "CreatePolicy", create_policy)
    registry.register("organizations", "UpdatePolicy", update_policy)
    registry.register("organizations", "AttachPolicy", attach_policy)
    registry.register("organizations", "DetachPolicy", detach_policy)
    registry.register("organizations", "CreateAccount", create_account)

