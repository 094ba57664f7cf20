"""AWS-managed policies in every account (moto's catalogue, held once per process: gateway/aws_managed.py): attachable,
listed with --scope AWS, versioned as AWS shows them, evaluated by the engine like any attached policy, and
immutable; service-linked roles immutable too (IAM answers UnmodifiableEntity)."""
from __future__ import annotations

import json
import pickle

import pytest
from botocore.exceptions import ClientError

from gateway import aws_managed
from gateway_kit import Sandbox, allow, doc, trust
from test_gateway_sts import error_of

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def admin(sbx: Sandbox):
    return sbx.user("admin", allow("*"))


def test_read_only_access_attached_in_a_fresh_account_reads_and_is_refused_a_write(sbx: Sandbox) -> None:
    iam = sbx.client("iam", admin(sbx))
    iam.create_user(UserName="reader")
    iam.attach_user_policy(UserName="reader", PolicyArn=READ_ONLY)
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
    bucket = f"{sbx.id}-reports"
    s3_admin = sbx.admin("s3")
    s3_admin.create_bucket(Bucket=bucket)
    s3_admin.put_object(Bucket=bucket, Key="q3.csv", Body=b"a,b\n")
    s3 = sbx.client("s3", reader)
    assert s3.get_object(Bucket=bucket, Key="q3.csv")["Body"].read() == b"a,b\n"
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="q4.csv", Body=b"x")
    assert error_of(info)[0] == "AccessDenied"
    decision = sbx.lab.decision(info.value.response["ResponseMetadata"]["RequestId"])
    assert [p["name"] for p in decision.to_dict()["policies"]] == [READ_ONLY]


def test_list_policies_scope_aws_lists_the_catalogue(sbx: Sandbox) -> None:
    iam = sbx.client("iam", admin(sbx))
    names = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
             for p in page["Policies"]]
    assert len(names) == len(aws_managed.catalogue()) > 1000
    assert {"ReadOnlyAccess", "AdministratorAccess", "AmazonS3ReadOnlyAccess"} <= set(names)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_an_aws_policy_shows_its_aws_version_and_counts_only_this_accounts_attachments(lab_app) -> None:
    one, other = Sandbox(*lab_app), Sandbox(*lab_app)
    iam = one.client("iam", admin(one))
    iam.create_role(RoleName="Viewer", AssumeRolePolicyDocument=trust({"AWS": one.dev}))
    iam.attach_role_policy(RoleName="Viewer", PolicyArn=READ_ONLY)
    policy = iam.get_policy(PolicyArn=READ_ONLY)["Policy"]
    catalogue_version = aws_managed.catalogue()[READ_ONLY].default_version_id
    assert (policy["DefaultVersionId"], policy["AttachmentCount"], policy["Path"]) == (catalogue_version, 1, "/")
    assert catalogue_version != "v1"          # AWS's own version number, not a fresh policy's
    # another learner's account sees AWS's policy unattached: nothing of one sandbox reaches another
    assert other.client("iam", admin(other)).get_policy(PolicyArn=READ_ONLY)["Policy"]["AttachmentCount"] == 0
    assert aws_managed.catalogue()[READ_ONLY].attachment_count == 0
    iam.detach_role_policy(RoleName="Viewer", PolicyArn=READ_ONLY)
    assert iam.get_policy(PolicyArn=READ_ONLY)["Policy"]["AttachmentCount"] == 0


@pytest.mark.parametrize("operation, params", [
    ("create_policy_version", {"PolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}), "SetAsDefault": True}),
    ("delete_policy", {}),
    ("set_default_policy_version", {"VersionId": "v1"}),
    ("delete_policy_version", {"VersionId": "v1"}),
])
def test_aws_managed_policies_cannot_be_changed(local: Sandbox, operation: str, params: dict) -> None:
    # IAM User Guide, "Edit IAM policies": AWS managed policies cannot be edited. The mistake this catches: a learner
    # widening ReadOnlyAccess for every account of the process (it is one shared object).
    iam = local.client("iam", admin(local))
    document = iam.get_policy_version(PolicyArn=READ_ONLY, VersionId=aws_managed.catalogue()[READ_ONLY]
                                      .default_version_id)["PolicyVersion"]["Document"]
    with pytest.raises(ClientError) as info:
        getattr(iam, operation)(PolicyArn=READ_ONLY, **params)
    code, message, status = error_of(info)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (f"User: arn:aws:iam::{local.dev}:user/admin is not authorized to perform: "
                       f"iam:{''.join(w.title() for w in operation.split('_'))} on resource: policy {READ_ONLY}")
    assert len(aws_managed.catalogue()[READ_ONLY].versions) == 1
    assert iam.get_policy_version(PolicyArn=READ_ONLY, VersionId=aws_managed.catalogue()[READ_ONLY]
                                  .default_version_id)["PolicyVersion"]["Document"] == document


@pytest.mark.parametrize("operation, params", [
    ("put_role_policy", {"PolicyName": "extra", "PolicyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}),
    ("update_assume_role_policy", {"PolicyDocument": trust({"AWS": "*"})}),
    ("attach_role_policy", {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("delete_role", {}),
])
def test_a_service_linked_role_is_unmodifiable(local: Sandbox, operation: str, params: dict) -> None:
    iam = local.client("iam", admin(local))
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    before = iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]
    with pytest.raises(ClientError) as info:
        getattr(iam, operation)(RoleName=role["RoleName"], **params)
    assert error_of(info) == ("UnmodifiableEntity", f"Cannot perform the operation on the protected role "
                              f"'{role['RoleName']}' - this role is only modifiable by AWS", 400)
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"] == before
    assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == []


def test_an_ordinary_role_is_still_modifiable(local: Sandbox) -> None:
    iam = local.client("iam", admin(local))
    iam.create_role(RoleName="Mine", AssumeRolePolicyDocument=trust({"AWS": local.dev}))
    iam.attach_role_policy(RoleName="Mine", PolicyArn=READ_ONLY)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="Mine")["AttachedPolicies"]] == [READ_ONLY]


def test_an_account_pickles_without_the_catalogue(local: Sandbox) -> None:
    # The world template is copied by pickling an account's backends (gateway/worldstate.py): the catalogue must
    # not travel with it, or every sandbox would carry ~5 MB. The mistake: a plain dict of every AWS policy.
    from moto.iam.models import iam_backends

    iam = local.client("iam", admin(local))
    iam.create_role(RoleName="Viewer", AssumeRolePolicyDocument=trust({"AWS": local.dev}))
    iam.attach_role_policy(RoleName="Viewer", PolicyArn=READ_ONLY)
    backend = iam_backends[local.dev]["global"]
    assert len(pickle.dumps(backend.managed_policies)) < 200_000       # ReadOnlyAccess's own copy only
    assert len(pickle.dumps(backend.aws_managed_policies)) < 200
    copied = pickle.loads(pickle.dumps(backend.managed_policies))
    assert READ_ONLY in copied and copied[READ_ONLY].attachment_count == 1
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in copied       # the catalogue is still behind it


def test_get_account_authorization_details_lists_aws_managed_and_local_policies(sbx: Sandbox) -> None:
    """moto joins its AWS-managed list and the account's own policies with `+` when no filter is given: the shared
    catalogue must support that as the list it stands for does."""
    iam = sbx.client("iam", admin(sbx))
    iam.create_policy(PolicyName="local-one", PolicyDocument=doc(allow("s3:GetObject")))
    iam.attach_user_policy(UserName="admin", PolicyArn=READ_ONLY)
    details = iam.get_account_authorization_details()
    arns = {p["Arn"] for p in details["Policies"]}
    assert READ_ONLY in arns and any(arn.endswith(":policy/local-one") for arn in arns)
