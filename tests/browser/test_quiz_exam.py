"""A learner takes a short timed exam in Chromium: htmx navigation, flagging, submit, review; and the countdown
submits an exam by itself when time runs out."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quiz.bank import get_question
from quiz.models import Attempt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _start_exam(page, count: int, minutes: int) -> Attempt:
    page.goto("/quiz/")
    page.get_by_label(re.compile("Timed exam")).check()
    page.get_by_label(re.compile("Number of questions")).fill(str(count))
    page.get_by_label(re.compile("Time limit")).fill(str(minutes))
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name=re.compile("Question 1"))).to_be_visible()
    return Attempt.objects.get()


def _choose(page, attempt: Attempt, number: int, right: bool) -> None:
    question = get_question(attempt.question_ids[number - 1])
    keys = sorted(question.correct_keys) if right else [next(o.key for o in question.options if not o.correct)]
    if not right and question.multi:
        keys = sorted(list(question.correct_keys)[:-1] + keys)
    for key in keys:
        page.locator(f"#choice-{number}-{key}").check()


def test_a_short_timed_exam_and_its_review(page):
    attempt = _start_exam(page, count=3, minutes=5)
    timer = page.locator("[data-quiz-clock]")
    expect(timer).to_have_text(re.compile(r"0[45]:\d\d"))
    page.evaluate("window.__noReload = true")  # survives only if navigation is done by htmx swaps

    # Question 1: answer with the keyboard (focus the first option, Space selects it for radios/checkboxes).
    question1 = get_question(attempt.question_ids[0])
    page.locator("#quiz-attempt input[name=choice]").first.focus()
    page.keyboard.press("Space")
    for _ in range(question1.select_count - 1):  # checkboxes: Tab to the next one and tick it too
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
    expect(page.locator("#quiz-attempt input[name=choice]:checked")).to_have_count(question1.select_count)
    page.get_by_role("button", name="Save and next →").click()
    expect(page.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/quiz/a/{attempt.pk}/q/2/$"))
    assert page.evaluate("window.__noReload") is True

    # Question 2: answer it right, then flag it: flagging keeps the selection.
    _choose(page, attempt, 2, right=True)
    checked = page.locator("#quiz-attempt input[name=choice]:checked").count()
    page.get_by_role("button", name=re.compile("Flag for review")).click()
    expect(page.get_by_role("button", name=re.compile("Flagged for review"))).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#quiz-attempt input[name=choice]:checked")).to_have_count(checked)
    page.get_by_role("button", name="Save and next →").click()
    expect(page.get_by_role("heading", name=re.compile("Question 3"))).to_be_visible()

    # Jump back with the navigator; the saved answer is still selected.
    page.locator(".quiz-navigator .quiz-nav-item", has_text="2").click()
    expect(page.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()
    expect(page.locator("#quiz-attempt input[name=choice]:checked")).not_to_have_count(0)
    page.locator(".quiz-navigator .quiz-nav-item", has_text="3").click()
    _choose(page, attempt, 3, right=False)
    page.get_by_role("button", name="Save answer").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()

    page.get_by_role("button", name="Review and submit…").click()
    expect(page.get_by_role("heading", name="Ready to submit?")).to_be_visible()
    page.get_by_role("button", name="Submit exam").click()

    expect(page.get_by_role("heading", name=re.compile("^Results"))).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.score is not None
    expect(page.locator("[data-quiz-score]")).to_have_text(f"{attempt.score} / 3")
    expect(page.get_by_role("table", name="Score per topic")).to_contain_text("Correct")
    expect(page.locator(".quiz-review-item")).to_have_count(3)
    expect(page.locator(".quiz-review-item").nth(1)).to_contain_text("⚑ Flagged")
    expect(page.locator(".quiz-review-item").nth(2)).to_contain_text("Wrong")
    # the wrong answer's explanation is open, with its citation
    expect(page.locator(".quiz-review-item").nth(2).locator(".quiz-citation a")).to_be_visible()


def test_the_countdown_submits_the_exam_when_time_runs_out(page):
    attempt = _start_exam(page, count=2, minutes=10)
    _choose(page, attempt, 1, right=True)
    page.get_by_role("button", name="Save and next →").click()
    expect(page.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("^Results"))).to_be_visible(timeout=15_000)
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.score == 1


def test_the_navigator_and_the_time_out_keep_the_selection_on_screen(page):
    attempt = _start_exam(page, count=3, minutes=10)
    # Choose on question 1 but press no save button: jump away with the navigator, then come back.
    _choose(page, attempt, 1, right=True)
    page.locator(".quiz-navigator .quiz-nav-item", has_text="3").click()
    expect(page.get_by_role("heading", name=re.compile("Question 3"))).to_be_visible()
    page.locator(".quiz-navigator .quiz-nav-item", has_text="1").click()
    expect(page.get_by_role("heading", name=re.compile("Question 1"))).to_be_visible()
    right_keys = sorted(get_question(attempt.question_ids[0]).correct_keys)
    for key in right_keys:
        expect(page.locator(f"#choice-1-{key}")).to_be_checked()
    # The timer stays in view when the page is scrolled down, also on a phone-sized screen.
    page.set_viewport_size({"width": 390, "height": 700})
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 300
    expect(page.locator(".quiz-timer")).to_be_in_viewport()
    page.set_viewport_size({"width": 1280, "height": 900})

    # Now the time runs out with an unsaved selection on question 2 on screen.
    page.locator(".quiz-navigator .quiz-nav-item", has_text="2").click()
    expect(page.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=6))
    page.reload()
    _choose(page, attempt, 2, right=True)
    expect(page.get_by_role("heading", name=re.compile("^Results"))).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Time ran out; the exam was submitted automatically.")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.timed_out is True
    assert attempt.answers.get(position=1).selected == sorted(get_question(attempt.question_ids[1]).correct_keys)
    assert attempt.score == 2
    page.goto("/quiz/")
    expect(page.locator(".quiz-attempts")).to_contain_text("timed out")
    # the missed question 3 (unanswered) is scheduled for review, and readiness is charted
    page.goto("/quiz/progress/")
    expect(page.locator("[data-quiz-due]")).not_to_have_text("0")
    expect(page.locator("svg.quiz-progress-chart polyline[data-task='1.1'] ~ circle").first).to_be_visible()
