"""A decision (engine Decision.to_dict()) as HTML: the reason, the layer-by-layer waterfall, the full trace.

Built here rather than in a template: a decision is ~70 loops and ~400 nodes of template (each layer, level,
policy, statement, element and condition), which cost ~1.9 ms of thread CPU per decision, two decisions a Run of
scenario 1's third step (scripts/bench_request_cpu.py); joined here it is a tenth of that. The markup is what
templates/scenarios/_decision.html and _waterfall.html rendered, which now only call these functions.

Every value from the decision is escaped as conditional_escape does, as the template's autoescape did (a decision
crosses processes as JSON, and names in it come from learners' policies); `ticks` text goes through code_ticks.
A key a decision lacks renders as nothing, as a missing template variable did.
"""
from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe

from .highlight import code_ticks
from .highlight import escaped as _escaped

_MISSING = object()


def _lookup(value: Any, key: str | int) -> Any:
    """`value.key` as a template resolves it: an item, else an attribute; _MISSING when neither is there."""
    try:
        return value[key]
    except (KeyError, TypeError, IndexError, AttributeError):
        return getattr(value, key, _MISSING) if isinstance(key, str) else _MISSING


def _get(value: Any, key: str | int) -> Any:
    found = _lookup(value, key)
    return None if found is _MISSING else found


def _text(value: Any, key: str | int) -> str:
    """`{{ value.key }}` in a template: escaped, "" when the key is missing."""
    found = _lookup(value, key)
    return "" if found is _MISSING else _escaped(found)


def _joined(values: Any) -> str:
    """`{{ values|join:", " }}`."""
    return ", ".join(_escaped(value) for value in values)


def _statement_ref(ref: dict[str, Any]) -> str:
    sid = _get(ref, "sid")
    return _text(ref, "sid") if sid else f"#{_text(ref, 'index')}"


def _level(level: dict[str, Any]) -> str:
    html = [f'<li class="verdict-{_text(level, "verdict")}">{_text(level, "kind")} <code>{_text(level, "name")}'
            f'</code>: {_text(level, "verdict_label")}']
    if _get(level, "policies"):
        html.append(f' <span class="muted">({_joined(level["policies"])})</span>')
    if _get(level, "verdict") == "deny":
        for ref in _get(level, "deciding") or ():
            html.append(f' — <code>{_text(ref, "policy")}</code> statement <code>{_statement_ref(ref)}</code>')
    html.append("</li>")
    return "".join(html)


def _layer(layer: dict[str, Any]) -> str:
    decided = bool(_get(layer, "decided"))
    html = [f'<li class="layer verdict-{_text(layer, "verdict")}{" decided" if decided else ""}" '
            f'data-layer="{_text(layer, "kind")}" data-verdict="{_text(layer, "verdict")}">\n'
            f'<span class="layer-title">{_text(layer, "title")}</span>\n'
            f'<span class="layer-verdict">{_text(layer, "verdict_label")}</span>']
    if decided:
        html.append(' <strong class="layer-decided">decided the answer</strong>')
    html.append("\n")
    if _get(layer, "levels"):
        html.append(f'<ol class="layer-levels" aria-label="{_text(layer, "title")}: every level from the root to '
                    f'the account">{"".join(_level(level) for level in layer["levels"])}</ol>\n')
    elif _get(layer, "deciding"):
        refs = "".join(f'<li><code>{_text(ref, "policy")}</code> statement <code>{_statement_ref(ref)}</code> '
                       f'({_text(ref, "effect")})</li>' for ref in layer["deciding"])
        html.append(f'<ul class="layer-statements">{refs}</ul>\n')
    elif _get(layer, "policies"):
        html.append(f'<span class="muted">{_joined(layer["policies"])}</span>\n')
    if _get(layer, "note"):
        html.append(f'<p class="layer-note muted">{_text(layer, "note")}</p>\n')
    html.append("</li>\n")
    return "".join(html)


def waterfall_html(decision: Any) -> SafeString:
    """The typed decision's layers in AWS's order: what each said, the statements that said it, which decided.
    Nothing here re-derives a verdict. A panel like the step's others: open, and closed at first on a phone
    (static/js/lab.js keepOpen), where the reason above it comes first."""
    layers = _get(decision, "layers")
    if not layers:
        return mark_safe("")
    html = ['<details class="waterfall" data-waterfall data-keep-open="waterfall" data-phone-closed open>\n'
            '<summary class="waterfall-caption">Layer by layer, in the order AWS evaluates them</summary>\n<ol>\n',
            *(_layer(layer) for layer in layers), "</ol>\n"]
    errors = _get(decision, "errors")
    if errors:
        items = "".join(f'<li><code>{_text(error, "policy")}</code> ({_text(error, "layer")}): '
                        f'{_text(error, "message")}</li>' for error in errors)
        html.append('<div class="callout warn" role="note"><p>Policies the lab could not evaluate (they allowed '
                    f'and denied nothing):</p>\n<ul>{items}</ul></div>\n')
    html.append("</details>\n")
    return mark_safe("".join(html))


def _statement(statement: dict[str, Any]) -> str:
    label = _text(statement, "sid") if _get(statement, "sid") else f"statement #{_text(statement, 'index')}"
    lines = _get(statement, "lines")
    where = f", lines {_text(lines, 0)}–{_text(lines, 1)}" if lines else ""
    parts = []
    for name in ("principal", "action", "resource"):   # the parts that were evaluated, in policy order
        part = _get(statement, name)
        if part:
            matched = bool(_get(part, "matched"))
            parts.append(f'<li class="{"ok" if matched else "no"}">{"✔" if matched else "✘"} '
                         f'{_text(part, "element")}: {code_ticks(_get(part, "reason"))}</li>')
    for condition in _get(statement, "conditions") or ():
        held = bool(_get(condition, "outcome"))
        parts.append(f'<li class="{"ok" if held else "no"}">{"✔" if held else "✘"} Condition '
                     f'{_text(condition, "operator")} <code>{_text(condition, "key")}</code>: '
                     f'{code_ticks(_get(condition, "reason"))}</li>')
    return (f'<li class="{"applies" if _get(statement, "applies") else "skipped"}">\n'
            f'<strong>{label}</strong> ({_text(statement, "effect")}{where}): {code_ticks(_get(statement, "summary"))}'
            f'\n<ul class="elements">\n{"".join(parts)}\n</ul>\n</li>\n')


def _policy(policy: dict[str, Any]) -> str:
    statements = _get(policy, "statements") or ()
    body = "".join(_statement(statement) for statement in statements) or '<li class="muted">No statements.</li>'
    return (f'<div class="trace-policy">\n<h4>{_text(policy, "name")} <span class="muted">({_text(policy, "role")}, '
            f'{_text(policy, "source")}) → {_text(policy, "outcome")}</span></h4>\n<ul>\n{body}</ul>\n</div>\n')


def decision_html(decision: Any, call: Any = None) -> SafeString:
    """The whole decision block. `call`: the CallRecord the decision answered, when there is one (a step's
    result): policies that allowed a call STS still refused say so."""
    allowed = bool(_get(decision, "allowed"))
    refused_anyway = allowed and bool(call) and not _get(call, "ok")
    html = [f'<div class="decision {"allowed" if allowed else "denied"}">\n']
    if refused_anyway:
        html.append('<p class="decision-reason"><strong>Policies allowed this call</strong>; STS refused it for the '
                    'reason in the error above, which is checked on top of the policies.</p>\n')
    html.append(f'<p class="decision-reason"><strong>{"Policy evaluation" if refused_anyway else "Why"}:</strong> '
                f'{code_ticks(_get(decision, "reason"))}</p>\n')
    html.append(waterfall_html(decision))
    steps = _get(decision, "steps")
    if steps:
        html.append('<ol class="decision-steps">' + "".join(f"<li>{code_ticks(step)}</li>" for step in steps)
                    + "</ol>\n")
    policies = _get(decision, "policies") or []
    count = len(policies)
    html.append(f'<details class="trace" data-keep-open="trace">\n<summary>Full evaluation ({count} '
                f'polic{"y" if count == 1 else "ies"})</summary>\n')
    html.extend(_policy(policy) for policy in policies)
    html.append("</details>\n</div>\n")
    return mark_safe("".join(html))
