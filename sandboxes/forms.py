"""Sandbox page input."""
from __future__ import annotations

from django import forms

CLOCK_MESSAGE = "Enter a whole number of minutes between 1 and 1440."


class ClockForm(forms.Form):
    """Move the sandbox clock forward by 1 minute to 24 hours."""

    minutes = forms.IntegerField(min_value=1, max_value=24 * 60, error_messages={
        "required": CLOCK_MESSAGE, "invalid": CLOCK_MESSAGE, "min_value": CLOCK_MESSAGE, "max_value": CLOCK_MESSAGE})


class BackForm(forms.Form):
    """`back`: the page a form came from (the view keeps it only when it is on this site)."""

    back = forms.CharField(required=False, max_length=2000)
