from __future__ import annotations

from typing import Any

from django import template

from ..highlight import code_ticks

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def countdown(seconds: int) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@register.filter
def pretty_json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


@register.filter
def trace_parts(statement: dict) -> list[dict]:
    """The Principal/Action/Resource parts of a traced statement that were evaluated, in policy order."""
    return [statement[name] for name in ("principal", "action", "resource") if statement.get(name)]



@register.filter
def ticks(text: Any) -> str:
    """The engine's explanations quote names Markdown-style (`arn:…`); show them as code, everything else escaped."""
    return code_ticks(text)
