"""Challenge pages and the in-page AWS CLI console: one function view per interaction.

Every view works on the visitor's own sandbox (@with_sandbox: request.sandbox); the console's identities are
looked up only among that sandbox's keys and kept sessions, and the gateway refuses any other sandbox's key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from sandboxes import credentials
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.models import AccessKey, Sandbox
from scenarios import registry

from . import checks, console, kept, seeding
from .catalog import CHALLENGES, TOOL_NAMES, TRACKS, Challenge
from .forms import AnswersForm, ConsoleForm
from .models import ChallengeKey, ChallengeProgress


@dataclass
class Identity:
    value: str
    label: str
    credentials: console.ConsoleCredentials | None


def _challenge_or_404(slug: str) -> Challenge:
    challenge = seeding.challenge(slug)
    if challenge is None:
        raise Http404(f"There is no challenge called “{slug}”.")
    return challenge


def with_challenge(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """URL's `slug` -> the view's `challenge` argument (404 for an unknown one, before any sandbox is loaded)."""
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
        return view(request, _challenge_or_404(slug), **kwargs)
    return wrapper


def identities(sandbox: Sandbox) -> list[Identity]:
    """What the console may sign with: this sandbox's seeded users, the sessions kept by the console, pasted keys."""
    found = []
    for key in [*AccessKey.objects.filter(sandbox=sandbox).order_by("account_name", "user_name"),
                *ChallengeKey.objects.filter(sandbox=sandbox).order_by("account_name", "user_name")]:
        found.append(Identity(f"key:{key.account_name}/{key.user_name}", f"{key.user_name} ({key.account_name})",
                              console.ConsoleCredentials(key.access_key_id, key.secret_access_key)))
    for session in kept.sessions(sandbox.id):
        found.append(Identity(f"session:{session.name}", session.label,
                              console.ConsoleCredentials(session.access_key_id, session.secret_access_key,
                                                         session.session_token)))
    found.append(Identity("pasted", "keys I paste below", None))
    return found


def _console_context(sandbox: Sandbox, selected: str = "", challenge: Challenge | None = None) -> dict[str, Any]:
    if not selected and challenge is not None and challenge.start:
        account, user = challenge.start[0]
        selected = f"key:{account}/{user}"
    return {"identities": identities(sandbox), "selected": selected or "key:production/lab-admin",
            "console_challenge": challenge, "form": ConsoleForm(), "console_status": console.status(), "limits": {
                "seconds": int(console.TIME_LIMIT_SECONDS), "wait_seconds": int(console.WAIT_TIME_LIMIT_SECONDS),
                "kilobytes": console.OUTPUT_LIMIT_BYTES // 1024}}


def _credentials_from(form: ConsoleForm, sandbox: Sandbox) -> console.ConsoleCredentials | None:
    choice = form.cleaned_data["identity"]
    if choice == "pasted":
        if not (form.cleaned_data["access_key_id"] and form.cleaned_data["secret_access_key"]):
            return None
        return console.ConsoleCredentials(form.cleaned_data["access_key_id"], form.cleaned_data["secret_access_key"],
                                          form.cleaned_data["session_token"], "pasted keys")
    for identity in identities(sandbox):
        if identity.value == choice and identity.credentials is not None:
            identity.credentials.label = identity.label
            return identity.credentials
    return None


def _keep_issued_session(sandbox: Sandbox, stdout: str) -> credentials.SessionCredentials | None:
    """An STS answer printed as JSON (assume-role, get-session-token, ...): keep it so it can be chosen next, but only
    once the engine confirms it issued exactly these credentials in this sandbox. The printed text is the learner's
    to shape (`--query` can print any JSON), so nothing of it is trusted: the ARN and expiry kept are the engine's."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    creds = data.get("Credentials") if isinstance(data, dict) else None
    if not isinstance(creds, dict):
        return None
    parts = [creds.get(name) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
    if not all(isinstance(part, str) and 0 < len(part) <= 4096 for part in parts):
        return None
    from sandboxes.labclient import lab

    issued = lab().issued_session(sandbox.id, *parts)
    if issued is None:
        return None
    arn = issued["arn"]
    session = credentials.SessionCredentials(
        name=f"console-{parts[0]}", label=f"{arn.split(':', 5)[-1]} ({parts[0][-6:]})", arn=arn,
        access_key_id=parts[0], secret_access_key=parts[1], session_token=parts[2],
        expiration=issued["expires_at"], issued_by="console")
    kept.keep(sandbox.id, session)
    return session


# ------------------------------------------------------------------------------------------------ console
# Every console and challenge response can carry keys (the credentials picker, start keys, a command's output):
# never_cache makes it `Cache-Control: no-store`, so no browser or proxy cache keeps a copy.
@require_GET
@never_cache
@with_sandbox
def console_page(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    return render(request, "challenges/console.html", {"sandbox": sandbox, **_console_context(sandbox)})


def console_rate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Before any sandbox work: a browser or address sending commands faster than people type gets a short answer
    at once (429), so a script resending on every "busy" costs the server next to nothing."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        browser = request.session.session_key or request.META.get("REMOTE_ADDR", "")
        if console.over_rate(browser, request.META.get("REMOTE_ADDR", "")):
            entry = {"command": str(request.POST.get("command", ""))[:console.MAX_COMMAND_CHARS],
                     "busy": console.SLOW_DOWN}
            # no RequestContext: a fragment needs none of the context processors (a class student's bar costs queries)
            response = HttpResponse(render_to_string("challenges/_console_entry_body.html", {"entry": entry}),
                                    status=429)
            response["Retry-After"] = str(console.RATE_WINDOW)
            return response
        return view(request, *args, **kwargs)
    return wrapper


@require_POST
@never_cache
@console_rate
@with_sandbox
def console_run(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    form = ConsoleForm(request.POST)
    entry: dict[str, Any] = {"command": form.shown("command")}
    status = 200
    if not form.is_valid():
        entry["refused"] = "; ".join(e for errors in form.errors.values() for e in errors)
        status = 400
    else:
        challenge = seeding.challenge(form.cleaned_data["challenge"] or "")
        if challenge is not None:
            seeding.ensure_seeded(sandbox, challenge)
        creds = _credentials_from(form, sandbox)
        try:
            argv = console.parse(form.cleaned_data["command"])
        except console.Refused as refused:
            entry["refused"] = str(refused)
        else:
            if creds is None:
                entry["refused"] = ("choose whose credentials to use, or paste an access key id and secret access key "
                                    "(and a session token for temporary credentials)")
            else:
                requester = console.Requester(sandbox.id, request.session.session_key or "",
                                              request.META.get("REMOTE_ADDR", ""))
                result = console.run(argv, creds, requester)
                entry.update(result=result, identity=creds.label, refused=result.refused, busy=result.busy,
                             decision=console.refusal_explained(sandbox, result), advice=console.policy_advice(argv))
                if result.exit_code == 0:
                    entry["kept"] = _keep_issued_session(sandbox, result.stdout)
    challenge, identity = seeding.challenge(form.shown("challenge")), form.shown("identity")
    if request.htmx:
        context = {"entry": entry, "sandbox": sandbox, **_console_context(sandbox, identity, challenge)}
        return render(request, "challenges/_console_entry.html", context, status=status)
    if challenge is not None:  # without JavaScript: the challenge page again, with the command's output
        context = _challenge_context(request, sandbox, challenge)
        context.update(entry=entry, selected=identity or context["selected"])
        return render(request, "challenges/challenge.html", context, status=status)
    context = {"entry": entry, "sandbox": sandbox, **_console_context(sandbox, identity)}
    return render(request, "challenges/console.html", context, status=status)


# ------------------------------------------------------------------------------------------------ challenges
def progress_of(sandbox: Sandbox, challenge: Challenge) -> ChallengeProgress:
    progress, _ = ChallengeProgress.objects.get_or_create(sandbox=sandbox, challenge=challenge.slug)
    return progress


def _challenge_context(request: HttpRequest, sandbox: Sandbox, challenge: Challenge, **extra: Any) -> dict[str, Any]:
    progress = progress_of(sandbox, challenge)
    values = seeding.values_for(sandbox, challenge)
    scenario = registry.get(challenge.scenario)
    start = []
    for account, user in challenge.start:
        key = seeding.key_of(sandbox, user, account)
        start.append({"account": account, "user": user, "key": key})
    leaked = credentials.get(sandbox.id, seeding.LEAKED_SESSION) if challenge.slug == "revoke-leaked-sessions" else None
    return {
        "sandbox": sandbox, "challenge": challenge, "progress": progress, "scenario": scenario,
        "story": seeding.fill_text(challenge.story, values), "objective": seeding.fill_text(challenge.objective, values),
        "start": start, "tools": [TOOL_NAMES[t] for t in challenge.tools],
        "hints": [seeding.fill_text(h, values) for h in challenge.hints[:progress.hints_shown]],
        "more_hints": progress.hints_shown < len(challenge.hints),
        "solution": [seeding.fill_text(s, values) for s in challenge.solution] if progress.solution_shown else [],
        "check": progress.last_check, "answers_form": extra.pop("answers_form", None) or AnswersForm(challenge),
        "leaked": leaked, **_console_context(sandbox, challenge=challenge), **extra,
    }


@require_GET
@never_cache
@with_sandbox
def challenge_list(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    return render(request, "challenges/list.html", {"sandbox": sandbox, "rows": challenge_rows(sandbox)})


def challenge_rows(sandbox: Sandbox) -> list[dict[str, Any]]:
    solved = dict(ChallengeProgress.objects.filter(sandbox=sandbox, solved_at__isnull=False)
                  .values_list("challenge", "solved_at"))
    return [{"challenge": c, "track": TRACKS[c.track], "solved_at": solved.get(c.slug)} for c in CHALLENGES]


@require_GET
@with_challenge
@never_cache
@with_sandbox
def challenge_page(request: SandboxRequest, challenge: Challenge) -> HttpResponse:
    sandbox = request.sandbox
    seeding.ensure_seeded(sandbox, challenge)
    return render(request, "challenges/challenge.html", _challenge_context(request, sandbox, challenge))


def _back(request: HttpRequest, sandbox: Sandbox, challenge: Challenge, partial: str, **extra: Any) -> HttpResponse:
    if request.htmx:
        return render(request, partial, _challenge_context(request, sandbox, challenge, **extra))
    return redirect(reverse("challenges:detail", args=[challenge.slug]))


@require_POST
@with_challenge
@never_cache
@with_sandbox
def challenge_hint(request: SandboxRequest, challenge: Challenge) -> HttpResponse:
    sandbox = request.sandbox
    progress = progress_of(sandbox, challenge)
    if progress.hints_shown < len(challenge.hints):
        progress.hints_shown += 1
        progress.save(update_fields=["hints_shown", "updated"])
    return _back(request, sandbox, challenge, "challenges/_help.html")


@require_POST
@with_challenge
@never_cache
@with_sandbox
def challenge_solution(request: SandboxRequest, challenge: Challenge) -> HttpResponse:
    sandbox = request.sandbox
    progress = progress_of(sandbox, challenge)
    progress.hints_shown, progress.solution_shown = len(challenge.hints), True
    progress.save(update_fields=["hints_shown", "solution_shown", "updated"])
    return _back(request, sandbox, challenge, "challenges/_help.html")


@require_POST
@with_challenge
@never_cache
@with_sandbox
def challenge_check(request: SandboxRequest, challenge: Challenge) -> HttpResponse:
    sandbox = request.sandbox
    form = AnswersForm(challenge, request.POST)
    if challenge.answers and not form.is_valid():
        context = _challenge_context(request, sandbox, challenge, answers_form=form)
        return render(request, "challenges/_check.html" if request.htmx else "challenges/challenge.html", context,
                      status=400)
    seeding.ensure_seeded(sandbox, challenge)
    result = checks.check(sandbox, challenge, form.cleaned_data if challenge.answers else {})
    progress = progress_of(sandbox, challenge)
    progress.attempts += 1
    progress.last_check = result.to_dict()
    if result.passed and progress.solved_at is None:
        progress.solved_at = dj_timezone.now()
    progress.save()
    if request.htmx:
        return render(request, "challenges/_check.html",
                      _challenge_context(request, sandbox, challenge, answers_form=form))
    return redirect(reverse("challenges:detail", args=[challenge.slug]))


@require_POST
@with_challenge
@never_cache
@with_sandbox
def challenge_reset(request: SandboxRequest, challenge: Challenge) -> HttpResponse:
    sandbox = request.sandbox
    seeding.reset_challenge(sandbox, challenge)
    progress = progress_of(sandbox, challenge)
    progress.last_check = None
    progress.save(update_fields=["last_check", "updated"])
    from django.contrib import messages

    messages.success(request, f"“{challenge.title}” was reset: its roles and users are back as seeded, with new "
                              "access keys. A solved challenge stays solved.")
    return redirect(reverse("challenges:detail", args=[challenge.slug]))

