"""IAM operations the lab needs and moto lacks or gets wrong, answered through the override registry.

moto stores trust policies of any size; IAM refuses one over the ACLSizePerRole quota (2048 characters by default,
white space not counted: IAM User Guide, "IAM and AWS STS quotas") with LimitExceeded, 409, "Cannot exceed quota
for ACLSizePerRole: 2048" (observed: apache/airflow#27331, kubeflow/kubeflow#6687).

moto 5.2.5 has no PutUserPermissionsBoundary / DeleteUserPermissionsBoundary (NotImplementedError) and never shows a
user's boundary. The boundary lives in the Lab's Directory side table (Lab.set_user_boundary), which is also what the
engine evaluates, so GetUser/CreateUser here show exactly what authorisation uses.
"""
from __future__ import annotations

import json
import re
from types import MappingProxyType

from engine.errors import AwsError, MalformedPolicyDocument
from engine.policy import parse_policy

from . import iam_quotas
from .operation import OperationCall, OverrideRegistry
from .protocols import Response

_POLICY_ARN = re.compile(r"^arn:aws:iam::(aws|\d{12}):policy/.+")


def _no_such_user(name: str) -> AwsError:
    return AwsError(f"The user with name {name} cannot be found.", code="NoSuchEntity", status=404, sender_fault=True)


def _check_boundary(call: OperationCall, arn: str) -> None:
    if not _POLICY_ARN.match(arn or ""):
        raise AwsError(f"Value ({arn}) for parameter PermissionsBoundary is invalid.", code="InvalidInput",
                       status=400, sender_fault=True)
    if call.lab.directory.managed_policy_text(arn) is None:
        raise AwsError(f"Policy {arn} does not exist or is not attachable.", code="NoSuchEntity", status=404,
                       sender_fault=True)


def _user_exists(call: OperationCall, name: str) -> bool:
    return call.lookups.iam_path(call.account, "user", name) is not None


def _boundary_xml(arn: str) -> bytes:
    return (b"<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType>"
            b"<PermissionsBoundaryArn>" + arn.encode() + b"</PermissionsBoundaryArn></PermissionsBoundary>")


def _show_boundary(response: Response, arn: str | None) -> Response:
    if arn and response.status == 200 and b"<PermissionsBoundary>" not in response.body:
        response.body = response.body.replace(b"</User>", _boundary_xml(arn) + b"</User>", 1)
    return response


def put_user_permissions_boundary(call: OperationCall) -> Response:
    name, arn = call.params.get("UserName", ""), call.params.get("PermissionsBoundary", "")
    if not _user_exists(call, name):
        raise _no_such_user(name)
    _check_boundary(call, arn)
    call.lab.set_user_boundary(call.account, name, arn)
    return call.result({})


def delete_user_permissions_boundary(call: OperationCall) -> Response:
    name = call.params.get("UserName", "")
    if not _user_exists(call, name):
        raise _no_such_user(name)
    call.lab.set_user_boundary(call.account, name, None)
    return call.result({})


def create_user(call: OperationCall) -> Response:
    arn = call.params.get("PermissionsBoundary")
    if arn:
        _check_boundary(call, arn)
    response = call.forward()
    if arn and response.status == 200:
        call.lab.set_user_boundary(call.account, call.params["UserName"], arn)
    return _show_boundary(response, arn)


def get_user(call: OperationCall) -> Response:
    response = call.forward()
    name = call.params.get("UserName")
    arn = call.lab.directory.user_boundary(call.account, name) if name else None
    return _show_boundary(response, arn)


def delete_user(call: OperationCall) -> Response:
    response = call.forward()
    if response.status == 200:  # a user created again later under the same name starts without a boundary
        call.lab.set_user_boundary(call.account, call.params.get("UserName", ""), None)
    return response


TRUST_POLICY_QUOTA = 2048


def _check_trust_policy_size(document: str | None) -> None:
    if document and len(re.sub(r"\s", "", document)) > TRUST_POLICY_QUOTA:
        raise AwsError(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_QUOTA}", code="LimitExceeded",
                       status=409, sender_fault=True)


def _check_policy(document: str | None, kind: str) -> None:
    """IAM refuses a document that breaks the policy grammar; moto stores anything (moto-behaviour.md §1).

    The wire carries IAM's own phrase ("Has prohibited field Resource", "Syntax errors in policy.", ...), as AWS does
    (IAM API Reference, MalformedPolicyDocument: "The request was rejected because the policy document was malformed").
    """
    if document is None:
        return
    try:
        parse_policy(document, kind=kind)
    except MalformedPolicyDocument as error:
        raise AwsError(getattr(error, "aws_message", None) or error.message, code="MalformedPolicyDocument",
                       status=400, sender_fault=True) from None


_IAM_ENTITY_ARN = re.compile(r"^arn:aws:iam::\d{12}:(user|role)/.+")


def _check_trust_principals_exist(call: OperationCall, document: str | None) -> None:
    """IAM resolves user and role ARNs in a trust policy when it is saved (it stores their unique ids), so naming one
    that does not exist fails: MalformedPolicyDocument "Invalid principal in policy" (aws-sts-facts.md §4.2, observed
    hashicorp/terraform-provider-aws#8905). Account principals (`123456789012`, `:root`) are not resolved."""
    if not document:
        return
    statements = json.loads(document).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        values = principal.get("AWS", []) if isinstance(principal, dict) else []
        for arn in [values] if isinstance(values, str) else values:
            match = _IAM_ENTITY_ARN.match(arn) if isinstance(arn, str) else None
            if not match:
                continue
            directory = call.lab.directory
            found = directory.user_by_arn(arn) if match.group(1) == "user" else directory.role_by_arn(arn)
            if found is None:
                raise AwsError(f'Invalid principal in policy: "AWS":"{arn}"', code="MalformedPolicyDocument",
                               status=400, sender_fault=True)


def create_role(call: OperationCall) -> Response:
    document = call.params.get("AssumeRolePolicyDocument")
    _check_policy(document, "trust")
    _check_trust_principals_exist(call, document)
    _check_trust_policy_size(document)
    return call.forward()


def update_assume_role_policy(call: OperationCall) -> Response:
    document = call.params.get("PolicyDocument")
    _check_policy(document, "trust")
    _check_trust_principals_exist(call, document)
    _check_trust_policy_size(document)
    return call.forward()


_QUOTA_KIND = MappingProxyType({"PutUserPolicy": "user", "PutRolePolicy": "role", "PutGroupPolicy": "group"})


def _identity_policy_checked(call: OperationCall) -> Response:
    _check_policy(call.params.get("PolicyDocument"), "identity")
    if call.operation in _QUOTA_KIND:
        iam_quotas.check_inline_policy(call, _QUOTA_KIND[call.operation])
    else:
        iam_quotas.check_managed_policy(call)
    return call.forward()


def register(registry: OverrideRegistry) -> None:
    """The IAM operations of this module, into `registry`."""
    registry.register("iam", "CreateRole", create_role)
    for kind in ("User", "Role", "Group"):
        registry.register("iam", f"Attach{kind}Policy", iam_quotas.attach_policy(kind.lower()))
    registry.register("iam", "AddUserToGroup", iam_quotas.add_user_to_group)
    for operation in ("PutRolePolicy", "PutUserPolicy", "PutGroupPolicy", "CreatePolicy", "CreatePolicyVersion"):
        registry.register("iam", operation, _identity_policy_checked)
    registry.register("iam", "UpdateAssumeRolePolicy", update_assume_role_policy)
    registry.register("iam", "PutUserPermissionsBoundary", put_user_permissions_boundary)
    registry.register("iam", "DeleteUserPermissionsBoundary", delete_user_permissions_boundary)
    registry.register("iam", "CreateUser", create_user)
    registry.register("iam", "GetUser", get_user)
    registry.register("iam", "DeleteUser", delete_user)
