"""Turn "the lab is momentarily unavailable" into a clear 503 page instead of a 500.

Also the first visit (SandboxNotStarted): a page that starts the session before the sandbox is built.

Two causes: another web process is still building this learner's sandbox (SandboxBusy), or, in multi-process mode,
the gateway process cannot be reached (LabControlError). Neither loses work: the DB keeps progress and edits.
"""
from __future__ import annotations

from django.conf import settings

from typing import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gateway.control.wire import LabControlError

from .models import SandboxBusy
from .services import SandboxNotStarted, TooManyNewSandboxes


class LabUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SandboxNotStarted):
            return _preparing(request)
        if isinstance(exception, TooManyNewSandboxes):
            response = render(request, "sandboxes/too_many_new.html",
                              {"retry_after": exception.retry_after, "limit": settings.LAB_NEW_SANDBOXES_PER_ADDRESS}, status=429)
            response["Retry-After"] = str(exception.retry_after)
            return response
        if isinstance(exception, SandboxBusy):
            reason = "Your sandbox is still being prepared by another server process."
        elif isinstance(exception, LabControlError):
            reason = "The lab's AWS gateway is not answering right now."
        else:
            return None
        response = render(request, "503.html", {"reason": reason}, status=503)
        response["Retry-After"] = "5"
        return response


def _preparing(request: HttpRequest) -> HttpResponse:
    """First visit: a light page that starts the session; the browser comes straight back and the sandbox is built
    while this page stays on screen, so the learner reads what is happening instead of a blank wait."""
    request.session["started"] = True   # saved by SessionMiddleware: the Set-Cookie that ties the retry to us
    response = render(request, "sandboxes/preparing.html", {"again": request.get_full_path()},
                      status=200 if request.method in ("GET", "HEAD") else 409)
    response["Cache-Control"] = "no-store"
    return response
