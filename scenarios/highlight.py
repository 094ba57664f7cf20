"""A small server-side JSON highlighter: one list of lines, each a string of escaped HTML spans.

It tokenises any text (learner input may be broken JSON) and never raises; unknown characters are escaped as-is.
"""
from __future__ import annotations

import html
import re
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<literal>\btrue\b|\bfalse\b|\bnull\b)
  | (?P<punct>[{}\[\]:,])
  | (?P<newline>\n)
  | (?P<space>[ \t\r]+)
  | (?P<other>.)
""", re.VERBOSE)


def highlight_json(text: str) -> list[str]:
    lines: list[str] = []
    current: list[str] = []
    tokens = list(_TOKEN.finditer(text))
    for position, match in enumerate(tokens):
        kind = match.lastgroup
        value = match.group()
        if kind == "newline":
            lines.append("".join(current))
            current = []
            continue
        if kind == "string":
            css = "j-key" if _followed_by_colon(tokens, position) else "j-str"
        else:
            css = {"number": "j-num", "literal": "j-lit", "punct": "j-punct", "other": "j-bad"}.get(kind or "")
        current.append(f'<span class="{css}">{escape(value)}</span>' if css else escape(value))
    lines.append("".join(current))
    return lines


def _followed_by_colon(tokens: list[re.Match], position: int) -> bool:
    for match in tokens[position + 1:]:
        if match.lastgroup in ("space",):
            continue
        return match.group() == ":"
    return False


_TICKED = re.compile(r"`([^`\n]+)`")


def escaped(value: Any) -> str:
    """`{{ value }}` in a template (conditional_escape) without Django's lazy-string wrapper, a third of the time of
    the result panels built in Python (decisionview.py, exchangeview.py)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def code_ticks(text: Any) -> SafeString:
    """Escape text and turn Markdown-style `quoted` names (the engine's explanations use them) into <code>."""
    plain = html.escape("" if text is None else str(text))   # django's escape(), without its lazy wrapper
    return mark_safe(_TICKED.sub(lambda m: f"<code>{m.group(1)}</code>", plain))
