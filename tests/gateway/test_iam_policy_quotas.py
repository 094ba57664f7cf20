"""IAM's identity-policy quotas, which also bound what one request can make the engine evaluate (issue 9, item 2).

IAM User Guide, "IAM and AWS STS quotas": inline policies together at most 2,048 (user), 10,240 (role) and 5,120
(group) characters; a managed policy at most 6,144; 10 managed policies per user, role or group; 10 groups per user;
white space not counted. Wire texts: see gateway/iam_quotas.py."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from gateway_kit import allow, trust


def _policy(chars: int, indent: int | None = None) -> str:
    """An Allow on s3:GetObject whose Resource list makes the document about `chars` non-blank characters."""
    resources, doc = [], ""
    while True:
        candidate = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources + [f"arn:aws:s3:::b/{len(resources)}"]}]})
        if len("".join(candidate.split())) > chars:
            return doc or candidate
        resources.append(f"arn:aws:s3:::b/{len(resources)}")
        doc = json.dumps(json.loads(candidate), indent=indent)


def _refused(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    return error["Error"]


def test_a_users_inline_policies_together_stay_within_2048_characters(local):
    admin = local.client("iam", local.user("quota-user-admin", allow("iam:*")))
    admin.create_user(UserName="dana")
    admin.put_user_policy(UserName="dana", PolicyName="a", PolicyDocument=_policy(1200, indent=12))   # blanks free
    admin.put_user_policy(UserName="dana", PolicyName="a", PolicyDocument=_policy(1900))   # replaces its namesake
    error = _refused(lambda: admin.put_user_policy(UserName="dana", PolicyName="b", PolicyDocument=_policy(300)))
    assert error["Code"] == "LimitExceeded"
    assert error["Message"] == "Maximum policy size of 2048 bytes exceeded for user dana"
    assert admin.list_user_policies(UserName="dana")["PolicyNames"] == ["a"]


def test_a_roles_inline_policies_stay_within_10240_and_a_groups_within_5120(local):
    admin = local.client("iam", local.user("quota-role-admin", allow("iam:*")))
    admin.create_role(RoleName="Big", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    admin.put_role_policy(RoleName="Big", PolicyName="a", PolicyDocument=_policy(9000))
    error = _refused(lambda: admin.put_role_policy(RoleName="Big", PolicyName="b", PolicyDocument=_policy(1500)))
    assert error["Message"] == "Maximum policy size of 10240 bytes exceeded for role Big"
    admin.create_group(GroupName="Crew")
    error = _refused(lambda: admin.put_group_policy(GroupName="Crew", PolicyName="a", PolicyDocument=_policy(5200)))
    assert error["Message"] == "Maximum policy size of 5120 bytes exceeded for group Crew"


def test_a_managed_policy_stays_within_6144_characters(local):
    admin = local.client("iam", local.user("quota-managed-admin", allow("iam:*")))
    admin.create_policy(PolicyName="Fits", PolicyDocument=_policy(6000))
    error = _refused(lambda: admin.create_policy(PolicyName="TooBig", PolicyDocument=_policy(6200)))
    assert error == {"Type": "Sender", "Code": "LimitExceeded", "Message": "Cannot exceed quota for PolicySize: 6144"}


def test_at_most_ten_managed_policies_per_role_and_ten_groups_per_user(local):
    admin = local.client("iam", local.user("quota-attach-admin", allow("iam:*")))
    admin.create_role(RoleName="Many", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    arns = [admin.create_policy(PolicyName=f"P{n}", PolicyDocument=_policy(100))["Policy"]["Arn"] for n in range(11)]
    for arn in arns[:10]:
        admin.attach_role_policy(RoleName="Many", PolicyArn=arn)
    admin.attach_role_policy(RoleName="Many", PolicyArn=arns[0])        # already attached: no new slot needed
    error = _refused(lambda: admin.attach_role_policy(RoleName="Many", PolicyArn=arns[10]))
    assert error["Message"] == "Cannot exceed quota for PoliciesPerRole: 10"

    admin.create_user(UserName="joiner")
    for n in range(10):
        admin.create_group(GroupName=f"G{n}")
        admin.add_user_to_group(GroupName=f"G{n}", UserName="joiner")
    admin.create_group(GroupName="G10")
    error = _refused(lambda: admin.add_user_to_group(GroupName="G10", UserName="joiner"))
    assert error["Message"] == "Cannot exceed quota for GroupsPerUser: 10"
