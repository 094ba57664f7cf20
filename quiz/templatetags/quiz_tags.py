from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_TRACE_BACKTICKS = re.compile(r"`([^`]*)`")


@register.filter
def quiz_text(value: str) -> SafeString:
    """Question text -> HTML: escaped first, then `code`, **bold** and blank-line paragraphs. Nothing else."""
    paragraphs = []
    for part in str(value or "").split("\n\n"):
        html = escape(part.strip())
        html = _CODE.sub(r"<code>\1</code>", html)
        html = _BOLD.sub(r"<strong>\1</strong>", html)
        if html:
            paragraphs.append(f"<p>{html}</p>")
    return mark_safe("".join(paragraphs))


@register.filter
def quiz_inline(value: str) -> SafeString:
    """Like quiz_text for one line (no paragraph tags): option labels, reasons in the trace."""
    html = escape(str(value or ""))
    html = _CODE.sub(r"<code>\1</code>", html)
    return mark_safe(_BOLD.sub(r"<strong>\1</strong>", html))


@register.filter
def trace_elements(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The Principal/Action/Resource parts of one traced statement, in reading order, skipping absent ones."""
    return [statement[k] for k in ("principal", "action", "resource") if isinstance(statement.get(k), dict)]


@register.filter
def mmss(seconds: int | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@register.simple_tag
def teaching_link(question: Any) -> Any:
    """{% teaching_link question as link %}: the scenario step or challenge that teaches it (quiz.teaching)."""
    from quiz.teaching import link_for

    return link_for(question) if question is not None else None


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
