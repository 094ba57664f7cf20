"""Sandboxes built ahead of time: a new learner's first page claims one with a single UPDATE instead of waiting for
a build, and a background thread builds the next. LAB_SANDBOX_POOL (default 4) is how many wait; 0 turns it off.

A pooled sandbox is an ordinary world sandbox with no owner yet (`pooled=True`). Claiming is the conditional
UPDATE ... WHERE pooled, so two processes can never hand out the same one. After a restart the pooled rows are still
there and not built: a claim then builds it like any sandbox (ensure_ready).
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from django.conf import settings
from django.db import connection

from gateway.runtime import current

from .models import Sandbox

log = logging.getLogger(__name__)

REFILL_DELAY_SECONDS = 0.5


def size() -> int:
    return max(0, int(getattr(settings, "LAB_SANDBOX_POOL", 0) or 0))


Build = Callable[..., Sandbox]   # services.create_sandbox (passed in: this module is below services)


def take(session_key: str, owner, build: Build) -> Sandbox | None:
    """A built sandbox now owned by this session (and user), or None when the pool is empty or off; then refills
    the pool in the background with `build(pooled=True)`."""
    if size() == 0:
        return None
    try:
        for candidate in Sandbox.objects.filter(pooled=True).order_by("created")[:5]:
            claimed = Sandbox.objects.filter(pk=candidate.pk, pooled=True).update(
                pooled=False, owner_session_key=session_key, owner=owner)
            if claimed == 1:   # the row read above, as the UPDATE left it (no second read)
                candidate.pooled, candidate.owner_session_key, candidate.owner = False, session_key, owner
                return candidate
        return None
    finally:
        refill_in_background(build)


def refill(build: Build) -> int:
    """Build sandboxes until the pool is full; returns how many were built."""
    built = 0
    with current().web.pool_refill_lock:
        while Sandbox.objects.filter(pooled=True).count() < size():
            build(pooled=True)
            built += 1
    return built


def refill_in_background(build: Build) -> None:
    refilling = current().web.pool_refilling
    if size() == 0 or refilling.is_set():
        return
    refilling.set()

    def run() -> None:
        try:
            while True:
                refill(build)
                refilling.clear()
                # A claim after refill's last count and before clear() found the flag set and started nothing:
                # look again, so the pool is not left one short until the next claim.
                if Sandbox.objects.filter(pooled=True).count() >= size() or refilling.is_set():
                    break
                refilling.set()
        except Exception:  # the next claim tries again; learners then just wait for a build of their own
            log.exception("could not refill the sandbox pool")
            refilling.clear()
        finally:
            connection.close()

    # A moment later: the request that just claimed a sandbox should not share the CPU with the next build.
    timer = threading.Timer(REFILL_DELAY_SECONDS, run)
    timer.name, timer.daemon = "sandbox-pool", True
    timer.start()
