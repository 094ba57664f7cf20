"""Spreadsheet exports (a class's CSV, a live room's results)."""
from __future__ import annotations


def csv_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or carriage return) would run as a
    formula, so it is quoted (OWASP, "CSV Injection")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
