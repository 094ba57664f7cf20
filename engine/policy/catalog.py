"""Which actions exist: Amazon S3's (for bucket policies, which S3 checks) and, for any service, the operations of its
botocore service model (for IAM Access Analyzer's "Invalid action" finding, which IAM itself never raises).

S3's actions are the Service Authorization Reference's ("Actions defined by Amazon S3") that apply to a bucket or
an object, the only resources a bucket policy can name. An IAM action is usually the API operation's name, but not
always (s3:ListBucket is ListObjectsV2, lambda:InvokeFunction is Invoke, iam:PassRole is no operation at all): the
finding below is therefore given only when a known action is a near miss, with AWS's "Did you mean ...?".
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

# Service Authorization Reference, Amazon S3: actions whose resource type is `object`.
S3_OBJECT_ACTIONS = frozenset({
    "AbortMultipartUpload", "BypassGovernanceRetention", "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion",
    "DeleteObjectVersionTagging", "GetObject", "GetObjectAcl", "GetObjectAttributes", "GetObjectLegalHold",
    "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion", "GetObjectVersionAcl",
    "GetObjectVersionAttributes", "GetObjectVersionForReplication", "GetObjectVersionTagging",
    "GetObjectVersionTorrent", "InitiateReplication", "ListMultipartUploadParts", "ObjectOwnerOverrideToBucketOwner",
    "PutObject", "PutObjectAcl", "PutObjectLegalHold", "PutObjectRetention", "PutObjectTagging", "PutObjectVersionAcl",
    "PutObjectVersionTagging", "ReplicateDelete", "ReplicateObject", "ReplicateTags", "RestoreObject",
})
# ... and `bucket`.
S3_BUCKET_ACTIONS = frozenset({
    "CreateBucket", "DeleteBucket", "DeleteBucketOwnershipControls", "DeleteBucketPolicy", "DeleteBucketWebsite",
    "GetAccelerateConfiguration", "GetAnalyticsConfiguration", "GetBucketAcl", "GetBucketCORS", "GetBucketLocation",
    "GetBucketLogging", "GetBucketNotification", "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls",
    "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketRequestPayment",
    "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite", "GetEncryptionConfiguration",
    "GetIntelligentTieringConfiguration", "GetInventoryConfiguration", "GetLifecycleConfiguration",
    "GetMetricsConfiguration", "GetReplicationConfiguration", "ListBucket", "ListBucketMultipartUploads",
    "ListBucketVersions", "PutAccelerateConfiguration", "PutAnalyticsConfiguration", "PutBucketAcl", "PutBucketCORS",
    "PutBucketLogging", "PutBucketNotification", "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls",
    "PutBucketPolicy", "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging",
    "PutBucketVersioning", "PutBucketWebsite", "PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
    "PutInventoryConfiguration", "PutLifecycleConfiguration", "PutMetricsConfiguration",
    "PutReplicationConfiguration",
})
# S3 actions on no bucket or object (the account, or `*`): valid in identity policies, not in a bucket policy.
S3_ACCOUNT_ACTIONS = frozenset({"ListAllMyBuckets", "GetAccountPublicAccessBlock", "PutAccountPublicAccessBlock",
                                "ListAccessPoints", "ListJobs", "CreateJob"})

# IAM actions that are no API operation of the same name (IAM User Guide; Service Authorization Reference).
EXTRA_ACTIONS = {
    "iam": {"PassRole"},
    "sts": {"TagSession", "SetSourceIdentity", "SetContext"},
    "s3": set(S3_OBJECT_ACTIONS | S3_BUCKET_ACTIONS | S3_ACCOUNT_ACTIONS),
    "lambda": {"InvokeFunction"},
}
# IAM service prefix -> botocore's service name, where they differ.
BOTOCORE_NAMES = {"sso": "sso-admin", "access-analyzer": "accessanalyzer", "states": "stepfunctions",
                  "elasticloadbalancing": "elbv2", "tag": "resourcegroupstaggingapi", "es": "opensearch"}


@lru_cache(maxsize=256)
def service_actions(prefix: str) -> frozenset[str] | None:
    """The action names of a service prefix, or None when the lab does not know the service (no botocore model):
    nothing is then said about its actions."""
    from botocore.exceptions import UnknownServiceError

    prefix = prefix.lower()
    try:
        model = _session().get_service_model(BOTOCORE_NAMES.get(prefix, prefix))
    except UnknownServiceError:
        return frozenset(EXTRA_ACTIONS[prefix]) if prefix in EXTRA_ACTIONS else None
    return frozenset(set(model.operation_names) | EXTRA_ACTIONS.get(prefix, set()))


@lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


def near_miss(action: str) -> str | None:
    """The known action an unknown, wildcard-free `service:Name` most likely meant (Access Analyzer's "Did you mean
    ...?"), or None: for an action that exists, for a service the lab does not know, or for no close match."""
    if ":" not in action or "*" in action or "?" in action:
        return None
    prefix, name = action.split(":", 1)
    known = service_actions(prefix)
    if not known or name.lower() in {k.lower() for k in known}:
        return None
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.85)
    return f"{prefix.lower()}:{by_lower[close[0]]}" if close else None
