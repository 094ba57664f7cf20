"""What a class does: join, the roster the dashboard shows, follow-me, polls, class-wide controls, the export."""
from __future__ import annotations

import csv
import io
import logging
import threading
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from quiz.models import Room
from sandboxes import credentials, services as sandbox_services
from sandboxes.models import Sandbox, StepProgress
from scenarios import registry

from .models import OUTCOMES, Activity, Classroom, Poll, PollVote, SpareSandbox, Student, classify

log = logging.getLogger(__name__)

MAX_STUDENTS = 200
# "Stuck": the same refusal on the same step this many times in a row, or no run for this long.
STUCK_REPEATS = 3
STUCK_IDLE = timedelta(minutes=5)
CLASS_CLOCK_STEPS = {"5m": 300, "15m": 900, "1h": 3600, "12h": 43200}


class ClassError(Exception):
    """Something the class cannot do, with a message for the person who asked."""


def clean_nickname(raw: str) -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise ClassError("Enter a nickname.")
    if len(text) > 24:
        raise ClassError("Nicknames can be at most 24 characters.")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ClassError("Nicknames cannot contain control characters.")
    return text


def normalize_code(raw: str) -> str:
    return "".join(str(raw or "").split()).replace("-", "").upper()[:8]


def join(classroom: Classroom, nickname: str, *, session_key: str) -> Student:
    """A new student with a sandbox of their own (built now, so their first page is ready)."""
    nickname = clean_nickname(nickname)
    if not classroom.is_open:
        raise ClassError("This class has ended. Ask your instructor to reopen it.")
    active = classroom.active_students()
    if active.count() >= MAX_STUDENTS:
        raise ClassError(f"This class is full ({MAX_STUDENTS} students).")
    if active.filter(nickname__iexact=nickname).exists():
        raise ClassError("That nickname is already taken in this class; pick another.")
    sandbox = take_spare(classroom, session_key) or sandbox_services.create_sandbox(session_key=session_key)
    try:
        with transaction.atomic():
            return Student.objects.create(classroom=classroom, nickname=nickname, sandbox=sandbox)
    except IntegrityError:  # two phones asked for the same nickname at the same moment
        sandbox.delete()
        raise ClassError("That nickname is already taken in this class; pick another.") from None


def take_spare(classroom: Classroom, session_key: str) -> Sandbox | None:
    """A prepared sandbox of this class, claimed for one student (one DELETE decides between two joins)."""
    for spare in classroom.spares.select_related("sandbox")[:5]:
        if SpareSandbox.objects.filter(pk=spare.pk).delete()[0]:
            sandbox = spare.sandbox
            sandbox.owner_session_key = session_key
            sandbox.save(update_fields=["owner_session_key"])
            sandbox_services.ensure_ready(sandbox)  # rebuilt from the database if the server restarted since
            return sandbox
    return None


def sandboxes_to_prepare(classroom: Classroom) -> int:
    have = classroom.active_students().count() + classroom.spares.count()
    return max(0, min(MAX_STUDENTS, classroom.expected_students) - have) if classroom.is_open else 0


def prepare_sandboxes(classroom: Classroom) -> int:
    """Build sandboxes until the class has one per expected student (joined or spare). Returns how many it built."""
    built = 0
    while True:
        classroom.refresh_from_db(fields=["expected_students", "ended_at"])
        if sandboxes_to_prepare(classroom) <= 0:
            return built
        sandbox = sandbox_services.create_sandbox()
        SpareSandbox.objects.create(classroom=classroom, sandbox=sandbox)
        built += 1


_preparing: set[int] = set()
_preparing_lock = threading.Lock()


def prepare_in_background(classroom: Classroom) -> bool:
    """Start prepare_sandboxes in a thread of this process (the one that owns moto), unless one runs already."""
    with _preparing_lock:
        if classroom.pk in _preparing or sandboxes_to_prepare(classroom) <= 0:
            return False
        _preparing.add(classroom.pk)

    def work() -> None:
        try:
            prepare_sandboxes(Classroom.objects.get(pk=classroom.pk))
        except Exception:  # a failed build must not kill the server; joining builds on demand instead
            log.exception("preparing sandboxes for class %s stopped", classroom.code)
        finally:
            with _preparing_lock:
                _preparing.discard(classroom.pk)
            connection.close()

    threading.Thread(target=work, name=f"prepare-{classroom.code}", daemon=True).start()
    return True


def locate(path: str) -> tuple[str, str]:
    """(scenario slug, step slug) of a step page path, else blanks."""
    try:
        match = resolve(path)
    except Resolver404:
        return "", ""
    if match.view_name in ("scenarios:step", "scenarios:start"):
        return match.kwargs.get("slug", ""), match.kwargs.get("step_slug", "")
    return "", ""


def note_presence(student: Student, path: str) -> None:
    scenario, step = locate(path)
    now = timezone.now()
    changed = (scenario, step) != (student.at_scenario, student.at_step)
    # One write every few seconds per student at most: the page polls every second.
    if changed or student.last_seen is None or now - student.last_seen > timedelta(seconds=5):
        student.at_scenario, student.at_step, student.last_seen = scenario, step, now
        student.save(update_fields=["at_scenario", "at_step", "last_seen"])


def follow_target(classroom: Classroom, student: Student, path: str) -> str:
    """The URL a following student's page must move to, or "" when they are where the instructor is."""
    url = classroom.follow_url()
    if not url or not student.following or not classroom.is_open:
        return ""
    if path.startswith(reverse("quiz:live")):  # the class quiz is where the instructor sent them too
        return ""
    return "" if path == url else url


# ---- the roster --------------------------------------------------------------------------------------------------
@dataclass
class RosterRow:
    student: Student
    scenario_title: str
    step_title: str
    steps_done: int
    last: Activity | None
    idle_seconds: int
    stuck: str  # why the student looks stuck, or ""


def _title(scenario_slug: str, step_slug: str) -> tuple[str, str]:
    scenario = registry.get(scenario_slug) if scenario_slug else None
    if scenario is None:
        return "", ""
    step = scenario.step(step_slug) if step_slug else None
    return f"{scenario.number}. {scenario.title}", step.title if step else ""


def _stuck(recent: list[Activity], idle: timedelta, finished: bool) -> str:
    main = [a for a in recent if not a.variant][:STUCK_REPEATS]
    if (len(main) == STUCK_REPEATS and not any(a.succeeded for a in main)
            and len({(a.scenario, a.step, a.code) for a in main}) == 1 and main[0].code):
        return f"{main[0].code} {STUCK_REPEATS} times in a row"
    if idle > STUCK_IDLE and not finished:
        return f"no run for {int(idle.total_seconds() // 60)} min"
    return ""


def roster(classroom: Classroom) -> list[RosterRow]:
    students = list(classroom.active_students())
    sandbox_ids = [s.sandbox_id for s in students]
    done = dict(StepProgress.objects.filter(sandbox_id__in=sandbox_ids, completed_at__isnull=False)
                .values_list("sandbox_id").annotate(n=Count("id")))
    recent: dict[int, list[Activity]] = {}
    since = timezone.now() - timedelta(hours=12)
    for activity in Activity.objects.filter(student__in=students, at__gte=since).order_by("-at", "-id"):
        bucket = recent.setdefault(activity.student_id, [])
        if len(bucket) < 10:
            bucket.append(activity)
    total_steps = sum(len(listing.scenario.steps) for listing in registry.listings() if listing.scenario)
    now = timezone.now()
    rows = []
    for student in students:
        acts = recent.get(student.pk, [])
        last = acts[0] if acts else None
        idle = now - (last.at if last else student.joined_at)
        scenario_slug = student.at_scenario or (last.scenario if last else "")
        step_slug = student.at_step if student.at_scenario else (last.step if last else "")
        scenario_title, step_title = _title(scenario_slug, step_slug)
        n_done = done.get(student.sandbox_id, 0)
        rows.append(RosterRow(student, scenario_title, step_title, n_done, last, int(idle.total_seconds()),
                              _stuck(acts, idle, n_done >= total_steps)))
    return rows


def step_counts(classroom: Classroom) -> list[dict[str, Any]]:
    """Per scenario, per step: how many of the class's students have done it (scenarios someone has started)."""
    sandbox_ids = list(classroom.active_students().values_list("sandbox_id", flat=True))
    counts = {(s, st): n for s, st, n in StepProgress.objects.filter(
        sandbox_id__in=sandbox_ids, completed_at__isnull=False).values_list("scenario", "step").annotate(n=Count("id"))}
    started = set(StepProgress.objects.filter(sandbox_id__in=sandbox_ids).values_list("scenario", flat=True))
    started.add(classroom.follow_scenario)
    out = []
    for listing in registry.listings():
        scenario = listing.scenario
        if scenario is None or scenario.slug not in started:
            continue
        out.append({"scenario": scenario, "steps": [
            {"step": step, "done": counts.get((scenario.slug, step.slug), 0)} for step in scenario.steps]})
    return out


def last_exchange(student: Student) -> tuple[StepProgress | None, Any, Any]:
    """The student's most recent stored run (secrets were masked when it was stored), with its scenario and step."""
    progress = (StepProgress.objects.filter(sandbox_id=student.sandbox_id, last_result__isnull=False)
                .order_by("-updated").first())
    if progress is None:
        return None, None, None
    scenario = registry.get(progress.scenario)
    step = scenario.step(progress.step) if scenario else None
    return progress, scenario, step


# ---- polls -------------------------------------------------------------------------------------------------------
def open_poll(classroom: Classroom, scenario: str, step: str) -> Poll:
    _title_or_error(scenario, step)
    return Poll.objects.create(classroom=classroom, scenario=scenario, step=step)


def vote(poll: Poll, student: Student, choice: str) -> PollVote:
    if poll.is_revealed:
        raise ClassError("The answer has been revealed; this poll is closed.")
    if choice not in {key for key, _ in OUTCOMES}:
        raise ClassError("Choose allowed, AccessDenied or another error.")
    vote_row, _ = PollVote.objects.update_or_create(poll=poll, student=student, defaults={"choice": choice})
    return vote_row


def reveal_poll(poll: Poll, instructor_sandbox: Sandbox) -> Poll:
    """Reveal with the real answer: what the instructor's own run of that step (on the projector) returned."""
    progress = StepProgress.objects.filter(sandbox=instructor_sandbox, scenario=poll.scenario, step=poll.step).first()
    result = progress.stored_result()[0] if progress else None
    if result is None or result.variant:
        raise ClassError("Run the step first (its main Run, not a what-if): the poll is revealed next to "
                         "the answer STS really gave.")
    poll.answer, poll.answer_code = classify(result)
    poll.revealed_at = timezone.now()
    poll.save(update_fields=["answer", "answer_code", "revealed_at"])
    return poll


def _title_or_error(scenario_slug: str, step_slug: str) -> None:
    scenario = registry.get(scenario_slug)
    if scenario is None or scenario.step(step_slug) is None:
        raise ClassError("There is no such step.")


# ---- class-wide controls -----------------------------------------------------------------------------------------
def bring_everyone(classroom: Classroom, scenario: str, step: str) -> None:
    _title_or_error(scenario, step)
    if scenario in classroom.locked_scenarios:
        classroom.locked_scenarios = [s for s in classroom.locked_scenarios if s != scenario]
    classroom.follow_scenario, classroom.follow_step = scenario, step
    classroom.save(update_fields=["follow_scenario", "follow_step", "locked_scenarios"])


def release_everyone(classroom: Classroom) -> None:
    classroom.follow_scenario = classroom.follow_step = ""
    classroom.save(update_fields=["follow_scenario", "follow_step"])


def fast_forward_all(classroom: Classroom, seconds: float) -> int:
    """Move every student's sandbox clock by the same amount: their sessions expire together."""
    moved = 0
    for student in classroom.active_students().select_related("sandbox"):
        sandbox_services.advance_clock(student.sandbox, seconds)
        moved += 1
    return moved


def reset_all(classroom: Classroom) -> int:
    """Reset every student's sandbox (seed restored, sessions forgotten, clock back to now; progress kept)."""
    count = 0
    for student in classroom.active_students().select_related("sandbox"):
        sandbox_services.reset_sandbox(student.sandbox)
        count += 1
    return count


def set_locked(classroom: Classroom, scenario: str, locked: bool) -> None:
    if registry.get(scenario) is None:
        raise ClassError("There is no such scenario.")
    slugs = [s for s in classroom.locked_scenarios if s != scenario]
    if locked:
        slugs.append(scenario)
        if classroom.follow_scenario == scenario:
            classroom.follow_scenario = classroom.follow_step = ""
    classroom.locked_scenarios = slugs
    classroom.save(update_fields=["locked_scenarios", "follow_scenario", "follow_step"])


def remove_student(student: Student) -> None:
    """Off the roster; their join link stops working. Their sandbox's sessions are dropped with them."""
    student.removed_at = timezone.now()
    student.save(update_fields=["removed_at"])
    credentials.forget_all(student.sandbox_id)


def start_quiz_room(classroom: Classroom, room: Room) -> None:
    classroom.quiz_room = room
    classroom.save(update_fields=["quiz_room"])


# ---- export ------------------------------------------------------------------------------------------------------
def quiz_scores(classroom: Classroom) -> dict[str, int]:
    """Correct answers per nickname (lower-cased) in the class's live quiz room; students join it under their class
    nickname from the class bar, so the names match."""
    room = classroom.quiz_room
    if room is None:
        return {}
    rows = room.players.annotate(score=Count("answers", filter=Q(answers__correct=True))).values_list("nickname", "score")
    return {nickname.lower(): score for nickname, score in rows}


def export_csv(classroom: Classroom) -> str:
    students = list(classroom.students.all())
    polls = list(classroom.polls.all())
    votes = {(v.poll_id, v.student_id): v.choice for v in PollVote.objects.filter(poll__in=polls)}
    done = {}
    for sandbox_id, scenario, n in (StepProgress.objects.filter(sandbox_id__in=[s.sandbox_id for s in students],
                                                                completed_at__isnull=False)
                                    .values_list("sandbox_id", "scenario").annotate(n=Count("id"))):
        done.setdefault(sandbox_id, {})[scenario] = n
    scenarios = [listing.scenario for listing in registry.listings() if listing.scenario]
    scores = quiz_scores(classroom)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["nickname", "joined_at", "removed", "steps_done"]
    header += [f"scenario {s.number} steps done (of {len(s.steps)})" for s in scenarios]
    header += [f"poll {n}: {p.scenario}/{p.step} (answer: {p.answer or 'not revealed'})"
               for n, p in enumerate(polls, start=1)]
    header += [f"poll {n} correct" for n in range(1, len(polls) + 1)]
    if classroom.quiz_room is not None:
        header.append(f"quiz {classroom.quiz_room.code} score (of {len(classroom.quiz_room.question_ids)})")
    writer.writerow(header)
    for student in students:
        per = done.get(student.sandbox_id, {})
        row: list[Any] = [_csv_safe(student.nickname), student.joined_at.isoformat(timespec="seconds"),
                          "yes" if student.removed_at else "", sum(per.values())]
        row += [per.get(s.slug, 0) for s in scenarios]
        answers = [votes.get((p.pk, student.pk), "") for p in polls]
        row += answers
        row += ["" if not p.is_revealed or not a else ("yes" if a == p.answer else "no") for p, a in zip(polls, answers)]
        if classroom.quiz_room is not None:
            score = scores.get(student.nickname.lower())
            row.append("" if score is None else score)
        writer.writerow(row)
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # A nickname starting with = + - @ would be a formula in a spreadsheet (CSV injection): quote it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text

