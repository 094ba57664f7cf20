from __future__ import annotations

from django import forms

from .models import OUTCOMES
from .services import CLASS_CLOCK_STEPS


class OpenClassForm(forms.Form):
    title = forms.CharField(max_length=80, label="Class name", initial="SecureCart STS class")
    expected_students = forms.IntegerField(
        min_value=0, max_value=200, required=False, initial=40, label="Students expected",
        help_text="Their sandboxes are built now, in the background, so joining takes a ready one.")


class JoinClassForm(forms.Form):
    code = forms.CharField(max_length=16, label="Class code",
                           widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}))
    nickname = forms.CharField(max_length=64, label="Nickname",
                               widget=forms.TextInput(attrs={"autocomplete": "nickname"}))


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


class FollowingForm(forms.Form):
    following = forms.BooleanField(required=False)


class PrepareForm(forms.Form):
    expected_students = forms.IntegerField(min_value=0, max_value=200, label="Students expected")


class CodeQueryForm(forms.Form):
    """?code= on the join page (from the instructor's QR code): only pre-fills the form."""
    code = forms.CharField(required=False)


class BackForm(forms.Form):
    """`at`: the page a control or the class bar was used on (the view keeps it only when it is on this site)."""
    at = forms.CharField(required=False, strip=False)

    def clean_at(self) -> str:
        return self.cleaned_data["at"][:300]


class BarPollForm(BackForm):
    """The class bar's poll: the page it is on and the version of the bar it shows."""
    v = forms.CharField(required=False, max_length=64)


class ReleaseForm(forms.Form):
    release = forms.BooleanField(required=False)


class EndClassForm(forms.Form):
    reopen = forms.BooleanField(required=False)
