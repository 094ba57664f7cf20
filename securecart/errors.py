"""Error pages that help: what went wrong and where to go next, never a bare stack trace."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    return _page(request, "404.html", {"message": message}, 404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "400.html", {"message": str(exception) if exception else ""}, 400)


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, "500.html", {}, 500)


def _page(request: HttpRequest, template: str, context: dict, status: int) -> HttpResponse:
    try:
        from scenarios.registry import listings
        context["scenarios"] = [l for l in listings() if l.scenario is not None]
    except Exception:  # the error page itself must never fail
        context["scenarios"] = []
    return HttpResponse(render_to_string(template, context, request=None), status=status)
