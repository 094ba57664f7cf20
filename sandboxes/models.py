"""A learner's sandbox: a set of AWS account ids of their own, a clock, their edits and their progress.

The database is the source of truth. moto's state (IAM entities, buckets, secrets) and the engine's issued
sessions live in memory and are rebuilt from these rows when they are missing (see sandboxes/services.py).
"""
from __future__ import annotations

import enum
import logging
import math
import secrets
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from gateway import routing
from gateway.runtime import current

from . import signals, world
from .labclient import lab, world_state
from .results import StepResult, load_stored

log = logging.getLogger(__name__)

# Account ids are allocated from a database sequence (the Account primary key) above this base, so they are
# unique across sandboxes, always 12 digits, and never collide with the ids AWS documentation uses
# (123456789012, 987654321098, 111122223333) or moto's default account.
ACCOUNT_ID_BASE = 200_000_000_000

# The SecureCart world's accounts, in the order they are allocated. "management" is the organization's management
# account, which runs no workloads (AWS Organizations User Guide, "Best practices for the management account");
# sandboxes made before it existed get it on their next build (services._build).
WORLD_ACCOUNTS = ("production", "developer", "auditor", "management")


# Building, resetting or evicting a sandbox must happen once even if two requests arrive together (htmx fires
# several): the runtime's ready_lock (gateway.runtime, web memory) keeps this process's threads in line, the database
# claim (Sandbox.claimed_for_build) the other processes.
# A world builds in well under a second from the template (replayed seeding: a few seconds); a claim this old
# belongs to a process that died while building, and the next request takes it over.
BUILD_CLAIM_STALE_SECONDS = 10.0
# How long a request waits for another process's build before giving up (under gunicorn's 30 s worker timeout).
BUILD_WAIT_SECONDS = 25.0
# A claim is renewed only once it is this old: a build of a few milliseconds writes no renewal at all.
CLAIM_RENEW_AFTER_SECONDS = BUILD_CLAIM_STALE_SECONDS / 4


class SandboxBusy(RuntimeError):
    """Another process has been building this sandbox for longer than a request may wait."""


def _new_sandbox_id() -> str:
    return "sbx-" + secrets.token_hex(5)


class Sandbox(models.Model):
    id = models.SlugField(primary_key=True, max_length=24, default=_new_sandbox_id)
    owner_session_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="sandboxes")
    # "world" sandboxes hold the SecureCart accounts; "bare" ones (manage.py sandbox create --accounts N)
    # hold N empty accounts with an admin user each.
    kind = models.CharField(max_length=8, default="world", choices=[("world", "SecureCart world"), ("bare", "Bare")])
    clock_offset_seconds = models.FloatField(default=0.0)
    created = models.DateTimeField(auto_now_add=True)
    # Who is building this sandbox's world in moto right now (claimed_for_build): one web process at a time,
    # even with several processes; a claim older than BUILD_CLAIM_STALE_SECONDS belonged to a process that died.
    build_claim = models.CharField(max_length=32, blank=True, default="")
    build_claimed_at = models.DateTimeField(null=True, blank=True)
    # Built ahead of time and waiting for a learner (sandboxes/pool.py); a learner's claim clears it.
    pooled = models.BooleanField(default=False, db_index=True)
    # Last page or /aws use (minute resolution): idle sandboxes may be evicted from memory (services.evict_idle).
    last_active = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.id

    def account_ids(self) -> dict[str, str]:
        # A sandbox's accounts and their ids never change once made (services.create_sandbox, Account.save), so one
        # read serves every caller of this loaded instance (a step Run asked three times).
        known = self.__dict__.get("known_account_ids")
        if not known:
            known = {account.name: account.account_id for account in self.accounts.all()}
            if known and all(known.values()):
                self.__dict__["known_account_ids"] = known
        return dict(known)

    def is_live(self) -> bool:
        """Built and registered with the lab this thread's calls go to (services.ensure_ready routes them)."""
        accounts = self.account_ids()
        return bool(accounts) and lab().sandbox_of_account(next(iter(accounts.values()))) == self.id

    def advance_clock(self, seconds: float, *, wait_seconds: float | None = None) -> float:
        """Move this sandbox's clock forward by `seconds` (never back) and return its new offset from real time.

        Its sessions, MFA codes and CloudTrail events all read this clock. A sandbox in memory moves at once; one
        that is not (evicted, not built yet) only keeps the new offset here, and its next build registers it
        (services.ensure_ready), so fast-forwarding a room never builds the idle learners' worlds."""
        if isinstance(seconds, bool) or not (isinstance(seconds, (int, float)) and math.isfinite(seconds)
                                             and seconds > 0):
            raise ValueError(f"the sandbox clock only moves forward by a finite number of seconds, not {seconds!r}")
        # Under the build claim: a build in progress registers the offset it read when it started, so the move
        # waits for it; two moves at once (a learner's and the room's) add up instead of one overwriting the other;
        # an eviction or a reset cannot come between the liveness check and the lab call.
        with current().web.ready_lock, self.claimed_for_build(wait_seconds):
            self.refresh_from_db(fields=["clock_offset_seconds"])   # another request may have moved it meanwhile
            offset = self.clock_offset_seconds + seconds
            # The lab first: if its gateway does not answer (LabControlError), nothing has moved and the learner may
            # simply try again; the offset saved below is what every later build registers.
            if self._route_to_its_gateway() and self.is_live():
                lab().set_clock_offset(self.id, offset)
            self.clock_offset_seconds = offset
            self.save(update_fields=["clock_offset_seconds"])
        return offset

    def reset(self, *, wait_seconds: float | None = None) -> None:
        """Back to the world as seeded: the lab forgets the sandbox (its sessions, root keys, instances, trail), and
        in one transaction the learner's trust edits, journaled writes and kept credentials go, the steps' last
        results are cleared (completion is kept), the clock goes back to real time and the other apps drop theirs
        (signals.sandbox_reset). The long-term keys stay, so terminal profiles keep working.

        Like an eviction, it builds nothing: the next services.ensure_ready (every view's, and the /aws endpoint's
        first call) builds the seeded world from the template, so a room's reset costs the instructor no builds.
        Under the build claim, so no build that read the old edits registers after this (waiting up to
        `wait_seconds` for another process's)."""
        with current().web.ready_lock, self.claimed_for_build(wait_seconds):
            # The lab first: if the sandbox's gateway does not answer (LabControlError), nothing is reset yet.
            if self._route_to_its_gateway():
                lab().forget_sandbox(self.id)
                # and the old world itself, as a build drops its leftovers (the extensions' state outside moto,
                # then moto's accounts): a student who never comes back after a room's reset would otherwise leave
                # it in memory until the process restarts
                state, accounts = world_state(), list(self.account_ids().values())
                for account_id in accounts:
                    if state.account_loaded(account_id):
                        world.wipe_extensions(self.id, account_id)
                state.drop_accounts(accounts)
            # One transaction for the learner's rows and the apps' (the signal's receivers): on SQLite one
            # BEGIN IMMEDIATE instead of one per delete, and never half a reset in the database.
            with transaction.atomic():
                self.trust_edits.all().delete()
                self.journal.all().delete()
                self.kept_sessions.all().delete()   # sessions die with the lab's memory that issued them
                self.progress.update(last_result=None)
                self.clock_offset_seconds = 0.0
                self.save(update_fields=["clock_offset_seconds"])
                signals.sandbox_reset.send(sender=Sandbox, sandbox=self)

    @contextmanager
    def claimed_for_build(self, wait_seconds: float | None = None) -> Iterator[None]:
        """Hold the sandbox's build claim (the row's build_claim, taken with one conditional UPDATE, atomic on SQLite
        and PostgreSQL alike) while building, resetting or evicting it: the other processes wait for it. Waits up
        to `wait_seconds` (None: BUILD_WAIT_SECONDS) for another process's claim (SandboxBusy after that); takes
        over a stale one."""
        token = secrets.token_hex(16)
        deadline = time.monotonic() + (BUILD_WAIT_SECONDS if wait_seconds is None else wait_seconds)
        while not self._try_claim(token):
            if not Sandbox.objects.filter(pk=self.pk).exists():
                raise Sandbox.DoesNotExist(f"sandbox {self.pk} no longer exists")
            if time.monotonic() > deadline:
                raise SandboxBusy(f"sandbox {self.pk} is still being built by another process; try again shortly")
            time.sleep(0.2)
        # the runtime's claim_tokens: sandbox id -> this process's claim token while it holds it, and when the claim
        # was last written (monotonic)
        claims = current().web.claim_tokens
        claims[self.pk] = (token, time.monotonic())
        try:
            yield
        finally:
            claims.pop(self.pk, None)
            Sandbox.objects.filter(pk=self.pk, build_claim=token).update(build_claim="", build_claimed_at=None)

    def renew_build_claim(self) -> None:
        """Between build phases: the claim stays fresh while the build makes progress, so only the claim of a process
        that died goes stale (and is taken over within BUILD_CLAIM_STALE_SECONDS)."""
        claims = current().web.claim_tokens
        held = claims.get(self.pk)
        if held is None or time.monotonic() - held[1] < CLAIM_RENEW_AFTER_SECONDS:
            return
        token = held[0]
        claims[self.pk] = (token, time.monotonic())
        Sandbox.objects.filter(pk=self.pk, build_claim=token).update(build_claimed_at=timezone.now())

    def _try_claim(self, token: str) -> bool:
        now = timezone.now()
        free = (Q(build_claimed_at__isnull=True)
                | Q(build_claimed_at__lt=now - timedelta(seconds=BUILD_CLAIM_STALE_SECONDS)))
        # One UPDATE ... WHERE: the database decides who wins, whatever the number of processes.
        return Sandbox.objects.filter(free, pk=self.pk).update(build_claim=token, build_claimed_at=now) == 1

    def _route_to_its_gateway(self) -> bool:
        """With sandboxes sharded (LAB_GATEWAY_URLS), send this thread's lab calls to the gateway this sandbox is
        placed on; False when it is placed on none yet, so no gateway holds it. A dead gateway's sandbox is moved by
        its next services.ensure_ready; until then the call to it fails and nothing changes."""
        if not settings.LAB_GATEWAY_URLS:
            return True
        gateway = GatewayAssignment.objects.filter(sandbox=self).values_list("gateway", flat=True).first()
        if gateway is None:
            return False
        routing.choose(gateway)
        return True


class Account(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(max_length=32)
    account_id = models.CharField(max_length=12, unique=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "name"], name="account_name_unique_in_sandbox")]

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        if not self.account_id:
            # The primary key is the sequence: unique by construction, no retry loop.
            self.account_id = f"{ACCOUNT_ID_BASE + self.pk:012d}"
            super().save(update_fields=["account_id"])

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"


class AccessKey(models.Model):
    """Long-term keys of a seeded IAM user (sandbox-only mock keys; they open nothing outside this lab).

    Kept so the terminal page and the scenario steps can use them; replaced when the world is rebuilt.
    """
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="access_keys")
    account_name = models.CharField(max_length=32)
    user_name = models.CharField(max_length=64)
    arn = models.CharField(max_length=200)
    access_key_id = models.CharField(max_length=128)
    secret_access_key = models.CharField(max_length=128)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "account_name", "user_name"],
                                               name="one_key_per_seeded_user")]


class KeptSession(models.Model):
    """A learner's current session credentials by name ("audit-session"): which access key they are and what the
    card shows, never the secret (sandboxes/credentials.py). The secret stays with the engine that issued the
    session (it verifies signatures with it); the web caches it and asks the engine again on a miss, so a cache
    eviction or a Redis restart loses nothing the gateway still knows."""
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="kept_sessions")
    name = models.CharField(max_length=160)
    label = models.CharField(max_length=300)
    arn = models.CharField(max_length=400)
    access_key_id = models.CharField(max_length=128)
    expiration = models.CharField(max_length=40)          # ISO 8601, UTC
    issued_by = models.CharField(max_length=64, default="AssumeRole")
    origin = models.CharField(max_length=400, blank=True, default="")
    # offered by the console's credentials picker (challenges/kept.py), newest first, at most kept.MAX_KEPT
    in_console = models.BooleanField(default=False)
    kept_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "name"], name="one_kept_session_per_name")]


class TrustPolicyEdit(models.Model):
    """The learner's own version of a role's trust policy; replayed onto the world when it is rebuilt."""
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="trust_edits")
    account_name = models.CharField(max_length=32)
    role_name = models.CharField(max_length=64)
    document = models.TextField()
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "account_name", "role_name"],
                                               name="one_edit_per_role")]


class StepRun(enum.Enum):
    """What kind of run a step's result came from: it decides whether the run can complete the step."""
    OWN = "own"                          # the step's own Run button (or its re-run after a trust-policy edit)
    WHAT_IF = "what-if"                  # one of the step's "what if" variants
    LIVE_SESSION_CHECK = "live-check"    # a call made with a session that has not expired
    EXPIRED_SESSION_CHECK = "expired-check"   # a call made with a session past its expiration


class StepProgress(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="progress")
    scenario = models.SlugField(max_length=64)
    step = models.SlugField(max_length=64)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The last run, as shown on the page (HTTP exchanges with secrets masked, outcome, decision); never secrets.
    # Stored as StepResult.to_json() (sandboxes/results.py, versioned); read it with stored_result().
    last_result = models.JSONField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "scenario", "step"], name="one_progress_per_step")]

    @classmethod
    def record_run(cls, sandbox: Sandbox, scenario: str, step: str, result: StepResult, *,
                   run: StepRun = StepRun.OWN, teaches_expiry: bool = False) -> StepProgress:
        """Keep `result` as the step's last run and mark the step done when this run is the lesson; the first
        completion's time stays. Returns the saved progress row.

        A step counts as done when its own run did what the lesson shows. A what-if never completes it: for an
        expiry step, "assume again" would otherwise tick it without any expired call having been refused. On an
        expiry step (teaches_expiry), a call with the expired session that AWS refused as the lesson expects
        (ExpiredToken: result.succeeded) is the lesson itself, so it completes the step too."""
        # last_result deferred: the previous run is overwritten unread (decoding it was ~0.15 ms of every Run)
        progress, _ = cls.objects.defer("last_result").get_or_create(sandbox=sandbox, scenario=scenario, step=step)
        progress.store_result(result)
        progress.save(update_fields=["last_result", "updated"])   # updated: auto_now, when the step last ran
        # Only ever set, and only where no completion is stored yet: a Run and a what-if of the step answered at
        # once must not write back the None one of them read over the other's completion. A completion read
        # above stays (nothing clears one: a reset keeps the row and its completion, Sandbox.reset), so a step
        # already done skips the UPDATE.
        now = timezone.now()
        if progress.completed_at is None and result.succeeded and cls._completes(run, teaches_expiry) and \
                cls.objects.filter(pk=progress.pk, completed_at__isnull=True).update(completed_at=now):
            progress.completed_at = now   # what the UPDATE wrote: no second read
        elif progress.completed_at is None:
            progress.refresh_from_db(fields=["completed_at"])   # another request may have completed it meanwhile
        return progress

    @staticmethod
    def _completes(run: StepRun, teaches_expiry: bool) -> bool:
        if run is StepRun.OWN:
            return True
        return run is StepRun.EXPIRED_SESSION_CHECK and teaches_expiry

    def store_result(self, result: StepResult) -> None:
        """Keep this run as the step's last result (saved with the row's next save())."""
        self.last_result = result.to_json()

    def stored_result(self) -> tuple[StepResult | None, str]:
        """(the last run, "") — converted if an older lab stored it — or (None, why it is not shown)."""
        result, problem = load_stored(self.last_result)
        if problem:
            log.warning("step result of %s/%s in sandbox %s dropped: unreadable stored form", self.scenario,
                        self.step, self.sandbox_id)
        return result, problem


class JournaledWrite(models.Model):
    """One successful write a learner made through the endpoint (gateway/journal.py), replayed in order when the
    sandbox is rebuilt (restart, eviction). Deleted on reset, like the trust edits."""
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="journal")
    service = models.CharField(max_length=32)
    operation = models.CharField(max_length=64, blank=True, default="")
    account_id = models.CharField(max_length=12)
    method = models.CharField(max_length=8)
    path = models.TextField()
    query = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict)
    body = models.BinaryField(blank=True, default=b"")
    # A CreateAccessKey's key (long-term; its secret may be stored, as for seeded keys), so replay gives it back.
    created_key_id = models.CharField(max_length=128, blank=True, default="", db_index=True)
    created_key_user = models.CharField(max_length=64, blank=True, default="")
    created_key_secret = models.CharField(max_length=128, blank=True, default="")
    recorded = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def replay_entry(self) -> dict:
        created = ({"access_key_id": self.created_key_id, "secret_access_key": self.created_key_secret,
                    "user_name": self.created_key_user} if self.created_key_id else None)
        return {"account_id": self.account_id, "method": self.method, "path": self.path, "query": self.query,
                "headers": dict(self.headers), "body": bytes(self.body), "created_key": created}


class GatewayAssignment(models.Model):
    """Which gateway process owns a sandbox's moto and engine state when sandboxes are sharded across several
    (LAB_GATEWAY_URLS; sandboxes/shards.py). Any web process reads it to route the sandbox's lab-control calls and
    its /aws requests. A gateway that stops answering has its sandboxes moved to a live one (one conditional UPDATE
    per sandbox, so two web processes noticing together move it once) and rebuilt there from the database."""
    sandbox = models.OneToOneField(Sandbox, primary_key=True, on_delete=models.CASCADE, related_name="placement")
    gateway = models.CharField(max_length=200, db_index=True)   # its base URL, as listed in LAB_GATEWAY_URLS
    assigned_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.sandbox_id} -> {self.gateway}"
