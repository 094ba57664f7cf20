"""Spaced review: missed and flagged questions come back on the schedule FSRS computes (the `fsrs` package; no
scheduler of our own), readiness per SAA task statement, the question of the day, and progress over time.

Every graded answer passes through record_answer_review(): practice answers when they are checked, exam answers
when the exam is submitted (an unanswered exam question counts as missed).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from .bank import TASKS, Question, get_question, load_bank
from .models import Answer, Attempt, ReviewCard, owner_key_for

# Fuzzing off: the same answers give the same schedule (tests and learners can reason about it).
SCHEDULER = Scheduler(desired_retention=0.9, enable_fuzzing=False)


def rating_for(correct: bool, flagged: bool) -> Rating:
    if not correct:
        return Rating.Again
    return Rating.Hard if flagged else Rating.Good


@transaction.atomic
def review(owner_key: str, user, question_id: str, *, correct: bool, flagged: bool = False,
           when: datetime | None = None) -> ReviewCard | None:
    """Schedule one answer. A right, unflagged answer to a question with no card makes none."""
    when = when or timezone.now()
    card = ReviewCard.objects.select_for_update().filter(owner_key=owner_key, question_id=question_id).first()
    if card is None:
        if correct and not flagged:
            return None
        card = ReviewCard(owner_key=owner_key, user=user if getattr(user, "is_authenticated", False) else None,
                          question_id=question_id, due=when)
        fsrs_card = Card(due=when)
    else:
        fsrs_card = Card.from_dict(card.fsrs_card)
    fsrs_card, _log = SCHEDULER.review_card(fsrs_card, rating_for(correct, flagged), review_datetime=when)
    card.fsrs_card = fsrs_card.to_dict()
    card.due = fsrs_card.due
    card.flagged = card.flagged or flagged
    card.reviews += 1
    card.lapses += not correct
    card.last_correct = correct
    card.last_reviewed_at = when
    card.save()
    return card


def record_answer_review(attempt: Attempt, answer: Answer) -> ReviewCard | None:
    return review(owner_key_for(attempt.user, attempt.owner_token), attempt.user, answer.question_id,
                  correct=bool(answer.correct), flagged=answer.flagged, when=answer.answered_at or timezone.now())


def due_cards(key: str, now: datetime | None = None) -> list[ReviewCard]:
    """Cards due by the end of today (the learner's day in the server's time zone)."""
    now = now or timezone.now()
    end_of_day = timezone.make_aware(datetime.combine(timezone.localdate(now), time.max))
    return [c for c in ReviewCard.objects.filter(owner_key=key, due__lte=end_of_day) if get_question(c.question_id)]


def question_of_the_day(day: date | None = None) -> Question:
    """The same question for everyone on a given day, from the written bank."""
    day = day or timezone.localdate()
    bank = list(load_bank().values())
    digest = hashlib.sha256(day.isoformat().encode()).digest()
    return bank[int.from_bytes(digest[:4], "big") % len(bank)]


@dataclass
class Readiness:
    task: str
    label: str
    bank_total: int
    tried: int
    right_last: int

    @property
    def percent(self) -> int:
        """Share of the task's written questions whose latest answer was right: coverage and accuracy in one."""
        return round(100 * self.right_last / self.bank_total) if self.bank_total else 0


# The estimate's method, shown to the learner beside it (templates/quiz/progress.html).
PASS_BAR = 0.72          # AWS's pass mark is 720 on a scaled 100-1000 score; 72 % of answers is the lab's proxy
MIN_PER_TASK = 5         # answers per task statement before an estimate is shown
Z95 = 1.96


@dataclass
class Estimate:
    """Domain-1 readiness in one number, with how sure it is.

    Method: for each task statement, the share of its written questions right at the latest try, adjusted as
    Agresti and Coull do for small samples ((right + 2) / (tried + 4)); the estimate is the mean of the three
    (each task counts a third: AWS publishes no weights within the domain); its 95 % interval combines the three
    tasks' binomial variances. Shown only once every task has MIN_PER_TASK answers."""
    enough: bool
    percent: int = 0
    low: int = 0
    high: int = 0
    missing: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        if not self.enough:
            return "not enough answers yet"
        bar = round(100 * PASS_BAR)
        if self.low >= bar:
            return "above the bar"
        if self.high < bar:
            return "below the bar"
        return "around the bar"


def readiness_estimate(rows: list[Readiness]) -> Estimate:
    missing = tuple(r.task for r in rows if r.tried < MIN_PER_TASK)
    if missing or not rows:
        return Estimate(False, missing=missing)
    adjusted = [((r.right_last + 2) / (r.tried + 4), r.tried + 4) for r in rows]
    mean = sum(p for p, _ in adjusted) / len(adjusted)
    spread = Z95 * (sum(p * (1 - p) / n for p, n in adjusted) ** 0.5) / len(adjusted)
    return Estimate(True, round(100 * mean), max(0, round(100 * (mean - spread))),
                    min(100, round(100 * (mean + spread))))


def _answers_for(attempts) -> list[Answer]:
    return list(Answer.objects.filter(attempt__in=attempts, answered_at__isnull=False,
                                      attempt__submitted_at__isnull=False)
                .select_related("attempt").order_by("answered_at"))


def readiness(attempts) -> list[Readiness]:
    latest: dict[str, bool] = {}
    for a in _answers_for(attempts):
        latest[a.question_id] = bool(a.correct)
    rows = []
    bank = load_bank()
    for task, label in TASKS.items():
        ids = [q.id for q in bank.values() if q.task == task]
        tried = [qid for qid in ids if qid in latest]
        rows.append(Readiness(task, label, len(ids), len(tried), sum(latest[qid] for qid in tried)))
    return rows


def progress_series(attempts) -> dict[str, list[tuple[date, int]]]:
    """Per task statement: (day, readiness % at the end of that day), for each day with answers."""
    bank = load_bank()
    totals = {task: sum(1 for q in bank.values() if q.task == task) for task in TASKS}
    latest: dict[str, bool] = {}
    series: dict[str, list[tuple[date, int]]] = {task: [] for task in TASKS}
    answers = _answers_for(attempts)
    for index, a in enumerate(answers):
        if a.question_id in bank:
            latest[a.question_id] = bool(a.correct)
        day = timezone.localdate(a.answered_at)
        last_of_day = index + 1 == len(answers) or timezone.localdate(answers[index + 1].answered_at) != day
        if not last_of_day:
            continue
        for task in TASKS:
            right = sum(1 for qid, ok in latest.items() if ok and bank[qid].task == task)
            if totals[task]:
                series[task].append((day, round(100 * right / totals[task])))
    return series


COLORS = {"1.1": "#0b57d0", "1.2": "#a1150c", "1.3": "#116329"}


def progress_svg(series: dict[str, list[tuple[date, int]]], *, width: int = 640, height: int = 260) -> str:
    """A line chart (readiness % over days, one line per task statement) as inline SVG, drawn on the server."""
    from django.utils.html import escape

    days = sorted({d for points in series.values() for d, _ in points})
    left, right, top, bottom = 44, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="progress-title" class="quiz-progress-chart">',
             '<title id="progress-title">Readiness per task statement over time</title>']
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c9d1da"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#4d5560">{pct}%</text>')
    if not days:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="14" fill="#4d5560">'
                     'No answers yet: take a quiz to see your progress.</text></svg>')
        return "".join(parts)
    span = max(1, (days[-1] - days[0]).days)

    def x_of(day: date) -> float:
        return left + (plot_w * (day - days[0]).days / span if len(days) > 1 else plot_w / 2)

    for day in (days[0], days[-1]) if len(days) > 1 else (days[0],):
        parts.append(f'<text x="{x_of(day):.1f}" y="{height - 18}" text-anchor="middle" font-size="11" '
                     f'fill="#4d5560">{day:%b %d}</text>')
    for n, (task, points) in enumerate(series.items()):
        if not points:
            continue
        coords = " ".join(f"{x_of(d):.1f},{top + plot_h * (1 - p / 100):.1f}" for d, p in points)
        color = COLORS.get(task, "#1b1f24")
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{coords}" '
                     f'data-task="{escape(task)}"/>')
        for d, p in points:
            parts.append(f'<circle cx="{x_of(d):.1f}" cy="{top + plot_h * (1 - p / 100):.1f}" r="3.5" '
                         f'fill="{color}"><title>Task {escape(task)}, {d:%b %d}: {p}%</title></circle>')
        parts.append(f'<text x="{left + 8 + n * 110}" y="{height - 4}" font-size="12" fill="{color}">'
                     f'■ Task {escape(task)}</text>')
    parts.append("</svg>")
    return "".join(parts)
