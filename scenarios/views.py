"""The scenario player: one function view per interaction. Each renders the full step page, or for htmx only
the step's workspace (policies, editor, result, credential cards), from the same template."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from django.core.exceptions import BadRequest
from django.db.models import Case, F, JSONField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gateway.redact import shorten_token
from sandboxes import credentials, services
from sandboxes.credentials import SessionCredentials
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.models import Sandbox, StepProgress, StepRun, TrustPolicyEdit
from sandboxes.operator import OPERATOR
from sandboxes.results import Needs, StepResult
from sandboxes.world import seeded_trust_policy

from . import registry
from .decorators import editable_trust_required, with_scenario, with_step
from .forms import FastForwardForm, RunForm, TrustPolicyForm, trust_policy_advice
from .framework import NeedsEarlierStep, Scenario, Step, StepContext, different_outcome
from .policyview import align_trace_lines, build_panel

log = logging.getLogger(__name__)


def _step_url(scenario: Scenario, step: Step) -> str:
    return reverse("scenarios:step", args=[scenario.slug, step.slug])


def _progress(sandbox: Sandbox, scenario: Scenario) -> dict[str, StepProgress]:
    return {p.step: p for p in StepProgress.objects.filter(sandbox=sandbox, scenario=scenario.slug)}


def _progress_showing(sandbox: Sandbox, scenario: Scenario, step: Step) -> dict[str, StepProgress]:
    """The scenario's progress rows, in one query, with only `step`'s last result read: the stepper needs the
    others' completion, and decoding every step's stored result was ~0.1 ms each on every step page and Run. The
    other rows' last_result stays deferred (reading it would cost a query each: nothing on the step page does)."""
    rows = StepProgress.objects.filter(sandbox=sandbox, scenario=scenario.slug).defer("last_result").annotate(
        shown_result=Case(When(step=step.slug, then=F("last_result")), default=Value(None),
                          output_field=JSONField()))
    progress = {}
    for row in rows:
        if row.step == step.slug:
            row.last_result = row.shown_result
        progress[row.step] = row
    return progress


def _card(sandbox: Sandbox, name: str, now: datetime, known: SessionCredentials | None = None) -> dict[str, Any]:
    creds = known or credentials.get(sandbox.id, name)
    if creds is None:
        return {"name": name, "creds": None}
    remaining = (creds.expires_at - now).total_seconds()
    return {"name": name, "creds": creds, "remaining": max(0, int(remaining)), "expired": remaining <= 0,
            "expires_epoch": creds.expires_at.timestamp(), "token_short": shorten_token(creds.session_token)}


def _context(request: HttpRequest, sandbox: Sandbox, scenario: Scenario, step: Step, *,
             editor_text: str | None = None, editor_error: dict[str, Any] | None = None,
             editor_saved: bool = False, evaluated: bool = False,
             kept_sessions: dict[str, SessionCredentials] | None = None) -> dict[str, Any]:
    progress = _progress_showing(sandbox, scenario, step)
    current = progress.get(step.slug)
    result, result_problem = current.stored_result() if current else (None, "")
    decisions = result.decisions() if result else []
    accounts = sandbox.account_ids()
    # evaluated: the result was made just now, so the panels show the documents its decisions evaluated
    panels = [build_panel(accounts[ref.account], ref, decisions, evaluated=evaluated) for ref in step.policies]
    align_trace_lines(decisions, panels)
    now = services.sandbox_now(sandbox)
    edit = None
    if step.editable_trust is not None:
        ref = step.editable_trust
        edit = TrustPolicyEdit.objects.filter(sandbox=sandbox, account_name=ref.account, role_name=ref.role).first()
        if editor_text is None:
            editor_text = edit.document if edit else json.dumps(seeded_trust_policy(ref.role, accounts), indent=2)
    index = scenario.index_of(step)
    sessions = list(step.shows_sessions)
    for name in result.sessions if result else []:
        if name not in sessions:
            sessions.append(name)
    return {
        "sandbox": sandbox, "scenario": scenario, "step": step, "index": index,
        "previous": scenario.steps[index - 1] if index > 0 else None,
        "next": scenario.steps[index + 1] if index + 1 < len(scenario.steps) else None,
        "progress": progress, "result": result, "result_problem": result_problem, "panels": panels,
        # kept_sessions: what the run just kept (StepContext.kept_sessions), not read again
        "cards": [_card(sandbox, name, now, (kept_sessions or {}).get(name)) for name in sessions],
        "now": now, "now_epoch": now.timestamp(), "clock_offset": int(sandbox.clock_offset_seconds),
        "editor_text": editor_text, "editor_error": editor_error, "editor_saved": editor_saved,
        "editor_advice": trust_policy_advice(editor_text) if editor_text and not editor_error else [],
        "trust_edited": edit is not None,
        "diagram": step.diagram,
        "step_url": _step_url(scenario, step),
    }


def _trust_edited(sandbox: Sandbox, step: Step) -> bool:
    ref = step.editable_trust
    return ref is not None and TrustPolicyEdit.objects.filter(sandbox=sandbox, account_name=ref.account,
                                                              role_name=ref.role).exists()


def _render_step(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    template = "scenarios/step.html"
    if request.htmx:
        template += "#workspace"
    return render(request, template, context, status=status)


def _after_post(request: HttpRequest, sandbox: Sandbox, scenario: Scenario, step: Step, anchor: str = "result",
                *, evaluated: bool = False, kept_sessions: dict[str, SessionCredentials] | None = None
                ) -> HttpResponse:
    # Plain form posts redirect (POST/redirect/GET); htmx gets the refreshed workspace straight away.
    if request.htmx:
        return _render_step(request, _context(request, sandbox, scenario, step, evaluated=evaluated,
                                              kept_sessions=kept_sessions))
    return redirect(_step_url(scenario, step) + f"#{anchor}")


def _completed(sandbox: Sandbox) -> dict[str, set[str]]:
    done: dict[str, set[str]] = {}
    for p in StepProgress.objects.filter(sandbox=sandbox, completed_at__isnull=False):
        done.setdefault(p.scenario, set()).add(p.step)
    return done


@require_GET
@with_sandbox
def home(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    done = _completed(sandbox)
    rows, use_cases, variations = [], [], {}
    for listing in registry.listings():
        scenario = listing.scenario
        completed = len(done.get(scenario.slug, set()) & {s.slug for s in scenario.steps}) if scenario else 0
        row = {"listing": listing, "completed": completed, "total": len(scenario.steps) if scenario else 0}
        if scenario is not None and scenario.kind == "variation":
            variations.setdefault(scenario.variation_of, []).append(scenario)
        elif scenario is not None and scenario.kind == "use-case":
            use_cases.append(row)
        else:
            rows.append(row)
    for row in rows + use_cases:
        scenario = row["listing"].scenario
        row["variations"] = variations.get(scenario.slug, []) if scenario else []
    return render(request, "scenarios/home.html", {"rows": rows, "use_cases": use_cases, "sandbox": sandbox})


@require_GET
@with_scenario
@with_sandbox
def overview(request: SandboxRequest, scenario: Scenario) -> HttpResponse:
    """Before step 1: what the learner will be able to do, what they need first, how long it takes."""
    sandbox = request.sandbox
    progress = _progress(sandbox, scenario)
    done = sum(1 for step in scenario.steps if progress.get(step.slug) and progress[step.slug].completed_at)
    return render(request, "scenarios/overview.html", {
        "scenario": scenario, "progress": progress, "done": done, "parent": registry.get(scenario.variation_of),
        "variations": registry.variations_of(scenario.slug)})


@require_GET
@with_scenario
@with_sandbox
def recap(request: SandboxRequest, scenario: Scenario) -> HttpResponse:
    """After the last step: what STS did at each step, the AWS rules met, what to try next."""
    from . import recap as recap_data

    sandbox = request.sandbox
    progress = _progress(sandbox, scenario)
    summaries = recap_data.step_summaries(scenario, progress)
    following = next((s for s in registry.all_scenarios().values()
                      if s.kind == "scenario" and s.number > scenario.number), None)
    return render(request, "scenarios/recap.html", {
        "scenario": scenario, "progress": progress, "summaries": summaries, "last_step": scenario.steps[-1],
        "done": sum(1 for row in summaries if row["done"]), "questions": recap_data.quiz_questions(scenario),
        "next_steps": recap_data.next_steps(scenario, sandbox), "following": following,
        "parent": registry.get(scenario.variation_of), "variations": registry.variations_of(scenario.slug)})


@require_GET
@with_scenario
@with_sandbox
def scenario_start(request: SandboxRequest, scenario: Scenario) -> HttpResponse:
    sandbox = request.sandbox
    progress = _progress(sandbox, scenario)
    # Resume: the first step not completed yet (or the last one when all are done).
    for step in scenario.steps:
        if not (progress.get(step.slug) and progress[step.slug].completed_at):
            return redirect(_step_url(scenario, step))
    return redirect(_step_url(scenario, scenario.steps[-1]))


@require_GET
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_step
@with_sandbox
def step_page(request: SandboxRequest, scenario: Scenario, step: Step) -> HttpResponse:
    return _render_step(request, _context(request, request.sandbox, scenario, step))


def run_and_store(sandbox: Sandbox, scenario: Scenario, step: Step, variant: str = ""
                  ) -> tuple[StepResult, dict[str, SessionCredentials]]:
    """Run the step (or one of its what-ifs) for real and keep the result on the learner's progress row. Returns
    the result and the sessions the run kept (the credentials cards need not read them again)."""
    ctx = StepContext(sandbox, origin=_step_url(scenario, step))
    what_if = step.what_if(variant) if variant else None
    try:
        if what_if is not None:
            what_if.run(ctx)
            result = ctx.result(variant=what_if.slug, variant_label=what_if.label, explanation=what_if.explanation)
            if not result.succeeded:
                # The written explanation describes SecureCart's policies; the learner's (edited) ones decided
                # otherwise, so say what the engine decided instead of contradicting the result on screen.
                result.explanation = different_outcome(result.calls, edited=_trust_edited(sandbox, step))
        else:
            step.run(ctx)
            result = ctx.result(variant="", variant_label=step.run_label)
    except NeedsEarlierStep as missing:
        earlier = scenario.step(missing.step_slug)
        result = ctx.result(variant=variant, variant_label="")
        result.succeeded = False
        result.needs = Needs(missing.message, earlier.title if earlier else missing.step_slug,
                             _step_url(scenario, earlier) if earlier else "")
    StepProgress.record_run(sandbox, scenario.slug, step.slug, result,
                            run=StepRun.OWN if what_if is None else StepRun.WHAT_IF)
    return result, ctx.kept_sessions


@require_POST
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_step
@with_sandbox
def run_step(request: SandboxRequest, scenario: Scenario, step: Step) -> HttpResponse:
    form = RunForm(request.POST)
    if not form.is_valid():   # a missing variant is the step's own run; a NUL or any other non-slug is refused
        raise BadRequest(f"“variant” must be one of this step's “what if” names: {form.errors['variant'][0]}")
    variant = form.cleaned_data["variant"]
    if variant and step.what_if(variant) is None:
        raise Http404(f"This step has no “what if” called “{variant}”.")
    sandbox = request.sandbox
    writes = OPERATOR.policy_writes()
    _, kept = run_and_store(sandbox, scenario, step, variant)
    # Unless the step itself changed a policy behind the engine's back (a what-if that swaps one in and restores
    # it), the documents the engine just evaluated are the sandbox's: the panels need not read them again.
    return _after_post(request, sandbox, scenario, step, evaluated=OPERATOR.policy_writes() == writes,
                       kept_sessions=kept)


@require_POST
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_step
@with_sandbox
def check_session(request: SandboxRequest, scenario: Scenario, step: Step, name: str) -> HttpResponse:
    """Prove a session's state: call GetCallerIdentity with it (ExpiredToken once it has expired)."""
    sandbox = request.sandbox
    creds = credentials.get(sandbox.id, name)
    if creds is None:
        raise Http404("Those credentials are not issued (yet) in your sandbox.")
    ctx = StepContext(sandbox, origin=_step_url(scenario, step))
    keys = ctx.session(name, made_by=step.slug)
    expired = creds.expires_at <= services.sandbox_now(sandbox)
    ctx.call(f"GetCallerIdentity with the {creds.label}", ctx.client("sts", keys).get_caller_identity,
             signer=keys, expect="ExpiredToken" if expired else None)
    result = ctx.result(variant=f"check:{name}", variant_label="Make a call with these credentials")
    StepProgress.record_run(sandbox, scenario.slug, step.slug, result, teaches_expiry=step.teaches_expiry,
                            run=StepRun.EXPIRED_SESSION_CHECK if expired else StepRun.LIVE_SESSION_CHECK)
    return _after_post(request, sandbox, scenario, step)


@require_POST
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_step
@with_sandbox
def fast_forward(request: SandboxRequest, scenario: Scenario, step: Step) -> HttpResponse:
    sandbox = request.sandbox
    form = FastForwardForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors["by"][0])
    seconds = form.seconds
    if seconds is None:
        creds = credentials.get(sandbox.id, form.session)
        if creds is None:
            raise Http404("Those credentials are not issued (yet) in your sandbox.")
        seconds = (creds.expires_at - services.sandbox_now(sandbox)).total_seconds() + 1
    if seconds > 0:
        sandbox.advance_clock(seconds)
    return _after_post(request, sandbox, scenario, step, anchor="sessions")


@require_POST
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_step
@editable_trust_required
@with_sandbox
def save_trust_policy(request: SandboxRequest, scenario: Scenario, step: Step) -> HttpResponse:
    sandbox, ref = request.sandbox, step.editable_trust
    form = TrustPolicyForm(request.POST)
    text = form.text
    error = form.problem or _apply_through_gateway(sandbox, ref.account, ref.role, text)
    if error is not None:
        context = _context(request, sandbox, scenario, step, editor_text=text, editor_error=error)
        return _render_step(request, context, status=200 if request.htmx else 400)
    TrustPolicyEdit.objects.update_or_create(sandbox=sandbox, account_name=ref.account, role_name=ref.role,
                                             defaults={"document": text})
    writes = OPERATOR.policy_writes()
    _, kept = run_and_store(sandbox, scenario, step)  # the step re-runs against the learner's policy
    if request.htmx:
        return _render_step(request, _context(request, sandbox, scenario, step, editor_saved=True,
                                              evaluated=OPERATOR.policy_writes() == writes, kept_sessions=kept))
    return redirect(_step_url(scenario, step) + "#result")


@require_POST
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_step
@editable_trust_required
@with_sandbox
def restore_trust_policy(request: SandboxRequest, scenario: Scenario, step: Step) -> HttpResponse:
    sandbox, ref = request.sandbox, step.editable_trust
    original = json.dumps(seeded_trust_policy(ref.role, sandbox.account_ids()), indent=2)
    services.apply_trust_policy(sandbox, ref.account, ref.role, original)
    TrustPolicyEdit.objects.filter(sandbox=sandbox, account_name=ref.account, role_name=ref.role).delete()
    return _after_post(request, sandbox, scenario, step, anchor="editor")


def _apply_through_gateway(sandbox: Sandbox, account_name: str, role_name: str, text: str) -> dict[str, Any] | None:
    """Save as the account's administrator would: UpdateAssumeRolePolicy through the gateway (AWS checks apply)."""
    from botocore.exceptions import ClientError

    from sandboxes.labclient import learner_client
    from sandboxes.world import ADMIN_USER

    key = services.key_for(sandbox, account_name, ADMIN_USER)
    iam = learner_client("iam", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)
    try:
        iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=text)
    except ClientError as error:
        err = error.response.get("Error", {})
        return {"message": f"{err.get('Code')}: {err.get('Message')}", "line": None, "column": None}
    return None
