"""Judging one policy against one request. Knows nothing about how policies combine (see authorizer.py).

The evaluator reports what it does to a tracer as plain tuples (OPA's QueryTracer idea); trace.py turns them
into the structured explanation afterwards, only when someone asks for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .document import PolicyDocument, Statement
from .model import AuthzRequest, NamedPolicy

# How the authorizer uses a policy of each document kind; the roles whose statements name a Principal.
ROLE_OF_KIND = {"trust": "resource", "resource": "resource", "boundary": "boundary", "session": "session",
                "scp": "scp", "rcp": "rcp"}
PRINCIPAL_ROLES = ("resource", "rcp")

# event tags
EV_POLICY = "policy"
EV_STATEMENT = "statement"
EV_NOTE = "note"


class Tracer:
    """Collects evaluation events. Each statement event is one tuple:
    (EV_STATEMENT, statement, applies, principal_info, action_info, resource_info, condition_results)
    where *_info = (matched, detail) and condition_results = ((condition, outcome, reason, policy_values,
    request_values), ...)."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def emit(self, event: tuple[Any, ...]) -> None:
        self.events.append(event)


@dataclass(slots=True)
class StatementRef:
    """Points at one statement of one policy, for the explanation and the editor's highlighting."""
    policy: str
    source: str
    role: str            # identity | resource | boundary | session | scp | rcp
    index: int
    sid: str | None
    effect: str
    lines: tuple[int, int] | None
    actions: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "source": self.source, "role": self.role, "index": self.index,
                "sid": self.sid, "effect": self.effect, "lines": list(self.lines) if self.lines else None,
                "actions": list(self.actions), "resources": list(self.resources)}

    @property
    def label(self) -> str:
        return f"`{self.sid}`" if self.sid else f"#{self.index}"


@dataclass(slots=True)
class PolicyResult:
    """What one policy says about a request: the statements that applied, with their effect."""
    name: str
    source: str
    role: str
    allows: list[tuple[Statement, str | None]] = field(default_factory=list)  # (statement, principal match how)
    denies: list[Statement] = field(default_factory=list)
    document: PolicyDocument | None = None
    error: str | None = None            # why the policy could not be evaluated (it then says nothing)

    @property
    def allowed(self) -> bool:
        return bool(self.allows) and not self.denies

    @property
    def denied(self) -> bool:
        return bool(self.denies)

    def ref(self, st: Statement) -> StatementRef:
        return StatementRef(self.name, self.source, self.role, st.index, st.sid, st.effect, st.lines,
                            st.actions.patterns, st.resources.patterns if st.resources else [])


def evaluate_statement(st: Statement, request: AuthzRequest, tracer: Tracer | None,
                       check_principal: bool, has_boundary: bool = False) -> tuple[bool, str | None]:
    """-> (applies, how the principal matched). Every element is evaluated, even after one fails, so the
    explanation can show the whole statement."""
    ok = True
    how = None
    # Principal
    if check_principal and st.principal is not None:
        if st.principal_negated:
            listed = st.principal.lists_fully(request.principal)
            if listed and has_boundary and st.effect == "Deny" and request.principal.is_iam:
                # access_policies_boundaries, "Important": NotPrincipal with Deny always denies an IAM principal
                # that has a permissions boundary, whatever NotPrincipal lists.
                listed = False
                p_info = (True, "boundary-quirk")
            else:
                p_info = (not listed, "listed" if listed else "not-listed")
            ok = not listed
            how = "not-principal" if ok else None
        else:
            matched, how, entry = st.principal.match(request.principal)
            p_info = (matched, entry or "")
            ok = matched
    else:
        p_info = None
    # Action
    hit = st.actions.first_match(request.action_lc)
    a_matched = (hit is None) if st.action_negated else (hit is not None)
    ok = ok and a_matched
    # Resource
    if st.resources is not None:
        r_hit, unresolved = st.resources.first_match(request.resource, request.context_lc)
        r_matched = (r_hit is None) if st.resource_negated else (r_hit is not None)
        r_info = (r_matched, r_hit, unresolved)
        ok = ok and r_matched
    else:
        r_info = None
    # Conditions: all must hold (AND across operators and keys)
    if st.conditions:
        ctx = request.context_lc
        results = []
        for cond in st.conditions:
            outcome, reason, pvals, rvals = cond.evaluate(ctx)
            results.append((cond, outcome, reason, pvals, rvals))
            ok = ok and outcome
        cond_results = tuple(results)
    else:
        cond_results = ()
    if tracer is not None:
        tracer.events.append((EV_STATEMENT, st, ok, p_info, (a_matched, hit), r_info, cond_results))
    return ok, how


def evaluate_policy(given: PolicyDocument | NamedPolicy, request: AuthzRequest, *, name: str | None = None,
                    role: str | None = None, source: str | None = None,
                    tracer: Tracer | None = None, has_boundary: bool = False) -> PolicyResult:
    """Judge every statement of one policy. `role` is how the authorizer uses it (identity, resource, boundary,
    session); by default it follows the document's kind (trust -> resource)."""
    error = None
    doc: PolicyDocument | None
    if isinstance(given, NamedPolicy):
        name = name or given.name
        source = source or given.source
        error = given.error
        doc = given.document
    else:
        doc = given
    if role is None:
        role = ROLE_OF_KIND.get(doc.kind, "identity") if doc is not None else "identity"
    result = PolicyResult(name=name or "policy", source=source or (doc.kind if doc else "?"), role=role,
                          document=doc, error=error)
    if tracer is not None:
        tracer.events.append((EV_POLICY, result))
    if doc is None:
        return result        # a policy that could not be read allows and denies nothing (Decision.errors says why)
    check_principal = role in PRINCIPAL_ROLES
    for st in doc.statements:
        applies, how = evaluate_statement(st, request, tracer, check_principal, has_boundary)
        if applies:
            if st.effect == "Deny":
                result.denies.append(st)
            else:
                result.allows.append((st, how))
    return result
