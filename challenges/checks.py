"""The checker: one challenge's checks (its file's `checks`) run against the learner's sandbox, each a finding that
says what happened and why. It decides ONLY from the sandbox's state, by real calls and the lab's own records:

- probes: real calls by probe identities (challenges/probes.py), judged by the engine's Decision, so a finding
  names the statement and condition that decided, and which classic mistake a failing probe exposes;
- evidence: what the lab issued or recorded since the challenge was (re)seeded (sessions, instances, CloudTrail
  events of the learner, never the checker's own);
- answers: what a defender reports, compared with ground truth from the sandbox (what a seeded call really did, the
  learner's own attack in CloudTrail, or a probe's verdict and the engine's reasoning), never with a string of the
  challenge's file.

Probe calls are remembered as the checker's (CheckerCall) so the Detections and defender exercises leave them out.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sandboxes import imdsmount, services
from sandboxes.labclient import lab
from sandboxes.models import Sandbox

from . import catalog, probes, seeding
from .models import ChallengeSeed, CheckerCall
from .probes import Outcome, ProbeProblem, Run
from .schema import AnswerCheck, ChallengeSpec, Evidence, Probe, Replay

MAX_SESSION_CANDIDATES = 5
CHECKER_CALLS_KEPT = 5_000


@dataclass
class Finding:
    ok: bool
    text: str
    why: str = ""                                          # the engine's reason, for a probe
    mistakes: list[str] = field(default_factory=list)     # the classic mistakes a failing probe exposes


@dataclass
class CheckResult:
    passed: bool
    findings: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "findings": [asdict(f) for f in self.findings]}


def check(sandbox: Sandbox, spec: ChallengeSpec, answers: dict[str, str] | None = None) -> CheckResult:
    services.ensure_ready(sandbox)
    seeding.ensure_seeded(sandbox, spec)
    kept_role = next((p.who.kept_session for p in spec.probes if p.who.kept_session), None)
    candidates: list[Any] = [None]
    if kept_role:
        candidates = probes.kept_candidates(sandbox, kept_role)[:MAX_SESSION_CANDIDATES] or [None]
    best: list[Finding] | None = None
    for candidate in candidates:   # the learner may have several sessions of the role: any one that passes will do
        findings = _one_pass(sandbox, spec, answers or {}, candidate)
        if all(f.ok for f in findings):
            best = findings
            break
        if best is None or sum(f.ok for f in findings) > sum(f.ok for f in best):
            best = findings
    assert best is not None
    return CheckResult(bool(best) and all(f.ok for f in best), best)


def _one_pass(sandbox: Sandbox, spec: ChallengeSpec, answers: dict[str, str], kept_session: Any) -> list[Finding]:
    run = Run(sandbox, spec)
    run.kept_session = kept_session
    outcomes: dict[str, Outcome] = {}
    findings: list[Finding] = []
    try:
        for item in spec.checks:
            if isinstance(item, Probe):
                findings.append(_probe(run, spec, item, outcomes))
            elif isinstance(item, Evidence):
                findings.append(_evidence(run, spec, item))
            elif isinstance(item, Replay):
                attack = catalog.get(item.replay)
                for probe in (attack.attack.path if attack and attack.attack else ()):
                    finding = _probe(run, attack, probe, outcomes, expect="refused", prefix="the attack, replayed: ")
                    if not finding.ok:
                        finding.mistakes = [m.says for m in spec.mistakes if m.id in item.catches]
                    findings.append(finding)
        for item in spec.checks:
            if isinstance(item, AnswerCheck):
                findings.append(_answer(run, spec, item, answers, outcomes))
    finally:
        run.close()
        remember_checker_calls(sandbox, run.request_ids())
    return findings


# ------------------------------------------------------------------------------------------------ probes
def _probe(run: Run, spec: ChallengeSpec, probe: Probe, outcomes: dict[str, Outcome], *, expect: str = "",
           prefix: str = "") -> Finding:
    expect = expect or probe.expect
    try:
        creds = run.creds(probe.who, spec)
        outcome = run.call(creds, probe.call, probe.params, spec)
    except ProbeProblem as problem:
        return Finding(False, f"{prefix}{probe.probe}: {problem}")
    if probe.id:
        outcomes[probe.id] = outcome
    if expect == "either":   # an attempt whose effect the next probes judge
        ok = outcome.allowed is not None
        return Finding(ok, f"{prefix}{probe.probe}: {outcome.verdict}" + ("; the next probes show what it bought"
                                                                          if outcome.allowed else ""), outcome.why)
    ok = outcome.allowed is (expect == "allowed")
    text = f"{prefix}{probe.probe}: {outcome.verdict}, " + ("as it should be" if ok else f"but it should be {expect}")
    mistakes = [] if ok else [m.says for m in spec.mistakes if m.id in probe.catches]
    return Finding(ok, text, outcome.why, mistakes)


# ------------------------------------------------------------------------------------------------ evidence
def seed_time(sandbox: Sandbox, spec: ChallengeSpec) -> datetime | None:
    seeded = ChallengeSeed.objects.filter(sandbox=sandbox, challenge=seeding.owner_of(spec).slug).first()
    return seeded.sandbox_time if seeded else None


def _iso(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""


def _evidence(run: Run, spec: ChallengeSpec, item: Evidence) -> Finding:
    finding = _evidence_finding(run, spec, item)
    if not finding.ok:
        finding.mistakes = [m.says for m in spec.mistakes if m.id in item.catches]
    return finding


def _evidence_finding(run: Run, spec: ChallengeSpec, item: Evidence) -> Finding:
    sandbox, accounts = run.sandbox, run.accounts
    since = _iso(seed_time(sandbox, spec))
    if item.issued_session:
        wanted = item.issued_session
        account, role = wanted.role
        role_arn = f"arn:aws:iam::{accounts[account]}:role/{role}"
        sessions = [s for s in lab().sessions(sandbox.id) if s.get("role_arn") == role_arn
                    and (s.get("issued_at") or "") >= since
                    and not (s.get("session_name") or "").startswith(probes.CHECKER_SESSION)]
        if wanted.to.user:
            prefix, whom = f"arn:aws:iam::{accounts[wanted.to.user[0]]}:user/{wanted.to.user[1]}", wanted.to.user[1]
            matching = [s for s in sessions if (s.get("created_by") or "") == prefix]
        elif wanted.to.role:
            prefix = f"arn:aws:sts::{accounts[wanted.to.role[0]]}:assumed-role/{wanted.to.role[1]}/"
            whom = f"a {wanted.to.role[1]} session"
            matching = [s for s in sessions if (s.get("created_by") or "").startswith(prefix)]
        else:
            whom = "an instance's metadata service"
            matching = [s for s in sessions if s.get("origin") == "ServiceRole"]
        if wanted.chained:
            matching = [s for s in matching if s.get("chained")]
        if matching:
            return Finding(True, f"{item.evidence}: the lab issued {role} session {matching[0]['arn']} to {whom}"
                           + (" (chained: capped at one hour)" if wanted.chained else ""))
        others = f" ({len(sessions)} issued to someone else)" if sessions else ""
        return Finding(False, f"{item.evidence}: no live session of {role} was issued to {whom} since the challenge "
                              f"was (re)set{others}")
    if item.instance:
        profile = item.instance["profile"]
        found = [i for i in imdsmount.sandbox_instances(sandbox) if i["instance_profile"] == profile]
        return Finding(bool(found), f"{item.evidence}: " + (f"{found[0]['instance_id']} runs with it" if found
                                                           else "no instance runs with that instance profile"))
    if item.event:
        wanted_event = item.event
        user_arn = f"arn:aws:iam::{accounts[wanted_event.by[0]]}:user/{wanted_event.by[1]}"
        events = [e for e in learner_events(run, spec, (wanted_event.name,), wanted_event.account)
                  if (e["record"].get("userIdentity") or {}).get("arn") == user_arn]
        if events:
            return Finding(True, f"{item.evidence}: CloudTrail recorded {wanted_event.name} by {wanted_event.by[1]} "
                                 f"at {events[0]['event_time']}")
        return Finding(False, f"{item.evidence}: CloudTrail has no successful {wanted_event.name} by "
                              f"{wanted_event.by[1]} since the challenge was (re)set")
    if item.key_used:
        created = created_keys(run, spec, item.key_used)
        used = [e for key in created for e in learner_events(run, spec, (), item.key_used.user[0], access_key=key)]
        if used:
            return Finding(True, f"{item.evidence}: {used[0]['event_name']} succeeded with {used[0]['access_key_id']}, "
                                 f"the key {item.key_used.creator[1]} made for {item.key_used.user[1]}")
        return Finding(False, f"{item.evidence}: " + (
            f"no call succeeded yet with the key {item.key_used.creator[1]} made ({', '.join(created)})" if created
            else f"CloudTrail shows no key {item.key_used.creator[1]} made for {item.key_used.user[1]}"))
    present, detail = _present(run, spec, item)
    ok = present is not item.absent
    return Finding(ok, f"{item.evidence}: {detail}")


def _present(run: Run, spec: ChallengeSpec, item: Evidence) -> tuple[bool, str]:
    """Whether a boundary, a console password or an attacker's keys exist now, and what was found."""
    accounts = run.accounts
    if item.boundary:
        account, user = item.boundary
        boundary = probes.user_boundary(run.sandbox, accounts[account], user)
        return bool(boundary), boundary or "no boundary"
    if item.created_keys:
        account, user = item.created_keys.user
        existing = {k["AccessKeyId"] for k in probes.operator("iam", accounts[account]).list_access_keys(
            UserName=user)["AccessKeyMetadata"]}
        alive = [key for key in created_keys(run, spec, item.created_keys) if key in existing]
        return bool(alive), (f"{', '.join(alive)} still exists" if alive else "none of the keys it made exists")
    assert item.login_profile
    account, user = item.login_profile
    try:
        probes.operator("iam", accounts[account]).get_login_profile(UserName=user)
    except Exception:  # noqa: BLE001 - NoSuchEntity
        return False, f"{user} has no console password"
    return True, f"{user} has a console password"


def created_keys(run: Run, spec: ChallengeSpec, wanted: Any) -> list[str]:
    """The access key ids `creator` made for `user` since the challenge was (re)set, as CloudTrail recorded them."""
    creator_arn = f"arn:aws:iam::{run.accounts[wanted.creator[0]]}:user/{wanted.creator[1]}"
    keys = []
    for event in learner_events(run, spec, ("CreateAccessKey",), wanted.creator[0]):
        record = event["record"]
        made = ((record.get("responseElements") or {}).get("accessKey") or {})
        if (record.get("userIdentity") or {}).get("arn") == creator_arn and made.get("userName") == wanted.user[1]:
            keys.append(made.get("accessKeyId"))
    return [k for k in keys if k]


def learner_events(run: Run, spec: ChallengeSpec, names: tuple[str, ...], account: str, *,
                   access_key: str = "") -> list[dict[str, Any]]:
    """The sandbox's successful CloudTrail events of these names (or made with this access key) in one account
    since the challenge was (re)set, newest first, without the checker's own calls (LookupEvents through the lab's
    Trail: management events, as the console sees them)."""
    seeded = ChallengeSeed.objects.filter(sandbox=run.sandbox, challenge=seeding.owner_of(spec).slug).first()
    # an event's seq is the real time in microseconds when it was recorded (engine.cloudtrail.Trail.next_seq): an
    # attack in the second after a reset counts, one in the second before does not
    since = int(seeded.seeded_at.timestamp() * 1_000_000) if seeded else 0
    hidden = set(CheckerCall.objects.filter(sandbox=run.sandbox).values_list("request_id", flat=True))
    found = []
    lookups = [("EventName", name) for name in names] + ([("AccessKeyId", access_key)] if access_key else [])
    for key, value in lookups:
        answer = lab().trail.lookup_dicts(run.sandbox.id, run.accounts[account], {
            "LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]})
        found += [e for e in answer["events"] if not e.get("error_code") and e["seq"] > since
                  and e["record"].get("requestID") not in hidden]
    return sorted(found, key=lambda e: (e["event_time"], e["seq"]), reverse=True)


# ------------------------------------------------------------------------------------------------ answers
def reason_of(decision: dict[str, Any] | None) -> str:
    """Why the engine refused, as one of the answers a false-positive case offers."""
    if not decision:
        return ""
    if decision.get("effect") == "ExplicitDeny":
        return "explicit-deny"
    if decision.get("denied_by") == "boundary":
        return "boundary"
    if decision.get("denied_by") == "session":
        return "session-policy"
    if failing_condition_key(decision):
        return "condition"
    if decision.get("denied_by") == "resource":
        return "resource-policy"
    return "no-allow"


def failing_condition_key(decision: dict[str, Any] | None) -> str:
    """The condition key of an Allow statement that matched the request but for its condition."""
    for _, statement in probes.allowing_but_for_conditions(decision):
        for condition in statement.get("conditions", []):
            if not condition.get("outcome"):
                return str(condition["key"])
    return ""


def _truth(run: Run, spec: ChallengeSpec, item: AnswerCheck, outcomes: dict[str, Outcome]) -> tuple[str | None, str]:
    """(the right answer, or None when the sandbox cannot tell yet, and why not)."""
    truth = item.equals
    if truth.seed_fact:
        seeded = ChallengeSeed.objects.filter(sandbox=run.sandbox, challenge=seeding.owner_of(spec).slug).first()
        fact = (seeded.facts if seeded else {}).get(truth.seed_fact.step)
        if not fact:
            return None, "the challenge's story did not happen in this sandbox yet: reset the challenge"
        return str(fact.get(truth.seed_fact.field, "")), ""
    if truth.event:
        events = learner_events(run, spec, truth.event.names, truth.event.account)
        if truth.event.by:
            by_arn = f"arn:aws:iam::{run.accounts[truth.event.by[0]]}:user/{truth.event.by[1]}"
            events = [e for e in events if (e["record"].get("userIdentity") or {}).get("arn") == by_arn]
        if not events:
            return None, (f"CloudTrail has no {' or '.join(truth.event.names)} since the attack was (re)set: do the "
                          f"attack ({spec.follows}) first")
        record = events[0]["record"]
        identity = record.get("userIdentity") or {}
        created = ((record.get("responseElements") or {}).get("accessKey") or {}).get("accessKeyId", "")
        return {"access_key_id": identity.get("accessKeyId", ""), "event_name": record.get("eventName", ""),
                "user_name": identity.get("userName", ""), "created_key_id": created}[truth.event.field], ""
    assert truth.probe
    outcome = outcomes.get(truth.probe.probe)
    if outcome is None or outcome.allowed is None:
        return None, "the probe this answer is about could not run"
    decision = outcome.decision or {}
    deciding = (decision.get("deciding") or [{}])[0]
    return {"outcome": "allowed" if outcome.allowed else "refused", "reason": reason_of(decision),
            "condition_key": failing_condition_key(decision),
            "action": (decision.get("request") or {}).get("action", ""),
            "policy": deciding.get("policy", "")}[truth.probe.field], ""


def _answer(run: Run, spec: ChallengeSpec, item: AnswerCheck, answers: dict[str, str],
            outcomes: dict[str, Outcome]) -> Finding:
    field_ = next(a for a in spec.answers if a.name == item.answer)
    given = (answers.get(item.answer) or "").strip()
    truth, unknown = _truth(run, spec, item, outcomes)
    label = field_.label[0].lower() + field_.label[1:]
    if truth is None:
        return Finding(False, f"{field_.label}: {unknown}")
    shown = dict(field_.choices).get(given, given) or "(empty)"
    # names of actions, events, keys and policies are compared without case (IAM action names ignore it; the rest
    # are typed by hand)
    if given.casefold() == truth.casefold() and truth:
        return Finding(True, f"{label}: `{shown}` is right")
    return Finding(False, f"{label}: `{shown}` is not what happened in your sandbox",
                   mistakes=[m.says for m in spec.mistakes if m.id in item.catches])


# ------------------------------------------------------------------------------------------------ bookkeeping
def remember_checker_calls(sandbox: Sandbox, request_ids: list[str]) -> None:
    if not request_ids:
        return
    CheckerCall.objects.bulk_create(CheckerCall(sandbox=sandbox, request_id=r) for r in request_ids)
    # the newest CHECKER_CALLS_KEPT (hundreds of checks; CloudTrail itself keeps 10,000 events per sandbox)
    mine = CheckerCall.objects.filter(sandbox=sandbox)
    if mine.count() > CHECKER_CALLS_KEPT * 1.2:
        cutoff = mine.order_by("-id").values_list("id", flat=True)[CHECKER_CALLS_KEPT]
        mine.filter(id__lte=cutoff).delete()


def checker_request_ids(sandbox: Sandbox) -> set[str]:
    """The requests the checker made in this sandbox (trail.exclusions asks)."""
    return set(CheckerCall.objects.filter(sandbox=sandbox).values_list("request_id", flat=True))
