"""IAM refuses malformed policy documents on write; moto stores anything (moto-behaviour.md §1).

The wire error is MalformedPolicyDocument, 400, with IAM's own phrase (IAM API Reference: CreateRole,
UpdateAssumeRolePolicy, PutRolePolicy, CreatePolicy list MalformedPolicyDocument). The source material's auditor
policy with both Principal and Resource is refused with "Has prohibited field Resource" (securecart-world.md).
"""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from gateway_kit import allow, doc, trust


def _admin(sbx):
    return sbx.user("policy-admin-" + sbx.id, allow("*"))


def test_create_role_with_resource_in_trust_policy_is_malformed_and_not_created(sbx) -> None:
    iam = sbx.client("iam", _admin(sbx))
    bad = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{sbx.dev}:root"}, "Action": "sts:AssumeRole",
        "Resource": "*"}]})
    with pytest.raises(ClientError) as caught:
        iam.create_role(RoleName="AuditWithResource", AssumeRolePolicyDocument=bad)
    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert caught.value.response["Error"]["Message"] == "Has prohibited field Resource"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as missing:  # a denied write leaves no state behind
        iam.get_role(RoleName="AuditWithResource")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"


def test_update_assume_role_policy_with_broken_json_is_refused_and_keeps_the_old_policy(sbx) -> None:
    iam = sbx.client("iam", _admin(sbx))
    good = trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"})
    iam.create_role(RoleName="KeepsItsTrust", AssumeRolePolicyDocument=good)
    with pytest.raises(ClientError) as caught:
        iam.update_assume_role_policy(RoleName="KeepsItsTrust", PolicyDocument='{"Version": "2012-10-17", ')
    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    stored = iam.get_role(RoleName="KeepsItsTrust")["Role"]["AssumeRolePolicyDocument"]
    assert stored["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{sbx.dev}:root"}


def test_identity_policy_with_a_principal_is_refused(sbx) -> None:
    iam = sbx.client("iam", _admin(sbx))
    with pytest.raises(ClientError) as caught:
        iam.create_policy(PolicyName="WithPrincipal", PolicyDocument=doc(allow("s3:GetObject", Principal="*")))
    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert "principal" in caught.value.response["Error"]["Message"].lower()


def test_a_valid_inline_policy_still_goes_through(sbx) -> None:
    iam = sbx.client("iam", _admin(sbx))
    iam.create_role(RoleName="Reader", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"}))
    iam.put_role_policy(RoleName="Reader", PolicyName="read", PolicyDocument=doc(allow("s3:GetObject")))
    assert iam.list_role_policies(RoleName="Reader")["PolicyNames"] == ["read"]


def test_a_trust_policy_naming_a_user_that_does_not_exist_is_invalid_principal(sbx) -> None:
    # aws-sts-facts.md §4.2: saving a trust policy that names a nonexistent user or role fails with
    # MalformedPolicyDocument "Invalid principal in policy" (observed hashicorp/terraform-provider-aws#8905).
    iam = sbx.client("iam", _admin(sbx))
    ghost = f"arn:aws:iam::{sbx.dev}:user/nobody-{sbx.id}"
    with pytest.raises(ClientError) as caught:
        iam.create_role(RoleName="TrustsAGhost", AssumeRolePolicyDocument=trust({"AWS": ghost}))
    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert caught.value.response["Error"]["Message"] == f'Invalid principal in policy: "AWS":"{ghost}"'


def test_a_trust_policy_naming_an_existing_user_or_an_account_is_saved(sbx) -> None:
    admin = _admin(sbx)
    sbx.user("real-" + sbx.id)
    iam = sbx.client("iam", admin)
    real = f"arn:aws:iam::{sbx.dev}:user/real-{sbx.id}"
    iam.create_role(RoleName="TrustsReal", AssumeRolePolicyDocument=trust({"AWS": [real, sbx.prod]}))
    stored = iam.get_role(RoleName="TrustsReal")["Role"]["AssumeRolePolicyDocument"]
    assert stored["Statement"][0]["Principal"]["AWS"] == [real, sbx.prod]
