"""Classroom views: the instructor's class list and dashboard, the students' join and class bar.

The dashboard and the class bar are live by htmx polling (not server-sent events): `make class` runs one gunicorn
process with a fixed pool of threads (moto lives in one process), and an event stream holds a thread per open page
for as long as it is open — 40 students and a dashboard would pin 41 threads. A poll is a short request that gives
its thread back at once, needs no extra library, survives proxies and laptop sleep, and its answer is read from
the database like every other page. The bar answers 204 (nothing to swap) while nothing changed for that student.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from quiz.forms import CreateRoomForm
from quiz.live_views import seat_player
from sandboxes import services as sandbox_services
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.services import SESSION_KEY
from scenarios import registry
from securecart.joining import is_join_code, qr_svg
from securecart.publicurl import public_url
from securecart.throttle import throttle_join_codes

from . import services
from .bar import bar_context
from .access import (HOSTING_KEY, STUDENT_KEY, instructor_class, instructor_required, is_instructor,
                     student_for_request, student_required)
from .forms import (BackForm, BarPollForm, ClockForm, CodeQueryForm, EndClassForm, FollowingForm, HandForm,
                    JoinClassForm, LockForm, OpenClassForm, PrepareForm, ReleaseForm, RosterForm, StepForm, VoteForm)
from .models import Classroom, Poll, Student
from .services import ClassError

ROSTER_POLL_SECONDS = 2
BAR_POLL_SECONDS = 1  # follow-me must move students within 2 s


def _local_path(request: HttpRequest, value: str) -> str:
    """A path on this site to go back to (the page a form came from), or "": never a redirect elsewhere."""
    value = str(value or "")[:300]
    if value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return ""


def _posted_path(request: HttpRequest) -> str:
    """The POSTed `at` (BackForm), when it is a path on this site; else ""."""
    form = BackForm(request.POST)
    return _local_path(request, form.cleaned_data["at"]) if form.is_valid() else ""


# ---- entry: /class/ ------------------------------------------------------------------------------------------------
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    if is_instructor(request.user):
        classes = Classroom.objects.filter(instructor=request.user)
        return render(request, "classroom/index.html", {"classes": classes, "open_form": OpenClassForm(),
                                                        "join_form": JoinClassForm()})
    student = student_for_request(request)
    if student is not None:
        return redirect("classroom:student_home")
    query = CodeQueryForm(request.GET)
    code = query.cleaned_data["code"] if query.is_valid() else ""
    form = JoinClassForm(initial={"code": code if is_join_code(code) else ""})
    return render(request, "classroom/join.html", {"form": form})


@require_POST
@instructor_required
def open_class(request: HttpRequest) -> HttpResponse:
    form = OpenClassForm(request.POST)
    if not form.is_valid():
        classes = Classroom.objects.filter(instructor=request.user)
        return render(request, "classroom/index.html", {"classes": classes, "open_form": form,
                                                        "join_form": JoinClassForm()}, status=400)
    classroom = Classroom.objects.create(title=" ".join(form.cleaned_data["title"].split()), instructor=request.user,
                                         expected_students=form.cleaned_data["expected_students"] or 0)
    services.prepare_in_background(classroom)
    return redirect("classroom:dashboard", code=classroom.code)


# ---- students -------------------------------------------------------------------------------------------------------
@require_POST
@throttle_join_codes   # a wrong code is a guess, counted with the live rooms' (securecart/throttle.py)
def join(request: HttpRequest) -> HttpResponse:
    form = JoinClassForm(request.POST)
    if not form.is_valid():
        return render(request, "classroom/join.html", {"form": form}, status=400)
    if request.user.is_authenticated:
        form.add_error(None, f"You are signed in as {request.user.username}. Students join signed out "
                             "(sign out, or use a private window), so the class sandbox is the one you use.")
        return render(request, "classroom/join.html", {"form": form}, status=409)
    code = form.cleaned_data["code"]
    classroom = Classroom.objects.filter(code=code).first() if is_join_code(code) else None
    if classroom is None:
        form.add_error("code", "No class has that code. Check the code on the instructor's screen.")
        return render(request, "classroom/join.html", {"form": form}, status=404)
    current = student_for_request(request)
    if current is not None and current.classroom_id == classroom.pk:
        return redirect("classroom:student_home")  # same phone joining again keeps its place
    if not request.session.session_key:
        request.session.save()
    try:
        student = services.join(classroom, form.cleaned_data["nickname"], session_key=request.session.session_key)
    except ClassError as error:
        form.add_error("nickname" if "nickname" in str(error).lower() else None, str(error))
        return render(request, "classroom/join.html", {"form": form}, status=409)
    _enter(request, student)
    return redirect("classroom:student_home")


def _enter(request: HttpRequest, student: Student) -> None:
    request.session[STUDENT_KEY] = student.token
    request.session[SESSION_KEY] = student.sandbox_id  # the scenario player uses this sandbox from now on


@require_GET
def rejoin(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The student's own link: on reload or another device, it puts them back in their place (same sandbox)."""
    code = code.upper() if is_join_code(code.upper()) else ""
    student = Student.objects.select_related("classroom").filter(classroom__code=code, token=token[:43]).first()
    if student is None or student.removed_at is not None:
        return render(request, "classroom/join.html", {"form": JoinClassForm(initial={"code": code}),
                      "error": "That link is not (or no longer) a place in this class. Join with a nickname."},
                      status=404)
    if request.user.is_authenticated:
        return render(request, "classroom/join.html", {"form": JoinClassForm(), "error":
                      f"You are signed in as {request.user.username}; open your class link signed out."}, status=409)
    _enter(request, student)
    return redirect("classroom:student_home")


@require_GET
def student_home(request: HttpRequest) -> HttpResponse:
    student = student_for_request(request)
    if student is None:
        return redirect("classroom:index")
    sandbox_services.ensure_ready(student.sandbox)
    link = public_url(request, student.link())
    scenarios = [listing.scenario for listing in registry.listings() if listing.scenario]
    return render(request, "classroom/student_home.html", {
        "student": student, "classroom": student.classroom, "link": link,
        "link_qr": qr_svg(link, "QR code for your own class link"), "scenarios": scenarios})


@require_GET
def bar(request: HttpRequest) -> HttpResponse:
    """The class bar's poll: presence, follow-me (HX-Redirect), the open poll; 204 when nothing changed."""
    poll = BarPollForm(request.GET)
    if not poll.is_valid():   # only a forged poll: a page's own always validates
        return HttpResponse("The class bar's poll needs the page it is on.", status=400)
    path, version, dirty = poll.cleaned_data["at"], poll.cleaned_data["v"], poll.cleaned_data["dirty"]
    student = student_for_request(request)
    if student is not None:
        services.note_presence(student, path)
        target = services.follow_target(student.classroom, student, path)
        if target and not dirty:
            return HttpResponseClientRedirect(target, status=204)  # 204: nothing to swap; htmx follows the header
        # Unsaved edits on the page: the bar asks instead of moving them (its follow cue).
    context = bar_context(request, path, student, asks_to_follow=bool(student and dirty and target))
    if not context:
        return HttpResponse(status=204)
    if version == context["class_bar"]["version"]:
        return HttpResponse(status=204)
    return render(request, "classroom/_class_bar.html", context)


@require_POST
@student_required
def set_following(request: HttpRequest, student: Student) -> HttpResponse:
    form = FollowingForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors["following"][0], status=400)
    student.following = form.cleaned_data["following"]
    student.save(update_fields=["following"])
    target = student.classroom.follow_url() if student.following else ""
    back = target or _posted_path(request) or reverse("classroom:student_home")
    return _htmx_or_redirect(request, back)


@require_POST
@student_required
def cast_vote(request: HttpRequest, student: Student, poll_id: int) -> HttpResponse:
    poll = get_object_or_404(Poll, pk=poll_id, classroom=student.classroom)
    form = VoteForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose allowed, AccessDenied or another error.", status=400)
    try:
        services.vote(poll, student, form.cleaned_data["choice"])
    except ClassError as error:
        return HttpResponse(str(error), status=409)
    return _bar_or_redirect(request)


@require_POST
@student_required
def raise_hand(request: HttpRequest, student: Student) -> HttpResponse:
    """"I'm stuck": the student's hand goes up in the instructor's queue (or comes down again)."""
    form = HandForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors["raised"][0], status=400)
    services.raise_hand(student, form.cleaned_data["raised"])
    return _bar_or_redirect(request)


@require_POST
@student_required
def join_quiz(request: HttpRequest, student: Student) -> HttpResponse:
    """The class bar's "Join the class quiz": the student plays under their class nickname and identity."""
    try:
        player = services.join_quiz(student)
    except ClassError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(_posted_path(request) or reverse("classroom:student_home"))
    seat_player(request, player)
    return HttpResponseRedirect(reverse("quiz:live_play", args=[player.room.code]))


def _htmx_or_redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url, status=204)  # 204: nothing to swap; htmx follows the header
    return HttpResponseRedirect(url)


def _bar_or_redirect(request: HttpRequest) -> HttpResponse:
    path = _posted_path(request)
    if request.htmx:
        return render(request, "classroom/_class_bar.html", bar_context(request, path))
    return HttpResponseRedirect(path or reverse("classroom:index"))


# ---- instructor: dashboard ------------------------------------------------------------------------------------------
@require_GET
@instructor_class
def dashboard(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    request.session[HOSTING_KEY] = classroom.code
    context = {**_dashboard_context(classroom, _roster_sort(request)),
               "clock_choices": list(services.CLASS_CLOCK_STEPS), "quiz_form": CreateRoomForm(),
               "scenarios": [listing.scenario for listing in registry.listings() if listing.scenario]}
    if classroom.is_open:   # an ended class shows no way in
        join_link = public_url(request, reverse("classroom:index") + f"?code={classroom.code}")
        context.update(join_link=join_link, join_qr=qr_svg(join_link, "QR code for the class join link"),
                       join_address=public_url(request, reverse("classroom:index")))
    return render(request, "classroom/dashboard.html", context)


def _roster_sort(request: HttpRequest) -> str:
    form = RosterForm(request.GET)
    return form.cleaned_data["sort"] if form.is_valid() and form.cleaned_data["sort"] else "stuck"


def _dashboard_context(classroom: Classroom, sort: str) -> dict:
    poll = classroom.current_poll()
    tally = poll.tally() if poll else None
    rows = services.roster(classroom, sort)
    return {"classroom": classroom, "rows": rows, "summary": services.summarize(rows),
            "hands": services.raised_hands(rows), "sort": sort, "sorts": services.ROSTER_SORTS,
            "spares": classroom.spares.count(), "step_counts": services.step_counts(classroom),
            "poll": poll, "tally": tally, "poll_votes": sum(row["count"] for row in tally or ()),
            "poll_step": _step_title(poll), "roster_poll_seconds": ROSTER_POLL_SECONDS,
            "students_url": reverse("classroom:dashboard", args=[classroom.code]) + "students/"}


def _step_title(poll: Poll | None) -> str:
    return services.step_title(poll.scenario, poll.step) if poll else ""


@require_GET
@instructor_class
def roster(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    return render(request, "classroom/_roster.html", _dashboard_context(classroom, _roster_sort(request)))


@require_POST
@instructor_class
def lower_hand(request: HttpRequest, classroom: Classroom, student_id: int) -> HttpResponse:
    """The instructor has seen to a raised hand: it leaves the queue."""
    student = get_object_or_404(Student, pk=student_id, classroom=classroom, removed_at__isnull=True)
    services.raise_hand(student, False)
    if request.htmx:
        return render(request, "classroom/_roster.html", _dashboard_context(classroom, _roster_sort(request)))
    return redirect("classroom:dashboard", code=classroom.code)


@require_GET
@instructor_class
def student_detail(request: HttpRequest, classroom: Classroom, student_id: int) -> HttpResponse:
    student = get_object_or_404(Student, pk=student_id, classroom=classroom)
    progress, scenario, step = services.last_exchange(student)
    return render(request, "classroom/student_detail.html", {
        "classroom": classroom, "student": student, "progress": progress, "scenario": scenario, "step": step,
        "result": progress.stored_result()[0] if progress else None,
        "activities": student.activities.all()[:15]})


@require_POST
@instructor_class
def remove_student(request: HttpRequest, classroom: Classroom, student_id: int) -> HttpResponse:
    student = get_object_or_404(Student, pk=student_id, classroom=classroom, removed_at__isnull=True)
    services.remove_student(student)
    messages.success(request, f"{student.nickname} is off the roster; their link no longer works.")
    return redirect("classroom:dashboard", code=classroom.code)


@require_POST
@instructor_class
def prepare(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    form = PrepareForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Give a number of students from 0 to 200.", status=400)
    classroom.expected_students = form.cleaned_data["expected_students"]
    classroom.save(update_fields=["expected_students"])
    services.prepare_in_background(classroom)
    return redirect("classroom:dashboard", code=classroom.code)


@require_POST
@instructor_class
def end_class(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    form = EndClassForm(request.POST)
    if form.is_valid() and form.cleaned_data["reopen"]:
        services.reopen_class(classroom)
    else:
        services.end_class(classroom)
    messages.success(request, "Class reopened." if classroom.is_open else
                     "Class ended: nobody new can join; students keep their sandboxes.")
    return redirect("classroom:dashboard", code=classroom.code)


# ---- instructor: controls -------------------------------------------------------------------------------------------
def _at_step(request: HttpRequest, classroom, action) -> HttpResponse:
    """A class control aimed at the step the form names: action(classroom, scenario, step), then back."""
    form = StepForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Name a scenario and step.", status=400)
    try:
        action(classroom, form.cleaned_data["scenario"], form.cleaned_data["step"])
    except ClassError as error:
        return HttpResponse(str(error), status=404)
    return _back(request, classroom)


@require_POST
@instructor_class
def follow(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    form = ReleaseForm(request.POST)
    if form.is_valid() and form.cleaned_data["release"]:
        services.release_everyone(classroom)
        return _back(request, classroom)
    return _at_step(request, classroom, services.bring_everyone)


@require_POST
@instructor_class
def open_poll(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    return _at_step(request, classroom, services.open_poll)


@require_POST
@instructor_class
@with_sandbox   # the instructor's own sandbox runs the step whose outcome the poll reveals
def reveal_poll(request: SandboxRequest, classroom: Classroom, poll_id: int) -> HttpResponse:
    poll = get_object_or_404(Poll, pk=poll_id, classroom=classroom)
    try:
        services.reveal_poll(poll, request.sandbox)
    except ClassError as error:
        if request.htmx:
            return _back(request, classroom, error=str(error))
        messages.error(request, str(error))
    return _back(request, classroom)


def _back(request: HttpRequest, classroom: Classroom, error: str = "") -> HttpResponse:
    """After a control: htmx from the class bar re-renders the bar (with `error`, said in the bar); a plain form
    goes back where it came from."""
    path = _posted_path(request)
    if request.htmx and path:
        context = bar_context(request, path)
        if context:
            context["class_bar"]["error"] = error
        return render(request, "classroom/_class_bar.html", context)
    if path:
        return HttpResponseRedirect(path)
    return redirect("classroom:dashboard", code=classroom.code)


@require_POST
@instructor_class
def class_clock(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    form = ClockForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose +5 min, +15 min, +1 hour or +12 hours.", status=400)
    moved = services.fast_forward_all(classroom, services.CLASS_CLOCK_STEPS[form.cleaned_data["by"]])
    messages.success(request, f"Moved {moved.changed} sandbox clocks forward {form.cleaned_data['by']}.")
    _say_not_reached(request, moved, "their clocks did not move")
    return redirect("classroom:dashboard", code=classroom.code)


@require_POST
@instructor_class
def class_reset(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    reset = services.reset_all(classroom)
    messages.success(request, f"Reset {reset.changed} sandboxes: seed restored, sessions gone, clocks back to now.")
    _say_not_reached(request, reset, "they were not reset")
    return redirect("classroom:dashboard", code=classroom.code)


def _say_not_reached(request: HttpRequest, change: services.RoomChange, consequence: str) -> None:
    if change.not_reached:
        # not "press again": that would change everyone else's a second time
        messages.warning(request, f"Could not reach the sandboxes of {', '.join(change.not_reached)} (their lab did "
                                  f"not answer, or another process was still rebuilding them): {consequence}. "
                                  "Each can do it from their Sandbox page once it answers.")


@require_POST
@instructor_class
def lock_scenario(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    form = LockForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Name a scenario.", status=400)
    try:
        services.set_locked(classroom, form.cleaned_data["scenario"], form.cleaned_data["locked"])
    except ClassError as error:
        return HttpResponse(str(error), status=404)
    return redirect("classroom:dashboard", code=classroom.code)


@require_GET
@instructor_class
def export(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    response = HttpResponse(services.export_csv(classroom), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="class-{classroom.code}.csv"'
    return response


@require_POST
@instructor_class
def start_quiz(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    """Open the class's live quiz (count, seconds and topics as the quiz app asks them; Room.open), owned by the
    instructor: they host it from any browser where they are signed in."""
    form = CreateRoomForm(request.POST)
    if not form.is_valid():
        for problem in form.errors.values():
            messages.error(request, "The class quiz was not opened: " + " ".join(problem))
        return redirect("classroom:dashboard", code=classroom.code)
    data = form.cleaned_data
    room = services.start_quiz(classroom, request.user, question_ids=data["question_ids"],
                               seconds_per_question=data["seconds_per_question"], title=data["title"])
    return redirect("quiz:live_host", code=room.code)
