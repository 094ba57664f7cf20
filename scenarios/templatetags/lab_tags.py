from __future__ import annotations

from typing import Any

from django import template

from ..decisionview import decision_html, waterfall_html
from ..exchangeview import exchange_html
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


@register.filter
def human_duration(seconds: Any) -> str:
    """3725 -> "1 h 2 min 5 s"; for the sandbox clock's fast-forward offset."""
    seconds = max(0, int(seconds or 0))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes else "", f"{secs} s" if secs and not days else ""]
    return " ".join(p for p in parts if p) or "0 s"


@register.simple_tag(takes_context=True)
def decision_block(context: template.Context, decision: Any) -> str:
    """The decision's reason, waterfall and trace (scenarios/decisionview.py); `call` from the context when the
    decision answered a step's call."""
    return decision_html(decision, context.get("call"))


@register.simple_tag
def waterfall(decision: Any) -> str:
    return waterfall_html(decision)


@register.simple_tag(takes_context=True)
def http_exchange(context: template.Context, exchange: Any) -> str:
    offset = context.get("clock_offset")
    return exchange_html(exchange, human_duration(offset) if offset else "")
