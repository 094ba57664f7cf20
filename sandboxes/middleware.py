"""Turn "the lab is momentarily unavailable" into a clear 503 page instead of a 500.

Two causes: another web process is still building this learner's sandbox (SandboxBusy), or, in multi-process mode,
the gateway process cannot be reached (LabControlError). Neither loses work: the DB keeps progress and edits.
"""
from __future__ import annotations

from typing import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gateway.labcontrol import LabControlError

from .services import SandboxBusy


class LabUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SandboxBusy):
            reason = "Your sandbox is still being prepared by another server process."
        elif isinstance(exception, LabControlError):
            reason = "The lab's AWS gateway is not answering right now."
        else:
            return None
        response = render(request, "503.html", {"reason": reason}, status=503)
        response["Retry-After"] = "5"
        return response
