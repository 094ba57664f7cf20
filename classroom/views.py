"""Classroom views: the instructor's class list and dashboard, the students' join and class bar.

The dashboard and the class bar are live by htmx polling (not server-sent events): `make class` runs one gunicorn
process with a fixed pool of threads (moto lives in one process), and an event stream holds a thread per open page
for as long as it is open — 40 students and a dashboard would pin 41 threads. A poll is a short request that gives
its thread back at once, needs no extra library, survives proxies and laptop sleep, and its answer is read from
the database like every other page. The bar answers 204 (nothing to swap) while nothing changed for that student.
"""
from __future__ import annotations

import secrets

import segno
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from quiz import services as quiz_services
from quiz.live_views import CODE_ALPHABET as QUIZ_CODE_ALPHABET, CODE_LENGTH as QUIZ_CODE_LENGTH, HOST_KEY
from quiz.models import Room
from sandboxes import services as sandbox_services
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.services import SESSION_KEY
from scenarios import registry
from securecart.publicurl import public_url

from . import services
from .bar import bar_context
from .access import (HOSTING_KEY, STUDENT_KEY, instructor_class, instructor_required, is_instructor,
                     student_for_request, student_required)
from .forms import (BackForm, BarPollForm, ClockForm, CodeQueryForm, EndClassForm, FollowingForm, JoinClassForm,
                    LockForm, OpenClassForm, PrepareForm, ReleaseForm, StepForm, VoteForm)
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


def qr_svg(url: str, label: str) -> SafeString:
    svg = segno.make_qr(url).svg_inline(scale=6, border=2, dark="#1b1f24", light="#ffffff", title=label)
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


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
    form = JoinClassForm(initial={"code": services.normalize_code(query.cleaned_data["code"] if query.is_valid()
                                                                  else "")})
    return render(request, "classroom/join.html", {"form": form})


@require_POST
@instructor_required
def open_class(request: HttpRequest) -> HttpResponse:
    form = OpenClassForm(request.POST)
    if not form.is_valid():
        classes = Classroom.objects.filter(instructor=request.user)
        return render(request, "classroom/index.html", {"classes": classes, "open_form": form,
                                                        "join_form": JoinClassForm()}, status=400)
    for _ in range(20):  # 32^6 codes; a clash is rare, a retry cheap
        candidate = Classroom(title=" ".join(form.cleaned_data["title"].split()), instructor=request.user,
                              expected_students=form.cleaned_data["expected_students"] or 0)
        if not Classroom.objects.filter(code=candidate.code).exists():
            candidate.save()
            services.prepare_in_background(candidate)
            return redirect("classroom:dashboard", code=candidate.code)
    raise RuntimeError("could not find a free class code")


# ---- students -------------------------------------------------------------------------------------------------------
@require_POST
def join(request: HttpRequest) -> HttpResponse:
    form = JoinClassForm(request.POST)
    if not form.is_valid():
        return render(request, "classroom/join.html", {"form": form}, status=400)
    if request.user.is_authenticated:
        form.add_error(None, f"You are signed in as {request.user.username}. Students join signed out "
                             "(sign out, or use a private window), so the class sandbox is the one you use.")
        return render(request, "classroom/join.html", {"form": form}, status=409)
    classroom = Classroom.objects.filter(code=services.normalize_code(form.cleaned_data["code"])).first()
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
    student = Student.objects.select_related("classroom").filter(classroom__code=code.upper()[:8],
                                                                 token=token[:43]).first()
    if student is None or student.removed_at is not None:
        return render(request, "classroom/join.html", {"form": JoinClassForm(initial={"code": code.upper()[:8]}),
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
    path, version = (poll.cleaned_data["at"], poll.cleaned_data["v"]) if poll.is_valid() else ("", "")
    student = student_for_request(request)
    if student is not None:
        services.note_presence(student, path)
        target = services.follow_target(student.classroom, student, path)
        if target:
            return HttpResponseClientRedirect(target, status=204)  # 204: nothing to swap; htmx follows the header
    context = bar_context(request, path, student)
    if not context:
        return HttpResponse(status=204)
    if version == context["class_bar"]["version"]:
        return HttpResponse(status=204)
    return render(request, "classroom/_class_bar.html", context)


@require_POST
@student_required
def set_following(request: HttpRequest, student: Student) -> HttpResponse:
    form = FollowingForm(request.POST)
    form.is_valid()
    student.following = form.cleaned_data.get("following", False)
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
    join_link = public_url(request, reverse("classroom:index") + f"?code={classroom.code}")
    return render(request, "classroom/dashboard.html", {
        **_dashboard_context(classroom), "join_link": join_link,
        "join_qr": qr_svg(join_link, "QR code for the class join link"),
        "join_address": public_url(request, reverse("classroom:index")),
        "clock_choices": list(services.CLASS_CLOCK_STEPS),
        "scenarios": [listing.scenario for listing in registry.listings() if listing.scenario]})


def _dashboard_context(classroom: Classroom) -> dict:
    poll = classroom.current_poll()
    return {"classroom": classroom, "rows": services.roster(classroom), "spares": classroom.spares.count(), "step_counts": services.step_counts(classroom),
            "poll": poll, "tally": poll.tally() if poll else None, "poll_step": _step_title(poll),
            "roster_poll_seconds": ROSTER_POLL_SECONDS}


def _step_title(poll: Poll | None) -> str:
    if poll is None:
        return ""
    scenario = registry.get(poll.scenario)
    step = scenario.step(poll.step) if scenario else None
    return f"{scenario.number}. {step.title}" if scenario and step else f"{poll.scenario}/{poll.step}"


@require_GET
@instructor_class
def roster(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    return render(request, "classroom/_roster.html", _dashboard_context(classroom))


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
    classroom.ended_at = None if form.is_valid() and form.cleaned_data["reopen"] else timezone.now()
    classroom.save(update_fields=["ended_at"])
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
            return HttpResponse(str(error), status=409)
        messages.error(request, str(error))
    return _back(request, classroom)


def _back(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    """After a control: htmx from the class bar re-renders the bar; a plain form goes back where it came from."""
    path = _posted_path(request)
    if request.htmx and path:
        return render(request, "classroom/_class_bar.html", bar_context(request, path))
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
    messages.success(request, f"Moved {moved} sandbox clocks forward {form.cleaned_data['by']}.")
    return redirect("classroom:dashboard", code=classroom.code)


@require_POST
@instructor_class
def class_reset(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    count = services.reset_all(classroom)
    messages.success(request, f"Reset {count} sandboxes: seed restored, sessions gone, clocks back to now.")
    return redirect("classroom:dashboard", code=classroom.code)


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


@require_http_methods(["POST"])
@instructor_class
def start_quiz(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    """Open the class's live quiz room (the quiz app's own room), host it from this browser."""
    question_ids = quiz_services.pick_question_ids(count=8)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        for _ in range(20):
            room_code = "".join(secrets.choice(QUIZ_CODE_ALPHABET) for _ in range(QUIZ_CODE_LENGTH))
            if not Room.objects.filter(code=room_code).exists():
                break
        room = Room.objects.create(code=room_code, host_token=token, question_ids=question_ids,
                                   cohost_token=secrets.token_urlsafe(24),
                                   title=f"{classroom.title} quiz")
        services.start_quiz_room(classroom, room)
    hosts = request.session.get(HOST_KEY) if isinstance(request.session.get(HOST_KEY), dict) else {}
    hosts[room.code] = token
    request.session[HOST_KEY] = hosts
    return redirect("quiz:live_host", code=room.code)
