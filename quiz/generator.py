"""Engine-made questions: "will this call be allowed?" composed from a seed, decided by the lab's policy engine.

A seed and a difficulty pick a principal, the policies in play (identity policy and bucket policy always; a
permissions boundary from medium; a role session with a session policy, and a bucket in another account, at hard)
and one request. The engine evaluates the request; its decision (effect and which policy type decided) is the
right option, its reason and trace are the explanation. The three wrong options are other decisions that could be
mistaken for it, never one that is also true of this request (no second applicable Deny, no second policy that
also fails to allow), so no two options are the same decision.

Question ids are `gen-<difficulty>-<seed>`; the same id always builds the same question (random.Random seeded with
the id), so attempts, live rooms and reviews store only the id, as for the written bank.

SCPs are not offered: the lab's engine (engine/policy/authorizer.py) evaluates identity, resource, boundary and
session policies, not Organizations policies.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.policy import AuthzRequest, Decision, NamedPolicy, Principal, authorize, parse_policy

from .bank import EngineCheck, Exhibit, Option, Question, register_source

DIFFICULTIES = ("easy", "medium", "hard")
ID_RE = re.compile(r"^gen-(easy|medium|hard)-(\d{1,9})$")
MAX_SEED = 999_999_999

PROD, PARTNER = "123456789012", "444455556666"
USER = f"arn:aws:iam::{PROD}:user/dana"
ROLE = f"arn:aws:iam::{PROD}:role/SecureCart-Billing"
SESSION = f"arn:aws:sts::{PROD}:assumed-role/SecureCart-Billing/dana"
OTHER_ROLE = f"arn:aws:iam::{PROD}:role/SecureCart-Support"

# (action, object ARN, bucket) pairs the requests use; all S3 so one bucket policy can speak about them.
REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::securecart-invoices/2026/inv-1042.pdf", "securecart-invoices"),
    ("s3:PutObject", "arn:aws:s3:::securecart-invoices/2026/inv-1043.pdf", "securecart-invoices"),
    ("s3:GetObject", "arn:aws:s3:::securecart-product-images/shoes/red.png", "securecart-product-images"),
    ("s3:DeleteObject", "arn:aws:s3:::securecart-product-images/shoes/old.png", "securecart-product-images"),
    ("s3:GetObject", "arn:aws:s3:::securecart-security-logs/trail/2026-12-01.json.gz", "securecart-security-logs"),
]
OTHER_BUCKET = "securecart-backups"

# Conditions a statement may carry, with a request value that meets it and one that does not.
CONDITIONS = [
    ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, "aws:MultiFactorAuthPresent", "true", "false"),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "aws:SourceIp", "203.0.113.25", "198.51.100.7"),
    ({"StringEquals": {"aws:PrincipalTag/team": "billing"}}, "aws:PrincipalTag/team", "billing", "support"),
    ({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, "aws:RequestedRegion", "eu-west-1", "us-east-1"),
]
# Deny conditions: the classic guardrails (deny without MFA, deny plain HTTP).
DENY_CONDITIONS = [
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, "aws:MultiFactorAuthPresent", "false", "true"),
    ({"Bool": {"aws:SecureTransport": "false"}}, "aws:SecureTransport", "false", "true"),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "aws:SourceIp", "198.51.100.7", "203.0.113.25"),
]

KIND_LABEL = {"identity": "the identity policy", "resource": "the bucket policy",
              "boundary": "the permissions boundary", "session": "the session policy"}
EXHIBIT_KIND = {"identity": "identity", "resource": "resource", "boundary": "boundary", "session": "session"}
OUTCOMES = {"Allow": "allow", "ExplicitDeny": "explicit-deny", "ImplicitDeny": "implicit-deny"}


@dataclass(frozen=True)
class Verdict:
    """One possible decision: the effect and, for a denial, which policy type decided it."""
    outcome: str          # allow | explicit-deny | implicit-deny
    kind: str | None      # identity | resource | boundary | session; None for allow

    @property
    def key(self) -> str:
        return self.outcome if self.kind is None else f"{self.outcome}:{self.kind}"

    @property
    def text(self) -> str:
        if self.outcome == "allow":
            return "The request is allowed."
        if self.outcome == "explicit-deny":
            return f"Denied: an explicit `Deny` in {KIND_LABEL[self.kind]} applies."
        if self.kind == "identity":
            return "Denied implicitly: no identity-based policy allows the request."
        if self.kind == "resource":
            return "Denied implicitly: the bucket policy does not grant the caller access."
        return f"Denied implicitly: {KIND_LABEL[self.kind]} does not allow the request."


def verdict_of(decision: Decision) -> Verdict:
    outcome = OUTCOMES[decision.effect.value]
    return Verdict(outcome, None if outcome == "allow" else decision.denied_by)


# ---- building blocks ------------------------------------------------------------------------------------------

def _statement(rng: random.Random, effect: str, action: str, obj: str, bucket: str, *, hit: float,
               conditions: list | None = None, principal: Any = None) -> tuple[dict, dict[str, str]]:
    """A statement that matches the request with probability `hit`, and the context values its condition wants."""
    service_wide = action.split(":")[0] + ":*"
    verb_prefix = action.split(":")[0] + ":" + re.match(r"[A-Z][a-z]+", action.split(":")[1]).group(0) + "*"
    if rng.random() < hit:
        actions = rng.choice([action, service_wide, verb_prefix, [action, "s3:ListBucket"]])
        resource = rng.choice([obj, f"arn:aws:s3:::{bucket}/*", "*"])
    else:  # a near miss: the right action on another bucket, or another action on the right bucket
        if rng.random() < 0.5:
            actions, resource = action, f"arn:aws:s3:::{OTHER_BUCKET}/*"
        else:
            others = [a for a in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket") if a != action]
            actions, resource = rng.choice(others), f"arn:aws:s3:::{bucket}/*"
    st: dict[str, Any] = {"Effect": effect}
    if principal is not None:
        st["Principal"] = principal
    st["Action"] = actions
    st["Resource"] = resource if not (isinstance(actions, str) and actions == "s3:ListBucket") else \
        f"arn:aws:s3:::{bucket}"
    wanted: dict[str, str] = {}
    if conditions and rng.random() < 0.6:
        block, key, good, bad = rng.choice(conditions)
        st["Condition"] = block
        wanted[key] = good if rng.random() < 0.6 else bad
    return st, wanted


def _policy(statements: list[dict], rng: random.Random, prefix: str) -> dict:
    for i, st in enumerate(statements):
        if rng.random() < 0.7:
            st_sid = f"{prefix}{st['Effect']}{i + 1}"
            statements[i] = {"Sid": st_sid, **st}
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class Scenario:
    difficulty: str
    principal: dict[str, Any]
    who: str
    action: str
    resource: str
    bucket: str
    resource_account: str
    context: dict[str, str]
    policies: dict[str, dict]  # kind -> document


def _compose(rng: random.Random, difficulty: str) -> Scenario:
    action, obj, bucket = rng.choice(REQUESTS)
    level = DIFFICULTIES.index(difficulty)
    as_role = level == 2 or (level == 1 and rng.random() < 0.5)
    cross = level == 2 and rng.random() < 0.6
    account = PARTNER if cross else PROD
    if cross:
        obj = obj.replace("securecart-", "partner-")
        bucket = bucket.replace("securecart-", "partner-")
    if as_role:
        principal = {"arn": SESSION, "account": PROD, "kind": "assumed-role", "role_arn": ROLE,
                     "userid": "AROAEXAMPLEBILLING:dana"}
        who = "`dana`, working in a session of the role `SecureCart-Billing`,"
    else:
        principal = {"arn": USER, "account": PROD, "kind": "user", "username": "dana", "userid": "AIDAEXAMPLEDANA"}
        who = "The IAM user `dana`"
    context: dict[str, str] = {}

    def merge(wanted: dict[str, str]) -> None:
        for key, value in wanted.items():
            context.setdefault(key, value)  # the first statement that cares sets the request's value

    conditions = CONDITIONS if level else []
    deny_conditions = DENY_CONDITIONS if level else []
    policies: dict[str, dict] = {}

    statements = []
    st, wanted = _statement(rng, "Allow", action, obj, bucket, hit=0.6 if level == 0 else 0.75,
                            conditions=conditions)
    statements.append(st); merge(wanted)
    if rng.random() < (0.45 + 0.1 * level):
        st, wanted = _statement(rng, "Deny", action, obj, bucket, hit=0.5, conditions=deny_conditions)
        statements.append(st); merge(wanted)
    policies["identity"] = _policy(statements, rng, "Id")

    if level >= 1 and (level == 1 or rng.random() < 0.6):
        st, wanted = _statement(rng, "Allow", action, obj, bucket, hit=0.7)
        policies["boundary"] = _policy([st], rng, "Boundary")
    if as_role and level == 2:
        st, wanted = _statement(rng, "Allow", action, obj, bucket, hit=0.7, conditions=conditions)
        merge(wanted)
        policies["session"] = _policy([st], rng, "Session")

    caller_names = [{"AWS": SESSION if as_role else USER}, {"AWS": ROLE if as_role else USER},
                    {"AWS": f"arn:aws:iam::{PROD}:root"}, {"AWS": OTHER_ROLE}]
    name = rng.choice(caller_names if as_role else [caller_names[0], caller_names[2], caller_names[3]])
    bucket_effect = "Deny" if rng.random() < 0.25 else "Allow"
    st, wanted = _statement(rng, bucket_effect, action, obj, bucket, hit=0.7,
                            conditions=deny_conditions if bucket_effect == "Deny" else conditions, principal=name)
    if bucket_effect == "Deny" and "Condition" not in st and rng.random() < 0.5:
        st["Principal"] = "*"
        block, key, good, bad = rng.choice(DENY_CONDITIONS)
        st["Condition"] = block
        wanted = {key: good if rng.random() < 0.5 else bad}
    merge(wanted)
    policies["resource"] = _policy([st], rng, "Bucket")

    if level and "aws:SecureTransport" not in context:
        context["aws:SecureTransport"] = "true"
    return Scenario(difficulty=difficulty, principal=principal, who=who, action=action, resource=obj,
                    bucket=bucket, resource_account=account, context=dict(sorted(context.items())),
                    policies=policies)


def _named(kind: str, document: dict, title: str) -> NamedPolicy:
    source = {"identity": "inline", "resource": "bucket", "boundary": "boundary", "session": "session"}[kind]
    return NamedPolicy(name=title, document=parse_policy(json.dumps(document), kind=EXHIBIT_KIND[kind]),
                       source=source)


TITLES = {"identity": "Identity policy attached to {who}", "resource": "Bucket policy on {bucket}",
          "boundary": "Permissions boundary", "session": "Session policy passed to AssumeRole"}


def _titles(scn: Scenario) -> dict[str, str]:
    holder = "the role SecureCart-Billing" if scn.principal["kind"] == "assumed-role" else "the user dana"
    return {kind: TITLES[kind].format(who=holder, bucket=scn.bucket) for kind in scn.policies}


def evaluate(scn: Scenario) -> Decision:
    titles = _titles(scn)
    named = {kind: _named(kind, doc, titles[kind]) for kind, doc in scn.policies.items()}
    return authorize(
        AuthzRequest(scn.action, scn.resource, Principal(**scn.principal), scn.context),
        identity=[named["identity"]], resource=named.get("resource"), boundary=named.get("boundary"),
        session=[named["session"]] if "session" in named else [], resource_account=scn.resource_account)


def _also_true(decision: Decision) -> set[str]:
    """Verdict keys that would also describe this request: another policy type with an applicable Deny, or
    another policy that allows nothing here. Such options would make two answers right, so they are left out."""
    keys = set()
    for result in decision.results:
        if result.denies:
            keys.add(f"explicit-deny:{result.role}")
        if not result.allows:
            keys.add(f"implicit-deny:{result.role}")
    return keys


def _wrong_why(verdict: Verdict, decision: Decision) -> str:
    if verdict.outcome == "allow":
        return f"Not allowed. The engine: {decision.reason}."
    if decision.allowed:
        return f"Nothing denies it. The engine: {decision.reason}."
    if verdict.outcome == "explicit-deny":
        return (f"No `Deny` statement in {KIND_LABEL[verdict.kind]} applies to this request, so this is not the "
                f"reason. The engine: {decision.reason}.")
    return (f"{KIND_LABEL[verdict.kind][0].upper()}{KIND_LABEL[verdict.kind][1:]} is not what decides here. "
            f"The engine: {decision.reason}.")


def _stem(scn: Scenario) -> str:
    ctx = ", ".join(f"`{k}` = `{v}`" for k, v in scn.context.items())
    cross = (f" The bucket belongs to another AWS account ({scn.resource_account}); dana's account is {PROD}."
             if scn.resource_account != PROD else f" The bucket is in the same account ({PROD}).")
    return (f"{who_cap(scn.who)} calls `{scn.action}` on `{scn.resource}`.{cross}"
            + (f" The request context has {ctx}." if ctx else "")
            + " Only the policies shown apply (no SCPs, no other policies). What is the result?")


def who_cap(text: str) -> str:
    return text[0].upper() + text[1:]


def build(difficulty: str, seed: int) -> Question:
    """The question for (difficulty, seed); the same pair always gives the same question."""
    if difficulty not in DIFFICULTIES or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"no generated question for {difficulty!r} seed {seed!r}")
    qid = f"gen-{difficulty}-{seed}"
    rng = random.Random(qid)
    for _ in range(200):  # a few compositions leave fewer than three clean distractors; compose again
        scn = _compose(rng, difficulty)
        decision = evaluate(scn)
        right = verdict_of(decision)
        kinds = list(scn.policies)
        candidates = [Verdict("allow", None)] + [Verdict(o, k) for k in kinds
                                                 for o in ("explicit-deny", "implicit-deny")]
        excluded = _also_true(decision) | {right.key}
        pool = [v for v in candidates if v.key not in excluded]
        if len(pool) >= 3:
            break
    else:  # pragma: no cover - the loop is sized so this never happens (the 1,000-seed test would show it)
        raise RuntimeError(f"could not compose {qid}")
    wrong = rng.sample(pool, 3)
    verdicts = [right] + wrong
    rng.shuffle(verdicts)
    options, mapping = [], {}
    for index, verdict in enumerate(verdicts):
        key = "abcd"[index]
        mapping[verdict.key] = key
        why = (f"Right. {decision.reason[0].upper()}{decision.reason[1:]}." if verdict == right
               else _wrong_why(verdict, decision))
        options.append(Option(key=key, text=verdict.text, correct=verdict == right, why=why))
    titles = _titles(scn)
    exhibits = tuple(Exhibit(name=kind, title=titles[kind], text=json.dumps(doc, indent=2), policy=doc,
                             policy_kind=EXHIBIT_KIND[kind]) for kind, doc in scn.policies.items())
    spec = {"principal": scn.principal, "action": scn.action, "resource": scn.resource, "context": scn.context,
            "identity": ["identity"], "resource_policy": "resource" if "resource" in scn.policies else None,
            "boundary": "boundary" if "boundary" in scn.policies else None,
            "session": ["session"] if "session" in scn.policies else [],
            "resource_account": scn.resource_account, "decision_option": mapping}
    explanation = (f"The lab's policy engine evaluated exactly these policies and this request: "
                   f"{decision.reason}.\n\nHow it got there: "
                   + "; ".join(f"({i}) {step}" for i, step in enumerate(decision.steps, start=1)) + ".")
    return Question(
        id=qid, domain="guardrails", difficulty=difficulty, style="will-it-be-allowed", multi=False,
        stem=_stem(scn), options=tuple(options), explanation=explanation,
        citation_title="IAM User Guide: Policy evaluation logic",
        citation_url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
        exhibits=exhibits, engine=EngineCheck(check="authorize", spec=spec), tags=("engine-made",),
        task="1.1", teaches="", generated=True)


@lru_cache(maxsize=2048)
def resolve(qid: str) -> Question | None:
    match = ID_RE.match(qid)
    if not match:
        return None
    return build(match.group(1), int(match.group(2)))


def new_ids(difficulty: str, count: int, rng: random.Random | None = None) -> list[str]:
    rng = rng or random.SystemRandom()
    return [f"gen-{difficulty}-{rng.randint(0, MAX_SEED)}" for _ in range(count)]


register_source("gen-", resolve)
