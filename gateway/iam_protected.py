"""What IAM lets nobody change: AWS-managed policies and the roles AWS owns (service-linked roles, IAM Identity
Center's reserved roles). moto changes both when asked; IAM refuses.

- AWS-managed policies "cannot be edited" (IAM User Guide, "Edit IAM policies"; they live in the `aws` namespace,
  outside every customer's account). AWS documents no wire text for the refusal; the lab answers AccessDenied with
  IAM's sentence naming the policy as IAM names policy resources ("on resource: policy <arn>", observed in
  cds-snc/dns#523), which is its choice.
- A service-linked role "is predefined by the service ... you can only view its permissions, not modify them"
  (IAM User Guide, "Service-linked roles"); IAM answers UnmodifiableEntity "Cannot perform the operation on the
  protected role '<name>' - this role is only modifiable by AWS" (observed: gruntwork-io/cloud-nuke#880 for
  DetachRolePolicy on AWSServiceRoleForSupport, rebuy-de/aws-nuke#441 for AWSReservedSSO_ roles). Service-linked
  roles live under the path /aws-service-role/, Identity Center's under /aws-reserved/.
"""
from __future__ import annotations

from engine.errors import AwsError

from .aws_managed import is_aws_managed
from .operation import OperationCall, OverrideHandler, OverrideRegistry
from .protocols import Response

POLICY_WRITES = ("CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicy",
                 "TagPolicy", "UntagPolicy")
ROLE_WRITES = ("PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "UpdateAssumeRolePolicy",
               "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary", "UpdateRole", "UpdateRoleDescription",
               "DeleteRole", "TagRole", "UntagRole")
PROTECTED_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/")


def protected_role_error(name: str) -> AwsError:
    return AwsError(f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by "
                    "AWS", code="UnmodifiableEntity", status=400, sender_fault=True)


def aws_policy_error(call: OperationCall, arn: str) -> AwsError:
    return AwsError(f"User: {call.caller.arn} is not authorized to perform: iam:{call.operation} on resource: policy "
                    f"{arn}", code="AccessDenied", status=403, sender_fault=True)


def _guard_policy(handler: OverrideHandler | None) -> OverrideHandler:
    def guarded(call: OperationCall) -> Response:
        arn = str(call.params.get("PolicyArn", ""))
        if is_aws_managed(arn):
            raise aws_policy_error(call, arn)
        return handler(call) if handler is not None else call.forward()
    return guarded


def _guard_role(handler: OverrideHandler | None) -> OverrideHandler:
    def guarded(call: OperationCall) -> Response:
        name = str(call.params.get("RoleName", ""))
        path = call.lookups.iam_path(call.account, "role", name) or ""
        if path.startswith(PROTECTED_ROLE_PATHS):
            raise protected_role_error(name)
        return handler(call) if handler is not None else call.forward()
    return guarded


def register(registry: OverrideRegistry) -> None:
    """Guard the writes, in front of whatever handler the registry already holds for them (register it last)."""
    for operation in POLICY_WRITES:
        registry.register("iam", operation, _guard_policy(registry.get("iam", operation)))
    for operation in ROLE_WRITES:
        registry.register("iam", operation, _guard_role(registry.get("iam", operation)))
