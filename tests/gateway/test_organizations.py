"""AWS Organizations through the gateway, from a bare account with nothing but an AWS client: create an organization,
create a member account, assume its OrganizationAccountAccessRole, and watch an SCP refuse that role while the
management account is unaffected; RCPs, the organization condition keys, and the refusals Organizations gives.
Rules: Organizations User Guide ("Service control policies", "Resource control policies", "Accessing member
accounts", "Quotas") and IAM User Guide ("Policy evaluation logic", "AWS global condition context keys")."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from gateway import worldstate
from gateway.moto_organizations import member_account_id
from gateway_kit import Sandbox, allow, doc
from test_gateway_sts import error_of

DENY_IAM_LIST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "NoRoleListing", "Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}]})


class Org:
    """A bare sandbox account turned management account, the way a learner does it with the CLI."""

    def __init__(self, sbx: Sandbox) -> None:
        self.sbx = sbx
        self.admin = sbx.user("admin", allow("*"))
        self.org = sbx.client("organizations", self.admin)
        self.details = self.org.create_organization(FeatureSet="ALL")["Organization"]
        self.root = self.org.list_roots()["Roots"][0]["Id"]

    def enable(self, policy_type: str = "SERVICE_CONTROL_POLICY") -> None:
        self.org.enable_policy_type(RootId=self.root, PolicyType=policy_type)

    def new_account(self, name: str = "workloads") -> str:
        status = self.org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        assert status["State"] == "SUCCEEDED", status
        return status["AccountId"]

    def access_role(self, account: str) -> dict:
        return self.sbx.assume(self.admin, f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole")

    def policy(self, name: str, content: str, policy_type: str = "SERVICE_CONTROL_POLICY") -> str:
        return self.org.create_policy(Name=name, Description=name, Type=policy_type, Content=content)["Policy"][
            "PolicySummary"]["Id"]


def test_the_cli_path_create_account_assume_its_role_and_an_scp_refuses_it(sbx: Sandbox) -> None:
    org = Org(sbx)
    member = org.new_account()
    assert member == member_account_id(sbx.dev, "workloads@example.com")        # stable across rebuilds
    role = org.access_role(member)
    iam = sbx.client("iam", role)
    assert "OrganizationAccountAccessRole" in [r["RoleName"] for r in iam.list_roles()["Roles"]]  # AdministratorAccess
    org.enable()
    org.org.attach_policy(PolicyId=org.policy("NoRoleListing", DENY_IAM_LIST), TargetId=member)
    with pytest.raises(ClientError) as info:
        iam.list_roles()
    code, message, status = error_of(info)
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("on resource: arn:aws:iam::" + member + ":role/ with an explicit deny in a service "
                            "control policy")
    decision = sbx.lab.decision(info.value.response["ResponseMetadata"]["RequestId"])
    scp = decision.layer("scp")
    assert decision.denied_by == "scp" and scp.decided and [r.sid for r in scp.deciding] == ["NoRoleListing"]
    assert [level.kind for level in scp.levels] == ["root", "account"]
    # SCPs do not affect the management account (Organizations User Guide, "Service control policies")
    assert sbx.client("iam", org.admin).list_roles()["Roles"] is not None
    management = sbx.lab.decision(sbx.recorder.exchanges[-1].request_id)
    assert management.layer("scp").verdict.value == "not-in-play"
    assert "management account" in management.layer("scp").note


def test_a_policy_type_must_be_enabled_before_its_policies_are_attached(local: Sandbox) -> None:
    org = Org(local)
    member = org.new_account()
    policy = org.policy("NoRoleListing", DENY_IAM_LIST)
    with pytest.raises(ClientError) as info:
        org.org.attach_policy(PolicyId=policy, TargetId=member)
    assert error_of(info)[:2] == ("PolicyTypeNotEnabledException",
                                  "This operation can be performed only for enabled policy types.")
    # and until it is enabled, SCPs are not in play at all
    role = org.access_role(member)
    local.client("iam", role).list_roles()
    assert "not enabled" in local.lab.decision(local.recorder.exchanges[-1].request_id).layer("scp").note


def test_an_allow_list_scp_needs_an_allow_at_every_level(local: Sandbox) -> None:
    org = Org(local)
    member = org.new_account()
    org.enable()
    only_s3 = org.policy("OnlyS3", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    org.org.attach_policy(PolicyId=only_s3, TargetId=member)
    org.org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    role = org.access_role(member)
    assert local.client("s3", role).list_buckets()["Buckets"] == []
    with pytest.raises(ClientError) as info:
        local.client("iam", role).list_roles()
    assert error_of(info)[1].endswith("because no service control policy allows the iam:ListRoles action")


def test_only_the_management_account_manages_the_organization(local: Sandbox) -> None:
    org = Org(local)
    member = org.new_account()
    role = org.access_role(member)
    member_org = local.client("organizations", role)
    assert member_org.describe_organization()["Organization"]["Id"] == org.details["Id"]
    with pytest.raises(ClientError) as info:
        member_org.create_policy(Name="x", Description="x", Type="SERVICE_CONTROL_POLICY", Content=DENY_IAM_LIST)
    assert error_of(info)[:2] == ("AccessDeniedException", "You don't have permissions to access this resource.")
    outsider = local.user("outsider", allow("*"), account=local.prod)
    with pytest.raises(ClientError) as info:
        local.client("organizations", outsider).list_roots()
    assert error_of(info)[:2] == ("AWSOrganizationsNotInUseException",
                                  "Your account is not a member of an organization.")


@pytest.mark.parametrize("policy_type, statement, reason", [
    ("RESOURCE_CONTROL_POLICY", {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}, "only deny"),
    ("RESOURCE_CONTROL_POLICY", {"Effect": "Deny", "Principal": {"AWS": "123456789012"}, "Action": "s3:*",
                                 "Resource": "*"}, "Principal"),
    ("SERVICE_CONTROL_POLICY", {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}, "principal"),
])
def test_a_policy_must_fit_its_type(local: Sandbox, policy_type: str, statement: dict, reason: str) -> None:
    org = Org(local)
    with pytest.raises(ClientError) as info:
        org.policy("Bad", json.dumps({"Version": "2012-10-17", "Statement": [statement]}), policy_type)
    code, message, _ = error_of(info)
    assert code == "MalformedPolicyDocumentException" and reason in message
    assert message.startswith("The provided policy document doesn't meet the requirements of the specified policy")


def test_rcpfullawsaccess_and_the_last_scp_cannot_be_detached(local: Sandbox) -> None:
    org = Org(local)
    member = org.new_account()
    org.enable()
    org.enable("RESOURCE_CONTROL_POLICY")
    for policy in ("p-RCPFullAWSAccess", "p-FullAWSAccess"):
        with pytest.raises(ClientError) as info:
            org.org.detach_policy(PolicyId=policy, TargetId=member)
        assert error_of(info)[0] == "ConstraintViolationException"


def test_create_account_with_an_email_in_use_fails_in_its_status(local: Sandbox) -> None:
    org = Org(local)
    org.new_account("twice")
    status = org.org.create_account(Email="TWICE@example.com", AccountName="again")["CreateAccountStatus"]
    assert (status["State"], status["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    assert len(org.org.list_accounts()["Accounts"]) == 2


def test_an_rcp_keeps_a_bucket_inside_the_organization_until_its_exception_is_added(local: Sandbox) -> None:
    org = Org(local)
    member = org.new_account()
    org.enable("RESOURCE_CONTROL_POLICY")
    role = org.access_role(member)
    bucket = f"{local.id}-invoices"
    s3 = local.client("s3", role)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="inv.pdf", Body=b"%PDF")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Auditors", "Effect": "Allow", "Principal": {"AWS": local.prod}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    auditor = local.user("auditor", allow("s3:GetObject"), account=local.prod)     # an account in no organization
    assert local.client("s3", auditor).get_object(Bucket=bucket, Key="inv.pdf")["Body"].read() == b"%PDF"

    def rcp(exception: list[str] | None) -> str:
        keys = {"aws:PrincipalOrgID": org.details["Id"]}
        if exception:
            keys["aws:PrincipalAccount"] = exception
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "StayInside", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": f"arn:aws:s3:::{bucket}/*",
             "Condition": {"StringNotEqualsIfExists": keys, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]})

    policy = org.policy("InvoicesStayInside", rcp(None), "RESOURCE_CONTROL_POLICY")
    org.org.attach_policy(PolicyId=policy, TargetId=member)
    with pytest.raises(ClientError) as info:
        local.client("s3", auditor).get_object(Bucket=bucket, Key="inv.pdf")
    decision = local.lab.decision(info.value.response["ResponseMetadata"]["RequestId"])
    assert decision.denied_by == "rcp" and decision.access_denied_message(with_reason=True).endswith(
        "with an explicit deny in a resource control policy")
    assert s3.get_object(Bucket=bucket, Key="inv.pdf")["Body"].read() == b"%PDF"     # inside the organization
    org.org.update_policy(PolicyId=policy, Content=rcp([local.prod]))
    assert local.client("s3", auditor).get_object(Bucket=bucket, Key="inv.pdf")["Body"].read() == b"%PDF"


def test_the_organization_condition_keys(local: Sandbox) -> None:
    """aws:PrincipalOrgID, aws:PrincipalOrgPaths and aws:ResourceOrgID are set from the organization the principal's
    (resource's) account belongs to, and absent outside one (IAM User Guide, global condition keys)."""
    org = Org(local)
    ou = org.org.create_organizational_unit(ParentId=org.root, Name="Workloads")["OrganizationalUnit"]["Id"]
    member = org.new_account()
    org.org.move_account(AccountId=member, SourceParentId=org.root, DestinationParentId=ou)
    path = f"{org.details['Id']}/{org.root}/{ou}/"
    role = org.access_role(member)
    iam = local.client("iam", role)
    conditioned = {
        "PrincipalOrgID": {"StringEquals": {"aws:PrincipalOrgID": org.details["Id"]}},
        "PrincipalOrgPaths": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{org.details['Id']}/*/{ou}/*"}},
        "ResourceOrgID": {"StringEquals": {"aws:ResourceOrgID": org.details["Id"]}},
    }
    for sid, condition in conditioned.items():
        iam.create_user(UserName=f"u-{sid}")
        iam.put_user_policy(UserName=f"u-{sid}", PolicyName="p", PolicyDocument=doc(
            {"Sid": sid, "Effect": "Allow", "Action": "iam:GetUser", "Resource": "*", "Condition": condition}))
        key = iam.create_access_key(UserName=f"u-{sid}")["AccessKey"]
        user = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        local.client("iam", user).get_user(UserName=f"u-{sid}")
        context = local.lab.decision(local.recorder.exchanges[-1].request_id).request.context
        assert (context["aws:PrincipalOrgID"], context["aws:PrincipalOrgPaths"]) == (org.details["Id"], [path])
    outsider = local.user("outsider", {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                                       "Condition": conditioned["PrincipalOrgID"]}, account=local.prod)
    with pytest.raises(ClientError):
        local.client("iam", outsider).get_user(UserName="outsider")
    context = local.lab.decision(local.recorder.exchanges[-1].request_id).request.context
    assert "aws:PrincipalOrgID" not in context and "aws:ResourceOrgID" not in context


def test_dropping_the_management_account_takes_its_member_accounts_with_it(local: Sandbox) -> None:
    org = Org(local)
    member = org.new_account()
    assert local.lab.sandbox_of_account(member) == local.id
    worldstate.drop_accounts([local.dev])
    assert local.lab.sandbox_of_account(member) is None
    assert not worldstate.account_loaded(member)


def test_invited_accounts_join_without_an_access_role(local: Sandbox) -> None:
    org = Org(local)
    invitation = org.org.invite_account_to_organization(Target={"Id": local.prod, "Type": "ACCOUNT"})["Handshake"]
    guest = local.user("guest-admin", allow("*"), account=local.prod)
    accepted = local.client("organizations", guest).accept_handshake(HandshakeId=invitation["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"
    joined = {a["Id"]: a["JoinedMethod"] for a in org.org.list_accounts()["Accounts"]}
    assert joined[local.prod] == "INVITED"
    roles = [r["RoleName"] for r in local.client("iam", guest).list_roles()["Roles"]]
    assert "OrganizationAccountAccessRole" not in roles


def test_s3_explains_a_refusal_to_a_caller_of_the_same_organization_only(local: Sandbox) -> None:
    """S3 User Guide, "Troubleshoot access denied (403 Forbidden) errors": the added context is for requests within
    the same account or the same organization; a caller from elsewhere gets "Access Denied"."""
    org = Org(local)
    member = org.new_account()
    role = org.access_role(member)
    bucket = f"{local.id}-member-bucket"
    local.client("s3", role).create_bucket(Bucket=bucket)
    insider = local.user("insider", allow("s3:GetObject"))                     # the management account's user
    outsider = local.user("outsider", allow("s3:GetObject"), account=local.prod)
    for who, expected in ((insider, "because no resource-based policy allows"), (outsider, None)):
        with pytest.raises(ClientError) as info:
            local.client("s3", who).get_object(Bucket=bucket, Key="x")
        message = error_of(info)[1]
        if expected:
            assert expected in message, message
        else:
            assert message == "Access Denied"


def test_an_scp_on_the_production_ou_refuses_the_production_admin_a_delete_but_not_the_management_account(
        local: Sandbox) -> None:
    """SecureCart's shape: a management account running no workloads, production invited into an OU of its own.
    Organizations User Guide, "Service control policies": an SCP attached to an OU applies to every account under it,
    a Deny there wins over any allow, and SCPs never affect the management account; IAM User Guide, "Access denied
    error messages": the refusal names the policy type ("... with an explicit deny in a service control policy")."""
    org = Org(local)
    org.enable()
    ou = org.org.create_organizational_unit(ParentId=org.root, Name="Production")["OrganizationalUnit"]["Id"]
    invitation = org.org.invite_account_to_organization(Target={"Id": local.prod, "Type": "ACCOUNT"})["Handshake"]
    production_admin = local.user("prod-admin", allow("*"), account=local.prod)
    local.client("organizations", production_admin).accept_handshake(HandshakeId=invitation["Id"])
    org.org.move_account(AccountId=local.prod, SourceParentId=org.root, DestinationParentId=ou)
    no_deletes = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]})
    org.org.attach_policy(PolicyId=org.policy("DenyDeleteObject", no_deletes), TargetId=ou)

    production = local.client("s3", production_admin)
    production.create_bucket(Bucket=f"{local.id}-orders")
    production.put_object(Bucket=f"{local.id}-orders", Key="o.json", Body=b"{}")
    with pytest.raises(ClientError) as info:
        production.delete_object(Bucket=f"{local.id}-orders", Key="o.json")
    code, message, status = error_of(info)
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("with an explicit deny in a service control policy"), message
    assert "s3:DeleteObject" in message
    waterfall = local.lab.decision(info.value.response["ResponseMetadata"]["RequestId"]).to_dict()["layers"]
    scp = next(layer for layer in waterfall if layer["kind"] == "scp")
    assert scp["decided"] and scp["verdict"] == "deny"
    assert [layer["kind"] for layer in waterfall if layer["decided"]] == ["scp"]
    assert "NoDeletes" in json.dumps(scp) and [level["kind"] for level in scp["levels"]] == ["root", "ou", "account"]
    assert production.get_object(Bucket=f"{local.id}-orders", Key="o.json")["Body"].read() == b"{}"   # only deletes

    management = local.client("s3", org.admin)
    management.create_bucket(Bucket=f"{local.id}-billing")
    management.put_object(Bucket=f"{local.id}-billing", Key="b.json", Body=b"{}")
    management.delete_object(Bucket=f"{local.id}-billing", Key="b.json")          # the management account: no SCP
    assert management.list_objects_v2(Bucket=f"{local.id}-billing").get("KeyCount") == 0
