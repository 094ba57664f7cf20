"""Federation page input: every field a federation view reads goes through one of these forms."""
from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, QueryDict

MAX_FIELD = 60_000   # below DATA_UPLOAD_MAX_MEMORY_SIZE (64 KB); assertions are ~5 KB
MAX_ARN = 2048       # IAM's RoleArn length limit (sts:AssumeRoleWithSAML RoleArn, 20-2048)


def page_data(request: HttpRequest) -> QueryDict:
    """The query string with the POSTed fields on top: these pages take their choice (issuer, kind, next) from
    either, the POSTed one first."""
    data = request.GET.copy()
    for name, values in request.POST.lists():
        data.setlist(name, values)
    return data


class RawTextField(forms.CharField):
    """A document, token or ARN as pasted, null characters included: STS (or the decoder) answers what is wrong
    with it, as AWS would, instead of Django's "Null characters are not allowed"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class PageChoiceField(forms.CharField):
    """Which variant of a page to show: anything unknown (or missing) is the default, never an error."""

    def __init__(self, choices: tuple[str, ...], default: str, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.options, self.default = choices, default

    def clean(self, value: Any) -> str:
        try:
            value = super().clean(value)
        except forms.ValidationError:
            return self.default
        return value if value in self.options else self.default


class PageForm(forms.Form):
    """A federation page's form: a refused one answers with its first problem, in the field's own words."""

    def first_error(self) -> str:
        return next(iter(e for errors in self.errors.values() for e in errors), "")


class IdpLoginForm(PageForm):
    next = PageChoiceField(("aws", "portal"), "aws")
    username = forms.CharField(max_length=64, required=False, error_messages={
        "max_length": "A user name is at most 64 characters.",
        "null_characters_not_allowed": "A user name cannot contain a null character."})
    password = forms.CharField(max_length=128, required=False, strip=False, error_messages={
        "max_length": "A password is at most 128 characters.",
        "null_characters_not_allowed": "A password cannot contain a null character."})


class SamlRedeemForm(forms.Form):
    role = forms.CharField(max_length=MAX_ARN, required=False,
                           error_messages={"max_length": "Pick one of the roles the IdP offered."})


class OidcTokenForm(forms.Form):
    issuer = PageChoiceField(("github", "securecart"), "github")
    action = forms.CharField(max_length=16, required=False)
    branch = forms.CharField(max_length=100, required=False,
                             error_messages={"max_length": "A branch name here is at most 100 characters."})
    username = forms.CharField(max_length=64, required=False)


class SamlInspectForm(forms.Form):
    assertion = RawTextField(max_length=MAX_FIELD, strip=False, error_messages={
        "max_length": f"That is longer than {MAX_FIELD} characters; a SAML response is a few kilobytes."})


class JwtInspectForm(forms.Form):
    token = RawTextField(max_length=MAX_FIELD, error_messages={
        "max_length": f"That is longer than {MAX_FIELD} characters; an ID token is about a kilobyte."})


class TamperForm(PageForm):
    kind = PageChoiceField(("saml", "jwt"), "saml")
    action = forms.CharField(max_length=64, required=False)
    xml = RawTextField(max_length=MAX_FIELD, strip=False, error_messages={
        "max_length": f"The assertion is longer than {MAX_FIELD} characters."})
    token = RawTextField(max_length=MAX_FIELD, error_messages={
        "max_length": f"The token is longer than {MAX_FIELD} characters."})
    # Any text up to the field cap goes to STS, cut to IAM's 2048: a malformed ARN gets STS's own
    # ValidationError on the page, as from AWS (tests/web/test_web_fuzz.py, pinned from issue 9).
    role_arn = RawTextField(max_length=MAX_FIELD, error_messages={
        "max_length": f"A role ARN is at most {MAX_ARN} characters."})

    def clean_role_arn(self) -> str:
        return self.cleaned_data["role_arn"][:MAX_ARN]

    def shown(self, name: str) -> str:
        """A field as typed, cut to its maximum length: what the page shows back when the form is refused."""
        return str(self[name].value() or "")[:self.fields[name].max_length]


class PortalCredentialsForm(forms.Form):
    # An AWS account id is 12 digits; a permission set name is 1-32 characters (sso-admin CreatePermissionSet).
    account_id = forms.RegexField(regex=r"^\d{12}$")
    permission_set = forms.CharField(max_length=32)
