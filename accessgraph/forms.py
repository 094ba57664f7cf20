from __future__ import annotations

from typing import Any

from django import forms

from .layout import KIND_LABELS

STARTS = ("user", "role", "session", "saml-provider", "oidc-provider", "instance-profile", "service")


class GraphForm(forms.Form):
    """Where the walk starts and, optionally, where it must end: principals of this sandbox's graph only (an
    allow-list built from the graph, so another sandbox's ARN is refused like any unknown value)."""
    start = forms.ChoiceField(required=False, label="Start as")
    target = forms.ChoiceField(required=False, label="Reach",
                               help_text="Leave empty for the shortest path to an admin-equivalent principal.")

    def __init__(self, graph: dict[str, Any], accounts: dict[str, str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        principals = sorted((n for n in graph["nodes"] if n["kind"] in STARTS),
                            key=lambda n: (accounts.get(n["account"], n["account"]), n["kind"], n["name"]))
        choices = [(n["id"], f"{n['name']} ({KIND_LABELS[n['kind']]}, {accounts.get(n['account'], 'AWS')})")
                   for n in principals]
        self.fields["start"].choices = [("", "— the whole sandbox —")] + choices
        self.fields["target"].choices = [("", "an admin-equivalent principal")] + choices
