"""One join-code / nickname / QR module for classes and live quiz rooms (securecart/joining.py; issue 24 item 3,
issue 23 item 4): each rule written once, both apps held to it."""
from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from classroom.models import Classroom, Student
from quiz.models import Player, Room
from securecart.joining import (CODE_ALPHABET, NicknameError, clean_nickname, confusable_with, is_join_code,
                                new_code, nickname_keys, nickname_taken, normalize_code, qr_svg)


# ---- codes --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, code", [
    ("abcdef", "ABCDEF"), (" abc-def ", "ABCDEF"), ("ABC DEF", "ABCDEF"), ("ＡＢＣＤＥＦ", "ABCDEF"),  # full width
    ("a\tb\nc-d e f", "ABCDEF"), ("", ""), (None, ""),
])
def test_a_typed_code_is_normalised_once_for_both_apps(typed, code):
    assert normalize_code(typed) == code


@pytest.mark.parametrize("code, ok", [
    ("ABCDEF", True), ("ABCDE", False), ("ABCDEFG", False),
    ("ABCDE0", False), ("ABCDEO", False), ("ABCDE1", False), ("ABCDEI", False),   # not in the alphabet
    ("<scri", False), ("ÀBCDEF", False),
])
def test_only_the_alphabet_makes_a_code(code, ok):
    assert is_join_code(code) is ok


def test_normalising_never_keeps_more_than_a_form_takes():
    assert len(normalize_code("A" * 100_000)) == 16


def test_new_codes_avoid_taken_ones():
    taken = set()
    for _ in range(50):
        code = new_code(lambda c: c in taken)
        assert is_join_code(code) and code not in taken
        taken.add(code)
    with pytest.raises(RuntimeError):
        new_code(lambda c: True)


# ---- nicknames ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, shown", [("  Ana   Lee ", "Ana Lee"), ("ｂｏｂ", "bob"), ("ﬁona", "fiona")])
def test_nicknames_are_normalised(raw, shown):
    assert clean_nickname(raw) == shown


@pytest.mark.parametrize("raw, message", [
    ("", "Enter a nickname"), ("   ", "Enter a nickname"), ("x" * 25, "at most 24"),
    ("bell\u0007", "control characters"),
    ("ali\u200dce", "invisible"),          # a zero-width joiner: two names that look the same
    ("\u202eecila", "invisible"),          # a right-to-left override: a name that reorders a leaderboard row
])
def test_bad_nicknames_are_refused_with_a_reason(raw, message):
    with pytest.raises(NicknameError, match=message):
        clean_nickname(raw)


@pytest.mark.parametrize("taken, asked", [
    ("alice", "\u0430lice"),   # Cyrillic а
    ("alice", "ALICE"), ("alice", "aIice"), ("alice", "a1ice"), ("bob", "b0b"), ("Iris", "iris"),
    ("paypal", "\u0440\u0430ypal"),   # Cyrillic р and а
])
def test_look_alike_nicknames_are_confusable(taken, asked):
    assert confusable_with(asked, ["zed", taken]) == taken


@pytest.mark.parametrize("name", ["Ana", "Anna", "Ben", "Tom", "Tim", "Max", "Mia", "ada", "bo", "cy", "Zoë",
                                  "Zoe Li", "José", "Jose 2", "李雷", "Дима", "student07", "student17"])
def test_a_class_list_of_different_names_has_no_confusable_pair(name):
    others = ["Ana", "Anna", "Ben", "Tom", "Tim", "Max", "Mia", "ada", "bo", "cy", "Zoë", "Zoe Li", "José", "Jose 2",
              "李雷", "Дима", "student07", "student17"]
    assert confusable_with(name, [o for o in others if o != name]) is None


def test_a_taken_nickname_says_whether_it_is_the_same_name_or_a_look_alike_and_where():
    """The mistakes: telling "ALICE" it only looks like "alice" (it is the same name, case aside), or calling a
    Cyrillic look-alike "taken" (the person would not see why), or naming the wrong place."""
    assert nickname_taken("ALICE", ["bob", "alice"], "this class") == \
        "That nickname is already taken in this class; pick another."
    assert nickname_taken("\u0430lice", ["alice"], "this room") == \
        "That nickname looks too much like “alice”, already in this room; pick another."
    assert nickname_taken("carol", ["alice", "bob"], "this room") is None


def test_nickname_keys_ignore_case_and_width():
    assert nickname_keys("ＡＬＩＣＥ") & nickname_keys("alice")


# ---- QR codes -----------------------------------------------------------------------------------------------------
def test_qr_codes_scale_and_have_an_accessible_name():
    svg = str(qr_svg("http://192.168.1.20:8000/class/?code=ABCDEF", 'Join "now" <here>'))
    assert svg.startswith('<svg role="img" aria-label="Join &quot;now&quot; &lt;here&gt;"')
    assert "viewBox" in svg and ' width="' not in svg.split(">")[0]   # CSS sizes it (400 px on a projector)
    assert "style=" not in svg                                          # nothing the CSP would block


# ---- both apps hold to it ---------------------------------------------------------------------------------------
@pytest.fixture
def open_class(db) -> Classroom:
    User.objects.create_user("iris", password="a-long-classroom-password")
    call_command("instructor", "iris", stdout=io.StringIO())
    instructor = Client()
    instructor.force_login(User.objects.get(username="iris"))
    instructor.post("/class/new/", {"title": "Joining", "expected_students": "0"})
    return Classroom.objects.get(title="Joining")


def test_a_class_and_a_room_refuse_the_same_look_alike(open_class):
    room = Room.open(question_ids=["xacct-missing-external-id"], seconds_per_question=30)
    for url, code in (("/class/join/", open_class.code), ("/quiz/live/join/", room.code)):
        assert Client().post(url, {"code": code, "nickname": "alice"}).status_code == 302
        r = Client().post(url, {"code": f" {code[:3].lower()}-{code[3:]} ", "nickname": "\u0430lice"})
        assert r.status_code == 409 and "looks too much like “alice”" in r.content.decode(), url
    assert list(Student.objects.values_list("nickname", flat=True)) == ["alice"]
    assert list(Player.objects.values_list("nickname", flat=True)) == ["alice"]


def test_a_class_and_a_room_take_a_full_width_code_from_a_phone_keyboard(open_class):
    room = Room.open(question_ids=["xacct-missing-external-id"], seconds_per_question=30)
    wide = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in CODE_ALPHABET})
    for url, code in (("/class/join/", open_class.code), ("/quiz/live/join/", room.code)):
        assert Client().post(url, {"code": code.translate(wide), "nickname": "wide"}).status_code == 302, url


def test_the_class_refuses_a_removed_students_look_alike_only_while_they_are_in_it(open_class):
    client = Client()
    client.post("/class/join/", {"code": open_class.code, "nickname": "bob"})
    student = Student.objects.get(nickname="bob")
    assert Client().post("/class/join/", {"code": open_class.code, "nickname": "B0B"}).status_code == 409
    from classroom import services

    services.remove_student(student)
    assert Client().post("/class/join/", {"code": open_class.code, "nickname": "B0B"}).status_code == 302
