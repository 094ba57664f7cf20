from __future__ import annotations

from django.http import HttpRequest

from .access import HOSTING_KEY, STUDENT_KEY
from .bar import bar_context


def class_bar(request: HttpRequest) -> dict:
    """The class bar on every page, for a student in a class or an instructor hosting one; nothing for others."""
    session = getattr(request, "session", None)
    if session is None or not (session.get(STUDENT_KEY) or session.get(HOSTING_KEY)):
        return {}
    if getattr(request, "class_bar_built", False):  # the view passes its own (classroom/bar.py)
        return {}
    return bar_context(request, request.path)
