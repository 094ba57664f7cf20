"""Instructor class mode: host a room, players join with a code, answer, reveal, leaderboard."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quiz.bank import get_question
from quiz.live_views import CODE_ALPHABET, join_qr_svg
from quiz.models import LiveAnswer, Player, Room

HX = {"HTTP_HX_REQUEST": "true"}


def open_room(host: Client, count: int = 2, **fields) -> Room:
    data = {"count": str(count), "title": "Monday STS class"}
    data.update(fields)
    response = host.post("/quiz/live/host/", data)
    assert response.status_code == 302
    room = Room.objects.order_by("-created_at").first()
    assert response["Location"] == f"/quiz/live/{room.code}/host/"
    return room


def join(code: str, nickname: str) -> Client:
    client = Client()
    response = client.post("/quiz/live/join/", {"code": code, "nickname": nickname})
    assert response.status_code == 302, response.content.decode()[:400]
    assert response["Location"] == f"/quiz/live/{code.strip().upper().replace('-', '')}/play/"
    return client


def act(host: Client, room: Room, action: str):
    return host.post(f"/quiz/live/{room.code}/host/action/", {"action": action})


def answer(player: Client, room: Room, keys: list[str], index: int | None = None):
    room.refresh_from_db()
    return player.post(f"/quiz/live/{room.code}/play/answer/",
                       {"choice": keys, "index": str(room.current if index is None else index)}, **HX)


def keys(room: Room, right: bool) -> list[str]:
    room.refresh_from_db()
    q = get_question(room.current_question_id)
    if right:
        return sorted(q.correct_keys)
    bad = next(o.key for o in q.options if not o.correct)
    return sorted(list(q.correct_keys)[:-1] + [bad]) if q.multi else [bad]


@pytest.fixture
def host(db) -> Client:
    return Client()


def test_a_whole_class_session(host) -> None:
    room = open_room(host, count=2)
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{6}}", room.code)
    page = host.get(f"/quiz/live/{room.code}/host/").content.decode()
    assert room.code in page and "Start the quiz" in page and "Waiting for players" in page
    # phones scan the join link, with the code filled in
    assert str(join_qr_svg(f"http://testserver/quiz/live/?code={room.code}")) in page

    ana = join(room.code.lower(), "Ana")          # codes are case-insensitive
    ben = join(f" {room.code[:3]}-{room.code[3:]} ", "Ben")  # and tolerate spaces/dashes
    assert "You're in, Ana!" in ana.get(f"/quiz/live/{room.code}/play/").content.decode()
    stats = host.get(f"/quiz/live/{room.code}/host/panel/?v={room.version}").content.decode()
    assert re.search(r"data-live-players>2<", stats) and "Ana" in stats and "Ben" in stats

    # the player's poll is a no-op (204) until the host acts
    first = ana.get(f"/quiz/live/{room.code}/play/panel/?s=x")
    state = re.search(r"\?s=([\w-]+)", first.content.decode()).group(1)
    assert ana.get(f"/quiz/live/{room.code}/play/panel/?s={state}").status_code == 204

    assert act(host, room, "start").status_code == 302
    room.refresh_from_db()
    assert room.state == Room.QUESTION and room.current == 0
    polled = ana.get(f"/quiz/live/{room.code}/play/panel/?s={state}")
    assert polled.status_code == 200 and "Lock in my answer" in polled.content.decode()

    locked = answer(ana, room, keys(room, right=True))
    assert "Answer locked in" in locked.content.decode()
    twice = answer(ana, room, keys(room, right=False))
    assert "already answered" in twice.content.decode()
    answer(ben, room, keys(room, right=False))
    stats = host.get(f"/quiz/live/{room.code}/host/panel/?v={room.version}").content.decode()
    assert re.search(r"data-live-answered>2<", stats)
    assert sum(int(n) for n in re.findall(r'data-live-count="[A-F]">(\d+)<', stats)) >= 2

    act(host, room, "reveal")
    revealed = ana.get(f"/quiz/live/{room.code}/play/").content.decode()
    assert "Correct!" in revealed and "Explanation" in revealed
    assert "Not this time" in ben.get(f"/quiz/live/{room.code}/play/").content.decode()
    late = answer(ben, room, keys(room, right=True), index=0)
    assert "That question is closed" in late.content.decode()

    act(host, room, "next")
    room.refresh_from_db()
    assert room.current == 1 and room.state == Room.QUESTION
    answer(ben, room, keys(room, right=True))
    act(host, room, "reveal")
    act(host, room, "next")  # after the last question: the final leaderboard
    room.refresh_from_db()
    assert room.state == Room.FINISHED

    final = host.get(f"/quiz/live/{room.code}/host/").content.decode()
    assert "Final leaderboard" in final
    ranks = re.findall(r"<td>(\d+)</td><th scope=\"row\">(\w+)</th><td>(\d+)</td>", final)
    assert [(r, n) for r, n, _ in ranks][:2] in ([("1", "Ana"), ("2", "Ben")], [("1", "Ben"), ("2", "Ana")])
    assert {n: s for _, n, s in ranks} == {"Ana": "1", "Ben": "1"}
    assert "You placed" in ana.get(f"/quiz/live/{room.code}/play/").content.decode()


def test_the_leaderboard_ranks_by_correct_answers_then_speed(host) -> None:
    room = open_room(host, count=1)
    fast, slow, wrong = join(room.code, "Fast"), join(room.code, "Slow"), join(room.code, "Wrong")
    act(host, room, "start")
    answer(fast, room, keys(room, right=True))
    answer(slow, room, keys(room, right=True))
    answer(wrong, room, keys(room, right=False))
    LiveAnswer.objects.filter(player__nickname="Fast").update(seconds=3.0)
    LiveAnswer.objects.filter(player__nickname="Slow").update(seconds=9.0)
    act(host, room, "finish")
    html = host.get(f"/quiz/live/{room.code}/host/").content.decode()
    assert re.findall(r"<th scope=\"row\">(\w+)</th>", html)[:3] == ["Fast", "Slow", "Wrong"]


def test_only_the_host_controls_the_room(host) -> None:
    room = open_room(host)
    player = join(room.code, "Mallory")
    for client in (player, Client()):
        assert client.get(f"/quiz/live/{room.code}/host/").status_code == 403
        assert client.post(f"/quiz/live/{room.code}/host/action/", {"action": "start"}).status_code == 403
        assert client.get(f"/quiz/live/{room.code}/host/panel/?v=0").status_code == 403
    room.refresh_from_db()
    assert room.state == Room.LOBBY


def test_impossible_or_unknown_host_actions_are_explained(host) -> None:
    room = open_room(host)
    response = act(host, room, "reveal")
    assert response.status_code == 409 and "not possible" in response.content.decode()
    assert act(host, room, "explode").status_code == 409
    htmx = host.post(f"/quiz/live/{room.code}/host/action/", {"action": "next"}, **HX)
    assert htmx.status_code == 200 and "not possible" in htmx.content.decode()
    ok = host.post(f"/quiz/live/{room.code}/host/action/", {"action": "start"}, **HX)
    assert ok.status_code == 204 and ok["HX-Refresh"] == "true"
    stale = host.get(f"/quiz/live/{room.code}/host/panel/?v=0")  # another tab moved on
    assert stale.status_code == 204 and stale["HX-Refresh"] == "true"


@pytest.mark.parametrize("code, nickname, status, message", [
    ("ZZZZZZ", "Ana", 404, "No open room has that code"),
    ("", "Ana", 400, "This field is required"),
    ("A" * 5000, "Ana", 400, "at most 32 characters"),
    ("<script>", "Ana", 404, "No open room has that code"),
    (None, "", 400, "This field is required"),
    (None, "   ", 400, "This field is required"),
    (None, "x" * 30, 400, "at most 24 characters"),
    (None, "x" * 500, 400, "at most 64 characters"),
    (None, "bad\u0000name", 400, "Null characters are not allowed"),
    (None, "bell\u0007", 400, "control characters"),
])
def test_bad_join_attempts_get_clear_messages(host, code, nickname, status, message) -> None:
    room = open_room(host)
    response = Client().post("/quiz/live/join/", {"code": room.code if code is None else code,
                                                  "nickname": nickname})
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Player.objects.exists()


def test_nicknames_are_unique_per_room_ignoring_case(host) -> None:
    room = open_room(host)
    join(room.code, "Ana")
    response = Client().post("/quiz/live/join/", {"code": room.code, "nickname": "ANA"})
    assert response.status_code == 409 and "already taken" in response.content.decode()


def test_the_same_phone_rejoining_keeps_its_player(host) -> None:
    room = open_room(host)
    ana = join(room.code, "Ana")
    again = ana.post("/quiz/live/join/", {"code": room.code, "nickname": "Someone else"})
    assert again["Location"] == f"/quiz/live/{room.code}/play/"
    assert list(Player.objects.values_list("nickname", flat=True)) == ["Ana"]


def test_finished_and_expired_rooms_refuse_new_players(host) -> None:
    room = open_room(host)
    act(host, room, "finish")
    response = Client().post("/quiz/live/join/", {"code": room.code, "nickname": "Late"})
    assert response.status_code == 409 and "already finished" in response.content.decode()
    other = open_room(host)
    Room.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=1))
    response = Client().post("/quiz/live/join/", {"code": other.code, "nickname": "Late"})
    assert response.status_code == 404


def test_tampered_player_answers_are_refused(host) -> None:
    room = open_room(host)
    ana = join(room.code, "Ana")
    act(host, room, "start")
    bad = answer(ana, room, ["q"])
    assert "does not match this question" in bad.content.decode()
    wrong_index = answer(ana, room, keys(room, right=True), index=5)
    assert "That question is closed" in wrong_index.content.decode()
    junk_index = ana.post(f"/quiz/live/{room.code}/play/answer/", {"choice": ["a"], "index": "x" * 9000})
    assert junk_index.status_code == 400
    assert not LiveAnswer.objects.exists()


def test_strangers_without_a_player_are_sent_to_the_join_page(host) -> None:
    room = open_room(host)
    stranger = Client()
    assert stranger.get(f"/quiz/live/{room.code}/play/")["Location"] == f"/quiz/live/?code={room.code}"
    poll = stranger.get(f"/quiz/live/{room.code}/play/panel/?s=1")
    assert poll.status_code == 204 and poll["HX-Redirect"] == "/quiz/live/"
    assert stranger.post(f"/quiz/live/{room.code}/play/answer/", {"choice": ["a"]}).status_code == 302
    assert stranger.get("/quiz/live/NOPE99/play/").status_code == 404
    assert stranger.get("/quiz/live/%3Cx%3E/host/").status_code == 404


def test_a_bad_host_form_says_what_is_wrong(host) -> None:
    for data, message in [({"count": "0"}, "greater than or equal to 1"),
                          ({"count": "31"}, "less than or equal to 30"),
                          ({"count": "3", "title": "t" * 200}, "at most 80 characters"),
                          ({"count": "3", "domains": ["nope"]}, "Select a valid choice")]:
        response = host.post("/quiz/live/host/", data)
        assert response.status_code == 400 and message in response.content.decode()
    assert not Room.objects.exists()
