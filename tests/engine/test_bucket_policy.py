"""Bucket policies as S3 validates them on PutBucketPolicy (engine.policy.bucket_policy): each mistake S3 refuses
with MalformedPolicy, and the policies it accepts. Sources are cited in the module's docstring."""
from __future__ import annotations

import json

import pytest

from engine.errors import MalformedPolicy, MalformedPolicyDocument
from engine.policy.bucket_policy import ACTIONS, validate_bucket_policy

BUCKET = "securecart-invoices"
JANE = {"AWS": "arn:aws:iam::987654321098:user/auditor-jane"}


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, **extra) -> dict:
    return {"Effect": "Allow", "Principal": JANE, "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize("document", [
    policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*")),
    policy(allow(["s3:GetObject", "s3:ListBucket"], [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"])),
    policy(allow("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")),
    policy(allow("s3:*", f"arn:aws:s3:::{BUCKET}/2026/*")),
    policy(allow("s3:Get*", f"arn:aws:s3:::{BUCKET}")),           # GetBucketAcl & co. apply to the bucket
    policy(allow("*", f"arn:aws:s3:::{BUCKET}/*")),
    policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    policy({"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
], ids=["object", "both-arns", "list-bucket", "prefix", "get-star-on-bucket", "star-action", "deny-http",
        "notaction-with-s3-key"])
def test_policies_s3_accepts_pass(document) -> None:
    assert validate_bucket_policy(document, bucket=BUCKET).statements


@pytest.mark.parametrize("document, message", [
    (policy(allow("s3:GetObject", "*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", "arn:aws:s3:::securecart-backups/*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}-old/*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", "arn:aws:s3:::securecart-*/*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", [f"arn:aws:s3:::{BUCKET}/*", "*"])), "Policy has invalid resource"),
    (policy(allow("s3:ListBucket", f"arn:aws:s3:::{BUCKET}/*")), "Action does not apply to any resource(s)"),
    (policy(allow(["s3:GetObject", "s3:ListBucket"], f"arn:aws:s3:::{BUCKET}/*")),
     "Action does not apply to any resource(s)"),
    (policy(allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}")), "Action does not apply to any resource(s)"),
    (policy(allow("s3:ListAllMyBuckets", f"arn:aws:s3:::{BUCKET}")), "Action does not apply to any resource(s)"),
    (policy(allow("sts:AssumeRole", f"arn:aws:s3:::{BUCKET}")), "Policy has invalid action"),
    (policy(allow("s3:GetObjekt", f"arn:aws:s3:::{BUCKET}/*")), "Policy has invalid action"),
    (policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*",
                  Condition={"StringEquals": {"sts:ExternalId": "x"}})), "Policy has an invalid condition key"),
    (policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}),
     "Missing required field Principal"),
    (policy(allow("s3:GetObject", "securecart-invoices/*")), "must be in ARN format"),
], ids=["star-resource", "other-bucket", "bucket-name-prefix", "bucket-wildcard", "star-among-others",
        "listbucket-on-objects", "listbucket-beside-getobject", "putobject-on-bucket", "account-action",
        "iam-action", "unknown-s3-action", "sts-condition-key", "no-principal", "not-an-arn"])
def test_each_mistake_s3_refuses_is_refused_as_malformed_policy(document, message) -> None:
    with pytest.raises(MalformedPolicy, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        validate_bucket_policy(document, bucket=BUCKET)
    assert caught.value.code == "MalformedPolicy" and caught.value.status == 400
    assert caught.value.path.startswith("Statement")


def test_a_refusal_is_still_a_malformed_policy_document_for_callers_that_catch_iams_error() -> None:
    text = json.dumps(policy(allow("s3:GetObject", "*")), indent=2)
    with pytest.raises(MalformedPolicyDocument):
        validate_bucket_policy(text, bucket=BUCKET)


def test_grammar_errors_keep_their_line_and_column_under_s3s_code() -> None:
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",\n "Resource": 1}]}'
    with pytest.raises(MalformedPolicy) as caught:
        validate_bucket_policy(text, bucket=BUCKET)
    assert caught.value.line is not None and caught.value.code == "MalformedPolicy"


def test_the_action_table_knows_each_action_once_and_its_resource_type() -> None:
    assert ACTIONS["s3:listbucket"] == {"bucket"} and ACTIONS["s3:getobject"] == {"object"}
    assert ACTIONS["s3:listallmybuckets"] == frozenset()
    assert all(name == name.lower() and name.startswith("s3:") for name in ACTIONS)
