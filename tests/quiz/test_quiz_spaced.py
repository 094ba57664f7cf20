"""Spaced review with FSRS: missed and flagged questions are scheduled, the due-today queue, the question of the
day, readiness per task statement and its server-rendered chart."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quiz import spaced
from quiz.bank import TASKS, get_question, load_bank
from quiz.models import Attempt, ReviewCard

pytestmark = pytest.mark.django_db


def test_fsrs_brings_a_missed_card_back_sooner_than_a_known_one() -> None:
    now = timezone.now()
    missed = spaced.review("t-a", None, "xacct-missing-external-id", correct=False, when=now)
    unsure = spaced.review("t-a", None, "guard-role-chaining-one-hour", correct=True, flagged=True, when=now)
    assert missed is not None and unsure is not None
    # the next day both are answered again: the missed one wrong again, the flagged one right (known)
    later = now + timedelta(days=1)
    missed = spaced.review("t-a", None, missed.question_id, correct=False, when=later)
    known = spaced.review("t-a", None, unsure.question_id, correct=True, when=later)
    assert missed.due < known.due
    assert missed.due - later < timedelta(hours=1)      # FSRS relearning step: minutes, not days
    assert missed.lapses == 2 and known.lapses == 0 and known.reviews == 2
    # once it has graduated from FSRS's learning steps, a known card is due days later
    again = later + timedelta(days=1)
    known = spaced.review("t-a", None, known.question_id, correct=True, when=again)
    assert known.due - again >= timedelta(days=1)


def test_a_right_unflagged_answer_makes_no_card() -> None:
    assert spaced.review("t-b", None, "ops-access-key-prefixes", correct=True) is None
    assert not ReviewCard.objects.exists()


def _start(client: Client, **fields) -> Attempt:
    data = {"mode": "exam", "count": "2", "minutes": "10"}
    data.update(fields)
    client.post("/quiz/start/", data)
    return Attempt.objects.order_by("-started_at").first()


def test_a_submitted_exam_schedules_its_misses_and_flags_and_the_queue_replays_them(client) -> None:
    attempt = _start(client)
    first = get_question(attempt.question_ids[0])
    client.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": sorted(first.correct_keys), "go": "flag"})
    client.post(f"/quiz/a/{attempt.pk}/submit/")  # question 2 unanswered: a miss
    cards = {c.question_id: c for c in ReviewCard.objects.all()}
    assert set(cards) == set(attempt.question_ids)
    assert cards[attempt.question_ids[0]].flagged and cards[attempt.question_ids[1]].lapses == 1
    page = client.get("/quiz/progress/").content.decode()
    assert 'data-quiz-due>2<' in page  # both come back today, within minutes (FSRS learning steps)
    assert cards[attempt.question_ids[1]].due < cards[attempt.question_ids[0]].due  # the miss first
    response = client.post("/quiz/progress/review/")
    review = Attempt.objects.order_by("-started_at").first()
    assert response["Location"] == f"/quiz/a/{review.pk}/q/1/"
    assert review.question_ids == [attempt.question_ids[1], attempt.question_ids[0]]
    assert review.title == "Spaced review: due today"
    # answering it right in practice reviews the card and pushes it out
    q = get_question(review.question_ids[0])
    client.post(f"/quiz/a/{review.pk}/q/1/", {"choice": sorted(q.correct_keys)})
    card = ReviewCard.objects.get(question_id=q.id)
    assert card.reviews == 2 and card.last_correct is True and card.due > timezone.now()


def test_another_browser_has_its_own_deck(client) -> None:
    attempt = _start(client)
    client.post(f"/quiz/a/{attempt.pk}/submit/")
    other = Client()
    assert 'data-quiz-due>0<' in other.get("/quiz/progress/").content.decode()


def test_readiness_per_task_statement_and_the_progress_chart(client) -> None:
    bank = load_bank()
    ids = [q.id for q in bank.values() if q.task == "1.1"][:3]
    attempt = _start(client, count="3")
    Attempt.objects.filter(pk=attempt.pk).update(question_ids=ids)
    for i, qid in enumerate(ids):
        attempt.answers.filter(position=i).update(question_id=qid)
    for n, qid in enumerate(ids[:2], start=1):
        client.post(f"/quiz/a/{attempt.pk}/q/{n}/", {"choice": sorted(bank[qid].correct_keys), "go": "stay"})
    client.post(f"/quiz/a/{attempt.pk}/submit/")
    rows = {r.task: r for r in spaced.readiness(Attempt.objects.all())}
    assert set(rows) == set(TASKS)
    total = sum(1 for q in bank.values() if q.task == "1.1")
    assert (rows["1.1"].tried, rows["1.1"].right_last, rows["1.1"].bank_total) == (2, 2, total)  # the unanswered third is not "tried"
    assert rows["1.1"].percent == round(200 / total)
    html = client.get("/quiz/progress/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'data-task="1.1"' in html
    assert f"{round(200 / total)}%" in html


def test_the_progress_chart_draws_one_point_per_day() -> None:
    svg = spaced.progress_svg({"1.1": [(date(2026, 11, 1), 10), (date(2026, 11, 3), 40)], "1.2": [], "1.3": []})
    assert svg.count("<circle") == 2 and "Nov 01" in svg and "Nov 03" in svg
    assert "No answers yet" in spaced.progress_svg({"1.1": [], "1.2": [], "1.3": []})


def test_the_question_of_the_day_is_stable_for_a_day_and_on_the_home_page(client) -> None:
    day = date(2026, 12, 1)
    assert spaced.question_of_the_day(day) == spaced.question_of_the_day(day)
    assert len({spaced.question_of_the_day(day + timedelta(days=i)).id for i in range(30)}) > 5
    html = client.get("/quiz/").content.decode()
    assert "Question of the day" in html and "due today" in html
