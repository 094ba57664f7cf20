"""securecart/aws_root.py served on a port of its own (werkzeug, a free port): the AWS endpoint at the root path
for clients that sign `/` (hvac, aws-iam-authenticator), and IMDS by host name for clients that keep only host and
port (the JavaScript SDK asks `/latest/...`)."""
from __future__ import annotations

import http.client
import json
import urllib.request

import boto3
import pytest
from botocore.config import Config

from sandboxes import imdsmount
from securecart import aws_root
from test_imds_mount import S4, _launch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def root_url():
    server, thread = aws_root.serve_in_thread("127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _admin(learner) -> dict:
    key = learner.sandbox.access_keys.get(account_name="production", user_name="lab-admin")
    return {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key,
            "region_name": "us-east-1"}


def _request(root_url: str, method: str, path: str, host: str, headers: dict | None = None) -> tuple[int, bytes]:
    port = int(root_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    # what a client sends once the label host resolves to the lab (the JavaScript SDK sets Host: hostname:port)
    connection.request(method, path, headers={"Host": host, **(headers or {})})
    answer = connection.getresponse()
    return answer.status, answer.read()


def test_clients_that_sign_the_root_path_are_served(learner, root_url) -> None:
    creds = _admin(learner)
    # botocore signs canonical URI "/" here, as hvac does for its GetCallerIdentity login
    sts = boto3.client("sts", endpoint_url=root_url, **creds)
    production = learner.sandbox.account_ids()["production"]
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{production}:user/lab-admin"
    s3 = boto3.client("s3", endpoint_url=root_url, config=Config(s3={"addressing_style": "path"}), **creds)
    s3.put_object(Bucket="securecart-product-images", Key="root.txt", Body=b"served at /")
    assert s3.head_object(Bucket="securecart-product-images", Key="root.txt")["ContentLength"] == 11
    assert s3.get_object(Bucket="securecart-product-images", Key="root.txt")["Body"].read() == b"served at /"


def test_aws_iam_authenticator_token_verifies_at_the_root(learner, root_url) -> None:
    sts = boto3.client("sts", endpoint_url=root_url, **_admin(learner))
    sts.meta.events.register("before-sign.sts.GetCallerIdentity",
                             lambda request, **_: request.headers.__setitem__("x-k8s-aws-id", "securecart"))
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert url.startswith(root_url + "/?Action=GetCallerIdentity")  # the authenticator insists on path "/"
    request = urllib.request.Request(url, headers={"x-k8s-aws-id": "securecart", "accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        result = json.load(answer)["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    assert result["Arn"].endswith(":user/lab-admin")


def test_lab_control_is_not_reachable_through_the_root(learner, root_url) -> None:
    status, body = _request(root_url, "GET", "/_lab/health", "127.0.0.1")
    assert 400 <= status < 500 and b"<Code>" in body


def test_imds_by_host_name_for_the_javascript_sdk(learner, other_learner, root_url, settings) -> None:
    settings.LAB_AWS_ROOT_URL = root_url
    instance_id = _launch(learner)
    page = learner.client.get("/sandbox/terminal/").content.decode()
    address = imdsmount.host_url(root_url, learner.sandbox, instance_id)
    assert address in page and address.startswith(f"http://{instance_id}--{learner.sandbox.id}--")
    host = address.removeprefix("http://")

    status, token = _request(root_url, "PUT", "/latest/api/token", host,
                             {"x-aws-ec2-metadata-token-ttl-seconds": "21600"})
    assert status == 200
    auth = {"x-aws-ec2-metadata-token": token.decode()}
    status, role = _request(root_url, "GET", "/latest/meta-data/iam/security-credentials/", host, auth)
    assert status == 200 and role == b"SecureCart-WebTier-Role"
    status, document = _request(root_url, "GET", f"/latest/meta-data/iam/security-credentials/{role.decode()}",
                                host, auth)
    creds = json.loads(document)
    assert status == 200 and creds["Code"] == "Success" and creds["AccessKeyId"].startswith("ASIA")

    # Bob knows the instance id and Alice's sandbox id, not the key in her label; nor does his own label help.
    forged = f"{instance_id}--{learner.sandbox.id}--{'a' * 16}.localhost"
    assert _request(root_url, "PUT", "/latest/api/token", forged,
                    {"x-aws-ec2-metadata-token-ttl-seconds": "60"})[0] == 404
    bobs = imdsmount.host_label(other_learner.sandbox, instance_id) + ".localhost"
    assert _request(root_url, "PUT", "/latest/api/token", bobs,
                    {"x-aws-ec2-metadata-token-ttl-seconds": "60"})[0] == 404
