"""Quiz attempts (practice, timed exam) and live class rooms.

Questions live in code (quiz.bank); the database stores only ids, the learner's selections and timing, so the
bank can be edited without migrations. An attempt belongs to a browser through a random owner token kept in the
Django session (and to the user, when signed in).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class Attempt(models.Model):
    PRACTICE = "practice"
    EXAM = "exam"
    MODES = [(PRACTICE, "Practice"), (EXAM, "Timed exam")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_token = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    mode = models.CharField(max_length=16, choices=MODES)
    title = models.CharField(max_length=120)
    question_ids = models.JSONField(default=list)
    time_limit_seconds = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    timed_out = models.BooleanField(default=False)
    score = models.PositiveIntegerField(null=True, blank=True)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.id} ({len(self.question_ids)} questions)"

    @property
    def is_exam(self) -> bool:
        return self.mode == self.EXAM

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def total(self) -> int:
        return len(self.question_ids)

    def seconds_left(self, now: datetime | None = None) -> int | None:
        if self.deadline is None:
            return None
        remaining = (self.deadline - (now or timezone.now())).total_seconds()
        return max(0, int(remaining))

    def is_past_deadline(self, now: datetime | None = None) -> bool:
        return self.deadline is not None and (now or timezone.now()) >= self.deadline

    @property
    def percent(self) -> int | None:
        if self.score is None or not self.total:
            return None
        return round(100 * self.score / self.total)


class Answer(models.Model):
    """One question slot of an attempt (created with the attempt, so flags exist before answering)."""
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveIntegerField()
    question_id = models.CharField(max_length=64)
    selected = models.JSONField(default=list)
    flagged = models.BooleanField(default=False)
    correct = models.BooleanField(null=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="quiz_answer_unique_slot")]

    @property
    def is_answered(self) -> bool:
        return bool(self.selected)


class Room(models.Model):
    """A live class quiz: the host paces the questions, players answer from their phones."""
    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    FINISHED = "finished"
    STATES = [(LOBBY, "Waiting for players"), (QUESTION, "Question open"), (REVEAL, "Answer revealed"),
              (FINISHED, "Finished")]

    code = models.CharField(max_length=8, unique=True)
    host_token = models.CharField(max_length=64)
    title = models.CharField(max_length=120)
    question_ids = models.JSONField(default=list)
    state = models.CharField(max_length=16, choices=STATES, default=LOBBY)
    current = models.IntegerField(default=-1)  # index into question_ids; -1 in the lobby
    question_opened_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)  # bumped on every host action; players poll for changes
    created_at = models.DateTimeField(default=timezone.now)

    # Rooms are for one lesson; after this they no longer accept players or actions.
    LIFETIME = timedelta(hours=12)

    def __str__(self) -> str:
        return f"Room {self.code} ({self.state})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() - self.created_at > self.LIFETIME

    @property
    def current_question_id(self) -> str | None:
        if 0 <= self.current < len(self.question_ids):
            return self.question_ids[self.current]
        return None


class Player(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="players")
    nickname = models.CharField(max_length=24)
    token = models.CharField(max_length=64, db_index=True)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at"]
        constraints = [models.UniqueConstraint(fields=["room", "nickname"], name="quiz_player_unique_nickname")]

    def __str__(self) -> str:
        return self.nickname


class LiveAnswer(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="live_answers")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="answers")
    index = models.PositiveIntegerField()
    selected = models.JSONField(default=list)
    correct = models.BooleanField(default=False)
    seconds = models.FloatField(default=0.0)  # time from question opening to answer, for the tie-break

    class Meta:
        constraints = [models.UniqueConstraint(fields=["player", "index"], name="quiz_liveanswer_one_per_question")]
