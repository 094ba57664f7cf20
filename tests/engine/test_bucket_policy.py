"""S3's checks of a bucket policy (engine.policy.bucket.validate_bucket_policy): each refusal in S3's words, with
where that wording is recorded; and the same refusal through the gateway (PutBucketPolicy stores nothing)."""
from __future__ import annotations

import json

import pytest

from engine.policy.bucket import MalformedPolicy, validate_bucket_policy


def policy(**changes) -> dict:
    statement = {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::invoices/*"}
    statement.update(changes)
    return {"Version": "2012-10-17", "Statement": [statement]}


def refused(document, bucket: str = "invoices") -> str:
    with pytest.raises(MalformedPolicy) as info:
        validate_bucket_policy(document if isinstance(document, str) else json.dumps(document), bucket)
    assert (info.value.code, info.value.status) == ("MalformedPolicy", 400)
    return info.value.message


def test_a_valid_policy_parses_as_a_resource_policy() -> None:
    document = validate_bucket_policy(json.dumps(policy()), "invoices")
    assert document.kind == "resource" and document.statements[0].sid == "Read"


@pytest.mark.parametrize("text", ["policy.json", "", "  [1]", "file://policy.json"])
def test_not_json_at_all(text: str) -> None:
    # observed: aws/aws-cli#2779 (a file name passed without file://), cloud-gov/terraform-provision#574
    assert refused(text) == "Policies must be valid JSON and the first byte must be '{'"


def test_json_that_does_not_parse() -> None:
    assert refused('{"Version": "2012-10-17",}') == "This policy contains invalid Json"


@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::other-bucket/*", "arn:aws:s3:::invoices-2/*",
                                      "arn:aws:iam::111122223333:root", ["arn:aws:s3:::invoices/*", "*"]])
def test_a_resource_outside_the_bucket(resource) -> None:
    # observed: aws-samples/aws-serverless-appsync-app#4; "*" refused: noobaa/noobaa-core#10058
    assert refused(policy(Resource=resource)) == "Policy has invalid resource"


def test_a_wildcard_that_can_name_the_bucket_is_accepted() -> None:
    validate_bucket_policy(json.dumps(policy(Resource="arn:aws:s3:::invoi*/*")), "invoices")


@pytest.mark.parametrize("action", ["s3:GetObjects", "iam:PassRole", "s3:ListAllMyBuckets", "s3:Fly*"])
def test_an_action_that_is_no_bucket_or_object_action(action: str) -> None:
    assert refused(policy(Action=action)) == "Policy has invalid action"


def test_an_action_on_a_resource_it_cannot_apply_to() -> None:
    # s3:PutObject names objects, the bucket's own ARN is the bucket (as versity/versitygw records S3 answering)
    assert refused(policy(Action="s3:PutObject", Resource="arn:aws:s3:::invoices")) == \
        "Action does not apply to any resource(s) in statement"
    validate_bucket_policy(json.dumps(policy(Action=["s3:ListBucket", "s3:GetObject"],
                                             Resource=["arn:aws:s3:::invoices", "arn:aws:s3:::invoices/*"])),
                           "invoices")


@pytest.mark.parametrize("document, message", [
    ({"Version": "2012-10-17"}, "Missing required field Statement"),
    ({"Version": "2012-10-17", "Statement": []}, "Could not parse the policy: Statement is empty!"),
    ({"Version": "2020-01-01", "Statement": [policy()["Statement"][0]]}, "The policy must contain a valid version string"),
    (policy(Effect="allow"), "Invalid effect: allow"),
    (policy(Principal={"AWS": "not-an-account"}), "Invalid principal in policy"),
])
def test_s3s_other_refusals(document: dict, message: str) -> None:
    assert refused(document) == message


def test_no_principal() -> None:
    document = policy()
    del document["Statement"][0]["Principal"]
    assert refused(document) == "Missing required field Principal"
