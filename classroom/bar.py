"""What the class bar shows on every page: for a student, follow-me, their raised hand and the class's events; for
the instructor hosting the class, the follow-me and poll controls of the step on screen.

A class event (a poll, the class quiz starting, follow-me while the page has unsaved edits, the class ending) is a
*cue*: a floating box the student sees wherever they have scrolled to, announced to screen readers when it appears
(static/js/classroom.js). One cue at a time, the most pressing first.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from quiz.models import Room

from . import services
from .access import hosted_class, student_for_request
from .models import Classroom, Poll, Student


@dataclass
class Cue:
    kind: str    # ended | follow | poll | quiz | poll-elsewhere | poll-result
    key: str     # the event's identity: hiding a cue hides it until another event comes
    url: str = ""          # where the cue's link goes (follow-me's step, the poll's step)
    where: str = ""        # that step's title


def _student_cue(classroom: Classroom, student: Student, poll: Poll | None, here: tuple[str, str], path: str,
                 asks_to_follow: bool, quiz: Room | None, seated: bool) -> Cue | None:
    if not classroom.is_open:
        return Cue("ended", f"ended-{int(classroom.ended_at.timestamp())}")
    if asks_to_follow:
        return Cue("follow", f"follow-{classroom.follow_url()}", url=classroom.follow_url(),
                   where=services.step_title(classroom.follow_scenario, classroom.follow_step))
    if poll is not None and not poll.is_revealed and (poll.scenario, poll.step) == here:
        return Cue("poll", f"poll-{poll.pk}")
    if quiz is not None and not seated and not path.startswith(reverse("quiz:live")):
        return Cue("quiz", f"quiz-{quiz.pk}")
    if poll is not None and not poll.is_revealed:
        return Cue("poll-elsewhere", f"poll-{poll.pk}", url=reverse("scenarios:step", args=[poll.scenario, poll.step]),
                   where=services.step_title(poll.scenario, poll.step))
    if poll is not None and (poll.scenario, poll.step) == here:
        return Cue("poll-result", f"result-{poll.pk}")
    return None


def bar_context(request: HttpRequest, path: str, student: Student | None | bool = False, *,
                asks_to_follow: bool = False) -> dict:
    """The bar's context; `student` saves the caller's lookup when it has done it (False: look it up here).
    `asks_to_follow`: the student's page has unsaved edits and follow-me would move it (the cue asks first)."""
    scenario, step = services.locate(path)
    # The views that call this render the bar with the result, so the context processor need not build it again.
    request.class_bar_built = True
    if student is False:
        student = student_for_request(request)
    classroom = student.classroom if student is not None else hosted_class(request)
    if classroom is None:
        return {}
    poll = classroom.current_poll()
    here = (scenario, step)
    data = {"classroom": classroom, "student": student, "is_host": student is None, "path": path,
            # in the live quiz the phone's screen is for the answer buttons: the bar keeps to one line
            "compact": path.startswith(reverse("quiz:live")),
            "scenario": scenario, "step": step, "poll": None, "error": "", "here_is_followed":
            bool(scenario and step) and (classroom.follow_scenario, classroom.follow_step) == here}
    quiz = classroom.quiz_open()
    seated = False
    if student is not None:
        seated = quiz is not None and quiz.players.filter(identity=student.quiz_identity).exists()
        cue = _student_cue(classroom, student, poll, here, path, asks_to_follow, quiz, seated)
        data["cue"] = cue
        if cue is not None and cue.kind in ("poll", "poll-result"):
            data["poll"] = poll
    else:
        data["cue"] = None
        data["students"] = classroom.active_students().count()
        if poll is not None and (poll.scenario, poll.step) == here:
            data["poll"] = poll
    if data["poll"] is not None:
        data["tally"] = poll.tally()
        data["voted"] = poll.votes.filter(student=student).values_list("choice", flat=True).first() if student else ""
        data["answered"] = poll.votes.count()
    data["quiz"] = quiz
    data["quiz_seated"] = seated
    cue = data["cue"]
    # What the page shows, in one string: the bar's poll answers 204 while it is unchanged.
    data["version"] = "|".join(str(x) for x in (
        classroom.follow_url(), classroom.is_open, student.following if student else "",
        student.hand_raised_at if student else "", poll.pk if poll else "", poll.revealed_at if poll else "",
        data.get("voted", ""), data.get("answered", ""), data.get("students", ""), quiz.pk if quiz else "", seated,
        cue.key if cue else "", cue.kind if cue else ""))
    return {"class_bar": data}
