"""The Django /aws mount as real clients meet it: HEAD answers keep their Content-Length (the AWS CLI's `s3 cp` and
`s3api head-object` read an object's size from it), and refusals of the mount itself are AWS-shaped, in the
protocol of the service the client called."""
from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from xml.etree import ElementTree

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from django.core.management import call_command
from django.test import Client

from sandboxes import gatewaymount


def _admin_keys(live_server) -> dict:
    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "create", "--json", "--accounts", "1", stdout=out)
    data = json.loads(out.getvalue())
    return {"endpoint_url": data["endpoint_url"], "region_name": "us-east-1",
            "aws_access_key_id": data["accounts"][0]["admin"]["access_key_id"],
            "aws_secret_access_key": data["accounts"][0]["admin"]["secret_access_key"]}


@pytest.mark.django_db(transaction=True)
def test_head_object_through_the_mount_keeps_content_length_and_transfers_work(live_server, tmp_path) -> None:
    s3 = boto3.client("s3", **_admin_keys(live_server))
    s3.create_bucket(Bucket="cli-files")
    body = b"0123456789" * 1000
    s3.put_object(Bucket="cli-files", Key="report.csv", Body=body)
    head = s3.head_object(Bucket="cli-files", Key="report.csv")
    assert head["ContentLength"] == len(body)
    assert head["ResponseMetadata"]["HTTPHeaders"]["content-length"] == str(len(body))
    # s3transfer is what `aws s3 cp` runs: it sizes the download from HeadObject, then GETs ranges
    target = tmp_path / "report.csv"
    s3.download_file("cli-files", "report.csv", str(target),
                     Config=TransferConfig(multipart_threshold=4096, multipart_chunksize=4096))
    assert target.read_bytes() == body
    with pytest.raises(s3.exceptions.ClientError) as info:
        s3.head_object(Bucket="cli-files", Key="missing.csv")
    assert info.value.response["Error"]["Code"] == "404"


@pytest.mark.django_db(transaction=True)
def test_head_bucket_through_the_mount_answers_200(live_server) -> None:
    s3 = boto3.client("s3", **_admin_keys(live_server))
    s3.create_bucket(Bucket="cli-head")
    assert s3.head_bucket(Bucket="cli-head")["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.django_db(transaction=True)
def test_oversized_body_is_s3s_entity_too_large_not_plain_text(live_server, monkeypatch) -> None:
    monkeypatch.setattr(gatewaymount, "MAX_BODY", 1000)
    s3 = boto3.client("s3", **_admin_keys(live_server))
    s3.create_bucket(Bucket="big-files")
    with pytest.raises(s3.exceptions.ClientError) as info:
        s3.put_object(Bucket="big-files", Key="big.bin", Body=b"x" * 5000)
    error = info.value.response["Error"]
    assert error["Code"] == "EntityTooLarge" and error["Message"] == "Your proposed upload exceeds the maximum allowed size"


@pytest.mark.django_db
def test_bad_content_length_is_aws_shaped_in_the_callers_protocol(db) -> None:
    client = Client()
    # a JSON-protocol client (X-Amz-Target) gets JSON
    response = client.generic("POST", "/aws/", b"{}", content_type="application/x-amz-json-1.1",
                              HTTP_X_AMZ_TARGET="secretsmanager.ListSecrets", CONTENT_LENGTH="-5")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/x-amz-json")
    assert json.loads(response.content)["__type"] == "InvalidRequest"
    # a query-protocol client gets query XML
    response = client.generic("POST", "/aws/", b"Action=GetCallerIdentity",
                              content_type="application/x-www-form-urlencoded", CONTENT_LENGTH="abc")
    assert response.status_code == 400
    assert ElementTree.fromstring(response.content).find(".//{*}Code").text == "InvalidRequest"


@pytest.mark.django_db(transaction=True)
def test_head_over_raw_http_carries_the_length_and_no_body(live_server) -> None:
    keys = _admin_keys(live_server)
    s3 = boto3.client("s3", config=Config(signature_version="s3v4"), **keys)
    s3.create_bucket(Bucket="raw-head")
    s3.put_object(Bucket="raw-head", Key="a.txt", Body=b"hello world")
    url = s3.generate_presigned_url("head_object", Params={"Bucket": "raw-head", "Key": "a.txt"}, HttpMethod="HEAD")
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200 and answer.headers["Content-Length"] == "11" and answer.read() == b""
    except urllib.error.HTTPError as error:  # pragma: no cover - shows the body when it fails
        raise AssertionError(error.read()) from None
