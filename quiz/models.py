"""Quiz attempts (practice, timed exam) and live class rooms.

Questions live in code (quiz.bank); the database stores only ids, the learner's selections and timing, so the
bank can be edited without migrations. An attempt belongs to a browser through a random owner token kept in the
Django session (and to the user, when signed in).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from securecart.joining import NicknameError, clean_nickname, new_code, nickname_taken

from .bank import InvalidAnswer, get_question


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
    # Time on this question, measured by the server: from the moment the question is shown until the learner
    # answers or moves to another question (services.start_viewing / stop_viewing). viewed_at is set while the
    # question is on screen.
    seconds_spent = models.FloatField(default=0.0)
    viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="quiz_answer_unique_slot")]

    @property
    def is_answered(self) -> bool:
        return bool(self.selected)

    # One visit counts at most this long: a question left open in a forgotten tab is not an hour of thinking.
    # The lab's choice; exams also stop counting at their deadline.
    MAX_VISIT = timedelta(minutes=15)

    def visit_seconds(self, now: datetime, deadline: datetime | None = None) -> float:
        """Seconds of the visit in progress (0 when the question is not on screen)."""
        if self.viewed_at is None:
            return 0.0
        end = min(now, deadline) if deadline is not None else now
        return max(0.0, min((end - self.viewed_at).total_seconds(), self.MAX_VISIT.total_seconds()))


class RoomError(Exception):
    """Something a room cannot do, with a message for the person who asked. `field`: the join form's field it is
    about ("code", "nickname" or None); `status`: the HTTP status a page answers with (404 for a code that names no
    open room: the join throttle counts those as guesses)."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 409) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class Room(models.Model):
    """A live class quiz: the host paces the questions, players answer from their phones.

    The room's rules live here (healthchecks' habit: behaviour on the models), for the quiz app's own rooms and a
    class's quiz alike: `Room.open` makes one, `join` seats a player, `advance` is the host's state machine
    (lobby -> question -> reveal -> question ... -> finished), `answer` scores a player's answer and
    `reveal_if_due` reveals a question once its timer ran out or everyone answered.
    """
    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    FINISHED = "finished"
    STATES = [(LOBBY, "Waiting for players"), (QUESTION, "Question open"), (REVEAL, "Answer revealed"),
              (FINISHED, "Finished")]
    # What the host may do in each state (Room.advance).
    TRANSITIONS = {
        "start": (LOBBY,),
        "reveal": (QUESTION,),
        "next": (REVEAL,),
        "finish": (LOBBY, QUESTION, REVEAL),
    }
    MAX_PLAYERS = 200
    MAX_QUESTIONS = 30
    DEFAULT_TITLE = "SecureCart STS class quiz"

    code = models.CharField(max_length=8, unique=True)
    host_token = models.CharField(max_length=64)
    # A signed-in instructor who opens a room can host it from any browser; co-hosts join with the invite token.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="hosted_rooms")
    cohosts = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="cohosted_rooms")
    cohost_token = models.CharField(max_length=64, blank=True, default="")
    seconds_per_question = models.PositiveSmallIntegerField(default=30)
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

    @classmethod
    def open(cls, *, question_ids: Iterable[str], seconds_per_question: int, title: str = "",
             owner=None) -> "Room":
        """A new room in the lobby with a fresh join code, host token and co-host invite token. `owner`: the
        signed-in user who opened it (they can host it from any browser)."""
        return cls.objects.create(
            code=new_code(lambda code: cls.objects.filter(code=code).exists()),
            host_token=secrets.token_urlsafe(24), cohost_token=secrets.token_urlsafe(24),
            question_ids=list(question_ids), seconds_per_question=seconds_per_question,
            title=" ".join(str(title or "").split())[:120] or cls.DEFAULT_TITLE,
            owner=owner if owner is not None and owner.is_authenticated else None)

    @property
    def is_expired(self) -> bool:
        return timezone.now() - self.created_at > self.LIFETIME

    @property
    def joining_open(self) -> bool:
        """Players may still join (late joiners answer the remaining questions): the join code and QR are shown."""
        return self.state != self.FINISHED and not self.is_expired

    @property
    def split_visible(self) -> bool:
        """Whether the answer split (how many chose each option) may be shown: only once the question is revealed,
        so nobody copies the crowd while it is open."""
        return self.state in (self.REVEAL, self.FINISHED)

    @property
    def questions_played(self) -> int:
        """How many questions the room has reached (asked so far)."""
        return max(0, min(len(self.question_ids), self.current + 1))

    @property
    def current_question_id(self) -> str | None:
        if 0 <= self.current < len(self.question_ids):
            return self.question_ids[self.current]
        return None

    @property
    def question_deadline(self) -> datetime | None:
        if self.state != self.QUESTION or self.question_opened_at is None:
            return None
        return self.question_opened_at + timedelta(seconds=self.seconds_per_question)

    def seconds_left(self, now: datetime | None = None) -> int | None:
        deadline = self.question_deadline
        if deadline is None:
            return None
        return max(0, int(round((deadline - (now or timezone.now())).total_seconds())))

    def is_hosted_by(self, user) -> bool:
        """A signed-in owner or co-host (the browser that opened the room is checked by its session token)."""
        if user is None or not user.is_authenticated:
            return False
        return self.owner_id == user.pk or self.cohosts.filter(pk=user.pk).exists()

    def unanswered_players(self) -> list["Player"]:
        if self.current < 0:
            return []
        return list(self.players.exclude(answers__index=self.current))

    # ---- the host's state machine -----------------------------------------------------------------------------
    def advance(self, action: str, now: datetime | None = None) -> None:
        """The host's action: start (lobby -> first question), reveal (question -> its answer), next (answer ->
        next question, or finished after the last), finish (anything -> finished). Raises RoomError when the
        action is unknown or not possible in the room's state; this object is the room afterwards."""
        with transaction.atomic():
            room = Room.objects.select_for_update().get(pk=self.pk)
            if action not in self.TRANSITIONS:
                raise RoomError("Unknown action.")
            if room.state not in self.TRANSITIONS[action]:
                raise RoomError(f"“{action}” is not possible while the room is in the state "
                                f"“{room.get_state_display()}”.")
            if room.is_expired:
                raise RoomError("This room has expired; open a new one.")
            if action == "start" or (action == "next" and room.current + 1 < len(room.question_ids)):
                room.current += 1
                room.state = Room.QUESTION
                room.question_opened_at = now or timezone.now()
            elif action == "reveal":
                room.state = Room.REVEAL
            else:  # finish, or next after the last question
                room.state = Room.FINISHED
            room.version += 1
            room.save()
        self.refresh_from_db()

    def reveal_if_due(self, now: datetime | None = None) -> bool:
        """Open question -> revealed, once its timer ran out or every player has answered (as Kahoot does).

        Called on every poll and answer, so no background worker is needed; True if this call revealed it.
        """
        if self.state != self.QUESTION:
            return False
        now = now or timezone.now()
        players = self.players.count()
        answered = self.live_answers.filter(index=self.current).count()
        time_up = self.question_deadline is not None and now >= self.question_deadline
        if not (time_up or (players and answered >= players)):
            return False
        updated = Room.objects.filter(pk=self.pk, state=self.QUESTION, current=self.current).update(
            state=self.REVEAL, version=models.F("version") + 1)
        self.refresh_from_db()
        return bool(updated)

    # ---- players ------------------------------------------------------------------------------------------------
    def join(self, nickname: str, *, identity: str = "") -> "Player":
        """Seat a player. `identity`: who they are outside the room (a class's student), so joining again from
        another device is the same player and exports match people, not nicknames. Raises RoomError.

        Nicknames are normalised and refused when they look like one already playing (securecart.joining). Joins
        to one room take turns (the room's row is locked first), so two phones cannot slip in look-alike names
        at the same moment.
        """
        if self.is_expired:
            raise RoomError("No open room has that code. Check the code on the instructor's screen.", field="code",
                            status=404)
        if self.state == self.FINISHED:
            raise RoomError("That quiz has already finished.", field="code")
        try:
            nickname = clean_nickname(nickname)
        except NicknameError as error:
            raise RoomError(str(error), field="nickname", status=400) from None
        with transaction.atomic():
            Room.objects.select_for_update().filter(pk=self.pk).exists()  # lock: one join at a time per room
            if identity:
                known = self.players.filter(identity=identity).first()
                if known is not None:
                    return known
            names = list(self.players.values_list("nickname", flat=True))
            if len(names) >= self.MAX_PLAYERS:
                raise RoomError(f"This room is full ({self.MAX_PLAYERS} players).", field="code")
            taken = nickname_taken(nickname, names, "this room")
            if taken is not None:
                raise RoomError(taken, field="nickname")
            try:
                with transaction.atomic():
                    return Player.objects.create(room=self, nickname=nickname, token=secrets.token_urlsafe(24),
                                                 identity=identity)
            except IntegrityError:  # the database's own guard, should the lock not hold (another backend)
                raise RoomError(nickname_taken(nickname, [nickname], "this room") or "", field="nickname") from None

    def answer(self, player: "Player", choice: Iterable[str], index: str,
               now: datetime | None = None) -> "LiveAnswer":
        """Score `player`'s answer to the open question (`index`: the question the phone showed). Raises RoomError
        when the question is closed or the answer is not one it accepts; reveals the question when this was the
        last player to answer."""
        self.reveal_if_due(now)  # an answer after the timer ran out does not count
        question = get_question(self.current_question_id or "")
        if self.state != self.QUESTION or question is None or index != str(self.current):
            raise RoomError("That question is closed; here is where the class is now.")
        try:
            selected = question.clean_selection(choice)
        except InvalidAnswer as error:
            raise RoomError(str(error), status=400) from None
        now = now or timezone.now()
        seconds = (now - self.question_opened_at).total_seconds() if self.question_opened_at else 0.0
        previous = player.answers.filter(index=self.current - 1).first()
        correct = question.is_correct(selected)
        points, streak = LiveAnswer.score(correct=correct, seconds=seconds, limit=self.seconds_per_question,
                                          previous_streak=previous.streak if previous else 0)
        try:
            with transaction.atomic():
                answer = LiveAnswer.objects.create(room=self, player=player, index=self.current, selected=selected,
                                                   correct=correct, seconds=max(0.0, seconds), points=points,
                                                   streak=streak)
        except IntegrityError:
            raise RoomError("You already answered this question.") from None
        self.reveal_if_due()  # the last player to answer reveals it for everyone
        return answer

    def player_scores(self) -> list["PlayerScore"]:
        """Every player's total, ranked: points (correctness and speed) first; equal points share a rank
        (1, 2, 2, 4). The model-level result other apps (classroom exports) read."""
        totals: dict[int, PlayerScore] = {
            p.pk: PlayerScore(player_id=p.pk, nickname=p.nickname, joined_at=p.joined_at, identity=p.identity)
            for p in self.players.all()}
        for answer in self.live_answers.order_by("index"):
            row = totals.get(answer.player_id)
            if row is None:
                continue
            row.points += answer.points
            row.answered += 1
            row.correct += answer.correct
            row.best_streak = max(row.best_streak, answer.streak)
            row.by_question[answer.index] = answer
        rows = sorted(totals.values(), key=lambda r: (-r.points, r.nickname.lower()))
        for position, row in enumerate(rows, start=1):
            previous = rows[position - 2] if position > 1 else None
            row.rank = previous.rank if previous and previous.points == row.points else position
        return rows


@dataclass
class PlayerScore:
    player_id: int
    nickname: str
    joined_at: datetime
    identity: str = ""
    points: int = 0
    correct: int = 0
    answered: int = 0
    best_streak: int = 0
    rank: int = 0
    by_question: dict[int, "LiveAnswer"] = field(default_factory=dict)


class Player(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="players")
    nickname = models.CharField(max_length=24)
    token = models.CharField(max_length=64, db_index=True)
    joined_at = models.DateTimeField(default=timezone.now)
    # Who the player is outside the room, when another app seated them (a class's student: "class-student:<id>"),
    # so exports match people rather than nicknames; blank for players who joined with the code.
    identity = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["joined_at"]
        constraints = [models.UniqueConstraint(fields=["room", "nickname"], name="quiz_player_unique_nickname"),
                       models.UniqueConstraint(fields=["room", "identity"], condition=~models.Q(identity=""),
                                               name="quiz_player_one_seat_per_identity")]

    def __str__(self) -> str:
        return self.nickname


class LiveAnswer(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="live_answers")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="answers")
    index = models.PositiveIntegerField()
    selected = models.JSONField(default=list)
    correct = models.BooleanField(default=False)
    seconds = models.FloatField(default=0.0)  # time from question opening to answer
    points = models.PositiveIntegerField(default=0)
    streak = models.PositiveIntegerField(default=0)  # consecutive right answers ending with this one

    # Points as Kahoot! scores them: a right answer earns up to 1000, less the slower it comes (half at the
    # buzzer), plus a streak bonus of 100 per consecutive right answer after the first, at most 500. The
    # lab's choice of numbers; a wrong or missing answer earns 0 and ends the streak.
    MAX_POINTS = 1000
    STREAK_STEP, STREAK_CAP = 100, 500

    @classmethod
    def score(cls, *, correct: bool, seconds: float, limit: int, previous_streak: int) -> tuple[int, int]:
        """(points, streak) for one answer."""
        if not correct:
            return 0, 0
        fraction = min(max(seconds, 0.0), float(limit)) / float(limit) if limit else 0.0
        base = round(cls.MAX_POINTS * (1 - fraction / 2))
        streak = previous_streak + 1
        return base + min(cls.STREAK_STEP * (streak - 1), cls.STREAK_CAP), streak

    class Meta:
        constraints = [models.UniqueConstraint(fields=["player", "index"], name="quiz_liveanswer_one_per_question")]


def owner_key_for(user, token: str) -> str:
    """Whose review schedule: the signed-in user's, else this browser's (the quiz owner token)."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"u{user.pk}"
    return f"t{token}"


class QuestionReport(models.Model):
    """A learner's report that a question is wrong or unclear, with their note; the operator lists and resolves them
    (/quiz/reports/, manage.py quizbank --reports). One open report per learner and question: reporting again
    updates it."""
    WRONG_KEY = "wrong-key"
    UNCLEAR = "unclear"
    OUTDATED = "outdated"
    TYPO = "typo"
    OTHER = "other"
    REASONS = [(WRONG_KEY, "The marked answer is wrong"), (UNCLEAR, "The question or an option is unclear"),
               (OUTDATED, "AWS has changed since this was written"), (TYPO, "A typo or broken formatting"),
               (OTHER, "Something else")]
    NOTE_MAX = 1000
    # At most this many reports per learner per day: a stranger cannot flood the operator's list.
    DAILY_LIMIT = 30

    question_id = models.CharField(max_length=64, db_index=True)
    reason = models.CharField(max_length=16, choices=REASONS)
    note = models.TextField(blank=True, max_length=NOTE_MAX)
    owner_key = models.CharField(max_length=80, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.get_reason_display()}"


class ReviewCard(models.Model):
    """One question in a learner's spaced-review deck, scheduled by FSRS (the `fsrs` package).

    A card is made when a question is missed or flagged; every later answer to it is a review (wrong: Again,
    right but flagged: Hard, right: Good). `fsrs_card` is fsrs.Card.to_dict(); `due` mirrors its due date so the
    "due today" queue is one indexed query.
    """
    owner_key = models.CharField(max_length=80, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    question_id = models.CharField(max_length=64)
    fsrs_card = models.JSONField(default=dict)
    due = models.DateTimeField(db_index=True)
    flagged = models.BooleanField(default=False)
    lapses = models.PositiveIntegerField(default=0)
    reviews = models.PositiveIntegerField(default=0)
    last_correct = models.BooleanField(null=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due"]
        constraints = [models.UniqueConstraint(fields=["owner_key", "question_id"], name="quiz_reviewcard_one_per_q")]

    def __str__(self) -> str:
        return f"{self.question_id} due {self.due:%Y-%m-%d %H:%M}"
