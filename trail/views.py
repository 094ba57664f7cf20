"""Event history, one event, its trace, detections and the Defend exercises, for the visitor's own sandbox."""
from __future__ import annotations

import uuid
from functools import wraps
from typing import Any, Callable

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from engine.cloudtrail import detect, origin
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.explain import sandbox_decision

from . import exclusions, exercises, store
from .forms import DefendAnswerForm, HistoryFilterForm, PageForm
from .models import DefendAttempt, TrailEvent

PAGE_SIZE = 50
DETECTION_WINDOW = 10_000   # detections read at most the newest events kept


def with_trail(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Load the visitor's sandbox (@with_sandbox) and bring its events up to date (drain what the gateway
    buffered)."""
    @wraps(view)
    @with_sandbox
    def wrapper(request: SandboxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        store.persist()
        return view(request, *args, **kwargs)
    return wrapper


def _event_or_404(request: SandboxRequest, event_id: uuid.UUID) -> TrailEvent:
    try:
        return TrailEvent.objects.get(sandbox=request.sandbox, event_id=str(event_id))
    except TrailEvent.DoesNotExist:
        raise Http404("No such event in your sandbox") from None


@require_GET
@with_trail
def history(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    form = HistoryFilterForm(request.GET or None)
    events = store.filtered(sandbox, **(form.filters() if request.GET else {}))
    paginator = Paginator(events, PAGE_SIZE)
    paging = PageForm(request.GET)
    # lenient: a page number is only where to look, so a bad one ("x", 0, -3) shows the first page
    page = paginator.get_page(paging.cleaned_data["page"] if paging.is_valid() else 1)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"sandbox": sandbox, "form": form, "page": page, "query": query.urlencode(),
               "accounts": {a.account_id: a.name for a in sandbox.accounts.all()}}
    template = "trail/history.html#events" if request.htmx else "trail/history.html"
    return render(request, template, context, status=400 if form.is_bound and not form.is_valid() else 200)


@require_GET
@with_trail
def event_detail(request: SandboxRequest, event_id: uuid.UUID) -> HttpResponse:
    event = _event_or_404(request, event_id)
    decision = sandbox_decision(request.sandbox, event.record.get("requestID"))
    return render(request, "trail/event.html", {"event": event, "decision": decision})


@require_GET
@with_trail
def trace_view(request: SandboxRequest, event_id: uuid.UUID) -> HttpResponse:
    sandbox = request.sandbox
    event = _event_or_404(request, event_id)
    hops = exercises.chain_for(sandbox, event)
    return render(request, "trail/trace.html", {
        "event": event, "hops": hops, "origin": origin(hops),
        "accounts": {a.account_id: a.name for a in sandbox.accounts.all()}})


@require_GET
@with_trail
def findings(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    records = list(TrailEvent.objects.filter(sandbox=sandbox).newest_first()
                   .values_list("record", flat=True)[:DETECTION_WINDOW])
    # the lab's own probes (a challenge checker's) are no learner's activity to detect
    records = exclusions.learners_own(sandbox, records)
    return render(request, "trail/findings.html", {"findings": detect(records), "count": len(records)})


@require_http_methods(["GET", "POST"])
@with_trail
def defend(request: SandboxRequest, number: int) -> HttpResponse:
    sandbox = request.sandbox
    exercise = exercises.EXERCISES.get(number)
    if exercise is None:
        raise Http404("No Defend exercise for this scenario")
    form = DefendAnswerForm(request.POST or None)
    verdict, subject = None, exercises.subject_event(sandbox, exercise)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            verdict, subject = exercises.check(sandbox, exercise, form.cleaned_data["answer"])
            if verdict is not None:
                DefendAttempt.objects.create(sandbox=sandbox, scenario=number, answer=form.cleaned_data["answer"],
                                             correct=verdict)
        else:
            status = 400
    solved = DefendAttempt.objects.filter(sandbox=sandbox, scenario=number, correct=True).exists()
    return render(request, "trail/defend.html", {
        "exercise": exercise, "form": form, "verdict": verdict, "subject": subject, "solved": solved,
        "no_events": subject is None}, status=status)
