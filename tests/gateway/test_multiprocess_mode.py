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
    from engine.lab import get_lab

    sandbox_id, account = "mp-" + secrets.token_hex(4), new_account()
    remote.register_sandbox(sandbox_id, {"solo": account}, clock_offset=3600)
    assert remote.sandbox_of_account(account) == sandbox_id
    assert get_lab().sandbox_of_account(account) is None
    assert remote.now(sandbox_id) - datetime.now(timezone.utc) > timedelta(minutes=59)
    key_id, secret = remote.create_root_access_key(sandbox_id, account)
    arn = learner_client("sts", access_key_id=key_id, secret_access_key=secret,
                         endpoint=remote.url).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{account}:root"


def test_register_oidc_jwks_reaches_the_gateways_sts(remote: RemoteLab) -> None:
    """An OIDC token signed by a key this process made verifies at the gateway once its JWKS is registered there."""
    from engine.federation.idp import OidcIssuer
    from engine.federation.keys import SigningKey

    issuer = OidcIssuer("https://idp-" + secrets.token_hex(3) + ".example/oidc", SigningKey.generate("mp-test"))
    sandbox_id, account = "mp-" + secrets.token_hex(4), new_account()
    remote.register_sandbox(sandbox_id, {"main": account})
    iam = remote.admin_client("iam", account)
    provider = iam.create_open_id_connect_provider(Url=issuer.issuer_url, ClientIDList=["app"],
                                                   ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    role = iam.create_role(RoleName="WebRole", AssumeRolePolicyDocument=trust(
        {"Federated": provider}, "sts:AssumeRoleWithWebIdentity"))["Role"]["Arn"]
    token = issuer.issue_token(sub="user-1", aud="app", now=datetime.now(timezone.utc))
    from gateway.client import unsigned_client

    sts = unsigned_client("sts", endpoint=remote.url)
    with pytest.raises(ClientError) as unknown:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
    assert unknown.value.response["Error"]["Code"] == "InvalidIdentityToken"
    assert "Couldn't retrieve verification key" in unknown.value.response["Error"]["Message"]
    report = remote.federation_report(unknown.value.response["ResponseMetadata"]["RequestId"])
    assert report is not None and report["error"]["defence"] == "jwks"   # the checklist the tamper bench shows
    remote.register_oidc_jwks("mp-" + secrets.token_hex(4), issuer.issuer_url, issuer.jwks())   # another sandbox's
    with pytest.raises(ClientError) as elsewhere:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
    assert "Couldn't retrieve verification key" in elsewhere.value.response["Error"]["Message"]
    remote.register_oidc_jwks(sandbox_id, issuer.issuer_url, issuer.jwks())
    result = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/WebRole/web"


def test_instance_metadata_is_served_by_the_gateway_process(remote: RemoteLab) -> None:
    """Scenario 4 in remote mode: the instance, its role session and its IMDS tokens live in the gateway."""
    sandbox_id, account = "mp-" + secrets.token_hex(4), new_account()
    remote.register_sandbox(sandbox_id, {"prod": account})
    iam = remote.admin_client("iam", account)
    iam.create_role(RoleName="WebTier", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.create_instance_profile(InstanceProfileName="WebTier")
    iam.add_role_to_instance_profile(InstanceProfileName="WebTier", RoleName="WebTier")
    instance = remote.admin_client("ec2", account).run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
        IamInstanceProfile={"Name": "WebTier"}, MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    imds = remote.imds_app()
    assert imds.handle("GET", f"/{instance}/latest/meta-data/instance-id", {}).status == 401   # IMDSv1 refused
    token = imds.handle("PUT", f"/{instance}/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert token.status == 200 and token.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "60"
    answer = imds.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/WebTier",
                         {"X-aws-ec2-metadata-token": token.body})
    assert answer.status == 200 and answer.content_type == "application/json"
    document = answer.json()
    arn = learner_client("sts", access_key_id=document["AccessKeyId"], secret_access_key=document["SecretAccessKey"],
                         session_token=document["Token"], endpoint=remote.url).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{account}:assumed-role/WebTier/{instance}"
    [generation] = imds.timeline(instance)
    assert generation["access_key_id"] == document["AccessKeyId"] and generation["state"] == "served"
    assert isinstance(generation["expires_at"], datetime)
    assert imds.handle("GET", "/i-0000000000000000/latest/meta-data/", {}).status == 404


def test_mfa_device_seed_and_replay_memory_are_the_gateways(remote: RemoteLab) -> None:
    """Scenario 5/9 reads: lab.mfa_device (the seed for the virtual phone) and the MFA replay memory."""
    from engine import mfa
    from engine.directory import MfaDeviceInfo

    sandbox_id, account = "mp-" + secrets.token_hex(4), new_account()
    remote.register_sandbox(sandbox_id, {"prod": account})
    serial = remote.admin_client("iam", account).create_virtual_mfa_device(
        VirtualMFADeviceName="oncall-phone")["VirtualMFADevice"]["SerialNumber"]
    device = remote.mfa_device(serial)
    assert isinstance(device, MfaDeviceInfo) and device.account == account and device.user_name is None
    assert device.seed and remote.mfa_device(serial.replace("oncall", "nobody")) is None
    assert remote.mfa_last_used_step(serial, device.seed) is None
    now = mfa.clock()
    proof = remote.mfa_verify_enable(serial, device.seed, mfa.code_at(device.seed, now - 30),
                                     mfa.code_at(device.seed, now), at=now)
    assert proof.serial == serial and proof.step == mfa.step_of(now)
    assert remote.mfa_last_used_step(serial, device.seed) == proof.step
    code = mfa.code_at(device.seed, now)
    with pytest.raises(AwsError) as refused:
        remote.mfa_verify_enable(serial, device.seed, code, code, at=now)
    assert refused.value.code == "InvalidAuthenticationCode" and refused.value.status == 403
    assert getattr(refused.value, "reason") == "same-code"


def test_shared_key_value_store_is_one_for_every_web_process(gateway_url: str) -> None:
    """Two web processes (two RemoteLabs) see the same learner credentials; values round-trip; timeouts apply."""
    first, second = RemoteLab(gateway_url, TOKEN), RemoteLab(gateway_url, TOKEN)
    key = "creds:" + secrets.token_hex(4)
    value = {"access_key_id": "ASIAEXAMPLE", "expiration": datetime(2030, 1, 1, tzinfo=timezone.utc), "n": [1, 2]}
    assert first.kv.get(key) is None
    first.kv.set(key, value)
    assert second.kv.get(key) == value
    assert not second.kv.add(key, {"other": 1}) and first.kv.get(key) == value
    assert second.kv.delete(key) and first.kv.get(key) is None and not first.kv.delete(key)
    first.kv.set(key, "short-lived", timeout=0.2)
    assert second.kv.get(key) == "short-lived"
    time.sleep(0.3)
    assert second.kv.get(key) is None and not second.kv.touch(key, 10)
    with pytest.raises(ValueError, match="too large"):
        first.kv.set(key, "x" * 300_000)


def test_key_value_store_bounds_and_expiry() -> None:
    from gateway.control.store import KeyValueStore

    now = [100.0]
    store = KeyValueStore(now=lambda: now[0])
    store.set("a", 1, timeout=10)
    store.set("b", 2)
    now[0] += 5
    assert store.touch("a", 10) and store.get("a") == 1
    now[0] += 9
    assert store.get("a") == 1 and store.get("b") == 2
    now[0] += 2
    assert store.get("a") is None and store.get("b") == 2
    assert store.add("a", 3) and store.get("a") == 3
    store.set("b", 4, timeout=0)            # a zero timeout deletes, as Django's caches do
    assert store.get("b") is None
    store.MAX_ENTRIES = 3
    for name in "wxyz":
        store.set(name, name)
    assert store.get("a") is None and [store.get(n) for n in "xyz"] == ["x", "y", "z"]
    store.clear()
    assert store.get("z") is None


# ------------------------------------------------------------------------------------------------ errors
def test_lab_errors_come_back_as_the_same_kind(remote: RemoteLab) -> None:
    with pytest.raises(KeyError, match="unknown sandbox"):
        remote.set_clock_offset("no-such-sandbox", 10)
    with pytest.raises(ValueError, match="12-digit"):
        remote.register_sandbox("mp-bad", {"dev": "12345"})
    with pytest.raises(ValueError, match="must be int or float"):
        remote.set_clock_offset("no-such-sandbox", "ten")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        remote.advance_clock("no-such-sandbox", float("inf"))
    with pytest.raises(ValueError, match="not part of sandbox"):
        remote.create_root_access_key("no-such-sandbox", new_account())
    assert remote.decision("no-such-request") is None and remote.decisions("no-such-request") == []


def test_admin_forwarding_keeps_aws_errors_and_validates_its_envelope(remote: RemoteLab, gateway_url: str) -> None:
    iam = remote.admin_client("iam", new_account())
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="does-not-exist")
    status, _, body = raw_post(gateway_url, "/_lab/v1/admin", {
        "service": "iam", "account_id": "12", "region": "us-east-1", "method": "POST", "path": "/",
        "headers": {}, "body": {"$bytes": ""}})
    assert status == 400 and "12-digit" in json.loads(body)["error"]["message"]
    status, _, body = raw_post(gateway_url, "/_lab/v1/admin", {
        "service": "no-such-service", "account_id": "123456789012", "region": "us-east-1", "method": "POST",
        "path": "/", "headers": {}})
    assert status == 400 and "unknown AWS service" in json.loads(body)["error"]["message"]


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"sandbox_id": "x", "seconds": 1, "extra": 2}).encode(), "unexpected argument"),
    (json.dumps({"seconds": 1}).encode(), "missing argument `sandbox_id`"),
])
def test_bad_control_requests_get_a_clear_400(gateway_url: str, body: bytes, message: str) -> None:
    status, headers, data = raw_post(gateway_url, "/_lab/v1/set_clock_offset", body)
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert message in json.loads(data)["error"]["message"]


def test_unknown_method_wrong_verb_and_oversized_body(gateway_url: str, remote: RemoteLab) -> None:
    status, _, data = raw_post(gateway_url, "/_lab/v1/authenticate", {})
    assert status == 404 and "no remote method" in json.loads(data)["error"]["message"]
    with pytest.raises(LabControlError, match="404"):
        remote.call("store")
    status, headers, _ = raw_post(gateway_url, "/_lab/v1/ping", method="GET")
    assert status == 405 and headers["Allow"] == "POST"
    host, port = gateway_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/_lab/v1/ping")
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
        connection.request("POST", "/_lab/v1/ping", body=body, headers={
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
    connection.request("POST", "/_lab/v1/register_sandbox", body=iter([body[:10], body[10:]]), encode_chunked=True,
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
    status, response_headers, data = raw_post(gateway_url, "/_lab/v1/ping", {}, token=None, headers=headers)
    assert status == 401 and response_headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(data)["error"]["type"] == "Unauthorized"
    status, _, _ = raw_post(gateway_url, "/_lab/v1/register_sandbox", {
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
    status, headers, data = raw_post(gateway_url, "/aws/_lab/v1/register_sandbox", {
        "sandbox_id": "via-mount", "accounts": {"x": account}})
    assert status >= 400 and "x-amzn-RequestId" in headers
    assert b'"result"' not in data
    assert remote.sandbox_of_account(account) is None
    status, _, data = raw_post(gateway_url, "/aws/_lab/v1/ping", {})
    assert status >= 400 and b"instance" not in data


def test_a_gateway_without_a_token_serves_aws_but_no_lab_control(tmp_path: Path) -> None:
    process, url = spawn_gateway(tmp_path, token=None)
    try:
        status, _, data = raw_post(url, "/_lab/v1/ping", {}, token="anything-at-all-here")
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


def test_the_lab_port_names_reach_the_gateways_mfa_and_federation_state(remote: RemoteLab) -> None:
    """engine.ports.LabPort's names (lab.mfa_device, mfa_last_used_step, mfa_verify_enable, federation_report) are
    what the web layer calls now; over lab control they answer like the in-process Lab."""
    from engine import mfa
    from engine.directory import MfaDeviceInfo

    sandbox_id, account = "mp-" + secrets.token_hex(4), new_account()
    remote.register_sandbox(sandbox_id, {"prod": account})
    serial = remote.admin_client("iam", account).create_virtual_mfa_device(
        VirtualMFADeviceName="port-phone")["VirtualMFADevice"]["SerialNumber"]
    device = remote.mfa_device(serial)
    assert isinstance(device, MfaDeviceInfo) and device.account == account and device.seed
    assert remote.mfa_device(serial.replace("port", "nobody")) is None
    assert remote.mfa_last_used_step(serial, device.seed) is None
    now = mfa.clock()
    proof = remote.mfa_verify_enable(serial, device.seed, mfa.code_at(device.seed, now - 30),
                                     mfa.code_at(device.seed, now), at=now)
    assert proof.serial == serial and remote.mfa_last_used_step(serial, device.seed) == proof.step
    assert remote.federation_report("no-such-request") is None
