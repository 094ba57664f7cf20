from __future__ import annotations

from django import forms

from . import console
from .catalog import Challenge


class ConsoleForm(forms.Form):
    command = forms.CharField(max_length=console.MAX_COMMAND_CHARS, strip=True,
                              error_messages={"required": "type an AWS CLI command, for example: "
                                                          "aws sts get-caller-identity"})
    identity = forms.CharField(max_length=200)
    access_key_id = forms.CharField(max_length=128, required=False, strip=True)
    secret_access_key = forms.CharField(max_length=128, required=False, strip=True)
    session_token = forms.CharField(max_length=4096, required=False, strip=True)
    challenge = forms.SlugField(max_length=64, required=False)

    def clean_command(self) -> str:
        command = self.cleaned_data["command"]
        if any(ord(c) < 32 or ord(c) == 127 for c in command):
            raise forms.ValidationError("the command is one line of text: no line breaks, tabs or control "
                                        "characters")
        return command

    def shown(self, name: str) -> str:
        """A field as typed, cut to its maximum length: what the page shows back, valid or not."""
        value = self[name].value()
        return str(value or "")[:self.fields[name].max_length]


class ConsolePrefillForm(forms.Form):
    """?command=...&identity=...: a command to put in the console's line, not run (the access graph's replay
    links). The identity is used only when it is one the console offers."""
    command = forms.CharField(max_length=console.MAX_COMMAND_CHARS, required=False, strip=True)
    identity = forms.CharField(max_length=200, required=False)

    clean_command = ConsoleForm.clean_command


class AnswersForm(forms.Form):
    """A defender challenge's report: one text field per AnswerField of the challenge."""

    def __init__(self, challenge: Challenge, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for answer in challenge.answers:
            self.fields[answer.name] = forms.CharField(label=answer.label, max_length=200, help_text=answer.help,
                                                       strip=True)
