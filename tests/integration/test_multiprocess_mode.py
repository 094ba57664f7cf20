"""Multi-process mode: a real `python -m gateway` subprocess owns the engine state and moto; this test process plays
a web process, reaching it only over HTTP (RemoteLab for lab control, remote admin clients for seeding, learner
boto3 clients with `endpoint=`). Also: the control API refuses a missing or wrong token and does not exist under the
/aws mount prefix."""
from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import urllib3
from botocore.exceptions import ClientError

from gateway_kit import allow, doc, new_account, trust
from engine.errors import AwsError
from gateway.client import learner_client
from gateway.control.client import RemoteLab, remote_admin_client
from gateway.control.server import LabControlApp
from gateway.control.wire import LabControlError, RemoteDecision, from_wire, to_wire
from scripts.labserver import stop_process

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-control-token-" + secrets.token_hex(16)


def spawn_gateway(tmp_dir: Path, *, token: str | None, port: int = 0) -> tuple[subprocess.Popen, str]:
    """Start `python -m gateway` (mounted at / and /aws) and wait for its "... on http://host:port" line."""
    env = {k: v for k, v in os.environ.items() if k not in ("LAB_GATEWAY_URL", "LAB_CONTROL_TOKEN")}
    if token is not None:
        env["LAB_CONTROL_TOKEN"] = token
    log_path = tmp_dir / f"gateway-{secrets.token_hex(3)}.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port),
                                    "--mount", "/aws"], cwd=REPO, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text()
        for line in text.splitlines():
            if " on http://" in line:
                return process, line.rsplit(" on ", 1)[1].strip()
        if process.poll() is not None:
            raise RuntimeError(f"python -m gateway exited with {process.returncode}:\n{text}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("python -m gateway did not start within 60 s")


def stop(process: subprocess.Popen) -> None:
    stop_process(process)


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = spawn_gateway(tmp_path_factory.mktemp("gateway"), token=TOKEN)
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def remote(gateway_url: str) -> RemoteLab:
    return RemoteLab(gateway_url, TOKEN)


def raw_post(url: str, path: str, body: Any = None, *, token: str | None = TOKEN, method: str = "POST",
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    response = urllib3.request(method, url + path, body=data, headers=sent, retries=False)
    return response.status, dict(response.headers), response.data


# ------------------------------------------------------------------------------------------------ the whole flow
def test_sandbox_seed_assume_explain_advance_clock_expire_all_over_http(remote: RemoteLab, gateway_url: str) -> None:
    sandbox_id, dev, prod = "mp-" + secrets.token_hex(4), new_account(), new_account()
    remote.register_sandbox(sandbox_id, {"dev": dev, "prod": prod})
    assert remote.sandbox_of_account(prod) == sandbox_id
    assert remote.accounts_of(sandbox_id) == {"dev": dev, "prod": prod}

    # Seed a little world through the remote admin clients (straight to the gateway's moto, per account).
    iam_dev = remote.admin_client("iam", dev)
    iam_dev.create_user(UserName="auditor")
    iam_dev.put_user_policy(UserName="auditor", PolicyName="may-assume",
                            PolicyDocument=doc(allow("sts:AssumeRole", f"arn:aws:iam::{prod}:role/*")))
    key = iam_dev.create_access_key(UserName="auditor")["AccessKey"]
    iam_prod = remote_admin_client(gateway_url, "iam", prod, token=TOKEN)
    role_arn = iam_prod.create_role(
        RoleName="AuditRole", AssumeRolePolicyDocument=doc(
            {"Sid": "TrustDevAccount", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
             "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam_prod.put_role_policy(RoleName="AuditRole", PolicyName="read-logs", PolicyDocument=doc(
        {"Sid": "ReadLogs", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::audit-logs/*"}))
    s3_admin = remote.admin_client("s3", prod, sandbox_id=sandbox_id)
    s3_admin.create_bucket(Bucket="audit-logs")
    s3_admin.put_object(Bucket="audit-logs", Key="2024/events.json", Body=b'{"eventSource": "s3"}')
    # The bucket lives in the sandbox's namespace in moto, and the admin client shows the familiar name back.
    assert [b["Name"] for b in s3_admin.list_buckets()["Buckets"]] == ["audit-logs"]

    # A learner (this process) assumes the role over HTTP; the decision is explained from the gateway's memory.
    sts = learner_client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                         endpoint=gateway_url)
    assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="q3-review", DurationSeconds=900)
    decision = remote.decision(assumed["ResponseMetadata"]["RequestId"])
    assert isinstance(decision, RemoteDecision) and decision.allowed
    assert "TrustDevAccount" in [d["sid"] for d in decision.deciding]
    as_dict = decision.to_dict()
    assert as_dict["allowed"] is True and as_dict["request"]["action"] == "sts:AssumeRole"
    assert as_dict["policies"] == decision.trace and decision.trace  # the explanation trace came along
    json.dumps(as_dict)                                               # and it is what a page would render

    creds = assumed["Credentials"]
    session = {"access_key_id": creds["AccessKeyId"], "secret_access_key": creds["SecretAccessKey"],
               "session_token": creds["SessionToken"]}
    s3 = learner_client("s3", endpoint=gateway_url, **session)
    assert s3.get_object(Bucket="audit-logs", Key="2024/events.json")["Body"].read() == b'{"eventSource": "s3"}'
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket="audit-logs", Key="tamper.json", Body=b"{}")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    denial = remote.decision(denied.value.response["ResponseMetadata"]["RequestId"])
    assert denial is not None and not denial.allowed and not denial.explicit_deny
    assert denial.to_dict()["request"]["action"] == "s3:PutObject"

    [summary] = remote.sessions(sandbox_id)
    assert summary["arn"] == f"arn:aws:sts::{prod}:assumed-role/AuditRole/q3-review" and not summary["expired"]
    assert "SecretAccessKey" not in json.dumps(summary)

    # Clocks: now() comes back as an aware datetime; advancing it expires the session in the gateway.
    before = remote.now(sandbox_id)
    assert isinstance(before, datetime) and before.tzinfo is not None
    assert abs(before - datetime.now(timezone.utc)) < timedelta(seconds=30)
    after = remote.advance_clock(sandbox_id, 901)
    assert isinstance(after, datetime) and timedelta(seconds=900) < after - before < timedelta(seconds=960)
    with pytest.raises(ClientError) as expired:
        learner_client("sts", endpoint=gateway_url, **session).get_caller_identity()
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"
    assert expired.value.response["Error"]["Message"] == "The security token included in the request is expired"
    assert remote.sessions(sandbox_id) == [] and remote.sessions(sandbox_id, include_expired=True)[0]["expired"]

    # set_clock_offset is absolute; forget_sandbox drops the sandbox and its sessions.
    remote.set_clock_offset(sandbox_id, 0)
    assert abs(remote.now(sandbox_id) - datetime.now(timezone.utc)) < timedelta(seconds=30)
    remote.forget_sandbox(sandbox_id)
    assert remote.sandbox_of_account(dev) is None
    with pytest.raises(ClientError) as gone:
        learner_client("sts", endpoint=gateway_url, **session).get_caller_identity()
    assert gone.value.response["Error"]["Code"] in ("InvalidClientTokenId", "ExpiredToken")


def test_state_lives_in_the_gateway_process_not_here(remote: RemoteLab) -> None:
    from gateway.client import default_lab

    sandbox_id, account = "mp-" + secrets.token_hex(4), new_account()
    remote.register_sandbox(sandbox_id, {"solo": account}, clock_offset=3600)
    assert remote.sandbox_of_account(account) == sandbox_id
    assert default_lab().sandbox_of_account(account) is None
    assert remote.now(sandbox_id) - datetime.now(timezone.utc) > timedelta(minutes=59)
    key_id, secret = remote.create_root_access_key(sandbox_id, account)
    arn = learner_client("sts", access_key_id=key_id, secret_access_key=secret,
                         endpoint=remote.url).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{account}:root"


# ------------------------------------------------------------------------------------------------ errors
def test_seeding_travels_as_named_operations_and_the_raw_admin_tunnel_is_gone(remote: RemoteLab,
                                                                            gateway_url: str) -> None:
    """Seeding from a web process is `world.call` (an operation by name and its parameters, checked against
    botocore's model in the gateway); the old `admin` method that took a raw HTTP request is not served."""
    iam = remote.admin_client("iam", new_account())
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="does-not-exist")
    call = {"service": "iam", "operation": "ListUsers", "account_id": "12", "params": {}}
    status, _, body = raw_post(gateway_url, "/_lab/v1/world.call", {"request": call})
    assert status == 400 and "12-digit" in json.loads(body)["error"]["message"]
    status, _, body = raw_post(gateway_url, "/_lab/v1/world.call", {"request": {**call, "service": "no-such-service",
                                                                                "account_id": "123456789012"}})
    assert status == 400 and "unknown AWS service" in json.loads(body)["error"]["message"]
    status, _, body = raw_post(gateway_url, "/_lab/v1/admin", {
        "service": "iam", "account_id": "123456789012", "region": "us-east-1", "method": "POST", "path": "/",
        "headers": {}, "body": {"$bytes": ""}})
    assert status == 404 and "no remote method `admin`" in json.loads(body)["error"]["message"]


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"sandbox_id": "x", "seconds": 1, "extra": 2}).encode(), "unexpected argument"),
    (json.dumps({"seconds": 1}).encode(), "missing argument `sandbox_id`"),
])
def test_bad_control_requests_get_a_clear_400(gateway_url: str, body: bytes, message: str) -> None:
    status, headers, data = raw_post(gateway_url, "/_lab/v1/sandboxes.set_clock_offset", body)
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert message in json.loads(data)["error"]["message"]


def test_unknown_method_wrong_verb_and_oversized_body(gateway_url: str, remote: RemoteLab) -> None:
    for name in ("authenticate", "sandboxes.authenticate", "sts", "kv.get", "world.moto"):
        status, _, data = raw_post(gateway_url, f"/_lab/v1/{name}", {})
        assert status == 404 and "no remote method" in json.loads(data)["error"]["message"], name
    status, headers, _ = raw_post(gateway_url, "/_lab/v1/control.ping", method="GET")
    assert status == 405 and headers["Allow"] == "POST"
    host, port = gateway_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/_lab/v1/control.ping")
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.putheader("Content-Length", str(10**9))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_one_connection_carries_many_calls_control_and_aws_alike(gateway_url: str) -> None:
    """The web processes make a dozen lab-control calls per step: a server that closes each connection (werkzeug's
    development server always answered `Connection: close`) makes each of them reconnect."""
    host, port = gateway_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.connect()
    first_socket = connection.sock
    body = json.dumps({}).encode()
    for _ in range(3):
        connection.request("POST", "/_lab/v1/control.ping", body=body, headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        answer = answer_of(connection)
        assert answer.status == 200 and json.loads(answer.read())["result"]["ok"] is True
        assert (answer.getheader("Connection") or "").lower() != "close"
    # an unsigned AWS call on the same connection: refused as AWS refuses it, header names as AWS spells them
    connection.request("POST", "/", body=b"Action=GetCallerIdentity&Version=2011-06-15",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = answer_of(connection)
    assert answer.status == 403 and b"MissingAuthenticationToken" in answer.read()
    assert "x-amzn-RequestId" in [name for name, _ in answer.getheaders()]
    assert connection.sock is first_socket   # http.client opens a new socket only after the server closed one
    connection.close()


def answer_of(connection: http.client.HTTPConnection) -> http.client.HTTPResponse:
    return connection.getresponse()


def test_a_chunked_request_body_reaches_the_app(gateway_url: str, remote: RemoteLab) -> None:
    """No Content-Length, Transfer-Encoding: chunked (how a client streams a body): it is still read to its end."""
    sandbox_id, account = "chunked-" + secrets.token_hex(4), new_account()
    body = json.dumps({"sandbox_id": sandbox_id, "accounts": {"dev": account}}).encode()
    host, port = gateway_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("POST", "/_lab/v1/sandboxes.register_sandbox", body=iter([body[:10], body[10:]]), encode_chunked=True,
                       headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    answer.read()
    connection.close()
    assert remote.accounts_of(sandbox_id) == {"dev": account}


# ------------------------------------------------------------------------------------------------ the token
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-of-some-length", f"Basic {TOKEN}",
                                           f"Bearer {TOKEN}x", "Bearer ", f"Bearer {TOKEN[:-1]}"],
                         # stable ids: the token is random per process, and pytest-xdist workers must collect alike
                         ids=["none", "wrong", "basic-scheme", "token-plus-char", "empty-bearer", "token-minus-char"])
def test_missing_or_wrong_token_is_refused(gateway_url: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    status, response_headers, data = raw_post(gateway_url, "/_lab/v1/control.ping", {}, token=None, headers=headers)
    assert status == 401 and response_headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(data)["error"]["type"] == "Unauthorized"
    status, _, _ = raw_post(gateway_url, "/_lab/v1/sandboxes.register_sandbox", {
        "sandbox_id": "intruder", "accounts": {"x": new_account()}}, token=None, headers=headers)
    assert status == 401


def test_remote_lab_with_a_wrong_token_raises_a_clear_error(gateway_url: str) -> None:
    with pytest.raises(LabControlError, match="refused") as refused:
        RemoteLab(gateway_url, "another-token-0123456789").ping()
    assert refused.value.status == 401
    with pytest.raises(LabControlError, match="LAB_CONTROL_TOKEN"):
        RemoteLab(gateway_url, "")
    with pytest.raises(ValueError, match="http"):
        RemoteLab("127.0.0.1:4566", TOKEN)


def test_unreachable_gateway_is_a_clear_error() -> None:
    with pytest.raises(LabControlError, match="could not reach"):
        RemoteLab("http://127.0.0.1:9", TOKEN).ping()


def test_control_api_does_not_exist_under_the_aws_mount(gateway_url: str, remote: RemoteLab) -> None:
    """`--mount /aws` serves AWS under /aws; /aws/_lab/... is an AWS request there, never lab control."""
    account = new_account()
    status, headers, data = raw_post(gateway_url, "/aws/_lab/v1/sandboxes.register_sandbox", {
        "sandbox_id": "via-mount", "accounts": {"x": account}})
    assert status >= 400 and "x-amzn-RequestId" in headers
    assert b'"result"' not in data
    assert remote.sandbox_of_account(account) is None
    status, _, data = raw_post(gateway_url, "/aws/_lab/v1/control.ping", {})
    assert status >= 400 and b"instance" not in data


def test_a_gateway_without_a_token_serves_aws_but_no_lab_control(tmp_path: Path) -> None:
    process, url = spawn_gateway(tmp_path, token=None)
    try:
        status, _, data = raw_post(url, "/_lab/v1/control.ping", {}, token="anything-at-all-here")
        assert status == 403 and "LAB_CONTROL_TOKEN" in json.loads(data)["error"]["message"]
        with pytest.raises(ClientError) as aws:  # the AWS side still answers
            learner_client("sts", access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="x" * 40,
                           endpoint=url).get_caller_identity()
        assert aws.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        stop(process)


def test_short_tokens_are_refused_at_start() -> None:
    class Dummy:
        lab = moto = object()

    with pytest.raises(ValueError, match="at least 16"):
        LabControlApp(Dummy(), token="short")
    assert not LabControlApp(Dummy(), token=None).enabled and not LabControlApp(Dummy(), token="").enabled


def test_wire_encoding_round_trips_datetimes_and_bytes() -> None:
    when = datetime(2024, 10, 1, 12, 30, tzinfo=timezone.utc)
    value = {"at": when, "raw": b"\x00\xff", "items": (1, "a"), "nested": [{"at": when}]}
    back = from_wire(json.loads(json.dumps(to_wire(value))))
    assert back == {"at": when, "raw": b"\x00\xff", "items": [1, "a"], "nested": [{"at": when}]}
