"""Outside clients over real HTTP: the AWS CLI (v1, system-wide) and raw requests, including a mount prefix."""
from __future__ import annotations

import os
import shutil
import subprocess
import zlib
import base64

import pytest

from gateway_kit import Sandbox, allow, trust

AWS = shutil.which("aws")


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_aws_cli_get_caller_identity_and_assume_role(lab_app, http_endpoint: str, tmp_path) -> None:
    sandbox = Sandbox(*lab_app)
    alice = sandbox.user("alice", allow("sts:AssumeRole"))
    role = sandbox.role("CliRole", trust({"AWS": f"arn:aws:iam::{sandbox.dev}:root"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=alice["access_key_id"], AWS_SECRET_ACCESS_KEY=alice["secret_access_key"],
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), HOME=str(tmp_path))
    run = subprocess.run([AWS, "sts", "get-caller-identity", "--endpoint-url", http_endpoint, "--output", "text",
                          "--query", "Arn"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"arn:aws:iam::{sandbox.dev}:user/alice"
    run = subprocess.run([AWS, "sts", "assume-role", "--role-arn", role, "--role-session-name", "cli",
                          "--endpoint-url", http_endpoint, "--output", "text", "--query", "AssumedRoleUser.Arn"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == f"arn:aws:sts::{sandbox.dev}:assumed-role/CliRole/cli", run.stderr
    env["AWS_SECRET_ACCESS_KEY"] = "wrong" + alice["secret_access_key"][5:]
    run = subprocess.run([AWS, "sts", "get-caller-identity", "--endpoint-url", http_endpoint], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "SignatureDoesNotMatch" in run.stderr


def test_mounted_under_a_prefix_over_http(lab_app) -> None:
    from gateway.app import GatewayApp
    from gateway.client import learner_client
    from gateway.server import serve_in_thread

    lab, app = lab_app
    mounted = GatewayApp(lab, app.moto, mount_path="/aws")
    server, thread = serve_in_thread("127.0.0.1", 0, mounted)
    try:
        sandbox = Sandbox(lab, mounted, endpoint=f"http://127.0.0.1:{server.server_port}/aws")
        owner = sandbox.user("owner", allow("s3:*"))
        s3 = sandbox.client("s3", owner)
        s3.create_bucket(Bucket="prefixed-bucket")
        s3.put_object(Bucket="prefixed-bucket", Key="dir/a b.txt", Body=b"x" * 70000)
        assert s3.get_object(Bucket="prefixed-bucket", Key="dir/a b.txt")["Body"].read() == b"x" * 70000
        assert learner_client("sts", endpoint=sandbox.endpoint, **owner).get_caller_identity()["Arn"].endswith(
            ":user/owner")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_streaming_unsigned_payload_trailer_upload(local: Sandbox) -> None:
    """PutObject as SDKs send it over TLS: aws-chunked body with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from gateway.app import IncomingRequest

    local.admin("s3").create_bucket(Bucket="chunky")
    owner = local.user("owner", allow("s3:*"))
    data = b"hello chunked world"
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    body = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n" + f"x-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    request = AWSRequest("PUT", "http://127.0.0.1:8000/aws/chunky/file.txt", data=body, headers={
        "Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
    S3SigV4Auth(Credentials(owner["access_key_id"], owner["secret_access_key"]), "s3", "us-east-1").add_auth(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = "127.0.0.1:8000"
    response = local.app.handle(IncomingRequest("PUT", "/chunky/file.txt", "/aws/chunky/file.txt", "", headers, body))
    assert response.status == 200, response.body
    assert local.admin("s3").get_object(Bucket="chunky", Key="file.txt")["Body"].read() == data
