"""Bad input gets a clear message and a 4xx, never a 500: unknown ids, tampered forms, huge fields."""
from __future__ import annotations

import uuid

import pytest
from django.test import Client

from quiz.bank import get_question
from quiz.models import Attempt

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_(db) -> Client:
    return Client(raise_request_exception=True)


@pytest.fixture
def attempt(client_) -> Attempt:
    client_.post("/quiz/start/", {"mode": "exam", "count": "2", "minutes": "10"})
    return Attempt.objects.get()


@pytest.mark.parametrize("fields, message", [
    ({"mode": "speedrun", "count": "3"}, "Select a valid choice"),
    ({"mode": "practice", "count": "-1"}, "greater than or equal to 1"),
    ({"mode": "practice", "count": "1000000000"}, "less than or equal to 65"),
    ({"mode": "practice", "count": "ten"}, "Enter a whole number"),
    ({"mode": "exam", "count": "5"}, "needs a time limit"),
    ({"mode": "exam", "count": "5", "minutes": "0"}, "greater than or equal to 1"),
    ({"mode": "practice", "count": "3", "domains": ["networking"]}, "Select a valid choice"),
    ({"mode": "practice", "count": "3", "difficulties": ["insane"]}, "Select a valid choice"),
    ({"mode": "practice", "count": "x" * 20000}, "Enter a whole number"),
])
def test_a_bad_start_form_says_what_is_wrong(client_, fields, message) -> None:
    response = client_.post("/quiz/start/", fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attempt.objects.exists()


def test_filters_that_match_nothing_say_so(client_) -> None:
    response = client_.post("/quiz/start/", {"mode": "practice", "count": "3", "domains": ["compute"],
                                             "difficulties": ["hard"]})
    assert response.status_code == 400
    assert "No questions match those filters" in response.content.decode()


def test_unknown_ids_are_404_with_a_message(client_, attempt) -> None:
    missing = client_.get(f"/quiz/a/{uuid.uuid4()}/q/1/")
    assert missing.status_code == 404 and "does not exist" in missing.content.decode()
    for number in (0, 3, 99999999):
        response = client_.get(f"/quiz/a/{attempt.pk}/q/{number}/")
        assert response.status_code == 404
        assert "questions 1 to 2" in response.content.decode()
    assert client_.post(f"/quiz/a/{attempt.pk}/q/7/flag/").status_code == 404
    unknown_q = client_.post("/quiz/questions/no-such-question/practice/")
    assert unknown_q.status_code == 404 and "no-such-question" in unknown_q.content.decode()
    for url in (f"/quiz/a/{uuid.uuid4()}/review/", f"/quiz/a/{uuid.uuid4()}/submit/",
                f"/quiz/a/{uuid.uuid4()}/", f"/quiz/a/{uuid.uuid4()}/retry/"):
        method = client_.post if url.endswith("retry/") else client_.get
        assert method(url).status_code == 404


def test_a_malformed_attempt_id_is_404_not_500(db) -> None:
    client = Client()
    assert client.get("/quiz/a/not-a-uuid/q/1/").status_code == 404
    assert client.get("/quiz/a/123/").status_code == 404


@pytest.mark.parametrize("choice, message", [
    (["z"], "does not match this question"),
    (["a" * 10000], "does not match this question"),
    (["a", "b", "c", "d", "e", "f", "a", "b"], "more choices"),
    (["<script>alert(1)</script>"], "does not match this question"),
])
def test_tampered_answers_are_refused_and_not_saved(client_, attempt, choice, message) -> None:
    response = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": choice, "go": "next"})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "<script>alert" not in html
    assert attempt.answers.get(position=0).selected == []
    htmx = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": choice}, **HX)
    assert htmx.status_code == 200 and message in htmx.content.decode()  # htmx swaps the message in


def test_a_multi_select_needs_the_stated_number_of_choices(client_) -> None:
    client_.post("/quiz/questions/xacct-both-sides-multi/practice/")
    attempt = Attempt.objects.get()
    response = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": ["a"]})
    assert response.status_code == 400 and "Choose exactly 2 options" in response.content.decode()
    empty = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {})
    assert empty.status_code == 400 and "Choose an answer first" in empty.content.decode()


def test_a_practice_answer_cannot_be_changed_after_feedback(client_) -> None:
    client_.post("/quiz/start/", {"mode": "practice", "count": "2"})
    attempt = Attempt.objects.get()
    question = get_question(attempt.question_ids[0])
    wrong_key = next(o.key for o in question.options if not o.correct)
    wrong = [wrong_key] if not question.multi else sorted(list(question.correct_keys)[:1] + [wrong_key])
    client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": wrong})
    again = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": sorted(question.correct_keys)})
    assert again.status_code == 400 and "already answered" in again.content.decode()
    assert attempt.answers.get(position=0).correct is False


@pytest.mark.parametrize("go, message", [
    ("sideways", "The button pressed is not one this page has."),
    ("-1", "The button pressed is not one this page has."),
    ("x" * 5000, "The button pressed is not one this page has."),
    ("1\x00", "The button pressed is not one this page has."),
    ("\u0662", "The button pressed is not one this page has."),   # ARABIC-INDIC DIGIT TWO: isdigit(), not a number
    ("99", "This attempt has questions 1 to 2; there is no question 99."),
    ("0", "This attempt has questions 1 to 2; there is no question 0."),
])
def test_an_unknown_button_is_a_400_that_says_so_and_keeps_the_selection(client_, attempt, go, message) -> None:
    # the mistake: the learner's ticked choices lost (or saved with no word) because one other field was bad
    answer = attempt.answers.get(position=0)
    choice = sorted(get_question(answer.question_id).correct_keys)
    response = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": choice, "go": go})
    html = response.content.decode()
    assert response.status_code == 400 and message in html and "Your selection was saved." in html
    answer.refresh_from_db()
    assert answer.selected == choice


def test_an_unknown_button_without_a_selection_says_so_and_saves_nothing(client_, attempt) -> None:
    response = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"go": "sideways"})
    html = response.content.decode()
    assert response.status_code == 400 and "The button pressed is not one this page has." in html
    assert "selection was saved" not in html and attempt.answers.get(position=0).selected == []


def test_an_unknown_button_in_practice_grades_the_selection_and_says_so(client_) -> None:
    client_.post("/quiz/start/", {"mode": "practice", "count": "2"})
    attempt = Attempt.objects.get()
    answer = attempt.answers.get(position=0)
    choice = sorted(get_question(answer.question_id).correct_keys)
    response = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": choice, "go": "n" * 17})
    assert response.status_code == 400 and "Your selection was saved." in response.content.decode()
    answer.refresh_from_db()
    assert answer.selected == choice and answer.correct is True


def test_every_button_the_page_offers_is_accepted(client_, attempt) -> None:
    for go in ("stay", "next", "prev", "flag", "2", "1", ""):
        response = client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"go": go})
        assert response.status_code == 302, go
    assert client_.post(f"/quiz/a/{attempt.pk}/q/1/", {"go": "2"})["Location"].endswith("/q/2/")


def test_the_wrong_http_method_is_405(client_, attempt) -> None:
    assert client_.get("/quiz/start/").status_code == 405
    assert client_.get(f"/quiz/a/{attempt.pk}/q/1/flag/").status_code == 405
    assert client_.get(f"/quiz/a/{attempt.pk}/retry/").status_code == 405
    assert client_.post(f"/quiz/a/{attempt.pk}/review/").status_code == 405


def test_an_unknown_topic_in_the_bank_browser_is_400(client_) -> None:
    response = client_.get("/quiz/questions/?topic=<b>nope</b>")
    assert response.status_code == 400 and "Unknown topic" in response.content.decode()


def test_an_oversized_request_body_is_400(db) -> None:
    client = Client()  # the site's handler400 answers RequestDataTooBig
    response = client.post("/quiz/start/", {"mode": "practice", "count": "3", "pad": "x" * 200_000})
    assert response.status_code == 400


def test_another_browsers_attempt_cannot_be_answered_flagged_or_submitted(client_, attempt) -> None:
    other = Client()
    assert other.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": ["a"]}).status_code == 404
    assert other.post(f"/quiz/a/{attempt.pk}/q/1/flag/").status_code == 404
    assert other.post(f"/quiz/a/{attempt.pk}/submit/").status_code == 404
    attempt.refresh_from_db()
    assert not attempt.is_submitted and not attempt.answers.filter(flagged=True).exists()
