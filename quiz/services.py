"""Attempt lifecycle: create, answer, flag, submit, score, review. Plain functions the views call."""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .bank import DOMAINS, Option, Question, get_question, load_bank, select_questions
from . import spaced
from .models import Answer, Attempt, owner_key_for

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
    for answer in attempt.answers.all():
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
