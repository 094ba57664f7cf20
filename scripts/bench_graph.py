"""Benchmark the access graph (engine/graph.py, issue 26): the time to compute the graph of one sandbox.

    .venv/bin/python scripts/bench_graph.py [--rounds 5] [--principals 200]

Two sandboxes, both in this process's moto as the Lab reads them (Lab.access_graph: the Directory reads, then
every edge's calls evaluated):
- the SecureCart world (sandboxes/world.py seed_world: users, roles, instance profiles, the organizations with
  their SCPs and RCPs; the apps' extensions, federation's providers and the challenges, are not seeded here);
- a synthetic sandbox of --principals principals (half users, half roles, over three accounts): trust policies
  naming a user, an account with an ExternalId, or EC2; users allowed sts:AssumeRole on a few roles, some with
  iam:PassRole + ec2:RunInstances, some allowed to write their own policies.

Baseline, measured in the same run: one trust evaluation (engine.policy.authorize of sts:AssumeRole with the
caller's identity policy and the role's trust policy, as StsService makes it) times the number of (principal,
role) pairs the graph considers. The ratio says how the graph compares with evaluating every pair once; the target
is the absolute time: under 1 s per graph on this machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.graph import SandboxPrincipals, build_graph  # noqa: E402
from engine.lab import Lab  # noqa: E402
from engine.policy import AuthzRequest, NamedPolicy, Principal, authorize, parse_policy  # noqa: E402

TARGET_SECONDS = 1.0


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def world_sandbox(lab: Lab) -> str:
    from sandboxes import world

    accounts = {world.PRODUCTION: "310000000001", world.DEVELOPER: "310000000002", world.AUDITOR: "310000000003",
                world.MANAGEMENT: "310000000004"}
    lab.register_sandbox("bench-world", accounts)
    world.seed_world("bench-world", accounts, extensions="none")
    return "bench-world"


def synthetic_sandbox(lab: Lab, principals: int) -> str:
    from moto.iam.models import iam_backends

    accounts = {"production": "320000000001", "developer": "320000000002", "auditor": "320000000003"}
    lab.register_sandbox("bench-synthetic", accounts)
    ids = list(accounts.values())
    users = principals // 2
    roles = principals - users
    for i in range(roles):
        account = ids[i % 3]
        kind = i % 4
        if kind == 0:
            trust = {"AWS": f"arn:aws:iam::{ids[(i + 1) % 3]}:user/user-{(i * 7) % users}"}
            condition = None
        elif kind == 1:
            trust, condition = {"AWS": f"arn:aws:iam::{ids[(i + 2) % 3]}:root"}, {
                "StringEquals": {"sts:ExternalId": f"ext-{i}"}}
        elif kind == 2:
            trust, condition = {"Service": "ec2.amazonaws.com"}, None
        else:
            trust, condition = {"AWS": f"arn:aws:iam::{account}:role/role-{(i + 5) % roles}"}, None
        statement = {"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"}
        if condition:
            statement["Condition"] = condition
        iam = iam_backends[account]["global"]
        iam.create_role(f"role-{i}", json.dumps({"Version": "2012-10-17", "Statement": [statement]}), "/", None, "",
                        [], None)
        iam.put_role_policy(f"role-{i}", "work", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "sts:AssumeRole"], "Resource": [
                f"arn:aws:s3:::bucket-{i}/*", f"arn:aws:iam::*:role/role-{(i + 3) % roles}"]}]}))
        if kind == 2:
            iam.create_instance_profile(f"role-{i}", "/", [f"role-{i}"], [])
    for i in range(users):
        account = ids[(i + 1) % 3]
        iam = iam_backends[account]["global"]
        iam.create_user("us-east-1", f"user-{i}", "/")
        statements = [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Resource": [f"arn:aws:iam::*:role/role-{(i * 3 + k) % roles}" for k in range(3)]}]
        if i % 10 == 0:
            statements.append({"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"})
        if i % 25 == 0:
            statements.append({"Effect": "Allow", "Action": "iam:PutUserPolicy",
                               "Resource": f"arn:aws:iam::{account}:user/user-{i}"})
        iam.put_user_policy(f"user-{i}", "work", json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return "bench-synthetic"


def one_trust_evaluation(rounds: int = 2000) -> float:
    """Median seconds of one sts:AssumeRole decision: identity policy + trust policy, cross-account."""
    trust = NamedPolicy("trust", parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::320000000002:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "ext-1"}}}]}), kind="trust"), "trust")
    identity = NamedPolicy("work", parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/role-*"}]})), "inline")
    principal = Principal(arn="arn:aws:iam::320000000002:user/user-1", account="320000000002", kind="user")
    request = AuthzRequest("sts:AssumeRole", "arn:aws:iam::320000000001:role/role-1", principal,
                           {"sts:ExternalId": "ext-1", "aws:SecureTransport": "true"})
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        authorize(request, identity=[identity], resource=trust, resource_account="320000000001",
                  resource_policy_required=True, trace=False)
        samples.append(time.perf_counter() - started)
    return _median(samples)


def pairs(snapshot: SandboxPrincipals) -> tuple[int, int]:
    principals = sum(len(e.users) + len(e.roles) for e in snapshot.entities) + len(snapshot.sessions)
    roles = sum(len(e.roles) for e in snapshot.entities)
    return principals, principals * roles


def measure(lab: Lab, sandbox: str, rounds: int, label: str, unit: float) -> float:
    snapshot = lab.sandbox_principals(sandbox)
    principals, pair_count = pairs(snapshot)
    graph = build_graph(snapshot)      # warm: parsed policies cached as in a running lab
    samples, reads = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        snapshot = lab.sandbox_principals(sandbox)
        read = time.perf_counter()
        graph = build_graph(snapshot)
        done = time.perf_counter()
        samples.append(done - started)
        reads.append(read - started)
    total = _median(samples)
    baseline = unit * pair_count
    print(f"{label}: {principals} principals, {pair_count} (principal, role) pairs, {len(graph.edges)} edges, "
          f"{graph.evaluations} evaluations")
    print(f"  graph {total * 1000:.1f} ms median of {rounds} (reading the sandbox {_median(reads) * 1000:.1f} ms); "
          f"one trust evaluation x pairs = {baseline * 1000:.1f} ms; ratio {total / baseline:.2f}; "
          f"target < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'NOT met'}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--principals", type=int, default=200)
    args = parser.parse_args()
    lab = Lab()
    world = world_sandbox(lab)
    synthetic = synthetic_sandbox(lab, args.principals)
    unit = one_trust_evaluation()
    print(f"one trust evaluation (authorize, identity + trust, no trace): {unit * 1e6:.1f} us median")
    slowest = max(measure(lab, world, args.rounds, "SecureCart world", unit),
                  measure(lab, synthetic, args.rounds, f"synthetic sandbox ({args.principals} principals)", unit))
    return 0 if slowest < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
