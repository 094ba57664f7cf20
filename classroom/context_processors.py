from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .access import HOSTING_KEY, STUDENT_KEY
from .bar import bar_context


def class_bar(request: HttpRequest) -> dict:
    """The class bar on every page, for a student in a class or an instructor hosting one; nothing for others.

    Lazy: built only when a template shows it (base.html). An htmx fragment (a step's Run answers with its
    workspace only) never shows the bar, so it costs nothing there: a Run saved a query and ~1 ms of CPU."""
    session = getattr(request, "session", None)
    if session is None or not (session.get(STUDENT_KEY) or session.get(HOSTING_KEY)):
        return {}
    if getattr(request, "class_bar_built", False):  # the view passes its own (classroom/bar.py)
        return {}
    return {"class_bar": SimpleLazyObject(lambda: bar_context(request, request.path).get("class_bar") or {})}
