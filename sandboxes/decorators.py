"""View decorators for the visitor's sandbox, in healthchecks.io's style (hc/api/decorators.py `authorize` sets
`request.project`): the decorator loads what the view needs and sets it on the request, the view stays small."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from django.http import HttpRequest, HttpResponse

from . import services
from .models import Sandbox


class SandboxRequest(HttpRequest):
    """A request that went through @with_sandbox (for type hints only)."""

    sandbox: Sandbox


View = Callable[..., HttpResponse]


def with_sandbox(view: View) -> View:
    """Load the visitor's sandbox (sandboxes.services.sandbox_for_request: built on first visit, rebuilt after a
    restart) into `request.sandbox`. Put it under the decorators that refuse a request (405, 404) so a refused
    request builds nothing."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.sandbox = services.sandbox_for_request(request)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)
    return wrapper
