"""Who is who in a class: the instructor (a permission) and a student (the token in their session)."""
from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden

from .models import Classroom, Student

STUDENT_KEY = "classroom_student"   # session: the student's token
HOSTING_KEY = "classroom_hosting"   # session: code of the class whose dashboard the instructor last opened
PERMISSION = "classroom.run_class"
# The student whose request this is, once looked up (LockedScenarioMiddleware), or NOT_A_STUDENT for a scenario
# request from a browser in no class: the activity signal then needs no query of its own to know whose run it
# records, or that it records none (a self-study learner's Run). Per request: a context variable, reset when the
# request ends; None (not looked up: another kind of request, a command) means "ask the database".
NOT_A_STUDENT = object()
request_student: ContextVar[object] = ContextVar("request_student", default=None)


def is_instructor(user) -> bool:
    return user.is_authenticated and user.has_perm(PERMISSION)


def instructor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_instructor(request.user):
            raise PermissionDenied("Running a class needs the instructor permission "
                                   "(manage.py instructor USERNAME grants it).")
        return view(request, *args, **kwargs)
    return wrapped


def class_for_instructor(request: HttpRequest, code: str) -> Classroom:
    classroom = Classroom.objects.filter(code=code.upper()[:8], instructor=request.user).first()
    if classroom is None:
        raise Http404("You run no class with that code.")
    return classroom


def instructor_class(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """@instructor_required, then the URL's `code` -> the view's `classroom` argument: a class this instructor
    runs (404 for anyone else's)."""
    @instructor_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, code: str, *args, **kwargs) -> HttpResponse:
        return view(request, class_for_instructor(request, code), *args, **kwargs)
    return wrapped


def student_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The visitor's place in a class (the token in their session) -> the view's `student` argument; 403 when
    they are in none."""
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        student = student_for_request(request)
        if student is None:
            return HttpResponseForbidden("You are not in a class.")
        return view(request, student, *args, **kwargs)
    return wrapped


def student_for_request(request: HttpRequest) -> Student | None:
    token = request.session.get(STUDENT_KEY)
    if not token or not isinstance(token, str):
        return None
    # One lookup per request (the locked-scenario middleware, the view and the class bar all ask), per token.
    known = getattr(request, "classroom_student_lookup", None)
    if known is not None and known[0] == token:
        return known[1]
    # get(), not first(): the token is unique, and first()'s ORDER BY was a quarter of this lookup's CPU
    try:
        student = Student.objects.select_related("classroom").get(token=token, removed_at__isnull=True)
    except Student.DoesNotExist:
        student = None
    request.classroom_student_lookup = (token, student)
    return student


def hosted_class(request: HttpRequest) -> Classroom | None:
    code = request.session.get(HOSTING_KEY)
    if not code or not is_instructor(request.user):
        return None
    return Classroom.objects.filter(code=code, instructor=request.user, ended_at__isnull=True).first()
