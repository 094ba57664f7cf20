"""The "policies in play" panel: documents read live from the sandbox, highlighted, with the engine's decision
marked on them (the statements that decided, the conditions that held or failed)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from engine.policy.jsonpos import JsonSyntaxError, load_with_positions
from sandboxes.operator import OPERATOR

from .framework import PolicyRef
from .highlight import highlight_json


@dataclass
class Line:
    number: int
    html: str
    marks: set[str] = field(default_factory=set)

    @property
    def css(self) -> str:
        return " ".join(sorted(self.marks))


@dataclass
class PolicyPanel:
    ref: PolicyRef
    text: str
    lines: list[Line]
    notes: list[dict[str, Any]]          # statements of this policy the engine looked at, with their summaries
    error: str = ""
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)   # statement index -> lines shown here

    @property
    def code_html(self) -> SafeString:
        """The numbered, marked lines inside the panel's <code>. Joined here rather than in a template loop: a
        policy is 15-40 lines, and the loop's per-line variable lookups were ~0.5 ms of every step page and Run
        (scripts/bench_request_cpu.py). `html` is highlight_json's output (every character of the document
        escaped there); `css` only names marks this module sets; `number` is an int."""
        return mark_safe("".join(f'<span class="line {line.css}"><span class="ln" aria-hidden="true">{line.number}'
                                 f'</span>{line.html}</span>' for line in self.lines))


ORGANIZATION_POLICY_TYPES = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}


def load_document(account_id: str, ref: PolicyRef) -> dict[str, Any] | None:
    """The policy as the sandbox holds it now, read by the lab operator (not a learner call)."""
    if ref.kind in ORGANIZATION_POLICY_TYPES:
        document = OPERATOR.organization_policy(account_id, ORGANIZATION_POLICY_TYPES[ref.kind], ref.name)
        if document is None:
            raise LookupError(f"the organization has no policy named {ref.name} yet: run the step to create it")
        return document
    if ref.kind == "trust":
        return OPERATOR.role_trust_policy(account_id, ref.role)
    if ref.role:
        return OPERATOR.role_policy(account_id, ref.role, ref.name)
    return OPERATOR.user_policy(account_id, ref.user, ref.name)


def evaluated_document(account_id: str, ref: PolicyRef, decisions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The document of `ref` as the engine evaluated it in one of these decisions (Decision.to_dict()'s policies
    carry their documents), or None when none of them evaluated that very policy: a trust policy counts for the
    role the request was about, an identity policy for the principal that made it (its user, or its role)."""
    owner = f"arn:aws:iam::{account_id}:{'role/' + ref.role if ref.role else 'user/' + ref.user}"
    for decision in decisions:
        if ref.kind in ORGANIZATION_POLICY_TYPES:   # an organization's policy is the same whoever it applied to
            found = next((p["document"] for p in decision.get("policies", [])
                          if p.get("document") is not None and _matches(ref, p)), None)
            if found is not None:
                return found
            continue
        request = decision.get("request") or {}
        principal = request.get("principal") or {}
        for policy in decision.get("policies", []):
            if policy.get("document") is None or not _matches(ref, policy):
                continue
            if ref.kind == "trust" and request.get("resource") == owner:
                return policy["document"]
            if ref.kind != "trust" and policy.get("role") == "identity" and owner in (principal.get("arn"),
                                                                                      principal.get("role_arn")):
                return policy["document"]
    return None


def _matches(ref: PolicyRef, policy: dict[str, Any]) -> bool:
    """Whether a policy of a decision (a trace entry, or a deciding StatementRef, which names it `policy`) is the
    one `ref` shows."""
    name = policy.get("name", policy.get("policy"))
    if ref.kind == "trust":
        return policy.get("source") == "trust"
    if ref.kind in ORGANIZATION_POLICY_TYPES:
        return policy.get("role") == ref.kind and name == ref.name
    return name == ref.name


def _statement_path(document: Any, index: int) -> tuple:
    return ("Statement", index) if isinstance(document.get("Statement"), list) else ("Statement",)


# A panel's document is the same text Run after Run (a learner's policies change rarely): its highlighted lines
# and source map are pure functions of the text, kept for the next render (~0.3 ms of a step Run's CPU).
@lru_cache(maxsize=256)
def _highlighted(text: str) -> tuple[str, ...]:
    return tuple(highlight_json(text))


@lru_cache(maxsize=256)
def _source_map(text: str) -> Any:
    try:
        return load_with_positions(text)[1]
    except JsonSyntaxError:
        return None


def build_panel(account_id: str, ref: PolicyRef, decisions: list[dict[str, Any]], *,
                evaluated: bool = False) -> PolicyPanel:
    """evaluated: the decisions were made just now against the sandbox's current policies (the answer to a Run),
    so a document they evaluated is shown as it is instead of being read from the sandbox again."""
    document = evaluated_document(account_id, ref, decisions) if evaluated else None
    try:
        if document is None:
            document = load_document(account_id, ref)
    except Exception as error:  # the policy may have been deleted in the sandbox from the terminal
        return PolicyPanel(ref, "", [], [], error=f"Could not read this policy from the sandbox: {error}")
    text = json.dumps(document, indent=2)
    lines = [Line(n, html) for n, html in enumerate(_highlighted(text), start=1)]
    smap = _source_map(text)
    notes: list[dict[str, Any]] = []
    spans: dict[int, tuple[int, int]] = {}
    for decision in decisions:
        deciding = {(d["index"]) for d in decision.get("deciding", []) if _matches(ref, d)}
        for policy in decision.get("policies", []):
            if not _matches(ref, policy):
                continue
            for statement in policy.get("statements", []):
                path = _statement_path(document, statement["index"])
                span = smap.line_range(path) if smap else None
                if statement["applies"]:
                    mark = "deny" if statement["effect"] == "Deny" else "allow"
                else:
                    mark = "nomatch"
                if statement["index"] in deciding:
                    mark += " deciding"
                if span:
                    spans[statement["index"]] = span
                    for line in lines[span[0] - 1:span[1]]:
                        line.marks.update(mark.split())
                for condition in statement.get("conditions", []):
                    cond_path = path + ("Condition", condition["operator"], condition["key"])
                    cond_span = smap.line_range(cond_path) if smap else None
                    if cond_span is None and smap:
                        cond_span = _find_key_case_insensitive(smap, document, path, condition)
                    if cond_span:
                        for line in lines[cond_span[0] - 1:cond_span[1]]:
                            line.marks.add("cond-ok" if condition["outcome"] else "cond-fail")
                notes.append({"label": statement.get("sid") or f"statement #{statement['index']}",
                              "applies": statement["applies"], "effect": statement["effect"],
                              "deciding": statement["index"] in deciding, "summary": statement.get("summary", ""),
                              "conditions": statement.get("conditions", []), "lines": span})
    return PolicyPanel(ref, text, lines, notes, spans=spans)


def align_trace_lines(decisions: list[dict[str, Any]], panels: list[PolicyPanel]) -> None:
    """Point the full evaluation's line numbers at the policy text this page shows.

    The engine numbers lines in the text it parsed (IAM hands policies back as one line of JSON, so every
    statement is on "line 1"); the panels show the same document indented. A policy without a panel on the page
    has no text to refer to, so its statements lose their line numbers instead of showing wrong ones."""
    for decision in decisions:
        for policy in decision.get("policies", []):
            panel = next((p for p in panels if not p.error and _matches(p.ref, policy)), None)
            for statement in policy.get("statements", []):
                span = panel.spans.get(statement["index"]) if panel else None
                statement["lines"] = list(span) if span else None


def _find_key_case_insensitive(smap, document, path, condition) -> tuple[int, int] | None:
    # Condition operators and keys are case-insensitive in IAM, so the document may spell them differently.
    statement = document
    for part in path:
        statement = statement[part]
    for operator, block in (statement.get("Condition") or {}).items():
        if operator.lower() != condition["operator"].lower() or not isinstance(block, dict):
            continue
        for key in block:
            if key.lower() == condition["key"].lower():
                return smap.line_range(path + ("Condition", operator, key))
    return None
