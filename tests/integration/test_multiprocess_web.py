"""The web layer in multi-process mode: Django views with LAB_GATEWAY_URL pointing at a real `python -m gateway`
subprocess. The sandbox is registered and seeded in the gateway process (not here), scenario 1 runs over HTTP, and
after a gateway restart (sessions and moto state gone) the next page visit rebuilds the sandbox from the database."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from django.test import Client

from gateway.control.client import remote_lab
from sandboxes.models import Sandbox
from scripts.labserver import stop_process

REPO = Path(__file__).resolve().parents[2]
TOKEN = "web-test-control-token-" + secrets.token_hex(16)
S1 = "cross-account-auditors"


class GatewayProcess:
    """`python -m gateway` on a fixed port, so it can be restarted at the same URL."""

    def __init__(self, log_dir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("LAB_GATEWAY_URL", "LAB_CONTROL_TOKEN")}
        env["LAB_CONTROL_TOKEN"] = TOKEN
        log_path = self.log_dir / f"gateway-{secrets.token_hex(3)}.log"
        with open(log_path, "w") as log_file:
            self.process = subprocess.Popen([sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port",
                                             str(self.port)], cwd=REPO, env=env, stdout=log_file,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while " on http://" not in log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"python -m gateway did not start:\n{log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.process)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path_factory.mktemp("gateway"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


def use_gateway_process(gateway: GatewayProcess, settings, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    """What a web process sees in this mode (securecart/settings/base.py): the gateway's URL and token, in the
    settings and the environment (gateway.client reads it), and Django's cache in Redis, which the settings require
    with LAB_GATEWAY_URL (the web processes share it)."""
    settings.LAB_GATEWAY_URL = gateway.url
    settings.CACHES = {**settings.CACHES,
                       "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
                                   "KEY_PREFIX": "securecart"},
                       "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
                                    "KEY_PREFIX": "throttle"}}
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setenv("LAB_GATEWAY_URL", gateway.url)
    monkeypatch.setenv("LAB_CONTROL_TOKEN", TOKEN)


@pytest.fixture(autouse=True)
def remote_mode(gateway: GatewayProcess, settings, monkeypatch: pytest.MonkeyPatch, redis_url: str,
                db) -> GatewayProcess:
    use_gateway_process(gateway, settings, monkeypatch, redis_url)
    return gateway


def visit() -> tuple[Client, Sandbox]:
    client = Client()
    assert b"Preparing your sandbox" in client.get("/").content   # the first visit starts the session
    assert client.get("/").status_code == 200
    return client, Sandbox.objects.get(pk=client.session["sandbox_id"])


def run_step(client: Client, step: str, variant: str = "") -> None:
    response = client.post(f"/scenarios/{S1}/{step}/run/", {"variant": variant} if variant else {})
    assert response.status_code == 302, response.content[:500]   # POST, then redirect to the step (no htmx here)


def result(sandbox: Sandbox, step: str) -> dict:
    return sandbox.progress.get(scenario=S1, step=step).last_result


def test_scenario_1_runs_against_the_gateway_process(gateway: GatewayProcess) -> None:
    from gateway.client import default_lab

    client, sandbox = visit()
    production = sandbox.account_ids()["production"]
    remote = remote_lab(gateway.url, TOKEN)
    # The world was registered and seeded in the gateway process; this process's own Lab never heard of this
    # sandbox (account ids are reused between tests, so it may remember the id for an older one).
    assert remote.sandbox_of_account(production) == sandbox.id
    assert default_lab().sandbox_of_account(production) != sandbox.id
    roles = remote.admin_client("iam", production).list_roles()["Roles"]
    assert "SecureCart-AuditRole" in {role["RoleName"] for role in roles}

    run_step(client, "assume-audit-role")
    assume, whoami = result(sandbox, "assume-audit-role")["calls"]
    assert assume["ok"] and assume["operation"] == "AssumeRole"
    assert all(x["url"].startswith(gateway.url) for x in assume["exchanges"])  # over HTTP, to the gateway
    # The explanation came from the gateway's memory, by request id.
    assert assume["decision"]["allowed"] and assume["decision"]["deciding"][0]["sid"] == "TrustAuditorAccount"
    assert whoami["response"]["Arn"] == (
        f"arn:aws:sts::{production}:assumed-role/SecureCart-AuditRole/q3-security-review")

    # Moving the sandbox clock past expiry happens in the gateway: the old session gets ExpiredToken there.
    response = client.post(f"/scenarios/{S1}/session-expires/clock/", {"by": "expiry:audit-session"})
    assert response.status_code == 302
    sandbox.refresh_from_db()
    assert sandbox.clock_offset_seconds > 0
    assert (remote.now(sandbox.id) - remote.now(None)).total_seconds() > sandbox.clock_offset_seconds - 60
    run_step(client, "session-expires")
    expired = result(sandbox, "session-expires")["calls"][0]
    assert expired["error"]["code"] == "ExpiredToken"


def test_cloudtrail_events_recorded_by_the_gateway_are_drained_into_this_database(gateway: GatewayProcess) -> None:
    from sandboxes.labclient import learner_client
    from sandboxes.services import key_for
    from trail.models import TrailEvent

    client, sandbox = visit()
    accounts = sandbox.account_ids()
    run_step(client, "assume-audit-role")
    assert client.get("/trail/", {"event_name": "AssumeRole"}).status_code == 200   # a trail page drains
    rows = list(TrailEvent.objects.filter(sandbox=sandbox, event_name="AssumeRole"))
    # cross-account: the auditor's account and the role's account each got the event, with one shared id
    assert {row.account_id for row in rows} == {accounts["auditor"], accounts["production"]}
    assert len({row.record["sharedEventID"] for row in rows}) == 1
    # lookup-events is answered by the gateway process from its own memory of recent events
    key = key_for(sandbox, "production", "lab-admin")
    cloudtrail = learner_client("cloudtrail", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)
    found = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}])
    production_row = next(row for row in rows if row.account_id == accounts["production"])
    assert [event["EventId"] for event in found["Events"]] == [production_row.event_id]
    # a reset clears both the gateway's memory and the database
    client.post("/sandbox/reset/")
    assert not TrailEvent.objects.filter(sandbox=sandbox).exists()
    key = key_for(sandbox, "production", "lab-admin")   # the reset rebuilt the world with new keys
    cloudtrail = learner_client("cloudtrail", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)
    assert cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}])["Events"] == []


def test_a_gateway_restart_loses_sessions_and_the_next_visit_rebuilds_the_sandbox(gateway: GatewayProcess) -> None:
    client, sandbox = visit()
    production = sandbox.account_ids()["production"]
    run_step(client, "assume-audit-role")
    assert result(sandbox, "assume-audit-role")["succeeded"]
    sandbox.clock_offset_seconds = 120.0  # the database is the source of truth for the clock too
    sandbox.save(update_fields=["clock_offset_seconds"])

    gateway.restart()
    remote = remote_lab(gateway.url, TOKEN)
    assert remote.sandbox_of_account(production) is None  # engine memory and moto are gone
    assert remote.admin_client("iam", production).list_roles()["Roles"] == []

    # The next page visit notices (the account maps to no sandbox) and rebuilds the world from the database.
    assert client.get(f"/scenarios/{S1}/assume-audit-role/").status_code == 200
    assert remote.sandbox_of_account(production) == sandbox.id
    assert 60 < (remote.now(sandbox.id) - remote.now(None)).total_seconds() < 180
    run_step(client, "assume-audit-role")
    assume, whoami = result(sandbox, "assume-audit-role")["calls"]
    assert assume["ok"] and whoami["ok"]


def test_lab_control_is_not_reachable_through_the_django_aws_mount() -> None:
    client = Client()
    for path in ("/aws/_lab/v1/control.ping", "/aws/_lab/v1/sandboxes.register_sandbox"):
        response = client.post(path, data=b'{"sandbox_id": "x", "accounts": {}}', content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code >= 400 and "x-amzn-RequestId" in response
        assert b"instance" not in response.content and b'"result"' not in response.content


def test_the_challenge_console_runs_against_the_gateway_process(gateway: GatewayProcess) -> None:
    from sandboxes.models import AccessKey

    client, sandbox = visit()
    production = sandbox.account_ids()["production"]
    r = client.post("/challenges/console/run/", {"command": "aws sts get-caller-identity --query Arn --output text",
                                                 "identity": "key:production/lab-admin"}, HTTP_HX_REQUEST="true")
    assert f"arn:aws:iam::{production}:user/lab-admin" in r.content.decode()
    # the gateway process enforces the console's sandbox too
    _, other = visit()
    theirs = AccessKey.objects.get(sandbox=other, account_name="production", user_name="lab-admin")
    r = client.post("/challenges/console/run/", {"command": "aws s3 ls", "identity": "pasted",
                                                 "access_key_id": theirs.access_key_id,
                                                 "secret_access_key": theirs.secret_access_key},
                    HTTP_HX_REQUEST="true")
    assert "belong to another sandbox" in r.content.decode()
    # a checker runs its real calls there as well
    assert client.get("/challenges/find-the-refused-call/").status_code == 200
    r = client.post("/challenges/find-the-refused-call/check/", {"action": "s3:DeleteObject",
                                                                 "policy_name": "ProtectInvoices"},
                    HTTP_HX_REQUEST="true")
    assert "Solved!" in r.content.decode()
