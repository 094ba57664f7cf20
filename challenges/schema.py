"""The challenge file format: one YAML file per challenge, validated into typed objects (pydantic) with every error
tied to its line, column and field.

A file holds: who, what and why (story, objective, hints, solution, reasoning), the world it seeds (roles, users,
groups, managed policies, objects and the live calls a story needs), the classic mistakes it teaches against (each
with a wrong solution that its tests apply) and its checks: declarative probes (who calls which operation with
which parameters, expecting allowed or refused), evidence (what the lab issued or recorded) and answers compared
with ground truth from the sandbox. The same probe engine (challenges/probes.py) runs every challenge.

Allow-lists everywhere: unknown fields, unknown placeholders, operations the probe engine does not know, account
names, entity names outside the `Challenge-` namespace and policies the engine cannot parse are refused. What needs
the running lab (world users, scenarios) is checked against a `References` the caller gives.

The format is described for instructors in challenge_packs/README.md.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag,
                      ValidationError, model_validator)

from . import yamlpos

MAX_FILE_BYTES = 256 * 1024
ACCOUNTS = ("production", "developer", "auditor")
# Placeholders every text may use; {doc:NAME} is a document of the file, compacted to one line of JSON.
PLACEHOLDERS = {"production", "developer", "auditor", "region", "external_id", "github_repository", "now"}
# ... and those a probe's parameters may use besides (the probe identity's MFA device and a fresh code for it).
PROBE_PLACEHOLDERS = PLACEHOLDERS | {"mfa_serial", "mfa_code"}
PLACEHOLDER = re.compile(r"\{([a-z_]+|doc:[A-Za-z0-9_-]+)\}")
# In a report: what step N of the solution printed.
OUTPUT = re.compile(r"\{output:(\d+)\}")
# Stand-ins used to validate policies before a sandbox's values exist.
EXAMPLE_VALUES = {"production": "111111111111", "developer": "222222222222", "auditor": "333333333333",
                  "region": "us-east-1", "external_id": "example-external-id", "github_repository": "org/repo",
                  "now": "2026-01-01T00:00:00Z", "mfa_serial": "arn:aws:iam::111111111111:mfa/example",
                  "mfa_code": "123456"}

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=3, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
FieldName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]   # an answer's form field
ShortText = Annotated[str, Field(min_length=1, max_length=300)]
# Everything a challenge creates is named Challenge-*, so a reset never touches SecureCart's own roles and policies.
ChallengeName = Annotated[str, Field(pattern=r"^Challenge-[A-Za-z0-9+=,.@_-]{1,54}$")]
PolicyName = Annotated[str, Field(pattern=r"^[A-Za-z0-9+=,.@_-]{1,128}$")]
UserName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9+=,.@_-]{1,63}$")]
Account = Literal["production", "developer", "auditor"]


def _entity_ref(value: Any) -> tuple[str, str]:
    """"production/ci-deployer" -> ("production", "ci-deployer")."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        value = "/".join(map(str, value))
    if not isinstance(value, str) or value.count("/") != 1:
        raise ValueError("write it as ACCOUNT/NAME, e.g. production/ci-deployer")
    account, name = value.split("/")
    if account not in ACCOUNTS:
        raise ValueError(f"`{account}` is not an account of the lab ({', '.join(ACCOUNTS)})")
    if not re.fullmatch(r"[A-Za-z0-9+=,.@_-]{1,64}", name):
        raise ValueError(f"`{name}` is not an IAM name")
    return account, name


EntityRef = Annotated[tuple[str, str], BeforeValidator(_entity_ref)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ------------------------------------------------------------------------------------------------ documents
PolicyDoc = Union[dict[str, Any], Annotated[str, Field(pattern=r"^doc:[A-Za-z0-9_-]+$")]]


def _check_placeholders(value: Any, allowed: set[str], documents: set[str] | None = None) -> None:
    for text in _strings(value):
        for name in PLACEHOLDER.findall(text):
            if name.startswith("doc:"):
                if documents is not None and name[4:] not in documents:
                    raise ValueError(f"`{{{name}}}`: no document `{name[4:]}` in this file's `documents`")
            elif name not in allowed:
                raise ValueError(f"`{{{name}}}` is not a placeholder the lab fills (it knows "
                                 f"{', '.join('{' + p + '}' for p in sorted(allowed))} and {{doc:NAME}})")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def fill(value: Any, values: dict[str, str]) -> Any:
    """Placeholders replaced in a (nested) value; unknown ones are left as they are."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, tuple):
        return tuple(fill(v, values) for v in value)
    if isinstance(value, dict):
        return {fill(k, values): fill(v, values) for k, v in value.items()}
    return value


def compact(document: dict[str, Any]) -> str:
    """A policy as one line, the way it is pasted into `--policy-document '...'`."""
    return json.dumps(document, separators=(",", ":"))


# ------------------------------------------------------------------------------------------------ who acts
class ProbeUser(Strict):
    """A throw-away IAM user the checker creates for one check (named lab-checker-*), removed afterwards."""
    account: Account
    policy: PolicyDoc
    mfa: bool = False   # with a virtual MFA device: {mfa_serial} and {mfa_code} (a fresh code on the sandbox clock)


class SessionOf(Strict):
    """A session of `role`, assumed by `by` when the probe runs (with `params` such as SourceIdentity)."""
    role: EntityRef
    by: "Who"
    params: dict[str, Any] = {}


class WebIdentity(Strict):
    """An OIDC token of the sandbox's own GitHub-Actions-style issuer (AssumeRoleWithWebIdentity is unsigned)."""
    provider: Literal["github"] = "github"
    repository: Annotated[str, Field(pattern=r"^[\w.-]+/[\w.-]+$")]
    ref: ShortText = "refs/heads/main"
    event: Literal["push", "pull_request", "workflow_dispatch"] = "push"


class Who(Strict):
    """Exactly one of: a user's long-term key, a throw-away probe user, a fresh session of a role, the sessions the
    learner obtained in the console, a session a seed step kept, or an OIDC token."""
    user: EntityRef | None = None
    probe_user: ProbeUser | None = None
    session: SessionOf | None = None
    kept_session: EntityRef | None = None
    seeded_session: Slug | None = None
    web_identity: WebIdentity | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> Who:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("say who acts with exactly one of: " + ", ".join(type(self).model_fields))
        return self

    @property
    def kind(self) -> str:
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)

    def describe(self) -> str:
        if self.user:
            return self.user[1]
        if self.probe_user:
            return f"a probe user of the {self.probe_user.account} account"
        if self.session:
            return f"a session of {self.session.role[1]} assumed by {self.session.by.describe()}"
        if self.kept_session:
            return f"your console session of {self.kept_session[1]}"
        if self.seeded_session:
            return f"the {self.seeded_session} session"
        assert self.web_identity
        return f"a workflow of {self.web_identity.repository} on {self.web_identity.ref}"


SessionOf.model_rebuild()


# ------------------------------------------------------------------------------------------------ checks
def _known_operation(value: str) -> str:
    from .operations import OPERATIONS

    if value not in OPERATIONS:
        raise ValueError(f"`{value}` is not an operation the checker can call; it knows " + ", ".join(sorted(OPERATIONS)))
    return value


Operation = Annotated[str, Field(pattern=r"^[a-z0-9]+\.[A-Z][A-Za-z0-9]+$"), AfterValidator(_known_operation)]


class Probe(Strict):
    """A real call made by the checker: who, which operation and parameters, and what a correct sandbox answers."""
    id: Slug | None = None
    probe: ShortText                                     # what it tries, as the verdict names it
    who: Who = Field(alias="as")
    call: Operation                                      # service.Operation, e.g. sts.AssumeRole
    params: dict[str, Any] = {}
    # "either": a step of the attempt whose answer is not the point (an escalation tried, whose effect later probes
    # judge); it still must run, and what it changed is undone after the check
    expect: Literal["allowed", "refused", "either"]
    catches: tuple[Slug, ...] = ()                       # ids of the mistakes this probe exposes


class IssuedTo(Strict):
    user: EntityRef | None = None
    role: EntityRef | None = None        # a session of this role created it (role chaining)
    service: Literal["ec2.amazonaws.com"] | None = None   # an instance's metadata service handed it out

    @model_validator(mode="after")
    def exactly_one(self) -> IssuedTo:
        if sum(v is not None for v in (self.user, self.role, self.service)) != 1:
            raise ValueError("name exactly one of user, role or service")
        return self


class IssuedSession(Strict):
    role: EntityRef
    to: IssuedTo
    chained: bool = False


class EventSeen(Strict):
    """A successful CloudTrail event made by `by` since the challenge was seeded (never a checker's call)."""
    name: Annotated[str, Field(pattern=r"^[A-Z][A-Za-z0-9]+$")]
    by: EntityRef
    account: Account = "production"


class CreatedKeys(Strict):
    """Access keys `creator` made for `user` (CloudTrail's CreateAccessKey responseElements) since the seed."""
    creator: EntityRef
    user: EntityRef


EVIDENCE_KINDS = ("issued_session", "instance", "event", "boundary", "login_profile", "key_used", "created_keys")


class Evidence(Strict):
    evidence: ShortText
    catches: tuple[Slug, ...] = ()
    absent: bool = False                       # the thing must NOT be there (a defence's containment)
    issued_session: IssuedSession | None = None
    instance: dict[Literal["profile"], ChallengeName] | None = None
    event: EventSeen | None = None
    boundary: EntityRef | None = None          # this user has a permissions boundary
    login_profile: EntityRef | None = None     # this user has a console password
    key_used: CreatedKeys | None = None        # a call succeeded with a key `creator` made for `user`
    created_keys: CreatedKeys | None = None    # a key `creator` made for `user` still exists

    @model_validator(mode="after")
    def exactly_one(self) -> Evidence:
        kinds = [n for n in EVIDENCE_KINDS if getattr(self, n) is not None]
        if len(kinds) != 1:
            raise ValueError("evidence takes exactly one of " + ", ".join(EVIDENCE_KINDS))
        if self.absent and kinds[0] not in ("boundary", "login_profile", "created_keys"):
            raise ValueError("`absent` goes with boundary, login_profile or created_keys")
        return self

    @property
    def kind(self) -> str:
        return next(n for n in EVIDENCE_KINDS if getattr(self, n) is not None)


class SeedFact(Strict):
    step: Slug
    field: Literal["access_key_id", "user_name", "action", "policy"]


class EventFact(Strict):
    """The newest successful event of these names since the attack was (re)set, made by `by` (the attack's user,
    whom the file knows; the learner finds the event and reads the field)."""
    names: tuple[Annotated[str, Field(pattern=r"^[A-Z][A-Za-z0-9]+$")], ...] = Field(min_length=1)
    field: Literal["access_key_id", "event_name", "user_name", "created_key_id"]
    by: EntityRef | None = None
    account: Account = "production"


class ProbeFact(Strict):
    probe: Slug
    field: Literal["outcome", "reason", "condition_key", "action", "policy"]


class Truth(Strict):
    """Where the right answer comes from: a seed step's real call, the sandbox's CloudTrail events, or a probe's
    answer and the engine's reasoning at check time. Never a string of this file."""
    seed_fact: SeedFact | None = None
    event: EventFact | None = None
    probe: ProbeFact | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> Truth:
        if sum(v is not None for v in (self.seed_fact, self.event, self.probe)) != 1:
            raise ValueError("the truth is exactly one of seed_fact, event, probe")
        return self


class AnswerCheck(Strict):
    answer: FieldName                     # a field of `answers`
    equals: Truth
    catches: tuple[Slug, ...] = ()        # the mistakes (wrong reports) a wrong answer here exposes


class Replay(Strict):
    """The attack path of the attacker challenge this one defends, replayed: every call must now be refused."""
    replay: Slug
    catches: tuple[Slug, ...] = ()


def _check_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("probe", "evidence", "answer", "replay"):
            if key in value:
                return key + " check"
    return None


# The tags end in " check" so an error's location never mistakes them for a key of the file.
Check = Annotated[Union[Annotated[Probe, Tag("probe check")], Annotated[Evidence, Tag("evidence check")],
                        Annotated[AnswerCheck, Tag("answer check")], Annotated[Replay, Tag("replay check")]],
                  Discriminator(_check_kind, custom_error_type="check_kind",
                                custom_error_message="a check starts with probe, evidence, answer or replay")]


# ------------------------------------------------------------------------------------------------ seed
class RoleSeed(Strict):
    name: ChallengeName
    account: Account = "production"
    description: Annotated[str, Field(max_length=1000)] = ""
    trust: PolicyDoc
    policies: dict[PolicyName, PolicyDoc] = {}
    managed_policies: tuple[ChallengeName, ...] = ()   # names of this file's seed.policies
    instance_profile: bool = False
    max_session_duration: Annotated[int, Field(ge=3600, le=43200)] = 3600


class UserSeed(Strict):
    name: UserName
    account: Account = "production"
    policies: dict[PolicyName, PolicyDoc] = {}
    managed_policies: tuple[ChallengeName, ...] = ()
    groups: tuple[ChallengeName, ...] = ()
    access_keys: Annotated[int, Field(ge=0, le=2)] = 1
    boundary: ChallengeName | None = None             # a seed.policies name: the user's permissions boundary


class ManagedPolicySeed(Strict):
    name: ChallengeName
    account: Account = "production"
    document: PolicyDoc
    versions: tuple[PolicyDoc, ...] = ()     # v2, v3 ... (IAM keeps at most 5 versions)
    default_version: Annotated[int, Field(ge=1, le=5)] = 1

    @model_validator(mode="after")
    def default_exists(self) -> ManagedPolicySeed:
        if len(self.versions) > 4:
            raise ValueError("IAM keeps at most 5 versions of a managed policy")
        if self.default_version > 1 + len(self.versions):
            raise ValueError(f"there is no version v{self.default_version}")
        return self


class GroupSeed(Strict):
    name: ChallengeName
    account: Account = "production"
    policies: dict[PolicyName, PolicyDoc] = {}
    managed_policies: tuple[ChallengeName, ...] = ()


WorldBucket = Literal["securecart-product-images", "securecart-invoices", "securecart-security-logs"]


class ObjectSeed(Strict):
    bucket: WorldBucket
    key: Annotated[str, Field(pattern=r"^challenges/|^[0-9]{4}/[0-9]{2}/[A-Za-z0-9._-]+$", max_length=200)]
    body: Annotated[str, Field(max_length=10_000)]


class SeedStep(Strict):
    """A real call made when the challenge is seeded: the story's events (a leak, a read, a refusal)."""
    id: Slug
    who: Who = Field(alias="as")
    call: Operation
    params: dict[str, Any] = {}
    expect: Literal["allowed", "refused"] = "allowed"
    keep_as: Slug | None = None              # keep the credentials it returned (AssumeRole): `seeded_session`
    label: ShortText | None = None


class Leftovers(Strict):
    """What the solution or a mistake creates, removed by a reset of the challenge (names only)."""
    policies: tuple[ChallengeName, ...] = ()


class Seed(Strict):
    policies: tuple[ManagedPolicySeed, ...] = ()
    groups: tuple[GroupSeed, ...] = ()
    roles: tuple[RoleSeed, ...] = ()
    users: tuple[UserSeed, ...] = ()
    objects: tuple[ObjectSeed, ...] = ()
    steps: tuple[SeedStep, ...] = ()
    leftovers: Leftovers = Leftovers()


# ------------------------------------------------------------------------------------------------ text
class Step(Strict):
    """One step of a solution or a mistake: an AWS CLI command (as the challenge's first start identity unless `as`
    says otherwise), the instance credentials of an IMDS fetch, or the answers a defender reports."""
    run: Annotated[str, Field(pattern=r"^aws \S", max_length=8000)] | None = None
    # key:ACCOUNT/USER, session:ROLE (the newest console session of it), pasted:N (the keys step N printed)
    who: Annotated[str, Field(pattern=r"^(session:|key:)[A-Za-z0-9+=,.@/_-]+$|^pasted:[0-9]+$")] | None = Field(
        None, alias="as")
    imds: ChallengeName | None = None
    report: dict[FieldName, Annotated[str, Field(max_length=200)]] | None = None
    fails: bool = False    # the command is meant to be refused (trying the path of a false-positive case)

    @model_validator(mode="before")
    @classmethod
    def plain_command(cls, value: Any) -> Any:
        return {"run": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def exactly_one(self) -> Step:
        if sum(v is not None for v in (self.run, self.imds, self.report)) != 1:
            raise ValueError("a step is exactly one of: run (an aws command), imds, report")
        if self.who is not None and self.run is None:
            raise ValueError("`as` goes with `run`")
        return self

    def shown(self, values: dict[str, str]) -> str:
        if self.run:
            command = fill(self.run, values)
            command = OUTPUT.sub(lambda m: f"(what step {m.group(1)} printed)", command)
            if self.who and self.who.startswith("session:"):
                return f"(as your session of {self.who[8:]}) {command}"
            if self.who and self.who.startswith("pasted:"):
                return f"(with the keys step {self.who[7:]} printed, pasted in the console) {command}"
            if self.who:
                return f"(as {self.who[4:]}) {command}"
            return command
        if self.imds:
            return (f"(terminal, or the instance's credentials in the console) fetch {self.imds}'s credentials from "
                    "the instance's metadata service with IMDSv2")
        assert self.report is not None
        shown = {k: OUTPUT.sub(lambda m: f"(what step {m.group(1)} printed)", fill(v, values))
                 for k, v in self.report.items()}
        return "Report: " + "; ".join(f"{k} = {v}" for k, v in shown.items())


class Mistake(Strict):
    id: Slug
    says: Text                       # what the mistake is and why it is one
    attempt: tuple[Step, ...] = Field(min_length=1)


class AnswerField(Strict):
    name: FieldName
    label: ShortText
    help: Annotated[str, Field(max_length=300)] = ""
    choices: tuple[tuple[str, str], ...] = ()     # [value, label] pairs: a choice instead of free text


class Source(Strict):
    title: ShortText
    url: Annotated[str, Field(pattern=r"^https://[^\s]+$", max_length=300)]
    license: Annotated[str, Field(max_length=100)] = ""


class Technique(Strict):
    id: Annotated[str, Field(pattern=r"^T\d{4}(\.\d{3})?$")]
    name: ShortText

    @property
    def url(self) -> str:
        return "https://attack.mitre.org/techniques/" + self.id.replace(".", "/") + "/"


class Attack(Strict):
    """An attacker challenge's documented path: where it is documented, its ATT&CK technique, and the path as probes
    (made as the attacker) that its defence replays."""
    sources: tuple[Source, ...] = Field(min_length=1)
    technique: Technique
    path: tuple[Probe, ...] = ()


TRACK_NAMES = {"builder": "Builder", "attacker": "Attacker", "defender": "Defender"}
TOOL_NAMES = {"console": "the AWS CLI console on this page",
              "terminal": "your own terminal against the lab's /aws endpoint (Terminal page)",
              "editor": "the policy editor beside the console",
              "trail": "the CloudTrail event history (Defend: CloudTrail)"}


class ChallengeSpec(Strict):
    slug: Slug
    title: ShortText
    track: Literal["builder", "attacker", "defender"]
    difficulty: Literal["easy", "medium", "hard"]
    minutes: Annotated[int, Field(ge=1, le=240)]
    scenario: Slug
    story: Text
    objective: Text
    start: tuple[EntityRef, ...] = Field(min_length=1, max_length=4)
    tools: tuple[Literal["console", "terminal", "editor", "trail"], ...] = Field(min_length=1)
    tools_note: Annotated[str, Field(max_length=1000)] = ""
    hints: tuple[Text, ...] = Field(min_length=1, max_length=6)
    solution: tuple[Step, ...] = Field(min_length=1)
    reasoning: Text
    follows: Slug | None = None                    # the attacker challenge whose attack this one defends
    false_positive: bool = False                   # "looks exploitable but is not": the learner says why
    attack: Attack | None = None
    documents: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")], dict[str, Any]] = {}
    mistakes: tuple[Mistake, ...] = ()
    answers: tuple[AnswerField, ...] = ()
    seed: Seed = Seed()
    checks: tuple[Check, ...] = Field(min_length=1)

    @property
    def track_name(self) -> str:
        return TRACK_NAMES[self.track]

    @property
    def tool_names(self) -> list[str]:
        return [TOOL_NAMES[t] for t in self.tools]

    @property
    def probes(self) -> list[Probe]:
        return [c for c in self.checks if isinstance(c, Probe)]



Problem = tuple[tuple, str]   # (where in the file, what is wrong)


def _cross_check(spec: ChallengeSpec) -> list[Problem]:
    """What pydantic's field types cannot say: references inside the file agree with each other."""
    problems: list[Problem] = []

    def add(path: tuple, message: str) -> None:
        problems.append((path, message))

    documents = set(spec.documents)
    for name in ("story", "objective", "reasoning", "tools_note"):
        try:
            _check_placeholders(getattr(spec, name), PLACEHOLDERS, documents)
        except ValueError as error:
            add((name,), str(error))
    for i, hint in enumerate(spec.hints):
        try:
            _check_placeholders(hint, PLACEHOLDERS, documents)
        except ValueError as error:
            add(("hints", i), str(error))
    steps = [(("solution", i), s) for i, s in enumerate(spec.solution)] + [
        (("mistakes", m, "attempt", i), s) for m, mistake in enumerate(spec.mistakes)
        for i, s in enumerate(mistake.attempt)]
    for path, step in steps:
        before = path[-1]   # the steps before this one in its own list (the solution, or a mistake's attempt)
        try:
            for value in [step.run or "", *(step.report or {}).values()]:
                _check_placeholders(OUTPUT.sub("", value), PLACEHOLDERS, documents)
                if any(not 1 <= int(n) <= before for n in OUTPUT.findall(value)):
                    raise ValueError("{output:N} names an earlier step of the same list (1 is the first)")
            if step.who and step.who.startswith("pasted:") and not 1 <= int(step.who[7:]) <= before:
                raise ValueError("pasted:N names an earlier step of the same list (1 is the first)")
        except ValueError as error:
            add(path, str(error))
        if step.report is not None and set(step.report) - {a.name for a in spec.answers}:
            add(path, "a report names only fields of `answers`")
    for name, document in spec.documents.items():
        try:
            _check_placeholders(document, PLACEHOLDERS, documents)
        except ValueError as error:
            add(("documents", name), str(error))
    mistakes = [m.id for m in spec.mistakes]
    if len(set(mistakes)) != len(mistakes):
        add(("mistakes",), "two mistakes share an id")
    probes = [(("checks", i), c) for i, c in enumerate(spec.checks) if isinstance(c, Probe)]
    path_probes = [(("attack", "path", i), p) for i, p in enumerate(spec.attack.path if spec.attack else ())]
    evidence = [(("checks", i), c) for i, c in enumerate(spec.checks)
                if isinstance(c, (Evidence, AnswerCheck, Replay))]
    for where, probe in probes + path_probes + evidence:
        for missing in set(probe.catches) - set(mistakes):
            add(where + ("catches",), f"`{missing}` is not an id of `mistakes`")
        try:
            _check_placeholders(getattr(probe, "params", {}), PROBE_PLACEHOLDERS, documents)
        except ValueError as error:
            add(where + ("params",), str(error))
    caught = {c for _, p in probes + path_probes + evidence for c in p.catches}
    for i, mistake in enumerate(spec.mistakes):
        if mistake.id not in caught:
            add(("mistakes", i, "id"), f"mistake `{mistake.id}` is caught by no probe: say which probe exposes it "
                                       "(catches)")
    answer_fields = {a.name for a in spec.answers}
    answered = {c.answer for c in spec.checks if isinstance(c, AnswerCheck)}
    for i, check in enumerate(spec.checks):
        if isinstance(check, AnswerCheck) and check.answer not in answer_fields:
            add(("checks", i, "answer"), f"`{check.answer}` is not a field of `answers`")
    for i, answer in enumerate(spec.answers):
        if answer.name not in answered:
            add(("answers", i, "name"), f"the answer `{answer.name}` is never checked")
    probe_ids = [p.id for _, p in probes if p.id]
    if len(set(probe_ids)) != len(probe_ids):
        add(("checks",), "two probes share an id")
    step_ids = {s.id for s in spec.seed.steps}
    for i, check in enumerate(spec.checks):
        if isinstance(check, AnswerCheck):
            if check.equals.probe and check.equals.probe.probe not in probe_ids:
                add(("checks", i, "equals", "probe", "probe"), f"no probe has the id `{check.equals.probe.probe}`")
            if check.equals.seed_fact and check.equals.seed_fact.step not in step_ids:
                add(("checks", i, "equals", "seed_fact", "step"),
                    f"`{check.equals.seed_fact.step}` is not an id of seed.steps")
            if check.equals.event and not spec.follows:
                add(("checks", i, "equals", "event"), "answers from CloudTrail events belong to a defence "
                                                       "(`follows`): its events are those of the attack")
    kept_roles = {p.who.kept_session for _, p in probes if p.who.kept_session}
    if len(kept_roles) > 1:
        add(("checks",), "probes may use the console sessions of one role only")
    kept_names = {s.keep_as for s in spec.seed.steps if s.keep_as}
    for where, probe in probes:
        if probe.who.seeded_session and probe.who.seeded_session not in kept_names:
            add(where + ("as",), f"no seed step keeps a session `{probe.who.seeded_session}` (keep_as)")
    policies = {p.name for p in spec.seed.policies}
    groups = {g.name for g in spec.seed.groups}
    for kind in ("roles", "users", "groups"):
        for i, holder in enumerate(getattr(spec.seed, kind)):
            for name in holder.managed_policies:
                if name not in policies:
                    add(("seed", kind, i, "managed_policies"), f"`{name}` is not in seed.policies")
    for i, user in enumerate(spec.seed.users):
        for name in user.groups:
            if name not in groups:
                add(("seed", "users", i, "groups"), f"`{name}` is not in seed.groups")
        if user.boundary and user.boundary not in policies:
            add(("seed", "users", i, "boundary"), f"`{user.boundary}` is not in seed.policies")
    names = [(kind, s.account, s.name) for kind in ("roles", "users", "groups", "policies")
             for s in getattr(spec.seed, kind)]
    if len(set(names)) != len(names):
        add(("seed",), "two seeded entities of one kind share a name")
    if spec.track == "attacker" and spec.attack is None:
        add(("track",), "an attacker challenge says where its path is documented and its ATT&CK technique "
                        "(attack)")
    if spec.track != "attacker" and spec.attack is not None:
        add(("attack",), "only attacker challenges have `attack`")
    if spec.follows and spec.track != "defender":
        add(("follows",), "`follows` is for a defence (track defender) of an attacker challenge")
    if spec.follows and (spec.seed.roles or spec.seed.users or spec.seed.groups or spec.seed.policies):
        add(("seed",), "a defence works in the accounts of the attack it follows and seeds nothing of its own")
    for i, check in enumerate(spec.checks):
        if isinstance(check, Replay) and check.replay != spec.follows:
            add(("checks", i, "replay"), f"a defence replays the attack it follows (`{spec.follows}`)")
    if spec.false_positive and not spec.answers:
        add(("false_positive",), "a false-positive case asks the learner why (answers)")
    if spec.track == "builder" and not spec.mistakes:
        add(("mistakes",), "a builder challenge declares the mistakes it teaches against")
    return problems


# ------------------------------------------------------------------------------------------------ loading
@dataclass
class FileError:
    """One reason a challenge file was refused: where and what."""
    path: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.field}: {self.message}"


@dataclass
class References:
    """What a file may name that lives in the running lab, not in the file (given by the caller)."""
    users: set[tuple[str, str]] = field(default_factory=set)      # (account, user) of the world
    scenarios: set[str] = field(default_factory=set)
    check_scenarios: bool = True
    # the users each attacker challenge seeds: a defence (`follows`) acts in its attack's accounts
    challenge_users: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


class ChallengeFileError(ValueError):
    def __init__(self, errors: list[FileError]) -> None:
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def _message(error: dict[str, Any]) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "extra_forbidden":
        return f"unknown field `{loc[-1]}`"
    if kind == "missing":
        return f"`{loc[-1]}` is required"
    message = error["msg"]
    return message[len("Value error, "):] if message.startswith("Value error, ") else message


def _validation_errors(error: ValidationError, positions: yamlpos.Positions, name: str) -> list[FileError]:
    found = []
    for item in error.errors():
        path: list[str | int] = []
        for part in item["loc"]:
            if tuple(path) + (part,) in positions:
                path.append(part)
            elif isinstance(part, str) and item["type"] in ("extra_forbidden", "missing"):
                path.append(part)
        place, (line, column) = yamlpos.position_of(positions, tuple(path))
        found.append(FileError(name, line, column, yamlpos.dotted(tuple(path)), _message(item)))
    return found


def _policy_errors(spec: ChallengeSpec, positions: yamlpos.Positions, name: str) -> list[FileError]:
    """Every policy the file seeds or writes must parse in the lab's engine (as IAM would accept it)."""
    from engine.policy import parse_policy
    from engine.policy.document import PolicyError

    values = dict(EXAMPLE_VALUES)
    values.update({f"doc:{k}": compact(v) for k, v in spec.documents.items()})
    found: list[FileError] = []

    def check(document: Any, kind: str, path: tuple) -> None:
        if isinstance(document, str):
            key = document[4:]
            if key not in spec.documents:
                where = yamlpos.position_of(positions, path)[1]
                found.append(FileError(name, *where, yamlpos.dotted(path), f"no document `{key}` in `documents`"))
                return
            document, path = spec.documents[key], ("documents", key)
        try:
            _check_placeholders(document, PLACEHOLDERS, set(spec.documents))
            parse_policy(json.dumps(fill(document, values)), kind=kind)
        except (PolicyError, ValueError) as error:
            inner = path + _json_path(getattr(error, "path", None) or "")
            place, where = yamlpos.position_of(positions, inner)
            found.append(FileError(name, *where, yamlpos.dotted(place), f"not a valid {kind} policy: "
                                   f"{getattr(error, 'detail', None) or error}"))

    for key, document in spec.documents.items():
        statements = document.get("Statement") if isinstance(document, dict) else None
        statements = statements if isinstance(statements, list) else [statements]
        principal = any(isinstance(st, dict) and ("Principal" in st or "NotPrincipal" in st) for st in statements)
        check(document, "trust" if principal else "identity", ("documents", key))
    seed = spec.seed
    for i, policy in enumerate(seed.policies):
        check(policy.document, "identity", ("seed", "policies", i, "document"))
        for j, version in enumerate(policy.versions):
            check(version, "identity", ("seed", "policies", i, "versions", j))
    for i, role in enumerate(seed.roles):
        check(role.trust, "trust", ("seed", "roles", i, "trust"))
        for policy_name, document in role.policies.items():
            check(document, "identity", ("seed", "roles", i, "policies", policy_name))
    for kind_name, holders in (("users", seed.users), ("groups", seed.groups)):
        for i, holder in enumerate(holders):
            for policy_name, document in holder.policies.items():
                check(document, "identity", ("seed", kind_name, i, "policies", policy_name))
    for i, check_ in enumerate(spec.checks):
        if isinstance(check_, Probe) and check_.who.probe_user:
            check(check_.who.probe_user.policy, "identity", ("checks", i, "as", "probe_user", "policy"))
    return found


def _json_path(text: str) -> tuple:
    """The engine's `Statement[0].Condition.StringEqual` as a path inside the document."""
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", text.lstrip("$").lstrip(".")):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


def _reference_errors(spec: ChallengeSpec, positions: yamlpos.Positions, name: str,
                      refs: References) -> list[FileError]:
    known = set(refs.users) | {(u.account, u.name) for u in spec.seed.users}
    if spec.follows:
        known |= refs.challenge_users.get(spec.follows, set())
    found: list[FileError] = []

    def need(ref: tuple[str, str], path: tuple) -> None:
        if ref not in known:
            where = yamlpos.position_of(positions, path)[1]
            found.append(FileError(name, *where, yamlpos.dotted(path), f"there is no user {ref[1]} in the "
                                   f"{ref[0]} account (seed it under seed.users, or name a user of the world)"))

    for i, ref in enumerate(spec.start):
        need(ref, ("start", i))
    for i, world_name in enumerate(u.name for u in spec.seed.users):
        if any(world_name == user for _, user in refs.users):
            where = yamlpos.position_of(positions, ("seed", "users", i))[1]
            found.append(FileError(name, *where, f"seed.users[{i}].name", f"`{world_name}` is a user of the "
                                   "SecureCart world; a challenge seeds users of its own"))

    def walk_who(who: Who, path: tuple) -> None:
        if who.user:
            need(who.user, path + ("user",))
        if who.session:
            walk_who(who.session.by, path + ("session", "by"))

    for i, check in enumerate(spec.checks):
        if isinstance(check, Probe):
            walk_who(check.who, ("checks", i, "as"))
    for i, step in enumerate(spec.seed.steps):
        walk_who(step.who, ("seed", "steps", i, "as"))
    if spec.follows and spec.follows not in refs.challenge_users:
        found.append(FileError(name, *yamlpos.position_of(positions, ("follows",))[1], "follows",
                               f"there is no attacker challenge `{spec.follows}` in this pack or an earlier one"))
    if refs.check_scenarios and spec.scenario not in refs.scenarios:
        where = yamlpos.position_of(positions, ("scenario",))[1]
        found.append(FileError(name, *where, "scenario", f"there is no scenario `{spec.scenario}` (one of "
                               f"{', '.join(sorted(refs.scenarios))})"))
    return found


def parse_text(text: str, name: str, refs: References | None = None) -> ChallengeSpec:
    """A challenge from YAML text; ChallengeFileError (every problem with its line, column and field) otherwise."""
    try:
        data, positions = yamlpos.load(text)
    except yamlpos.YamlError as error:
        raise ChallengeFileError([FileError(name, error.line, error.column, yamlpos.dotted(error.path),
                                            error.message)]) from None
    if not isinstance(data, dict):
        raise ChallengeFileError([FileError(name, 1, 1, "(the file)", "a challenge file is a mapping (slug: ..., "
                                            "title: ..., ...)")])
    try:
        spec = ChallengeSpec.model_validate(data)
    except ValidationError as error:
        raise ChallengeFileError(_validation_errors(error, positions, name)) from None
    errors = [FileError(name, *yamlpos.position_of(positions, path)[1], yamlpos.dotted(path), message)
              for path, message in _cross_check(spec)]
    errors += _policy_errors(spec, positions, name)
    if refs is not None:
        errors += _reference_errors(spec, positions, name, refs)
    if errors:
        raise ChallengeFileError(errors)
    return spec


def parse_file(path: FilePath, refs: References | None = None, shown_as: str | None = None) -> ChallengeSpec:
    name = shown_as or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ChallengeFileError([FileError(name, 1, 1, "(the file)", f"{size} bytes; a challenge file has at "
                                                f"most {MAX_FILE_BYTES}")])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ChallengeFileError([FileError(name, 1, 1, "(the file)", "not UTF-8 text")]) from None
    except OSError as error:
        raise ChallengeFileError([FileError(name, 1, 1, "(the file)", f"cannot be read: {error.strerror}")]) from None
    return parse_text(text, name, refs)
