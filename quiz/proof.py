"""Engine-backed proofs for "spot the mistake" and "will this call be allowed?" questions.

The explanation panel of such a question shows what the lab's own policy engine answers, computed when the page
is rendered (not copied into the question text). tests/web/test_quiz_bank.py checks that the engine's outcome
is the option the question marks as right, so the bank and the engine cannot silently drift apart.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .bank import Question

log = logging.getLogger(__name__)

# Decision.effect (an engine.policy.Effect; its value) -> the outcome names used in question specs.
_OUTCOMES = {"Allow": "allow", "ExplicitDeny": "explicit-deny", "ImplicitDeny": "implicit-deny"}
_SOURCES = {"trust": "trust", "identity": "inline", "boundary": "boundary", "session": "session",
            "resource": "bucket"}


@dataclass
class Proof:
    check: str                      # "parse" | "authorize" | "graph"
    available: bool = True          # False when the engine failed; the page then says so instead of crashing
    error: str = ""
    # parse
    accepted: bool | None = None
    policy_kind: str = ""
    code: str = ""
    message: str = ""
    line: int | None = None
    column: int | None = None
    path: str = ""
    # authorize
    outcome: str = ""
    option_key: str = ""
    access_denied: str = ""
    decision: dict[str, Any] = field(default_factory=dict)
    # graph (quiz/paths.py): the path the access graph finds, each hop with the calls the engine allowed
    path: list[dict[str, Any]] = field(default_factory=list)
    evaluations: int = 0

    @property
    def agrees(self) -> bool:
        """Whether the engine backs the question's marked answer (checked again by the bank test)."""
        return self.available and (self.accepted is False if self.check == "parse" else bool(self.option_key))


def _named(question: Question, name: str):
    from engine.policy import NamedPolicy, parse_policy

    exhibit = question.exhibit(name)
    document = parse_policy(exhibit.text, kind=exhibit.policy_kind)
    return NamedPolicy(name=exhibit.title, document=document, source=_SOURCES.get(exhibit.policy_kind, "inline"))


def _parse_proof(question: Question) -> Proof:
    from engine.errors import MalformedPolicyDocument
    from engine.policy import parse_policy
    from engine.policy.bucket_policy import validate_bucket_policy

    spec = question.engine.spec
    exhibit = question.exhibit(spec["exhibit"])
    try:
        if exhibit.policy_kind == "resource" and exhibit.bucket:  # a bucket policy: checked as S3 checks it
            validate_bucket_policy(exhibit.text, bucket=exhibit.bucket)
        else:
            parse_policy(exhibit.text, kind=exhibit.policy_kind)
    except MalformedPolicyDocument as exc:
        return Proof(check="parse", accepted=False, policy_kind=exhibit.policy_kind or "", code=exc.code,
                     message=exc.message,
                     line=getattr(exc, "line", None), column=getattr(exc, "column", None),
                     path=getattr(exc, "path", None) or "")
    return Proof(check="parse", accepted=True, policy_kind=exhibit.policy_kind or "")


def _authorize_proof(question: Question) -> Proof:
    from engine.policy import AuthzRequest, Principal, authorize

    spec = question.engine.spec
    principal = Principal(**spec["principal"])
    request = AuthzRequest(spec["action"], spec["resource"], principal, spec.get("context") or {})
    decision = authorize(
        request,
        identity=[_named(question, n) for n in spec.get("identity", [])],
        resource=_named(question, spec["resource_policy"]) if spec.get("resource_policy") else None,
        boundary=_named(question, spec["boundary"]) if spec.get("boundary") else None,
        session=[_named(question, n) for n in spec.get("session", [])],
        resource_account=spec.get("resource_account"),
        resource_policy_required=bool(spec.get("resource_policy_required", False)),
    )
    outcome = _OUTCOMES.get(decision.effect.value, "")
    if "decision_option" in spec:  # engine-made questions: options name the policy type that decided, too
        decided = outcome if outcome == "allow" else f"{outcome}:{decision.denied_by}"
        option_key = spec["decision_option"].get(decided, "")
    else:
        option_key = spec["outcome_option"].get(outcome, "")
    return Proof(check="authorize", outcome=outcome, option_key=option_key,
                 access_denied="" if decision.allowed else decision.access_denied_message(),
                 decision=decision.to_dict())


def _graph_proof(question: Question) -> Proof:
    from . import paths

    graph = paths.graph_of_exhibits(question)
    text, path = paths.answer_of_graph(graph)
    option_key = next((o.key for o in question.options if o.text == text), "")
    return Proof(check="graph", outcome="path" if path else "no-path", option_key=option_key, message=text,
                 path=path or [], evaluations=graph["evaluations"])


def engine_proof(question: Question) -> Proof | None:
    """Run the question's engine check now. None for questions without one; never raises."""
    if question.engine is None:
        return None
    try:
        if question.engine.check == "parse":
            return _parse_proof(question)
        if question.engine.check == "graph":
            return _graph_proof(question)
        return _authorize_proof(question)
    except Exception as exc:  # an engine bug must not take the quiz page down; the page shows the failure
        log.exception("engine proof failed for question %s", question.id)
        return Proof(check=question.engine.check, available=False, error=f"{type(exc).__name__}: {exc}")
