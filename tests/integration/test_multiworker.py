"""Several web workers for real: `python -m gateway` plus `gunicorn -w 2 securecart.wsgi`, driven over HTTP.

With one LocMemCache per worker, every other request used to lose the learner's credentials; two workers could
seed the same sandbox at once; and the /aws mount answered from an empty in-process Lab. This drives scenario 1
through both workers (requests sent in pairs, so both workers serve them; the access log names the worker), restarts
the gateway and lets both workers race to rebuild the sandbox, then calls the web server's /aws endpoint with boto3
and the keys the terminal page shows (SigV4 over the forwarded request).

The workers share Django's cache in Redis (LAB_REDIS_URL, which the settings require with LAB_GATEWAY_URL).
"""
from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from scripts.labserver import stop_process

pytestmark = pytest.mark.slow   # several seconds of processes starting and commands running

REPO = Path(__file__).resolve().parents[2]
TOKEN = "multiworker-control-token-" + secrets.token_hex(16)
S1 = "cross-account-auditors"

# Production settings with DEBUG off, minus what needs HTTPS or collectstatic (the test speaks plain HTTP).
SETTINGS_MODULE = '''
from securecart.settings.production import *  # noqa: F401,F403
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
'''


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(predicate: Any, what: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)


class Deployment:
    """One gateway process and one gunicorn with two workers, sharing a SQLite file and the control token."""

    def __init__(self, workdir: Path, redis_url: str) -> None:
        self.workdir = workdir
        self.db = workdir / "lab.sqlite3"
        self.gateway_port, self.web_port = _free_port(), _free_port()
        self.gateway_url = f"http://127.0.0.1:{self.gateway_port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.access_log = workdir / "access.log"
        self.gateway: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        (workdir / "multiworker_settings.py").write_text(SETTINGS_MODULE)
        base = {k: v for k, v in os.environ.items()
                if k == "LAB_DATA_DIR" or not k.startswith(("LAB_", "DJANGO_", "DATABASE_", "SECURE_", "SECRET_KEY"))}
        self.gateway_env = {**base, "LAB_CONTROL_TOKEN": TOKEN}
        self.web_env = {
            **base, "PYTHONPATH": f"{workdir}{os.pathsep}{REPO}", "DJANGO_SETTINGS_MODULE": "multiworker_settings",
            "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{self.db}", "LAB_GATEWAY_URL": self.gateway_url, "LAB_CONTROL_TOKEN": TOKEN,
            "LAB_REDIS_URL": redis_url,
            "SECURE_SSL_REDIRECT": "False", "SESSION_COOKIE_SECURE": "False", "CSRF_COOKIE_SECURE": "False",
            "SECURE_HSTS_SECONDS": "0"}

    def start_gateway(self) -> None:
        log = self.workdir / f"gateway-{secrets.token_hex(3)}.log"
        with open(log, "w") as out:
            # --mount /aws: the web server forwards /aws/... untouched (SigV4 signed that path)
            self.gateway = subprocess.Popen(
                [sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(self.gateway_port),
                 "--mount", "/aws"], cwd=REPO, env=self.gateway_env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(lambda: " on http://" in log.read_text(), "python -m gateway", self.gateway, log)

    def stop_gateway(self) -> None:
        _stop(self.gateway)

    def start_web(self) -> None:
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO,
                                 env=self.web_env, capture_output=True, text=True, timeout=120)
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        log = self.workdir / "gunicorn.log"
        with open(log, "w") as out:
            self.web = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.web_port}", "--timeout", "60",
                 "--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
                 "securecart.wsgi"], cwd=REPO, env=self.web_env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(lambda: log.read_text().count("Booting worker") >= 2, "gunicorn", self.web, log)

    def stop(self) -> None:
        _stop(self.web)
        _stop(self.gateway)

    def workers_for(self, path: str) -> set[str]:
        """The worker pids that answered `path` (gunicorn's access log)."""
        return {line.split()[0] for line in self.access_log.read_text().splitlines()
                if len(line.split()) == 4 and line.split()[2] == path}


def _stop(process: subprocess.Popen | None) -> None:
    stop_process(process)


class Browser:
    """A learner's browser: cookie jar, CSRF header, htmx requests (the answer is the refreshed workspace)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def run(self, step: str) -> tuple[int, str]:
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        request = urllib.request.Request(f"{self.base}/scenarios/{S1}/{step}/run/", data=b"", method="POST",
                                         headers={"X-CSRFToken": csrf, "HX-Request": "true"})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")


def _succeeded(status: int, html: str) -> bool:
    return status == 200 and 'class="result-headline good"' in html and "call-error" not in html \
        and 'role="alert"' not in html


def _in_pairs(browser: Browser, step: str, pairs: int) -> list[tuple[int, str]]:
    """Send the run twice at once, `pairs` times: a sync worker serves one request at a time, so both answer."""
    answers = []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(pairs):
            answers += list(pool.map(lambda _: browser.run(step), range(2)))
    return answers


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path_factory.mktemp("multiworker"), redis_url)
    try:
        deployment.start_gateway()
        deployment.start_web()
        yield deployment
    finally:
        deployment.stop()


def test_scenario_1_through_two_workers_and_the_aws_mount(deployment: Deployment) -> None:
    browser = Browser(deployment.web_url)
    assert "Preparing your sandbox" in browser.get("/")[1]   # the first visit starts the session
    status, _ = browser.get("/")
    assert status == 200
    # the learner's own sandbox (sandboxes built ahead of time for the next learners wait beside it)
    sandbox_id = sqlite3.connect(deployment.db).execute(
        "SELECT id FROM sandboxes_sandbox WHERE pooled = 0 AND owner_session_key != ''").fetchone()[0]
    assert browser.get(f"/scenarios/{S1}/assume-audit-role/")[0] == 200     # sets the CSRF cookie

    # Credentials issued by one worker are used by the other: every run of the next step needs them.
    assert all(_succeeded(*answer) for answer in _in_pairs(browser, "assume-audit-role", 2))
    answers = _in_pairs(browser, "read-security-logs", 3)
    assert all(_succeeded(*answer) for answer in answers), [a[1][:300] for a in answers if not _succeeded(*a)]
    assert len(deployment.workers_for(f"/scenarios/{S1}/read-security-logs/run/")) == 2

    # A gateway restart loses moto, the sessions and the shared store. Both workers get a request for the
    # sandbox at the same moment; one rebuilds it from the database, the other waits for that build.
    deployment.stop_gateway()
    deployment.start_gateway()
    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(lambda _: browser.get(f"/scenarios/{S1}/read-security-logs/"), range(2)))
    assert [status for status, _ in pages] == [200, 200], [html[:300] for _, html in pages]
    claim = sqlite3.connect(deployment.db).execute(
        "SELECT build_claim, build_claimed_at FROM sandboxes_sandbox WHERE id = ?", (sandbox_id,)).fetchone()
    assert claim == ("", None)                                              # released after the build
    status, html = browser.run("read-security-logs")                       # the old session is gone with it
    assert status == 200 and "call-error" not in html and 'role="alert"' in html
    assert all(_succeeded(*answer) for answer in _in_pairs(browser, "assume-audit-role", 1))
    assert all(_succeeded(*answer) for answer in _in_pairs(browser, "read-security-logs", 1))

    # The terminal page's keys, used from outside with boto3 against the web server's /aws (forwarded).
    status, html = browser.get("/sandbox/terminal/")
    assert status == 200
    endpoint = re.search(r"<dt>Endpoint URL</dt><dd><code data-copy>([^<]+)</code>", html).group(1)
    assert endpoint == f"{deployment.web_url}/aws"
    key_id = re.search(r"export AWS_ACCESS_KEY_ID=(\S+)", html).group(1)
    secret = re.search(r"export AWS_SECRET_ACCESS_KEY=(\S+)", html).group(1)
    role_arn = re.search(r"--role-arn (\S+)", html).group(1)
    external_id = re.search(r"--external-id ([\w+=,.@:/-]+)", html).group(1)
    config = Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
                       aws_secret_access_key=secret, config=config)
    assert sts.get_caller_identity()["Arn"].endswith(":user/securecart-auditor")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="from-my-terminal", ExternalId=external_id,
                            DurationSeconds=900)["Credentials"]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"],
                      config=config)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="securecart-security-logs")["Contents"]]
    assert "cloudtrail/2024/10/01/events.json" in keys                      # /aws/<bucket> routed as /<bucket>
    with pytest.raises(ClientError) as denied:                             # the gateway still decides
        s3.put_object(Bucket="securecart-security-logs", Key="tampered.json", Body=b"{}")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    wrong = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
                         aws_secret_access_key=secret[:-1] + ("A" if secret[-1] != "A" else "B"), config=config)
    with pytest.raises(ClientError) as mismatch:
        wrong.get_caller_identity()
    assert mismatch.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_lab_control_is_never_reached_through_the_web_aws_mount(deployment: Deployment) -> None:
    body = json.dumps({}).encode()
    for path in ("/aws/_lab/v1/control.ping", "/aws/../_lab/v1/control.ping", "/aws/%2e%2e/_lab/v1/control.ping",
                 "/aws/./_lab/v1/control.ping"):
        connection = http.client.HTTPConnection("127.0.0.1", deployment.web_port, timeout=30)
        connection.request("POST", path, body=body, headers={"Authorization": f"Bearer {TOKEN}",
                                                              "Content-Type": "application/json"})
        response = connection.getresponse()
        content = response.read()
        connection.close()
        assert response.status >= 400, path
        assert b"instance" not in content and b'"result"' not in content, path
