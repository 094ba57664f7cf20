"""Practice, timed exam and review, driven through Django's test client (full pages and htmx fragments)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quiz.bank import get_question, select_questions
from quiz.models import Attempt
from quiz.proof import engine_proof

HX = {"HTTP_HX_REQUEST": "true"}


def start(client: Client, **fields) -> Attempt:
    data = {"mode": "practice", "count": "3"}
    data.update(fields)
    response = client.post("/quiz/start/", data)
    assert response.status_code == 302, response.content[:500]
    attempt = Attempt.objects.order_by("-started_at").first()
    assert response["Location"] == f"/quiz/a/{attempt.pk}/q/1/"
    return attempt


def right(attempt: Attempt, number: int) -> list[str]:
    return sorted(get_question(attempt.question_ids[number - 1]).correct_keys)


def wrong(attempt: Attempt, number: int) -> list[str]:
    q = get_question(attempt.question_ids[number - 1])
    bad = [o.key for o in q.options if not o.correct]
    return sorted(list(q.correct_keys)[:-1] + bad[:1]) if q.multi else bad[:1]


def q_url(attempt: Attempt, number: int, suffix: str = "") -> str:
    return f"/quiz/a/{attempt.pk}/q/{number}/{suffix}"


@pytest.fixture
def client_(db) -> Client:
    return Client()


def test_it_shows_the_quiz_home_with_topics_and_modes(client_) -> None:
    response = client_.get("/quiz/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Timed exam" in html and "Practice" in html
    assert "Cross-account access" in html
    assert 'action="/quiz/start/"' in html
    assert re.search(r'<input type="radio" name="mode" value="exam"[^>]*id="(id_mode_\d)"', html)
    assert '<label for="id_count">' in html


def test_practice_gives_instant_feedback_with_explanation_and_citation(client_) -> None:
    attempt = start(client_)
    page = client_.get(q_url(attempt, 1))
    question = get_question(attempt.question_ids[0])
    assert page.status_code == 200
    assert "<fieldset>" in page.content.decode() and "<legend>" in page.content.decode()
    assert "Check answer" in page.content.decode()

    response = client_.post(q_url(attempt, 1), {"choice": right(attempt, 1), "go": "stay"})
    assert response.status_code == 302 and response["Location"] == q_url(attempt, 1)
    html = client_.get(q_url(attempt, 1)).content.decode()
    assert "Correct" in html
    assert "Explanation" in html and question.citation_url in html
    for option in question.options:  # why every option is right or wrong
        assert option.why.split("`")[0][:30] in html.replace("&#x27;", "'").replace("&quot;", '"')
    assert "Check answer" not in html  # locked once answered


def test_practice_htmx_answer_returns_only_the_panel(client_) -> None:
    attempt = start(client_)
    response = client_.post(q_url(attempt, 1), {"choice": wrong(attempt, 1), "go": "stay"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="quiz-attempt"')
    assert "Not quite" in html and "Correct answer" in html
    answer = attempt.answers.get(position=0)
    assert answer.correct is False and answer.selected == wrong(attempt, 1)


def test_practice_ends_with_a_review_after_the_last_answer(client_) -> None:
    attempt = start(client_, count="2")
    client_.post(q_url(attempt, 1), {"choice": right(attempt, 1)})
    client_.post(q_url(attempt, 2), {"choice": wrong(attempt, 2)})
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.score == 1
    review = client_.get(f"/quiz/a/{attempt.pk}/review/")
    assert review.status_code == 200
    assert re.search(r"data-quiz-score>\s*1 / 2", review.content.decode())


def test_timed_exam_hides_answers_until_submitted_and_keeps_flags(client_) -> None:
    attempt = start(client_, mode="exam", count="3", minutes="5")
    assert attempt.deadline and 290 <= (attempt.deadline - timezone.now()).total_seconds() <= 300
    page = client_.get(q_url(attempt, 1)).content.decode()
    assert "data-quiz-deadline" in page and "Flag for review" in page

    response = client_.post(q_url(attempt, 1), {"choice": right(attempt, 1), "go": "next"})
    assert response["Location"] == q_url(attempt, 2)
    html = client_.get(q_url(attempt, 1)).content.decode()
    assert "Explanation" not in html and "Answer saved" in html  # no feedback during an exam

    # change the answer, flag question 2, go back and forth with htmx
    client_.post(q_url(attempt, 1), {"choice": wrong(attempt, 1), "go": "stay"})
    flagged = client_.post(q_url(attempt, 2, "flag/"), **HX)
    assert "Flagged for review" in flagged.content.decode()
    nav = client_.post(q_url(attempt, 2), {"go": "prev"}, **HX)
    assert nav["HX-Push-Url"] == q_url(attempt, 1)
    assert "Question 1" in nav.content.decode()

    confirm = client_.get(f"/quiz/a/{attempt.pk}/submit/").content.decode()
    assert "2 questions not answered" in confirm and "Flagged for review" in confirm

    client_.post(q_url(attempt, 3), {"choice": right(attempt, 3), "go": "stay"})
    response = client_.post(f"/quiz/a/{attempt.pk}/submit/")
    assert response["Location"] == f"/quiz/a/{attempt.pk}/review/"
    attempt.refresh_from_db()
    assert attempt.score == 1 and not attempt.timed_out
    review = client_.get(f"/quiz/a/{attempt.pk}/review/").content.decode()
    assert "By topic" in review and "Your answer:" in review and "Right answer:" in review
    assert "⚑ Flagged" in review

    # after submission the questions lead to the review, and answers can no longer change
    assert client_.get(q_url(attempt, 1))["Location"] == f"/quiz/a/{attempt.pk}/review/"
    client_.post(q_url(attempt, 2), {"choice": right(attempt, 2), "go": "stay"})
    assert attempt.answers.get(position=1).selected == []


def test_an_exam_past_its_deadline_is_submitted_and_marked_timed_out(client_) -> None:
    attempt = start(client_, mode="exam", count="2", minutes="1")
    client_.post(q_url(attempt, 1), {"choice": right(attempt, 1), "go": "next"})
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=30))
    response = client_.post(q_url(attempt, 2), {"choice": right(attempt, 2), "go": "stay"})
    assert response.status_code == 302 and response["Location"].endswith("/review/")
    attempt.refresh_from_db()
    assert attempt.timed_out and attempt.score == 1  # the late answer did not count
    assert "Time ran out" in client_.get(response["Location"]).content.decode()


def test_retry_wrong_ones_starts_a_practice_with_only_the_missed_questions(client_) -> None:
    attempt = start(client_, mode="exam", count="3", minutes="10")
    client_.post(q_url(attempt, 1), {"choice": right(attempt, 1), "go": "next"})
    client_.post(q_url(attempt, 2), {"choice": wrong(attempt, 2), "go": "next"})
    client_.post(f"/quiz/a/{attempt.pk}/submit/")
    review = client_.get(f"/quiz/a/{attempt.pk}/review/?only=wrong").content.decode()
    assert review.count('class="quiz-review-item') == 2
    response = client_.post(f"/quiz/a/{attempt.pk}/retry/")
    retry = Attempt.objects.order_by("-started_at").first()
    assert response["Location"] == q_url(retry, 1)
    assert retry.mode == "practice" and retry.retry_of_id == attempt.pk
    assert retry.question_ids == attempt.question_ids[1:]


def test_attempts_resume_in_the_same_browser_only(client_) -> None:
    attempt = start(client_, mode="exam", count="3", minutes="10")
    client_.post(q_url(attempt, 1), {"choice": right(attempt, 1), "go": "next"})
    # a "reload": same session cookie, fresh client
    again = Client()
    again.cookies = client_.cookies
    assert again.get(f"/quiz/a/{attempt.pk}/")["Location"] == q_url(attempt, 2)
    assert "in progress" in again.get("/quiz/").content.decode()
    stranger = Client()
    response = stranger.get(q_url(attempt, 1))
    assert response.status_code == 404
    assert "another browser" in response.content.decode()


def test_topic_and_difficulty_filters_pick_matching_questions(client_) -> None:
    pool = select_questions(domains=["mfa", "tags"], difficulties=["hard"])
    attempt = start(client_, count=str(len(pool)), domains=["mfa", "tags"], difficulties=["hard"])
    questions = [get_question(q) for q in attempt.question_ids]
    assert len(questions) == len(pool)
    assert all(q.domain in ("mfa", "tags") and q.difficulty == "hard" for q in questions)


def test_asking_for_more_questions_than_match_says_so_before_starting(client_) -> None:
    pool = select_questions(domains=["tags"])
    response = client_.post("/quiz/start/", {"mode": "exam", "count": str(len(pool) + 1), "minutes": "10",
                                             "domains": ["tags"]})
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Only {len(pool)} questions match those filters, and you asked for {len(pool) + 1}" in html
    assert not Attempt.objects.exists()


def test_an_exam_submitted_at_the_deadline_is_timed_out(client_) -> None:
    attempt = start(client_, mode="exam", count="2", minutes="10")
    # The countdown fires at 00:00 on the learner's clock, a moment before the server's deadline.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(milliseconds=900))
    response = client_.post(q_url(attempt, 1), {"choice": right(attempt, 1), "go": "timeout"})
    assert response["Location"] == f"/quiz/a/{attempt.pk}/review/"
    attempt.refresh_from_db()
    assert attempt.timed_out and attempt.score == 1  # the selection on screen was saved with the time-out
    assert "Time ran out" in client_.get(response["Location"]).content.decode()


def test_an_exam_submitted_well_before_the_deadline_is_not_timed_out(client_) -> None:
    attempt = start(client_, mode="exam", count="1", minutes="10")
    client_.post(f"/quiz/a/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert attempt.is_submitted and not attempt.timed_out


def test_the_navigator_saves_the_selection_before_moving(client_) -> None:
    attempt = start(client_, mode="exam", count="3", minutes="10")
    response = client_.post(q_url(attempt, 1), {"choice": right(attempt, 1), "go": "3"})
    assert response["Location"] == q_url(attempt, 3)
    assert attempt.answers.get(position=0).selected == right(attempt, 1)
    html = client_.get(q_url(attempt, 3)).content.decode()
    assert f'form="quiz-answer-3" name="go" value="1"' in html


def test_retry_titles_count_retries_instead_of_nesting(client_) -> None:
    attempt = start(client_, mode="exam", count="2", minutes="10")
    client_.post(f"/quiz/a/{attempt.pk}/submit/")
    client_.post(f"/quiz/a/{attempt.pk}/retry/")
    first = Attempt.objects.order_by("-started_at").first()
    client_.post(f"/quiz/a/{first.pk}/submit/")
    client_.post(f"/quiz/a/{first.pk}/retry/")
    second = Attempt.objects.order_by("-started_at").first()
    assert first.title == "Missed questions (retry 1): Timed exam"
    assert second.title == "Missed questions (retry 2): Timed exam"


def test_an_engine_backed_question_shows_the_engines_decision_trace(client_) -> None:
    response = client_.post("/quiz/questions/xacct-missing-external-id/practice/")
    attempt = Attempt.objects.order_by("-started_at").first()
    assert response["Location"] == q_url(attempt, 1)
    html = client_.post(q_url(attempt, 1), {"choice": ["c"]}, **HX).content.decode()
    assert "Checked by the lab&#x27;s policy engine" in html or "Checked by the lab's policy engine" in html
    proof = engine_proof(get_question("xacct-missing-external-id"))
    condition = proof.decision["policies"][1]["statements"][0]["conditions"][0]
    assert condition["key"] == "sts:ExternalId" and condition["outcome"] is False
    assert "Full evaluation trace" in html
    assert "<code>sts:ExternalId</code>" in html and "is not in the request" in html
    assert "not authorized to perform: sts:AssumeRole" in html  # the AccessDenied AWS would return


def test_a_spot_the_mistake_question_shows_iams_parse_error(client_) -> None:
    client_.post("/quiz/questions/trust-auditor-policy-prohibited-resource/practice/")
    attempt = Attempt.objects.order_by("-started_at").first()
    html = client_.post(q_url(attempt, 1), {"choice": ["b"]}, **HX).content.decode()
    assert "MalformedPolicyDocument: Has prohibited field Resource" in html
    assert "Statement[0].Resource" in html


def test_the_bank_browser_lists_questions_by_topic(client_) -> None:
    html = client_.get("/quiz/questions/?topic=federation").content.decode()
    assert "GitHub" in html and "Practise this question" in html
    assert "permissions boundary shown" not in html  # a guardrails question is filtered out


def test_flagging_in_an_exam_keeps_the_selection_made_before(client_) -> None:
    attempt = start(client_, mode="exam", count="2", minutes="10")
    response = client_.post(q_url(attempt, 1), {"choice": wrong(attempt, 1), "go": "flag"}, **HX)
    assert "Flagged for review" in response.content.decode()
    slot = attempt.answers.get(position=0)
    assert slot.flagged and slot.selected == wrong(attempt, 1)
    client_.post(q_url(attempt, 1), {"go": "flag"})
    assert attempt.answers.get(position=0).flagged is False


def test_an_exam_saves_a_partial_multi_select_and_scores_it_wrong(client_) -> None:
    client_.post("/quiz/start/", {"mode": "exam", "count": "1", "minutes": "5"})
    attempt = Attempt.objects.order_by("-started_at").first()
    Attempt.objects.filter(pk=attempt.pk).update(question_ids=["xacct-both-sides-multi"])
    attempt.answers.filter(position=0).update(question_id="xacct-both-sides-multi")
    first_right = sorted(get_question("xacct-both-sides-multi").correct_keys)[:1]
    response = client_.post(q_url(attempt, 1), {"choice": first_right, "go": "stay"})
    assert response.status_code == 302
    assert "You have chosen 1 of 2" in client_.get(q_url(attempt, 1)).content.decode()
    client_.post(f"/quiz/a/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert attempt.score == 0



def test_the_explanation_links_the_lab_step_that_teaches_the_question(client_) -> None:
    client_.post("/quiz/questions/guard-role-chaining-one-hour/practice/")
    attempt = Attempt.objects.order_by("-started_at").first()
    html = client_.post(q_url(attempt, 1), {"choice": ["b"]}, **HX).content.decode()
    assert 'href="/scenarios/role-chaining/second-hop/" data-quiz-teaches' in html
    assert "Task 1.1" in html


def test_the_explanation_links_a_challenge_or_nothing_when_the_lab_does_not_teach_the_topic(client_) -> None:
    client_.post("/quiz/questions/ops-revoke-leaked-session/practice/")
    attempt = Attempt.objects.order_by("-started_at").first()
    html = client_.post(q_url(attempt, 1), {"choice": ["a"]}, **HX).content.decode()
    assert 'href="/challenges/revoke-leaked-sessions/" data-quiz-teaches>Revoke a leaked role' in html
    assert "Try it in the lab (challenge)" in html
    client_.post("/quiz/questions/org-scp-deny-regions/practice/")       # no SCP page in the lab (yet)
    attempt = Attempt.objects.order_by("-started_at").first()
    html = client_.post(q_url(attempt, 1), {"choice": ["a"]}, **HX).content.decode()
    assert "Explanation" in html and "data-quiz-teaches" not in html and "data-quiz-no-lab-page" in html
