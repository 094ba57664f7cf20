"""S3 bucket policies, checked the way S3 checks them on PutBucketPolicy.

A bucket policy is a resource-based policy, so it first passes the grammar every resource policy passes
(`parse_policy(kind="resource")`: Principal required, actions with a service prefix, ARNs or "*" as resources).
S3 then refuses, with the error code `MalformedPolicy` (not IAM's `MalformedPolicyDocument`):

- "Policy has invalid resource": a Resource (or NotResource) that is not this bucket or an object in it, and
  `"Resource": "*"` too (observed answers: aws-samples/aws-serverless-appsync-app#4, hashicorp/terraform#23570,
  noobaa/noobaa-core#10058 "in AWS it is not allowed"; S3 User Guide, "Policy resources for Amazon S3": a bucket
  policy's resources are the bucket `arn:aws:s3:::bucket` and its objects `arn:aws:s3:::bucket/key`);
- "Policy has invalid action": an action that is not an S3 action (versitygw#650 reproduces AWS's answer);
- "Action does not apply to any resource(s) in statement": an action whose resource type (bucket or object, S3
  User Guide "Policy actions for Amazon S3") matches none of the statement's resources, e.g. `s3:ListBucket` with
  only `arn:aws:s3:::bucket/*`, or `s3:GetObject` with only `arn:aws:s3:::bucket` (versitygw#645; the same answer
  from AWS in wandb/terraform-aws-wandb#156 and ministryofjustice/modernisation-platform#8252);
- "Policy has an invalid condition key": a condition key outside the `aws:` and `s3:` families.

ACTIONS is an allow-list of S3 actions with the resource types they apply to. An S3 action missing from it is
refused as invalid: the lab's choice, so a policy it accepts is one S3 accepts (extend the table when a real action
is missing). Wildcards (`s3:*`, `s3:Get*`) are matched against the table.

    validate_bucket_policy(text_or_dict, bucket="securecart-invoices") -> PolicyDocument   # or raises
"""
from __future__ import annotations

from typing import Any

from engine.errors import MalformedPolicy

from .document import PolicyDocument, PolicyError, parse_policy
from .patterns import glob

BUCKET, OBJECT = "bucket", "object"

_OBJECT_ACTIONS = (
    "AbortMultipartUpload", "BypassGovernanceRetention", "DeleteObject", "DeleteObjectTagging",
    "DeleteObjectVersion", "DeleteObjectVersionTagging", "GetObject", "GetObjectAcl", "GetObjectAttributes",
    "GetObjectLegalHold", "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion",
    "GetObjectVersionAcl", "GetObjectVersionAttributes", "GetObjectVersionForReplication",
    "GetObjectVersionTagging", "GetObjectVersionTorrent", "InitiateReplication", "ListMultipartUploadParts",
    "ObjectOwnerOverrideToBucketOwner", "PutObject", "PutObjectAcl", "PutObjectLegalHold", "PutObjectRetention",
    "PutObjectTagging", "PutObjectVersionAcl", "PutObjectVersionTagging", "ReplicateDelete", "ReplicateObject",
    "ReplicateTags", "RestoreObject",
)
_BUCKET_ACTIONS = (
    "CreateBucket", "DeleteBucket", "DeleteBucketOwnershipControls", "DeleteBucketPolicy", "DeleteBucketWebsite",
    "GetAccelerateConfiguration", "GetAnalyticsConfiguration", "GetBucketAcl", "GetBucketCORS",
    "GetBucketLocation", "GetBucketLogging", "GetBucketNotification", "GetBucketObjectLockConfiguration",
    "GetBucketOwnershipControls", "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment", "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite",
    "GetEncryptionConfiguration", "GetIntelligentTieringConfiguration", "GetInventoryConfiguration",
    "GetLifecycleConfiguration", "GetMetricsConfiguration", "GetReplicationConfiguration", "ListBucket",
    "ListBucketMultipartUploads", "ListBucketVersions", "PutAccelerateConfiguration", "PutAnalyticsConfiguration",
    "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification",
    "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy",
    "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging", "PutBucketVersioning",
    "PutBucketWebsite", "PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
    "PutInventoryConfiguration", "PutLifecycleConfiguration", "PutMetricsConfiguration",
    "PutReplicationConfiguration",
)
# Account-level actions exist but apply to neither a bucket nor an object: in a bucket policy they apply to no
# resource of the statement.
_ACCOUNT_ACTIONS = (
    "CreateJob", "GetAccountPublicAccessBlock", "ListAccessPoints", "ListAllMyBuckets", "ListJobs",
    "PutAccountPublicAccessBlock",
)
ACTIONS: dict[str, frozenset[str]] = {
    **{f"s3:{a}".lower(): frozenset({OBJECT}) for a in _OBJECT_ACTIONS},
    **{f"s3:{a}".lower(): frozenset({BUCKET}) for a in _BUCKET_ACTIONS},
    **{f"s3:{a}".lower(): frozenset() for a in _ACCOUNT_ACTIONS},
}
CONDITION_KEY_PREFIXES = ("aws:", "s3:")


def _fail(message: str, detail: str, path: str) -> MalformedPolicy:
    return MalformedPolicy(f"{message}. {detail}" if detail else message, path=path)


def _resource_type(pattern: str, bucket: str) -> str | None:
    """BUCKET or OBJECT for an ARN inside `bucket`, None for anything else (another bucket, "*", other ARNs)."""
    prefix = f"arn:aws:s3:::{bucket}"
    if pattern == prefix:
        return BUCKET
    if pattern.startswith(prefix + "/"):
        return OBJECT
    return None


def _actions_matching(pattern: str) -> list[str]:
    if pattern == "*":
        return list(ACTIONS)
    matcher = glob(pattern.lower())
    return [name for name in ACTIONS if matcher.match(name)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_keys(block: Any) -> list[str]:
    keys: list[str] = []
    if isinstance(block, dict):
        for entries in block.values():
            if isinstance(entries, dict):
                keys.extend(str(k) for k in entries)
    return keys


def validate_bucket_policy(text: str | dict[str, Any], *, bucket: str) -> PolicyDocument:
    """The parsed policy if S3 would accept it as the policy of `bucket`; raises MalformedPolicy otherwise."""
    try:
        document = parse_policy(text, kind="resource")
    except PolicyError as exc:
        raise MalformedPolicy(exc.message, path=exc.path, line=exc.line, column=exc.column) from None
    for st in document.statements:
        where = st.path
        raw = st.raw
        r_field = "Resource" if "Resource" in raw else "NotResource"
        types = set()
        for pattern in _as_list(raw[r_field]):
            kind = _resource_type(pattern, bucket)
            if kind is None:
                raise _fail("Policy has invalid resource",
                            f"`{pattern}` is not the bucket `arn:aws:s3:::{bucket}` or an object in it; a bucket "
                            "policy can only speak about its own bucket, and `*` is not accepted.",
                            f"{where}.{r_field}")
            types.add(kind)
        a_field = "Action" if "Action" in raw else "NotAction"
        for pattern in _as_list(raw[a_field]):
            matched = _actions_matching(pattern)
            if not matched:
                raise _fail("Policy has invalid action", f"`{pattern}` is not an Amazon S3 action.",
                            f"{where}.{a_field}")
            if a_field == "Action" and r_field == "Resource" and \
                    not any(ACTIONS[name] & types for name in matched):
                needs = " or ".join(sorted(set().union(*(ACTIONS[n] for n in matched)))) or "no bucket or object"
                raise _fail("Action does not apply to any resource(s) in statement",
                            f"`{pattern}` applies to {needs} ARNs, and this statement names only "
                            f"{' and '.join(sorted(types))} ARNs (the bucket is `arn:aws:s3:::{bucket}`, its "
                            f"objects `arn:aws:s3:::{bucket}/*`).", f"{where}.{a_field}")
        for key in _condition_keys(raw.get("Condition")):
            if not key.lower().startswith(CONDITION_KEY_PREFIXES):
                raise _fail("Policy has an invalid condition key",
                            f"`{key}` is not an `aws:` or `s3:` condition key.", f"{where}.Condition")
    return document
