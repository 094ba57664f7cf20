"""The operations a checker probe or a seed step may call: an allow-list, each with what makes it safe to call
against a learner's sandbox.

Reads are called as they are. A write is allowed only with a way back: the checker notes what was there before
(as the operator), and once the check is over it puts it back if the probe's call went through (`undo`), or it
refuses to make a call that would destroy something it cannot restore (`guard`). A probe is a question asked of the
learner's policies, never a change the learner has to repair.

No Django here: challenges/schema.py validates files against these names without a running lab.
"""
from __future__ import annotations

from dataclasses import dataclass

from botocore import xform_name


@dataclass(frozen=True)
class OperationSpec:
    service: str            # the client's service (learner_client)
    method: str             # the boto3 method
    undo: str = ""          # how a successful call is undone after the check ("" for a read)
    guard: str = ""         # what must hold before the call is made at all


def _op(name: str, undo: str = "", guard: str = "") -> tuple[str, OperationSpec]:
    service, operation = name.split(".")
    return name, OperationSpec(service, xform_name(operation), undo, guard)


OPERATIONS: dict[str, OperationSpec] = dict([
    # STS: sessions expire on their own; the checker names them lab-checker-* (challenges/probes.py)
    _op("sts.AssumeRole"), _op("sts.AssumeRoleWithWebIdentity"), _op("sts.GetCallerIdentity"),
    _op("sts.GetSessionToken"),
    # reads
    _op("s3.GetObject"), _op("s3.HeadObject"), _op("s3.ListObjectsV2"), _op("s3.ListBuckets"),
    _op("secretsmanager.GetSecretValue"), _op("secretsmanager.DescribeSecret"),
    _op("iam.GetUser"), _op("iam.GetRole"), _op("iam.GetPolicy"), _op("iam.GetPolicyVersion"),
    _op("iam.ListPolicyVersions"), _op("iam.ListUserPolicies"), _op("iam.GetUserPolicy"),
    _op("iam.ListRolePolicies"), _op("iam.GetRolePolicy"), _op("iam.ListAttachedUserPolicies"),
    _op("iam.ListAttachedRolePolicies"), _op("iam.ListGroupsForUser"), _op("iam.ListAccessKeys"),
    _op("iam.ListUsers"), _op("iam.ListRoles"), _op("iam.GetLoginProfile"),
    _op("cloudtrail.LookupEvents"), _op("ec2.DescribeInstances"),
    # writes, each with its way back
    _op("s3.PutObject", undo="delete-object", guard="object-absent"),
    _op("s3.DeleteObject", guard="object-absent"),          # only on a key that does not exist: nothing to lose
    _op("iam.PutUserPolicy", undo="restore-inline"), _op("iam.PutRolePolicy", undo="restore-inline"),
    _op("iam.PutGroupPolicy", undo="restore-inline"),
    _op("iam.AttachUserPolicy", undo="detach"), _op("iam.AttachRolePolicy", undo="detach"),
    _op("iam.AttachGroupPolicy", undo="detach"),
    _op("iam.CreatePolicyVersion", undo="delete-version"), _op("iam.SetDefaultPolicyVersion", undo="restore-default"),
    _op("iam.CreateAccessKey", undo="delete-key"), _op("iam.CreateLoginProfile", undo="delete-login-profile"),
    _op("iam.AddUserToGroup", undo="remove-from-group"), _op("iam.UpdateAssumeRolePolicy", undo="restore-trust"),
    _op("iam.DeleteUserPermissionsBoundary", undo="restore-boundary"),
])
