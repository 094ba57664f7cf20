"""Which IAM action(s) a request needs, on which resource ARN(s), owned by which account.

Names follow the Service Authorization Reference: the action is "<service prefix>:<Operation>" for IAM, EC2, Secrets
Manager, SSO Admin ("sso:") and Identity Store; S3 operations map onto S3's own action names (GetObject ->
s3:GetObject on arn:aws:s3:::bucket/key, ListObjectsV2 -> s3:ListBucket on arn:aws:s3:::bucket, ...).
An operation we do not know is authorised as "<prefix>:<Operation>" on "*".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol
from xml.etree import ElementTree

ACTION_PREFIXES = MappingProxyType({"iam": "iam", "ec2": "ec2", "s3": "s3", "secretsmanager": "secretsmanager",
                                    "sso-admin": "sso", "identitystore": "identitystore", "sts": "sts",
                                    "organizations": "organizations", "accessanalyzer": "access-analyzer"})


@dataclass(frozen=True)
class AuthzTarget:
    action: str
    resource: str
    resource_account: str | None
    resource_policy: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


class Lookups(Protocol):
    """What resolving needs to know about existing resources (implemented over moto in moto_backend.MotoLookups)."""

    def iam_path(self, account: str, kind: str, name: str) -> str | None: ...
    def bucket(self, stored_name: str) -> tuple[str, str | None] | None: ...         # (owner account, policy)
    def secret(self, account: str, region: str, secret_id: str) -> tuple[str, str | None] | None: ...  # (arn, policy)
    def instance_profile_roles(self, account: str, name: str) -> list[str]: ...       # role ARNs


# ------------------------------------------------------------------------------------------------------- IAM
# IAM entity kinds, the parameter naming them, and the ARN resource-type word.
_IAM_ENTITY_PARAMS = (
    ("instance-profile", "InstanceProfileName"),
    ("group", "GroupName"),
    ("user", "UserName"),
    ("role", "RoleName"),
)
_IAM_LIST_PREFIX = MappingProxyType({"ListUsers": "user", "ListRoles": "role", "ListGroups": "group",
                                     "ListPolicies": "policy", "ListInstanceProfiles": "instance-profile"})
# Operations whose resource is the named user, or the caller himself when UserName is omitted.
SELF_USER_OPERATIONS = frozenset({"GetUser", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey",
                                  "DeleteAccessKey", "ListMFADevices", "GetAccessKeyLastUsed",
                                  "ListSigningCertificates", "ListSSHPublicKeys", "ChangePassword",
                                  "ListServiceSpecificCredentials"})


_POLICY_ARN_OPERATIONS = frozenset({"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "DetachUserPolicy",
                                    "DetachRolePolicy", "DetachGroupPolicy"})


def _iam_arn(account: str, kind: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:{kind}{path or '/'}{name}"


def iam_targets(operation: str, params: dict[str, Any], *, account: str, caller_user_arn: str | None,
                lookups: Lookups) -> list[AuthzTarget]:
    action = f"iam:{operation}"

    def entity(kind: str, name: str) -> str:
        path = params.get("Path") if operation.startswith("Create") else None
        path = path or lookups.iam_path(account, kind, name) or "/"
        return _iam_arn(account, kind, path, name)

    if operation == "SimulatePrincipalPolicy" and params.get("PolicySourceArn"):
        # the user, group or role whose policies are read (Service Authorization Reference: resource types group,
        # role, user); its own account is the resource's, so another sandbox's entity is refused before any read
        source = str(params["PolicySourceArn"])
        owner = source.split(":")[4] if source.count(":") >= 5 else account
        return [AuthzTarget(action, source, owner or account)]
    if operation in _IAM_LIST_PREFIX:
        return [AuthzTarget(action, _iam_arn(account, _IAM_LIST_PREFIX[operation], params.get("PathPrefix", "/"), ""),
                            account)]
    targets: list[AuthzTarget] = []
    resource: str | None = None
    for kind, param in _IAM_ENTITY_PARAMS:
        if params.get(param):
            resource = entity(kind, params[param])
            break
    if resource is None:
        if operation == "CreatePolicy" and params.get("PolicyName"):
            resource = _iam_arn(account, "policy", params.get("Path", "/"), params["PolicyName"])
        elif operation == "CreateVirtualMFADevice" and params.get("VirtualMFADeviceName"):
            resource = _iam_arn(account, "mfa", params.get("Path", "/"), params["VirtualMFADeviceName"])
        elif operation == "CreateSAMLProvider" and params.get("Name"):
            resource = f"arn:aws:iam::{account}:saml-provider/{params['Name']}"
        elif operation == "CreateOpenIDConnectProvider" and params.get("Url"):
            host = re.sub(r"^https://", "", params["Url"]).rstrip("/")
            resource = f"arn:aws:iam::{account}:oidc-provider/{host}"
        else:
            for param in ("PolicyArn", "SAMLProviderArn", "OpenIDConnectProviderArn", "SerialNumber"):
                value = params.get(param)
                if value:
                    resource = value if value.startswith("arn:") else f"arn:aws:iam::{account}:mfa/{value}"
                    break
    if resource is None and operation in SELF_USER_OPERATIONS and caller_user_arn:
        resource = caller_user_arn
    context: dict[str, Any] = {}
    # Service Authorization Reference, IAM: iam:PolicyARN ("filters access by the ARN of an IAM policy") is in the
    # request context of Attach*/Detach*Policy, so a policy may allow attaching approved policies only.
    if operation in _POLICY_ARN_OPERATIONS and params.get("PolicyArn"):
        context["iam:PolicyARN"] = params["PolicyArn"]
    targets.append(AuthzTarget(action, resource or "*", account, context=context))
    # Handing a role to an instance profile passes it to EC2: AWS checks iam:PassRole on the role as well.
    if operation == "AddRoleToInstanceProfile" and params.get("RoleName"):
        role_arn = entity("role", params["RoleName"])
        targets.append(AuthzTarget("iam:PassRole", role_arn, account,
                                   context={"iam:PassedToService": "ec2.amazonaws.com"}))
    return targets


# ------------------------------------------------------------------------------------------------------- EC2
_EC2_INSTANCE_OPS = frozenset({"TerminateInstances", "StopInstances", "StartInstances", "RebootInstances",
                               "ModifyInstanceAttribute", "GetConsoleOutput", "MonitorInstances",
                               "UnmonitorInstances"})


def ec2_targets(operation: str, params: dict[str, Any], *, account: str, region: str,
                lookups: Lookups) -> list[AuthzTarget]:
    action = f"ec2:{operation}"
    context = {"ec2:Region": region}
    if operation in _EC2_INSTANCE_OPS:
        ids = params.get("InstanceIds") or ([params["InstanceId"]] if params.get("InstanceId") else [])
        if ids:
            return [AuthzTarget(action, f"arn:aws:ec2:{region}:{account}:instance/{i}", account, context=context)
                    for i in ids]
    if operation == "RunInstances":
        targets = [AuthzTarget(action, f"arn:aws:ec2:{region}:{account}:instance/*", account, context=context)]
        targets += _pass_role_targets(params.get("IamInstanceProfile"), account, lookups)
        return targets
    if operation in ("AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation"):
        instance = params.get("InstanceId")
        resource = f"arn:aws:ec2:{region}:{account}:instance/{instance}" if instance else "*"
        return [AuthzTarget(action, resource, account, context=context)] + \
            _pass_role_targets(params.get("IamInstanceProfile"), account, lookups)
    return [AuthzTarget(action, "*", account, context=context)]


def _pass_role_targets(profile: dict[str, Any] | None, account: str, lookups: Lookups) -> list[AuthzTarget]:
    if not profile:
        return []
    name = profile.get("Name") or (profile.get("Arn") or "").rsplit("/", 1)[-1]
    return [AuthzTarget("iam:PassRole", role_arn, account, context={"iam:PassedToService": "ec2.amazonaws.com"})
            for role_arn in lookups.instance_profile_roles(account, name)]


# ------------------------------------------------------------------------------------------------ Secrets Manager
def secret_account(secret_id: str | None, default: str) -> str:
    """A full secret ARN may name another account (cross-account access through the secret's resource policy)."""
    if secret_id and secret_id.startswith("arn:"):
        parts = secret_id.split(":")
        if len(parts) > 4 and parts[4].isdigit():
            return parts[4]
    return default


def secretsmanager_targets(operation: str, params: dict[str, Any], *, account: str, region: str,
                           lookups: Lookups) -> list[AuthzTarget]:
    action = f"secretsmanager:{operation}"
    secret_id = params.get("SecretId")
    if operation == "CreateSecret" and params.get("Name"):
        # The six-character suffix is not known before moto creates it; policies usually end in "-*" or "*".
        return [AuthzTarget(action, f"arn:aws:secretsmanager:{region}:{account}:secret:{params['Name']}", account)]
    if not secret_id:
        return [AuthzTarget(action, "*", account)]
    owner = secret_account(secret_id, account)
    found = lookups.secret(owner, region, secret_id)
    if found is None:
        arn = secret_id if secret_id.startswith("arn:") else \
            f"arn:aws:secretsmanager:{region}:{owner}:secret:{secret_id}"
        return [AuthzTarget(action, arn, owner)]
    arn, policy = found
    return [AuthzTarget(action, arn, owner, resource_policy=policy)]


# ------------------------------------------------------------------------------------------------------- S3
@dataclass(frozen=True)
class S3Call:
    operation: str
    bucket: str | None         # familiar name (what the learner and policies see)
    key: str | None


_S3_BUCKET_SUBRESOURCES = MappingProxyType({
    # query flag: (GET op, PUT op, DELETE op)
    "policy": ("GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    "tagging": ("GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"),
    "versioning": ("GetBucketVersioning", "PutBucketVersioning", None),
    "acl": ("GetBucketAcl", "PutBucketAcl", None),
    "location": ("GetBucketLocation", None, None),
    "publicAccessBlock": ("GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock"),
    "encryption": ("GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"),
    "cors": ("GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
    "ownershipControls": ("GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls"),
    "lifecycle": ("GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"),
    "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    "logging": ("GetBucketLogging", "PutBucketLogging", None),
    "notification": ("GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", None),
    "policyStatus": ("GetBucketPolicyStatus", None, None),
    "versions": ("ListObjectVersions", None, None),
    "uploads": ("ListMultipartUploads", None, None),
})

# S3 operation -> IAM action (Service Authorization Reference, "Actions defined by Amazon S3").
_S3_ACTIONS = MappingProxyType({
    "ListBuckets": "s3:ListAllMyBuckets", "CreateBucket": "s3:CreateBucket", "DeleteBucket": "s3:DeleteBucket",
    "HeadBucket": "s3:ListBucket", "ListObjects": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions", "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketPolicy": "s3:GetBucketPolicy", "PutBucketPolicy": "s3:PutBucketPolicy",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy", "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
    "GetBucketTagging": "s3:GetBucketTagging", "PutBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketTagging": "s3:PutBucketTagging", "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning", "GetBucketAcl": "s3:GetBucketAcl",
    "PutBucketAcl": "s3:PutBucketAcl", "GetBucketLocation": "s3:GetBucketLocation",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock", "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration", "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration", "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS", "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration", "GetBucketWebsite": "s3:GetBucketWebsite",
    "PutBucketWebsite": "s3:PutBucketWebsite", "DeleteBucketWebsite": "s3:DeleteBucketWebsite",
    "GetBucketLogging": "s3:GetBucketLogging", "PutBucketLogging": "s3:PutBucketLogging",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "PutObject": "s3:PutObject",
    "CopyObject": "s3:PutObject", "DeleteObject": "s3:DeleteObject", "DeleteObjects": "s3:DeleteObject",
    "GetObjectTagging": "s3:GetObjectTagging", "PutObjectTagging": "s3:PutObjectTagging",
    "DeleteObjectTagging": "s3:DeleteObjectTagging", "GetObjectAcl": "s3:GetObjectAcl",
    "PutObjectAcl": "s3:PutObjectAcl", "GetObjectAttributes": "s3:GetObjectAttributes",
    "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject", "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject", "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
})


def classify_s3(method: str, bucket: str | None, key: str | None, query: dict[str, str],
                headers: dict[str, str]) -> S3Call:
    """The S3 operation from method + path + query flags (the rest-xml protocol has no operation name)."""
    method = method.upper()
    if not bucket:
        return S3Call("ListBuckets" if method == "GET" else f"Unknown{method.title()}Service", None, None)
    if not key:
        for flag, (get_op, put_op, delete_op) in _S3_BUCKET_SUBRESOURCES.items():
            if flag in query:
                op = {"GET": get_op, "PUT": put_op, "DELETE": delete_op}.get(method)
                if op:
                    return S3Call(op, bucket, None)
        if method == "POST" and "delete" in query:
            return S3Call("DeleteObjects", bucket, None)
        operation = {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method)
        if operation:
            return S3Call(operation, bucket, None)
        if method == "GET":
            return S3Call("ListObjectsV2" if query.get("list-type") == "2" else "ListObjects", bucket, None)
        return S3Call(f"Unknown{method.title()}Bucket", bucket, None)
    if method in ("GET", "HEAD"):
        if "tagging" in query:
            return S3Call("GetObjectTagging", bucket, key)
        if "acl" in query:
            return S3Call("GetObjectAcl", bucket, key)
        if "attributes" in query:
            return S3Call("GetObjectAttributes", bucket, key)
        if "uploadId" in query:
            return S3Call("ListParts", bucket, key)
        return S3Call("HeadObject" if method == "HEAD" else "GetObject", bucket, key)
    if method == "PUT":
        if "tagging" in query:
            return S3Call("PutObjectTagging", bucket, key)
        if "acl" in query:
            return S3Call("PutObjectAcl", bucket, key)
        if "partNumber" in query and "uploadId" in query:
            return S3Call("UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart", bucket, key)
        if "x-amz-copy-source" in headers:
            return S3Call("CopyObject", bucket, key)
        return S3Call("PutObject", bucket, key)
    if method == "DELETE":
        if "tagging" in query:
            return S3Call("DeleteObjectTagging", bucket, key)
        if "uploadId" in query:
            return S3Call("AbortMultipartUpload", bucket, key)
        return S3Call("DeleteObject", bucket, key)
    if method == "POST":
        if "uploads" in query:
            return S3Call("CreateMultipartUpload", bucket, key)
        if "uploadId" in query:
            return S3Call("CompleteMultipartUpload", bucket, key)
    return S3Call(f"Unknown{method.title()}Object", bucket, key)


def s3_action(operation: str, query: dict[str, str]) -> str:
    action = _S3_ACTIONS.get(operation, f"s3:{operation}")
    if "versionId" in query and action in ("s3:GetObject", "s3:DeleteObject", "s3:GetObjectTagging",
                                           "s3:GetObjectAcl", "s3:PutObjectTagging", "s3:PutObjectAcl"):
        action += "Version"  # s3:GetObjectVersion, s3:DeleteObjectVersion, ...
    return action


def delete_objects_keys(body: bytes) -> list[str]:
    """Keys named in a DeleteObjects request body (each needs s3:DeleteObject)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    return [element.text or "" for element in root.iter() if element.tag.endswith("Key")]


def s3_targets(call: S3Call, *, caller_account: str, owner: str | None, policy: str | None,
               query: dict[str, str], headers: dict[str, str], body: bytes,
               copy_source: tuple[str, str] | None = None,
               copy_source_owner: tuple[str, str | None] | None = None) -> list[AuthzTarget]:
    """S3 authorisation targets. `owner`/`policy` describe the bucket (None when it does not exist yet)."""
    action = s3_action(call.operation, query)
    account = owner or caller_account
    if call.operation == "ListBuckets":
        return [AuthzTarget(action, "*", caller_account)]
    bucket_arn = f"arn:aws:s3:::{call.bucket}"
    context: dict[str, Any] = {}
    if action == "s3:ListBucket":
        for name in ("prefix", "delimiter", "max-keys"):
            if name in query:
                context[f"s3:{name}"] = query[name]
    if call.operation == "DeleteObjects":
        keys = delete_objects_keys(body) or ["*"]
        return [AuthzTarget(action, f"{bucket_arn}/{key}", account, policy) for key in keys]
    if call.key is None:
        return [AuthzTarget(action, bucket_arn, account, policy, context=context)]
    if "x-amz-acl" in headers:
        context["s3:x-amz-acl"] = headers["x-amz-acl"]
    targets = [AuthzTarget(action, f"{bucket_arn}/{call.key}", account, policy, context=context)]
    if copy_source is not None:
        source_bucket, source_key = copy_source
        source_account, source_policy = copy_source_owner or (caller_account, None)
        targets.append(AuthzTarget("s3:GetObject", f"arn:aws:s3:::{source_bucket}/{source_key}",
                                   source_account, source_policy))
    return targets
