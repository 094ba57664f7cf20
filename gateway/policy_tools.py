"""The policy tools the gateway answers itself: IAM's policy simulator (SimulatePrincipalPolicy,
SimulateCustomPolicy; engine/simulator.py) and IAM Access Analyzer's policy checks (ValidatePolicy, CheckNoNewAccess,
CheckAccessNotGranted; engine/policy/advice.py and engine/policy/analyzer.py). moto implements none of them.

Authorised by the engine like any call before the handler runs: iam:SimulatePrincipalPolicy on the PolicySourceArn
(gateway.actions), iam:SimulateCustomPolicy and access-analyzer:ValidatePolicy / CheckNoNewAccess /
CheckAccessNotGranted on "*" (Service Authorization Reference: no resource type).
"""
from __future__ import annotations

from typing import Any

from engine.errors import AwsError
from engine.fairness import yield_to_other_threads
from engine.policy.advice import validate_policy as validate
from engine.policy.analyzer import CheckError, check_access_not_granted, check_no_new_access, read

from .operation import OperationCall, OverrideRegistry
from .protocols import Response

VALIDATE_PAGE = 100       # findings per page when maxResults is not given (the lab's choice)


def simulate(call: OperationCall) -> Response:
    return call.result(call.lab.simulate(call.caller, call.operation, call.params, call.request_id))


def _validation(message: str) -> AwsError:
    # Access Analyzer's ValidationException (botocore's model: message, reason, fieldList; HTTP 400)
    return AwsError(message, code="ValidationException", status=400)


def validate_policy(call: OperationCall) -> Response:
    params = call.params
    found, smap = validate(params["policyDocument"], params["policyType"], params.get("validatePolicyResourceType"))
    findings = [f.to_aws(smap) for f in found]
    start = 0
    if params.get("nextToken"):
        token = str(params["nextToken"])
        if not token.isdigit() or int(token) > len(findings):
            raise _validation("Invalid nextToken.")
        start = int(token)
    size = int(params.get("maxResults") or VALIDATE_PAGE)
    answer: dict[str, Any] = {"findings": findings[start:start + size]}
    if start + size < len(findings):
        answer["nextToken"] = str(start + size)
    return call.result(answer)


def _read(text: str, policy_type: str, member: str) -> Any:
    try:
        return read(text, policy_type)
    except CheckError as error:
        raise _validation(f"{member}: {error}") from None


def no_new_access(call: OperationCall) -> Response:
    params = call.params
    new = _read(params["newPolicyDocument"], params["policyType"], "newPolicyDocument")
    existing = _read(params["existingPolicyDocument"], params["policyType"], "existingPolicyDocument")
    if new.kind != existing.kind:
        raise _validation("The existing and the new policy must be of the same kind (both role trust policies, or "
                          "both other resource policies).")
    role = f"arn:aws:iam::{call.caller.account}:role/the-role"   # a trust policy's role (the check names none)
    result = check_no_new_access(new, existing, role_arn=role, between=yield_to_other_threads())
    return call.result(result.to_aws())


def access_not_granted(call: OperationCall) -> Response:
    params = call.params
    document = _read(params["policyDocument"], params["policyType"], "policyDocument")
    try:
        result = check_access_not_granted(document, list(params.get("access") or []),
                                          between=yield_to_other_threads())
    except CheckError as error:
        raise _validation(str(error)) from None
    return call.result(result.to_aws())


def register(registry: OverrideRegistry) -> None:
    for operation in ("SimulatePrincipalPolicy", "SimulateCustomPolicy"):
        registry.register("iam", operation, simulate)
    registry.register("accessanalyzer", "ValidatePolicy", validate_policy)
    registry.register("accessanalyzer", "CheckNoNewAccess", no_new_access)
    registry.register("accessanalyzer", "CheckAccessNotGranted", access_not_granted)
