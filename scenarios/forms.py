"""The scenario player's input: every POST field a view reads goes through one of these forms."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

MAX_POLICY_CHARS = 10_240  # IAM's trust policy quota is 2048 (4096 adjustable); this only guards the server
FAST_FORWARD = {"5m": 300, "15m": 900}
EXPIRY_PREFIX = "expiry:"


class RunForm(forms.Form):
    """Run the step, or one of its what-ifs (`variant`, a what-if's slug). Anything that is no slug (a NUL, control
    characters, spaces, more than 64 characters) is invalid: the view answers 400; an unknown slug is a 404."""

    variant = forms.SlugField(required=False, max_length=64)


class FastForwardForm(forms.Form):
    """`by`: +5m, +15m, or `expiry:<session>` (to one second past that session's expiry)."""

    by = forms.CharField(strip=False, error_messages={"required": "Choose +5 min, +15 min or “to expiry”."})

    def clean_by(self) -> str:
        amount = self.cleaned_data["by"]
        if amount not in FAST_FORWARD and not amount.startswith(EXPIRY_PREFIX):
            raise forms.ValidationError("Choose +5 min, +15 min or “to expiry”.")
        return amount

    @property
    def seconds(self) -> int | None:
        """The fixed step, or None for "to expiry"."""
        return FAST_FORWARD.get(self.cleaned_data["by"])

    @property
    def session(self) -> str:
        return self.cleaned_data["by"].removeprefix(EXPIRY_PREFIX)[:64]


def trust_policy_problem(text: str) -> dict[str, Any] | None:
    """What the editor shows for a trust policy that cannot be saved (message, line, column), or None."""
    from engine.errors import MalformedPolicyDocument
    from engine.policy import parse_policy

    if not text.strip():
        return {"message": "The policy is empty. Paste or write a JSON trust policy.", "line": None, "column": None}
    if len(text) > MAX_POLICY_CHARS:
        return {"message": f"The policy is {len(text)} characters long; the editor accepts up to "
                           f"{MAX_POLICY_CHARS} (IAM's own quota for trust policies is 2048).",
                "line": None, "column": None}
    try:
        parse_policy(text, kind="trust")
    except MalformedPolicyDocument as error:
        return {"message": error.message, "line": error.line, "column": error.column, "path": error.path}
    return None


def trust_policy_advice(text: str) -> list[str]:
    """What the editor adds under a trust policy that parses: IAM Access Analyzer's errors and security warnings
    (engine.policy.advice.editor_notes: "Invalid action ... Did you mean ...?", a role anyone may assume, an OIDC
    provider without a condition...) and the parser's warnings. IAM saves the policy
    either way; these say what parts of it match nothing. A document that does not parse gets its error instead."""
    from engine.errors import MalformedPolicyDocument
    from engine.policy import parse_policy
    from engine.policy.advice import editor_notes

    if not text or len(text) > MAX_POLICY_CHARS:
        return []
    try:
        document = parse_policy(text, kind="trust")
    except MalformedPolicyDocument:
        return []
    return editor_notes(document)


class PolicyTextField(forms.CharField):
    """The document exactly as typed: not stripped, and null characters left for the policy parser to explain
    (CharField would refuse them with its own message before the editor's check runs)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strip=False, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class TrustPolicyForm(forms.Form):
    """The editor's document. An invalid one has a `problem` (with the line and column) for the editor."""

    document = PolicyTextField(required=False)
    _problem: dict[str, Any] | None = None

    def clean_document(self) -> str:
        text = self.cleaned_data["document"]
        self._problem = trust_policy_problem(text)
        if self._problem is not None:
            raise forms.ValidationError(self._problem["message"])
        return text

    @property
    def text(self) -> str:
        return str(self["document"].value() or "")

    @property
    def problem(self) -> dict[str, Any] | None:
        if self.is_valid():
            return None
        return self._problem or {"message": " ".join(self.errors.get("document", ["The policy cannot be read."])),
                                 "line": None, "column": None}
