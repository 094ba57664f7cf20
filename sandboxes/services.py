"""Sandbox lifecycle: create, make ready (seed or rebuild from the DB), evict. A reset, the clock and the build claim
are the model's (Sandbox.reset, Sandbox.advance_clock, Sandbox.claimed_for_build).

`ensure_ready` is the one entry point every view calls before using a sandbox: after a server restart moto and
the engine are empty, so the world is rebuilt from the database (seed, then replay the learner's trust edits).

Several web processes may want to build the same sandbox at once (two gunicorn workers serving htmx requests that
arrive together). A build therefore first claims the Sandbox row in the database with one conditional UPDATE
(Sandbox.claimed_for_build), which is atomic on SQLite and PostgreSQL alike (no SELECT ... FOR UPDATE, which SQLite
ignores); the others wait for the claim to go, then find the sandbox live. The lab registers the sandbox only once the
world is complete, so registration means "built": a build that fails midway (or a process that dies) leaves it
unregistered, and the next attempt wipes the half-built accounts and starts again.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from gateway.runtime import WebMemory, current

from . import credentials, journal, pool, shards, template, world
from .labclient import lab, world_state
from .models import WORLD_ACCOUNTS, AccessKey, Account, Sandbox, TrustPolicyEdit

log = logging.getLogger(__name__)

SESSION_KEY = "sandbox_id"
SESSION_DAY_KEY = "sandbox_seen_on"   # the day the session was last saved by note_in_session
MAX_BARE_ACCOUNTS = 10

ACTIVITY_RESOLUTION_SECONDS = 60.0


class TooManyNewSandboxes(RuntimeError):
    """One address started more sandboxes by visiting than a room of learners would (LAB_NEW_SANDBOXES_PER_ADDRESS in
    NEW_SANDBOXES_WINDOW): a bot that fakes a browser's headers, not a class (a class's students get theirs through
    the class code, which this limit does not count)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many new sandboxes from one address; retry in {retry_after} s")
        self.retry_after = retry_after


# A whole room behind one NAT opening the lab at once fits in the limit (40 learners); a bot spinning sandboxes
# from one address is held to one a minute on average (a build costs ~0.1 s of CPU).
NEW_SANDBOXES_WINDOW = 3600


def _count_new_sandbox(request: HttpRequest) -> None:
    from securecart.throttle import count_in_window

    count, retry_after = count_in_window("new-sandbox", request.META.get("REMOTE_ADDR", ""), NEW_SANDBOXES_WINDOW)
    if count > settings.LAB_NEW_SANDBOXES_PER_ADDRESS:
        raise TooManyNewSandboxes(retry_after)


class SandboxNotStarted(RuntimeError):
    """A visitor without a session cookie: answer with a light page that sets one, and build on the next request.
    A crawler or a health check (no cookies kept) never costs a world; a learner whose build request times out
    already holds the cookie, and their retry finds the same sandbox (owner_session_key) instead of a second one."""


def create_sandbox(*, kind: str = "world", bare_accounts: int = 0, session_key: str = "", owner=None,
                   pooled: bool = False) -> Sandbox:
    names = list(WORLD_ACCOUNTS) if kind == "world" else [f"account-{n}" for n in range(1, bare_accounts + 1)]
    with transaction.atomic():
        sandbox = Sandbox.objects.create(kind=kind, owner_session_key=session_key, owner=owner, pooled=pooled)
        for name in names:
            Account.objects.create(sandbox=sandbox, name=name)
    ensure_ready(sandbox)
    return sandbox


def ensure_ready(sandbox: Sandbox) -> bool:
    """Build the sandbox's world in moto and register it with the lab, unless it is live already.
    True when this call built it (after a restart or an eviction: same keys, edits and writes as before)."""
    _mark_active(sandbox)
    # sharded (LAB_GATEWAY_URLS): on the sandbox's gateway; a dead one's sandboxes move and are rebuilt below
    if shards.check_live(sandbox.pk, sandbox.is_live):
        return False
    with _memory().ready_lock, sandbox.claimed_for_build():
        if sandbox.is_live():   # another process built it while we waited for the claim
            return False
        sandbox.refresh_from_db(fields=["clock_offset_seconds"])
        _build(sandbox)
        return True


def _memory() -> WebMemory:
    """This process's web memory (gateway.runtime): activity marks, the build lock."""
    return current().web


def recently_active(sandbox_id: str) -> bool:
    # sandbox id -> monotonic time its last_active was written by this process
    marked = _memory().marked_active.get(sandbox_id)
    return marked is not None and time.monotonic() - marked < ACTIVITY_RESOLUTION_SECONDS


def _mark_active(sandbox: Sandbox) -> None:
    """Remember when the sandbox was last used (at most one UPDATE a minute): eviction picks idle ones."""
    now = timezone.now()
    if recently_active(sandbox.pk) and sandbox.last_active is not None:
        return
    if sandbox.last_active is None or now - sandbox.last_active > timedelta(seconds=ACTIVITY_RESOLUTION_SECONDS):
        sandbox.last_active = now
        Sandbox.objects.filter(pk=sandbox.pk).update(last_active=now)
    marked = _memory().marked_active
    if len(marked) > 100_000:
        marked.clear()
    marked[sandbox.pk] = time.monotonic()


def evict_idle(idle_seconds: float) -> list[str]:
    """Free the memory of sandboxes unused for `idle_seconds`: their moto state and sessions go; the database keeps
    everything a rebuild needs (world template, keys, trust edits, journaled writes), so their next request (a page
    or an /aws call) rebuilds them as they were. Issued sessions are not kept (their secrets are never stored)."""
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    evicted = []
    the_lab, state = lab(), world_state()
    idle = Sandbox.objects.filter(Q(last_active__lt=cutoff) | Q(last_active__isnull=True), pooled=False)
    for sandbox in idle:
        if shards.enabled():
            shards.route(sandbox.pk)
            the_lab, state = lab(), world_state()
        if not sandbox.is_live():
            continue
        with _memory().ready_lock, sandbox.claimed_for_build():
            the_lab.forget_sandbox(sandbox.id)
            credentials.forget_all(sandbox.id)
            state.drop_accounts(list(sandbox.account_ids().values()))
        evicted.append(sandbox.id)
    return evicted


def _build(sandbox: Sandbox, *, replay_learner_changes: bool = True) -> None:
    """Drop whatever moto still holds for the sandbox's accounts, give them the world (a copy of the template, or
    the seeding calls replayed), its long-term keys (the ones in the database, so terminal profiles survive a
    rebuild), then the learner's trust edits and journaled writes (not on reset, which has just deleted them);
    register it last. Safe to run again."""
    if sandbox.kind == "world":
        _add_missing_world_accounts(sandbox)
    accounts = sandbox.account_ids()
    the_lab = lab()
    state = world_state()
    credentials.forget_all(sandbox.id)   # sessions die with the memory that issued them; so do the cached ones
    for account_id in accounts.values():
        owner = the_lab.sandbox_of_account(account_id)
        # An id the lab still maps to a sandbox the database no longer has (deleted, or a rolled-back test
        # transaction let SQLite reuse the number): that sandbox is gone, so its sessions must go too.
        if owner and owner != sandbox.id and not Sandbox.objects.filter(pk=owner).exists():
            the_lab.forget_sandbox(owner)
    # Leftovers are possible when only the lab lost its memory (e.g. a remote gateway kept moto's state), on reset,
    # or after a build that stopped midway. Extensions may keep state for an account outside its moto data.
    for account_id in accounts.values():
        if state.account_loaded(account_id):
            world.wipe_extensions(sandbox.id, account_id)
    state.drop_accounts(list(accounts.values()))
    copied = sandbox.kind == "world" and template.can_copy(sandbox, accounts)
    if copied:
        template.copy_world(sandbox, accounts)
    elif sandbox.kind == "world":
        world.seed_world(sandbox.id, accounts, extensions="moto_only")
    else:
        world.seed_bare(sandbox.id, accounts)
    sandbox.renew_build_claim()
    _restore_keys(sandbox, accounts, state)
    if sandbox.kind == "world":   # the moto-only ones ran above (or travelled with the template copy)
        world.run_extension_seeds(sandbox.id, accounts, moto_only=False)
    if replay_learner_changes:
        _replay_learner_changes(sandbox, state)
    # Last: from now on the sandbox counts as live (Sandbox.is_live), in every web process.
    the_lab.register_sandbox(sandbox.id, accounts, sandbox.clock_offset_seconds)


def _add_missing_world_accounts(sandbox: Sandbox) -> None:
    """A world sandbox made before an account joined the world (the management account) gets it now, before it is
    built again: the world is seeded for every account of WORLD_ACCOUNTS."""
    missing = [name for name in WORLD_ACCOUNTS if name not in sandbox.account_ids()]
    for name in missing:
        Account.objects.create(sandbox=sandbox, name=name)
    if missing:
        sandbox.__dict__.pop("known_account_ids", None)


def _replay_learner_changes(sandbox: Sandbox, state) -> None:
    """The learner's trust edits, then their journaled writes, in order."""
    for edit in TrustPolicyEdit.objects.filter(sandbox=sandbox):
        try:
            apply_trust_policy(sandbox, edit.account_name, edit.role_name, edit.document)
        except Exception:  # a saved edit that no longer applies must not block the rebuild
            log.exception("could not replay trust edit %s/%s on %s", edit.account_name, edit.role_name, sandbox.id)
    sandbox.renew_build_claim()
    writes = journal.entries(sandbox)
    if writes:
        failed = state.replay(writes)
        if failed:
            log.warning("%d of %d journaled writes of %s did not apply again", failed, len(writes), sandbox.id)


def _restore_keys(sandbox: Sandbox, accounts: dict[str, str], state) -> None:
    """The seeded users' long-term keys: those the database has (a rebuild keeps them), new ones otherwise."""
    known = {(key.account_name, key.user_name): key for key in AccessKey.objects.filter(sandbox=sandbox)}
    users = world.keyed_users(sandbox.kind, accounts)
    entries = []
    for account_name, user_name in users:
        key = known.get((account_name, user_name))
        wanted = {"access_key_id": key.access_key_id, "secret_access_key": key.secret_access_key} if key else {}
        entries.append({"account_id": accounts[account_name], "user_name": user_name, "keys": [wanted]})
    results = state.set_access_keys(entries)
    new_rows = []
    for (account_name, user_name), keys in zip(users, results):
        if (account_name, user_name) not in known:
            new_rows.append(AccessKey(sandbox=sandbox, account_name=account_name, user_name=user_name,
                                      arn=f"arn:aws:iam::{accounts[account_name]}:user/{user_name}",
                                      access_key_id=keys[0]["access_key_id"],
                                      secret_access_key=keys[0]["secret_access_key"]))
    if new_rows:
        AccessKey.objects.bulk_create(new_rows)


def apply_trust_policy(sandbox: Sandbox, account_name: str, role_name: str, document: str) -> None:
    """Operator path (rebuild): write a trust policy straight to moto."""
    from .operator import OPERATOR

    OPERATOR.set_trust_policy(sandbox.account_ids()[account_name], role_name, document)


# A "next code" lands this far into the next 30-second TOTP window, clear of the boundary.
TOTP_STEP_SECONDS = 30
NEXT_CODE_MARGIN_SECONDS = 2.0


def advance_to_next_mfa_code(sandbox: Sandbox) -> float:
    """Move the sandbox clock to the next 30-second TOTP window, so its virtual MFA devices show a code not used
    yet (each code still works once). Returns the seconds moved. The sandbox's sessions move by as much."""
    ensure_ready(sandbox)
    at = lab().mfa_clock(sandbox.id)
    seconds = TOTP_STEP_SECONDS - (at % TOTP_STEP_SECONDS) + NEXT_CODE_MARGIN_SECONDS
    sandbox.advance_clock(seconds)
    return seconds


def sandbox_now(sandbox: Sandbox) -> datetime:
    return lab().now(sandbox.id)


def key_for(sandbox: Sandbox, account_name: str, user_name: str) -> AccessKey:
    return AccessKey.objects.get(sandbox=sandbox, account_name=account_name, user_name=user_name)


def sandbox_for_request(request: HttpRequest) -> Sandbox:
    """The visitor's sandbox: the signed-in learner's own, else the one in the session; created on first visit."""
    sandbox = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        sandbox = Sandbox.objects.filter(owner=user).first()
    if sandbox is None and request.session.get(SESSION_KEY):
        try:   # get(), not first(): by primary key, with no ORDER BY to build (this runs on every request)
            sandbox = Sandbox.objects.get(pk=request.session[SESSION_KEY])
        except Sandbox.DoesNotExist:
            sandbox = None
        if sandbox is not None and user is not None and user.is_authenticated:
            if sandbox.owner_id is None:
                sandbox.owner = user  # a visitor who signs in keeps the sandbox they started
                sandbox.save(update_fields=["owner"])
            elif sandbox.owner_id != user.pk:
                sandbox = None
    if sandbox is None and request.session.session_key:
        # A retry of a request that is still building (or timed out): the sandbox already carries this session.
        sandbox = Sandbox.objects.filter(owner_session_key=request.session.session_key, owner__isnull=True).first()
    if sandbox is None:
        from django.conf import settings

        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            if not request.session.session_key:
                request.session.save()
            owner = user if user is not None and user.is_authenticated else None
            session_key = request.session.session_key or ""
            _count_new_sandbox(request)
            sandbox = (pool.take(session_key, owner, create_sandbox)
                       or create_sandbox(session_key=session_key, owner=owner))
        else:
            sandbox = _claim_on_a_first_page(request)
            if sandbox is None:
                raise SandboxNotStarted("no session yet")
    note_in_session(request, sandbox)
    ensure_ready(sandbox)
    return sandbox


def opens_a_page_in_a_browser(request: HttpRequest) -> bool:
    """A person's browser opening a page, told by the Fetch Metadata request headers current browsers send with every
    request (W3C "Fetch Metadata Request Headers": Sec-Fetch-Mode `navigate`, Sec-Fetch-Dest `document`). Health
    checks, curl, scripts and most crawlers send neither."""
    return (request.method == "GET" and request.headers.get("Sec-Fetch-Mode") == "navigate"
            and request.headers.get("Sec-Fetch-Dest") == "document")


def _claim_on_a_first_page(request: HttpRequest) -> Sandbox | None:
    """A browser's first request, when a sandbox waits in the pool: claim it in this request (one round trip),
    instead of the 'Preparing' page and a claim on its reload (two). Nothing is built here, and a request that is
    not a browser opening a page still gets the light page and costs no sandbox (SandboxNotStarted).

    The lab's choice: if this very answer never reaches the browser, its reload comes without the cookie and claims
    another waiting sandbox; the first stays unused (it costs no build, and idle eviction frees its memory)."""
    if pool.size() == 0 or not opens_a_page_in_a_browser(request):
        return None
    _count_new_sandbox(request)
    request.session.save()   # the key the sandbox is claimed for (the Set-Cookie of this answer)
    return pool.take(request.session.session_key or "", None, create_sandbox)


def note_in_session(request: HttpRequest, sandbox: Sandbox) -> None:
    """Keep the sandbox in the session. Assigning marks the session modified, which costs a database write (and
    SQLite's write lock) on every request; write only when something changed, and once a day to keep the month of
    SESSION_COOKIE_AGE counting from the learner's last visit (as saving on every request did, to within a day)."""
    today = timezone.now().date().isoformat()
    if request.session.get(SESSION_KEY) != sandbox.pk or request.session.get(SESSION_DAY_KEY) != today:
        request.session[SESSION_KEY] = sandbox.pk
        request.session[SESSION_DAY_KEY] = today


def describe(sandbox: Sandbox, endpoint_url: str, region: str) -> dict:
    """The JSON `manage.py sandbox create --json` prints."""
    admins = {key.account_name: key for key in AccessKey.objects.filter(sandbox=sandbox, user_name=world.ADMIN_USER)}
    return {
        "endpoint_url": endpoint_url,
        "region": region,
        "sandbox": sandbox.id,
        "accounts": [
            {"name": account.name, "id": account.account_id,
             "admin": {"arn": admins[account.name].arn, "access_key_id": admins[account.name].access_key_id,
                       "secret_access_key": admins[account.name].secret_access_key}}
            for account in sandbox.accounts.all()
        ],
    }


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2)
