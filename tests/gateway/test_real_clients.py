"""What real clients need beyond the SDKs' everyday calls: presigned URLs that expire on the sandbox's clock,
GetCallerIdentity as aws-iam-authenticator asks for it (presigned GET, Accept: application/json), exact wire texts,
and AssumeRoot refused as AWS refuses it."""
from __future__ import annotations

import json
from datetime import timedelta
import urllib.error
import urllib.request
from xml.etree import ElementTree

import boto3
import botocore.auth
import botocore.utils
from botocore.config import Config

from gateway_kit import Sandbox, allow


def _client(service: str, endpoint: str, creds: dict, **config) -> object:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=creds["access_key_id"], aws_secret_access_key=creds["secret_access_key"],
                        aws_session_token=creds.get("session_token"), config=Config(**config))


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _signing_clock(monkeypatch, seconds_from_now: int) -> None:
    """botocore stamps X-Amz-Date with whole seconds; signing a few seconds off keeps "before"/"after" the
    fast-forward unambiguous without waiting on the clock."""
    real = botocore.utils.get_current_datetime

    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda *a, **k: real(*a, **k) + timedelta(seconds=seconds_from_now))


def test_presigned_url_signed_before_a_fast_forward_expires_on_the_sandbox_clock(local: Sandbox, http_endpoint: str,
                                                                                  monkeypatch) -> None:
    owner = local.user("owner", allow("s3:*"))
    s3 = _client("s3", http_endpoint, owner, signature_version="s3v4", s3={"addressing_style": "path"})
    s3.create_bucket(Bucket="shared-reports")
    s3.put_object(Bucket="shared-reports", Key="q3.csv", Body=b"revenue,42")
    _signing_clock(monkeypatch, -5)
    before = s3.generate_presigned_url("get_object", Params={"Bucket": "shared-reports", "Key": "q3.csv"},
                                       ExpiresIn=900)
    assert _get(before)[0] == 200
    local.lab.advance_clock(local.id, 901)  # the class fast-forwards past the URL's 15 minutes
    status, _, body = _get(before)
    root = ElementTree.fromstring(body)
    assert status == 403 and root.findtext("Code") == "AccessDenied" and root.findtext("Message") == \
        "Request has expired"
    assert root.findtext("X-Amz-Expires") == "900" and root.findtext("ServerTime")
    _signing_clock(monkeypatch, 2)
    after = s3.generate_presigned_url("get_object", Params={"Bucket": "shared-reports", "Key": "q3.csv"},
                                      ExpiresIn=900)
    status, _, body = _get(after)
    assert status == 200 and body == b"revenue,42"


def test_presigned_sts_url_expires_on_the_sandbox_clock_too(local: Sandbox, http_endpoint: str,
                                                            monkeypatch) -> None:
    creds = local.user("alice")
    sts = _client("sts", http_endpoint, creds)
    _signing_clock(monkeypatch, -5)
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert _get(url)[0] == 200, _get(url)
    local.lab.advance_clock(local.id, 120)
    status, _, body = _get(url)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body and b"Signature expired" in body


def test_get_caller_identity_answers_json_as_aws_iam_authenticator_asks(local: Sandbox, http_endpoint: str) -> None:
    creds = local.user("eks-admin")
    sts = _client("sts", http_endpoint, creds)

    def add_cluster_header(request, **_: object) -> None:
        request.headers["x-k8s-aws-id"] = "securecart-eks"  # the authenticator signs its cluster id

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_cluster_header)
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert "x-k8s-aws-id" in url.lower() and url.startswith(http_endpoint + "/?")
    # what the authenticator's verifier sends (pkg/token/token.go: GET, x-k8s-aws-id, accept: application/json)
    status, headers, body = _get(url, {"x-k8s-aws-id": "securecart-eks", "accept": "application/json"})
    assert status == 200 and headers["Content-Type"] == "application/json"
    wrapper = json.loads(body)
    result = wrapper["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    assert result == {"Account": local.dev, "Arn": f"arn:aws:iam::{local.dev}:user/eks-admin",
                      "UserId": result["UserId"]} and result["UserId"].startswith("AIDA")
    assert wrapper["GetCallerIdentityResponse"]["ResponseMetadata"]["RequestId"] == headers["x-amzn-RequestId"]
    # an error, asked for in JSON, is JSON as well
    status, headers, body = _get(url.replace("Signature=", "Signature=00"), {"x-k8s-aws-id": "securecart-eks",
                                                                           "accept": "application/json"})
    assert status == 403 and json.loads(body)["Error"]["Code"] == "SignatureDoesNotMatch"
    # without Accept: application/json the same URL answers XML, as before
    status, headers, body = _get(url, {"x-k8s-aws-id": "securecart-eks"})
    assert status == 200 and body.startswith(b"<GetCallerIdentityResponse")


def test_assume_root_through_the_endpoint_is_access_denied_as_without_centralized_root_access(
        local: Sandbox, http_endpoint: str) -> None:
    creds = local.user("rootops", allow("sts:AssumeRoot"))
    sts = _client("sts", http_endpoint, creds)
    try:
        sts.assume_root(TargetPrincipal=local.prod,
                        TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"})
    except sts.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert "centralized root access" in error.response["Error"]["Message"]
    else:
        raise AssertionError("AssumeRoot succeeded")
    # the model's limits hold first: DurationSeconds 0-900
    try:
        sts.assume_root(TargetPrincipal=local.prod, DurationSeconds=901,
                        TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"})
    except sts.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "ValidationError"
    else:
        raise AssertionError("AssumeRoot accepted 901 seconds")
