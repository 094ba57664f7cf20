"""Quiz input read by the views (the start forms live beside their views). Fields that only pick how a page is
shown (a filter, a poll's version) are lenient: a bad value is the default, read as
`form.is_valid(); form.cleaned_data.get(name, default)` (Django keeps the fields that did validate)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

MAX_CHOICES_POSTED = 6


class ListField(forms.Field):
    """Every value posted under the name (checkboxes), as strings, at most `limit` + 1 of them: one more than allowed
    is kept so the question's own check refuses it with its clear message."""

    widget = forms.MultipleHiddenInput

    def __init__(self, limit: int = MAX_CHOICES_POSTED, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.limit = limit

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in (value or [])][:self.limit + 1]


class AnswerForm(forms.Form):
    """A question's form: the choices ticked and the button pressed (`go`: stay, next, prev, a number, flag,
    clear, finish, timeout)."""
    choice = ListField()
    go = forms.CharField(required=False, max_length=16)

    def clean_go(self) -> str:
        return self.cleaned_data["go"] or "stay"


class TopicForm(forms.Form):
    topic = forms.CharField(required=False, max_length=64)


class ReviewFilterForm(forms.Form):
    only = forms.ChoiceField(required=False, choices=[("", "all"), ("wrong", "wrong"), ("flagged", "flagged")])


class CodeQueryForm(forms.Form):
    """?code= on the live-quiz page (from the projector's QR code): only pre-fills the join form."""
    code = forms.CharField(required=False, max_length=32)


class PollVersionForm(forms.Form):
    """A poll's "what I show": the room's version (host, `v`) or the player's state key (`s`)."""
    v = forms.CharField(required=False, max_length=64)
    s = forms.CharField(required=False, max_length=64)


class HostActionForm(forms.Form):
    action = forms.CharField(required=False, max_length=16)
    confirm = forms.CharField(required=False, max_length=8)


class PlayAnswerForm(forms.Form):
    index = forms.CharField(required=False, max_length=8)
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
