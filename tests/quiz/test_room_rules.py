"""The live room's rules, on the model (quiz.models.Room: open, join, advance, answer), and what the views show of
them: the answer split hidden until the reveal on every view, the phone's one tap and its rank after each reveal,
the projector's join address (issue 28 items 1-3, 6; issue 24 item 3)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from quiz.bank import get_question, load_bank
from quiz.models import LiveAnswer, Player, Room, RoomError
from securecart.joining import is_join_code

QUESTIONS = ["xacct-missing-external-id", "net-sg-reference-tiers"]


@pytest.fixture
def room(db) -> Room:
    return Room.open(question_ids=QUESTIONS, seconds_per_question=30, title="  Friday   quiz ")


def _keys(room: Room, right: bool) -> list[str]:
    question = get_question(room.current_question_id)
    return sorted(question.correct_keys) if right else [next(o.key for o in question.options if not o.correct)]


# ---- Room.open ----------------------------------------------------------------------------------------------------
def test_open_makes_a_lobby_with_a_code_and_tokens(room, django_user_model):
    assert is_join_code(room.code) and room.state == Room.LOBBY and room.current == -1
    assert room.title == "Friday quiz" and len(room.host_token) > 20 and room.host_token != room.cohost_token
    assert room.owner is None
    owner = django_user_model.objects.create_user("iris", password="x" * 12)
    owned = Room.open(question_ids=QUESTIONS, seconds_per_question=10, owner=owner)
    assert owned.owner == owner and owned.title == Room.DEFAULT_TITLE and owned.code != room.code
    assert Room.open(question_ids=QUESTIONS, seconds_per_question=10, owner=AnonymousUser()).owner is None


# ---- Room.advance -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("state, action, after", [
    (Room.LOBBY, "start", Room.QUESTION), (Room.QUESTION, "reveal", Room.REVEAL), (Room.REVEAL, "next", Room.QUESTION),
    (Room.LOBBY, "finish", Room.FINISHED), (Room.QUESTION, "finish", Room.FINISHED), (Room.REVEAL, "finish", Room.FINISHED),
])
def test_advance_follows_the_state_machine(room, state, action, after):
    Room.objects.filter(pk=room.pk).update(state=state, current=-1 if state == Room.LOBBY else 0)
    room.refresh_from_db()
    version = room.version
    room.advance(action)
    assert room.state == after and room.version == version + 1
    if after == Room.QUESTION:
        assert room.question_opened_at is not None and room.current == (0 if action == "start" else 1)


@pytest.mark.parametrize("state, action", [
    (Room.LOBBY, "reveal"), (Room.LOBBY, "next"), (Room.QUESTION, "start"), (Room.QUESTION, "next"),
    (Room.REVEAL, "start"), (Room.REVEAL, "reveal"), (Room.FINISHED, "finish"), (Room.FINISHED, "start"),
    (Room.LOBBY, "explode"),
])
def test_advance_refuses_what_the_state_does_not_allow(room, state, action):
    Room.objects.filter(pk=room.pk).update(state=state)
    room.refresh_from_db()
    with pytest.raises(RoomError):
        room.advance(action)
    room.refresh_from_db()
    assert room.state == state and room.version == 0


def test_next_after_the_last_question_finishes(room):
    room.advance("start")
    room.advance("reveal")
    room.advance("next")
    room.advance("reveal")
    room.advance("next")
    assert room.state == Room.FINISHED and room.questions_played == 2


def test_an_expired_room_takes_no_action_and_no_player(room):
    Room.objects.filter(pk=room.pk).update(created_at=timezone.now() - Room.LIFETIME - timedelta(minutes=1))
    room.refresh_from_db()
    with pytest.raises(RoomError, match="expired"):
        room.advance("start")
    with pytest.raises(RoomError) as refused:
        room.join("late")
    assert refused.value.status == 404   # the join throttle counts it as a guess: no open room has that code
    assert not room.joining_open


# ---- Room.join ----------------------------------------------------------------------------------------------------
def test_join_normalises_and_refuses_look_alikes(room):
    assert room.join("  Ana  ").nickname == "Ana"
    for look_alike in ("ANA", "\u0410na", "ＡＮＡ"):
        with pytest.raises(RoomError) as refused:
            room.join(look_alike)
        assert refused.value.field == "nickname" and refused.value.status == 409
    assert room.players.count() == 1


def test_join_with_an_identity_is_the_same_player_on_every_device(room):
    first = room.join("ada", identity="class-student:7")
    again = room.join("ada", identity="class-student:7")
    assert again.pk == first.pk and room.players.count() == 1
    with pytest.raises(RoomError):   # someone else under the same name is still refused
        room.join("ada", identity="class-student:8")


def test_join_is_refused_when_full_or_finished(room, monkeypatch):
    assert Room.MAX_PLAYERS == 200                     # the default: a lecture hall fits
    monkeypatch.setattr(Room, "MAX_PLAYERS", 2)        # two, to fill the room in two joins
    room.join("a1")
    room.join("b2")
    with pytest.raises(RoomError, match="full"):
        room.join("c3")
    room.advance("finish")
    with pytest.raises(RoomError, match="finished"):
        Room.objects.get(pk=room.pk).join("d4")


# ---- Room.answer --------------------------------------------------------------------------------------------------
def test_answer_scores_once_and_the_last_answer_reveals(room):
    ana, ben = room.join("Ana"), room.join("Ben")
    room.advance("start")
    answer = room.answer(ana, _keys(room, right=True), "0")
    assert answer.correct and 500 <= answer.points <= 1000 and room.state == Room.QUESTION
    with pytest.raises(RoomError, match="already answered"):
        room.answer(ana, _keys(room, right=False), "0")
    with pytest.raises(RoomError, match="closed"):
        room.answer(ben, _keys(room, right=True), "1")   # a phone showing another question
    with pytest.raises(RoomError, match="does not match"):
        room.answer(ben, ["zz"], "0")
    room.answer(ben, _keys(room, right=False), "0")
    assert room.state == Room.REVEAL and LiveAnswer.objects.count() == 2


def test_an_answer_after_the_timer_does_not_count(room):
    ana, _ = room.join("Ana"), room.join("Ben")
    room.advance("start")
    with pytest.raises(RoomError, match="closed"):
        room.answer(ana, _keys(room, right=True), "0", now=room.question_opened_at + timedelta(seconds=31))
    assert not LiveAnswer.objects.exists() and Room.objects.get(pk=room.pk).state == Room.REVEAL


# ---- what the views show ------------------------------------------------------------------------------------------
def _host(room: Room) -> Client:
    client = Client()
    session = client.session
    session["quiz_live_host"] = {room.code: room.host_token}
    session.save()
    return client


def _player(room: Room, player: Player) -> Client:
    client = Client()
    session = client.session
    session["quiz_live_player"] = {room.code: player.token}
    session.save()
    return client


def test_the_split_is_hidden_on_every_view_until_the_reveal(room):
    ana, ben = room.join("Ana"), room.join("Ben")
    host, phone = _host(room), _player(room, ben)
    room.advance("start")
    room.answer(ana, _keys(room, right=False), "0")
    views = [host.get(f"/quiz/live/{room.code}/host/"), host.get(f"/quiz/live/{room.code}/screen/"),
             host.get(f"/quiz/live/{room.code}/host/panel/?v={room.version}"),
             host.get(f"/quiz/live/{room.code}/host/panel/?v={room.version}&screen=on"),
             phone.get(f"/quiz/live/{room.code}/play/"), phone.get(f"/quiz/live/{room.code}/play/panel/?s=x")]
    for response in views:
        html = response.content.decode()
        assert response.status_code == 200 and "data-live-count" not in html and "data-live-chart" not in html
    assert re.search(r"data-live-answered>1<", views[1].content.decode())   # only how many
    room.advance("reveal")
    for url in (f"/quiz/live/{room.code}/host/", f"/quiz/live/{room.code}/screen/"):
        counts = re.findall(r'data-live-count="[A-F]">(\d+)<', host.get(url).content.decode())
        assert sorted(map(int, counts)) == [0, 0, 0, 1]


def test_the_phone_answers_with_one_tap_and_sees_its_rank_after_the_reveal(room):
    ana, ben, cy = room.join("Ana"), room.join("Ben"), room.join("Cy")
    room.advance("start")
    phones = {p.nickname: _player(room, p) for p in (ana, ben, cy)}
    page = phones["Ana"].get(f"/quiz/live/{room.code}/play/").content.decode()
    taps = re.findall(r'<button type="submit" name="choice" value="(\w+)"', page)
    assert sorted(taps) == sorted(o.key for o in get_question(QUESTIONS[0]).options)
    right, wrong = _keys(room, right=True)[0], _keys(room, right=False)[0]
    # one tap: the button's own name=choice value=key is the whole answer (no lock-in step)
    assert phones["Ana"].post(f"/quiz/live/{room.code}/play/answer/", {"index": "0", "choice": right}).status_code == 302
    phones["Ben"].post(f"/quiz/live/{room.code}/play/answer/", {"index": "0", "choice": wrong})
    phones["Cy"].post(f"/quiz/live/{room.code}/play/answer/", {"index": "0", "choice": wrong})
    room.refresh_from_db()
    assert room.state == Room.REVEAL
    ranks = {}
    for name, phone in phones.items():
        html = phone.get(f"/quiz/live/{room.code}/play/").content.decode()
        ranks[name] = int(re.search(r'data-live-rank-now="(\d+)"', html).group(1))
        assert "of 3" in html
    assert ranks == {"Ana": 1, "Ben": 2, "Cy": 2}


def test_a_multi_answer_question_is_sent_with_its_last_tick(room):
    multi = next(qid for qid in load_bank()
                 if get_question(qid).multi)
    Room.objects.filter(pk=room.pk).update(question_ids=[multi])
    room.refresh_from_db()
    ana = room.join("Ana")
    room.advance("start")
    html = _player(room, ana).get(f"/quiz/live/{room.code}/play/").content.decode()
    question = get_question(multi)
    assert 'class="live-answer-form is-multi"' in html and f'data-select-count="{question.select_count}"' in html
    assert html.count('type="checkbox" name="choice"') == len(question.options)


def test_the_projector_prints_the_public_join_address_while_joining_is_open(room, settings):
    """make class sets LAB_PUBLIC_URL; the projector printed request.get_host (127.0.0.1 on the laptop)."""
    settings.LAB_PUBLIC_URL = "http://192.168.1.20:8000"
    host = _host(room)
    for state in ("lobby", "start", "reveal"):
        if state != "lobby":
            room.advance(state)
        for url in (f"/quiz/live/{room.code}/screen/", f"/quiz/live/{room.code}/host/"):
            html = host.get(url, HTTP_HOST="127.0.0.1:8000").content.decode()
            assert 'data-join-address>http://192.168.1.20:8000/quiz/live/<' in html, (state, url)
            assert f'data-join-link="http://192.168.1.20:8000/quiz/live/?code={room.code}"' in html
            assert 'aria-label="QR code for the join link"' in html
            assert "127.0.0.1:8000/quiz" not in html
    room.advance("finish")   # nobody can join a finished room: no code or QR to show
    html = host.get(f"/quiz/live/{room.code}/screen/").content.decode()
    assert "data-join-address" not in html and "QR code for the join link" not in html


def test_without_a_public_url_the_projector_prints_the_address_the_instructor_browses(room, settings):
    """`make run` leaves LAB_PUBLIC_URL empty (only `make class` sets it): the join address is then the host the
    instructor's browser reached, which is what phones on that network reach too (a lab served as lab.example.com).
    The mistake: printing a relative path or an empty address a phone cannot type."""
    assert settings.LAB_PUBLIC_URL == ""   # the default make run serves with
    host = _host(room)
    for url in (f"/quiz/live/{room.code}/screen/", f"/quiz/live/{room.code}/host/"):
        html = host.get(url, HTTP_HOST="lab.example.com").content.decode()
        assert 'data-join-address>http://lab.example.com/quiz/live/<' in html, url
        assert f'data-join-link="http://lab.example.com/quiz/live/?code={room.code}"' in html


def test_the_class_quiz_room_is_owned_and_hosted_from_any_signed_in_browser(db, django_user_model):
    """The class app created rooms by hand and forgot the owner: the instructor got 403 in a second browser."""
    import io

    from django.core.management import call_command

    from classroom.models import Classroom

    iris = django_user_model.objects.create_user("iris", password="x" * 12)
    call_command("instructor", "iris", stdout=io.StringIO())
    laptop, tablet = Client(), Client()
    laptop.force_login(iris)
    tablet.force_login(iris)
    laptop.post("/class/new/", {"title": "Owned", "expected_students": "0"})
    classroom = Classroom.objects.get(title="Owned")
    r = laptop.post(f"/class/{classroom.code}/quiz/", {"count": "3", "seconds_per_question": "45",
                                                       "domains": ["federation"]})
    classroom.refresh_from_db()
    room = classroom.quiz_room
    assert r["Location"] == f"/quiz/live/{room.code}/host/"
    assert room.owner == iris and room.seconds_per_question == 45 and len(room.question_ids) == 3
    assert {get_question(q).domain for q in room.question_ids} == {"federation"}
    assert tablet.get(f"/quiz/live/{room.code}/host/").status_code == 200
    # a filter that matches too few questions is said on the dashboard, and opens no room
    r = laptop.post(f"/class/{classroom.code}/quiz/", {"count": "30", "domains": ["federation"]},
                    follow=True)
    assert "The class quiz was not opened: Only" in r.content.decode()
    assert Room.objects.count() == 1
