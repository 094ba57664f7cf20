"""View decorators of the scenario player: the scenario and step named in the URL, loaded once (404 otherwise)."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from django.http import Http404, HttpRequest, HttpResponse

from . import registry
from .framework import Scenario, Step

View = Callable[..., HttpResponse]


def scenario_or_404(slug: str) -> Scenario:
    scenario = registry.get(slug)
    if scenario is None:
        raise Http404(f"There is no scenario called “{slug}”.")
    return scenario


def step_or_404(scenario: Scenario, step_slug: str) -> Step:
    step = scenario.step(step_slug)
    if step is None:
        raise Http404(f"Scenario “{scenario.title}” has no step called “{step_slug}”.")
    return step


def with_scenario(view: View) -> View:
    """URL's `slug` -> the view's `scenario` argument."""
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
        return view(request, scenario_or_404(slug), **kwargs)
    return wrapper


def with_step(view: View) -> View:
    """URL's `slug` and `step_slug` -> the view's `scenario` and `step` arguments."""
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, step_slug: str, **kwargs: Any) -> HttpResponse:
        scenario = scenario_or_404(slug)
        return view(request, scenario, step_or_404(scenario, step_slug), **kwargs)
    return wrapper


def editable_trust_required(view: View) -> View:
    """Under @with_step: the trust-policy editor's actions exist only on a step that has the editor."""
    @wraps(view)
    def wrapper(request: HttpRequest, scenario: Scenario, step: Step, **kwargs: Any) -> HttpResponse:
        if step.editable_trust is None:
            raise Http404("This step has no editable trust policy.")
        return view(request, scenario, step, **kwargs)
    return wrapper
