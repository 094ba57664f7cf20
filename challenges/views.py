"""Challenge pages, the in-page AWS CLI console and the policy editor: one function view per interaction.

Every view works on the visitor's own sandbox (@with_sandbox: request.sandbox); the console's identities are
looked up only among that sandbox's keys, kept sessions and instances, and the gateway refuses any other sandbox's
key.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from sandboxes import credentials, imdsmount, services
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.models import AccessKey, Sandbox
from scenarios import registry
from securecart.throttle import count_in_window

from . import catalog, checks, console, kept, probes, schema, seeding
from .catalog import ATTACKER, TRACKS, Challenge
from .forms import AnswersForm, ConsoleForm, ConsolePrefillForm, PolicyEditorForm
from .models import ChallengeKey, ChallengeProgress


@dataclass
class Identity:
    value: str
    label: str
    credentials: console.ConsoleCredentials | None
    instance_id: str = ""


def _challenge_or_404(slug: str) -> Challenge:
    challenge = catalog.get(slug)
    if challenge is None:
        raise Http404(f"There is no challenge called “{slug}”.")
    return challenge


def with_challenge(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """URL's `slug` -> the view's `challenge` argument (404 for an unknown one, before any sandbox is loaded)."""
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
        return view(request, _challenge_or_404(slug), **kwargs)
    return wrapper


def identities(sandbox: Sandbox, *, instances: bool = True) -> list[Identity]:
    """What the console may sign with: this sandbox's seeded users, the sessions kept by the console (an expired
    one says so, on the sandbox clock), its instances' metadata services (unless `instances` is False: looking
    them up reads every account's EC2), and pasted keys."""
    found = []
    for key in [*AccessKey.objects.filter(sandbox=sandbox).order_by("account_name", "user_name"),
                *ChallengeKey.objects.filter(sandbox=sandbox).order_by("account_name", "user_name")]:
        found.append(Identity(f"key:{key.account_name}/{key.user_name}", f"{key.user_name} ({key.account_name})",
                              console.ConsoleCredentials(key.access_key_id, key.secret_access_key)))
    now = services.sandbox_now(sandbox)
    for session in kept.sessions(sandbox.id):
        label = session.label + (" — expired" if session.expires_at <= now else "")
        found.append(Identity(f"session:{session.name}", label,
                              console.ConsoleCredentials(session.access_key_id, session.secret_access_key,
                                                         session.session_token)))
    for instance in imdsmount.sandbox_instances(sandbox) if instances else []:
        if instance["instance_profile"]:
            found.append(Identity(f"instance:{instance['instance_id']}",
                                  f"instance {instance['instance_id']} ({instance['instance_profile']}): its metadata "
                                  "service", None, instance["instance_id"]))
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


def instance_credentials(sandbox: Sandbox, instance_id: str) -> console.ConsoleCredentials | None:
    """The role credentials an instance's metadata service hands out, fetched with IMDSv2 through the same metadata
    address the Terminal page gives curl (so the lab records the same AssumeRole by ec2.amazonaws.com)."""
    if instance_id not in {i["instance_id"] for i in imdsmount.sandbox_instances(sandbox)}:
        return None
    app = imdsmount.imds_app()
    token = app.handle("PUT", f"/{instance_id}/latest/api/token", {"x-aws-ec2-metadata-token-ttl-seconds": "300"})
    headers = {"x-aws-ec2-metadata-token": token.body.decode() if isinstance(token.body, bytes) else token.body}
    roles = app.handle("GET", f"/{instance_id}/latest/meta-data/iam/security-credentials/", headers)
    role = (roles.body.decode() if isinstance(roles.body, bytes) else roles.body).strip().splitlines()
    if roles.status != 200 or not role:
        return None
    answer = app.handle("GET", f"/{instance_id}/latest/meta-data/iam/security-credentials/{role[0]}", headers)
    if answer.status != 200:
        return None
    data = json.loads(answer.body)
    return console.ConsoleCredentials(data["AccessKeyId"], data["SecretAccessKey"], data["Token"],
                                      f"instance {instance_id} ({role[0]})")


def _credentials_from(form: ConsoleForm, sandbox: Sandbox) -> console.ConsoleCredentials | None:
    choice = form.cleaned_data["identity"]
    if choice == "pasted":
        if not (form.cleaned_data["access_key_id"] and form.cleaned_data["secret_access_key"]):
            return None
        return console.ConsoleCredentials(form.cleaned_data["access_key_id"], form.cleaned_data["secret_access_key"],
                                          form.cleaned_data["session_token"], "pasted keys")
    if choice.startswith("instance:"):   # instance_credentials refuses an instance that is not this sandbox's
        return instance_credentials(sandbox, choice[len("instance:"):])
    for identity in identities(sandbox, instances=False):
        if identity.value != choice:
            continue
        if identity.credentials is not None:
            identity.credentials.label = identity.label
            return identity.credentials
    return None


# `--output table`: a rule of dashes, then a row between bars; shown unwrapped (the log scrolls sideways)
_TABLE = re.compile(r"^-+\n\|")
# What STS prints, in any shape --query and --output give it: a key id, a secret and a token among the words.
_SESSION_KEY_ID = re.compile(r"^ASIA[A-Z0-9]{16}$")
_SECRET_KEY = re.compile(r"^[A-Za-z0-9/+]{40}$")
_SESSION_TOKEN = re.compile(r"^[A-Za-z0-9/+=]{100,4096}$")


def _printed_words(stdout: str) -> list[str]:
    try:
        data = json.loads(stdout)
    except ValueError:
        return stdout.split()[:500]
    words: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            words.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(data)
    return words[:500]


def _keep_issued_session(sandbox: Sandbox, stdout: str) -> tuple[credentials.SessionCredentials | None, str]:
    """An STS answer the console printed (assume-role, get-session-token, ...), however `--query` and `--output`
    shaped it: keep it so it can be chosen next, but only once the engine confirms it issued exactly these
    credentials in this sandbox. The printed text is the learner's to shape (`--query` can print any JSON), so
    nothing of it is trusted: the ARN and expiry kept are the engine's. Returns (kept, why not kept)."""
    words = list(dict.fromkeys(w for w in _printed_words(stdout) if len(w) <= 4096))
    key_ids = [w for w in words if _SESSION_KEY_ID.match(w)][:3]
    if not key_ids:
        return None, ""
    secrets_ = [w for w in words if _SECRET_KEY.match(w)][:5]
    tokens = [w for w in words if _SESSION_TOKEN.match(w) and w not in secrets_][:3]
    from sandboxes.labclient import lab

    for key_id in key_ids:
        for secret in secrets_:
            for token in tokens:
                issued = lab().issued_session(sandbox.id, key_id, secret, token)
                if issued is None:
                    continue
                arn = issued["arn"]
                session = credentials.SessionCredentials(
                    name=f"console-{key_id}", label=f"{arn.split(':', 5)[-1]} ({key_id[-6:]})", arn=arn,
                    access_key_id=key_id, secret_access_key=secret, session_token=token,
                    expiration=issued["expires_at"], issued_by="console")
                kept.keep(sandbox.id, session)
                return session, ""
    return None, ("the output shows a session's key id but not its secret access key and session token, so the "
                  "console cannot use it: print the whole Credentials (no --query) to keep it")


# ------------------------------------------------------------------------------------------------ console
# Every console and challenge response can carry keys (the credentials picker, start keys, a command's output):
# never_cache makes it `Cache-Control: no-store`, so no browser or proxy cache keeps a copy.
@require_GET
@never_cache
@with_sandbox
def console_page(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    prefill = ConsolePrefillForm(request.GET)
    command, selected = "", ""
    if prefill.is_valid():   # an invalid prefill is ignored: the console opens as usual
        command = prefill.cleaned_data["command"]
        offered = {identity.value for identity in identities(sandbox)}
        selected = prefill.cleaned_data["identity"] if prefill.cleaned_data["identity"] in offered else ""
    context = _console_context(sandbox, selected)
    return render(request, "challenges/console.html", {"sandbox": sandbox, **context, "prefill_command": command})


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


def run_command(request: SandboxRequest, sandbox: Sandbox, command: str, creds: console.ConsoleCredentials | None,
                entry: dict[str, Any]) -> None:
    """Run one console command line for this learner; the entry the log shows gets its outcome."""
    try:
        argv = console.parse(command)
    except console.Refused as refused:
        entry["refused"] = str(refused)
        return
    if creds is None:
        entry["refused"] = ("choose whose credentials to use, or paste an access key id and secret access key (and a "
                            "session token for temporary credentials)")
        return
    requester = console.Requester(sandbox.id, request.session.session_key or "", request.META.get("REMOTE_ADDR", ""))
    result = console.run(argv, creds, requester)
    entry.update(result=result, identity=creds.label, refused=result.refused, busy=result.busy,
                 table=bool(_TABLE.match(result.stdout)), decision=console.refusal_explained(sandbox, result),
                 advice=console.policy_advice(argv))
    if result.exit_code == 0:
        entry["kept"], entry["not_kept"] = _keep_issued_session(sandbox, result.stdout)


def _console_answer(request: SandboxRequest, sandbox: Sandbox, entry: dict[str, Any], status: int, challenge_slug: str,
                    identity: str) -> HttpResponse:
    challenge = catalog.get(challenge_slug)
    if request.htmx:
        context = {"entry": entry, "sandbox": sandbox, **_console_context(sandbox, identity, challenge)}
        return render(request, "challenges/_console_entry.html", context, status=status)
    if challenge is not None:  # without JavaScript: the challenge page again, with the command's output
        context = _challenge_context(request, sandbox, challenge)
        context.update(entry=entry, selected=identity or context["selected"])
        return render(request, "challenges/challenge.html", context, status=status)
    context = {"entry": entry, "sandbox": sandbox, **_console_context(sandbox, identity)}
    return render(request, "challenges/console.html", context, status=status)


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
        challenge = catalog.get(form.cleaned_data["challenge"] or "")
        if challenge is not None:
            seeding.ensure_seeded(sandbox, challenge)
        run_command(request, sandbox, form.cleaned_data["command"], _credentials_from(form, sandbox), entry)
    return _console_answer(request, sandbox, entry, status, form.shown("challenge"), form.shown("identity"))


# ------------------------------------------------------------------------------------------------ policy editor
@require_POST
@never_cache
@console_rate
@with_sandbox
def editor_apply(request: SandboxRequest) -> HttpResponse:
    """The policy editor's Apply: the engine parses the document first (a mistake comes back with its line and
    column, the text kept), then the same console path runs the IAM command that writes it."""
    sandbox = request.sandbox
    form = PolicyEditorForm(request.POST)
    challenge_slug = str(request.POST.get("challenge", ""))[:64]
    challenge = catalog.get(challenge_slug)
    # without JavaScript the console's credentials picker is not sent along: the challenge's first start identity
    identity = str(request.POST.get("identity", ""))[:200] or (
        f"key:{challenge.start[0][0]}/{challenge.start[0][1]}" if challenge else "key:production/lab-admin")
    if not form.is_valid():
        if request.htmx:
            response = render(request, "challenges/_editor.html",
                              {"editor_form": form, "console_challenge": challenge, "sandbox": sandbox}, status=400)
            return reswap(retarget(response, "#policy-editor"), "outerHTML")
        if challenge is not None:
            context = _challenge_context(request, sandbox, challenge, editor_form=form)
            return render(request, "challenges/challenge.html", context, status=400)
        raise Http404("the policy editor belongs to a challenge page")
    command = form.command()
    entry: dict[str, Any] = {"command": command, "from_editor": True}
    console_form = ConsoleForm({"command": "aws sts get-caller-identity", "identity": identity,
                                **{k: request.POST.get(k, "") for k in ("access_key_id", "secret_access_key",
                                                                        "session_token")}})
    creds = _credentials_from(console_form, sandbox) if console_form.is_valid() else None
    if challenge is not None:
        seeding.ensure_seeded(sandbox, challenge)
    run_command(request, sandbox, command, creds, entry)
    return _console_answer(request, sandbox, entry, 200, challenge_slug, identity)


# ------------------------------------------------------------------------------------------------ challenges
def progress_of(sandbox: Sandbox, challenge: Challenge) -> ChallengeProgress:
    progress, _ = ChallengeProgress.objects.get_or_create(sandbox=sandbox, challenge=challenge.slug)
    return progress


def _challenge_context(request: HttpRequest, sandbox: Sandbox, challenge: Challenge, **extra: Any) -> dict[str, Any]:
    progress = progress_of(sandbox, challenge)
    values = probes.placeholder_values(sandbox, challenge)
    start = [{"account": account, "user": user, "key": probes.key_of(sandbox, user, account)}
             for account, user in challenge.start]
    followed = catalog.get(challenge.follows) if challenge.follows else None
    return {
        "sandbox": sandbox, "challenge": challenge, "progress": progress, "scenario": registry.get(challenge.scenario),
        "story": schema.fill(challenge.story, values), "objective": schema.fill(challenge.objective, values),
        "start": start, "tools": challenge.tool_names, "tools_note": schema.fill(challenge.tools_note, values),
        "hints": [schema.fill(h, values) for h in challenge.hints[:progress.hints_shown]],
        "more_hints": progress.hints_shown < len(challenge.hints),
        "solution": [step.shown(values) for step in challenge.solution] if progress.solution_shown else [],
        "check": extra.pop("check", None) or progress.last_check,
        "answers_form": extra.pop("answers_form", None) or AnswersForm(challenge),
        "seeded_sessions": seeding.seeded_sessions(sandbox, challenge), "followed": followed,
        "graph_url": _graph_url(sandbox, challenge),
        "defences": catalog.defences_of(challenge.slug), "now": services.sandbox_now(sandbox),
        "editor_form": (extra.pop("editor_form", None) or PolicyEditorForm(initial=_editor_initial(sandbox, challenge)))
        if "editor" in challenge.tools else None,
        **_console_context(sandbox, challenge=challenge), **extra,
    }


def _graph_url(sandbox: Sandbox, challenge: Challenge) -> str:
    """Attacker challenges: the access graph (accessgraph/) from where the learner starts, as an attacker's tool."""
    if challenge.track != ATTACKER or not challenge.start:
        return ""
    account, user = challenge.start[0]
    arn = f"arn:aws:iam::{sandbox.account_ids()[account]}:user/{user}"
    return f"{reverse('accessgraph:graph')}?{urlencode({'start': arn})}"


def _editor_initial(sandbox: Sandbox, challenge: Challenge) -> dict[str, str]:
    """The editor starts on the first role the challenge seeds (the one its story is about), showing its trust
    policy as the sandbox has it now (the learner's edits included); else on the first user's first inline policy."""
    from sandboxes.operator import OPERATOR

    owner = seeding.owner_of(challenge)
    accounts = sandbox.account_ids()
    try:
        if owner.seed.roles:
            role = owner.seed.roles[0]
            document = OPERATOR.role_trust_policy(accounts[role.account], role.name)
            return {"target": "trust", "name": role.name, "document": json.dumps(document, indent=2)}
        if owner.seed.users and owner.seed.users[0].policies:
            user = owner.seed.users[0]
            name = next(iter(user.policies))
            document = OPERATOR.user_policy(accounts[user.account], user.name, name)
            return {"target": "user-policy", "name": user.name, "policy_name": name,
                    "document": json.dumps(document, indent=2)}
    except Exception:  # noqa: BLE001 - deleted from a terminal: the editor starts empty
        pass
    return {"target": "user-policy", "name": owner.seed.users[0].name if owner.seed.users else ""}


@require_GET
@never_cache
@with_sandbox
def challenge_list(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    return render(request, "challenges/list.html", {"sandbox": sandbox, "rows": challenge_rows(sandbox),
                                                    "refused_packs": catalog.refused_packs()})


def challenge_rows(sandbox: Sandbox) -> list[dict[str, Any]]:
    progress = {p.challenge: p for p in ChallengeProgress.objects.filter(sandbox=sandbox)}
    rows = []
    for c in catalog.challenges():
        row = progress.get(c.slug)
        rows.append({"challenge": c, "track": TRACKS[c.track], "section": _section(c),
                     "solved_at": row.solved_at if row else None,
                     "hints": row.hints_when_solved if row else None,
                     "solution_seen": row.solution_seen_when_solved if row else None})
    return rows


def _section(challenge: Challenge) -> str:
    """The list's groups, in catalog order: an attack and its defence stay together."""
    if challenge.false_positive:
        return "Looks exploitable: say why it is not"
    if challenge.track == "attacker" or challenge.follows:
        return "Attacker, then defend what you did"
    return TRACKS[challenge.track]


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


# A check makes a few dozen real calls: a browser pressing one challenge's Check faster than people read a verdict
# gets a short answer at once, and one sandbox runs one check at a time (probes write and undo: two at once could
# leave a write; and one learner's checks use one process at most).
CHECKS_PER_WINDOW, CHECK_WINDOW = 6, 20
CHECK_LEASE_SECONDS = 60
CHECK_BUSY = "a check of your sandbox is still running; wait for its verdict"
CHECK_SLOW_DOWN = "that is more checks than anyone reads in a few seconds; wait a moment, then check again"


def _check_refused(request: SandboxRequest, challenge: Challenge, message: str) -> HttpResponse:
    check = {"passed": False, "findings": [{"ok": False, "text": message, "why": "", "mistakes": []}]}
    context = _challenge_context(request, request.sandbox, challenge, check=check)
    return render(request, "challenges/_check.html" if request.htmx else "challenges/challenge.html", context,
                  status=429)


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
    browser = request.session.session_key or request.META.get("REMOTE_ADDR", "")
    if count_in_window("challenge-check", f"{browser}:{challenge.slug}", CHECK_WINDOW)[0] > CHECKS_PER_WINDOW:
        return _check_refused(request, challenge, CHECK_SLOW_DOWN)
    lease = f"challenge-check:{sandbox.id}"
    if not caches["throttle"].add(lease, 1, CHECK_LEASE_SECONDS):
        return _check_refused(request, challenge, CHECK_BUSY)
    try:
        result = checks.check(sandbox, challenge, form.cleaned_data if challenge.answers else {})
    finally:
        caches["throttle"].delete(lease)
    progress = progress_of(sandbox, challenge)
    progress.attempts += 1
    progress.last_check = result.to_dict()
    if result.passed and progress.solved_at is None:
        progress.solved_at = dj_timezone.now()
        progress.hints_when_solved, progress.solution_seen_when_solved = progress.hints_shown, progress.solution_shown
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
    owner = seeding.owner_of(challenge)
    what = "" if owner is challenge else f" (with the accounts of “{owner.title}”, which it defends)"
    messages.success(request, f"“{challenge.title}” was reset{what}: its roles and users are back as seeded, with new "
                              "access keys, and its console sessions are gone. A solved challenge stays solved.")
    return redirect(reverse("challenges:detail", args=[challenge.slug]))

