"""Fair sharing: another learner's call latency while one learner runs a worst-case policy, as a ratio to idle.

One gateway (in this process, served over HTTP by its threaded server, as under `make run`); each learner is a
client process of its own, as their terminals would be. Learner M ("mallory")
owns the largest identity policy set IAM lets a user hold (reference_iam-quotas: 2,048 inline characters and 10
attached managed policies of 6,144), every Resource a many-wildcard pattern that never matches, and calls
s3:GetObject on a 1,024-character key (S3's maximum key length) in a loop. Learner V, in
another sandbox, calls sts:GetCallerIdentity. Printed: V's median and p90 latency idle and while M runs, their
ratio (target < 2), M's own call latency, and the evaluation time of one maximum-size policy (a role's 10,240
inline characters of wildcards, IAM's largest single document) against that key.

    .venv/bin/python scripts/bench_fairness.py [--calls 150]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUCKET = "fairness-bench"
LONG_KEY = "k" * 1024          # S3's longest key; the resource ARN is arn:aws:s3:::fairness-bench/kkk...
WILD = "arn:aws:s3:::*a*a*a*a*a*a*b"   # six wildcards, never matches the key: every pattern is tried in full


def compact(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


def wildcard_policy(limit: int) -> str:
    """A Deny on s3:GetObject with as many wildcard Resources as fit in `limit` characters, then an Allow."""
    resources: list[str] = []
    while True:
        candidate = {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyOddKeys", "Effect": "Deny", "Action": "s3:GetObject",
             "Resource": resources + [WILD.replace("b", f"b{len(resources)}")]},
            {"Sid": "AllowReads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        if len(compact(candidate)) > limit:
            break
        resources = candidate["Statement"][0]["Resource"]
    return compact({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyOddKeys", "Effect": "Deny", "Action": "s3:GetObject", "Resource": resources},
        {"Sid": "AllowReads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def new_account() -> str:
    return "6" + "".join(secrets.choice("0123456789") for _ in range(11))


def setup(lab) -> dict:
    from gateway.client import admin_client
    from gateway.iam_quotas import INLINE_AGGREGATE, MANAGED_PER_ENTITY, MANAGED_POLICY_SIZE

    mallory_account, victim_account = new_account(), new_account()
    lab.register_sandbox("bench-mallory", {"dev": mallory_account})
    lab.register_sandbox("bench-victim", {"dev": victim_account})
    iam = admin_client("iam", mallory_account)
    iam.create_user(UserName="mallory")
    iam.put_user_policy(UserName="mallory", PolicyName="worst", PolicyDocument=wildcard_policy(INLINE_AGGREGATE["user"]))
    for n in range(MANAGED_PER_ENTITY):
        arn = iam.create_policy(PolicyName=f"worst-{n}",
                                PolicyDocument=wildcard_policy(MANAGED_POLICY_SIZE))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="mallory", PolicyArn=arn)
    mallory = iam.create_access_key(UserName="mallory")["AccessKey"]
    s3 = admin_client("s3", mallory_account, sandbox_id="bench-mallory")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=LONG_KEY, Body=b"x")
    viam = admin_client("iam", victim_account)
    viam.create_user(UserName="victim")
    victim = viam.create_access_key(UserName="victim")["AccessKey"]
    return {"mallory": mallory, "victim": victim}


def latencies(call, n: int) -> list[float]:
    for _ in range(5):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def p90(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.9) - 1]


def client(role: str, endpoint: str, key_id: str, secret: str) -> None:
    """Runs in a child process, as a learner's own terminal would.
    mallory: GetObject until stopped, printing each latency (ms). victim: for each number N read from stdin, N
    GetCallerIdentity calls, then their latencies (ms) on one line."""
    from gateway.client import learner_client
    if role == "mallory":
        s3 = learner_client("s3", access_key_id=key_id, secret_access_key=secret, endpoint=endpoint)
        while True:
            started = time.perf_counter()
            s3.get_object(Bucket=BUCKET, Key=LONG_KEY)["Body"].read()
            print(f"{(time.perf_counter() - started) * 1000:.3f}", flush=True)
    sts = learner_client("sts", access_key_id=key_id, secret_access_key=secret, endpoint=endpoint)
    for _ in range(5):
        sts.get_caller_identity()
    for line in sys.stdin:
        samples = latencies(sts.get_caller_identity, int(line))
        print(" ".join(f"{sample * 1000:.3f}" for sample in samples), flush=True)


def run_client(role: str, endpoint: str, key: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--client", role, endpoint, key["AccessKeyId"],
                             key["SecretAccessKey"]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def interleaved(endpoint: str, keys: dict, calls: int, rounds: int = 6) -> tuple[list[float], list[float], list[float]]:
    """Idle and busy batches alternate (the attacker is paused with SIGSTOP between busy batches), so load from
    outside the benchmark weighs on both alike. Returns (idle, busy, attacker) latencies in seconds."""
    victim = run_client("victim", endpoint, keys["victim"])
    mallory = run_client("mallory", endpoint, keys["mallory"])
    idle: list[float] = []
    busy: list[float] = []
    try:
        mallory.stdout.readline()                        # the attacker is running
        for _ in range(rounds):
            for paused, into in ((True, idle), (False, busy)):
                mallory.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)
                time.sleep(0.05)                         # let a request in flight finish (or start)
                victim.stdin.write(f"{max(1, calls // rounds)}\n")
                victim.stdin.flush()
                into += [float(ms) / 1000 for ms in victim.stdout.readline().split()]
    finally:
        mallory.send_signal(signal.SIGCONT)
        mallory.terminate()
        out, _ = mallory.communicate(timeout=10)
        victim.stdin.close()
        victim.wait(10)
    return idle, busy, [float(ms) / 1000 for ms in out.split()]


def max_policy_evaluation_ms(rounds: int = 50) -> tuple[float, float]:
    """One role inline policy of IAM's largest size (10,240 characters), all wildcards, against the longest key."""
    from engine.policy import AuthzRequest, NamedPolicy, Principal, authorize, parse_policy
    from gateway.iam_quotas import INLINE_AGGREGATE, policy_chars

    text = wildcard_policy(INLINE_AGGREGATE["role"])
    assert policy_chars(text) <= INLINE_AGGREGATE["role"]
    policy = NamedPolicy("worst", parse_policy(text), "role")
    principal = Principal(arn="arn:aws:sts::111122223333:assumed-role/R/s", account="111122223333",
                          kind="assumed-role", role_arn="arn:aws:iam::111122223333:role/R")
    request = AuthzRequest("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{LONG_KEY}", principal, {})
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        decision = authorize(request, identity=[policy], resource_account="111122223333")
        samples.append(time.perf_counter() - started)
    assert decision.allowed
    return statistics.median(samples) * 1000, max(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=240)
    parser.add_argument("--client", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.pop("LAB_GATEWAY_URL", None)
    if args.client:
        client(*args.client)
        return

    from engine.lab import Lab
    from gateway.app import GatewayApp
    from gateway.client import default_moto, learner_client
    from gateway.server import serve_in_thread

    lab = Lab()
    keys = setup(lab)
    server, _ = serve_in_thread("127.0.0.1", 0, GatewayApp(lab, default_moto()))
    endpoint = f"http://127.0.0.1:{server.server_port}"
    mallory = learner_client("s3", access_key_id=keys["mallory"]["AccessKeyId"],
                             secret_access_key=keys["mallory"]["SecretAccessKey"], endpoint=endpoint)
    mallory.get_object(Bucket=BUCKET, Key=LONG_KEY)    # the policies parse once, and the call is allowed
    try:
        idle, busy, attacker_s = interleaved(endpoint, keys, args.calls)
    finally:
        server.shutdown()
        server.server_close()
    ratio = statistics.median(busy) / statistics.median(idle)
    print("GetCallerIdentity latency of learner V over HTTP (ms)     median    p90")
    print(f"  idle                                                {statistics.median(idle) * 1000:8.2f} "
          f"{p90(idle) * 1000:6.2f}")
    print(f"  while learner M runs a worst-case policy            {statistics.median(busy) * 1000:8.2f} "
          f"{p90(busy) * 1000:6.2f}")
    print(f"  fairness ratio (busy / idle, median)                {ratio:8.2f}   (target < 2)")
    if attacker_s:
        print(f"learner M's GetObject (10 x 6,144 + 2,048 chars of wildcards), median  "
              f"{statistics.median(attacker_s) * 1000:.2f} ms over {len(attacker_s)} calls")
    median_ms, max_ms = max_policy_evaluation_ms()
    print(f"evaluation of a maximum-size policy (10,240 chars of wildcards): median {median_ms:.2f} ms, "
          f"worst of 50 {max_ms:.2f} ms")


if __name__ == "__main__":
    main()
