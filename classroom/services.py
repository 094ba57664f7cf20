"""What a class does: join, the roster the dashboard shows, follow-me, polls, class-wide controls, the export."""
from __future__ import annotations

import csv
import io
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from gateway.control.wire import LabControlError
from quiz.models import Player, Room, RoomError
from sandboxes import credentials, services as sandbox_services, shards
from sandboxes.models import Sandbox, SandboxBusy, StepProgress
from scenarios import registry
from securecart.exports import csv_safe
from securecart.joining import NICKNAME_MAX, NicknameError, clean_nickname, nickname_taken

from .models import OUTCOMES, Activity, Classroom, Poll, PollVote, SpareSandbox, Student, classify

log = logging.getLogger(__name__)

MAX_STUDENTS = 200
# "Stuck": the same refusal on the same step this many times in a row, or no run for this long.
STUCK_REPEATS = 3
STUCK_IDLE = timedelta(minutes=5)
# "Online": the student's page polled the class bar (every second) this recently.
ONLINE_WITHIN = timedelta(seconds=20)
CLASS_CLOCK_STEPS = {"5m": 300, "15m": 900, "1h": 3600, "12h": 43200}


class ClassError(Exception):
    """Something the class cannot do, with a message for the person who asked."""


def join(classroom: Classroom, nickname: str, *, session_key: str) -> Student:
    """A new student with a sandbox of their own (built now, so their first page is ready). The nickname follows
    the rules live quiz rooms use (securecart.joining): normalised, and refused when it looks like a classmate's."""
    try:
        nickname = clean_nickname(nickname)
    except NicknameError as error:
        raise ClassError(str(error)) from None
    if not classroom.is_open:
        raise ClassError("This class has ended. Ask your instructor to reopen it.")
    _check_nickname(classroom, nickname)
    sandbox = take_spare(classroom, session_key) or sandbox_services.create_sandbox(session_key=session_key)
    try:
        with transaction.atomic():
            # One join at a time per class (the row lock), so two phones cannot slip in look-alike names at once;
            # the sandbox is built outside the lock, and given back if the name was taken meanwhile.
            Classroom.objects.select_for_update().filter(pk=classroom.pk).exists()
            _check_nickname(classroom, nickname)
            return Student.objects.create(classroom=classroom, nickname=nickname, sandbox=sandbox)
    except (ClassError, IntegrityError) as error:
        sandbox.delete()
        if isinstance(error, ClassError):
            raise
        raise ClassError("That nickname is already taken in this class; pick another.") from None


def _check_nickname(classroom: Classroom, nickname: str) -> None:
    names = list(classroom.active_students().values_list("nickname", flat=True))
    if len(names) >= MAX_STUDENTS:
        raise ClassError(f"This class is full ({MAX_STUDENTS} students).")
    taken = nickname_taken(nickname, names, "this class")
    if taken is not None:
        raise ClassError(taken)


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
    last: "Run | None"
    idle_seconds: int
    stuck: str  # why the student looks stuck, or ""
    stuck_kind: str = ""  # "refusal" (the same refusal again and again) or "idle" (no run for a while)
    online: bool = False  # their page asked for the class bar within ONLINE_WITHIN

    @property
    def where(self) -> str:
        if self.step_title:
            return f"{self.scenario_title} › {self.step_title}"
        return self.scenario_title


@dataclass
class RosterSummary:
    """The line above a roster of 40: how many are where, and who needs the instructor."""
    students: int
    online: int
    stuck: int       # the same refusal STUCK_REPEATS times in a row
    idle: int        # no run for STUCK_IDLE
    exploring: int   # not following the instructor
    hands: int       # raised hands waiting
    places: list[tuple[str, int]]  # (where, how many students are there), most first


# How the roster can be sorted: a query value -> its label (the first is the default: who needs help first).
ROSTER_SORTS = {"stuck": "Who needs help first", "idle": "Longest idle first", "progress": "Fewest steps done first",
                "name": "Name"}


def _title(scenario_slug: str, step_slug: str) -> tuple[str, str]:
    scenario = registry.get(scenario_slug) if scenario_slug else None
    if scenario is None:
        return "", ""
    step = scenario.step(step_slug) if step_slug else None
    return f"{scenario.number}. {scenario.title}", step.title if step else ""


def step_title(scenario_slug: str, step_slug: str) -> str:
    """"1. Assume the audit role": a step as the class sees it named (the slugs when it no longer exists)."""
    scenario = registry.get(scenario_slug)
    step = scenario.step(step_slug) if scenario else None
    return f"{scenario.number}. {step.title}" if scenario and step else f"{scenario_slug}/{step_slug}"


def _stuck(recent: list["Run"], idle: timedelta, finished: bool) -> tuple[str, str]:
    """(why the student looks stuck, "refusal" or "idle"), or ("", "")."""
    main = [a for a in recent if not a.variant][:STUCK_REPEATS]
    if (len(main) == STUCK_REPEATS and not any(a.succeeded for a in main)
            and len({(a.scenario, a.step, a.code) for a in main}) == 1 and main[0].code):
        return f"{main[0].code} {STUCK_REPEATS} times in a row", "refusal"
    if idle > STUCK_IDLE and not finished:
        return f"no run for {int(idle.total_seconds() // 60)} min", "idle"
    return "", ""


def roster(classroom: Classroom, sort: str = "stuck") -> list[RosterRow]:
    students = list(classroom.active_students())
    sandbox_ids = [s.sandbox_id for s in students]
    done = dict(StepProgress.objects.filter(sandbox_id__in=sandbox_ids, completed_at__isnull=False)
                .values_list("sandbox_id").annotate(n=Count("id")))
    recent = recent_runs(students)
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
        why, kind = _stuck(acts, idle, n_done >= total_steps)
        online = student.last_seen is not None and now - student.last_seen <= ONLINE_WITHIN
        rows.append(RosterRow(student, scenario_title, step_title, n_done, last, int(idle.total_seconds()), why,
                              kind, online))
    return sort_roster(rows, sort)


@dataclass(frozen=True)
class Run:
    """One of a student's recent runs, as the roster reads it (an Activity's fields, without the model)."""
    student_id: int
    scenario: str
    step: str
    variant: str
    outcome: str
    code: str
    succeeded: bool
    at: Any


RECENT_RUNS = 10   # per student: the last run, and the main runs that say whether they are stuck


def recent_runs(students: list[Student]) -> dict[int, list[Run]]:
    """Each student's last RECENT_RUNS runs of the last 12 hours, newest first. The database keeps only those (a
    window function per student), so a class's two-hour history is not read every 2 s: 100 students with hundreds
    of runs each would be tens of thousands of rows per poll."""
    since = timezone.now() - timedelta(hours=12)
    newest_first = Window(RowNumber(), partition_by=[F("student_id")], order_by=[F("at").desc(), F("id").desc()])
    rows = (Activity.objects.filter(student__in=students, at__gte=since).annotate(nth=newest_first)
            .filter(nth__lte=RECENT_RUNS).order_by("student_id", "nth")
            .values_list("student_id", "scenario", "step", "variant", "outcome", "code", "succeeded", "at"))
    recent: dict[int, list[Run]] = {}
    for row in rows:
        recent.setdefault(row[0], []).append(Run(*row))
    return recent


def sort_roster(rows: list[RosterRow], sort: str) -> list[RosterRow]:
    by_name = sorted(rows, key=lambda r: r.student.nickname.casefold())
    if sort == "name":
        return by_name
    if sort == "idle":
        return sorted(by_name, key=lambda r: -r.idle_seconds)
    if sort == "progress":
        return sorted(by_name, key=lambda r: r.steps_done)
    # Who needs help first: a repeated refusal, then idle (longest first), then everyone else by name.
    order = {"refusal": 0, "idle": 1, "": 2}
    return sorted(by_name, key=lambda r: (order[r.stuck_kind], -r.idle_seconds if r.stuck_kind else 0))


def summarize(rows: list[RosterRow]) -> RosterSummary:
    places: dict[str, int] = {}
    for row in rows:
        places[row.where or "not on a step"] = places.get(row.where or "not on a step", 0) + 1
    return RosterSummary(
        students=len(rows), online=sum(r.online for r in rows),
        stuck=sum(r.stuck_kind == "refusal" for r in rows), idle=sum(r.stuck_kind == "idle" for r in rows),
        exploring=sum(not r.student.following for r in rows),
        hands=sum(r.student.hand_raised_at is not None for r in rows),
        places=sorted(places.items(), key=lambda item: (-item[1], item[0])))


def raised_hands(rows: Iterable[RosterRow]) -> list[RosterRow]:
    """The raised-hand queue: students who pressed "I'm stuck", the longest waiting first, with where they are."""
    return sorted((r for r in rows if r.student.hand_raised_at is not None), key=lambda r: r.student.hand_raised_at)


def raise_hand(student: Student, raised: bool) -> None:
    """A student's "I'm stuck" (or lowering it again); the instructor lowers it from the queue too. Raising it
    again keeps the student's place in the queue."""
    if raised and student.hand_raised_at is None:
        student.hand_raised_at = timezone.now()
    elif not raised:
        student.hand_raised_at = None
    student.save(update_fields=["hand_raised_at"])


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
    """Reveal with the real answer: what the instructor's own main Run of that step (on the projector) returned,
    made after the poll opened (an earlier run, maybe from another class or before a policy edit, is no answer to
    this poll)."""
    progress = StepProgress.objects.filter(sandbox=instructor_sandbox, scenario=poll.scenario, step=poll.step,
                                           updated__gte=poll.opened_at).first()
    result = progress.stored_result()[0] if progress else None
    if result is None or result.variant:
        raise ClassError("Run the step first (its main Run, not a what-if), now that the poll is open: the poll is "
                         "revealed next to the answer STS really gave.")
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


def end_class(classroom: Classroom) -> None:
    """Nobody new joins; students keep their sandboxes and explore freely (follow-me ends with the class)."""
    classroom.ended_at = timezone.now()
    classroom.follow_scenario = classroom.follow_step = ""
    classroom.save(update_fields=["ended_at", "follow_scenario", "follow_step"])


def reopen_class(classroom: Classroom) -> None:
    classroom.ended_at = None
    classroom.save(update_fields=["ended_at"])


@dataclass(frozen=True)
class RoomChange:
    """What a change made to every student's sandbox did: how many changed, and whose sandbox could not be reached
    (its lab refused or no gateway answers, or another process held it past the wait): nothing changed for them."""
    changed: int
    not_reached: tuple[str, ...] = ()


def _each_sandbox(classroom: Classroom, change: Callable[[Sandbox], object]) -> RoomChange:
    # One student's unreachable sandbox must not stop the room partway: the others still change, and the instructor
    # is told who did not. A sandbox on a dead sharded gateway moves first and changes like the rest.
    changed, missed = 0, []
    for student in classroom.active_students().select_related("sandbox"):
        try:
            shards.move_off_a_dead_gateway(student.sandbox_id)
            change(student.sandbox)
        except (LabControlError, SandboxBusy) as error:
            log.warning("class %s: %s's sandbox %s not changed: %s", classroom.code, student.nickname,
                        student.sandbox_id, error)
            missed.append(student.nickname)
        else:
            changed += 1
    return RoomChange(changed, tuple(missed))


# How long a room's change waits for a sandbox another web process is building, per student: the learner's own
# pages wait BUILD_WAIT_SECONDS (25 s), but 25 s per busy student, one after another, with this process's build lock
# held, would stall the room; a student not reached is named and can do it from their own page.
ROOM_CHANGE_WAIT_SECONDS = 2.0


def fast_forward_all(classroom: Classroom, seconds: float) -> RoomChange:
    """Move every student's sandbox clock by the same amount: their sessions expire together."""
    return _each_sandbox(classroom, lambda sandbox: sandbox.advance_clock(seconds,
                                                                          wait_seconds=ROOM_CHANGE_WAIT_SECONDS))


def reset_all(classroom: Classroom) -> RoomChange:
    """Reset every student's sandbox (seed restored, sessions forgotten, clock back to now; progress kept). Each
    world is rebuilt by its student's next request (Sandbox.reset builds nothing), not 40 builds in this one."""
    return _each_sandbox(classroom, lambda sandbox: sandbox.reset(wait_seconds=ROOM_CHANGE_WAIT_SECONDS))


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


def start_quiz(classroom: Classroom, instructor, *, question_ids: list[str], seconds_per_question: int,
               title: str = "") -> Room:
    """The class's live quiz: a room opened as the quiz app opens one (Room.open), owned by the instructor, so
    they can host it from any browser where they are signed in."""
    room = Room.open(question_ids=question_ids, seconds_per_question=seconds_per_question,
                     title=title or f"{classroom.title} quiz", owner=instructor)
    classroom.quiz_room = room
    classroom.save(update_fields=["quiz_room"])
    return room


def join_quiz(student: Student) -> Player:
    """Seat a student in their class's quiz under their class nickname (the same player again from another
    device). Should someone outside the class have taken a look-alike name with the room's code, the student
    plays as "name 2" (or 3...): the export follows the student, not the name."""
    room = student.classroom.quiz_open()
    if room is None:
        raise ClassError("The class quiz is not open.")
    names = [student.nickname] + [f"{student.nickname[:NICKNAME_MAX - 3]} {n}" for n in range(2, 10)]
    for name in names:
        try:
            return room.join(name, identity=student.quiz_identity)
        except RoomError as error:
            if error.field != "nickname":
                raise ClassError(str(error)) from None
    raise ClassError("Your nickname is taken in the quiz room; join it with the code and another nickname.")


# ---- export ------------------------------------------------------------------------------------------------------
def quiz_results(classroom: Classroom) -> dict[str, Any]:
    """The class quiz's results per student (by the student's identity in the room, never by nickname: a student
    who re-joined under a removed student's name is someone else), with how many questions the room played."""
    room = classroom.quiz_room
    if room is None:
        return {"room": None, "played": 0, "by_student": {}}
    by_student = {row.identity: row for row in room.player_scores() if row.identity}
    return {"room": room, "played": room.questions_played, "by_student": by_student}


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
    quiz = quiz_results(classroom)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["nickname", "joined_at", "removed", "steps_done"]
    header += [f"scenario {s.number} steps done (of {len(s.steps)})" for s in scenarios]
    header += [f"poll {n}: {p.scenario}/{p.step} (answer: {p.answer or 'not revealed'})"
               for n, p in enumerate(polls, start=1)]
    header += [f"poll {n} correct" for n in range(1, len(polls) + 1)]
    if quiz["room"] is not None:
        code, played = quiz["room"].code, quiz["played"]
        header += [f"quiz {code} rank", f"quiz {code} points", f"quiz {code} correct (of {played} played)"]
    writer.writerow(header)
    for student in students:
        per = done.get(student.sandbox_id, {})
        row: list[Any] = [csv_safe(student.nickname), student.joined_at.isoformat(timespec="seconds"),
                          "yes" if student.removed_at else "", sum(per.values())]
        row += [per.get(s.slug, 0) for s in scenarios]
        answers = [votes.get((p.pk, student.pk), "") for p in polls]
        row += answers
        row += ["" if not p.is_revealed or not a else ("yes" if a == p.answer else "no") for p, a in zip(polls, answers)]
        if quiz["room"] is not None:
            score = quiz["by_student"].get(student.quiz_identity)
            row += ["", "", ""] if score is None else [score.rank, score.points, score.correct]
        writer.writerow(row)
    return out.getvalue()
