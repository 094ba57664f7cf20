"""CloudTrail costs, measured in one run:

1. The event history of a busy sandbox: 10,000 recorded events, then the history page (/trail/, through Django's
   test client, database and template included) with each filter. Target: every filter under 200 ms; printed with
   the ratio against the same page for an empty sandbox (the baseline of this run).
2. What recording adds to an AssumeRole call through the gateway (in-process, signed boto3 call): the same calls
   with the Trail on and off, interleaved in rounds so both see the same machine. Target: ratio < 1.10.
   Also printed: what persisting one event into the database costs (the middleware does it after the response).

    .venv/bin/python scripts/bench_cloudtrail.py [--events 10000] [--calls 600]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "gateway"))

DB = Path(tempfile.mkdtemp(prefix="bench-cloudtrail-")) / "bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "securecart.settings.test"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.pop("LAB_GATEWAY_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from engine.cloudtrail import ApiCall  # noqa: E402
from gateway.client import default_lab  # noqa: E402
from sandboxes.models import Sandbox  # noqa: E402
from trail import store  # noqa: E402
from trail.models import TrailEvent  # noqa: E402

FILTERS = {
    "no filter": {},
    "event name": {"event_name": "AssumeRole"},
    "user name": {"username": "alice"},
    "access key": {"access_key_id": "AKIAEXAMPLE000000007"},
    "event source": {"event_source": "s3.amazonaws.com"},
    "read-only": {"read_only": "false"},
    "errors only": {"errors_only": "on"},
    "resource": {"resource": "role/Reader"},
    "page 20": {"page": "20"},
}


def fill(sandbox: Sandbox, count: int) -> None:
    """`count` events through the real recorder and persistence, spread over names, users, keys and outcomes."""
    trail = default_lab().trail
    accounts = sandbox.account_ids()
    account = accounts["production"]
    now = default_lab().now(sandbox.id)
    kinds = [("sts", "AssumeRole"), ("sts", "GetCallerIdentity"), ("s3", "GetObject"), ("s3", "PutObject"),
             ("iam", "ListRoles"), ("ec2", "DescribeInstances")]
    for i in range(count):
        service, operation = kinds[i % len(kinds)]
        user = ("alice", "bob", "carol", "dave")[i % 4]
        identity = {"type": "IAMUser", "principalId": f"AIDAEXAMPLE{i % 4:09d}", "userName": user,
                    "arn": f"arn:aws:iam::{account}:user/{user}", "accountId": account,
                    "accessKeyId": f"AKIAEXAMPLE{i % 40:09d}"}
        resources = [("AWS::IAM::Role", f"arn:aws:iam::{account}:role/Reader", account)] \
            if operation == "AssumeRole" else []
        trail.record(ApiCall(service, operation, sandbox.id, identity=identity,
                             params={"RoleArn": f"arn:aws:iam::{account}:role/Reader", "RoleSessionName": f"s{i}"},
                             error_code="AccessDenied" if i % 17 == 0 else None, error_message="denied",
                             resources=resources),
                     now=now - timedelta(seconds=count - i))
        if i % 1000 == 999:
            store.persist()
    store.persist()


def timed_get(client: Client, params: dict, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get("/trail/", params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000


def bench_history(events: int, rounds: int = 7) -> None:
    empty_client, busy_client = Client(), Client()
    for client in (empty_client, busy_client):
        client.get("/")   # "Preparing your sandbox": the first visit only starts the session
        client.get("/")   # builds the sandbox
    busy = Sandbox.objects.get(pk=busy_client.session["sandbox_id"])
    started = time.perf_counter()
    fill(busy, events)
    print(f"recorded and persisted {TrailEvent.objects.filter(sandbox=busy).count()} events in "
          f"{time.perf_counter() - started:.1f} s")
    print(f"{'filter':<14} {'busy ms':>8} {'empty ms':>9} {'ratio':>6}  (target: busy < 200 ms)")
    worst = 0.0
    for name, params in FILTERS.items():
        busy_ms = timed_get(busy_client, params, rounds)
        empty_ms = timed_get(empty_client, {k: v for k, v in params.items() if k != "page"}, rounds)
        worst = max(worst, busy_ms)
        print(f"{name:<14} {busy_ms:8.1f} {empty_ms:9.1f} {busy_ms / empty_ms:6.2f}")
    print(f"slowest filter on {events} events: {worst:.1f} ms -> {'OK' if worst < 200 else 'OVER TARGET'}")


def bench_recording(calls: int) -> None:
    from engine.lab import Lab
    from gateway.app import GatewayApp
    from gateway.client import default_moto
    from gateway_kit import Sandbox as KitSandbox, allow, trust

    lab = Lab()
    app = GatewayApp(lab, default_moto())
    kit = KitSandbox(lab, app)
    alice = kit.user("alice", allow("sts:AssumeRole"))
    sts = kit.client("sts", alice)
    principal = {"AWS": f"arn:aws:iam::{kit.dev}:user/alice"}
    # same account: one record; cross-account: two (one per account), the costlier case
    for label, account in (("same-account", kit.dev), ("cross-account", kit.prod)):
        role = kit.role(f"Bench-{label}", trust(principal), account=account)

        def one() -> None:
            sts.assume_role(RoleArn=role, RoleSessionName="bench")

        for _ in range(20):
            one()
        on, off = [], []
        rounds, per_round = 20, max(1, calls // 20)
        for i in range(rounds):
            arms = ((True, on), (False, off)) if i % 2 == 0 else ((False, off), (True, on))
            for enabled, bucket in arms:
                lab.trail.enabled = enabled
                started = time.perf_counter()
                for _ in range(per_round):
                    one()
                bucket.append((time.perf_counter() - started) / per_round)
            lab.trail.drain(limit=10 ** 9)   # what a web process would take away
        lab.trail.enabled = True
        on_ms, off_ms = statistics.median(on) * 1000, statistics.median(off) * 1000
        print(f"AssumeRole ({label}) through the gateway: {off_ms:.2f} ms without recording, {on_ms:.2f} ms with "
              f"(ratio {on_ms / off_ms:.3f}; target < 1.10)")


def bench_persist(count: int = 2000) -> None:
    sandbox = Sandbox.objects.first()
    trail = default_lab().trail
    identity = {"type": "IAMUser", "principalId": "AIDAX", "userName": "u", "arn": "arn:aws:iam::1:user/u",
                "accountId": "1", "accessKeyId": "AKIAX"}
    for i in range(count):
        trail.record(ApiCall("sts", "GetCallerIdentity", sandbox.id, identity=identity), now=default_lab().now(None))
    started = time.perf_counter()
    store.persist()
    print(f"persisting: {(time.perf_counter() - started) / count * 1e6:.0f} µs per event "
          "(after the response, in batches)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=600)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    bench_history(args.events)
    bench_recording(args.calls)
    bench_persist()


if __name__ == "__main__":
    main()
