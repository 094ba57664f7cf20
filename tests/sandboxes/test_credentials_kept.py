"""A learner's current session credentials are never lost to a cache (issue 23): which key a named session is lives in
the database (KeptSession, no secret), the secret stays with the engine that issued it and is fetched again through
its port when the web's cached copy is gone (an LRU cull with more learners than LocMem's 300 entries, a restarted
Redis). Only the engine forgetting the session (a reset, a restart, a dead gateway) sends the learner back a step."""
from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.forms.models import model_to_dict

from sandboxes import credentials
from sandboxes.labclient import lab
from sandboxes.models import KeptSession

S1 = "cross-account-auditors"


def _assumed(learner) -> credentials.SessionCredentials:
    learner.run(S1, "assume-audit-role")
    creds = credentials.get(learner.sandbox.id, "audit-session")
    assert creds is not None
    return creds


@pytest.mark.django_db
def test_the_next_step_works_after_the_cache_is_culled_by_other_learners(learner) -> None:
    # LocMem culls a third of its entries once it holds MAX_ENTRIES (300): 2,000 other entries (other learners'
    # sessions, pages' caches) push every early key out, the learner's cached secret included.
    issued = _assumed(learner)
    for i in range(2000):
        cache.set(f"someone-else:{i}", i)
    assert cache.get(f"session-secret:{issued.access_key_id}") is None       # culled: the old design lost it here
    learner.run(S1, "read-security-logs")
    result = learner.last_result(S1, "read-security-logs")
    assert result["succeeded"] and not result.get("needs"), result
    assert credentials.get(learner.sandbox.id, "audit-session") == issued    # same key, secret and token


@pytest.mark.django_db
def test_a_cleared_cache_forgets_nothing_and_the_database_holds_no_secret(learner) -> None:
    issued = _assumed(learner)
    cache.clear()                                  # what a Redis restart does to the shared cache
    assert credentials.get(learner.sandbox.id, "audit-session") == issued
    row = KeptSession.objects.get(sandbox=learner.sandbox, name="audit-session")
    stored = json.dumps(model_to_dict(row), default=str)
    assert issued.access_key_id in stored
    assert issued.secret_access_key not in stored and issued.session_token not in stored


@pytest.mark.django_db
def test_a_session_the_engine_forgot_is_gone_and_the_step_says_where_to_get_new_ones(learner) -> None:
    issued = _assumed(learner)
    lab().forget_sandbox(learner.sandbox.id)      # a restarted process or a dead gateway: its sessions are gone
    cache.clear()
    assert credentials.get(learner.sandbox.id, "audit-session") is None
    response = learner.run(S1, "read-security-logs", htmx=True)
    assert response.status_code == 200
    needs = learner.last_result(S1, "read-security-logs")["needs"]
    assert needs and "audit-session" in json.dumps(needs)        # "Go to 'Assume the audit role...'"
    assert lab().session_secret(learner.sandbox.id, issued.access_key_id) is None


@pytest.mark.django_db
def test_a_key_of_another_sandbox_is_not_rebuilt_into_this_one(learner, other_learner) -> None:
    # the row names a key; the engine gives its secret back only to the sandbox that issued it
    issued = _assumed(learner)
    KeptSession.objects.create(sandbox=other_learner.sandbox, name="audit-session", label="x", arn=issued.arn,
                               access_key_id=issued.access_key_id, expiration=issued.expiration)
    cache.clear()
    assert credentials.get(other_learner.sandbox.id, "audit-session") is None
    assert credentials.get(learner.sandbox.id, "audit-session") == issued


@pytest.mark.django_db
def test_reset_forgets_every_kept_session_of_that_sandbox_only(learner, other_learner) -> None:
    _assumed(learner)
    _assumed(other_learner)
    credentials.forget_all(learner.sandbox.id)
    assert credentials.get(learner.sandbox.id, "audit-session") is None
    assert credentials.get(other_learner.sandbox.id, "audit-session") is not None


@pytest.mark.django_db
def test_a_culled_cache_does_not_seed_the_template_world_again(learner) -> None:
    # one process: the template's "ready" flag lives as long as moto's template, not as long as an LRU entry
    from unittest import mock

    from sandboxes import template

    template.ensure_template()
    cache.clear()
    with mock.patch.object(template.world, "seed_world", side_effect=AssertionError("seeded again")):
        template.ensure_template()
        assert template.template_ready()


@pytest.mark.django_db
def test_a_challenge_reset_stops_offering_its_roles_console_sessions_only(learner) -> None:
    # challenges.kept.forget_roles: the console's kept sessions of the reset challenge's roles go; another role's
    # and a scenario's session of the same role stay
    from challenges import kept

    def row(name: str, arn: str, in_console: bool) -> None:
        KeptSession.objects.create(sandbox=learner.sandbox, name=name, label=name, arn=arn, in_console=in_console,
                                   access_key_id="ASIA" + name.upper().ljust(16, "X")[:16],
                                   expiration="2026-12-07T12:00:00+00:00")

    row("console-a", "arn:aws:sts::200000000001:assumed-role/Challenge-Analytics/notebook", True)
    row("console-b", "arn:aws:sts::200000000001:assumed-role/Challenge-DataSupport/ops", True)
    row("scenario", "arn:aws:sts::200000000001:assumed-role/Challenge-Analytics/step", False)
    assert kept.forget_roles(learner.sandbox.id, ["arn:aws:iam::200000000001:role/Challenge-Analytics"]) == 1
    assert sorted(KeptSession.objects.filter(sandbox=learner.sandbox).values_list("name", flat=True)) == [
        "console-b", "scenario"]
    assert kept.forget_roles(learner.sandbox.id, []) == 0
