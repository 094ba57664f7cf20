"""Join-code guesses are limited per address at a rate a class behind one NAT never meets (issue 23, item 3):
/quiz/live/join/ and /class/join/ share one counter; only wrong codes count; the counters are atomic, so concurrent
guesses cannot slip past a limit (the read-then-count throttle let 21-26 of 64 through a limit of 20)."""
from __future__ import annotations

import io
import threading

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory

from classroom import services as class_services
from classroom.models import Classroom, Student
from quiz.models import Player, Room
from sandboxes.models import Sandbox
from securecart import throttle
from securecart.throttle import JOIN_GUESS_LIMITS, Limit, throttle_guesses

PER_MINUTE, PER_HOUR = JOIN_GUESS_LIMITS


class FakeClock:
    """The throttle's clock, moved by the test instead of waited for."""

    def __init__(self, monkeypatch, start: float = 1_800_000_000.0) -> None:
        self.now = start
        monkeypatch.setattr(throttle, "_now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    return FakeClock(monkeypatch)


@pytest.fixture
def room(db) -> Room:
    return Room.open(question_ids=["xacct-missing-external-id"], seconds_per_question=30)


@pytest.fixture
def classroom(db) -> Classroom:
    User.objects.create_user("iris", password="a-long-classroom-password")
    call_command("instructor", "iris", stdout=io.StringIO())
    return Classroom.objects.create(title="NAT class", instructor=User.objects.get(username="iris"))


@pytest.fixture
def bare_sandboxes(monkeypatch):
    """Joining a class builds the student a sandbox; these tests are about the throttle in front of it, so a join
    gets a bare sandbox row instead of a built world (the same code path otherwise)."""
    monkeypatch.setattr(class_services.sandbox_services, "create_sandbox",
                        lambda session_key="": Sandbox.objects.create(owner_session_key=session_key))


def _guess(client: Client, url: str, n: int):
    return client.post(url, {"code": f"ZZZ{n % 10}{(n // 10) % 10}{(n // 100) % 10}".replace("0", "Z")
                             .replace("1", "Y"), "nickname": f"guess{n}"})


def test_64_wrong_codes_then_the_right_one_from_the_same_address_within_the_minute_joins(room, clock):
    phone = Client()   # the test client's REMOTE_ADDR is 127.0.0.1 for every request: one address
    for n in range(64):
        assert _guess(phone, "/quiz/live/join/", n).status_code == 404
    clock.advance(30)
    r = phone.post("/quiz/live/join/", {"code": room.code, "nickname": "late but right"})
    assert r.status_code == 302 and r["Location"] == f"/quiz/live/{room.code}/play/"


def test_64_wrong_class_codes_then_the_right_one_joins_the_class(classroom, clock, bare_sandboxes):
    phone = Client()
    for n in range(64):
        assert _guess(phone, "/class/join/", n).status_code == 404
    r = phone.post("/class/join/", {"code": classroom.code, "nickname": "ada"})
    assert r.status_code == 302 and Student.objects.filter(nickname="ada").exists()


def test_40_students_through_one_address_each_with_a_typo_first_none_throttled(classroom, room, clock,
                                                                               bare_sandboxes):
    """A class behind one school NAT: every student mistypes the code once, then joins the class and the quiz."""
    for n in range(40):
        phone = Client()
        assert _guess(phone, "/class/join/", n).status_code == 404
        assert phone.post("/class/join/", {"code": classroom.code.lower(), "nickname": f"s{n}"}).status_code == 302
        r = phone.post("/quiz/live/join/", {"code": room.code, "nickname": f"s{n}"})
        assert r.status_code == 302, n
        clock.advance(1)
    assert Student.objects.count() == 40 and Player.objects.count() == 40


def test_a_guesser_is_stopped_at_the_minute_limit_and_so_is_their_right_code(room, clock):
    """Once over the limit every POST from the address waits: answering a right code while refusing wrong ones
    would tell a guesser which code is right."""
    guesser = Client()
    for n in range(PER_MINUTE.count):
        assert _guess(guesser, "/quiz/live/join/", n).status_code == 404
    refused = guesser.post("/quiz/live/join/", {"code": room.code, "nickname": "lucky"})
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert "unsuccessful attempts to join with a code" in refused.content.decode()
    assert not Player.objects.exists()
    clock.advance(60)   # the next minute
    assert guesser.post("/quiz/live/join/", {"code": room.code, "nickname": "lucky"}).status_code == 302


def test_the_hour_limit_stops_a_patient_guesser(room, clock):
    guesser = Client()
    made = 0
    while made < PER_HOUR.count:       # just under the minute limit each minute
        for _ in range(min(PER_MINUTE.count - 1, PER_HOUR.count - made)):
            assert _guess(guesser, "/quiz/live/join/", made).status_code == 404
            made += 1
        clock.advance(60)
    refused = _guess(guesser, "/quiz/live/join/", made)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60


def test_class_and_room_guesses_share_one_counter(classroom, room, clock):
    guesser = Client()
    for n in range(PER_MINUTE.count):
        url = "/class/join/" if n % 2 else "/quiz/live/join/"
        assert _guess(guesser, url, n).status_code == 404
    assert _guess(guesser, "/class/join/", 999).status_code == 429
    assert _guess(guesser, "/quiz/live/join/", 998).status_code == 429


def test_right_codes_and_taken_nicknames_use_none_of_the_allowance(room, clock):
    for n in range(PER_MINUTE.count + 20):   # more joins than the limit, all with the right code
        assert Client().post("/quiz/live/join/", {"code": room.code, "nickname": f"p{n}"}).status_code == 302
    for _ in range(PER_MINUTE.count + 5):     # a nickname taken: the code was right, no guess
        assert Client().post("/quiz/live/join/", {"code": room.code, "nickname": "p1"}).status_code == 409
    assert _guess(Client(), "/quiz/live/join/", 1).status_code == 404


def test_another_address_is_not_slowed_by_a_guesser(room, clock):
    for n in range(PER_MINUTE.count):
        _guess(Client(REMOTE_ADDR="203.0.113.9"), "/quiz/live/join/", n)
    assert _guess(Client(REMOTE_ADDR="203.0.113.9"), "/quiz/live/join/", 0).status_code == 429
    r = Client(REMOTE_ADDR="198.51.100.7").post("/quiz/live/join/", {"code": room.code, "nickname": "elsewhere"})
    assert r.status_code == 302


def test_concurrent_guesses_never_get_past_the_limit(clock):
    """64 guesses at the same moment against a limit of 20: exactly 20 reach the view (all of them wrong)."""
    limit = 20
    evaluated = []
    lock = threading.Condition()
    start = threading.Barrier(64)

    def view(request):
        # Hold every guess inside the view until `limit` are in: a throttle that counts only after the view has
        # answered (check, then act) would let all 64 in meanwhile.
        with lock:
            evaluated.append(1)
            lock.notify_all()
            lock.wait_for(lambda: len(evaluated) >= limit, timeout=10)
        return HttpResponse(status=404)

    guarded = throttle_guesses("test-race", (Limit(limit, 60),), failed=lambda r: r.status_code == 404,
                               what="test guesses")(view)
    statuses = []

    def guess():
        request = RequestFactory().post("/join/", REMOTE_ADDR="192.0.2.1")
        start.wait()
        response = guarded(request)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=guess) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(evaluated) == limit
    assert statuses.count(404) == limit and statuses.count(429) == 64 - limit


def test_a_get_is_never_counted(room, clock):
    for _ in range(PER_MINUTE.count + 5):
        assert Client().get("/quiz/live/join/", {"code": "ZZZZZZ"}).status_code == 302
    assert Client().post("/quiz/live/join/", {"code": room.code, "nickname": "fine"}).status_code == 302
