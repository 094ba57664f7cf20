"""Instructor class mode: host a room, players join with a code, answer, reveal, leaderboard."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quiz.bank import get_question
from quiz.live_views import join_qr_svg
from securecart.joining import CODE_ALPHABET
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
    assert polled.status_code == 200
    question = get_question(room.current_question_id)
    html = polled.content.decode()
    if question.multi:   # "choose two": a box per option, then one send (the room's questions are drawn at random)
        assert len(re.findall(r'<input type="checkbox" name="choice"', html)) == len(question.options)
        assert f"Send my {question.select_count} answers" in html
    else:                # one tap answers: each option is a submit button of its own (no "lock in" step)
        assert len(re.findall(r'<button type="submit" name="choice"', html)) == len(question.options) == 4

    locked = answer(ana, room, keys(room, right=True))
    assert "You answered" in locked.content.decode()
    twice = answer(ana, room, keys(room, right=False))
    assert "already answered" in twice.content.decode()
    stats = host.get(f"/quiz/live/{room.code}/host/panel/?v={room.version}").content.decode()
    assert re.search(r"data-live-answered>1<", stats)
    page = host.get(f"/quiz/live/{room.code}/host/").content.decode()
    assert "data-live-count" not in stats + page  # the split stays hidden while the question is open
    waiting = re.search(r"data-live-waiting>(.*?)</ul>", stats).group(1)
    assert "Ben" in waiting and "Ana" not in waiting  # who has not answered yet

    answer(ben, room, keys(room, right=False))  # the last player answers: revealed for everyone at once
    room.refresh_from_db()
    assert room.state == Room.REVEAL
    page = host.get(f"/quiz/live/{room.code}/host/").content.decode()
    # now the split: one count per option chosen, two players (a "choose two" question has two choices each)
    chosen = 2 * (question.select_count if question.multi else 1)
    assert sum(int(n) for n in re.findall(r'data-live-count="[A-F]">(\d+)<', page)) == chosen
    revealed = ana.get(f"/quiz/live/{room.code}/play/").content.decode()
    assert "Correct!" in revealed and "Explanation" in revealed
    assert "Not this time" in ben.get(f"/quiz/live/{room.code}/play/").content.decode()
    late = answer(ben, room, keys(room, right=True), index=0)
    assert "That question is closed" in late.content.decode()

    act(host, room, "next")
    room.refresh_from_db()
    assert room.current == 1 and room.state == Room.QUESTION
    answer(ben, room, keys(room, right=True))
    act(host, room, "reveal")  # Ana has not answered: the host reveals early
    act(host, room, "next")  # after the last question: the final leaderboard
    room.refresh_from_db()
    assert room.state == Room.FINISHED

    final = host.get(f"/quiz/live/{room.code}/host/").content.decode()
    assert "Final podium" in final and 'class="quiz-podium"' in final
    rows = re.findall(r'<th scope="row">(\w+)</th><td data-live-points>(\d+)</td><td>(\d+)</td>', final)
    assert {n: c for n, _, c in rows} == {"Ana": "1", "Ben": "1"}
    assert all(500 <= int(p) <= 1000 for _, p, _ in rows)  # one right answer each, with its speed points
    assert "You placed" in ana.get(f"/quiz/live/{room.code}/play/").content.decode()


def test_points_reward_correctness_speed_and_streaks() -> None:
    assert LiveAnswer.score(correct=True, seconds=0, limit=20, previous_streak=0) == (1000, 1)
    assert LiveAnswer.score(correct=True, seconds=10, limit=20, previous_streak=0) == (750, 1)
    assert LiveAnswer.score(correct=True, seconds=25, limit=20, previous_streak=0) == (500, 1)  # at the buzzer
    assert LiveAnswer.score(correct=True, seconds=0, limit=20, previous_streak=2) == (1200, 3)  # streak bonus
    assert LiveAnswer.score(correct=True, seconds=0, limit=20, previous_streak=9) == (1500, 10)  # capped at +500
    assert LiveAnswer.score(correct=False, seconds=0, limit=20, previous_streak=5) == (0, 0)


def test_a_streak_builds_across_questions(host) -> None:
    room = open_room(host, count=2)
    ana = join(room.code, "Ana")
    act(host, room, "start")
    answer(ana, room, keys(room, right=True))
    act(host, room, "next")
    answer(ana, room, keys(room, right=True))
    second = LiveAnswer.objects.get(index=1)
    assert second.streak == 2 and second.points > 1000  # speed points plus the streak bonus
    assert "streak of 2" in ana.get(f"/quiz/live/{room.code}/play/").content.decode()


def test_equal_points_share_a_rank(host) -> None:
    room = open_room(host, count=1)
    fast, same, wrong = join(room.code, "Fast"), join(room.code, "Same"), join(room.code, "Wrong")
    act(host, room, "start")
    answer(fast, room, keys(room, right=True))
    answer(same, room, keys(room, right=True))
    answer(wrong, room, keys(room, right=False))
    LiveAnswer.objects.filter(player__nickname__in=["Fast", "Same"]).update(points=900)
    ranks = {r.nickname: r.rank for r in room.player_scores()}
    assert ranks == {"Fast": 1, "Same": 1, "Wrong": 3}
    host.post(f"/quiz/live/{room.code}/host/action/", {"action": "finish", "confirm": "yes"})
    html = host.get(f"/quiz/live/{room.code}/host/").content.decode()
    assert re.findall(r'data-live-rank="(\d)"><td>\d</td><th scope="row">(\w+)', html) == [
        ("1", "Fast"), ("1", "Same"), ("3", "Wrong")]


def test_the_timer_reveals_the_answer_by_itself(host) -> None:
    room = open_room(host, count=1, seconds_per_question="10")
    ana, ben = join(room.code, "Ana"), join(room.code, "Ben")
    act(host, room, "start")
    answer(ana, room, keys(room, right=True))
    room.refresh_from_db()
    assert room.state == Room.QUESTION  # Ben has not answered and there is time left
    Room.objects.filter(pk=room.pk).update(question_opened_at=timezone.now() - timedelta(seconds=11))
    html = ben.get(f"/quiz/live/{room.code}/play/").content.decode()
    room.refresh_from_db()
    assert room.state == Room.REVEAL and "You did not answer this one" in html
    assert "That question is closed" in answer(ben, room, keys(room, right=True), index=0).content.decode()


def test_ending_the_quiz_asks_for_confirmation(host) -> None:
    room = open_room(host, count=2)
    join(room.code, "Ana")
    act(host, room, "start")
    asked = act(host, room, "finish")
    assert asked.status_code == 200 and "End the quiz for all 1 player?" in asked.content.decode()
    room.refresh_from_db()
    assert room.state == Room.QUESTION
    host.post(f"/quiz/live/{room.code}/host/action/", {"action": "finish", "confirm": "yes"})
    room.refresh_from_db()
    assert room.state == Room.FINISHED


def test_a_signed_in_instructor_co_hosts_from_another_browser(host, django_user_model) -> None:
    room = open_room(host, count=1)
    link = f"/quiz/live/{room.code}/cohost/?t={room.cohost_token}"
    assert link in host.get(f"/quiz/live/{room.code}/host/").content.decode()
    anonymous = Client()
    assert anonymous.get(link)["Location"].startswith("/accounts/login/")
    teacher = Client()
    teacher.force_login(django_user_model.objects.create_user("teacher", password="x" * 12))
    assert teacher.get(f"/quiz/live/{room.code}/cohost/?t=wrong").status_code == 403
    assert teacher.get(f"/quiz/live/{room.code}/host/").status_code == 403
    assert "Co-host room" in teacher.get(link).content.decode()
    assert teacher.post(f"/quiz/live/{room.code}/cohost/", {"t": room.cohost_token})["Location"] == \
        f"/quiz/live/{room.code}/host/"
    assert act(teacher, room, "start").status_code == 302
    room.refresh_from_db()
    assert room.state == Room.QUESTION


def test_a_signed_in_owner_hosts_from_any_browser(django_user_model) -> None:
    owner = django_user_model.objects.create_user("owner", password="x" * 12)
    laptop, tablet = Client(), Client()
    laptop.force_login(owner)
    tablet.force_login(owner)
    room = open_room(laptop, count=1)
    assert room.owner == owner
    assert tablet.get(f"/quiz/live/{room.code}/host/").status_code == 200


def test_hosts_export_the_results_as_csv(host) -> None:
    room = open_room(host, count=2)
    ana, eve = join(room.code, "Ana"), join(room.code, "=cmd")
    act(host, room, "start")
    answer(ana, room, keys(room, right=True))
    answer(eve, room, keys(room, right=False))
    response = host.get(f"/quiz/live/{room.code}/host/results.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("rank,nickname,points,correct,answered,best_streak,q1 ")
    ana_points = LiveAnswer.objects.get(player__nickname="Ana").points
    # columns for the questions played (one of two so far), not for questions nobody has seen
    assert lines[0].count(",q") == 1
    assert lines[1] == f"1,Ana,{ana_points},1,1,1,right {ana_points}"
    assert lines[2] == "2,'=cmd,0,0,1,0,wrong 0"  # no spreadsheet formula from a nickname
    assert ana.get(f"/quiz/live/{room.code}/host/results.csv").status_code == 403


def test_each_player_can_review_their_misses(host) -> None:
    room = open_room(host, count=2)
    ana = join(room.code, "Ana")
    act(host, room, "start")
    answer(ana, room, keys(room, right=False))
    act(host, room, "next")
    answer(ana, room, keys(room, right=True))
    act(host, room, "next")
    final = ana.get(f"/quiz/live/{room.code}/play/").content.decode()
    assert "Review my 1 miss" in final
    response = ana.post(f"/quiz/live/{room.code}/play/review/")
    from quiz.models import Attempt
    attempt = Attempt.objects.get()
    assert response["Location"] == f"/quiz/a/{attempt.pk}/q/1/"
    assert attempt.question_ids == room.question_ids[:1] and attempt.mode == "practice"
    assert ana.get(response["Location"]).status_code == 200  # the attempt belongs to this phone


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
    unknown = act(host, room, "explode")
    assert unknown.status_code == 400 and "Unknown action" in unknown.content.decode()
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
    host.post(f"/quiz/live/{room.code}/host/action/", {"action": "finish", "confirm": "yes"})
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


def test_the_projector_view_shows_the_chart_only_at_the_reveal_and_for_hosts_only(host) -> None:
    room = open_room(host, count=1)
    ana, ben = join(room.code, "Ana"), join(room.code, "Ben")
    act(host, room, "start")
    answer(ana, room, keys(room, right=True))
    html = host.get(f"/quiz/live/{room.code}/screen/").content.decode()
    # While the question is open: how many answered, never what they chose, and no names of who has not answered.
    assert re.search(r"data-live-answered>1<", html) and "data-live-count" not in html and "quiz-live-chart" not in html
    assert "data-live-waiting" not in html and "Ben" not in html
    stats = host.get(f"/quiz/live/{room.code}/host/panel/?v={room.version}&screen=on").content.decode()
    assert "data-live-count" not in stats and "Ben" not in stats
    assert 'name="choice"' not in html and 'name="action"' not in html  # no controls on the projector
    act(host, room, "reveal")
    html = host.get(f"/quiz/live/{room.code}/screen/").content.decode()
    assert "quiz-live-chart" in html and re.search(r'data-live-count="[A-F]">1<', html)
    assert ana.get(f"/quiz/live/{room.code}/screen/").status_code == 403


def test_a_missed_live_answer_enters_the_players_spaced_review(host) -> None:
    from quiz.models import ReviewCard

    room = open_room(host, count=1)
    ana, ben = join(room.code, "Ana"), join(room.code, "Ben")
    act(host, room, "start")
    answer(ana, room, keys(room, right=False))
    answer(ben, room, keys(room, right=True))
    card = ReviewCard.objects.get()  # only Ana's miss; Ben's right answer makes no card
    assert card.question_id == room.question_ids[0] and card.lapses == 1
    assert 'data-quiz-due>1<' in ana.get("/quiz/progress/").content.decode()
    assert 'data-quiz-due>0<' in ben.get("/quiz/progress/").content.decode()
