"""A user's unique id is the same everywhere, in AWS's shape (IAM User Guide, reference_identifiers: user ids start
with AIDA, role ids with AROA; GetCallerIdentity's UserId is the aws:userid value, STS API Reference)."""
from __future__ import annotations

import re

from gateway_kit import allow


def test_get_user_and_get_caller_identity_show_the_same_aida_id(sbx) -> None:
    creds = sbx.user("id-check-" + sbx.id, allow("iam:GetUser"))
    user_id = sbx.client("iam", creds).get_user()["User"]["UserId"]
    caller = sbx.client("sts", creds).get_caller_identity()
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", user_id)
    assert caller["UserId"] == user_id
    assert caller["Arn"] == f"arn:aws:iam::{sbx.dev}:user/id-check-{sbx.id}"
