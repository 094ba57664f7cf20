"""Sandboxes sharded across several gateway processes (LAB_GATEWAY_URLS), each owning its sandboxes' moto and engine
state, so the lab scales past the one core one gateway process can use.

The assignment sandbox -> gateway is a row (models.GatewayAssignment), so every web process routes alike:
- lab-control calls, seeding and the web layer's boto3 clients: `route(sandbox_id)` picks the sandbox's gateway
  for the current thread of work (gateway.routing, a context variable); services.ensure_ready, the one entry point
  every view calls before using a sandbox, does it, and `RoutingMiddleware` clears the choice after each request;
- the /aws endpoint proxy: `gateway_for_request` finds the request's sandbox from its access key (long-term keys are
  rows; a session key is asked of the gateways once, then remembered in the shared cache) or, for the unsigned
  federation calls, from the RoleArn's account; then that sandbox's gateway.

New sandboxes go to the least-loaded live gateway: the one with the fewest assigned sandboxes (ties: the first in
LAB_GATEWAY_URLS). A gateway counts as live when its lab-control `ping` answers (checked at most every
HEALTH_TTL_SECONDS per web process, and marked dead at once when a call to it fails in transport). A sandbox whose
gateway is dead is moved to the least-loaded live one (one conditional UPDATE, so two web processes noticing at once
move it once) and rebuilt there from the database by services.ensure_ready, the same path as after a restart: the
learner's long-term keys, trust edits and journaled writes come back; issued sessions do not (assume the role
again), and its cached session credentials are forgotten.

Off (every function a no-op) unless LAB_GATEWAY_URLS is set; LAB_GATEWAY_URL alone keeps one gateway process.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest, HttpResponse

from gateway import routing
from gateway.control.client import RemoteLab
from gateway.control.wire import LabControlError
from gateway.runtime import ShardRouter, current

from . import credentials
from .models import AccessKey, Account, GatewayAssignment, JournaledWrite

log = logging.getLogger(__name__)

HEALTH_TTL_SECONDS = 2.0
PING_TIMEOUT_SECONDS = 3.0
# A session key's sandbox, once a gateway named it (AWS's longest session, GetSessionToken, lasts 36 hours)
KEY_OWNER_SECONDS = 36 * 3600
UNKNOWN_KEY_SECONDS = 10
_KEY_CACHE_PREFIX = "shards:key:"

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]{16,128})/")
_QUERY_CREDENTIAL = re.compile(r"(?:^|&)X-Amz-Credential=([A-Z0-9]{16,128})(?:%2F|/)")
_ROLE_ARN_ACCOUNT = re.compile(r"arn(?::|%3A)aws(?::|%3A)iam(?::|%3A){2}(\d{12})(?::|%3A)", re.IGNORECASE)



class NoLiveGateway(LabControlError):
    """Every configured gateway is down: pages answer the 503 page, terminals AWS's 503."""


def enabled() -> bool:
    return bool(getattr(settings, "LAB_GATEWAY_URLS", None))


def gateways() -> list[str]:
    return [url.rstrip("/") for url in getattr(settings, "LAB_GATEWAY_URLS", None) or []]


def _token() -> str | None:
    return getattr(settings, "LAB_CONTROL_TOKEN", "") or None


def _router() -> ShardRouter:
    """The shard router's memory (gateway.runtime): each gateway's health and its lab-control probe."""
    return current().shards


def control(url: str) -> RemoteLab:
    """A lab-control client for one gateway with a short timeout (health checks, key look-ups)."""
    probes = _router().probes
    probe = probes.get(url)
    if probe is None:
        probe = probes[url] = RemoteLab(url, _token(), timeout=PING_TIMEOUT_SECONDS)
    return probe  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ health
def is_alive(url: str) -> bool:
    now = time.monotonic()
    router = _router()
    with router.health_lock:
        known = router.health.get(url)
    if known is not None and now - known[1] < HEALTH_TTL_SECONDS:
        return known[0]
    try:
        alive = control(url).ping().ok
    except LabControlError:
        alive = False
    with router.health_lock:
        router.health[url] = (alive, time.monotonic())
    if not alive:
        log.warning("lab gateway %s is not answering", url)
    return alive


def answers_now(url: str) -> bool:
    """A health check now, whatever was known (is_alive again after the ping)."""
    router = _router()
    with router.health_lock:
        router.health.pop(url, None)
    return is_alive(url)


def mark_dead(url: str) -> None:
    router = _router()
    with router.health_lock:
        router.health[url] = (False, time.monotonic())


def forget_health() -> None:
    router = _router()
    with router.health_lock:
        router.health.clear()


def live_gateways() -> list[str]:
    return [url for url in gateways() if is_alive(url)]


# ------------------------------------------------------------------------------------------------ assignment
def load() -> dict[str, int]:
    """Sandboxes assigned to each configured gateway."""
    counts = {row["gateway"]: row["n"] for row in GatewayAssignment.objects.values("gateway").annotate(n=Count("pk"))}
    return {url: counts.get(url, 0) for url in gateways()}


def _least_loaded(exclude: str | None = None) -> str:
    live = [url for url in live_gateways() if url != exclude]
    if not live:
        raise NoLiveGateway("no lab gateway is answering (LAB_GATEWAY_URLS)")
    counts = load()
    return min(live, key=lambda url: (counts.get(url, 0), live.index(url)))


def gateway_of(sandbox_id: str) -> str:
    """The sandbox's gateway: assigned on first use, moved when its gateway is dead."""
    current = GatewayAssignment.objects.filter(sandbox_id=sandbox_id).values_list("gateway", flat=True).first()
    if current is None:
        row, _ = GatewayAssignment.objects.get_or_create(sandbox_id=sandbox_id,
                                                         defaults={"gateway": _least_loaded()})
        return row.gateway
    if current in gateways() and is_alive(current):
        return current
    return move(sandbox_id, current)


def move(sandbox_id: str, dead: str) -> str:
    """Give the sandbox to the least-loaded live gateway; ensure_ready then rebuilds it there."""
    target = _least_loaded(exclude=dead)
    if GatewayAssignment.objects.filter(sandbox_id=sandbox_id, gateway=dead).update(gateway=target) == 1:
        log.warning("sandbox %s moved from gateway %s to %s", sandbox_id, dead, target)
        credentials.forget_all(sandbox_id)   # sessions issued by the dead gateway are gone with it
        return target
    # another web process moved it first
    return GatewayAssignment.objects.values_list("gateway", flat=True).get(sandbox_id=sandbox_id)


def move_off_a_dead_gateway(sandbox_id: str) -> None:
    """Before changing a sandbox its learner is not using (a room's fast-forward or reset): if its gateway is dead,
    move it, as that learner's next services.ensure_ready would. Its world died with the gateway; the change then
    lands in the database its rebuild reads, where the dead gateway's call would have failed. A sandbox placed on
    no gateway stays unplaced (not sharded: nothing to do)."""
    if not enabled():
        return
    placed = GatewayAssignment.objects.filter(sandbox_id=sandbox_id).values_list("gateway", flat=True).first()
    # a gateway the cached health calls dead is asked once more before its sandboxes move (check_live's rule: moving
    # a live gateway's sandbox loses its world), since one click moves every idle student on it
    if placed is not None and not (placed in gateways() and (is_alive(placed) or answers_now(placed))):
        move(sandbox_id, placed)


def route(sandbox_id: str) -> str | None:
    """Send this thread's lab calls to the sandbox's gateway (until the request ends); None when not sharded."""
    if not enabled():
        return None
    url = gateway_of(sandbox_id)
    routing.choose(url)
    return url


def check_live(sandbox_id: str, check: Callable[[], bool]) -> bool:
    """Route to the sandbox's gateway and run `check` there (Sandbox.is_live). A gateway that fails the call in
    transport and then a fresh health check is marked dead, the sandbox moved, and the check run again on its new
    gateway (where it is not built yet: the caller rebuilds it)."""
    url = route(sandbox_id)
    if url is None:
        return check()
    answer = _unless_unreachable(check)
    # One failed call is not a death: a pooled keep-alive connection the gateway closed as idle just as it was reused
    # fails the same way. The check only reads, so asking again is safe; moving a live gateway's sandbox is not.
    if answer is None and answers_now(url):
        answer = _unless_unreachable(check)
    if answer is not None:
        return answer
    mark_dead(url)
    route(sandbox_id)
    return check()


def _unless_unreachable(check: Callable[[], bool]) -> bool | None:
    """check()'s answer, or None when the call failed in transport (a gateway's refusal is raised)."""
    try:
        return check()
    except LabControlError as error:
        if error.status is not None:
            raise
        return None


# ------------------------------------------------------------------------------------------------ /aws requests
def access_key_of(request: HttpRequest) -> str | None:
    found = _CREDENTIAL.search(request.META.get("HTTP_AUTHORIZATION", ""))
    if found is None:
        found = _QUERY_CREDENTIAL.search(request.META.get("QUERY_STRING", ""))
    return found.group(1) if found else None


def sandbox_of_key(key_id: str) -> str | None:
    """Long-term keys are rows; a session key is named by the gateway that issued it (asked once, then cached)."""
    cached = cache.get(_KEY_CACHE_PREFIX + key_id)
    if cached is not None:
        return cached or None
    sandbox_id = (AccessKey.objects.filter(access_key_id=key_id).values_list("sandbox_id", flat=True).first()
                  or JournaledWrite.objects.filter(created_key_id=key_id).values_list("sandbox_id", flat=True).first())
    if sandbox_id is None:
        for url in live_gateways():
            try:
                sandbox_id = control(url).sandbox_of_key(key_id)
            except LabControlError as error:
                if error.status is None:   # not answering; a refusal is no reason to call it dead
                    mark_dead(url)
                continue
            if sandbox_id:
                break
    cache.set(_KEY_CACHE_PREFIX + key_id, sandbox_id or "",
              timeout=KEY_OWNER_SECONDS if sandbox_id else UNKNOWN_KEY_SECONDS)
    return sandbox_id


def sandbox_of_request(request: HttpRequest, body: bytes) -> str | None:
    key_id = access_key_of(request)
    if key_id:
        return sandbox_of_key(key_id)
    # unsigned: AssumeRoleWithSAML / AssumeRoleWithWebIdentity name their role, whose account names the sandbox
    found = _ROLE_ARN_ACCOUNT.search(request.META.get("QUERY_STRING", "")) or _ROLE_ARN_ACCOUNT.search(
        body[:65536].decode("latin-1"))
    if found is None:
        return None
    return Account.objects.filter(account_id=found.group(1)).values_list("sandbox_id", flat=True).first()


def gateway_for_request(request: HttpRequest, body: bytes) -> str:
    """Where the /aws proxy forwards this request: its sandbox's gateway, else (a key no sandbox has) any live one,
    which answers as AWS does."""
    sandbox_id = sandbox_of_request(request, body)
    if sandbox_id is not None:
        return route(sandbox_id) or settings.LAB_GATEWAY_URL
    live = live_gateways()
    if not live:
        raise NoLiveGateway("no lab gateway is answering (LAB_GATEWAY_URLS)")
    return live[0]


# ------------------------------------------------------------------------------------------------ middleware
class RoutingMiddleware:
    """Each request starts with no gateway chosen and leaves none behind on its (reused) thread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = routing.choose(None)
        try:
            return self.get_response(request)
        finally:
            routing.reset(token)
