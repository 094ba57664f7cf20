"""The sandbox app's models carry their rules: StepProgress.record_run decides when a run completes a step;
Sandbox.advance_clock moves a sandbox's clock (in memory when it is live, on its own gateway when sharded);
Sandbox.reset drops the learner's changes and the lab's memory of the sandbox, under the build claim.

Each rule has the mistake it must catch beside it: a what-if or a failed run ticking a step, a later run moving the
first completion's time, a refused call completing a step that does not teach expiry, a live session's check
completing an expiry step; a clock moved back, by NaN or lost on a rebuild; a reset that drops progress or keys, leaves the old world
live, or races a build."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sandboxes.models import (AccessKey, Account, GatewayAssignment, JournaledWrite, KeptSession, Sandbox,
                              StepProgress, StepRun, TrustPolicyEdit)
from sandboxes.results import StepResult
from tests.sandboxes.test_shards import TOKEN, two_gateways  # noqa: F401  (a fixture: two real lab-control servers)

S, STEP = "temporary-credentials", "watch-it-expire"


@pytest.fixture
def sandbox(db) -> Sandbox:
    # A row is enough: record_run touches the database only, never the lab.
    return Sandbox.objects.create(kind="bare")


def _result(succeeded: bool, variant: str = "") -> StepResult:
    return StepResult(variant=variant, variant_label="Run", succeeded=succeeded, ran_at="2026-01-01T00:00:00+00:00")


def _record(sandbox: Sandbox, result: StepResult, **kwargs) -> StepProgress:
    return StepProgress.record_run(sandbox, S, STEP, result, **kwargs)


def test_a_successful_own_run_completes_the_step_and_keeps_its_result(sandbox) -> None:
    progress = _record(sandbox, _result(True))
    progress.refresh_from_db()
    assert progress.completed_at is not None
    assert progress.stored_result() == (_result(True), "")


def test_a_failed_own_run_is_kept_but_does_not_complete(sandbox) -> None:
    progress = _record(sandbox, _result(False))
    progress.refresh_from_db()
    assert progress.completed_at is None
    assert progress.last_result["succeeded"] is False


def test_a_successful_what_if_never_completes_the_step(sandbox) -> None:
    # the mistake: "assume again" on an expiry step ticking it without any expired call refused
    progress = _record(sandbox, _result(True, "assume-again"), run=StepRun.WHAT_IF, teaches_expiry=True)
    progress.refresh_from_db()
    assert progress.completed_at is None
    assert progress.last_result["variant"] == "assume-again"


def test_a_later_run_keeps_the_first_completion_time_and_shows_the_later_result(sandbox) -> None:
    first = _record(sandbox, _result(True))
    done_at = timezone.now() - timedelta(days=1)
    StepProgress.objects.filter(pk=first.pk).update(completed_at=done_at)
    for result, run in ((_result(True), StepRun.OWN), (_result(False), StepRun.OWN),
                        (_result(True, "x"), StepRun.WHAT_IF)):
        progress = _record(sandbox, result, run=run)
        assert progress.pk == first.pk     # one row per step, whatever the number of runs
        progress.refresh_from_db()
        assert progress.completed_at == done_at
        assert progress.last_result["variant"] == result.variant
    assert StepProgress.objects.filter(sandbox=sandbox).count() == 1


def test_an_expired_sessions_refused_call_completes_an_expiry_step(sandbox) -> None:
    progress = _record(sandbox, _result(True, "check:s"), run=StepRun.EXPIRED_SESSION_CHECK, teaches_expiry=True)
    progress.refresh_from_db()
    assert progress.completed_at is not None


def test_an_expired_sessions_refused_call_does_not_complete_a_step_that_does_not_teach_expiry(sandbox) -> None:
    progress = _record(sandbox, _result(True, "check:s"), run=StepRun.EXPIRED_SESSION_CHECK, teaches_expiry=False)
    progress.refresh_from_db()
    assert progress.completed_at is None


def test_a_live_sessions_call_does_not_complete_an_expiry_step(sandbox) -> None:
    # the mistake: checking a session before it expired ticking the step whose lesson is the expiry
    progress = _record(sandbox, _result(True, "check:s"), run=StepRun.LIVE_SESSION_CHECK, teaches_expiry=True)
    progress.refresh_from_db()
    assert progress.completed_at is None


def test_an_expired_sessions_call_that_was_not_refused_as_expected_does_not_complete(sandbox) -> None:
    progress = _record(sandbox, _result(False, "check:s"), run=StepRun.EXPIRED_SESSION_CHECK, teaches_expiry=True)
    progress.refresh_from_db()
    assert progress.completed_at is None


def test_progress_is_per_sandbox_and_step(sandbox) -> None:
    other = Sandbox.objects.create(kind="bare")
    _record(sandbox, _result(True))
    StepProgress.record_run(sandbox, S, "another-step", _result(False))
    assert not other.progress.exists()
    assert StepProgress.objects.get(sandbox=sandbox, step="another-step").completed_at is None


# ---- Sandbox.advance_clock -----------------------------------------------------------------------------------
def _lab_offset(sandbox: Sandbox) -> float:
    """How far the lab's clock for the sandbox is ahead of real time, read after the real time (so never less)."""
    from sandboxes.labclient import lab

    before = timezone.now()
    return (lab().now(sandbox.id) - before).total_seconds()


def test_advance_clock_moves_a_live_sandbox_forward_and_adds_up(learner) -> None:
    assert learner.sandbox.advance_clock(600) == 600
    assert learner.sandbox.advance_clock(60.5) == 660.5
    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds == 660.5
    assert _lab_offset(learner.sandbox) >= 660   # the engine's clock moved too, not only the row


def test_advance_clock_adds_to_what_another_request_saved(learner) -> None:
    # the mistake: a stale instance (loaded before another request moved the clock) writing its own sum back
    stale = Sandbox.objects.get(pk=learner.sandbox.pk)
    learner.sandbox.advance_clock(100)
    assert stale.advance_clock(50) == 150
    assert Sandbox.objects.get(pk=stale.pk).clock_offset_seconds == 150 and _lab_offset(stale) >= 150


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf"), True, "60"])
def test_advance_clock_refuses_anything_but_a_positive_finite_number_and_moves_nothing(learner, seconds) -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        learner.sandbox.advance_clock(seconds)
    assert Sandbox.objects.get(pk=learner.sandbox.pk).clock_offset_seconds == 0
    from sandboxes.labclient import lab

    in_the_lab = lab().now(learner.sandbox.id)
    assert in_the_lab <= timezone.now()   # read first, so not ahead of real time unless the clock moved


def test_advance_clock_on_a_sandbox_out_of_memory_keeps_the_offset_for_its_next_build(learner) -> None:
    # the mistake: the move lost when the evicted sandbox is rebuilt (or the idle sandbox built just to move it)
    from sandboxes import services

    assert services.evict_idle(0) == [learner.sandbox.id]
    assert learner.sandbox.advance_clock(3600) == 3600
    assert not learner.sandbox.is_live()          # moving the clock built nothing
    assert services.ensure_ready(learner.sandbox) is True
    assert _lab_offset(learner.sandbox) >= 3600


def test_advance_clock_tells_the_gateway_the_sandbox_is_placed_on(two_gateways, settings, db) -> None:
    """Sharded (LAB_GATEWAY_URLS): the clock moves on the sandbox's own gateway, over lab control, not the first."""
    from gateway.control.client import RemoteLab

    first, second = (server.url for server in two_gateways)
    settings.LAB_GATEWAY_URL = first   # as the settings module derives it from LAB_GATEWAY_URLS
    sandbox = Sandbox.objects.create(kind="bare")
    Account.objects.create(sandbox=sandbox, name="account-1")
    GatewayAssignment.objects.create(sandbox=sandbox, gateway=second)
    labs = {url: RemoteLab(url, TOKEN) for url in (first, second)}
    labs[second].register_sandbox(sandbox.id, sandbox.account_ids())
    assert sandbox.advance_clock(900) == 900
    before = timezone.now()
    assert (labs[second].now(sandbox.id) - before).total_seconds() >= 900
    assert labs[first].sandbox_of_account(sandbox.account_ids()["account-1"]) is None


def test_advance_clock_of_a_sandbox_placed_on_no_gateway_only_keeps_the_offset(two_gateways, settings, db) -> None:
    settings.LAB_GATEWAY_URL = two_gateways[0].url
    sandbox = Sandbox.objects.create(kind="bare")
    Account.objects.create(sandbox=sandbox, name="account-1")
    assert sandbox.advance_clock(30) == 30 and Sandbox.objects.get(pk=sandbox.pk).clock_offset_seconds == 30
    assert not GatewayAssignment.objects.filter(sandbox=sandbox).exists()   # placing it is a build's job


# ---- Sandbox.reset --------------------------------------------------------------------------------------------
def test_reset_drops_the_learners_changes_and_keeps_progress_and_keys_and_tells_the_other_apps(sandbox) -> None:
    from sandboxes.signals import sandbox_reset

    done_at = timezone.now() - timedelta(hours=1)
    StepProgress.objects.create(sandbox=sandbox, scenario=S, step=STEP, completed_at=done_at,
                                last_result=_result(True).to_json())
    TrustPolicyEdit.objects.create(sandbox=sandbox, account_name="production", role_name="R", document="{}")
    JournaledWrite.objects.create(sandbox=sandbox, service="iam", account_id="200000000001", method="POST", path="/")
    KeptSession.objects.create(sandbox=sandbox, name="audit-session", label="l", arn="a", access_key_id="ASIA1",
                               expiration="2026-01-01T00:00:00Z")
    AccessKey.objects.create(sandbox=sandbox, account_name="production", user_name="u", arn="a",
                             access_key_id="AKIAKEEP", secret_access_key="s")
    other = Sandbox.objects.create(kind="bare")
    TrustPolicyEdit.objects.create(sandbox=other, account_name="production", role_name="R", document="{}")
    sandbox.clock_offset_seconds = 7200
    sandbox.save()
    heard = []

    def receiver(sender, sandbox, **kwargs):
        heard.append(sandbox.pk)
    sandbox_reset.connect(receiver)
    try:
        sandbox.reset()
    finally:
        sandbox_reset.disconnect(receiver)
    assert heard == [sandbox.pk]
    assert not sandbox.trust_edits.exists() and not sandbox.journal.exists() and not sandbox.kept_sessions.exists()
    progress = sandbox.progress.get()
    assert progress.completed_at == done_at and progress.last_result is None
    assert sandbox.access_keys.get().access_key_id == "AKIAKEEP"
    row = Sandbox.objects.get(pk=sandbox.pk)
    assert row.clock_offset_seconds == 0 and row.build_claim == ""   # the claim is released
    assert other.trust_edits.count() == 1    # another learner's sandbox is not touched


def test_reset_forgets_the_sandbox_in_memory_and_its_next_build_brings_the_seed_back(learner) -> None:
    # the mistake: the old world (and its sessions) left live, or the world rebuilt inside the caller's request
    from sandboxes import services
    from sandboxes.labclient import lab, world_state

    learner.run("cross-account-auditors", "assume-audit-role")
    (session,) = lab().sessions(learner.sandbox.id)
    learner.sandbox.advance_clock(600)
    learner.sandbox.reset()
    assert not learner.sandbox.is_live() and lab().sessions(learner.sandbox.id, include_expired=True) == []
    # nor is the old world left in moto (a student who never comes back would keep it until a restart)
    assert not any(world_state().account_loaded(a) for a in learner.sandbox.account_ids().values())
    assert lab().sandbox_of_key(session["access_key_id"]) is None     # its session keys open nothing any more
    assert services.ensure_ready(learner.sandbox) is True
    assert learner.sandbox.is_live() and lab().now(learner.sandbox.id) <= timezone.now()   # clock back to real time


def test_reset_waits_for_another_processs_build_and_changes_nothing_if_it_goes_on(sandbox, monkeypatch) -> None:
    # the mistake: a reset racing a build that read the old trust edits, which then registers the old world
    from sandboxes import models

    TrustPolicyEdit.objects.create(sandbox=sandbox, account_name="production", role_name="R", document="{}")
    Sandbox.objects.filter(pk=sandbox.pk).update(build_claim="another-process", build_claimed_at=timezone.now())
    monkeypatch.setattr(models, "BUILD_WAIT_SECONDS", 0.0)   # give up at once instead of waiting 25 s
    with pytest.raises(models.SandboxBusy):
        sandbox.reset()
    assert sandbox.trust_edits.count() == 1
    assert Sandbox.objects.get(pk=sandbox.pk).build_claim == "another-process"


def test_reset_forgets_the_sandbox_on_the_gateway_it_is_placed_on(two_gateways, settings, db) -> None:
    from gateway.control.client import RemoteLab

    first, second = (server.url for server in two_gateways)
    settings.LAB_GATEWAY_URL = first
    sandbox = Sandbox.objects.create(kind="bare")
    Account.objects.create(sandbox=sandbox, name="account-1")
    GatewayAssignment.objects.create(sandbox=sandbox, gateway=second)
    labs = {url: RemoteLab(url, TOKEN) for url in (first, second)}
    account = sandbox.account_ids()["account-1"]
    labs[second].register_sandbox(sandbox.id, sandbox.account_ids())
    sandbox.reset()
    assert labs[second].sandbox_of_account(account) is None


def test_a_run_answered_beside_another_never_unticks_the_completion_the_other_stored(sandbox, monkeypatch) -> None:
    """A Run and a what-if of one step answered at once: the what-if read the row before the Run completed it. The
    mistake (a full-row save) wrote the None it had read back over the completion."""
    done_at = timezone.now() - timedelta(minutes=1)
    progress = _record(sandbox, _result(False))
    original = StepProgress.store_result

    def the_other_request_completes_it_meanwhile(self, result):
        StepProgress.objects.filter(pk=self.pk).update(completed_at=done_at)
        original(self, result)
    monkeypatch.setattr(StepProgress, "store_result", the_other_request_completes_it_meanwhile)
    kept = _record(sandbox, _result(True, "assume-again"), run=StepRun.WHAT_IF)
    assert kept.completed_at == done_at
    assert StepProgress.objects.get(pk=progress.pk).completed_at == done_at


def test_a_clock_move_waits_for_a_build_in_progress_and_moves_nothing_if_it_goes_on(sandbox, monkeypatch) -> None:
    """The mistake: moving only the row while another process builds the world, whose build then registers the
    offset it read when it started (the move lost)."""
    from sandboxes import models

    Sandbox.objects.filter(pk=sandbox.pk).update(build_claim="another-process", build_claimed_at=timezone.now())
    monkeypatch.setattr(models, "BUILD_WAIT_SECONDS", 0.0)   # give up at once instead of waiting 25 s
    with pytest.raises(models.SandboxBusy):
        sandbox.advance_clock(600)
    assert Sandbox.objects.get(pk=sandbox.pk).clock_offset_seconds == 0.0
