"""A class an instructor runs: students who joined with a nickname, each with a sandbox of their own.

The database is the source of truth here too: what a student did is read from their sandbox's StepProgress rows
and from Activity (one row per run, recorded when StepProgress is saved; see signals.py), never from memory.
"""
from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from sandboxes.models import Sandbox
from sandboxes.results import StepResult
from securecart.joining import new_code

# The answers a class can predict for a step (the poll), and what a run is classified as.
ALLOWED, DENIED, ERROR = "allowed", "denied", "error"
OUTCOMES = [(ALLOWED, "Allowed"), (DENIED, "AccessDenied"), (ERROR, "Another error")]


def new_class_code() -> str:
    """A free class code (the join-code rules a class shares with live quiz rooms: securecart.joining)."""
    return new_code(lambda code: Classroom.objects.filter(code=code).exists())


def new_student_token() -> str:
    return secrets.token_urlsafe(16)


def classify(result: StepResult | None) -> tuple[str, str]:
    """(outcome, error code) of a stored step result: the first call AWS refused decides, else allowed."""
    calls = result.calls if result else []
    for call in calls:
        if not call.ok:
            code = call.error_code
            return (DENIED if code == "AccessDenied" else ERROR), code
    return (ALLOWED, "") if calls else ("", "")


class Classroom(models.Model):
    code = models.CharField(max_length=8, unique=True, default=new_class_code)
    title = models.CharField(max_length=80)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classes")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    locked_scenarios = models.JSONField(default=list, blank=True)  # scenario slugs students cannot open
    # Follow me: the step the instructor brought everyone to (blank: students move freely).
    follow_scenario = models.SlugField(max_length=64, blank=True, default="")
    follow_step = models.SlugField(max_length=64, blank=True, default="")
    # The live quiz room started from this class's dashboard (quiz scores go into the class export).
    # How many sandboxes to build ahead of the students (see SpareSandbox): joining then takes a ready one.
    expected_students = models.PositiveIntegerField(default=0)
    quiz_room = models.ForeignKey("quiz.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Hook for challenges (another issue): an instructor assigning a challenge to the class adds a model here
    # that points at Classroom, and the roster reads it the way it reads StepProgress.

    class Meta:
        ordering = ["-created_at"]
        permissions = [("run_class", "Can open and run a class")]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def quiz_open(self):
        """The class's live quiz room while students can still play it (quiz.models.Room), else None."""
        room = self.quiz_room
        return room if room is not None and self.is_open and room.joining_open else None

    def active_students(self) -> models.QuerySet[Student]:
        return self.students.filter(removed_at__isnull=True)

    def follow_url(self) -> str:
        if not (self.follow_scenario and self.follow_step):
            return ""
        return reverse("scenarios:step", args=[self.follow_scenario, self.follow_step])

    def current_poll(self) -> Poll | None:
        return self.polls.order_by("-opened_at").first()


class Student(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="students")
    nickname = models.CharField(max_length=24)
    # The secret in the student's own join link: opening it (reload, another device) puts them back in place.
    token = models.CharField(max_length=43, unique=True, default=new_student_token)
    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="student")
    joined_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    following = models.BooleanField(default=True)  # False while the student explores on their own
    # Where the student's page is (from their page's poll), for the roster and follow-me.
    at_scenario = models.SlugField(max_length=64, blank=True, default="")
    at_step = models.SlugField(max_length=64, blank=True, default="")
    last_seen = models.DateTimeField(null=True, blank=True)
    # "I'm stuck": the student's raised hand, in the instructor's queue (oldest first) until either lowers it.
    hand_raised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [models.UniqueConstraint(fields=["classroom", "nickname"], condition=Q(removed_at__isnull=True),
                                               name="classroom_one_active_nickname")]

    def __str__(self) -> str:
        return self.nickname

    def link(self) -> str:
        return reverse("classroom:rejoin", args=[self.classroom.code, self.token])

    @property
    def quiz_identity(self) -> str:
        """Who this student is in the class's live quiz room (quiz.models.Player.identity): exports match the
        student, not a nickname someone else may have had before."""
        return f"class-student:{self.pk}"


class SpareSandbox(models.Model):
    """A sandbox built before anyone asked for it, waiting for the next student of this class to join.

    Building a sandbox takes seconds and builds run one at a time, so 40 students joining in the same minute
    would queue; the class builds them while the instructor is still setting up.
    """
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="spares")
    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="+")
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["built_at", "id"]


class Activity(models.Model):
    """One run of a step by a student (main run, what-if or credential check), as its outcome."""
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="activities")
    scenario = models.SlugField(max_length=64)
    step = models.SlugField(max_length=64)
    variant = models.CharField(max_length=64, blank=True, default="")
    outcome = models.CharField(max_length=8, choices=OUTCOMES, blank=True, default="")
    code = models.CharField(max_length=64, blank=True, default="")
    succeeded = models.BooleanField(default=False)  # the run did what the lesson expects
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["student", "-at"])]


class Poll(models.Model):
    """"What will STS answer?" asked on one step before the instructor runs it; revealed with the real answer."""
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="polls")
    scenario = models.SlugField(max_length=64)
    step = models.SlugField(max_length=64)
    opened_at = models.DateTimeField(default=timezone.now)
    revealed_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=8, choices=OUTCOMES, blank=True, default="")
    answer_code = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["opened_at"]

    @property
    def is_revealed(self) -> bool:
        return self.revealed_at is not None

    def tally(self) -> list[dict[str, Any]]:
        counts = dict(self.votes.values_list("choice").annotate(n=models.Count("id")))
        total = sum(counts.values())
        return [{"choice": key, "label": label, "count": counts.get(key, 0),
                 "percent": round(100 * counts.get(key, 0) / total) if total else 0,
                 "is_answer": self.is_revealed and key == self.answer} for key, label in OUTCOMES]


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="votes")
    choice = models.CharField(max_length=8, choices=OUTCOMES)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "student"], name="classroom_one_vote_per_poll")]
