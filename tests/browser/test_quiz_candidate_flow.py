"""A candidate on a phone (390 px) and on a projector (1920 px) starts the domain-1 preset, reports a question
without leaving it, and reads the time per question and pacing in the review; no page scrolls sideways."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quiz.bank import get_question
from quiz.models import Answer, Attempt, QuestionReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width,height", [(390, 844), (1920, 1080)], ids=["phone", "projector"])
def test_preset_report_and_pacing(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/quiz/")
    scope = page.locator("[data-quiz-scope]")
    expect(scope).to_contain_text("30 % of the SAA-C03 exam")
    _no_sideways_scroll(page, width)

    # The domain-1 preset: 20 questions in 40 minutes, a timed exam.
    page.get_by_role("button", name=re.compile("domain 1 mock exam", re.I)).click()
    expect(page.get_by_role("heading", name=re.compile("Question 1"))).to_be_visible()
    attempt = Attempt.objects.get()
    assert attempt.total == 20 and attempt.time_limit_seconds == 2400
    expect(page.locator("[data-quiz-clock]")).to_have_text(re.compile(r"(39|40):\d\d"))
    _no_sideways_scroll(page, width)
    page.evaluate("window.__noReload = true")

    # Report question 1 without leaving it: the panel opens, the form is sent by htmx, focus stays in the panel.
    page.get_by_text("Report this question").click()
    page.get_by_label("What is wrong?").select_option("unclear")
    page.get_by_label("Your note (optional)").fill("Option B and C read alike on a phone.")
    _no_sideways_scroll(page, width)
    page.get_by_role("button", name="Send the report").click()
    thanks = page.get_by_text("your report on this question is with the operator", exact=False)
    expect(thanks).to_be_visible()
    expect(thanks).to_be_focused()
    assert page.evaluate("window.__noReload") is True
    report = QuestionReport.objects.get()
    assert report.question_id == attempt.question_ids[0] and report.attempt_id == attempt.pk
    assert report.note == "Option B and C read alike on a phone."

    # Answer question 1; pretend it has been on screen for three minutes (the server measures; no waiting here).
    question = get_question(attempt.question_ids[0])
    for key in sorted(question.correct_keys):
        page.locator(f"#choice-1-{key}").check()
    Answer.objects.filter(attempt=attempt, position=0).update(viewed_at=timezone.now() - timedelta(minutes=3))
    page.get_by_role("button", name="Save and next →").click()
    expect(page.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()
    page.get_by_role("button", name="Review and submit…").click()
    page.get_by_role("button", name="Submit exam").click()

    # The review: time per question, pacing against the exam's 2 minutes, the slow question listed.
    expect(page.get_by_role("heading", name=re.compile("^Results"))).to_be_visible()
    pacing = page.locator("[data-quiz-pacing]")
    expect(pacing).to_contain_text("The real exam gives 02:00 a question")
    expect(page.locator("#review-1 [data-quiz-seconds]")).to_have_text(re.compile(r"03:0\d"))
    pacing.get_by_text("Time per question, and your running total").click()
    expect(pacing.locator("table")).to_be_visible()
    expect(pacing.locator("tr.is-slow")).to_have_count(0)        # three minutes is not twice the pace
    _no_sideways_scroll(page, width)
