"""The checkers beyond "the solution passes" (test_challenge_solutions.py) and "each mistake is refused"
(test_challenge_mistakes.py): the seeded state never passes, defenders' answers come from the sandbox, a reset
brings the seed back and drops the round's console sessions, the checker's own calls are marked in CloudTrail and
left out of the Detections and the Defend exercises, and the default (jailed) console path still works."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from challenges import catalog, kept, probes
from challenges.models import ChallengeProgress, CheckerCall
from sandboxes import credentials
from sandboxes.labclient import learner_client
from sandboxes.services import key_for
from trail.models import TrailEvent

from tests.challenges.challengeplay import check, console_post, failures, in_process_console, play

pytestmark = pytest.mark.slow


@pytest.fixture
def player(transactional_db, learner, monkeypatch):
    # the console's loopback server answers in another thread (console.endpoint): it must see this thread's rows
    in_process_console(monkeypatch)
    return learner


def test_the_seeded_state_of_every_challenge_is_not_solved(player):
    for challenge in catalog.challenges():
        assert player.client.get(f"/challenges/{challenge.slug}/").status_code == 200
        answers = {a.name: "nothing" if not a.choices else a.choices[0][0] for a in challenge.answers}
        result = check(player.client, player.sandbox, challenge.slug, answers)
        assert not result["passed"], challenge.slug
        assert all(f["text"] for f in result["findings"])


def test_defender_answers_follow_the_sandbox_not_a_fixed_string(player, other_learner):
    slug = "who-read-the-secret"
    spec = catalog.get(slug)
    for learner in (player, other_learner):
        assert learner.client.get(f"/challenges/{slug}/").status_code == 200
    mine = play(player.client, player.sandbox, slug, spec.solution)
    theirs = {"access_key_id": key_for_challenge(other_learner, "backup-agent"), "user_name": "backup-agent"}
    assert mine["access_key_id"] != theirs["access_key_id"] and mine["access_key_id"].startswith("AKIA")
    assert not check(player.client, player.sandbox, slug, theirs)["passed"]
    wrong_user = {**mine, "user_name": "metrics-exporter"}
    result = check(player.client, player.sandbox, slug, wrong_user)
    assert [f["ok"] for f in result["findings"]] == [True, False]
    assert "metrics-exporter" in result["findings"][1]["text"] and "backup-agent" not in result["findings"][1]["text"]
    assert check(player.client, player.sandbox, slug, mine)["passed"]
    empty = player.client.post(f"/challenges/{slug}/check/", {}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 400 and b"This field is required" in empty.content


def key_for_challenge(learner, user: str) -> str:
    return probes.key_of(learner.sandbox, user).access_key_id


def test_reset_restores_the_seed_keeps_it_solved_and_drops_the_rounds_console_sessions(player):
    slug = "session-policy-one-task"
    spec = catalog.get(slug)
    player.client.get(f"/challenges/{slug}/")
    play(player.client, player.sandbox, slug, spec.solution)
    assert check(player.client, player.sandbox, slug)["passed"]
    assert any("Challenge-DataSupport" in s.arn for s in kept.sessions(player.sandbox.id))
    assert player.client.post(f"/challenges/{slug}/reset/").status_code == 302
    # on main, the kept session survived the reset and the check passed at once
    assert not any("Challenge-DataSupport" in s.arn for s in kept.sessions(player.sandbox.id))
    again = check(player.client, player.sandbox, slug)
    assert not again["passed"] and "no live session of Challenge-DataSupport" in failures(again)[0]["text"]
    progress = ChallengeProgress.objects.get(sandbox=player.sandbox, challenge=slug)
    assert progress.solved_at is not None and progress.hints_when_solved == 0


def test_an_attack_before_a_reset_is_not_this_rounds_attack(player):
    slug = "wildcard-trust"
    player.client.get(f"/challenges/{slug}/")
    play(player.client, player.sandbox, slug, catalog.get(slug).solution[:1])
    assert check(player.client, player.sandbox, slug)["passed"]
    player.sandbox.advance_clock(2)   # the reset comes later than the attack, as a person's would
    player.client.post(f"/challenges/{slug}/reset/")
    assert not check(player.client, player.sandbox, slug)["passed"]


def test_a_revocation_applied_in_the_second_of_the_leak_still_stops_the_leak(player):
    slug = "revoke-leaked-sessions"
    player.client.get(f"/challenges/{slug}/")
    leaked = credentials.get(player.sandbox.id, probes.seeded_session_name(slug, "leaked"))
    assert leaked is not None
    play(player.client, player.sandbox, slug, catalog.get(slug).solution)   # in the same second, or the next
    result = check(player.client, player.sandbox, slug)
    assert result["findings"][0]["ok"], result   # the leaked session is refused whatever the fraction of a second


def test_the_checkers_calls_are_marked_in_cloudtrail(player):
    slug = "auditors-externalid-and-mfa"
    player.client.get(f"/challenges/{slug}/")
    check(player.client, player.sandbox, slug)
    player.client.get("/trail/")   # the page persists what the trail buffered
    ids = set(CheckerCall.objects.filter(sandbox=player.sandbox).values_list("request_id", flat=True))
    events = [e for e in TrailEvent.objects.filter(sandbox=player.sandbox) if e.record.get("requestID") in ids]
    assert len(events) >= 5
    assert all(e.record["userAgent"] == probes.CHECKER_USER_AGENT for e in events)
    sessions = [e.record["requestParameters"]["roleSessionName"] for e in events if e.event_name == "AssumeRole"]
    assert sessions and all(name.startswith("lab-checker-") for name in sessions)


def test_checker_probes_are_not_detections_but_a_learners_copy_of_its_user_agent_is(player):
    for slug in ("auditors-externalid-and-mfa", "github-oidc-main-branch"):   # 8 refused AssumeRole* probes
        player.client.get(f"/challenges/{slug}/")
        check(player.client, player.sandbox, slug)
    page = player.client.get("/trail/findings/").content.decode()
    assert 'data-rule="repeated-assume-role-denied"' not in page and "(via )" not in page
    # a learner who copies the checker's userAgent is still seen probing roles
    key = key_for(player.sandbox, "production", "lab-admin")
    sts = learner_client("sts", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)
    sts.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
        "User-Agent", probes.CHECKER_USER_AGENT))
    role = f"arn:aws:iam::{player.sandbox.account_ids()['production']}:role/Challenge-AuditReview"
    for _ in range(3):
        with pytest.raises(Exception):
            sts.assume_role(RoleArn=role, RoleSessionName="lab-checker-1")
    page = player.client.get("/trail/findings/").content.decode()
    assert 'data-rule="repeated-assume-role-denied"' in page and "lab-admin" in page


def test_the_defend_exercise_asks_about_the_learners_refused_call_not_the_checkers(player):
    key = key_for(player.sandbox, "developer", "developer")
    s3 = learner_client("s3", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)
    with pytest.raises(Exception):
        s3.get_object(Bucket="securecart-invoices", Key="2024/10/INV-100231.pdf")
    player.client.get(f"/challenges/auditors-externalid-and-mfa/")
    check(player.client, player.sandbox, "auditors-externalid-and-mfa")   # refused AssumeRole probes, newer
    r = player.client.post("/trail/defend/5/", {"answer": "GetObject"})
    assert "Correct: the events bear it out." in r.content.decode()


def test_the_default_jailed_console_applies_a_solution_the_checker_accepts(learner):
    """The path `make run` takes: the real AWS CLI in its bubblewrap sandbox (no in-process console here)."""
    slug = "auditors-externalid-and-mfa"
    learner.client.get(f"/challenges/{slug}/")
    values = probes.placeholder_values(learner.sandbox, catalog.get(slug))
    from challenges import schema

    html = console_post(learner.client, schema.fill(catalog.get(slug).solution[0].run, values),
                        "key:production/lab-admin", slug)
    assert "exit code 0" in html
    assert check(learner.client, learner.sandbox, slug)["passed"]


def test_probes_undo_what_they_wrote(player):
    """A probe that goes through (a wrong boundary lets junior-dev write himself a policy) is undone after the
    check: the learner's sandbox is asked, never changed."""
    slug = "boundary-stops-escalation"
    player.client.get(f"/challenges/{slug}/")
    result = check(player.client, player.sandbox, slug)   # no boundary yet: every escalation goes through
    assert any("grant himself everything" in f["text"] and ": allowed; the next probes" in f["text"]
               for f in result["findings"])
    iam = learner_client("iam", **_admin_kwargs(player))
    assert iam.list_user_policies(UserName="junior-dev")["PolicyNames"] == ["JuniorDeveloper"]
    user = iam.get_user(UserName="junior-dev")["User"]
    assert "PermissionsBoundary" not in user
    s3 = learner_client("s3", **_admin_kwargs(player))
    listing = s3.list_objects_v2(Bucket="securecart-security-logs").get("Contents", [])
    assert all(not o["Key"].startswith("lab-checker/") for o in listing)


def _admin_kwargs(learner) -> dict:
    key = key_for(learner.sandbox, "production", "lab-admin")
    return {"access_key_id": key.access_key_id, "secret_access_key": key.secret_access_key}


def test_an_expired_console_session_is_marked_on_the_sandbox_clock(player):
    html = console_post(player.client, "aws sts get-session-token --duration-seconds 900", "key:production/lab-admin")
    assert "Kept:" in html
    player.sandbox.advance_clock(16 * 60)
    page = player.client.get("/challenges/console/").content.decode()
    assert "— expired" in page


@pytest.mark.parametrize("query,output,kept_expected", [
    ("Credentials", "text", True), ("Credentials", "json", True), ("Credentials", "table", True),
    ("Credentials.[AccessKeyId,SecretAccessKey,SessionToken]", "text", True),
    ("Credentials.AccessKeyId", "text", False),
])
def test_a_session_shaped_by_query_and_output_is_kept_when_it_shows_all_three_parts(player, query, output,
                                                                                     kept_expected):
    html = console_post(player.client, f"aws sts get-session-token --query {query} --output {output}",
                        "key:production/lab-admin")
    assert "exit code 0" in html
    assert ("Kept:" in html) is kept_expected, html[:1500]
    if not kept_expected:
        assert "Not kept:" in html and "print the whole Credentials" in html
    assert bool(kept.sessions(player.sandbox.id)) is kept_expected


def test_one_check_at_a_time_per_sandbox_and_no_faster_than_people_read(learner, monkeypatch):
    from django.core.cache import caches

    from challenges import views
    from securecart import throttle

    # the counter's windows are fixed: hold the clock inside one, or a boundary between two posts resets the count
    now = time.time()
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: now))
    slug = "wildcard-trust"
    learner.client.get(f"/challenges/{slug}/")
    caches["throttle"].add(f"challenge-check:{learner.sandbox.id}", 1, 60)   # another tab's check is running
    r = learner.client.post(f"/challenges/{slug}/check/", HTTP_HX_REQUEST="true")
    assert r.status_code == 429 and views.CHECK_BUSY in r.content.decode()
    assert ChallengeProgress.objects.get(sandbox=learner.sandbox, challenge=slug).attempts == 0
    caches["throttle"].delete(f"challenge-check:{learner.sandbox.id}")
    # the refused one counted too: a script resending on "busy" is slowed down as well
    allowed = views.CHECKS_PER_WINDOW - 1
    answers = [learner.client.post(f"/challenges/{slug}/check/", HTTP_HX_REQUEST="true").status_code
               for _ in range(allowed + 1)]
    assert answers[:allowed] == [200] * allowed and answers[-1] == 429
    # per challenge: checking another one (a class working down the list) is not slowed down
    assert learner.client.post("/challenges/chain-to-root-trust/check/", HTTP_HX_REQUEST="true").status_code == 200
    assert not caches["throttle"].get(f"challenge-check:{learner.sandbox.id}")   # the lease is given back
