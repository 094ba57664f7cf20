"""The question bank: typed, validated questions loaded from the data modules in quiz/questions/.

Questions are authored as plain dicts (quiz/questions/<topic>.py, QUESTIONS = [...]) so long explanations and
policy exhibits stay readable. load_bank() validates every one of them once per process; a malformed question
is a programming error and fails loudly (and tests/web/test_quiz_bank.py fails first).
"""
from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable

from .citations import CITATIONS

# Topic tags used for filtering and for the per-domain breakdown. Every question here sits in the SAA-C03 domain
# "Design Secure Architectures"; the topics are finer so a score breakdown tells the learner what to re-read.
DOMAINS: dict[str, str] = {
    "evaluation": "Policy evaluation: identity & resource policies",
    "trust": "Roles & trust policies",
    "cross-account": "Cross-account access",
    "federation": "Federation & Identity Center",
    "compute": "Service roles & instance profiles",
    "mfa": "MFA & session credentials",
    "guardrails": "Session policies, boundaries & chaining",
    "tags": "Session tags & source identity",
    "ops": "Identity checks, expiry & revocation",
    "organizations": "Organizations, SCPs & RCPs",
    "data-protection": "KMS, secrets & S3 data protection",
    "network": "VPC & network security",
    "app-security": "Application protection: WAF, Shield, GuardDuty, Macie",
    "data-lifecycle": "Backups, replication, retention & compliance",
    "governance": "Root user, Access Analyzer & credential hygiene",
}
EXAM_DOMAIN = "Design Secure Architectures"
# SAA-C03 exam guide, domain 1 (https://docs.aws.amazon.com/aws-certification/latest/solutions-architect-associate-03/solutions-architect-associate-03-domain1.html)
TASKS: dict[str, str] = {
    "1.1": "Task 1.1: Design secure access to AWS resources",
    "1.2": "Task 1.2: Design secure workloads and applications",
    "1.3": "Task 1.3: Determine appropriate data security controls",
}
DIFFICULTIES: dict[str, str] = {"easy": "Easy", "medium": "Medium", "hard": "Hard"}
STYLES: dict[str, str] = {
    "standard": "Scenario",
    "spot-the-mistake": "Spot the mistake",
    "will-it-be-allowed": "Will this call be allowed?",
    "which-path": "Which path leads to admin?",
}
POLICY_KINDS = ("identity", "trust", "resource", "boundary", "session")
ENGINE_OUTCOMES = ("allow", "explicit-deny", "implicit-deny")

QUESTION_MODULES = ("trust", "cross_account", "federation", "compute", "mfa", "guardrails", "tags", "ops",
                    "organizations", "data_protection", "governance", "app_identity", "accounts", "network",
                    "app_security", "data_lifecycle")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
_KEY_RE = re.compile(r"^[a-f]$")
_TEACHES_RE = re.compile(r"^([a-z0-9-]+/[a-z0-9-]+|challenge:[a-z0-9-]+)$")


class BankError(ValueError):
    """A question in the bank breaks the schema (raised at load time, never on a request)."""


class InvalidAnswer(ValueError):
    """A submitted answer that cannot belong to the question (tampered or stale form)."""


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Exhibit:
    """A policy (or other document) shown with the question. `policy_kind` says how IAM would read it."""
    name: str
    title: str
    text: str
    policy: Any = None
    policy_kind: str | None = None
    bucket: str | None = None   # for a bucket policy (policy_kind "resource"): the bucket it is attached to


@dataclass(frozen=True)
class EngineCheck:
    """How the lab's engine proves the answer at render time.

    check "parse": parse exhibit `exhibit` as `policy_kind`; IAM refuses it with `expect_error` in the message.
    check "authorize": evaluate the described request; `outcome_option` maps the engine's outcome to an option.
    """
    check: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Question:
    id: str
    domain: str
    difficulty: str
    style: str
    multi: bool
    stem: str
    options: tuple[Option, ...]
    explanation: str
    citation_title: str
    citation_url: str
    exhibits: tuple[Exhibit, ...] = ()
    engine: EngineCheck | None = None
    tags: tuple[str, ...] = field(default=())
    task: str = ""          # SAA-C03 task statement, e.g. "1.1" (see TASKS)
    teaches: str = ""       # "<scenario slug>/<step slug>" or "challenge:<slug>" of the lab page that teaches it
    generated: bool = False  # made by quiz.generator from a seed, not written in quiz/questions/
    label: str = ""         # what an engine-made item is about (its policy types); written items use the domain

    @property
    def topic_label(self) -> str:
        return self.label or self.domain_label

    @property
    def teaches_challenge(self) -> str | None:
        """The slug of the challenge that teaches this, for a link; None for a scenario step."""
        return self.teaches.split(":", 1)[1] if self.teaches.startswith("challenge:") else None

    @property
    def task_label(self) -> str:
        return TASKS.get(self.task, "")

    @property
    def teaches_step(self) -> tuple[str, str] | None:
        """(scenario slug, step slug) of the lab step that teaches this, for a link; None for a challenge."""
        if "/" in self.teaches and not self.teaches.startswith("challenge:"):
            scenario, step = self.teaches.split("/", 1)
            return scenario, step
        return None

    @property
    def correct_keys(self) -> frozenset[str]:
        return frozenset(o.key for o in self.options if o.correct)

    @property
    def select_count(self) -> int:
        return len(self.correct_keys)

    @property
    def option_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options)

    @property
    def domain_label(self) -> str:
        return DOMAINS[self.domain]

    @property
    def difficulty_label(self) -> str:
        return DIFFICULTIES[self.difficulty]

    @property
    def style_label(self) -> str:
        return STYLES[self.style]

    def option(self, key: str) -> Option:
        for opt in self.options:
            if opt.key == key:
                return opt
        raise KeyError(key)

    def exhibit(self, name: str) -> Exhibit:
        for ex in self.exhibits:
            if ex.name == name:
                return ex
        raise KeyError(name)

    def clean_selection(self, values: Iterable[str], *, partial: bool = False) -> list[str]:
        """Validate submitted option keys: known keys only, no duplicates, one for single-select, exactly the
        stated number for multi-select (`partial`: fewer is accepted, as an exam saves work in progress; it
        scores as wrong). Raises InvalidAnswer with a message fit to show the learner.
        """
        keys = [str(v) for v in values]
        if not keys:
            raise InvalidAnswer("Choose an answer first.")
        if len(keys) > len(self.options):
            raise InvalidAnswer("That answer has more choices than the question has options.")
        unknown = [k for k in keys if k not in self.option_keys]
        if unknown:
            raise InvalidAnswer("That answer does not match this question's options; reload the page and try again.")
        if len(set(keys)) != len(keys):
            raise InvalidAnswer("The same option was sent twice.")
        if not self.multi and len(keys) != 1:
            raise InvalidAnswer("This question takes exactly one answer.")
        if self.multi and len(keys) > self.select_count:
            raise InvalidAnswer(f"Choose at most {self.select_count} options.")
        if self.multi and len(keys) < self.select_count and not partial:
            raise InvalidAnswer(f"Choose exactly {self.select_count} options.")
        return sorted(keys)

    def is_correct(self, selected: Iterable[str]) -> bool:
        """All-or-nothing, as on the exam: a multi-select answer scores only if it is exactly the right set."""
        return frozenset(selected) == self.correct_keys


def _require(cond: bool, qid: str, message: str) -> None:
    if not cond:
        raise BankError(f"question `{qid}`: {message}")


def _text(raw: dict, key: str, qid: str, *, min_len: int = 1) -> str:
    value = raw.get(key)
    _require(isinstance(value, str) and len(value.strip()) >= min_len, qid,
             f"`{key}` must be a string of at least {min_len} characters")
    return " ".join(value.split()) if "\n\n" not in value else "\n\n".join(
        " ".join(part.split()) for part in value.split("\n\n"))


def build_question(raw: dict[str, Any]) -> Question:
    qid = raw.get("id", "?")
    _require(isinstance(qid, str) and bool(_ID_RE.match(qid)), str(qid), "id must match [a-z0-9-]{3,64}")
    allowed_keys = {"id", "domain", "difficulty", "style", "multi", "stem", "options", "explanation", "citation",
                    "exhibits", "engine", "tags", "task", "teaches"}
    extra = set(raw) - allowed_keys
    _require(not extra, qid, f"unknown fields {sorted(extra)}")
    _require(raw.get("domain") in DOMAINS, qid, f"domain must be one of {list(DOMAINS)}")
    _require(raw.get("difficulty") in DIFFICULTIES, qid, f"difficulty must be one of {list(DIFFICULTIES)}")
    style = raw.get("style", "standard")
    _require(style in STYLES, qid, f"style must be one of {list(STYLES)}")
    multi = raw.get("multi", False)
    _require(isinstance(multi, bool), qid, "multi must be true or false")

    raw_options = raw.get("options")
    _require(isinstance(raw_options, list) and 2 <= len(raw_options) <= 6, qid, "needs 2 to 6 options")
    options = []
    for index, ro in enumerate(raw_options):
        _require(isinstance(ro, dict) and set(ro) <= {"text", "correct", "why"}, qid,
                 f"option {index} must be a dict with text, correct, why")
        options.append(Option(key="abcdef"[index], text=_text(ro, "text", qid),
                              correct=ro.get("correct") is True, why=_text(ro, "why", qid, min_len=20)))
    texts = [o.text for o in options]
    _require(len(set(texts)) == len(texts), qid, "two options have the same text")
    n_correct = sum(o.correct for o in options)
    if multi:
        _require(n_correct >= 2, qid, "a multi-select question needs at least 2 right answers")
        _require(n_correct < len(options), qid, "a multi-select question needs at least one wrong option")
    else:
        _require(n_correct == 1, qid, "a single-select question needs exactly one right answer")

    citation = raw.get("citation")
    _require(isinstance(citation, dict) and set(citation) == {"title", "url"}, qid, "citation needs title and url")
    _require(isinstance(citation["url"], str) and citation["url"].startswith("https://docs.aws.amazon.com/"), qid,
             "citation url must be an AWS documentation page")
    _require(isinstance(citation["title"], str) and len(citation["title"]) > 5, qid, "citation title is missing")
    _require(CITATIONS.get(citation["url"]) == citation["title"], qid,
             f"citation {citation['url']} must be in quiz.citations.CITATIONS with its title "
             f"({CITATIONS.get(citation['url'], 'not listed')!r})")

    exhibits = []
    for rex in raw.get("exhibits", []):
        _require(isinstance(rex, dict) and {"name", "title"} <= set(rex), qid, "exhibit needs name and title")
        _require(set(rex) <= {"name", "title", "policy", "policy_kind", "text", "bucket"}, qid,
                 f"exhibit {rex.get('name')}: unknown fields")
        if "policy" in rex:
            _require(rex.get("policy_kind") in POLICY_KINDS, qid, f"exhibit {rex['name']}: bad policy_kind")
            _require(rex.get("policy_kind") != "resource" or isinstance(rex.get("bucket"), str), qid,
                     f"exhibit {rex['name']}: a bucket policy names its `bucket`, so it can be checked as S3 would")
            text = json.dumps(rex["policy"], indent=2)
        else:
            _require(isinstance(rex.get("text"), str), qid, f"exhibit {rex['name']}: needs policy or text")
            text = rex["text"]
        exhibits.append(Exhibit(name=rex["name"], title=rex["title"], text=text, policy=rex.get("policy"),
                                policy_kind=rex.get("policy_kind"), bucket=rex.get("bucket")))
    names = [e.name for e in exhibits]
    _require(len(set(names)) == len(names), qid, "exhibit names must be unique")

    engine = None
    if raw.get("engine") is not None:
        spec = dict(raw["engine"])
        check = spec.pop("check", None)
        _require(check in ("parse", "authorize"), qid, "engine.check must be parse or authorize")
        if check == "parse":
            _require(spec.get("exhibit") in names, qid, "engine.exhibit must name an exhibit")
            _require(isinstance(spec.get("expect_error"), str), qid, "engine.expect_error is required")
        else:
            for name in list(spec.get("identity", [])) + list(spec.get("session", [])) + [
                    n for n in (spec.get("resource_policy"), spec.get("boundary")) if n]:
                _require(name in names, qid, f"engine refers to unknown exhibit `{name}`")
            _require(isinstance(spec.get("principal"), dict), qid, "engine.principal is required")
            _require(isinstance(spec.get("action"), str) and isinstance(spec.get("resource"), str), qid,
                     "engine.action and engine.resource are required")
            mapping = spec.get("outcome_option")
            _require(isinstance(mapping, dict) and set(mapping) == set(ENGINE_OUTCOMES), qid,
                     "engine.outcome_option must map allow/explicit-deny/implicit-deny to option keys")
            _require(spec.get("expect") in ENGINE_OUTCOMES, qid, "engine.expect must be an outcome")
            expected_key = mapping[spec["expect"]]
            _require({o.key for o in options if o.correct} == {expected_key}, qid,
                     "the right option must be the one engine.expect maps to")
        engine = EngineCheck(check=check, spec=spec)

    task = raw.get("task", "1.1")
    _require(task in TASKS, qid, f"task must be one of {list(TASKS)}")
    teaches = raw.get("teaches", "")
    _require(isinstance(teaches, str) and (not teaches or bool(_TEACHES_RE.match(teaches))), qid,
             "teaches must be '<scenario slug>/<step slug>' (or 'challenge:<slug>')")
    if style == "will-it-be-allowed" or not multi:
        _require(len(options) == 4, qid, "a single-answer question has 4 options, as on the exam")
    else:
        _require(len(options) == 5, qid, "a \"choose two/three\" question has 5 options, as on the exam")

    tags = raw.get("tags", ())
    _require(isinstance(tags, (list, tuple)) and all(isinstance(t, str) and t.strip() for t in tags), qid,
             "tags must be a list of terms")
    _require(not teaches or bool(tags), qid, "a question that links a lab page names its topics in `tags` (the page "
             "must name them: tests/web/test_quiz_bank.py)")
    tags = tuple(tags)
    return Question(
        id=qid, domain=raw["domain"], difficulty=raw["difficulty"], style=style, multi=multi,
        stem=_text(raw, "stem", qid, min_len=20), options=tuple(options),
        explanation=_text(raw, "explanation", qid, min_len=40),
        citation_title=citation["title"], citation_url=citation["url"], exhibits=tuple(exhibits),
        engine=engine, tags=tags, task=task, teaches=teaches,
    )


@lru_cache(maxsize=1)
def load_bank() -> dict[str, Question]:
    """All questions by id, in authoring order."""
    bank: dict[str, Question] = {}
    for module_name in QUESTION_MODULES:
        module = importlib.import_module(f"quiz.questions.{module_name}")
        for raw in module.QUESTIONS:
            question = build_question(raw)
            if question.id in bank:
                raise BankError(f"question `{question.id}`: duplicate id")
            bank[question.id] = question
    return bank


# Questions made on demand (quiz.generator registers "gen-"), looked up by id prefix. A registry rather than an
# import, so the generator can build on this module without an import cycle.
_SOURCES: dict[str, Callable[[str], "Question | None"]] = {}


def register_source(prefix: str, resolve: Callable[[str], "Question | None"]) -> None:
    _SOURCES[prefix] = resolve


def get_question(qid: str) -> Question | None:
    question = load_bank().get(qid)
    if question is None and isinstance(qid, str):
        for prefix, resolve in _SOURCES.items():
            if qid.startswith(prefix):
                return resolve(qid)
    return question


def select_questions(*, domains: Iterable[str] = (), difficulties: Iterable[str] = ()) -> list[Question]:
    domains = set(domains)
    difficulties = set(difficulties)
    return [q for q in load_bank().values()
            if (not domains or q.domain in domains) and (not difficulties or q.difficulty in difficulties)]


def bank_counts() -> dict[str, dict[str, int]]:
    """Written questions per task statement and difficulty: {task: {difficulty: n}}."""
    counts = {task: {level: 0 for level in DIFFICULTIES} for task in TASKS}
    for q in load_bank().values():
        counts[q.task][q.difficulty] += 1
    return counts
