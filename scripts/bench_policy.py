"""Benchmark engine.policy: parse once, evaluate many.

    .venv/bin/python scripts/bench_policy.py [--n 20000]

Prints median / p90 microseconds per evaluation for: the auditor trust policy (account principal + an
sts:ExternalId StringEquals condition) through authorize() with the trace recorded; the same plus building the
full explanation (Decision.to_dict()); a bigger identity policy (12 statements, wildcards, variables,
conditions); and a request denied by a condition (Deny + BoolIfExists on MFA).

Then the organizations' guardrails (issue 25): the median time of one authorization as the gateway makes it
(Lab.authorize_call: the caller's policies read from moto, the organization read, every policy evaluated) for an
S3 GetObject by a user of a member account with an SCP and an RCP attached to its OU (on top of FullAWSAccess and
RCPFullAWSAccess at the root, the OU and the account), against the same call by the same kind of user in an
account in no organization; interleaved rounds, so both see the same machine. Target: ratio <= 1.5. The
organization policies' answer to a question already asked is remembered (engine/policy/authorizer.py _GUARD_MEMO),
so the first such call costs more: printed too, without a target.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.policy import EXPLICIT_DENY, AuthzRequest, NamedPolicy, Principal, authorize, parse_policy  # noqa: E402

TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "TrustAuditors",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "SecureCart-audit-7f3e"}}
    }
  ]
}"""

IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadImages", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::securecart-product-images", "arn:aws:s3:::securecart-product-images/*"]},
        {"Sid": "Invoices", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::securecart-invoices/*",
         "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}}},
        {"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:DBPassword-*"},
        {"Sid": "Home", "Effect": "Allow", "Action": ["s3:*Object"],
         "Resource": "arn:aws:s3:::securecart-home/${aws:username}/*"},
        {"Sid": "Dynamo", "Effect": "Allow", "Action": ["dynamodb:Get*", "dynamodb:Query", "dynamodb:Scan"],
         "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders*"},
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "arn:aws:logs:*:123456789012:log-group:/securecart/*"},
        {"Sid": "Tagged", "Effect": "Allow", "Action": "ec2:*Instances",
         "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
        {"Sid": "AssumeAudit", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": "arn:aws:iam::123456789012:role/SecureCart-*"},
        {"Sid": "DenyIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        {"Sid": "DenyOutsideRegion", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "s3:*"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
        {"Sid": "MfaForDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
        {"Sid": "TimeWindow", "Effect": "Allow", "Action": "cloudwatch:Get*", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
    ],
}


def measure(fn, n: int) -> tuple[float, float]:
    for _ in range(min(2000, n // 10)):
        fn()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        fn()
        samples.append(clock() - t0)
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.9)] / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()

    trust = NamedPolicy("SecureCart-AuditRole trust policy", parse_policy(TRUST, kind="trust"), "trust")
    auditor = Principal(arn="arn:aws:iam::987654321098:user/auditor", account="987654321098", kind="user",
                        username="auditor")
    auditor_identity = NamedPolicy("AssumeAudit", parse_policy(
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole",'
        '"Resource":"arn:aws:iam::123456789012:role/SecureCart-AuditRole"}}'), "inline")
    trust_request = AuthzRequest("sts:AssumeRole", "arn:aws:iam::123456789012:role/SecureCart-AuditRole", auditor,
                                 {"sts:ExternalId": "SecureCart-audit-7f3e", "aws:SourceIp": "203.0.113.9",
                                  "aws:CurrentTime": "2026-05-01T12:00:00Z", "aws:PrincipalArn": auditor.arn,
                                  "aws:PrincipalAccount": "987654321098", "aws:username": "auditor",
                                  "sts:RoleSessionName": "audit-session"})

    def trust_eval():
        return authorize(trust_request, identity=[auditor_identity], resource=trust,
                         resource_account="123456789012", resource_policy_required=True)

    def trust_eval_explained():
        return authorize(trust_request, identity=[auditor_identity], resource=trust,
                         resource_account="123456789012", resource_policy_required=True).to_dict()

    assert trust_eval().allowed
    alice = Principal(arn="arn:aws:iam::123456789012:user/alice", account="123456789012", kind="user",
                      username="alice", tags={"team": "red"})
    big = NamedPolicy("SecureCartDeveloper", parse_policy(json.dumps(IDENTITY, indent=2)), "managed")
    ctx = {"aws:username": "alice", "aws:PrincipalTag/team": "red", "aws:SourceIp": "203.0.113.9",
           "aws:RequestedRegion": "us-east-1", "aws:CurrentTime": "2026-05-01T12:00:00Z",
           "aws:MultiFactorAuthPresent": "true"}
    big_request = AuthzRequest("s3:GetObject", "arn:aws:s3:::securecart-home/alice/notes.txt", alice, ctx)
    assert authorize(big_request, identity=[big]).allowed

    deny_request = AuthzRequest("s3:DeleteObject", "arn:aws:s3:::securecart-home/alice/notes.txt", alice,
                                {k: v for k, v in ctx.items() if k != "aws:MultiFactorAuthPresent"})
    deny_decision = authorize(deny_request, identity=[big])
    assert not deny_decision.allowed and deny_decision.effect is EXPLICIT_DENY

    rows = [
        ("trust policy (auditor, ExternalId), authorize + trace events", trust_eval),
        ("trust policy, authorize + full explanation to_dict()", trust_eval_explained),
        ("identity policy, 12 statements, allow", lambda: authorize(big_request, identity=[big])),
        ("identity policy, 12 statements, deny by condition (MFA)", lambda: authorize(deny_request, identity=[big])),
        ("parse the trust policy text", lambda: parse_policy(TRUST, kind="trust")),
    ]
    print(f"{'case':62} {'median us':>10} {'p90 us':>9}")
    for label, fn in rows:
        n = args.n if "parse" not in label else max(1000, args.n // 10)
        median, p90 = measure(fn, n)
        print(f"{label:62} {median:10.1f} {p90:9.1f}")
    bench_guardrails(max(200, args.n // 20))


def bench_guardrails(n: int, rounds: int = 7) -> None:
    """Lab.authorize_call with an SCP and an RCP in play against the same call outside any organization."""
    import secrets

    from engine.decisions import DECISION_LRU_SIZE
    from engine.policy import authorizer
    from engine.lab import Lab
    from engine.sts.caller import RequestMeta
    from gateway.client import admin_client, default_moto  # noqa: F401  (patches moto: managed policies, orgs)

    def account() -> str:
        return "8" + "".join(secrets.choice("0123456789") for _ in range(11))

    lab = Lab()
    management, member, alone = account(), account(), account()
    lab.register_sandbox("bench-guardrails", {"management": management, "member": member, "alone": alone})
    reader = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]})
    callers = {}
    for name, acct in (("member", member), ("alone", alone)):
        iam = admin_client("iam", acct)
        iam.create_user(UserName="reader")
        iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=reader)
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        callers[name] = lab.authenticate(key["AccessKeyId"], None)
    admin_client("iam", member).create_account_alias(AccountAlias="bench-member")
    org = admin_client("organizations", management)
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        org.enable_policy_type(RootId=root, PolicyType=policy_type)
    ou = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    shake = org.invite_account_to_organization(Target={"Id": member, "Type": "ACCOUNT"})["Handshake"]["Id"]
    admin_client("organizations", member).accept_handshake(HandshakeId=shake)
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    scp = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyTwoRegions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*"],
         "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}]}
    rcp = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyOurOrganization", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}
    for name, policy_type, content in (("Regions", "SERVICE_CONTROL_POLICY", scp),
                                       ("Perimeter", "RESOURCE_CONTROL_POLICY", rcp)):
        policy = org.create_policy(Name=name, Description=name, Type=policy_type, Content=json.dumps(content))
        org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=ou)
    ids = itertools.count()

    def call(name: str, acct: str) -> object:
        # a request id of its own, as the gateway gives each request (the Lab keeps the last decisions by id)
        meta = RequestMeta(request_id=f"bench-{next(ids)}")
        return lab.authorize_call(callers[name], "s3:GetObject", "arn:aws:s3:::bench/k", acct, request_meta=meta)

    guarded = call("member", member)
    assert {layer.kind: layer.verdict.value for layer in guarded.layers}["scp"] == "allow", guarded.layers
    assert guarded.allowed and call("alone", alone).allowed, guarded.layers
    assert {layer.kind: layer.verdict.value for layer in call("alone", alone).layers}["scp"] == "not-in-play"
    def timed(name: str, acct: str) -> float:
        # The Lab keeps the last DECISION_LRU_SIZE decisions; first fill it with this kind of call, so each side is
        # timed in its own steady state (not paying to replace the other side's smaller or bigger decisions)
        for _ in range(DECISION_LRU_SIZE):
            call(name, acct)
        return measure(lambda: call(name, acct), n)[0]

    def first_time() -> object:
        # the organization policies' answers not remembered yet: the first such call after a policy changed
        authorizer._GUARD_MEMO.clear()
        return call("member", member)

    with_org, without, cold = [], [], []
    for _ in range(rounds):    # interleaved: the shared machine's load changes over the run
        with_org.append(timed("member", member))
        without.append(timed("alone", alone))
        cold.append(measure(first_time, n)[0])
    a, b, c = statistics.median(with_org), statistics.median(without), statistics.median(cold)
    print(f"{'authorize_call, member account: SCP + RCP in play':62} {a:10.1f}")
    print(f"{'authorize_call, the same call outside any organization':62} {b:10.1f}")
    print(f"{'  ratio with guardrails / without':62} {a / b:10.2f}   (target <= 1.5)")
    print(f"{'authorize_call, member account, first call (nothing remembered)':62} {c:10.1f}   "
          f"(ratio {c / b:.2f}, no target)")


if __name__ == "__main__":
    main()
