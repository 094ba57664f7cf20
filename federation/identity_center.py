"""IAM Identity Center in a sandbox: the identity store, permission sets, account assignments, provisioning and the
access portal's "get role credentials".

moto implements sso-admin and identitystore (data only) but never creates the IAM roles; real Identity Center does,
so `provision` plays the service's part: for every assignment it creates, in the target account,
  - the IAM SAML provider `AWSSSO_<16 hex>_DO_NOT_DELETE` (Identity Center's own IdP, metadata with its key), and
  - the role `AWSReservedSSO_<PermissionSetName>_<16 hex>` at path `/aws-reserved/sso.amazonaws.com/` whose
    trust policy is the one AWS writes: Federated = that SAML provider, Action sts:AssumeRoleWithSAML +
    sts:TagSession, Condition StringEquals SAML:aud https://signin.aws.amazon.com/saml (the same key data-perimeter
    guidance relies on: aws-samples/data-perimeter-policy-examples #25), with the permission set's inline policy
    and its session duration as MaxSessionDuration.
When the portal hands out credentials, Identity Center signs an assertion with its own key and redeems it with
STS (AssumeRoleWithSAML) for the person: that is the implicit call the portal page shows step by step.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.federation.idp import SamlIdp, SamlPerson
from sandboxes.world import DEVELOPER, PRODUCT_IMAGES, PRODUCTION, policy_doc

from . import people
from .services import signing_key

HOME_ACCOUNT = PRODUCTION           # the organisation's management account, where Identity Center lives
ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
# The access portal session (AWS's default is 8 hours; this lab's Identity Center is set shorter so a class can
# watch it end) and the role sessions it hands out (the permission set's session duration).
PORTAL_SESSION_SECONDS = 2 * 3600


@dataclass(frozen=True)
class PermissionSetSpec:
    name: str
    description: str
    session_duration: str           # ISO 8601, as sso-admin stores it
    inline_policy: dict[str, Any]
    assignments: tuple[tuple[str, str], ...]     # (group, account name)

    @property
    def session_seconds(self) -> int:
        return iso_duration_seconds(self.session_duration)


PERMISSION_SETS: tuple[PermissionSetSpec, ...] = (
    PermissionSetSpec(
        "DeveloperAccess", "Developers: look at product images and instances.", "PT1H",
        policy_doc({"Sid": "ReadProductImages", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{PRODUCT_IMAGES}", f"arn:aws:s3:::{PRODUCT_IMAGES}/*"]},
                   {"Sid": "SeeInstances", "Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}),
        assignments=(("Developers", DEVELOPER), ("Developers", PRODUCTION))),
    PermissionSetSpec(
        "OperationsAccess", "Operations: run production's instances.", "PT1H",
        policy_doc({"Sid": "OperateInstances", "Effect": "Allow",
                    "Action": ["ec2:DescribeInstances", "ec2:StartInstances", "ec2:StopInstances"], "Resource": "*"}),
        assignments=(("Operations", PRODUCTION),)),
)


def iso_duration_seconds(text: str) -> int:
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"not an ISO 8601 duration like PT1H: {text!r}")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def permission_set_spec(name: str) -> PermissionSetSpec | None:
    return next((p for p in PERMISSION_SETS if p.name == name), None)


def _suffix(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:16]


def provider_name(instance_arn: str) -> str:
    return f"AWSSSO_{_suffix('provider', instance_arn)}_DO_NOT_DELETE"


def reserved_role_name(permission_set: str, account_id: str, instance_arn: str) -> str:
    return f"AWSReservedSSO_{permission_set}_{_suffix(instance_arn, permission_set, account_id)}"


def identity_center_idp(instance_arn: str, sandbox_id: str) -> SamlIdp:
    """Identity Center's own SAML IdP (one per instance, with the sandbox's own key), whose metadata goes into
    every AWSSSO_ provider."""
    entity = f"https://portal.sso.us-east-1.amazonaws.com/saml/assertion/{_suffix('entity', instance_arn)}"
    return SamlIdp(entity, "https://portal.sso.us-east-1.amazonaws.com/saml/sso", signing_key("identity-center", sandbox_id))


def reserved_role_trust(account_id: str, instance_arn: str) -> dict[str, Any]:
    return policy_doc({"Effect": "Allow",
                       "Principal": {
                           "Federated": f"arn:aws:iam::{account_id}:saml-provider/{provider_name(instance_arn)}"},
                       "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                       "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE}}})


# ------------------------------------------------------------------------------------------------ clients
def admin(service: str, account_id: str) -> Any:
    from sandboxes.operator import OPERATOR

    return OPERATOR.seeding_client(service, account_id)   # Identity Center's set-up is world building


@dataclass
class Instance:
    instance_arn: str
    identity_store_id: str


def instance(sso_admin: Any) -> Instance:
    found = sso_admin.list_instances()["Instances"][0]   # moto makes one per account and region
    return Instance(found["InstanceArn"], found["IdentityStoreId"])


# ------------------------------------------------------------------------------------------------ directory
def sync_directory(identitystore: Any, store_id: str) -> dict[str, str]:
    """The people and groups of the SecureCart IdP, as SCIM provisioning would put them in the identity store.
    Idempotent; returns user name -> user id."""
    users = {u["UserName"]: u["UserId"] for u in identitystore.list_users(IdentityStoreId=store_id)["Users"]}
    groups = {g["DisplayName"]: g["GroupId"] for g in identitystore.list_groups(IdentityStoreId=store_id)["Groups"]}
    for person in people.PEOPLE:
        if person.username not in users:
            given, _, family = person.display_name.partition(" ")
            users[person.username] = identitystore.create_user(
                IdentityStoreId=store_id, UserName=person.username, DisplayName=person.display_name,
                Name={"GivenName": given, "FamilyName": family or given},
                Emails=[{"Value": person.email, "Type": "work", "Primary": True}])["UserId"]
    for name, description in people.GROUPS.items():
        if name not in groups:
            groups[name] = identitystore.create_group(IdentityStoreId=store_id, DisplayName=name,
                                                      Description=description)["GroupId"]
    for person in people.PEOPLE:
        member_of = {m["GroupId"] for m in identitystore.list_group_memberships_for_member(
            IdentityStoreId=store_id, MemberId={"UserId": users[person.username]})["GroupMemberships"]}
        for group in person.groups:
            if groups[group] not in member_of:
                identitystore.create_group_membership(IdentityStoreId=store_id, GroupId=groups[group],
                                                      MemberId={"UserId": users[person.username]})
    return users


def group_ids(identitystore: Any, store_id: str) -> dict[str, str]:
    return {g["DisplayName"]: g["GroupId"] for g in identitystore.list_groups(IdentityStoreId=store_id)["Groups"]}


def permission_sets(sso_admin: Any, instance_arn: str) -> dict[str, str]:
    """name -> permission set ARN."""
    out = {}
    for arn in sso_admin.list_permission_sets(InstanceArn=instance_arn)["PermissionSets"]:
        described = sso_admin.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn)
        out[described["PermissionSet"]["Name"]] = arn
    return out


def create_permission_set(sso_admin: Any, instance_arn: str, spec: PermissionSetSpec) -> str:
    existing = permission_sets(sso_admin, instance_arn)
    if spec.name in existing:
        return existing[spec.name]
    arn = sso_admin.create_permission_set(Name=spec.name, Description=spec.description, InstanceArn=instance_arn,
                                          SessionDuration=spec.session_duration)["PermissionSet"]["PermissionSetArn"]
    sso_admin.put_inline_policy_to_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn,
                                                  InlinePolicy=json.dumps(spec.inline_policy))
    return arn


def assign(sso_admin: Any, instance_arn: str, permission_set_arn: str, group_id: str, account_id: str) -> None:
    current = sso_admin.list_account_assignments(InstanceArn=instance_arn, AccountId=account_id,
                                                 PermissionSetArn=permission_set_arn)["AccountAssignments"]
    if any(a["PrincipalId"] == group_id for a in current):
        return
    sso_admin.create_account_assignment(InstanceArn=instance_arn, TargetId=account_id, TargetType="AWS_ACCOUNT",
                                        PermissionSetArn=permission_set_arn, PrincipalType="GROUP",
                                        PrincipalId=group_id)


@dataclass
class ProvisionedRole:
    account_name: str
    account_id: str
    permission_set: str
    role_name: str
    role_arn: str
    provider_arn: str
    session_seconds: int


def provision(sso_admin: Any, accounts: dict[str, str], inst: Instance, sandbox_id: str) -> list[ProvisionedRole]:
    """Identity Center's side of ProvisionPermissionSet: make the AWSSSO_ provider and AWSReservedSSO_ role in
    each target account that has an assignment. Idempotent (updates the policy and trust when they drifted)."""
    names = {account_id: name for name, account_id in accounts.items()}
    done: list[ProvisionedRole] = []
    metadata = identity_center_idp(inst.instance_arn, sandbox_id).metadata_xml()
    for ps_name, ps_arn in permission_sets(sso_admin, inst.instance_arn).items():
        described = sso_admin.describe_permission_set(InstanceArn=inst.instance_arn, PermissionSetArn=ps_arn)
        seconds = iso_duration_seconds(described["PermissionSet"].get("SessionDuration") or "PT1H")
        policy = sso_admin.get_inline_policy_for_permission_set(InstanceArn=inst.instance_arn,
                                                                PermissionSetArn=ps_arn).get("InlinePolicy") or ""
        for account_id in names:
            assignments = sso_admin.list_account_assignments(InstanceArn=inst.instance_arn, AccountId=account_id,
                                                             PermissionSetArn=ps_arn)["AccountAssignments"]
            if not assignments:
                continue
            done.append(_provision_one(account_id, names[account_id], ps_name, seconds, policy, inst, metadata))
    return done


def _provision_one(account_id: str, account_name: str, ps_name: str, seconds: int, policy: str, inst: Instance,
                   metadata: str) -> ProvisionedRole:
    iam = admin("iam", account_id)
    provider = provider_name(inst.instance_arn)
    provider_arn = f"arn:aws:iam::{account_id}:saml-provider/{provider}"
    if provider_arn not in {p["Arn"] for p in iam.list_saml_providers().get("SAMLProviderList", [])}:
        iam.create_saml_provider(Name=provider, SAMLMetadataDocument=metadata)
    else:
        iam.update_saml_provider(SAMLProviderArn=provider_arn, SAMLMetadataDocument=metadata)
    role_name = reserved_role_name(ps_name, account_id, inst.instance_arn)
    trust = json.dumps(reserved_role_trust(account_id, inst.instance_arn))
    try:
        role = iam.get_role(RoleName=role_name)["Role"]
        iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=trust)
        iam.update_role(RoleName=role_name, MaxSessionDuration=max(3600, seconds))
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName=role_name, Path=ROLE_PATH, AssumeRolePolicyDocument=trust,
                               MaxSessionDuration=max(3600, seconds),
                               Description=f"Provisioned by IAM Identity Center for permission set {ps_name}. "
                                           "Do not edit: Identity Center overwrites it.")["Role"]
    if policy:
        iam.put_role_policy(RoleName=role_name, PolicyName="AwsSSOInlinePolicy", PolicyDocument=policy)
    return ProvisionedRole(account_name, account_id, ps_name, role_name, role["Arn"], provider_arn, seconds)


def ensure_identity_center(sandbox: Any) -> tuple[Instance, list[ProvisionedRole]]:
    """Everything scenario 2 builds, done at once for the portal page (idempotent)."""
    accounts = sandbox.account_ids()
    home = accounts[HOME_ACCOUNT]
    sso_admin, identitystore = admin("sso-admin", home), admin("identitystore", home)
    inst = instance(sso_admin)
    sync_directory(identitystore, inst.identity_store_id)
    groups = group_ids(identitystore, inst.identity_store_id)
    for spec in PERMISSION_SETS:
        arn = create_permission_set(sso_admin, inst.instance_arn, spec)
        for group, account_name in spec.assignments:
            assign(sso_admin, inst.instance_arn, arn, groups[group], accounts[account_name])
    return inst, provision(sso_admin, accounts, inst, sandbox.id)


# ------------------------------------------------------------------------------------------------ the portal
def entitlements(sandbox: Any, username: str) -> list[ProvisionedRole]:
    """The accounts and roles the access portal shows `username`: assignments to the person or their groups."""
    accounts = sandbox.account_ids()
    home = accounts[HOME_ACCOUNT]
    sso_admin, identitystore = admin("sso-admin", home), admin("identitystore", home)
    inst = instance(sso_admin)
    users = {u["UserName"]: u["UserId"] for u in
             identitystore.list_users(IdentityStoreId=inst.identity_store_id)["Users"]}
    user_id = users.get(username)
    if user_id is None:
        return []
    principal_ids = {user_id} | {m["GroupId"] for m in identitystore.list_group_memberships_for_member(
        IdentityStoreId=inst.identity_store_id, MemberId={"UserId": user_id})["GroupMemberships"]}
    provisioned = {(r.account_id, r.permission_set): r for r in provision(sso_admin, accounts, inst, sandbox.id)}
    out = []
    for ps_name, ps_arn in permission_sets(sso_admin, inst.instance_arn).items():
        for account_name, account_id in accounts.items():
            assignments = sso_admin.list_account_assignments(InstanceArn=inst.instance_arn, AccountId=account_id,
                                                             PermissionSetArn=ps_arn)["AccountAssignments"]
            if any(a["PrincipalId"] in principal_ids for a in assignments) and (account_id, ps_name) in provisioned:
                out.append(provisioned[(account_id, ps_name)])
    return sorted(out, key=lambda r: (r.account_name, r.permission_set))


def portal_assertion(inst: Instance, person: people.Person, role: ProvisionedRole, now: datetime,
                     sandbox_id: str) -> str:
    """The SAML Response Identity Center signs for itself when the portal fetches role credentials."""
    subject = SamlPerson(name_id=person.email, name_id_format="emailAddress",
                         role_pairs=[(role.role_arn, role.provider_arn)], role_session_name=person.username,
                         session_duration=role.session_seconds)
    return identity_center_idp(inst.instance_arn, sandbox_id).build_response(subject, now=now)


def portal_expired(signed_in_at: datetime | None, now: datetime) -> bool:
    return signed_in_at is None or now >= signed_in_at + timedelta(seconds=PORTAL_SESSION_SECONDS)


def wipe(account_id: str) -> None:
    """Forget Identity Center's data in `account_id` (assignments, permission sets, identity store) through its API,
    leaving the rest of the account as it is: a fresh instance for a test. Rebuilds and resets need none of this;
    they drop the accounts' whole moto state, sso-admin and identitystore included."""
    sso_admin, identitystore = admin("sso-admin", account_id), admin("identitystore", account_id)
    inst = instance(sso_admin)
    for ps_arn in sso_admin.list_permission_sets(InstanceArn=inst.instance_arn)["PermissionSets"]:
        for target in sso_admin.list_accounts_for_provisioned_permission_set(
                InstanceArn=inst.instance_arn, PermissionSetArn=ps_arn).get("AccountIds", []):
            _delete_assignments(sso_admin, inst.instance_arn, ps_arn, target)
        sso_admin.delete_permission_set(InstanceArn=inst.instance_arn, PermissionSetArn=ps_arn)
    store = inst.identity_store_id
    for group in identitystore.list_groups(IdentityStoreId=store)["Groups"]:
        for membership in identitystore.list_group_memberships(IdentityStoreId=store,
                                                               GroupId=group["GroupId"])["GroupMemberships"]:
            identitystore.delete_group_membership(IdentityStoreId=store, MembershipId=membership["MembershipId"])
        identitystore.delete_group(IdentityStoreId=store, GroupId=group["GroupId"])
    for user in identitystore.list_users(IdentityStoreId=store)["Users"]:
        identitystore.delete_user(IdentityStoreId=store, UserId=user["UserId"])


def _delete_assignments(sso_admin: Any, instance_arn: str, ps_arn: str, account_id: str) -> None:
    for assignment in sso_admin.list_account_assignments(InstanceArn=instance_arn, AccountId=account_id,
                                                         PermissionSetArn=ps_arn)["AccountAssignments"]:
        sso_admin.delete_account_assignment(InstanceArn=instance_arn, TargetId=account_id, TargetType="AWS_ACCOUNT",
                                            PermissionSetArn=ps_arn, PrincipalType=assignment["PrincipalType"],
                                            PrincipalId=assignment["PrincipalId"])
