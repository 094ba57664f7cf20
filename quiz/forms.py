"""Quiz input read by the views: starting an attempt, answering, reviewing, the live room (the class app opens its
quiz with the same CreateRoomForm). Fields that only pick how a page is shown (a filter, a poll's version) are
lenient: a view reads a bad value as the default."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

from securecart.joining import CODE_INPUT_MAX, NICKNAME_INPUT_MAX, normalize_code

from . import generator, services
from .bank import DIFFICULTIES, DOMAINS
from .models import Attempt
from .services import QuizError, pick_question_ids

MAX_CHOICES_POSTED = 6


class StartForm(forms.Form):
    mode = forms.ChoiceField(choices=Attempt.MODES, widget=forms.RadioSelect)
    count = forms.IntegerField(min_value=services.EXAM_MIN_QUESTIONS, max_value=services.EXAM_MAX_QUESTIONS,
                               initial=10, label="Number of questions")
    minutes = forms.IntegerField(min_value=services.EXAM_MIN_MINUTES, max_value=services.EXAM_MAX_MINUTES,
                                 required=False, initial=20, label="Time limit (minutes)")
    domains = forms.MultipleChoiceField(choices=list(DOMAINS.items()), required=False,
                                        widget=forms.CheckboxSelectMultiple, label="Topics")
    difficulties = forms.MultipleChoiceField(choices=list(DIFFICULTIES.items()), required=False,
                                             widget=forms.CheckboxSelectMultiple, label="Difficulty")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == Attempt.EXAM and not data.get("minutes"):
            self.add_error("minutes", "A timed exam needs a time limit between 1 and 180 minutes.")
        return data


PATHS_LEVEL = "paths"      # quiz/paths.py: "which path leads to admin?" from a seeded access graph


class GeneratedForm(forms.Form):
    difficulty = forms.ChoiceField(choices=list(DIFFICULTIES.items()) + [(PATHS_LEVEL, "Which path leads to admin?")],
                                   widget=forms.RadioSelect, initial="medium")
    count = forms.IntegerField(min_value=1, max_value=30, initial=5, label="How many to generate")
    seed = forms.IntegerField(min_value=0, max_value=generator.MAX_SEED, required=False,
                              label="Seed (optional, to replay a question)")


class ListField(forms.Field):
    """Every value posted under the name (checkboxes), as strings, at most `limit` + 1 of them: one more than allowed
    is kept so the question's own check refuses it with its clear message."""

    widget = forms.MultipleHiddenInput

    def __init__(self, limit: int = MAX_CHOICES_POSTED, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.limit = limit

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in (value or [])][:self.limit + 1]


ANSWER_BUTTONS = ("stay", "next", "prev", "flag", "clear", "finish", "timeout")


class AnswerForm(forms.Form):
    """A question's form: the choices ticked and the button pressed (`go`: stay, next, prev, a number, flag,
    clear, finish, timeout; quiz.js sends timeout when an exam's time runs out). None pressed is "stay"."""
    choice = ListField()
    go = forms.CharField(required=False, max_length=16, error_messages={
        "max_length": "The button pressed is not one this page has.",
        "null_characters_not_allowed": "The button pressed is not one this page has."})

    def __init__(self, *args: Any, questions: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions   # the attempt's number of questions: the navigator's buttons are 1 to this

    def clean_go(self) -> str:
        go = self.cleaned_data["go"] or "stay"
        # an allow-list: one of the page's buttons, or a question number the navigator shows
        if go in ANSWER_BUTTONS:
            return go
        if go.isascii() and go.isdigit() and 1 <= int(go) <= self.questions:
            return str(int(go))
        if go.isascii() and go.isdigit():
            raise forms.ValidationError(f"This attempt has questions 1 to {self.questions}; there is no question "
                                        f"{int(go)}.")
        raise forms.ValidationError("The button pressed is not one this page has.")

    def button_problem(self) -> str:
        """Why the button pressed was refused, or "" (the choices never are: the question checks them)."""
        return self.errors["go"][0] if not self.is_valid() else ""


class TopicForm(forms.Form):
    topic = forms.CharField(required=False, max_length=64)


class ReviewFilterForm(forms.Form):
    only = forms.ChoiceField(required=False, choices=[("", "all"), ("wrong", "wrong"), ("flagged", "flagged")])


class CodeQueryForm(forms.Form):
    """?code= on the live-quiz page (from the projector's QR code): only pre-fills the join form."""
    code = forms.CharField(required=False, max_length=CODE_INPUT_MAX * 2)

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])


class CreateRoomForm(forms.Form):
    """Opening a live room (the quiz's own "Host a class quiz" and a class's quiz alike): its questions are drawn
    in clean(), so a filter that matches too few questions is a form error, not an empty room."""
    title = forms.CharField(max_length=80, required=False, label="Room title (optional)")
    count = forms.IntegerField(min_value=1, max_value=30, initial=8, label="Number of questions")
    seconds_per_question = forms.IntegerField(min_value=5, max_value=240, initial=30, required=False,
                                              label="Seconds per question")
    domains = forms.MultipleChoiceField(choices=list(DOMAINS.items()), required=False,
                                        widget=forms.CheckboxSelectMultiple, label="Topics")

    def clean_seconds_per_question(self) -> int:
        return self.cleaned_data.get("seconds_per_question") or 30

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "count" in data and not self.errors:
            try:
                data["question_ids"] = pick_question_ids(count=data["count"], domains=data.get("domains") or ())
            except QuizError as error:
                self.add_error(None, str(error))
        return data


class JoinForm(forms.Form):
    """A player joining a live room: the code on the instructor's screen and a nickname (checked by Room.join)."""
    code = forms.CharField(max_length=CODE_INPUT_MAX * 2, label="Room code")
    nickname = forms.CharField(max_length=NICKNAME_INPUT_MAX, label="Nickname")

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])


class PollVersionForm(forms.Form):
    """A poll's "what I show": the room's version (host, `v`) or the player's state key (`s`); `screen`: the
    projector view asks (it shows no names of players who have not answered)."""
    v = forms.CharField(required=False, max_length=64)
    s = forms.CharField(required=False, max_length=64)
    screen = forms.BooleanField(required=False)


class HostActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("start", "reveal", "next", "finish")])
    confirm = forms.CharField(required=False, max_length=8)


class PlayAnswerForm(forms.Form):
    index = forms.CharField(max_length=8)
    choice = ListField()


class CohostForm(forms.Form):
    t = forms.CharField(required=False, max_length=64)


class ReportForm(forms.Form):
    """"Report this question": why, an optional note (required for "something else"), and where the learner was."""
    reason = forms.ChoiceField(choices=[], label="What is wrong?")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Your note (optional)",
                           help_text="What you expected, and why. The operator reads every report.")
    attempt = forms.UUIDField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .models import QuestionReport

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = QuestionReport.REASONS
        self.fields["note"].max_length = QuestionReport.NOTE_MAX
        self.fields["note"].validators.append(MaxLengthValidator(QuestionReport.NOTE_MAX))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            self.add_error("note", "Say what is wrong: the operator cannot guess \u201csomething else\u201d.")
        return data
