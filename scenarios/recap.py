"""What a scenario's recap page lists: what STS did at each step (from the learner's own recorded runs), the AWS
rules met, and what to try next. Other apps add their own "try next" links (h13's challenges, for example) with
register_next_steps() from their AppConfig.ready(); scenarios imports none of them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sandboxes.models import Sandbox, StepProgress

from .framework import Scenario


@dataclass(frozen=True)
class NextStep:
    label: str
    url: str
    detail: str = ""
    kind: str = "link"        # "link" | "quiz" | "challenge" | anything a registered source uses


NextStepSource = Callable[[Scenario, Sandbox], list[NextStep]]
_SOURCES: list[NextStepSource] = []


def register_next_steps(source: NextStepSource) -> None:
    """Add a source of "what to try next" links to every recap page (called once, at app start-up)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def unregister_next_steps(source: NextStepSource) -> None:
    if source in _SOURCES:
        _SOURCES.remove(source)


def step_summaries(scenario: Scenario, progress: dict[str, StepProgress]) -> list[dict[str, Any]]:
    """Per step: done or not, the calls of the learner's last run with what AWS answered, and the lesson."""
    rows = []
    for step in scenario.steps:
        record = progress.get(step.slug)
        result, _ = record.stored_result() if record else (None, "")
        calls = [{"operation": call.operation or "", "label": call.label, "ok": call.ok, "code": call.error_code,
                  "expected": bool(call.expect), "met": call.met_expectation}
                 for call in (result.calls if result else [])]
        rows.append({"step": step, "done": bool(record and record.completed_at), "calls": calls,
                     "variant_label": result.variant_label if result and result.variant else ""})
    return rows


def quiz_questions(scenario: Scenario, limit: int = 4) -> list[Any]:
    if not scenario.quiz_domains:
        return []
    from quiz.bank import select_questions

    questions = select_questions(domains=scenario.quiz_domains)
    # Prefer one question per topic first, then fill up, so two topics both show.
    by_domain: dict[str, list[Any]] = {}
    for question in questions:
        by_domain.setdefault(question.domain, []).append(question)
    picked: list[Any] = []
    while len(picked) < limit and any(by_domain.values()):
        for domain in scenario.quiz_domains:
            if by_domain.get(domain) and len(picked) < limit:
                picked.append(by_domain[domain].pop(0))
    return picked


def next_steps(scenario: Scenario, sandbox: Sandbox) -> list[NextStep]:
    found: list[NextStep] = []
    for source in _SOURCES:
        found += source(scenario, sandbox)
    return found
