"""Attempt lifecycle: create, answer, flag, submit, score, review. Plain functions the views call."""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from securecart.throttle import count_in_window

from .bank import DOMAINS, Option, Question, get_question, load_bank, select_questions
from . import spaced
from .models import Answer, Attempt, QuestionReport, owner_key_for

SESSION_OWNER_KEY = "quiz_owner"
EXAM_MIN_QUESTIONS, EXAM_MAX_QUESTIONS = 1, 65      # the real SAA-C03 exam has 65 questions in 130 minutes
EXAM_MIN_MINUTES, EXAM_MAX_MINUTES = 1, 180
# An answer posted this long after the deadline still counts: the countdown submits at zero, and the last
# click may be in flight.
DEADLINE_GRACE = timedelta(seconds=5)
# An exam submitted this close to its deadline (or later) is marked timed out. The countdown fires at 00:00 on the
# learner's clock, which can run a little ahead of the server's, so "at the deadline" needs a margin. The lab's
# choice; the real exam simply ends.
TIMEOUT_MARGIN = timedelta(seconds=2)
# The real exam's pace: 130 minutes for 65 questions (SAA-C03 exam guide and AWS's exam page), 2 minutes each.
EXAM_SECONDS_PER_QUESTION = 120


@dataclass(frozen=True)
class Preset:
    """A ready-made exam. DOMAIN_1 is domain 1's share of the real exam (30 % of 65 questions in 130 minutes is
    19.5 questions in 39 minutes: 20 in 40). AWS publishes no weights per task statement; the lab's choice splits
    the 20 as 8 / 6 / 6 across tasks 1.1 / 1.2 / 1.3."""
    slug: str
    title: str
    minutes: int
    per_task: tuple[tuple[str, int], ...]

    @property
    def count(self) -> int:
        return sum(n for _, n in self.per_task)


DOMAIN_1 = Preset("domain-1", "Domain 1 mock exam: 20 questions in 40 minutes", 40,
                  (("1.1", 8), ("1.2", 6), ("1.3", 6)))
PRESETS = {DOMAIN_1.slug: DOMAIN_1}


class QuizError(ValueError):
    """Bad input from the learner; the message is shown as is."""


def owner_token(request: HttpRequest) -> str:
    """The random token that ties attempts to this browser (kept in the Django session)."""
    token = request.session.get(SESSION_OWNER_KEY)
    if not isinstance(token, str) or len(token) < 16:
        token = secrets.token_urlsafe(24)
        request.session[SESSION_OWNER_KEY] = token
    return token


def attempts_for(request: HttpRequest):
    token = request.session.get(SESSION_OWNER_KEY)
    qs = Attempt.objects.none()
    if isinstance(token, str) and token:
        qs = Attempt.objects.filter(owner_token=token)
    if request.user.is_authenticated:
        qs = qs | Attempt.objects.filter(user=request.user)
    return qs


def get_attempt(request: HttpRequest, attempt_id) -> Attempt | None:
    """The attempt if it belongs to this browser or signed-in user; None otherwise (the view answers 404)."""
    return attempts_for(request).filter(pk=attempt_id).first()


def pick_question_ids(*, count: int, domains: Iterable[str] = (), difficulties: Iterable[str] = (),
                      rng: random.Random | None = None) -> list[str]:
    pool = [q.id for q in select_questions(domains=domains, difficulties=difficulties)]
    if not pool:
        raise QuizError("No questions match those filters. Choose more topics or difficulties.")
    if count > len(pool):  # never start a shorter quiz than was asked for without saying so
        raise QuizError(f"Only {len(pool)} question{'s' if len(pool) != 1 else ''} match those filters, and you "
                        f"asked for {count}. Ask for {len(pool)} or fewer, or tick more topics or difficulties.")
    rng = rng or random.Random()
    rng.shuffle(pool)
    return pool[:count]


def preset_question_ids(preset: Preset, rng: random.Random | None = None) -> list[str]:
    """The preset's questions: its share of each task statement, drawn at random from the written bank, shuffled."""
    rng = rng or random.Random()
    bank = list(load_bank().values())
    ids: list[str] = []
    for task, count in preset.per_task:
        pool = [q.id for q in bank if q.task == task]
        ids += rng.sample(pool, count)
    rng.shuffle(ids)
    return ids


@transaction.atomic
def create_attempt(request: HttpRequest, *, mode: str, question_ids: list[str], minutes: int | None = None,
                   title: str = "", retry_of: Attempt | None = None) -> Attempt:
    unknown = [qid for qid in question_ids if get_question(qid) is None]
    if unknown:
        raise QuizError(f"Unknown question id: {unknown[0][:64]}")
    if not question_ids:
        raise QuizError("An attempt needs at least one question.")
    now = timezone.now()
    attempt = Attempt.objects.create(
        owner_token=owner_token(request),
        user=request.user if request.user.is_authenticated else None,
        mode=mode,
        title=title or ("Timed exam" if mode == Attempt.EXAM else "Practice"),
        question_ids=list(question_ids),
        time_limit_seconds=minutes * 60 if minutes else None,
        started_at=now,
        deadline=now + timedelta(minutes=minutes) if minutes else None,
        retry_of=retry_of,
    )
    Answer.objects.bulk_create(
        Answer(attempt=attempt, position=i, question_id=qid) for i, qid in enumerate(question_ids))
    return attempt


def display_options(question: Question, seed: str) -> list[tuple[str, Option]]:
    """Options in the order this attempt shows them, with the letter shown (A, B, ...).

    Shuffled per attempt so the right answer's position teaches nothing; verdict questions ("Allowed / explicit
    deny / implicit deny") keep their natural order.
    """
    options = list(question.options)
    if question.style != "will-it-be-allowed":
        random.Random(f"{seed}:{question.id}").shuffle(options)
    return [("ABCDEF"[i], opt) for i, opt in enumerate(options)]


def letters_for(question: Question, seed: str, keys: Iterable[str]) -> str:
    mapping = {opt.key: letter for letter, opt in display_options(question, seed)}
    return ", ".join(sorted(mapping[k] for k in keys if k in mapping)) or "—"


def expire_if_due(attempt: Attempt) -> bool:
    """Submit an exam whose time ran out. Returns True if this call submitted it."""
    if attempt.is_exam and not attempt.is_submitted and attempt.deadline and \
            timezone.now() >= attempt.deadline + DEADLINE_GRACE:
        submit_attempt(attempt, timed_out=True)
        return True
    return False


def retry_title(original: Attempt) -> str:
    """ "Missed questions (retry 2): Timed exam", not "Retry of Retry of Timed exam"."""
    root, depth = original, 1
    while root.retry_of is not None and depth < 50:
        root, depth = root.retry_of, depth + 1
    return f"Missed questions (retry {depth}): {root.title}"[:120]


def slot(attempt: Attempt, number: int) -> Answer | None:
    """The answer slot for 1-based question `number`, or None if out of range."""
    if not 1 <= number <= attempt.total:
        return None
    return attempt.answers.filter(position=number - 1).first()


@transaction.atomic
def record_answer(attempt: Attempt, answer: Answer, values: list[str]) -> Answer:
    """Save a selection. Practice: graded and locked at once. Exam: may change until submitted."""
    question = get_question(answer.question_id)
    if question is None:  # the bank lost a question an old attempt still refers to
        raise QuizError("This question is no longer in the bank.")
    if attempt.is_submitted:
        raise QuizError("This attempt has been submitted; answers can no longer change.")
    if attempt.deadline and timezone.now() >= attempt.deadline + DEADLINE_GRACE:
        raise QuizError("Time is up; this answer arrived after the exam ended.")
    if attempt.mode == Attempt.PRACTICE and answer.is_answered:
        raise QuizError("You already answered this question.")
    selected = question.clean_selection(values, partial=attempt.is_exam)
    answer.selected = selected
    answer.correct = question.is_correct(selected)
    answer.answered_at = timezone.now()
    answer.save(update_fields=["selected", "correct", "answered_at"])
    if attempt.mode == Attempt.PRACTICE:  # the answer is in: reading the explanation is not answering time
        stop_viewing(attempt, answer)
    if attempt.mode == Attempt.PRACTICE:  # graded now; an exam's answers are scheduled when it is submitted
        spaced.record_answer_review(attempt, answer)
    if attempt.mode == Attempt.PRACTICE and not attempt.answers.filter(selected=[]).exists():
        submit_attempt(attempt)
    return answer


@transaction.atomic
def submit_attempt(attempt: Attempt, *, timed_out: bool = False) -> Attempt:
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.is_submitted:
        return attempt
    score = 0
    now = timezone.now()
    for answer in attempt.answers.all():
        if answer.viewed_at is not None:
            stop_viewing(attempt, answer, now)
            answer.refresh_from_db(fields=["seconds_spent", "viewed_at"])
        question = get_question(answer.question_id)
        correct = bool(question and answer.selected and question.is_correct(answer.selected))
        if answer.correct != correct:
            answer.correct = correct
            answer.save(update_fields=["correct"])
        if attempt.is_exam and question is not None:
            spaced.record_answer_review(attempt, answer)  # missed and flagged questions enter spaced review
        score += correct
    attempt.score = score
    attempt.submitted_at = timezone.now()
    attempt.timed_out = timed_out or bool(
        attempt.deadline and attempt.submitted_at >= attempt.deadline - TIMEOUT_MARGIN)
    attempt.save(update_fields=["score", "submitted_at", "timed_out"])
    return attempt


# ---- time per question ----------------------------------------------------------------------------------------

def stop_viewing(attempt: Attempt, answer: Answer, now=None) -> None:
    """Add the visit in progress to the question's time. A conditional update, so two requests closing the same
    visit (a double click, a timeout racing a save) count it once."""
    if answer.viewed_at is None:
        return
    now = now or timezone.now()
    seconds = answer.visit_seconds(now, attempt.deadline)
    Answer.objects.filter(pk=answer.pk, viewed_at=answer.viewed_at).update(
        seconds_spent=models.F("seconds_spent") + seconds, viewed_at=None)
    answer.viewed_at = None


def start_viewing(attempt: Attempt, answer: Answer, now=None) -> None:
    """The question is on screen now: close the visit of any other question of this attempt, then open this one
    (a reload keeps the visit already open). Submitted attempts, and answered practice questions (the time to
    answer is over), are not timed."""
    if attempt.is_submitted:
        return
    now = now or timezone.now()
    for other in attempt.answers.filter(viewed_at__isnull=False).exclude(pk=answer.pk):
        stop_viewing(attempt, other, now)
    if answer.viewed_at is None and not (attempt.mode == Attempt.PRACTICE and answer.is_answered):
        Answer.objects.filter(pk=answer.pk, viewed_at__isnull=True).update(viewed_at=now)
        answer.viewed_at = now


@dataclass
class QuestionTime:
    number: int
    seconds: float
    cumulative: float
    on_pace_by: float      # the real exam's pace: 2 minutes per question so far

    @property
    def slow(self) -> bool:
        """Twice the exam's pace or more on this one question."""
        return self.seconds >= 2 * EXAM_SECONDS_PER_QUESTION

    @property
    def behind(self) -> bool:
        return self.cumulative > self.on_pace_by


@dataclass
class Pacing:
    rows: list[QuestionTime]
    total_seconds: float
    limit_seconds: int | None

    @property
    def average(self) -> float:
        return self.total_seconds / len(self.rows) if self.rows else 0.0

    @property
    def slowest(self) -> list[QuestionTime]:
        return sorted((r for r in self.rows if r.slow), key=lambda r: -r.seconds)[:5]

    @property
    def on_pace(self) -> bool:
        return self.average <= EXAM_SECONDS_PER_QUESTION


def pacing(attempt: Attempt) -> Pacing:
    """Time per question, and the running total against the real exam's 2 minutes a question."""
    rows, total = [], 0.0
    for answer in attempt.answers.all():
        total += answer.seconds_spent
        rows.append(QuestionTime(answer.position + 1, answer.seconds_spent, total,
                                 EXAM_SECONDS_PER_QUESTION * (answer.position + 1)))
    return Pacing(rows, total, attempt.time_limit_seconds)


# ---- reports ---------------------------------------------------------------------------------------------------

REPORTS_PER_ADDRESS_HOUR = 200


class TooManyReports(QuizError):
    """More reports from one learner in a day than QuestionReport.DAILY_LIMIT."""


def report_question(request: HttpRequest, question: Question, *, reason: str, note: str,
                    attempt: Attempt | None = None) -> QuestionReport:
    """Store a learner's report. Reporting the same question again updates the open report instead of adding
    one, and a learner may file at most QuestionReport.DAILY_LIMIT reports a day."""
    key = review_key(request)
    # Per address too: a visitor who drops their cookie gets a new learner key, not a new allowance. A class behind
    # one NAT address stays far below it (the lab's choice of number).
    count, _ = count_in_window("quiz-report", request.META.get("REMOTE_ADDR", ""), 3600)
    if count > REPORTS_PER_ADDRESS_HOUR:
        raise TooManyReports("Too many reports from this network in the last hour; please try again later.")
    since = timezone.now() - timedelta(days=1)
    existing = QuestionReport.objects.filter(owner_key=key, question_id=question.id, resolved_at__isnull=True).first()
    if existing is None and QuestionReport.objects.filter(owner_key=key, created_at__gte=since).count() \
            >= QuestionReport.DAILY_LIMIT:
        raise TooManyReports(f"You have sent {QuestionReport.DAILY_LIMIT} reports today; thank you. Please try "
                             "again tomorrow.")
    report = existing or QuestionReport(owner_key=key, question_id=question.id)
    report.reason, report.note = reason, note
    report.user = request.user if request.user.is_authenticated else None
    report.attempt = attempt if attempt is not None else report.attempt
    report.created_at = timezone.now()
    report.save()
    return report


@dataclass
class DomainScore:
    domain: str
    label: str
    correct: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def breakdown(attempt: Attempt) -> list[DomainScore]:
    scores: dict[str, DomainScore] = {}
    for answer in attempt.answers.all():
        question = get_question(answer.question_id)
        if question is None:
            continue
        entry = scores.setdefault(question.domain, DomainScore(question.domain, DOMAINS[question.domain], 0, 0))
        entry.total += 1
        entry.correct += bool(answer.correct)
    order = list(DOMAINS)
    return sorted(scores.values(), key=lambda s: order.index(s.domain))


def wrong_question_ids(attempt: Attempt) -> list[str]:
    return [a.question_id for a in attempt.answers.all() if not a.correct and get_question(a.question_id)]


def bank_summary() -> list[tuple[str, str, int]]:
    counts: dict[str, int] = {}
    for q in load_bank().values():
        counts[q.domain] = counts.get(q.domain, 0) + 1
    return [(slug, label, counts.get(slug, 0)) for slug, label in DOMAINS.items()]


def review_key(request: HttpRequest) -> str:
    """Whose spaced-review deck this request sees (the signed-in user's, else this browser's)."""
    return owner_key_for(request.user, owner_token(request))
