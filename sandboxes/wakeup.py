"""Rebuild a sandbox on its first /aws request when it is not in memory (after a restart, an eviction, or a sandbox
made by `manage.py sandbox create` that no page ever touched): its long-term keys are in the database, so the
request can name its sandbox before the gateway, which would otherwise answer InvalidClientTokenId.

Only long-term keys (AKIA...) wake a sandbox: session credentials die with the memory that issued them, as their
secrets are never stored. A key the database does not know costs one indexed query, cached briefly.
"""
from __future__ import annotations

import re
import time

from django.http import HttpRequest

from gateway.control.wire import LabControlError
from gateway.runtime import current

from . import services, shards
from .models import AccessKey, Account, JournaledWrite, Sandbox

_CREDENTIAL = re.compile(r"Credential=(AKIA[A-Z0-9]{12,124})/")
_QUERY_CREDENTIAL = re.compile(r"(?:^|&)X-Amz-Credential=(AKIA[A-Z0-9]{12,124})(?:%2F|/)")
# key id -> (sandbox id or None, one of its account ids, when looked up), in the runtime's web memory
# (gateway.runtime): a terminal sends many requests with one key
KNOWN_TTL_SECONDS = 30.0
MAX_KNOWN = 10000


def access_key_of(request: HttpRequest) -> str | None:
    found = _CREDENTIAL.search(request.META.get("HTTP_AUTHORIZATION", ""))
    if found is None:
        found = _QUERY_CREDENTIAL.search(request.META.get("QUERY_STRING", ""))
    return found.group(1) if found else None


def _owner_of(key_id: str) -> tuple[str | None, str | None]:
    now = time.monotonic()
    memory = current().web
    with memory.key_owners_lock:
        cached = memory.key_owners.get(key_id)
    if cached is not None and now - cached[2] < KNOWN_TTL_SECONDS:
        return cached[0], cached[1]
    sandbox_id = (AccessKey.objects.filter(access_key_id=key_id).values_list("sandbox_id", flat=True).first()
                  or JournaledWrite.objects.filter(created_key_id=key_id).values_list("sandbox_id", flat=True).first())
    account_id = (Account.objects.filter(sandbox_id=sandbox_id).values_list("account_id", flat=True).first()
                  if sandbox_id else None)
    with memory.key_owners_lock:
        if len(memory.key_owners) >= MAX_KNOWN:
            memory.key_owners.clear()
        memory.key_owners[key_id] = (sandbox_id, account_id, now)
    return sandbox_id, account_id


def wake_sandbox_for(request: HttpRequest) -> None:
    """Make sure the sandbox owning the request's long-term key is built (no-op for other requests). The cheap
    path (sandbox live, activity recorded this minute) costs no query; the lookup itself is cached."""
    key_id = access_key_of(request)
    if key_id is None:
        return
    sandbox_id, account_id = _owner_of(key_id)
    if sandbox_id is None:
        return
    try:
        _wake(sandbox_id, account_id)
    except LabControlError:
        pass   # the gateway is down: forwarding the request answers with the AWS-shaped 503 (gatewaymount)


def _wake(sandbox_id: str, account_id: str | None) -> None:
    # (sharded: asked of the sandbox's gateway, which check_live picks, moving the sandbox off a dead one)
    live = bool(account_id) and shards.check_live(
        sandbox_id, lambda: services.lab().sandbox_of_account(account_id) == sandbox_id)
    if live and services.recently_active(sandbox_id):
        return
    sandbox = Sandbox.objects.filter(pk=sandbox_id).first()
    if sandbox is not None:
        services.ensure_ready(sandbox)
