"""What a scenario is: an ordered list of steps, each a Python function that makes real calls through the gateway.

A scenario module (scenarios/library/sN_*.py) declares `SCENARIO = Scenario(...)`. The player (views.py) shows a
step's narrative, diagram and policies, runs its function (or a "what if" variation) with a StepContext, and
renders what the context recorded: every HTTP exchange, the AWS outcome, the engine's decision and any
credentials issued. Nothing is canned: the page shows what the calls returned. See scenarios/README.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.utils.html import format_html, format_html_join

from gateway.redact import mask_secret, shorten_token
from sandboxes.results import CallRecord, StepResult
from sandboxes.steps import Keys, NeedsEarlierStep, StepContext

from .highlight import code_ticks


# ----------------------------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Node:
    label: str
    detail: str = ""            # e.g. the account, "AWS STS", "S3 bucket"
    kind: str = "principal"     # principal | sts | role | resource (picks the icon colour)


@dataclass(frozen=True)
class Diagram:
    """Who calls whom, left to right; `active` is the index of the node the current hop reaches (lit)."""
    nodes: tuple[Node, ...]
    active: int = 0


@dataclass(frozen=True)
class PolicyRef:
    """A policy shown on the step page, read live from the sandbox (so learner edits show up)."""
    kind: str                   # "trust" | "identity" | "scp" | "rcp" (an organization policy, by `name`)
    account: str                # world account name: production | developer | auditor | management
    role: str = ""
    user: str = ""
    name: str = ""              # inline policy name (identity policies)
    title: str = ""

    @property
    def key(self) -> str:
        owner = f"role/{self.role}" if self.role else f"user/{self.user}"
        return f"{self.account}:{owner}:{self.kind}:{self.name}"


@dataclass(frozen=True)
class WhatIf:
    slug: str
    label: str                  # the button text: "Wrong ExternalId"
    explanation: str            # HTML shown with the result: why AWS answers this way
    run: Callable[["StepContext"], None]


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    narrative: str              # HTML (trusted, written by us)
    run: Callable[["StepContext"], None]
    diagram: Diagram
    run_label: str = "Run this step"
    lesson: str = ""            # HTML shown after a successful run: what just happened
    policies: tuple[PolicyRef, ...] = ()
    editable_trust: PolicyRef | None = None
    what_ifs: tuple[WhatIf, ...] = ()
    # Names of session credentials whose card (with countdown and fast-forward) this step shows.
    shows_sessions: tuple[str, ...] = ()
    # The lesson is expiry: besides the step's own run, proving an expired session is refused ("Make a call with
    # them" on the card) completes it. Nothing else does (not "assume again").
    teaches_expiry: bool = False

    def what_if(self, slug: str) -> WhatIf | None:
        return next((w for w in self.what_ifs if w.slug == slug), None)


@dataclass(frozen=True)
class AwsRule:
    """One rule of AWS's the scenario made the learner meet, with the AWS page that states it (the recap lists them)."""
    text: str
    url: str


LEVELS = ("Beginner", "Intermediate", "Advanced")


@dataclass(frozen=True)
class Scenario:
    number: int
    slug: str
    title: str
    summary: str
    sts_call: str
    steps: tuple[Step, ...]
    # The overview page (before step 1) and the recap page (after the last step) read these.
    objective: str = ""                       # HTML: what the learner will be able to do afterwards
    prerequisites: tuple[str, ...] = ()       # HTML items
    minutes: int = 0                          # a newcomer's time for every step and a few what-ifs
    level: str = ""                           # one of LEVELS
    rules: tuple[AwsRule, ...] = ()
    quiz_domains: tuple[str, ...] = ()        # quiz.bank DOMAINS whose questions practise the same ideas
    # "scenario" (a lesson of its own), "use-case" (a short case that adds something; `adds` says what) or
    # "variation" (a short path through another scenario's lesson, shown inside that scenario, `variation_of`).
    kind: str = "scenario"
    variation_of: str = ""
    adds: str = ""                            # HTML: what this use case or variation adds over the scenarios

    def step(self, slug: str) -> Step | None:
        return next((s for s in self.steps if s.slug == slug), None)

    def index_of(self, step: Step) -> int:
        return self.steps.index(step)


# ----------------------------------------------------------------------------------------------- running a step
# A step runs with a StepContext and ends as a StepResult; both live in sandboxes/ (steps.py, results.py), where
# federation/ uses them too, and are re-exported here for the scenario modules. Secrets: gateway/redact.py.
__all__ = ["AwsRule", "CallRecord", "Diagram", "Keys", "LEVELS", "NeedsEarlierStep", "Node", "PolicyRef", "Scenario",
           "Step", "StepContext", "StepResult", "WhatIf", "different_outcome", "mask_secret", "shorten_token"]


def different_outcome(calls: list[CallRecord], *, edited: bool) -> str:
    """The explanation for a what-if whose calls did not end the way its written explanation assumes: what AWS
    answered and why, taken from the recorded calls and the engine's decision, never from the lesson's text."""
    items = []
    for call in calls:
        if call.met_expectation:
            continue
        got = "succeeded (200 OK)" if call.ok else f"was refused with {call.error_code}"
        wanted = f"a refusal with {call.expect}" if call.expect else "success"
        reason = (call.decision or {}).get("reason", "")
        items.append((call.label, got, wanted, reason))
    if not items:
        return ""
    cause = ("because you edited the trust policy: the engine evaluated your version" if edited else
             "because the sandbox is not in the state this what-if assumes")
    rows = format_html_join("", "<li>{} {}, where SecureCart's usual setup gives {}.{}</li>",
                            ((label, got, wanted, format_html(" The engine: {}", code_ticks(reason)) if reason else "")
                             for label, got, wanted, reason in items))
    return format_html('<p data-different-outcome><strong>This time the outcome is different</strong>, {}.</p>'
                       '<ul>{}</ul><p>The decision below shows which statement decided.{}</p>', cause, rows,
                       " Restore SecureCart's original trust policy in the editor to see the usual lesson."
                       if edited else "")
