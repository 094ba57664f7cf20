"""Wire answers that differed from responses recorded against real AWS (issue 25: an outside corpus of AWS-validated
snapshots), now answered as AWS answers them, through boto3 and the gateway in-process and over HTTP; and the two
SigV4 "normalize-path" cases of AWS's own signature test suite (the suite botocore vendors in
tests/unit/auth/aws4_testsuite) that the gateway used to refuse."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from gateway import sigv4
from gateway.app import IncomingRequest
from gateway_kit import Sandbox, allow, trust
from test_gateway_sts import error_of

TAGGING = ["sts:AssumeRole", "sts:TagSession"]


def tagging_role(sbx: Sandbox, name: str = "Tagged") -> str:
    return sbx.role(name, trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"}, TAGGING), allow(TAGGING))


def test_a_transitive_key_that_is_not_a_passed_tag(sbx: Sandbox) -> None:
    # assume-role --tags Key=A,Value=1 --transitive-tag-keys B
    role, alice = tagging_role(sbx), sbx.user("alice", allow(TAGGING))
    with pytest.raises(ClientError) as info:
        sbx.client("sts", alice).assume_role(RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "A", "Value": "1"}],
                                             TransitiveTagKeys=["B"])
    assert error_of(info) == ("InvalidParameterValue",
                              "The specified transitive tag key must be included in the requested tags.", 400)


def test_duplicate_tag_keys_that_differ_only_in_case(sbx: Sandbox) -> None:
    role, alice = tagging_role(sbx), sbx.user("alice", allow(TAGGING))
    with pytest.raises(ClientError) as info:
        sbx.client("sts", alice).assume_role(RoleArn=role, RoleSessionName="s1", Tags=[
            {"Key": "team", "Value": "1"}, {"Key": "Team", "Value": "2"}])
    assert error_of(info) == ("InvalidParameterValue",
                              "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)


def test_a_tag_that_conflicts_with_an_inherited_transitive_tag(sbx: Sandbox) -> None:
    first = tagging_role(sbx, "First")
    second = sbx.role("Second", trust({"AWS": first}, TAGGING))
    alice = sbx.user("alice", allow(TAGGING))
    hop = sbx.assume(alice, first, Tags=[{"Key": "SessionTag1", "Value": "a"}], TransitiveTagKeys=["SessionTag1"])
    with pytest.raises(ClientError) as info:
        sbx.client("sts", hop).assume_role(RoleArn=second, RoleSessionName="s2",
                                           Tags=[{"Key": "SessionTag1", "Value": "b"}])
    assert error_of(info) == ("InvalidParameterValue", "One of the specified transitive tag keys can't be set because "
                              "it conflicts with a transitive tag key from the calling session.", 400)


def test_a_role_arn_that_is_no_arn(sbx: Sandbox) -> None:
    alice = sbx.user("alice", allow("sts:AssumeRole"))
    with pytest.raises(ClientError) as info:
        sbx.client("sts", alice).assume_role(RoleArn="nothing-valid-in-here", RoleSessionName="s1")
    assert error_of(info) == ("ValidationError", "nothing-valid-in-here is invalid", 400)


def test_create_role_with_a_trailing_comma_in_its_trust_policy(sbx: Sandbox) -> None:
    admin = sbx.user("admin", allow("iam:*"))
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, ' \
               '"Action": "sts:AssumeRole",}]}'
    with pytest.raises(ClientError) as info:
        sbx.client("iam", admin).create_role(RoleName="Comma", AssumeRolePolicyDocument=document)
    assert error_of(info) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)


# ------------------------------------------------------------------------------------------------------ SigV4 `//`
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)


@pytest.mark.parametrize("path, canonical_uri, signature", [
    # aws-sig-v4-test-suite normalize-path/get-slash and normalize-path/get-slashes (.req, .creq, .authz)
    ("//", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("//example//", "/example/", "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
])
def test_aws_signature_suite_collapses_consecutive_slashes(path: str, canonical_uri: str, signature: str) -> None:
    headers = {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z",
               "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                                f"SignedHeaders=host;x-amz-date, Signature={signature}"}
    assert sigv4.canonical_uri(path, s3=False) == canonical_uri
    auth = sigv4.parse_authorization(headers, {})
    sigv4.verify(auth, SUITE_SECRET, method="GET", raw_path=path, raw_query="", headers=headers, body=b"",
                 s3=False, now=SUITE_TIME)


def test_s3_keeps_empty_segments_in_its_canonical_uri() -> None:
    # S3 signs the path as sent (a key may start with a slash): botocore's S3SigV4Auth does not normalise it
    assert sigv4.canonical_uri("/bucket//key", s3=True) == "/bucket//key"


def test_a_request_sent_to_a_double_slash_path_reaches_sts(local: Sandbox) -> None:
    alice = local.user("alice")
    request = AWSRequest("POST", "http://127.0.0.1:8000//", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(alice["access_key_id"], alice["secret_access_key"]), "sts", "us-east-1").add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = "127.0.0.1:8000"
    answer = local.app.handle(IncomingRequest("POST", "//", "//", "", headers, request.body))
    assert answer.status == 200, answer.body
    assert f":user/alice".encode() in answer.body


def test_put_bucket_policy_is_checked_as_s3_checks_it_and_stores_nothing(sbx: Sandbox) -> None:
    # engine.policy.bucket_policy (tests/engine/test_bucket_policy.py has every case): "Resource": "*" is refused by S3
    owner = sbx.user("owner", allow("s3:*"))
    s3 = sbx.client("s3", owner)
    bucket = f"{sbx.id}-ledger"
    s3.create_bucket(Bucket=bucket)
    everything = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})
    with pytest.raises(ClientError) as info:
        s3.put_bucket_policy(Bucket=bucket, Policy=everything)
    assert error_of(info) == ("MalformedPolicy", "Policy has invalid resource", 400)
    with pytest.raises(ClientError) as info:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(info)[0] == "NoSuchBucketPolicy"
