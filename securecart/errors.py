"""Error pages that help: what went wrong and where to go next, never a bare stack trace."""
from __future__ import annotations

import sys

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
    """Django calls this inside its `except` block, whichever layer raised (a view or a middleware): a shared store
    that is down (Redis) or a gateway that does not answer is no bug of the lab's but a moment's outage, so it is
    the 503 page with a retry hint, and on the AWS endpoint AWS's own 503 ServiceUnavailable in the caller's
    protocol, which SDKs retry."""
    outage = _outage(sys.exc_info()[1])
    if outage:
        if request.path == "/aws" or request.path.startswith(("/aws/", "/imds/")):
            from sandboxes.gatewaymount import aws_error

            response = aws_error(503, "ServiceUnavailable", f"{outage} Try again.", request)
        else:
            response = _page(request, "503.html", {"reason": outage, "again": request.get_full_path()}, 503)
        response["Retry-After"] = "5"
        return response
    return _page(request, "500.html", {}, 500)


def _outage(error: BaseException | None) -> str:
    """What is momentarily unavailable, for an exception that means an outage, else ""."""
    from redis.exceptions import RedisError

    from gateway.control.wire import LabControlError

    if isinstance(error, RedisError):
        return "The lab's shared store (Redis) is not answering right now."
    if isinstance(error, LabControlError):
        return "The lab's AWS gateway is not answering right now."
    return ""


def _page(request: HttpRequest, template: str, context: dict, status: int) -> HttpResponse:
    try:
        from scenarios.registry import listings
        context["scenarios"] = [l for l in listings() if l.scenario is not None]
    except Exception:  # the error page itself must never fail
        context["scenarios"] = []
    return HttpResponse(render_to_string(template, context, request=None), status=status)
