"""Scenarios the instructor has locked stay closed to the class's students (pages and actions alike)."""
from __future__ import annotations

from typing import Any, Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .access import NOT_A_STUDENT, STUDENT_KEY, request_student, student_for_request


class LockedScenarioMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_student.set(None)
        try:
            return self.get_response(request)
        finally:
            request_student.reset(token)

    def process_view(self, request: HttpRequest, view: Callable, args: Any, kwargs: dict) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace != "scenarios":
            return None
        if not request.session.get(STUDENT_KEY):
            request_student.set(NOT_A_STUDENT)
            return None
        student = student_for_request(request)
        request_student.set(student)
        if student is None or kwargs.get("slug") not in student.classroom.locked_scenarios:
            return None
        if getattr(request, "htmx", False):
            # A Run (or any htmx action) on a page opened before the instructor locked the scenario: htmx swaps no
            # 403, so the student would read "the page is out of date". Send the whole page to the locked notice.
            return HttpResponseClientRedirect(reverse("scenarios:start", args=[kwargs["slug"]]), status=204)
        return render(request, "classroom/locked.html", {"classroom": student.classroom}, status=403)
