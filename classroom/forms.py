from __future__ import annotations

from django import forms

from securecart.joining import CODE_INPUT_MAX, NICKNAME_INPUT_MAX, normalize_code

from .models import OUTCOMES
from .services import CLASS_CLOCK_STEPS, ROSTER_SORTS


class OpenClassForm(forms.Form):
    title = forms.CharField(max_length=80, label="Class name", initial="SecureCart STS class")
    expected_students = forms.IntegerField(
        min_value=0, max_value=200, required=False, initial=40, label="Students expected",
        help_text="Their sandboxes are built now, in the background, so joining takes a ready one.")


class JoinClassForm(forms.Form):
    """A student joining: the code (normalised as live rooms' codes are: securecart.joining) and a nickname."""
    code = forms.CharField(max_length=CODE_INPUT_MAX * 2, label="Class code",
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off",
                                                         "spellcheck": "false"}))
    nickname = forms.CharField(max_length=NICKNAME_INPUT_MAX, label="Nickname",
                               widget=forms.TextInput(attrs={"autocomplete": "nickname"}))

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])


class StepForm(forms.Form):
    scenario = forms.SlugField(max_length=64)
    step = forms.SlugField(max_length=64)


class ClockForm(forms.Form):
    by = forms.ChoiceField(choices=[(k, k) for k in CLASS_CLOCK_STEPS])


class LockForm(forms.Form):
    scenario = forms.SlugField(max_length=64)
    locked = forms.BooleanField(required=False)


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=OUTCOMES)


class SwitchField(forms.ChoiceField):
    """A switch the class bar posts: "on", or left out (or empty) for off. Anything else is refused with a 400 that
    says so, where Django's BooleanField would read "banana" or "no" as on."""

    def __init__(self, name: str, on: str, off: str) -> None:
        super().__init__(required=False, choices=[("", "off"), ("on", "on")], error_messages={
            "invalid_choice": f"“{name}” is “on” ({on}) or left out ({off}), nothing else."})

    def clean(self, value: object) -> bool:
        return super().clean(value) == "on"


class FollowingForm(forms.Form):
    following = SwitchField("following", "follow the instructor", "explore on your own")


class PrepareForm(forms.Form):
    expected_students = forms.IntegerField(min_value=0, max_value=200, label="Students expected")


class CodeQueryForm(forms.Form):
    """?code= on the join page (from the instructor's QR code): only pre-fills the form."""
    code = forms.CharField(required=False, max_length=CODE_INPUT_MAX * 2)

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])


class BackForm(forms.Form):
    """`at`: the page a control or the class bar was used on (the view keeps it only when it is on this site)."""
    at = forms.CharField(required=False, strip=False)

    def clean_at(self) -> str:
        return self.cleaned_data["at"][:300]


class BarPollForm(BackForm):
    """The class bar's poll: the page it is on, the version of the bar it shows, and whether the page has unsaved
    edits (then follow-me asks before moving it: static/js/classroom.js sets `dirty`)."""
    v = forms.CharField(required=False, strip=False)   # classroom.bar's version: follow URL, poll, times...
    dirty = forms.BooleanField(required=False)

    def clean_v(self) -> str:
        return self.cleaned_data["v"][:2000]   # longer is no version the bar ever made: it renders afresh


class HandForm(forms.Form):
    """"I'm stuck": raised (on) or lowered (absent)."""
    raised = SwitchField("raised", "hand up", "hand down")


class RosterForm(forms.Form):
    sort = forms.ChoiceField(required=False, choices=[("", "")] + list(ROSTER_SORTS.items()))


class ReleaseForm(forms.Form):
    release = forms.BooleanField(required=False)


class EndClassForm(forms.Form):
    reopen = forms.BooleanField(required=False)
