"""The policy lab's inputs. Every text is bounded (the gateway and the engine refuse more, in AWS's words, but a
page should not carry a megabyte to find out)."""
from __future__ import annotations

import re

from django import forms

MAX_POLICY_CHARS = 20_000          # above IAM's largest quota (10,240 for a managed policy), below the model's
MAX_LINES = 20
MAX_RESOURCES = 5          # 20 actions x 5 resources: the 100 decisions the Lab keeps for a simulation's waterfalls
ARN = re.compile(r"arn:aws:iam::\d{12}:(user|role|group)/[\w+=,.@/-]{1,512}")
CONTEXT_LINE = re.compile(r"([A-Za-z0-9_.:/-]{1,128})\s*=\s*(.{0,256})")
POLICY_TYPES = [("trust", "Role trust policy"), ("identity", "Identity-based policy"),
                ("resource", "Resource-based policy (a bucket policy...)")]


def _lines(text: str, label: str, limit: int = MAX_LINES) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > limit:
        raise forms.ValidationError(f"at most {limit} {label}, one a line")
    return lines


class SimulateForm(forms.Form):
    principal = forms.CharField(label="Whose policies (user, group or role ARN)", max_length=600)
    actions = forms.CharField(label="Actions, one a line", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    resources = forms.CharField(label="Resource ARNs, one a line (empty: *)", max_length=6000, required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))
    context = forms.CharField(label="Context keys, one `key = value` a line (for example aws:MultiFactorAuthPresent "
                              "= false)", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_principal(self) -> str:
        principal = self.cleaned_data["principal"].strip()
        if not ARN.fullmatch(principal):
            raise forms.ValidationError("give the ARN of an IAM user, group or role of your sandbox, such as "
                                        "arn:aws:iam::123456789012:user/lab-admin")
        return principal

    def clean_actions(self) -> list[str]:
        actions = _lines(self.cleaned_data["actions"], "actions")
        for action in actions:
            if not re.fullmatch(r"[a-z0-9-]{1,64}:[A-Za-z0-9]{1,128}", action):
                raise forms.ValidationError(f"“{action[:80]}” is no action: write service:Operation, such as "
                                            "sts:AssumeRole (no wildcards: the simulator takes real actions)")
        if not actions:
            raise forms.ValidationError("name at least one action")
        return actions

    def clean_resources(self) -> list[str]:
        resources = _lines(self.cleaned_data["resources"], "resources", MAX_RESOURCES)
        for resource in resources:
            if not resource.startswith("arn:") or len(resource) > 2048:
                raise forms.ValidationError(f"“{resource[:80]}” is not an ARN")
        return resources

    def clean_context(self) -> dict[str, str]:
        entries: dict[str, str] = {}
        for line in _lines(self.cleaned_data["context"], "context keys"):
            match = CONTEXT_LINE.fullmatch(line)
            if match is None or ":" not in match.group(1):
                raise forms.ValidationError(f"“{line[:80]}” is not `service:key = value`")
            entries[match.group(1)] = match.group(2).strip()
        return entries


class CheckForm(forms.Form):
    policy_type = forms.ChoiceField(label="Kind of policy", choices=POLICY_TYPES)
    existing = forms.CharField(label="Existing policy", max_length=MAX_POLICY_CHARS,
                               widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}))
    new = forms.CharField(label="New policy", max_length=MAX_POLICY_CHARS,
                          widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}))
    role = forms.CharField(label="The role this trust policy belongs to (its ARN, to replay the counterexample)",
                           max_length=600, required=False)

    def clean_role(self) -> str:
        role = self.cleaned_data["role"].strip()
        if role and not (ARN.fullmatch(role) and ":role/" in role):
            raise forms.ValidationError("give a role ARN, such as arn:aws:iam::123456789012:role/DeployRole")
        return role
