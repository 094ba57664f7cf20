"""The prepared SecureCart world every new (or reset, or rebuilt) world sandbox is copied from.

Replaying the seeding calls costs ~100 boto3 calls through moto's HTTP layer per sandbox (~1 s, more under load,
all under the moto lock). Instead the world is seeded once per gateway process into three reserved template
accounts, and each sandbox gets a copy of those accounts' moto state with its own ids swapped in
(gateway.worldstate.clone_accounts): a few milliseconds. What the template cannot hold is done per sandbox
afterwards: fresh (or restored) access keys, the world extensions' seed steps (the federation app's identity
providers and keys), the learner's trust edits and journaled writes.

The template ids are fixed: accounts below models.ACCOUNT_ID_BASE (never allocated to a sandbox) and a sandbox id of
the same shape as real ones (`sbx-` + 10 hex digits), since the copy swaps strings of equal length. A sandbox whose
id has another shape (made by hand) is seeded by replay instead (`can_copy`).
"""
from __future__ import annotations

import secrets
import time
from types import MappingProxyType

from django.core.cache import cache

from gateway import routing
from gateway.runtime import current
from gateway.s3names import sandbox_prefix

from . import world
from .labclient import world_state
from .models import WORLD_ACCOUNTS, Sandbox

TEMPLATE_SANDBOX_ID = "sbx-0000000000"
TEMPLATE_ACCOUNTS = MappingProxyType({name: f"{100_000_000_001 + n:012d}" for n, name in enumerate(WORLD_ACCOUNTS)})
_LOCK_KEY = "securecart:world-template-build"
_READY_KEY = "securecart:world-template-ready"


def can_copy(sandbox: Sandbox, accounts: dict[str, str]) -> bool:
    return (sandbox.kind == "world" and len(sandbox.id) == len(TEMPLATE_SANDBOX_ID)
            and set(accounts) == set(TEMPLATE_ACCOUNTS)
            and all(len(account_id) == 12 for account_id in accounts.values()))


def ready_key() -> str:
    return f"{_READY_KEY}:{routing.gateway_url() or 'local'}"


def template_ready() -> bool:
    """The template is complete on this gateway: moto holds it, and its builder said it finished. Holding its
    accounts is not enough: they exist from the first seeding call on, and a copy taken halfway lacks the users
    seeded last (seen in the sharded load benchmark: two web processes' first builds, `lab-admin cannot be found`)."""
    # In one process (moto here, no other builder) the flag also lives in the process's memory, as long as moto's
    # template does: LocMem's culling LRU (300 entries, many learners) would otherwise make it seed again (issue 23).
    # A remote gateway's template can be rebuilt by another web process, so there only the shared flag counts.
    key = ready_key()
    local = routing.gateway_url() is None
    seen = current().web.templates_ready
    flagged = (local and key in seen) or cache.get(key) == "1"
    ready = flagged and world_state().account_loaded(TEMPLATE_ACCOUNTS[world.PRODUCTION])
    if ready and local:
        seen.add(key)
    elif not ready:
        seen.discard(key)
    return ready


def ensure_template() -> None:
    """Seed the template accounts once per gateway process (a restarted gateway has lost them: seed again)."""
    if template_ready():
        return
    with current().web.template_lock:
        # Several web processes may share one gateway: the shared cache's atomic add() elects one builder.
        token = secrets.token_hex(8)
        deadline = time.monotonic() + 30
        lock_key = f"{_LOCK_KEY}:{routing.gateway_url() or 'local'}"   # one template per gateway process
        while not cache.add(lock_key, token, timeout=60):
            if template_ready() or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        try:
            if not template_ready():
                state = world_state()
                cache.delete(ready_key())
                state.drop_accounts(list(TEMPLATE_ACCOUNTS.values()))
                world.seed_world(TEMPLATE_SANDBOX_ID, TEMPLATE_ACCOUNTS, extensions="moto_only")
                cache.set(ready_key(), "1", timeout=None)
        finally:
            if cache.get(lock_key) == token:
                cache.delete(lock_key)


def copy_world(sandbox: Sandbox, accounts: dict[str, str]) -> None:
    """Give the sandbox's (empty) accounts a copy of the template world's moto state."""
    ensure_template()
    pairs = {TEMPLATE_ACCOUNTS[name]: account_id for name, account_id in accounts.items()}
    replacements = {TEMPLATE_SANDBOX_ID: sandbox.id, sandbox_prefix(TEMPLATE_SANDBOX_ID): sandbox_prefix(sandbox.id)}
    world_state().clone_accounts(pairs, replacements)
