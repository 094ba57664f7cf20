"""IAM's ACLSizePerRole quota on trust policies: 2048 characters, white space not counted (IAM User Guide,
"IAM and AWS STS quotas"); over it, CreateRole/UpdateAssumeRolePolicy fail with LimitExceeded 409 "Cannot exceed
quota for ACLSizePerRole: 2048" (observed: apache/airflow#27331, kubeflow/kubeflow#6687)."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from gateway_kit import allow


def _trust(accounts: int, indent: int | None = None) -> str:
    statements = [{"Sid": f"Trust{n}", "Effect": "Allow", "Action": "sts:AssumeRole",
                   "Principal": {"AWS": f"arn:aws:iam::{100000000000 + n}:root"}} for n in range(accounts)]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=indent)


def _compact_size(text: str) -> int:
    return len("".join(text.split()))


def test_a_trust_policy_over_the_quota_is_refused_and_white_space_does_not_count(local):
    admin = local.client("iam", local.user("quota-admin", allow("iam:*")))
    small, big = _trust(15, indent=8), _trust(20)
    assert _compact_size(small) <= 2048 < len(small) and _compact_size(big) > 2048

    admin.create_role(RoleName="Quota", AssumeRolePolicyDocument=small)       # padded, but small enough
    for call in (lambda: admin.update_assume_role_policy(RoleName="Quota", PolicyDocument=big),
                 lambda: admin.create_role(RoleName="Quota2", AssumeRolePolicyDocument=big)):
        with pytest.raises(ClientError) as raised:
            call()
        error = raised.value.response
        assert error["Error"] == {"Type": "Sender", "Code": "LimitExceeded",
                                  "Message": "Cannot exceed quota for ACLSizePerRole: 2048"}
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 409
    stored = admin.get_role(RoleName="Quota")["Role"]["AssumeRolePolicyDocument"]
    assert len(stored["Statement"]) == 15                                    # the refused update changed nothing
