"""Render a CloudTrail record as indented JSON with the fields that matter for STS marked."""
from __future__ import annotations

import json
import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The fields a defender reads to tie a call to a session and a session to a person (IAM UG, "Logging IAM and AWS
# STS API calls with AWS CloudTrail"; CloudTrail UG, userIdentity element).
STS_FIELDS = {"type", "principalId", "arn", "accessKeyId", "userName", "sessionIssuer", "sourceIdentity",
              "mfaAuthenticated", "creationDate", "webIdFederationData", "invokedBy", "identityProvider",
              "roleArn", "roleSessionName", "externalId", "serialNumber", "sharedEventID", "errorCode",
              "errorMessage", "assumedRoleId", "recipientAccountId", "federatedProvider", "principalArn"}
_KEY = re.compile(r'^(\s*)"([^"]+)":')


@register.filter
def trail_json(record: Any) -> SafeString:
    lines = []
    for line in json.dumps(record, indent=2).splitlines():
        match = _KEY.match(line)
        if match and match.group(2) in STS_FIELDS:
            lines.append(f'<mark class="sts-field">{escape(line)}</mark>')
        else:
            lines.append(escape(line))
    return mark_safe("\n".join(lines))


@register.filter
def account_label(account_id: str, names: dict[str, str]) -> str:
    """"production (123456789012)" for the sandbox's own accounts, the bare id otherwise."""
    name = (names or {}).get(account_id)
    return f"{name} ({account_id})" if name else account_id
