"""Engine-made questions: "will this call be allowed?" composed from a seed, decided by the lab's policy engine.

A seed and a difficulty pick a principal, the policies in play (identity policy and bucket policy always; a
permissions boundary from medium; a role session with a session policy, and a bucket in another account, at hard)
and one request. The engine evaluates the request; its decision (effect and which policy type decided) is the
right option, its reason and trace are the explanation. The three wrong options are other decisions that could be
mistaken for it, never one that is also true of this request (no second applicable Deny, no second policy that
also fails to allow), so no two options are the same decision.

Question ids are `gen-<difficulty>-<seed>`; the same id always builds the same question (random.Random seeded with
the id), so attempts, live rooms and reviews store only the id, as for the written bank.

Every exhibit is one AWS would accept (check_exhibits): bucket policies as S3 validates them (only the bucket and
its objects, never "*"; s3:ListBucket on the bucket ARN), near misses as another prefix of the same bucket or another
action; a request signed with an IAM user's long-term keys carries no aws:MultiFactorAuthPresent. Items are labelled
by the policy types they show (label_of) and filed under a topic by them (domain_of).

SCPs and RCPs are not offered yet: the lab's engine (engine/policy/authorizer.py) evaluates identity, resource,
boundary and session policies. LEVELS is where organization-level questions plug in once it evaluates them.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.policy import AuthzRequest, Decision, NamedPolicy, Principal, authorize, parse_policy
from engine.policy.bucket_policy import validate_bucket_policy

from .bank import EngineCheck, Exhibit, Option, Question, register_source
from .citations import EVALUATION_LOGIC

DIFFICULTIES = ("easy", "medium", "hard")
ID_RE = re.compile(r"^gen-(easy|medium|hard)-(\d{1,9})$")
MAX_SEED = 999_999_999

# The policy types each level may compose (cross-account buckets come with "hard"). This is the seam for
# organization-level questions: once engine.policy.authorize evaluates SCPs and RCPs (issue 25), add a level here
# whose layers include "scp" and "rcp", an exhibit kind and title for each, and pass them to evaluate().
LEVELS: dict[str, tuple[str, ...]] = {
    "easy": ("identity", "resource"),
    "medium": ("identity", "resource", "boundary"),
    "hard": ("identity", "resource", "boundary", "session"),
}

PROD, PARTNER = "123456789012", "444455556666"
USER = f"arn:aws:iam::{PROD}:user/dana"
ROLE = f"arn:aws:iam::{PROD}:role/SecureCart-Billing"
SESSION = f"arn:aws:sts::{PROD}:assumed-role/SecureCart-Billing/dana"
OTHER_ROLE = f"arn:aws:iam::{PROD}:role/SecureCart-Support"


@dataclass(frozen=True)
class Target:
    """What a request asks for: an object (bucket + key) or, for s3:ListBucket, the bucket itself (key "")."""
    action: str
    bucket: str
    key: str
    sibling: str  # another prefix of the same bucket: near misses point there, never at another bucket

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}"

    @property
    def arn(self) -> str:
        return f"{self.bucket_arn}/{self.key}" if self.key else self.bucket_arn

    @property
    def prefix_arn(self) -> str:
        return f"{self.bucket_arn}/{self.key.split('/')[0]}/*"

    def in_account(self, account: str) -> "Target":
        if account == PROD:
            return self
        return Target(self.action, self.bucket.replace("securecart-", "partner-"), self.key, self.sibling)


REQUESTS = [
    Target("s3:GetObject", "securecart-invoices", "2026/inv-1042.pdf", "drafts"),
    Target("s3:PutObject", "securecart-invoices", "2026/inv-1043.pdf", "drafts"),
    Target("s3:GetObject", "securecart-product-images", "shoes/red.png", "staging"),
    Target("s3:DeleteObject", "securecart-product-images", "shoes/old.png", "staging"),
    Target("s3:GetObject", "securecart-security-logs", "trail/2026-12-01.json.gz", "config"),
    Target("s3:ListBucket", "securecart-security-logs", "", "config"),
]
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")

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
# Present only in requests signed with temporary credentials: an IAM user's long-term keys never carry it (IAM
# User Guide, AWS global condition context keys, aws:MultiFactorAuthPresent).
MFA_KEY = "aws:MultiFactorAuthPresent"

KIND_LABEL = {"identity": "the identity policy", "resource": "the bucket policy",
              "boundary": "the permissions boundary", "session": "the session policy"}
SHORT_LABEL = {"identity": "identity policy", "resource": "bucket policy", "boundary": "permissions boundary",
               "session": "session policy"}
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

def _hit(rng: random.Random, target: Target, *, bucket_policy: bool) -> tuple[Any, Any]:
    """Action and Resource elements that match the request; every pair applies to a resource it names, as S3
    requires of a bucket policy (s3:ListBucket names the bucket, object actions name objects)."""
    verb = re.match(r"[A-Z][a-z]+", target.action.split(":")[1]).group(0)
    if target.key:
        actions = rng.choice([target.action, "s3:*", f"s3:{verb}*", [target.action, "s3:ListBucket"]])
        resources = [target.arn, f"{target.bucket_arn}/*", target.prefix_arn] + ([] if bucket_policy else ["*"])
        resource: Any = rng.choice(resources)
        if isinstance(actions, list) and resource != "*":
            resource = [target.bucket_arn, resource]  # s3:ListBucket applies to the bucket ARN
    else:
        actions = rng.choice([target.action, "s3:*", "s3:List*"])
        resource = rng.choice([target.bucket_arn] + ([] if bucket_policy else ["*"]))
    return actions, resource


def _miss(rng: random.Random, target: Target) -> tuple[Any, Any]:
    """A near miss: the same action on another prefix of the same bucket, or another action."""
    if target.key and rng.random() < 0.5:
        return target.action, f"{target.bucket_arn}/{target.sibling}/*"
    other = rng.choice([a for a in OBJECT_ACTIONS + ("s3:ListBucket",) if a != target.action])
    if other == "s3:ListBucket":
        return other, target.bucket_arn
    return other, (f"{target.bucket_arn}/*" if not target.key else target.prefix_arn)


def _statement(rng: random.Random, effect: str, target: Target, *, hit: float, bucket_policy: bool = False,
               conditions: list | None = None, principal: Any = None) -> tuple[dict, dict[str, str]]:
    """A statement that matches the request with probability `hit`, and the context values its condition wants."""
    actions, resource = _hit(rng, target, bucket_policy=bucket_policy) if rng.random() < hit else _miss(rng, target)
    st: dict[str, Any] = {"Effect": effect}
    if principal is not None:
        st["Principal"] = principal
    st["Action"] = actions
    st["Resource"] = resource
    wanted: dict[str, str] = {}
    if conditions and rng.random() < 0.6:
        block, key, good, bad = rng.choice(conditions)
        st["Condition"] = block
        wanted[key] = good if rng.random() < 0.6 else bad
    return st, wanted


def _policy(statements: list[dict], prefix: str) -> dict:
    """Every statement gets a Sid numbered from 1, so explanations never say "statement #0"."""
    return {"Version": "2012-10-17",
            "Statement": [{"Sid": f"{prefix}{st['Effect']}{i}", **st} for i, st in enumerate(statements, start=1)]}


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

    @property
    def long_term_keys(self) -> bool:
        return self.principal["kind"] == "user"

    @property
    def cross_account(self) -> bool:
        return self.resource_account != PROD


def _compose(rng: random.Random, difficulty: str) -> Scenario:
    layers = LEVELS[difficulty]
    level = DIFFICULTIES.index(difficulty)
    as_role = "session" in layers or ("boundary" in layers and rng.random() < 0.5)
    account = PARTNER if "session" in layers and rng.random() < 0.6 else PROD
    target = rng.choice(REQUESTS).in_account(account)
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
            if key == MFA_KEY and not as_role:
                continue  # long-term keys: the key is absent whatever a policy tests
            context.setdefault(key, value)  # the first statement that cares sets the request's value

    conditions = CONDITIONS if level else []
    deny_conditions = DENY_CONDITIONS if level else []
    policies: dict[str, dict] = {}

    statements = []
    st, wanted = _statement(rng, "Allow", target, hit=0.6 if level == 0 else 0.75, conditions=conditions)
    statements.append(st); merge(wanted)
    if rng.random() < (0.45 + 0.1 * level):
        st, wanted = _statement(rng, "Deny", target, hit=0.5, conditions=deny_conditions)
        statements.append(st); merge(wanted)
    policies["identity"] = _policy(statements, "Identity")

    if "boundary" in layers and ("session" not in layers or rng.random() < 0.6):
        st, wanted = _statement(rng, "Allow", target, hit=0.7)
        policies["boundary"] = _policy([st], "Boundary")
    if as_role and "session" in layers and rng.random() < 0.75:  # a session may be assumed without a policy
        st, wanted = _statement(rng, "Allow", target, hit=0.7, conditions=conditions)
        merge(wanted)
        policies["session"] = _policy([st], "Session")

    caller_names = [{"AWS": SESSION if as_role else USER}, {"AWS": ROLE if as_role else USER},
                    {"AWS": f"arn:aws:iam::{PROD}:root"}, {"AWS": OTHER_ROLE}]
    name = rng.choice(caller_names if as_role else [caller_names[0], caller_names[2], caller_names[3]])
    bucket_effect = "Deny" if rng.random() < 0.25 else "Allow"
    st, wanted = _statement(rng, bucket_effect, target, hit=0.7, bucket_policy=True,
                            conditions=deny_conditions if bucket_effect == "Deny" else conditions, principal=name)
    if bucket_effect == "Deny" and "Condition" not in st and rng.random() < 0.5:
        st["Principal"] = "*"
        block, key, good, bad = rng.choice(DENY_CONDITIONS)
        st["Condition"] = block
        wanted = {key: good if rng.random() < 0.5 else bad}
    merge(wanted)
    policies["resource"] = _policy([st], "Bucket")

    if level:
        context.setdefault("aws:SecureTransport", "true")
        if as_role:
            context.setdefault(MFA_KEY, "false")  # a role session always carries it; true only with MFA
    return Scenario(difficulty=difficulty, principal=principal, who=who, action=target.action, resource=target.arn,
                    bucket=target.bucket, resource_account=account, context=dict(sorted(context.items())),
                    policies=policies)


def check_exhibits(scn: Scenario) -> None:
    """Every exhibit is a document AWS would accept: the bucket policy as S3 validates it on PutBucketPolicy, the
    others as IAM does. Raises (MalformedPolicy / MalformedPolicyDocument) otherwise; build() calls it for every
    question, so a composition AWS would refuse is never shown."""
    for kind, document in scn.policies.items():
        if kind == "resource":
            validate_bucket_policy(document, bucket=scn.bucket)
        else:
            parse_policy(document, kind=EXHIBIT_KIND[kind])


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


def _also_true(decision: Decision, scn: Scenario) -> set[str]:
    """Verdict keys that would also describe this request: another policy type with an applicable Deny, or
    another policy that allows nothing here. Such options would make two answers right, so they are left out.
    A same-account bucket policy that names only the account grants nothing by itself (it delegates to the
    account's identity policies), so "the bucket policy does not grant the caller access" counts as true then."""
    keys = set()
    for result in decision.results:
        if result.denies:
            keys.add(f"explicit-deny:{result.role}")
        if not result.allows:
            keys.add(f"implicit-deny:{result.role}")
        elif result.role == "resource" and not scn.cross_account and all(how == "account" for _, how in result.allows):
            keys.add("implicit-deny:resource")
    return keys


def _plausible(verdict: Verdict, scn: Scenario) -> bool:
    """A distractor names a Deny only in a policy that has a Deny statement (one that does not apply here)."""
    if verdict.outcome != "explicit-deny":
        return True
    return any(st["Effect"] == "Deny" for st in scn.policies[verdict.kind]["Statement"])


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
             if scn.cross_account else f" The bucket is in the same account ({PROD}).")
    signed = (" dana signs the request with her long-term access keys, so it carries no "
              f"`{MFA_KEY}` key." if scn.long_term_keys else
              " The request is signed with the session's temporary credentials.")
    return (f"{who_cap(scn.who)} calls `{scn.action}` on `{scn.resource}`.{cross}{signed}"
            + (f" The request context has {ctx}." if ctx else "")
            + " Only the policies shown apply (no SCPs, no other policies). What is the result?")


def who_cap(text: str) -> str:
    return text[0].upper() + text[1:]


def domain_of(scn: Scenario) -> str:
    """The bank topic by the policy types present: boundaries and session policies first, then cross-account."""
    if "boundary" in scn.policies or "session" in scn.policies:
        return "guardrails"
    return "cross-account" if scn.cross_account else "evaluation"


def label_of(scn: Scenario) -> str:
    """What the question is about, by the policy types it shows: "Identity policy + bucket policy, cross-account"."""
    kinds = [k for k in ("identity", "boundary", "session", "resource") if k in scn.policies]
    words = " + ".join(SHORT_LABEL[k] for k in kinds)
    return (words[0].upper() + words[1:]) + (", cross-account" if scn.cross_account else "")


def build(difficulty: str, seed: int) -> Question:
    """The question for (difficulty, seed); the same pair always gives the same question."""
    if difficulty not in DIFFICULTIES or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"no generated question for {difficulty!r} seed {seed!r}")
    qid = f"gen-{difficulty}-{seed}"
    rng = random.Random(qid)
    for _ in range(200):  # a few compositions leave fewer than three clean distractors; compose again
        scn = _compose(rng, difficulty)
        check_exhibits(scn)
        decision = evaluate(scn)
        right = verdict_of(decision)
        kinds = list(scn.policies)
        candidates = [Verdict("allow", None)] + [Verdict(o, k) for k in kinds
                                                 for o in ("explicit-deny", "implicit-deny")]
        excluded = _also_true(decision, scn) | {right.key}
        pool = [v for v in candidates if v.key not in excluded and _plausible(v, scn)]
        if len(pool) >= 3:
            break
    else:  # pragma: no cover - the loop is sized so this never happens (the seed tests would show it)
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
                             policy_kind=EXHIBIT_KIND[kind], bucket=scn.bucket if kind == "resource" else None)
                     for kind, doc in scn.policies.items())
    spec = {"principal": scn.principal, "action": scn.action, "resource": scn.resource, "context": scn.context,
            "identity": ["identity"], "resource_policy": "resource" if "resource" in scn.policies else None,
            "boundary": "boundary" if "boundary" in scn.policies else None,
            "session": ["session"] if "session" in scn.policies else [],
            "resource_account": scn.resource_account, "decision_option": mapping}
    explanation = (f"The lab's policy engine evaluated exactly these policies and this request: "
                   f"{decision.reason}.\n\nHow it got there: "
                   + "; ".join(f"({i}) {step}" for i, step in enumerate(decision.steps, start=1)) + ".")
    return Question(
        id=qid, domain=domain_of(scn), difficulty=difficulty, style="will-it-be-allowed", multi=False,
        stem=_stem(scn), options=tuple(options), explanation=explanation,
        citation_title=EVALUATION_LOGIC[0], citation_url=EVALUATION_LOGIC[1],
        exhibits=exhibits, engine=EngineCheck(check="authorize", spec=spec), tags=("engine-made",),
        task="1.1", teaches="", generated=True, label=label_of(scn))


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
