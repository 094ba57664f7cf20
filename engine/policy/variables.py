"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, escapes `${*}` `${?}` `${$}`, and defaults
`${aws:username, 'nobody'}` (IAM User Guide, reference_policies_variables).

Under Version 2008-10-17 (or no Version) variables are not recognised and the text is taken literally
(reference_policies_elements_version). A variable whose key is absent from the request (or multi-valued, which
cannot be a variable) and has no default cannot be resolved: the value that holds it then matches nothing.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

_VAR = re.compile(r"\$\{([^}]*)\}")
_BODY = re.compile(r"^\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

# A template is a tuple of parts: ("lit", text) pattern text, ("esc", char) a literal character,
# ("var", key_lowercase, key_as_written, default_or_None).
Template = tuple[Any, ...]   # literal text and ${...} variables, in order


class VariableSyntaxError(ValueError):
    pass


def parse_template(text: str) -> Template | None:
    """Split `text` into parts, or return None when it holds no `${...}` at all (the common, fast case)."""
    if "${" not in text:
        return None
    parts: list[tuple[Any, ...]] = []
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            parts.append(("lit", text[pos:m.start()]))
        body = m.group(1)
        if body in _ESCAPES:
            parts.append(("esc", _ESCAPES[body]))
        else:
            bm = _BODY.match(body)
            if not bm:
                raise VariableSyntaxError(f"invalid policy variable `${{{body}}}`")
            parts.append(("var", bm.group(1).lower(), bm.group(1), bm.group(2)))
        pos = m.end()
    if pos < len(text):
        parts.append(("lit", text[pos:]))
    return tuple(parts)


def template_variables(template: Template) -> list[str]:
    return [p[2] for p in template if p[0] == "var"]


def resolve(template: Template, context_lc: Mapping[str, object]) -> tuple[Any, ...] | None:
    """Resolve into pattern segments ((text, is_pattern), ...); None if a variable cannot be resolved."""
    segments = []
    for part in template:
        kind = part[0]
        if kind == "lit":
            segments.append((part[1], True))
        elif kind == "esc":
            segments.append((part[1], False))
        else:
            value = context_lc.get(part[1])
            if isinstance(value, list):
                # Multivalued keys cannot be policy variables (reference_policies_condition-single-vs-multi...).
                value = value[0] if len(value) == 1 else None
            if value is None:
                if part[3] is None:
                    return None
                value = part[3]
            segments.append((str(value), False))
    return tuple(segments)


def segments_text(segments: tuple[Any, ...]) -> str:
    return "".join(t for t, _ in segments)
