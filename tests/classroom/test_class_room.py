"""The class in its room (issue 28): class events reach every student as a cue, follow-me asks before dropping
unsaved edits, a raised-hand queue and a roster for 40, and the defects the issue lists, each with the mistake its
test catches."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from classroom import services
from classroom.models import Activity, Classroom, Poll, Student
from quiz.models import LiveAnswer

S1 = "cross-account-auditors"
STEP = f"/scenarios/{S1}/assume-audit-role/"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def iris(signed_in_instructor) -> Client:
    """Iris, who runs the class."""
    return signed_in_instructor("iris")


@pytest.fixture
def classroom(iris) -> Classroom:
    iris.post("/class/new/", {"title": "Room 28", "expected_students": "0"})
    classroom = Classroom.objects.get(title="Room 28")
    iris.get(f"/class/{classroom.code}/")   # hosting it: her pages show the host's class bar
    return classroom


def join(classroom: Classroom, nickname: str) -> tuple[Client, Student]:
    client = Client()
    r = client.post("/class/join/", {"code": classroom.code, "nickname": nickname})
    assert r.status_code == 302, r.content[:300]
    return client, Student.objects.get(classroom=classroom, nickname=nickname, removed_at__isnull=True)


def bar(client: Client, at: str = STEP, **extra):
    return client.get("/class/bar/", {"at": at, **extra}, **HX)


# ---- polls --------------------------------------------------------------------------------------------------------
def test_reveal_needs_a_run_made_after_the_poll_opened(iris, classroom):
    """The mistake: revealing with any earlier run of the step in the instructor's sandbox, maybe from another class
    or before a policy edit, so the 'real answer' shown could be stale."""
    iris.post(f"/scenarios/{S1}/assume-audit-role/run/")                       # before the poll
    iris.post(f"/class/{classroom.code}/poll/", {"scenario": S1, "step": "assume-audit-role"})
    poll = Poll.objects.get(classroom=classroom)
    r = iris.post(f"/class/{classroom.code}/poll/{poll.pk}/reveal/", {"at": STEP}, **HX)
    assert r.status_code == 200 and "Run the step first" in r.content.decode()   # said in the bar
    poll.refresh_from_db()
    assert not poll.is_revealed
    iris.post(f"/scenarios/{S1}/assume-audit-role/run/", {"variant": "wrong-external-id"})   # a what-if is no answer
    iris.post(f"/class/{classroom.code}/poll/{poll.pk}/reveal/", {"at": STEP})
    poll.refresh_from_db()
    assert not poll.is_revealed
    iris.post(f"/scenarios/{S1}/assume-audit-role/run/")
    iris.post(f"/class/{classroom.code}/poll/{poll.pk}/reveal/", {"at": STEP})
    poll.refresh_from_db()
    assert poll.is_revealed and poll.answer == "allowed"


def test_the_host_bar_shows_how_many_answered_but_not_the_split_before_the_reveal(iris, classroom):
    alice, _ = join(classroom, "alice")
    iris.post(f"/class/{classroom.code}/poll/", {"scenario": S1, "step": "assume-audit-role"})
    poll = Poll.objects.get(classroom=classroom)
    alice.post(f"/class/bar/poll/{poll.pk}/vote/", {"choice": "denied", "at": STEP})
    html = bar(iris).content.decode()
    assert "1 of 1 answered" in html and "data-poll-count" not in html


# ---- class events as cues ---------------------------------------------------------------------------------------
def test_a_poll_reaches_the_student_as_a_floating_cue_with_its_votes(iris, classroom):
    alice, _ = join(classroom, "alice")
    assert 'data-class-cue' not in bar(alice).content.decode()
    iris.post(f"/class/{classroom.code}/poll/", {"scenario": S1, "step": "assume-audit-role"})
    html = bar(alice).content.decode()
    cue = html[html.index('<div class="class-cue is-poll"'):]   # the cue is the bar's last part
    assert 'data-vote="allowed"' in cue and 'aria-labelledby="class-cue-title"' in cue
    # elsewhere in the scenario, the cue says where the poll is instead
    html = bar(alice, at=f"/scenarios/{S1}/meet-the-auditor/").content.decode()
    assert 'data-cue-kind="poll-elsewhere"' in html and f'href="{STEP}"' in html


def test_the_class_quiz_reaches_students_who_are_not_in_it_yet(iris, classroom):
    alice, student = join(classroom, "alice")
    iris.post(f"/class/{classroom.code}/quiz/", {"count": "2"})
    assert 'data-cue-kind="quiz"' in bar(alice).content.decode()
    r = alice.post("/class/bar/quiz/", {"at": STEP})
    classroom.refresh_from_db()
    assert r["Location"] == f"/quiz/live/{classroom.quiz_room.code}/play/"
    html = bar(alice).content.decode()
    assert 'data-cue-kind="quiz"' not in html and "Back to the class quiz" in html
    # in the quiz the phone's bar keeps to one line: the answer buttons need the screen
    html = bar(alice, at=f"/quiz/live/{classroom.quiz_room.code}/play/").content.decode()
    assert 'class="class-bar compact"' in html and "data-explore" not in html and "data-raise-hand" not in html


def test_follow_me_moves_a_student_at_once_but_asks_one_with_unsaved_edits(iris, classroom):
    """The mistake: moving a student who is typing (a trust policy half edited) and losing their work."""
    alice, _ = join(classroom, "alice")
    iris.post(f"/class/{classroom.code}/follow/", {"scenario": S1, "step": "assume-audit-role"})
    here = f"/scenarios/{S1}/meet-the-auditor/"
    r = bar(alice, at=here)
    assert r.status_code == 204 and r["HX-Redirect"] == STEP
    r = bar(alice, at=here, dirty="on")
    html = r.content.decode()
    assert r.status_code == 200 and "HX-Redirect" not in r
    assert 'data-cue-kind="follow"' in html and f'href="{STEP}" data-cue-go' in html and "data-cue-stay" in html
    # "Stay here" is exploring on their own: later polls leave them where they are, edits or not
    alice.post("/class/bar/following/", {"at": here})
    assert "HX-Redirect" not in bar(alice, at=here)


def test_an_ended_class_shows_no_way_in_and_no_follow_controls(iris, classroom):
    """The mistake: an ended class still showed its join code, QR code and follow-me controls."""
    alice, _ = join(classroom, "alice")
    iris.post(f"/class/{classroom.code}/follow/", {"scenario": S1, "step": "assume-audit-role"})
    iris.post(f"/class/{classroom.code}/end/")
    classroom.refresh_from_db()
    assert not classroom.is_open and classroom.follow_url() == ""
    html = iris.get(f"/class/{classroom.code}/").content.decode()
    assert "data-class-ended" in html
    assert "data-join-address" not in html and "QR code for the class join link" not in html
    assert "Stop follow-me" not in html and "data-class-quiz" not in html
    html = bar(alice, at="/").content.decode()
    assert 'data-cue-kind="ended"' in html and "data-explore" not in html and "data-raise-hand" not in html
    assert "Bring everyone here" not in iris.get(STEP).content.decode()   # the host bar went with the class
    iris.post(f"/class/{classroom.code}/end/", {"reopen": "1"})
    assert "data-join-address" in iris.get(f"/class/{classroom.code}/").content.decode()


def test_a_run_on_a_scenario_locked_after_the_page_opened_shows_the_locked_notice(iris, classroom):
    """The mistake: the htmx Run got a 403 page htmx does not swap, and lab.js said "the page is out of date"."""
    alice, _ = join(classroom, "alice")
    assert alice.get(STEP).status_code == 200
    iris.post(f"/class/{classroom.code}/scenarios/", {"scenario": S1, "locked": "on"})
    r = alice.post(f"/scenarios/{S1}/assume-audit-role/run/", **HX)
    assert r.status_code == 204 and r["HX-Redirect"] == f"/scenarios/{S1}/"
    r = alice.get(r["HX-Redirect"], follow=True)
    assert r.status_code == 403 and "This scenario is not open yet" in r.content.decode()


# ---- raised hands and the roster ----------------------------------------------------------------------------------
def test_raised_hands_queue_in_order_with_their_step_until_the_instructor_lowers_them(iris, classroom,
                                                                                  signed_in_instructor):
    alice, a = join(classroom, "alice")
    bob, b = join(classroom, "bob")
    bar(bob, at=STEP)                        # bob's page is on the AssumeRole step
    bob.post("/class/bar/hand/", {"raised": "on", "at": STEP}, **HX)
    alice.post("/class/bar/hand/", {"raised": "on", "at": "/"}, **HX)
    bob.post("/class/bar/hand/", {"raised": "on", "at": STEP}, **HX)   # pressing again keeps his place
    html = iris.get(f"/class/{classroom.code}/roster/").content.decode()
    queue = re.search(r"data-hands>(.*?)</ol>", html, re.S).group(1)
    assert re.findall(r'data-hand="(\w+)"', queue) == ["bob", "alice"]
    assert "Assume the audit role" in queue.split('data-hand="alice"')[0]
    assert 'data-summary-hands>2<' in html
    ivan = signed_in_instructor("ivan")
    assert ivan.post(f"/class/{classroom.code}/students/{b.pk}/hand/").status_code == 404   # not his class
    r = iris.post(f"/class/{classroom.code}/students/{b.pk}/hand/", **HX)
    assert re.findall(r'data-hand="(\w+)"', r.content.decode()) == ["alice"]
    alice.post("/class/bar/hand/", {"at": "/"})   # she lowers her own
    assert "data-hands" not in iris.get(f"/class/{classroom.code}/roster/").content.decode()


def test_the_roster_sums_up_the_class_and_sorts_who_needs_help_first(iris, classroom):
    clients = {name: join(classroom, name) for name in ("amy", "ben", "cat", "dan")}
    now = timezone.now()
    amy, ben, cat, dan = (clients[n][1] for n in ("amy", "ben", "cat", "dan"))
    for _ in range(3):   # ben: the same refusal three times
        Activity.objects.create(student=ben, scenario=S1, step="assume-audit-role", outcome="denied",
                                code="AccessDenied", succeeded=False)
    Student.objects.filter(pk=cat.pk).update(joined_at=now - timedelta(minutes=9), following=False)  # idle, exploring
    Activity.objects.create(student=dan, scenario=S1, step="meet-the-auditor", outcome="allowed", succeeded=True)
    Student.objects.filter(pk__in=[amy.pk, ben.pk]).update(last_seen=now)  # online
    html = iris.get(f"/class/{classroom.code}/roster/").content.decode()
    summary = dict(re.findall(r'data-summary-(\w+)>(\d+)<', html))
    assert summary == {"online": "2", "stuck": "1", "idle": "1", "exploring": "1", "hands": "0"}
    assert re.findall(r'<tr data-student="(\w+)"', html)[:2] == ["ben", "cat"]   # stuck, then idle
    html = iris.get(f"/class/{classroom.code}/roster/", {"sort": "name"}).content.decode()
    assert re.findall(r'<tr data-student="(\w+)"', html) == ["amy", "ben", "cat", "dan"]
    assert iris.get(f"/class/{classroom.code}/roster/", {"sort": "nonsense"}).status_code == 200   # the default


def test_a_run_that_made_no_call_shows_no_call_not_a_red_error(iris, classroom):
    """The mistake: a Run that stopped before any call (it needs an earlier step) showed a red "error" with no code."""
    alice, _ = join(classroom, "alice")
    alice.post(f"/scenarios/{S1}/read-security-logs/run/")   # nothing assumed yet: no call is made
    html = iris.get(f"/class/{classroom.code}/roster/").content.decode()
    row = re.search(r'<tr data-student="alice".*?</tr>', html, re.S).group(0)
    assert "data-no-call" in row and 'badge error">error' not in row


# ---- the export ---------------------------------------------------------------------------------------------------
def test_the_class_csv_matches_quiz_scores_by_student_not_by_nickname(iris, classroom):
    """The mistake: a student who re-joined under a removed student's nickname got that student's score; and the
    header said "of 8" when the room had played 2."""
    old_client, old_alice = join(classroom, "alice")
    iris.post(f"/class/{classroom.code}/quiz/", {"count": "3"})
    classroom.refresh_from_db()
    room = classroom.quiz_room
    old_client.post("/class/bar/quiz/")
    room.advance("start")
    LiveAnswer.objects.create(room=room, player=room.players.get(), index=0, selected=["a"], correct=True, points=950)
    services.remove_student(old_alice)
    new_client, new_alice = join(classroom, "alice")
    new_client.post("/class/bar/quiz/")
    assert new_alice.pk != old_alice.pk and room.players.count() == 2   # seated as "alice 2" beside the first
    rows = list(csv.DictReader(io.StringIO(iris.get(f"/class/{classroom.code}/export.csv").content.decode())))
    played = f"quiz {room.code} correct (of 1 played)"
    by_removed = {row["removed"]: row for row in rows}
    assert (by_removed["yes"][f"quiz {room.code} points"], by_removed["yes"][played]) == ("950", "1")
    assert (by_removed[""][f"quiz {room.code} points"], by_removed[""][f"quiz {room.code} rank"]) == ("0", "2")


# ---- make class's addresses ---------------------------------------------------------------------------------------
def test_make_class_advertises_only_an_address_it_listens_on():
    """The mistake: CLASS_BIND=127.0.0.1 still printed (and put in every join link) a LAN address."""
    from scripts.serve_class import advertised_addresses, class_environment

    assert advertised_addresses("127.0.0.1", "", ["192.168.1.20"]) == ["127.0.0.1"]
    assert advertised_addresses("192.168.1.20", "10.0.0.5", ["192.168.1.20", "10.0.0.5"]) == ["192.168.1.20"]
    assert advertised_addresses("0.0.0.0", "10.0.0.5", ["192.168.1.20", "10.0.0.5"]) == ["10.0.0.5", "192.168.1.20"]
    assert advertised_addresses("0.0.0.0", "", []) == ["127.0.0.1"]
    env = class_environment(["192.168.1.20"], 8080, "http://192.168.1.20:8080")
    assert env["LAB_PUBLIC_URL"] == "http://192.168.1.20:8080"
    assert env["LAB_PUBLIC_AWS_URL"] == "http://192.168.1.20:8080/aws"   # what exchanges show, on the class's port


def test_a_steps_exchange_shows_the_public_aws_address(learner, monkeypatch):
    """The mistake: the HTTP exchange said http://127.0.0.1:8000/aws while the class ran on another address."""
    monkeypatch.setenv("LAB_PUBLIC_AWS_URL", "http://192.168.1.20:8080/aws")
    learner.run(S1, "assume-audit-role")
    result = learner.last_result(S1, "assume-audit-role")
    urls = [exchange["url"] for call in result["calls"] for exchange in call.get("exchanges", [])]
    assert urls and all(url.startswith("http://192.168.1.20:8080/aws") for url in urls)


def test_the_instructor_command_sets_the_database_up_on_a_fresh_clone(db, monkeypatch):
    """The README's first instructor command failed on a fresh clone ("no such table: auth_user"): it migrates."""
    from classroom.management.commands import instructor

    ran = []
    monkeypatch.setattr(instructor.MigrationExecutor, "migration_plan", lambda self, targets: ["pending"])
    monkeypatch.setattr(instructor, "call_command", lambda name, **kwargs: ran.append(name))
    out = io.StringIO()
    User.objects.create_user("nia", password="a-long-classroom-password")
    call_command("instructor", "nia", stdout=out)
    assert ran == ["migrate"] and "Setting up the database first" in out.getvalue()
    assert User.objects.get(username="nia").has_perm("classroom.run_class")
