"""What exam candidates expect from a practice test (issue 27): report a question, time per question and pacing in
the review, a domain-1 preset sized as its share of the real exam, an overall readiness estimate with its method,
and the bank's scope said before they start. Each check comes with the mistake it must catch."""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from quiz import services, spaced
from quiz.bank import get_question, load_bank
from quiz.models import Answer, Attempt, QuestionReport

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _exam(client: Client, count: int = 3, minutes: int = 10) -> Attempt:
    client.post("/quiz/start/", {"mode": "exam", "count": str(count), "minutes": str(minutes)})
    return Attempt.objects.order_by("-started_at").first()


def _practice(client: Client, qid: str = "xacct-missing-external-id") -> Attempt:
    client.post(f"/quiz/questions/{qid}/practice/")
    return Attempt.objects.order_by("-started_at").first()


def _back(answer: Answer, seconds: float) -> None:
    """Pretend the question went on screen `seconds` ago (no sleeping: the clock is the row's)."""
    Answer.objects.filter(pk=answer.pk).update(viewed_at=timezone.now() - timedelta(seconds=seconds))


# ---- report this question --------------------------------------------------------------------------------------

def test_a_learner_reports_a_question_from_the_page_and_the_note_is_stored(client) -> None:
    attempt = _practice(client)
    page = client.get(f"/quiz/a/{attempt.pk}/q/1/").content.decode()
    assert "Report this question" in page and 'action="/quiz/questions/xacct-missing-external-id/report/"' in page
    r = client.post("/quiz/questions/xacct-missing-external-id/report/",
                    {"reason": "wrong-key", "note": "Option C quotes the wrong value.", "attempt": str(attempt.pk)},
                    **HX)
    assert r.status_code == 200 and "your report on this question is with the operator" in r.content.decode()
    report = QuestionReport.objects.get()
    assert (report.question_id, report.reason, report.note, report.attempt_id) == (
        "xacct-missing-external-id", "wrong-key", "Option C quotes the wrong value.", attempt.pk)
    # reporting again updates the open report instead of piling up copies
    client.post("/quiz/questions/xacct-missing-external-id/report/", {"reason": "unclear", "note": "Second look."},
                **HX)
    assert QuestionReport.objects.count() == 1 and QuestionReport.objects.get().note == "Second look."


def test_engine_made_questions_can_be_reported_too(client) -> None:
    r = client.post("/quiz/questions/gen-hard-42/report/", {"reason": "unclear", "note": ""}, **HX)
    assert r.status_code == 200 and QuestionReport.objects.get().question_id == "gen-hard-42"


@pytest.mark.parametrize("fields, status, message", [
    ({"reason": "other", "note": "   "}, 400, "Say what is wrong"),
    ({"reason": "wrong-key", "note": "x" * 1001}, 400, "at most 1000 characters"),
    ({"reason": "because", "note": "hi"}, 400, "Select a valid choice"),
    ({"note": "no reason"}, 400, "This field is required"),
], ids=["other-without-note", "oversized-note", "unknown-reason", "no-reason"])
def test_a_bad_report_is_a_400_that_keeps_the_form_open_with_the_reason(client, fields, status, message) -> None:
    r = client.post("/quiz/questions/xacct-missing-external-id/report/", fields, **HX)
    html = r.content.decode()
    assert r.status_code == status and message in html and "<details class=\"quiz-report-details\" open" in html
    assert not QuestionReport.objects.exists()


def test_reports_about_nothing_or_from_a_flood_are_refused(client) -> None:
    assert client.post("/quiz/questions/no-such-question/report/", {"reason": "typo"}).status_code == 404
    assert client.post("/quiz/questions/" + "a" * 300 + "/report/", {"reason": "typo"}).status_code == 404
    assert client.get("/quiz/questions/xacct-missing-external-id/report/").status_code == 405
    client.get("/quiz/")
    key = services.owner_key_for(None, client.session[services.SESSION_OWNER_KEY])
    QuestionReport.objects.bulk_create(QuestionReport(owner_key=key, question_id=qid, reason="typo")
                                       for qid in list(load_bank())[:QuestionReport.DAILY_LIMIT])
    r = client.post("/quiz/questions/gen-easy-1/report/", {"reason": "typo"}, **HX)
    assert r.status_code == 429 and "reports today" in r.content.decode()
    assert QuestionReport.objects.count() == QuestionReport.DAILY_LIMIT
    # another learner is not slowed down by this one's flood
    other = Client()
    assert other.post("/quiz/questions/gen-easy-1/report/", {"reason": "typo"}, **HX).status_code == 200


def test_a_plain_form_post_returns_to_the_page_only_if_it_is_on_this_site(client) -> None:
    r = client.post("/quiz/questions/trust-ec2-service-principal/report/",
                    {"reason": "typo", "next": "/quiz/questions/"})
    assert r.status_code == 302 and r["Location"] == "/quiz/questions/"
    r = client.post("/quiz/questions/trust-ec2-service-principal/report/",
                    {"reason": "typo", "next": "https://evil.example/phish"})
    assert r.status_code == 302 and r["Location"] == "/quiz/"
    r = client.post("/quiz/questions/trust-ec2-service-principal/report/", {"reason": "other"})
    assert r.status_code == 400 and "<h1>Report a question</h1>" in r.content.decode()  # a full page, not a bare form


def test_the_operator_lists_reports_with_question_and_note_and_learners_cannot(client) -> None:
    client.post("/quiz/questions/trust-ec2-service-principal/report/",
                {"reason": "wrong-key", "note": "<script>alert(1)</script> D is right"}, **HX)
    assert client.get("/quiz/reports/").status_code == 403            # a learner, not signed in
    User = get_user_model()
    learner = User.objects.create_user("learner", password="pw-learner-1")
    client.force_login(learner)
    assert client.get("/quiz/reports/").status_code == 403            # signed in, no permission
    operator = User.objects.create_user("operator", password="pw-operator-1")
    operator.user_permissions.add(Permission.objects.get(codename="view_questionreport"))
    staff = Client()
    staff.force_login(operator)
    html = staff.get("/quiz/reports/").content.decode()
    question = get_question("trust-ec2-service-principal")
    assert "data-quiz-open-reports>1<" in html and "trust-ec2-service-principal" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; D is right" in html and "<script>alert(1)" not in html
    assert "web servers on EC2 must read" in question.stem and "web servers on EC2 must read" in html
    report = QuestionReport.objects.get()
    assert "Mark as resolved" not in html                             # viewing is not resolving
    assert staff.post(f"/quiz/reports/{report.pk}/resolve/").status_code == 403
    operator.user_permissions.add(Permission.objects.get(codename="change_questionreport"))
    staff = Client()
    staff.force_login(operator)
    assert staff.post(f"/quiz/reports/{report.pk}/resolve/").status_code == 302
    report.refresh_from_db()
    assert report.resolved_at is not None
    assert "data-quiz-open-reports>0<" in staff.get("/quiz/reports/").content.decode()


# ---- time per question and pacing --------------------------------------------------------------------------------

def test_an_exam_counts_the_time_on_each_question_from_the_server_side(client) -> None:
    attempt = _exam(client)
    client.get(f"/quiz/a/{attempt.pk}/q/1/")
    first = attempt.answers.get(position=0)
    assert first.viewed_at is not None
    _back(first, 90)
    right = sorted(get_question(attempt.question_ids[0]).correct_keys)
    client.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": right, "go": "next"}, **HX)  # htmx: question 2 shown
    first.refresh_from_db()
    second = attempt.answers.get(position=1)
    assert 89 <= first.seconds_spent <= 95 and first.viewed_at is None
    assert second.viewed_at is not None                                      # the next question's visit began
    # a question left open in a forgotten tab counts at most 15 minutes
    _back(second, 3600)
    client.get(f"/quiz/a/{attempt.pk}/q/3/")
    second.refresh_from_db()
    assert second.seconds_spent == Answer.MAX_VISIT.total_seconds()
    # coming back adds a second visit to the first one
    client.get(f"/quiz/a/{attempt.pk}/q/1/")
    _back(attempt.answers.get(position=0), 30)
    client.post(f"/quiz/a/{attempt.pk}/submit/")
    first.refresh_from_db()
    assert 119 <= first.seconds_spent <= 126 and first.viewed_at is None       # submitting closes the visit


def test_time_stops_at_the_deadline_and_a_visit_is_never_counted_twice() -> None:
    attempt = Attempt.objects.create(owner_token="t" * 20, mode=Attempt.EXAM, title="x", question_ids=["a"],
                                     deadline=timezone.now() - timedelta(seconds=60))
    answer = Answer.objects.create(attempt=attempt, position=0, question_id="trust-ec2-service-principal",
                                   viewed_at=timezone.now() - timedelta(seconds=100))
    stale = Answer.objects.get(pk=answer.pk)
    services.stop_viewing(attempt, answer)
    services.stop_viewing(attempt, stale)        # a second request closing the same visit
    answer.refresh_from_db()
    assert 39 <= answer.seconds_spent <= 41       # 100 s ago to the deadline, 60 s ago: 40 s, once


def test_practice_time_ends_when_the_answer_is_in(client) -> None:
    attempt = _practice(client)
    client.get(f"/quiz/a/{attempt.pk}/q/1/")
    answer = attempt.answers.get()
    _back(answer, 45)
    client.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": sorted(get_question(answer.question_id).correct_keys)})
    answer.refresh_from_db()
    assert 44 <= answer.seconds_spent <= 50 and answer.viewed_at is None
    client.get(f"/quiz/a/{attempt.pk}/q/1/")     # reading the explanation afterwards is not counted
    answer.refresh_from_db()
    assert answer.viewed_at is None


def test_the_review_shows_time_per_question_and_pacing_against_the_exam(client) -> None:
    attempt = _exam(client, count=2)
    client.get(f"/quiz/a/{attempt.pk}/q/1/")
    _back(attempt.answers.get(position=0), 300)       # 5 minutes: slow (the exam allows 2 per question)
    client.post(f"/quiz/a/{attempt.pk}/q/1/", {"go": "next"}, **HX)
    _back(attempt.answers.get(position=1), 40)
    client.post(f"/quiz/a/{attempt.pk}/submit/")
    html = client.get(f"/quiz/a/{attempt.pk}/review/").content.decode()
    assert "data-quiz-pacing" in html and "The real exam gives 02:00 a question" in html
    assert 'data-quiz-seconds="300"' in html and 'data-quiz-seconds="40"' in html
    assert "you are slower than that pace" in html                    # 170 s on average
    assert '<a href="#review-1">1</a> (05:00)' in html                 # listed as slow
    assert 'class="is-slow"' in html and "(you were behind)" in html


# ---- the domain-1 preset -----------------------------------------------------------------------------------------

def test_the_domain_1_preset_is_20_questions_in_40_minutes_across_the_three_task_statements(client) -> None:
    r = client.post("/quiz/preset/domain-1/")
    attempt = Attempt.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/quiz/a/{attempt.pk}/q/1/"
    assert attempt.is_exam and attempt.total == 20 and attempt.time_limit_seconds == 40 * 60
    tasks = [get_question(qid).task for qid in attempt.question_ids]
    assert {t: tasks.count(t) for t in set(tasks)} == {"1.1": 8, "1.2": 6, "1.3": 6}
    assert len(set(attempt.question_ids)) == 20 and attempt.title.startswith("Domain 1 mock exam")
    assert client.post("/quiz/preset/everything/").status_code == 404
    assert client.get("/quiz/preset/domain-1/").status_code == 405


def test_the_preset_matches_domain_1_s_share_of_the_real_exam() -> None:
    preset = services.DOMAIN_1
    assert preset.count == math.ceil(65 * 0.30) == 20                 # 19.5 questions, rounded up
    assert preset.minutes == preset.count * services.EXAM_SECONDS_PER_QUESTION // 60


# ---- readiness estimate ------------------------------------------------------------------------------------------

def _rows(*triples):
    return [spaced.Readiness(task, task, 27, tried, right) for task, tried, right in triples]


def test_the_estimate_waits_for_enough_answers_in_every_task_statement() -> None:
    estimate = spaced.readiness_estimate(_rows(("1.1", 40, 40), ("1.2", 4, 4), ("1.3", 9, 9)))
    assert not estimate.enough and estimate.missing == ("1.2",) and estimate.verdict == "not enough answers yet"


def test_the_estimate_averages_the_tasks_and_says_how_sure_it_is() -> None:
    strong = spaced.readiness_estimate(_rows(("1.1", 30, 29), ("1.2", 25, 24), ("1.3", 25, 24)))
    assert strong.enough and strong.verdict == "above the bar" and strong.low >= 72 and strong.high <= 100
    weak = spaced.readiness_estimate(_rows(("1.1", 30, 12), ("1.2", 25, 10), ("1.3", 25, 9)))
    assert weak.verdict == "below the bar" and weak.high < 72
    # one strong task cannot carry the other two: each counts a third
    lopsided = spaced.readiness_estimate(_rows(("1.1", 60, 60), ("1.2", 5, 1), ("1.3", 5, 1)))
    assert lopsided.percent < 72
    few = spaced.readiness_estimate(_rows(("1.1", 5, 4), ("1.2", 5, 4), ("1.3", 5, 4)))
    assert few.verdict == "around the bar" and few.high - few.low > 20   # five answers each: a wide interval


def test_the_progress_page_shows_the_estimate_and_its_method(client) -> None:
    html = client.get("/quiz/progress/").content.decode()
    assert "data-quiz-estimate" in html and "Not enough answers yet" in html
    assert "Agresti and Coull" in html and "each counting a third" in html and "720" in html


# ---- what the bank covers, said before starting ------------------------------------------------------------------

def test_the_quiz_home_says_it_covers_domain_1_only_before_the_start_form(client) -> None:
    html = client.get("/quiz/").content.decode()
    scope = html.index("data-quiz-scope")
    assert scope < html.index('action="/quiz/start/"')
    assert "30 % of the SAA-C03 exam" in html and "not in this bank" in html and "720 passes" in html
    assert 'action="/quiz/preset/domain-1/"' in html


def test_a_visitor_who_drops_their_cookie_still_meets_a_limit_per_address(monkeypatch) -> None:
    assert services.REPORTS_PER_ADDRESS_HOUR == 200    # the default: a class behind one address reports freely
    monkeypatch.setattr(services, "REPORTS_PER_ADDRESS_HOUR", 3)   # three, to reach it in a few posts
    statuses = [Client().post("/quiz/questions/gen-easy-7/report/", {"reason": "typo"}, **HX).status_code
                for _ in range(5)]           # a fresh browser (new learner key) each time, one address
    assert statuses == [200, 200, 200, 429, 429]
    assert QuestionReport.objects.count() == 3
    assert Client(REMOTE_ADDR="198.51.100.9").post("/quiz/questions/gen-easy-7/report/", {"reason": "typo"},
                                                   **HX).status_code == 200   # another network is not affected
