"""Classroom: an instructor (with the permission) opens a class; students join with a nickname only."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client
from django.utils.html import escape

from classroom.models import Activity, Classroom, Poll, Student
from sandboxes import credentials
from sandboxes.models import Sandbox
from scenarios import registry

S1 = "cross-account-auditors"


@pytest.fixture
def instructor(signed_in_instructor) -> Client:
    """Iris: an instructor."""
    return signed_in_instructor("iris")


@pytest.fixture
def other_instructor(signed_in_instructor) -> Client:
    """Ivan: another instructor, who runs no class of Iris's."""
    return signed_in_instructor("ivan")


@pytest.fixture
def classroom(instructor) -> Classroom:
    r = instructor.post("/class/new/", {"title": "Tuesday STS"})
    assert r.status_code == 302
    return Classroom.objects.get(title="Tuesday STS")


def join(classroom: Classroom, nickname: str) -> tuple[Client, Student]:
    client = Client()
    r = client.post("/class/join/", {"code": classroom.code.lower(), "nickname": nickname})
    assert r.status_code == 302, r.content[:500]
    return client, Student.objects.get(classroom=classroom, nickname=nickname, removed_at__isnull=True)


def test_it_grants_the_instructor_permission_and_refuses_others(db):
    User.objects.create_user("plain", password="a-long-classroom-password")
    client = Client()
    client.force_login(User.objects.get(username="plain"))
    assert client.post("/class/new/", {"title": "x"}).status_code == 403
    call_command("instructor", "plain", stdout=io.StringIO())
    assert client.post("/class/new/", {"title": "x"}).status_code == 302
    call_command("instructor", "plain", "--revoke", stdout=io.StringIO())
    assert not User.objects.get(username="plain").has_perm("classroom.run_class")


def test_it_joins_with_a_nickname_and_gives_each_student_a_sandbox(classroom):
    alice, a = join(classroom, "alice")
    bob, b = join(classroom, "bob")
    assert a.sandbox_id != b.sandbox_id
    assert alice.session["sandbox_id"] == a.sandbox_id
    r = alice.get("/")
    assert r.status_code == 200 and b"you are <strong>alice</strong>" in r.content
    # The player uses the student's sandbox.
    alice.post(f"/scenarios/{S1}/assume-audit-role/run/")
    assert Sandbox.objects.get(pk=a.sandbox_id).progress.filter(step="assume-audit-role").exists()
    assert not Sandbox.objects.get(pk=b.sandbox_id).progress.exists()


def test_it_refuses_a_taken_nickname_and_a_wrong_code(classroom):
    join(classroom, "alice")
    r = Client().post("/class/join/", {"code": classroom.code, "nickname": "ALICE"})
    assert r.status_code == 409 and b"already taken" in r.content
    r = Client().post("/class/join/", {"code": "ZZZZZZ", "nickname": "carol"})
    assert r.status_code == 404 and b"No class has that code" in r.content
    r = Client().post("/class/join/", {"code": classroom.code, "nickname": "  "})
    assert r.status_code in (400, 409)


def test_the_own_link_restores_the_place_on_another_device(classroom):
    _, alice = join(classroom, "alice")
    phone = Client()
    r = phone.get(alice.link())
    assert r.status_code == 302
    assert phone.session["sandbox_id"] == alice.sandbox_id


def test_a_removed_student_loses_the_class_and_the_link(instructor, classroom):
    client, alice = join(classroom, "alice")
    r = instructor.post(f"/class/{classroom.code}/students/{alice.pk}/remove/")
    assert r.status_code == 302
    assert Client().get(alice.link()).status_code == 404
    assert client.get("/class/me/").status_code == 302  # back to the join page
    # The nickname is free again.
    join(classroom, "alice")


def test_an_ended_class_takes_nobody_new_and_can_reopen(instructor, classroom):
    instructor.post(f"/class/{classroom.code}/end/")
    r = Client().post("/class/join/", {"code": classroom.code, "nickname": "late"})
    assert r.status_code == 409 and b"ended" in r.content
    instructor.post(f"/class/{classroom.code}/end/", {"reopen": "1"})
    join(classroom, "late")


def test_roster_shows_step_outcome_and_stuck(instructor, classroom):
    alice_client, alice = join(classroom, "alice")
    for _ in range(3):  # the intern has no sts:AssumeRole: the same denial three times on the main run
        alice_client.post(f"/scenarios/{S1}/assume-audit-role/run/", {"variant": "intern-without-permission"})
    assert Activity.objects.filter(student=alice, outcome="denied", code="AccessDenied").count() == 3
    r = instructor.get(f"/class/{classroom.code}/roster/")
    assert b"AccessDenied" in r.content and b"what-if" in r.content
    # alice never opened a page with the class bar, so "Where" is the step of her last run (not "not on a step")
    scenario = registry.get(S1)
    where = escape(f"{scenario.number}. {scenario.title} › {scenario.step('assume-audit-role').title}")
    row = re.search(r'<tr data-student="alice".*?</tr>', r.content.decode(), re.S).group(0)
    assert f"<td data-where>{where}</td>" in row
    alice_client.post(f"/scenarios/{S1}/assume-audit-role/run/")
    r = instructor.get(f"/class/{classroom.code}/roster/")
    assert b'data-last-outcome="allowed"' in r.content
    assert b'data-step-count="cross-account-auditors/assume-audit-role"' in r.content


def test_stuck_means_the_same_refusal_three_times(instructor, classroom, monkeypatch):
    from classroom import services

    _, alice = join(classroom, "alice")
    for _ in range(3):
        Activity.objects.create(student=alice, scenario=S1, step="read-security-logs", outcome="error",
                                code="ExpiredToken", succeeded=False)
    row = services.roster(classroom)[0]
    assert row.stuck == "ExpiredToken 3 times in a row"


def test_student_detail_shows_the_last_exchange_masked(instructor, classroom):
    alice_client, alice = join(classroom, "alice")
    alice_client.post(f"/scenarios/{S1}/assume-audit-role/run/")
    r = instructor.get(f"/class/{classroom.code}/students/{alice.pk}/")
    assert r.status_code == 200 and b"AssumeRole" in r.content
    secret = credentials.get(alice.sandbox_id, "auditor")
    body = r.content.decode()
    if secret is not None:
        assert secret.secret_access_key not in body and secret.session_token not in body
    assert "hidden)" in body


def test_follow_me_redirects_following_students_only(instructor, classroom):
    alice_client, alice = join(classroom, "alice")
    bob_client, bob = join(classroom, "bob")
    step_url = f"/scenarios/{S1}/assume-audit-role/"
    instructor.post(f"/class/{classroom.code}/follow/", {"scenario": S1, "step": "assume-audit-role"})
    r = alice_client.get("/class/bar/", {"at": "/"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == step_url
    bob_client.post("/class/bar/following/", {"at": "/"})  # bob explores on his own
    r = bob_client.get("/class/bar/", {"at": "/"}, HTTP_HX_REQUEST="true")
    assert "HX-Redirect" not in r
    r = alice_client.get("/class/bar/", {"at": step_url}, HTTP_HX_REQUEST="true")
    assert "HX-Redirect" not in r
    alice.refresh_from_db()
    assert (alice.at_scenario, alice.at_step) == (S1, "assume-audit-role")
    r = alice_client.get("/class/bar/", {"at": "/quiz/live/ABCDEF/play/"}, HTTP_HX_REQUEST="true")
    assert "HX-Redirect" not in r  # a student in the class quiz stays there


def test_poll_is_answered_and_revealed_with_the_real_answer(instructor, classroom):
    alice_client, alice = join(classroom, "alice")
    bob_client, bob = join(classroom, "bob")
    instructor.post(f"/class/{classroom.code}/poll/", {"scenario": S1, "step": "assume-audit-role"})
    poll = Poll.objects.get(classroom=classroom)
    assert alice_client.post(f"/class/bar/poll/{poll.pk}/vote/", {"choice": "allowed"}).status_code == 302
    assert bob_client.post(f"/class/bar/poll/{poll.pk}/vote/", {"choice": "denied"}).status_code == 302
    assert bob_client.post(f"/class/bar/poll/{poll.pk}/vote/", {"choice": "nonsense"}).status_code == 400
    # Not revealed before the instructor ran the step.
    instructor.post(f"/class/{classroom.code}/poll/{poll.pk}/reveal/")
    poll.refresh_from_db()
    assert not poll.is_revealed
    instructor.post(f"/scenarios/{S1}/assume-audit-role/run/")
    instructor.post(f"/class/{classroom.code}/poll/{poll.pk}/reveal/")
    poll.refresh_from_db()
    assert poll.is_revealed and poll.answer == "allowed"
    assert {row["choice"]: row["count"] for row in poll.tally()} == {"allowed": 1, "denied": 1, "error": 0}
    assert alice_client.post(f"/class/bar/poll/{poll.pk}/vote/", {"choice": "denied"}).status_code == 409


def test_class_clock_moves_every_sandbox_and_reset_restores_them(instructor, classroom):
    a_client, alice = join(classroom, "alice")
    b_client, bob = join(classroom, "bob")
    r = instructor.post(f"/class/{classroom.code}/clock/", {"by": "1h"})
    assert r.status_code == 302
    assert {Sandbox.objects.get(pk=s.sandbox_id).clock_offset_seconds for s in (alice, bob)} == {3600.0}
    assert instructor.post(f"/class/{classroom.code}/clock/", {"by": "-5m"}).status_code == 400
    instructor.post(f"/class/{classroom.code}/reset/")
    assert {Sandbox.objects.get(pk=s.sandbox_id).clock_offset_seconds for s in (alice, bob)} == {0.0}


def test_the_room_clock_names_the_students_whose_lab_did_not_answer_and_moves_the_others(instructor, classroom,
                                                                                        monkeypatch):
    """One student's unreachable lab must not stop the room partway (it used to end in an error page after the
    students before them had moved); the instructor is told whose clock did not move."""
    from gateway.control.wire import LabControlError

    _, alice = join(classroom, "alice")
    _, bob = join(classroom, "bob")
    _, cat = join(classroom, "cat")
    advance = Sandbox.advance_clock

    def bobs_lab_is_down(sandbox: Sandbox, seconds: float, **options) -> float:
        if sandbox.pk == bob.sandbox_id:
            raise LabControlError("could not reach the lab gateway")
        return advance(sandbox, seconds, **options)

    monkeypatch.setattr(Sandbox, "advance_clock", bobs_lab_is_down)
    page = instructor.post(f"/class/{classroom.code}/clock/", {"by": "1h"}, follow=True).content.decode()
    assert "Moved 2 sandbox clocks forward 1h." in page
    assert "Could not reach the sandboxes of bob (their lab did not answer, or another process was still rebuilding " \
           "them): their clocks did not move." in page
    assert {s.nickname: Sandbox.objects.get(pk=s.sandbox_id).clock_offset_seconds for s in (alice, bob, cat)} == {
        "alice": 3600.0, "bob": 0.0, "cat": 3600.0}


def test_a_rooms_change_waits_only_briefly_for_a_sandbox_another_process_is_building(instructor, classroom,
                                                                                    monkeypatch):
    """The mistake: waiting a learner's 25 s (BUILD_WAIT_SECONDS) for each busy student, one after another, with this
    process's build lock held. The models' clock is a stand-in whose sleeps move it: nothing really waits here."""
    from django.utils import timezone

    from classroom.services import ROOM_CHANGE_WAIT_SECONDS
    from sandboxes import models

    _, alice = join(classroom, "alice")
    _, bob = join(classroom, "bob")
    Sandbox.objects.filter(pk=bob.sandbox_id).update(build_claim="another-process", build_claimed_at=timezone.now())

    class Clock:
        now, slept = 0.0, 0.0

        @classmethod
        def monotonic(cls) -> float:
            return cls.now

        @classmethod
        def sleep(cls, seconds: float) -> None:
            cls.now += seconds
            cls.slept += seconds

    monkeypatch.setattr(models, "time", Clock)
    page = instructor.post(f"/class/{classroom.code}/clock/", {"by": "1h"}, follow=True).content.decode()
    assert "Could not reach the sandboxes of bob" in page
    assert ROOM_CHANGE_WAIT_SECONDS <= Clock.slept < ROOM_CHANGE_WAIT_SECONDS + 1 < models.BUILD_WAIT_SECONDS
    assert Sandbox.objects.get(pk=alice.sandbox_id).clock_offset_seconds == 3600.0
    assert Sandbox.objects.get(pk=bob.sandbox_id).clock_offset_seconds == 0.0


def test_locked_scenarios_are_closed_to_students(instructor, classroom):
    alice_client, _ = join(classroom, "alice")
    instructor.post(f"/class/{classroom.code}/scenarios/", {"scenario": S1, "locked": "on"})
    assert alice_client.get(f"/scenarios/{S1}/meet-the-auditor/").status_code == 403
    assert alice_client.post(f"/scenarios/{S1}/meet-the-auditor/run/").status_code == 403
    assert instructor.get(f"/scenarios/{S1}/meet-the-auditor/").status_code == 200
    instructor.post(f"/class/{classroom.code}/scenarios/", {"scenario": S1})
    assert alice_client.get(f"/scenarios/{S1}/meet-the-auditor/").status_code == 200


def test_csv_export_lists_steps_polls_and_quiz_scores(instructor, classroom):
    from quiz.models import LiveAnswer

    alice_client, alice = join(classroom, "=alice")
    alice_client.post(f"/scenarios/{S1}/meet-the-auditor/run/")
    instructor.post(f"/class/{classroom.code}/poll/", {"scenario": S1, "step": "meet-the-auditor"})
    poll = Poll.objects.get(classroom=classroom)
    alice_client.post(f"/class/bar/poll/{poll.pk}/vote/", {"choice": "allowed"})
    instructor.post(f"/scenarios/{S1}/meet-the-auditor/run/")
    instructor.post(f"/class/{classroom.code}/poll/{poll.pk}/reveal/")
    r = instructor.post(f"/class/{classroom.code}/quiz/", {"count": "2"})
    assert r.status_code == 302 and "/quiz/live/" in r["Location"]
    classroom.refresh_from_db()
    room = classroom.quiz_room
    # The student joins from the class bar: seated under their class identity, so the export follows them.
    r = alice_client.post("/class/bar/quiz/")
    assert r["Location"] == f"/quiz/live/{room.code}/play/"
    player = room.players.get()
    assert player.identity == alice.quiz_identity
    room.advance("start")
    LiveAnswer.objects.create(room=room, player=player, index=0, selected=["a"], correct=True, points=900)
    r = instructor.get(f"/class/{classroom.code}/export.csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    header, row = rows[0], rows[1]
    values = dict(zip(header, row))
    assert values["nickname"] == "'=alice"  # no spreadsheet formula
    assert values["steps_done"] == "1"
    steps_in_scenario_1 = len(registry.get(S1).steps)  # five lessons and the Defend step
    assert values[f"scenario 1 steps done (of {steps_in_scenario_1})"] == "1"
    assert values[f"poll 1: {S1}/meet-the-auditor (answer: allowed)"] == "allowed"
    assert values["poll 1 correct"] == "yes"
    # rank, points and right answers of the questions played so far (1 of the room's 2)
    assert (values[f"quiz {room.code} rank"], values[f"quiz {room.code} points"],
            values[f"quiz {room.code} correct (of 1 played)"]) == ("1", "900", "1")


def test_a_signed_in_visitor_is_told_to_join_signed_out(instructor, classroom):
    r = instructor.post("/class/join/", {"code": classroom.code, "nickname": "iris"})
    assert r.status_code == 409 and b"signed out" in r.content


def test_other_instructors_cannot_see_the_class(classroom, other_instructor):
    assert other_instructor.get(f"/class/{classroom.code}/").status_code == 404
    assert other_instructor.get(f"/class/{classroom.code}/export.csv").status_code == 404


def test_prepared_sandboxes_are_handed_to_joining_students(classroom):
    from classroom import services

    classroom.expected_students = 2
    classroom.save()
    assert services.prepare_sandboxes(classroom) == 2
    spare_ids = set(classroom.spares.values_list("sandbox_id", flat=True))
    _, alice = join(classroom, "alice")
    assert alice.sandbox_id in spare_ids
    assert classroom.spares.count() == 1
    # Joined plus spare already cover the two expected: nothing more to build.
    assert services.prepare_sandboxes(classroom) == 0
    _, bob = join(classroom, "bob")
    _, carol = join(classroom, "carol")  # beyond the prepared ones: built on demand
    assert len({alice.sandbox_id, bob.sandbox_id, carol.sandbox_id}) == 3
    assert classroom.spares.count() == 0


def test_join_links_and_qr_codes_use_the_public_address(instructor, classroom, settings):
    """make class sets LAB_PUBLIC_URL: links must point where phones reach, even when the instructor browses
    127.0.0.1 on the laptop itself."""
    settings.LAB_PUBLIC_URL = "http://192.168.1.20:8000"
    r = instructor.get(f"/class/{classroom.code}/", HTTP_HOST="127.0.0.1:8000")
    assert f"http://192.168.1.20:8000/class/?code={classroom.code}".encode() in r.content
    assert b"127.0.0.1" not in r.content
    r = instructor.post(f"/class/{classroom.code}/quiz/", {"count": "2"})
    r = instructor.get(r["Location"], HTTP_HOST="127.0.0.1:8000")
    classroom.refresh_from_db()
    assert f"http://192.168.1.20:8000/quiz/live/?code={classroom.quiz_room.code}".encode() in r.content
    assert b'aria-label="QR code for the join link"' in r.content


def test_back_links_never_leave_the_site(instructor, classroom):
    alice_client, _ = join(classroom, "alice")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        r = alice_client.post("/class/bar/following/", {"at": evil})
        assert r.status_code == 302 and r["Location"] == "/class/me/"
        r = instructor.post(f"/class/{classroom.code}/follow/", {"release": "1", "at": evil})
        assert r.status_code == 302 and r["Location"] == f"/class/{classroom.code}/"
