"""The sandbox app's models carry their rules: StepProgress.record_run decides when a run completes a step.

Each rule has the mistake it must catch beside it: a what-if or a failed run ticking a step, a later run moving the
first completion's time, a refused call completing a step that does not teach expiry, a live session's check
completing an expiry step."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sandboxes.models import Sandbox, StepProgress, StepRun
from sandboxes.results import StepResult

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
