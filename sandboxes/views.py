"""Sandbox pages: my sandbox (accounts, clock, reset), the terminal page, sign-up, and the internal API that
`manage.py sandbox ...` uses to reach the running server."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, replace_url

from . import imdsmount, services, world
from .decorators import SandboxRequest, with_sandbox
from .forms import BackForm, ClockForm
from .gatewaymount import MOUNT
from .models import AccessKey, Sandbox

INTERNAL_SALT = "securecart.sandbox-internal-api"
INTERNAL_TOKEN_MAX_AGE = 120  # seconds; the command signs a fresh token for every call


def endpoint_url(request: HttpRequest) -> str:
    # Always this server's /aws mount: with LAB_GATEWAY_URL it forwards to the gateway process, which may sit on a
    # private network learners cannot reach.
    return request.build_absolute_uri(MOUNT)


@require_GET
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_sandbox
def sandbox_page(request: SandboxRequest) -> HttpResponse:
    return _render_sandbox(request)


def _render_sandbox(request: SandboxRequest, status: int = 200, **extra: object) -> HttpResponse:
    sandbox = request.sandbox
    return render(request, "sandboxes/sandbox.html", {
        "sandbox": sandbox, "accounts": sandbox.accounts.all(), "now": services.sandbox_now(sandbox), **extra,
    }, status=status)


@require_POST
@never_cache   # its htmx answer is the sandbox page
@with_sandbox
def reset(request: SandboxRequest) -> HttpResponse:
    request.sandbox.reset()
    services.ensure_ready(request.sandbox)   # the learner's own reset: the page below shows the world rebuilt
    # The long-term keys stay (services._restore_keys): a learner's terminal profiles keep working after a reset.
    messages.success(request, "Your sandbox was reset: SecureCart's world is rebuilt as it was seeded, the clock is "
                              "back to real time and temporary credentials issued earlier no longer work. The "
                              "seeded users' long-term access keys are the same as before.")
    if request.htmx:
        # The page's own button (a boosted form): the rebuilt page in this one answer instead of a redirect and a
        # second request; the address stays /sandbox/. Without JavaScript the form posts and is redirected.
        return replace_url(_render_sandbox(request), reverse("sandbox"))
    return redirect("sandbox")


@require_POST
@with_sandbox
def clock(request: SandboxRequest) -> HttpResponse:
    form = ClockForm(request.POST)
    if not form.is_valid():
        return _render_sandbox(request, status=400, clock_error=form.errors["minutes"][0])
    request.sandbox.advance_clock(form.cleaned_data["minutes"] * 60)
    return redirect("sandbox")


@require_POST
@with_sandbox
def next_mfa_code(request: SandboxRequest) -> HttpResponse:
    """The virtual phone's "Next code": the sandbox clock moves to the next 30-second window, then the page reloads."""
    services.advance_to_next_mfa_code(request.sandbox)
    form = BackForm(request.POST)
    back = form.cleaned_data["back"] if form.is_valid() else ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("sandbox")
    if request.htmx:
        return HttpResponseClientRedirect(back, status=204)   # 204: nothing to swap; htmx follows the header
    return redirect(back)


@require_GET
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_sandbox
def terminal(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    keys = AccessKey.objects.filter(sandbox=sandbox).order_by("account_name", "user_name")
    accounts = sandbox.account_ids()
    root_url = settings.LAB_AWS_ROOT_URL.rstrip("/")
    return render(request, "sandboxes/terminal.html", {
        "sandbox": sandbox, "endpoint": endpoint_url(request), "region": settings.LAB_REGION, "keys": keys,
        "admin_keys": [k for k in keys if k.user_name == world.ADMIN_USER],
        "production_admin": next((k for k in keys if k.user_name == world.ADMIN_USER
                                  and k.account_name == world.PRODUCTION), None),
        "product_images": world.PRODUCT_IMAGES,
        "auditor_key": next((k for k in keys if k.user_name == "securecart-auditor"), None),
        "audit_role_arn": f"arn:aws:iam::{accounts.get('production', '')}:role/SecureCart-AuditRole",
        "external_id": world.AUDIT_EXTERNAL_ID, "accounts": accounts,
        "instances": [_with_addresses(request, sandbox, instance, root_url)
                      for instance in imdsmount.sandbox_instances(sandbox)],
        "root_url": root_url,
    })


def _with_addresses(request: HttpRequest, sandbox: Sandbox, instance: dict, root_url: str) -> dict:
    """An instance's metadata addresses: the /imds/ path on this server, and its host name on the root endpoint."""
    host = imdsmount.host_url(root_url, sandbox, instance["instance_id"]) if root_url else ""
    return dict(instance, imds=imdsmount.base_url(request, sandbox, instance["instance_id"]), imds_host=host,
                imds_hostname=urlsplit(host).hostname or "")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)  # the session (and its sandbox) carries over to the new account
        services.sandbox_for_request(request)
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


# ------------------------------------------------------------------------------------------ internal API
def internal_token() -> str:
    return signing.dumps("sandbox-admin", salt=INTERNAL_SALT)


def _authorised(request: HttpRequest) -> bool:
    try:
        return signing.loads(request.headers.get("X-Lab-Token", ""), salt=INTERNAL_SALT,
                             max_age=INTERNAL_TOKEN_MAX_AGE) == "sandbox-admin"
    except signing.BadSignature:
        return False


def _json_body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


@csrf_exempt
@require_POST
@never_cache   # shows credentials: never kept by a browser or proxy cache
def internal_create(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "missing or invalid lab token"}, status=403)
    accounts = _json_body(request).get("accounts")
    if accounts is None:
        sandbox = services.create_sandbox()
    elif isinstance(accounts, int) and 1 <= accounts <= services.MAX_BARE_ACCOUNTS:
        sandbox = services.create_sandbox(kind="bare", bare_accounts=accounts)
    else:
        return JsonResponse({"error": f"accounts must be 1-{services.MAX_BARE_ACCOUNTS}"}, status=400)
    return JsonResponse(services.describe(sandbox, endpoint_url(request), settings.LAB_REGION))


@csrf_exempt
@require_POST
def internal_clock(request: HttpRequest, sandbox_id: str) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "missing or invalid lab token"}, status=403)
    sandbox = Sandbox.objects.filter(pk=sandbox_id).first()
    if sandbox is None:
        return JsonResponse({"error": f"no sandbox {sandbox_id}"}, status=404)
    seconds = _json_body(request).get("seconds")
    if not isinstance(seconds, (int, float)) or not 0 < seconds <= 30 * 86400:
        return JsonResponse({"error": "seconds must be a positive number up to 30 days"}, status=400)
    rebuilt = services.ensure_ready(sandbox)
    offset = sandbox.advance_clock(float(seconds))
    answer = {"sandbox": sandbox.id, "clock_offset_seconds": offset, "now": services.sandbox_now(sandbox).isoformat(),
              "rebuilt": rebuilt}
    if rebuilt:  # the server had lost it (restart, eviction): say so, with the keys (the same ones as before)
        answer.update(services.describe(sandbox, endpoint_url(request), settings.LAB_REGION))
    return JsonResponse(answer)
