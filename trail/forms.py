from __future__ import annotations

from django import forms

from engine.cloudtrail import EVENT_SOURCES


class HistoryFilterForm(forms.Form):
    """The console's Event history filters, plus errors only, account and event category."""
    event_name = forms.CharField(required=False, max_length=128, label="Event name")
    username = forms.CharField(required=False, max_length=256, label="User name")
    access_key_id = forms.CharField(required=False, max_length=32, label="AWS access key")
    event_source = forms.ChoiceField(required=False, label="Event source",
                                     choices=[("", "any")] + [(v, v) for v in sorted(set(EVENT_SOURCES.values()))])
    read_only = forms.ChoiceField(required=False, label="Read-only",
                                  choices=[("", "any"), ("true", "true"), ("false", "false")])
    resource = forms.CharField(required=False, max_length=512, label="Resource name contains")
    account_id = forms.RegexField(required=False, regex=r"^\d{12}$", label="Account",
                                  error_messages={"invalid": "An account id is 12 digits."})
    category = forms.ChoiceField(required=False, label="Category",
                                 choices=[("", "management and data"), ("Management", "management events"),
                                          ("Data", "data events (S3 objects)")])
    errors_only = forms.BooleanField(required=False, label="Only refused or failed calls")

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {name: data.get(name) or ("" if name != "errors_only" else False) for name in self.fields}


class DefendAnswerForm(forms.Form):
    answer = forms.CharField(max_length=256, label="Your answer", strip=True)


class PageForm(forms.Form):
    """?page= of the event history: a bad one is the first page (as Paginator.get_page would read it)."""
    page = forms.IntegerField(required=False, min_value=1)
