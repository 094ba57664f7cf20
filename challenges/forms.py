from __future__ import annotations

import json
import re
import shlex

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
    """A challenge's report (defenders, false-positive cases): a text field, or a choice, per answer of its file."""

    def __init__(self, challenge: Challenge, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for answer in challenge.answers:
            if answer.choices:
                self.fields[answer.name] = forms.ChoiceField(label=answer.label, help_text=answer.help,
                                                             choices=[("", "choose…"), *answer.choices])
            else:
                self.fields[answer.name] = forms.CharField(label=answer.label, max_length=200, help_text=answer.help,
                                                           strip=True)


class PolicyEditorForm(forms.Form):
    """The multi-line policy editor: which IAM command writes the document, to which entity, and the document. The
    engine parses it before anything runs (MalformedPolicyDocument with line and column); Apply then runs the
    command through the console, as if typed, with the credentials chosen there."""

    TARGETS = [("trust", "trust policy of role (update-assume-role-policy)"),
               ("role-policy", "inline policy of role (put-role-policy)"),
               ("user-policy", "inline policy of user (put-user-policy)"),
               ("group-policy", "inline policy of group (put-group-policy)"),
               ("policy-version", "new default version of managed policy (create-policy-version)"),
               ("new-policy", "new managed policy (create-policy)")]
    NAME = r"^[A-Za-z0-9+=,.@_-]{1,128}$"
    POLICY_ARN = r"^arn:aws:iam::\d{12}:policy/[A-Za-z0-9+=,.@_/-]{1,128}$"

    target = forms.ChoiceField(label="Apply as", choices=TARGETS)
    name = forms.CharField(label="Role, user, group or policy ARN", max_length=300, strip=True, required=False)
    policy_name = forms.RegexField(label="Policy name", regex=NAME, max_length=128, required=False, strip=True,
                                   help_text="for an inline policy, or a new managed policy")
    document = forms.CharField(label="Policy document (JSON)", max_length=10_240, strip=False,
                               widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "autocapitalize": "off",
                                                            "autocomplete": "off", "data-policy-editor": ""}))

    def clean_document(self) -> str:
        from engine.policy import parse_policy
        from engine.policy.document import PolicyError

        text = self.cleaned_data["document"]
        kind = "trust" if self.data.get("target") == "trust" else "identity"
        try:
            parse_policy(text, kind=kind)
        except PolicyError as error:
            self.error_position = (error.line, error.column)
            where = f"line {error.line}, column {error.column}: " if error.line else ""
            raise forms.ValidationError(f"{where}{error.aws_message} {error.detail}".strip()) from None
        return text

    def clean(self) -> dict:
        data = super().clean()
        target, name = data.get("target"), data.get("name", "")
        if target != "new-policy" and not name:
            self.add_error("name", "name the role, user, group or policy the document is for")
        elif target == "policy-version" and not re.fullmatch(self.POLICY_ARN, name):
            self.add_error("name", "a managed policy's ARN: arn:aws:iam::ACCOUNT:policy/NAME")
        elif target not in ("policy-version", "new-policy") and not re.fullmatch(self.NAME, name):
            self.add_error("name", "an IAM name: letters, digits and +=,.@_-")
        if target in ("role-policy", "user-policy", "group-policy", "new-policy") and not data.get("policy_name"):
            self.add_error("policy_name", "this command needs a policy name")
        return data

    def command(self) -> str:
        """The AWS CLI command Apply runs (the document as one line, as one would paste it)."""
        data = self.cleaned_data
        document = json.dumps(json.loads(data["document"]), separators=(",", ":"))
        name, policy = data["name"], data.get("policy_name", "")
        argv = {"trust": ["update-assume-role-policy", "--role-name", name],
                "role-policy": ["put-role-policy", "--role-name", name, "--policy-name", policy],
                "user-policy": ["put-user-policy", "--user-name", name, "--policy-name", policy],
                "group-policy": ["put-group-policy", "--group-name", name, "--policy-name", policy],
                "policy-version": ["create-policy-version", "--policy-arn", name, "--set-as-default"],
                "new-policy": ["create-policy", "--policy-name", policy]}[data["target"]]
        return shlex.join(["aws", "iam", *argv, "--policy-document", document])
