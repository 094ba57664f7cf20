"""Several processes for real: `manage.py gateway` (journal in the database) and `manage.py serve` (the web server,
LAB_GATEWAY_URL pointing at the gateway), sharing a SQLite file. A learner works from the terminal and the pages; the
gateway is killed (SIGKILL) mid-session: pages answer the 503 page, never a 500; the gateway comes back empty, and the
learner's next terminal call rebuilds the sandbox with the same keys and everything they wrote."""
from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from scripts.labserver import stop_process

REPO = Path(__file__).resolve().parents[2]
TOKEN = "kill-test-control-token-" + secrets.token_hex(16)
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"Service": "ec2.amazonaws.com"}}]})

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(args: list[str], env: dict[str, str], log: Path, ready: str) -> subprocess.Popen:
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while ready not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"manage.py {args[0]} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return process


def _stop(process: subprocess.Popen | None) -> None:
    stop_process(process, 15)


class Topology:
    def __init__(self, workdir: Path, redis_url: str) -> None:
        self.workdir = workdir
        self.db = workdir / "lab.sqlite3"
        self.gateway_port, self.web_port = _free_port(), _free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        base = {k: v for k, v in os.environ.items() if k == "LAB_DATA_DIR" or not k.startswith(("LAB_", "DJANGO_", "DATABASE_"))}
        self.env = {**base, "DATABASE_URL": f"sqlite:///{self.db}", "LAB_CONTROL_TOKEN": TOKEN,
                    "DJANGO_SETTINGS_MODULE": "securecart.settings.dev", "DEBUG": "False"}
        self.redis_url = redis_url
        self.gateway: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None

    def start_gateway(self) -> None:
        self.gateway = _start(["gateway", "--port", str(self.gateway_port), "--mount", "/aws"], self.env,
                              self.workdir / f"gateway-{secrets.token_hex(3)}.log", " on http://")

    def kill_gateway(self) -> None:
        self.gateway.send_signal(signal.SIGKILL)
        self.gateway.wait(10)

    def start_web(self) -> None:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=self.env,
                       check=True, timeout=120)
        # a web process beside a gateway process shares Django's cache through Redis (the settings require it)
        env = {**self.env, "LAB_GATEWAY_URL": f"http://127.0.0.1:{self.gateway_port}", "LAB_REDIS_URL": self.redis_url}
        self.web = _start(["serve", "--bind", f"127.0.0.1:{self.web_port}", "--threads", "8"], env,
                          self.workdir / "web.log", "Booting worker")

    def stop(self) -> None:
        _stop(self.web)
        _stop(self.gateway)

    def query(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()


@pytest.fixture
def topology(tmp_path: Path, redis_url: str) -> Iterator[Topology]:
    topology = Topology(tmp_path, redis_url)
    topology.start_web()   # migrates first: the gateway's journal writes into the same tables
    topology.start_gateway()
    try:
        yield topology
    finally:
        topology.stop()


def _get(opener: urllib.request.OpenerDirector, url: str | urllib.request.Request) -> tuple[int, str]:
    try:
        with opener.open(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def test_killing_the_gateway_mid_session_loses_nothing(topology: Topology) -> None:
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    assert "Preparing your sandbox" in _get(browser, topology.web_url + "/")[1]
    assert _get(browser, topology.web_url + "/")[0] == 200
    # The learner's sandbox (the pool keeps others built ahead of time for the next learners)
    (sandbox_id,) = topology.query("SELECT id FROM sandboxes_sandbox WHERE pooled=0 AND owner_session_key!=''")[0]
    key_id, secret = topology.query("SELECT access_key_id, secret_access_key FROM sandboxes_accesskey WHERE "
                                    "sandbox_id=? AND account_name='production' AND user_name='lab-admin'",
                                    sandbox_id)[0]
    aws = dict(endpoint_url=topology.web_url + "/aws", region_name="us-east-1",
               config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    iam = boto3.client("iam", aws_access_key_id=key_id, aws_secret_access_key=secret, **aws)
    s3 = boto3.client("s3", aws_access_key_id=key_id, aws_secret_access_key=secret, **aws)
    iam.create_role(RoleName="MadeBeforeTheCrash", AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName="crash-survivor")
    made = iam.create_access_key(UserName="crash-survivor")["AccessKey"]
    s3.put_object(Bucket="securecart-product-images", Key="notes/before-crash.txt", Body=b"still here")
    assert topology.query("SELECT count(*) FROM sandboxes_journaledwrite WHERE sandbox_id=?", sandbox_id)[0][0] == 4

    assert _get(browser, topology.web_url + "/scenarios/cross-account-auditors/assume-audit-role/")[0] == 200
    csrf = next(c.value for c in jar if c.name == "csrftoken")

    topology.kill_gateway()
    for htmx in ("true", ""):   # a step run, as htmx and as a plain form post
        run = urllib.request.Request(topology.web_url + "/scenarios/cross-account-auditors/assume-audit-role/run/",
                                     data=b"", method="POST", headers={"X-CSRFToken": csrf, "HX-Request": htmx,
                                                                        "Referer": topology.web_url + "/"})
        status, page = _get(browser, run)
        assert status == 503, (htmx, status, page[:300])
    for path in ("/", "/sandbox/", "/scenarios/cross-account-auditors/assume-audit-role/"):
        status, page = _get(browser, topology.web_url + path)
        assert status == 503, (path, status, page[:300])
        assert "The lab needs a moment" in page

    with pytest.raises(ClientError) as refused:   # the terminal meanwhile gets AWS's own 503 shape
        boto3.client("sts", aws_access_key_id=key_id, aws_secret_access_key=secret, **aws).get_caller_identity()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    topology.start_gateway()   # empty: no sandbox, no moto state
    sts = boto3.client("sts", aws_access_key_id=made["AccessKeyId"], aws_secret_access_key=made["SecretAccessKey"],
                       **aws)
    assert sts.get_caller_identity()["Arn"].endswith(":user/crash-survivor")
    assert iam.get_role(RoleName="MadeBeforeTheCrash")["Role"]["RoleName"] == "MadeBeforeTheCrash"
    assert s3.get_object(Bucket="securecart-product-images", Key="notes/before-crash.txt")["Body"].read() == \
        b"still here"
    assert _get(browser, topology.web_url + "/sandbox/")[0] == 200
