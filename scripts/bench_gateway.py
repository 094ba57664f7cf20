"""AssumeRole calls/s through the lab gateway over HTTP versus a plain `moto_server`, side by side.

The gateway does everything moto skips (SigV4 verification, the trust policy, the caller's identity policy, session
bookkeeping) and answers STS itself, so it should keep up with moto doing none of it: target ratio >= 1.0.
Also prints the median cost of one trust-policy evaluation (engine.policy).

    .venv/bin/python scripts/bench_gateway.py [--calls 300]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from labserver import free_port, seed_assumable_role  # noqa: E402

TRUST_ACTIONS = ["sts:AssumeRole"]


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def rate(call, n: int) -> float:
    for _ in range(10):  # warm up
        call()
    started = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - started)


def bench_gateway(n: int) -> float:
    from engine.lab import Lab
    from gateway.app import GatewayApp
    from gateway.client import admin_client, default_moto, learner_client
    from gateway.server import serve_in_thread

    lab = Lab()
    account = "5" + "".join(secrets.choice("0123456789") for _ in range(11))
    lab.register_sandbox("bench", {"dev": account})
    server, _ = serve_in_thread("127.0.0.1", 0, GatewayApp(lab, default_moto()))
    key, role = seed_assumable_role(admin_client("iam", account), account, "bench-ext")
    sts = learner_client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                         endpoint=f"http://127.0.0.1:{server.server_port}")
    try:
        return rate(lambda: sts.assume_role(RoleArn=role, RoleSessionName="bench", ExternalId="bench-ext"), n)
    finally:
        server.shutdown()
        server.server_close()


def bench_moto_server(n: int) -> float:
    port = free_port()
    moto_server = ROOT / ".venv" / "bin" / "moto_server"
    process = subprocess.Popen([str(moto_server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        config = Config(retries={"mode": "standard", "total_max_attempts": 3})
        kwargs = dict(region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="AKIAEXAMPLE",
                      aws_secret_access_key="secret", config=config)
        iam = boto3.client("iam", **kwargs)
        for _ in range(100):
            try:
                iam.list_users()
                break
            except Exception:
                time.sleep(0.1)
        role = iam.create_role(RoleName="Bench", AssumeRolePolicyDocument=doc({
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole"}))["Role"]["Arn"]
        sts = boto3.client("sts", **kwargs)
        return rate(lambda: sts.assume_role(RoleArn=role, RoleSessionName="bench", ExternalId="bench-ext"), n)
    finally:
        process.terminate()
        process.wait(10)


def bench_trust_policy(rounds: int = 2000) -> float:
    from engine.policy import AuthzRequest, NamedPolicy, Principal, authorize, parse_policy

    trust = NamedPolicy("trust", parse_policy(doc({
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "bench-ext"}, "Bool": {"aws:SecureTransport": "true"}}}),
        kind="trust"), "trust")
    principal = Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user",
                          username="alice")
    request = AuthzRequest("sts:AssumeRole", "arn:aws:iam::111122223333:role/Bench", principal,
                           {"sts:ExternalId": "bench-ext", "aws:SecureTransport": "true"})
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        decision = authorize(request, identity=[], resource=trust, boundary=None, session=[],
                             resource_account="111122223333", resource_policy_required=True, trace=False)
        samples.append(time.perf_counter() - started)
    assert decision.allowed
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    os.environ.pop("LAB_GATEWAY_URL", None)
    gateway = bench_gateway(args.calls)
    moto = bench_moto_server(args.calls)
    trust_us = bench_trust_policy()
    print(f"{'AssumeRole over HTTP':<34}{'calls/s':>10}")
    print(f"{'  lab gateway (checks everything)':<34}{gateway:>10.0f}")
    print(f"{'  plain moto_server (checks nothing)':<34}{moto:>10.0f}")
    print(f"{'  ratio gateway / moto':<34}{gateway / moto:>10.2f}   (target >= 1.0)")
    print(f"{'trust-policy evaluation, median':<34}{trust_us:>10.1f} µs")


if __name__ == "__main__":
    main()
