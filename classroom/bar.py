"""What the class bar shows on every page: for a student, follow-me and the step's poll; for the instructor
hosting the class, the follow-me and poll controls of the step on screen."""
from __future__ import annotations

from django.http import HttpRequest

from quiz.models import Room

from . import services
from .access import hosted_class, student_for_request
from .models import Student


def bar_context(request: HttpRequest, path: str, student: Student | None | bool = False) -> dict:
    """The bar's context; `student` saves the caller's lookup when it has done it (False: look it up here)."""
    scenario, step = services.locate(path)
    # The views that call this render the bar with the result, so the context processor need not build it again.
    request.class_bar_built = True
    if student is False:
        student = student_for_request(request)
    classroom = student.classroom if student is not None else hosted_class(request)
    if classroom is None:
        return {}
    poll = classroom.current_poll()
    if poll is not None and (poll.scenario, poll.step) != (scenario, step):
        poll = None
    data = {"classroom": classroom, "student": student, "is_host": student is None, "path": path,
            "scenario": scenario, "step": step, "poll": poll, "here_is_followed":
            bool(scenario and step) and (classroom.follow_scenario, classroom.follow_step) == (scenario, step)}
    if poll is not None:
        data["tally"] = poll.tally()
        data["voted"] = poll.votes.filter(student=student).values_list("choice", flat=True).first() if student else ""
        data["answered"] = poll.votes.count()
    if student is None:
        data["students"] = classroom.active_students().count()
    quiz = classroom.quiz_room
    data["quiz"] = quiz if quiz is not None and quiz.state != Room.FINISHED else None
    # What the page shows, in one string: the bar's poll answers 204 while it is unchanged.
    data["version"] = "|".join(str(x) for x in (
        classroom.follow_url(), classroom.is_open, student.following if student else "",
        poll.pk if poll else "", poll.revealed_at if poll else "", data.get("voted", ""), data.get("answered", ""),
        data.get("students", ""), data["quiz"].pk if data["quiz"] else ""))
    return {"class_bar": data}
