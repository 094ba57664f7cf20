"""Turning evaluation events into the structured explanation the web pages show (and a plain-text rendering).

The evaluator only appends tuples; everything here runs when someone asks for Decision.trace / to_dict(), so a
decision nobody looks at costs nothing to explain. Wording follows cedar's style: lowercase, values in backticks.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

from . import conditions as C
from .evaluator import EV_POLICY, EV_STATEMENT, PolicyResult
from .document import Statement
from .model import AuthzRequest


def _bt(value: Any) -> str:
    return f"`{value}`"


def _list(values: Iterable[Any]) -> str:
    return "[" + ", ".join(_bt(v) for v in values) + "]"


def _principal_caller(request: AuthzRequest) -> str:
    p = request.principal
    if p.kind == "assumed-role":
        return f"{_bt(p.arn)} (a session of role {_bt(p.role_arn)}, account {p.account})"
    if p.kind == "service":
        return f"service {_bt(p.service)}"
    if p.kind in ("web-identity", "saml"):
        return f"{p.kind} caller federated through {_bt(p.federated)}"
    if p.kind == "anonymous":
        return "an anonymous caller"
    return f"{_bt(p.arn)} (account {p.account})"


_HOW = {
    "*": "the wildcard `*` matches every principal",
    "account": "the caller's account is named, which delegates the decision to that account's own policies",
    "user": "the caller's IAM user ARN is named",
    "role": "the caller's role ARN is named (it matches every session of the role)",
    "session": "the caller's role-session ARN is named",
    "federated-user": "the caller's federated-user ARN is named",
    "service": "the caller's service principal is named",
    "federated": "the caller's identity provider is named",
    "canonical": "the caller's canonical user ID is named",
}


def _principal_part(st: Statement, info: tuple[Any, ...], request: AuthzRequest) -> dict[str, Any]:
    matched, entry = info[0], info[1]
    element = "NotPrincipal" if st.principal_negated else "Principal"
    values = [f"{t}: {v}" if t != "*" else "*" for t, v in (st.principal.values if st.principal else [])]
    if st.principal_negated and entry == "boundary-quirk":
        reason = (f"caller {_principal_caller(request)} has a permissions boundary: AWS always applies a Deny "
                  "with NotPrincipal to such a caller, whatever NotPrincipal lists")
        entry = None
    elif st.principal_negated:
        reason = (f"caller {_principal_caller(request)} is not fully listed in NotPrincipal, so the statement "
                  "applies to it" if matched else
                  f"caller {_principal_caller(request)} is listed in NotPrincipal, so the statement does not apply")
    elif matched:
        how = _principal_how(st, request)
        reason = f"{_HOW.get(how or '', 'named')}: {_bt(entry)}"
    else:
        reason = f"caller {_principal_caller(request)} is not named by {element} {_list(values)}"
    return {"element": element, "matched": matched, "values": values, "entry": entry, "reason": reason}


def _principal_how(st: Statement, request: AuthzRequest) -> str | None:
    return st.principal.match(request.principal)[1] if st.principal is not None else None


def _action_part(st: Statement, info: tuple[Any, ...], request: AuthzRequest) -> dict[str, Any]:
    matched, hit = info
    element = "NotAction" if st.action_negated else "Action"
    patterns = st.actions.patterns
    a = _bt(request.action)
    if st.action_negated:
        reason = (f"action {a} is not in NotAction {_list(patterns)}, so the statement covers it" if matched else
                  f"action {a} matches {_bt(hit)} in NotAction, so the statement does not cover it")
    elif matched:
        reason = f"action {a} matches {_bt(hit)}" + (" (action names are case-insensitive)"
                                                     if hit != request.action and "*" not in hit else "")
    else:
        reason = f"action {a} is not in {_list(patterns)}"
    return {"element": element, "matched": matched, "patterns": list(patterns), "matched_pattern": hit,
            "reason": reason}


def _resource_part(st: Statement, info: tuple[Any, ...], request: AuthzRequest) -> dict[str, Any]:
    matched, hit, unresolved = info
    element = "NotResource" if st.resource_negated else "Resource"
    patterns = st.resources.patterns if st.resources is not None else []
    r = _bt(request.resource)
    if st.resource_negated:
        reason = (f"resource {r} is not in NotResource {_list(patterns)}, so the statement covers it" if matched
                  else f"resource {r} matches {_bt(hit)} in NotResource, so the statement does not cover it")
    elif matched:
        reason = f"resource {r} matches {_bt(hit)}"
    else:
        reason = f"resource {r} is not matched by {_list(patterns)}"
        if unresolved:
            reason += f"; {_list(unresolved)} hold policy variables the request cannot resolve"
    return {"element": element, "matched": matched, "patterns": list(patterns), "matched_pattern": hit,
            "unresolved": list(unresolved), "reason": reason}


def _first_hit(cond: C.Condition, pvals: list[Any], rvals: list[str] | None) -> Any:
    """Which request value matched which policy value (recomputed only for the explanation)."""
    if cond.op is None or not rvals:
        return None, None
    for rv in rvals:
        for pv in pvals:
            if pv is None:
                continue
            try:
                prep = cond.op.prepare(((pv, True),))
            except C.ConditionValueError:
                continue
            if cond.op.test(prep, rv):
                return rv, pv
    return None, None


def condition_reason(cond: C.Condition, outcome: bool, reason: str, pvals: list[Any],
                     rvals: list[str] | None) -> str:
    key = _bt(cond.key)
    op = cond.operator
    shown = [v for v in (pvals or []) if v is not None]
    if reason == C.R_ABSENT:
        return f"key {key} is not in the request, so {op} is false"
    if reason == C.R_ABSENT_NEGATED:
        return f"key {key} is not in the request; a negated operator ({op}) is true when the key is absent"
    if reason == C.R_ABSENT_IFEXISTS:
        return f"key {key} is not in the request, and ...IfExists makes the condition true"
    if reason == C.R_ABSENT_FORALL:
        return f"key {key} is not in the request; ForAllValues is true when the key is absent or empty"
    if reason == C.R_ABSENT_FORANY:
        return f"key {key} is not in the request; ForAnyValue is false when the key is absent or empty"
    if reason in (C.R_NULL_OK, C.R_NULL_FAIL):
        state = "absent" if rvals is None else "present"
        want = " or ".join("absent" if v == "true" else "present" for v in cond.prepared)
        return f"key {key} is {state}; Null {_list(cond.values)} asks for it to be {want}"
    if reason == C.R_UNRESOLVED:
        return (f"the policy value(s) {_list(cond.values)} hold a policy variable the request cannot resolve "
                "(or are invalid), so no policy value can match")
    if rvals is None:   # every reason below is about the request values present
        return reason
    if reason == C.R_MATCH:
        rv, pv = _first_hit(cond, pvals, rvals)
        if rv is not None:
            return f"request value {_bt(rv)} matches policy value {_bt(pv)}"
        return f"a request value in {_list(rvals)} matches {_list(shown)}"
    if reason == C.R_NO_MATCH:
        what = "request value" if len(rvals) == 1 else "no request value in"
        if len(rvals) == 1:
            return f"request value {_bt(rvals[0])} does not match {_list(shown)}"
        return f"{what} {_list(rvals)} matches {_list(shown)}"
    if reason == C.R_NEG_NONE_MATCHED:
        return f"request value(s) {_list(rvals)} match none of {_list(shown)}, so {op} is true"
    if reason == C.R_NEG_MATCHED:
        rv, pv = _first_hit(cond, pvals, rvals)
        if rv is not None:
            return f"request value {_bt(rv)} matches {_bt(pv)}, so {op} is false"
        return f"a request value in {_list(rvals)} matches {_list(shown)}, so {op} is false"
    if reason == C.R_FORALL_OK:
        return f"every request value in {_list(rvals)} satisfies {cond.base} against {_list(shown)}"
    if reason == C.R_FORALL_FAIL:
        return f"not every request value in {_list(rvals)} satisfies {cond.base} against {_list(shown)}"
    if reason == C.R_FORANY_OK:
        return f"at least one request value in {_list(rvals)} satisfies {cond.base} against {_list(shown)}"
    if reason == C.R_FORANY_FAIL:
        return f"no request value in {_list(rvals)} satisfies {cond.base} against {_list(shown)}"
    return reason


def _condition_part(cond: C.Condition, outcome: bool, reason: str, pvals: list[Any],
                    rvals: list[str] | None) -> dict[str, Any]:
    return {
        "operator": cond.operator, "base": cond.base, "qualifier": cond.qualifier, "if_exists": cond.if_exists,
        "key": cond.key, "policy_values": list(pvals) if pvals is not None else list(cond.values),
        "policy_values_written": list(cond.values),
        "request_values": list(rvals) if rvals is not None else None,
        "request_present": rvals is not None,
        "outcome": outcome, "reason_code": reason,
        "reason": condition_reason(cond, outcome, reason, pvals, rvals),
        "path": _path_text(cond.path),
        "line": cond.line,
    }


def _path_text(path: tuple[Any, ...]) -> str:
    from .jsonpos import format_path
    return format_path(path)


def _statement_summary(st: Statement, applies: bool, parts: dict[str, Any]) -> str:
    if applies:
        return f"applies: {st.effect}"
    failed = [name for name in ("principal", "action", "resource") if parts.get(name) and not parts[name]["matched"]]
    failed_conds = [c for c in parts["conditions"] if not c["outcome"]]
    pieces = []
    for name in failed:
        pieces.append(parts[name]["reason"])
    for c in failed_conds:
        pieces.append(f"condition {c['operator']} on `{c['key']}`: {c['reason']}")
    return "does not apply: " + "; ".join(pieces)


def _json_copy(value: Any) -> Any:
    """A copy of a parsed policy document (dicts, lists and scalars): copy.deepcopy's memo and dispatch made it
    twice as slow, for ~7 documents a decision, two decisions a Run of scenario 1's third step. Anything other than
    a dict or a list is immutable in a document parsed from JSON; copy.deepcopy still copies anything else."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return copy.deepcopy(value)


def build_policies(events: list[tuple[Any, ...]], request: AuthzRequest) -> list[dict[str, Any]]:
    policies: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    result: PolicyResult | None = None
    for ev in events:
        if ev[0] == EV_POLICY:
            result = ev[1]
            doc = result.document
            current = {"name": result.name, "source": result.source, "role": result.role,
                       "kind": doc.kind if doc else None, "version": doc.version if doc else None,
                       "outcome": "deny" if result.denies else ("allow" if result.allows else "no-match"),
                       "statements": [],
                       "warnings": [w.to_dict() for w in doc.warnings] if doc else [],
                       "error": result.error,
                       # the document as evaluated, so a page can show it without reading it again
                       "document": _json_copy(doc.raw) if doc else None}
            policies.append(current)
        elif ev[0] == EV_STATEMENT and current is not None:
            _, st, applies, p_info, a_info, r_info, conds = ev
            parts: dict[str, Any] = {
                "principal": _principal_part(st, p_info, request) if p_info is not None else None,
                "action": _action_part(st, a_info, request),
                "resource": _resource_part(st, r_info, request) if r_info is not None else None,
                "conditions": [_condition_part(*c) for c in conds],
            }
            current["statements"].append({
                "index": st.index, "sid": st.sid, "effect": st.effect, "lines": list(st.lines) if st.lines else None,
                "path": st.path, "applies": applies, **parts,
                "summary": _statement_summary(st, applies, parts),
            })
    return policies


def render_text(decision: Any) -> str:
    """A plain-text rendering of a Decision (for logs, the CLI and tests)."""
    lines = [f"{decision.effect.value}: {decision.reason}"]
    for step in decision.steps:
        lines.append(f"  - {step}")
    for pol in decision.trace:
        lines.append(f"policy `{pol['name']}` ({pol['role']}, {pol['source']}): {pol['outcome']}")
        for st in pol["statements"]:
            label = f"`{st['sid']}`" if st["sid"] else f"#{st['index']}"
            span = f" lines {st['lines'][0]}-{st['lines'][1]}" if st["lines"] else ""
            lines.append(f"  statement {label} ({st['effect']}{span}): {st['summary']}")
            for name in ("principal", "action", "resource"):
                part = st[name]
                if part:
                    lines.append(f"    {'ok ' if part['matched'] else 'NO '} {part['element']}: {part['reason']}")
            for c in st["conditions"]:
                lines.append(f"    {'ok ' if c['outcome'] else 'NO '} {c['operator']} {c['key']}: {c['reason']}")
    return "\n".join(lines)
