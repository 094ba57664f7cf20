"""The SecureCart world every sandbox starts with, and the code that builds it in moto (and tears it down).

The world is data (WORLD_ROLES, WORLD_USERS, ...) with `{production}`, `{developer}` and `{auditor}` standing
for the sandbox's own account ids, so scenarios, tests and the docs read the same facts.

Seeding goes straight to moto through the operator's seeding client (sandboxes/operator.py): it is the lab operator setting up the
accounts, not a learner call, so it is neither authorised nor recorded.

Other apps add to the world without this module importing them: register_world_extension(...) from their
AppConfig.ready() (federation adds its roles, its identity providers and Identity Center's reset).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from gateway.runtime import current

PRODUCTION, DEVELOPER, AUDITOR, MANAGEMENT = "production", "developer", "auditor", "management"
REGION = "us-east-1"

# SecureCart's organization: the management account runs no workloads and holds the organization; production and
# developer each sit in an OU of their own, so a guardrail can be put on one without the other. The audit firm has an
# organization of its own (a different aws:PrincipalOrgID). IAM account aliases name the accounts in Organizations.
ACCOUNT_ALIASES = MappingProxyType({PRODUCTION: "securecart-production", DEVELOPER: "securecart-developer",
                                    AUDITOR: "audit-firm", MANAGEMENT: "securecart-management"})
ORGANIZATION_OUS = MappingProxyType({PRODUCTION: "Production", DEVELOPER: "Development"})
ORG_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")

# The external ID the audit firm was given out of band. AWS recommends one for any third party assuming a role
# (the "confused deputy" guard); it is not a secret, just a value only SecureCart and the auditors agreed on.
AUDIT_EXTERNAL_ID = "SecureCart-Audit-7F3K9Q"

PRODUCT_IMAGES = "securecart-product-images"
INVOICES = "securecart-invoices"
SECURITY_LOGS = "securecart-security-logs"
DB_SECRET = "DBPassword"
ADMIN_USER = "lab-admin"


def policy_doc(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document (Version 2012-10-17) with these statements: the world's and other apps' policies."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


@dataclass(frozen=True)
class RoleSpec:
    account: str
    name: str
    description: str
    trust: dict[str, Any]
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # inline policy name -> document
    max_session_duration: int = 3600
    instance_profile: bool = False


@dataclass(frozen=True)
class UserSpec:
    account: str
    name: str
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_key: bool = True


@dataclass(frozen=True)
class BucketSpec:
    name: str
    objects: dict[str, bytes]


WORLD_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        PRODUCTION, "SecureCart-WebTier-Role",
        "Attached to the web tier's EC2 instances: reads product images and the database password.",
        trust=policy_doc({"Sid": "EC2InstancesAssumeThisRole", "Effect": "Allow",
                          "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        policies={
            # The example policy in SecureCart's notes also granted securecart-invoices/*. The web tier only
            # serves product images, so least privilege leaves invoices out: scenario 4 shows that read DENIED.
            "WebTierAccess": policy_doc(
                {"Sid": "ReadProductImages", "Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{PRODUCT_IMAGES}/*"},
                {"Sid": "ReadDatabasePassword", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 # Secrets Manager appends a random six-character suffix to secret ARNs.
                 "Resource": f"arn:aws:secretsmanager:{REGION}:{{production}}:secret:{DB_SECRET}-*"},
            ),
        },
        instance_profile=True,
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-AuditRole",
        "Assumed by the external audit firm to review security logs, read-only.",
        trust=policy_doc({"Sid": "TrustAuditorAccount", "Effect": "Allow",
                          "Principal": {"AWS": "arn:aws:iam::{auditor}:root"}, "Action": "sts:AssumeRole",
                          "Condition": {"StringEquals": {"sts:ExternalId": AUDIT_EXTERNAL_ID}}}),
        policies={
            "ReadSecurityLogs": policy_doc(
                {"Sid": "ListSecurityLogs", "Effect": "Allow", "Action": "s3:ListBucket",
                 "Resource": f"arn:aws:s3:::{SECURITY_LOGS}"},
                {"Sid": "ReadSecurityLogs", "Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{SECURITY_LOGS}/*"},
            ),
        },
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-Developer",
        "Developers' everyday access to production: look, don't touch.",
        trust=policy_doc({"Sid": "TrustDeveloperAccount", "Effect": "Allow",
                          "Principal": {"AWS": "arn:aws:iam::{developer}:root"}, "Action": "sts:AssumeRole"}),
        policies={
            "DeveloperReadOnly": policy_doc(
                {"Sid": "SeeInstances", "Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"},
                {"Sid": "ReadProductImages", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                 "Resource": [f"arn:aws:s3:::{PRODUCT_IMAGES}", f"arn:aws:s3:::{PRODUCT_IMAGES}/*"]},
            ),
        },
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-Operations",
        "Operations engineers: may restart instances, only after proving MFA.",
        trust=policy_doc({"Sid": "TrustDeveloperAccountWithMFA", "Effect": "Allow",
                          "Principal": {"AWS": "arn:aws:iam::{developer}:root"}, "Action": "sts:AssumeRole",
                          "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
        policies={
            "OperateInstances": policy_doc(
                {"Sid": "OperateInstances", "Effect": "Allow",
                 "Action": ["ec2:DescribeInstances", "ec2:StartInstances", "ec2:StopInstances",
                            "ec2:RebootInstances"], "Resource": "*"},
            ),
        },
        max_session_duration=3600,
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-DeployPipeline",
        "The CI pipeline's first hop into production; it may only hand over to the release manager role.",
        trust=policy_doc({"Sid": "TrustCiUser", "Effect": "Allow",
                          "Principal": {"AWS": "arn:aws:iam::{developer}:user/securecart-ci"},
                          "Action": "sts:AssumeRole"}),
        policies={
            "HandOverToReleaseManager": policy_doc(
                {"Sid": "AssumeReleaseManager", "Effect": "Allow", "Action": "sts:AssumeRole",
                 "Resource": "arn:aws:iam::{production}:role/SecureCart-ReleaseManager"},
            ),
        },
        max_session_duration=43200,
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-ReleaseManager",
        "Publishes release assets. Only the deploy pipeline's role may assume it (role chaining).",
        trust=policy_doc({"Sid": "TrustDeployPipelineRole", "Effect": "Allow",
                          "Principal": {"AWS": "arn:aws:iam::{production}:role/SecureCart-DeployPipeline"},
                          "Action": "sts:AssumeRole"}),
        policies={
            "PublishReleaseAssets": policy_doc(
                {"Sid": "PublishProductImages", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
                 "Resource": f"arn:aws:s3:::{PRODUCT_IMAGES}/releases/*"},
            ),
        },
        # Deliberately above one hour: a chained hop asking for 2 hours then fails for the chaining limit, not
        # for the role's own maximum — the lesson is the chaining rule.
        max_session_duration=14400,
    ),
)

_ASSUME = "sts:AssumeRole"
WORLD_USERS: tuple[UserSpec, ...] = (
    UserSpec(AUDITOR, "securecart-auditor", {
        # The other half of cross-account access: the auditor's own account must let them call AssumeRole.
        "AssumeSecureCartAuditRole": policy_doc({"Sid": "AssumeAuditRole", "Effect": "Allow", "Action": _ASSUME,
                                                 "Resource": "arn:aws:iam::{production}:role/SecureCart-AuditRole"}),
    }),
    # Same account as the auditor, trusted by the same role, but nobody granted them sts:AssumeRole.
    UserSpec(AUDITOR, "audit-intern", {
        "ReadOwnAccountOnly": policy_doc({"Sid": "ListOwnBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                          "Resource": "*"}),
    }),
    # Was allowed, then suspended by the audit firm with an explicit Deny: Deny beats Allow.
    UserSpec(AUDITOR, "audit-contractor", {
        "AssumeSecureCartAuditRole": policy_doc({"Sid": "AssumeAuditRole", "Effect": "Allow", "Action": _ASSUME,
                                                 "Resource": "arn:aws:iam::{production}:role/SecureCart-AuditRole"}),
        "ContractSuspended": policy_doc({"Sid": "SuspendedUntilRenewal", "Effect": "Deny", "Action": "sts:*",
                                         "Resource": "*"}),
    }),
    UserSpec(DEVELOPER, "developer", {
        "AssumeTeamRoles": policy_doc({"Sid": "AssumeTeamRoles", "Effect": "Allow", "Action": _ASSUME,
                                       "Resource": ["arn:aws:iam::{production}:role/SecureCart-Developer",
                                                    "arn:aws:iam::{production}:role/SecureCart-Operations"]}),
    }),
    UserSpec(DEVELOPER, "securecart-ci", {
        "StartDeployPipeline": policy_doc({"Sid": "AssumeDeployPipeline", "Effect": "Allow", "Action": _ASSUME,
                                           "Resource": "arn:aws:iam::{production}:role/SecureCart-DeployPipeline"}),
    }),
)

ADMIN_POLICY = MappingProxyType(policy_doc({"Sid": "LabAdministrator", "Effect": "Allow", "Action": "*",
                                            "Resource": "*"}))

_LOG_LINE = json.dumps({"Records": [{"eventVersion": "1.09", "eventSource": "s3.amazonaws.com",
                                     "eventName": "GetObject", "awsRegion": REGION,
                                     "sourceIPAddress": "203.0.113.24"}]}, indent=2).encode()
WORLD_BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec(PRODUCT_IMAGES, {
        "images/hero-banner.jpg": b"\xff\xd8\xff\xe0 (a tiny stand-in for a JPEG) \xff\xd9",
        "images/products/espresso-cup.jpg": b"\xff\xd8\xff\xe0 espresso cup \xff\xd9",
        "releases/README.txt": b"Release assets are published here by SecureCart-ReleaseManager.\n",
    }),
    BucketSpec(INVOICES, {
        "2024/10/INV-100231.pdf": b"%PDF-1.4\n% SecureCart invoice INV-100231 (sample)\n",
    }),
    BucketSpec(SECURITY_LOGS, {
        "cloudtrail/2024/10/01/events.json": _LOG_LINE,
        "guardduty/2024/10/findings-summary.txt": b"0 high, 2 medium, 11 low findings. Nothing unresolved.\n",
    }),
)

DB_SECRET_VALUE = json.dumps({"username": "securecart_app", "password": "sandbox-only-not-a-real-password"})


def fill(value: Any, accounts: dict[str, str]) -> Any:
    """Replace {production}/{developer}/{auditor} in a (nested) policy with the sandbox's account ids."""
    if isinstance(value, str):
        for name, account_id in accounts.items():
            value = value.replace("{" + name + "}", account_id)
        return value
    if isinstance(value, list):
        return [fill(item, accounts) for item in value]
    if isinstance(value, Mapping):
        return {key: fill(item, accounts) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class WorldExtension:
    """What another app adds to the world: more roles and users (seeded and reset like WORLD_ROLES and WORLD_USERS,
    so they are in every sandbox from the start and in the world template), a seed step run after the world is
    built, and a wipe step run for every account on reset. seed(sandbox_id, accounts), wipe(sandbox_id, account_id)."""
    name: str
    roles: tuple[RoleSpec, ...] = ()
    seed: Callable[[str, dict[str, str]], None] | None = None
    wipe: Callable[[str, str], None] | None = None
    # True when seed() and wipe() touch only the moto state of the accounts they are given (plus idempotent
    # process-wide state): then a template copy (sandboxes/template.py) carries the seed's result, and dropping the
    # accounts' moto state on reset or rebuild does the wipe.
    moto_only: bool = False
    users: tuple[UserSpec, ...] = ()


def _extensions() -> dict[str, WorldExtension]:
    """Registered by other apps in AppConfig.ready(), so this module never imports them (federation/apps.py): the
    runtime's configuration (gateway.runtime), kept by a fresh runtime."""
    return current().config.world_extensions


def register_world_extension(name: str, *, roles: tuple[RoleSpec, ...] | list[RoleSpec] = (),
                             seed: Callable[[str, dict[str, str]], None] | None = None,
                             wipe: Callable[[str, str], None] | None = None, moto_only: bool = False,
                             users: tuple[UserSpec, ...] | list[UserSpec] = ()) -> None:
    """Add to every sandbox's world. Registering the same name again replaces it (ready() may run twice)."""
    others = [ext for ext in _extensions().values() if ext.name != name]
    taken = {spec.name for spec in WORLD_ROLES} | {spec.name for ext in others for spec in ext.roles}
    clash = sorted(taken & {spec.name for spec in roles})
    if clash:
        raise ValueError(f"world extension {name!r}: roles already in the world: {', '.join(clash)}")
    taken_users = {(spec.account, spec.name) for spec in WORLD_USERS} | {
        (spec.account, spec.name) for ext in others for spec in ext.users}
    clash = sorted(f"{account}/{user}" for account, user in taken_users & {(s.account, s.name) for s in users})
    if clash:
        raise ValueError(f"world extension {name!r}: users already in the world: {', '.join(clash)}")
    _extensions()[name] = WorldExtension(name, tuple(roles), seed, wipe, moto_only, tuple(users))


def unregister_world_extension(name: str) -> None:
    """Take an extension out of the world again (tests that add one of their own)."""
    _extensions().pop(name, None)


def world_extension_names() -> list[str]:
    return list(_extensions())


def world_roles() -> list[RoleSpec]:
    """The roles every sandbox is seeded with: SecureCart's own and those of registered extensions."""
    return [*WORLD_ROLES, *(spec for ext in _extensions().values() for spec in ext.roles)]


def world_users() -> list[UserSpec]:
    """The users every world sandbox is seeded with: SecureCart's own and those of registered extensions."""
    return [*WORLD_USERS, *(spec for ext in _extensions().values() for spec in ext.users)]


def role_spec(name: str) -> RoleSpec:
    for spec in world_roles():
        if spec.name == name:
            return spec
    raise KeyError(name)


def seeded_trust_policy(role_name: str, accounts: dict[str, str]) -> dict[str, Any]:
    return fill(role_spec(role_name).trust, accounts)


@dataclass
class SeededKey:
    account_name: str
    user_name: str
    arn: str
    access_key_id: str
    secret_access_key: str


def _admin(service: str, account_id: str, sandbox_id: str | None = None):
    from .operator import OPERATOR

    # With sandbox_id, S3 bucket names move into the sandbox's namespace as the gateway does for learners.
    return OPERATOR.seeding_client(service, account_id, sandbox_id=sandbox_id)


def create_user_with_key(account_name: str, account_id: str, user_name: str,
                         policies: dict[str, dict[str, Any]], accounts: dict[str, str]) -> SeededKey:
    iam = _admin("iam", account_id)
    user = iam.create_user(UserName=user_name)["User"]
    for policy_name, document in policies.items():
        iam.put_user_policy(UserName=user_name, PolicyName=policy_name,
                            PolicyDocument=json.dumps(fill(document, accounts)))
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return SeededKey(account_name, user_name, user["Arn"], key["AccessKeyId"], key["SecretAccessKey"])


def seed_world(sandbox_id: str, accounts: dict[str, str], *, extensions: str = "all") -> list[SeededKey]:
    """Build the SecureCart world in moto for these accounts; returns the long-term keys it created.

    extensions: "all" runs every registered extension's seed step, "moto_only" only those whose result a template
    copy carries (the prepared template, sandboxes/template.py), "none" none (run_extension_seeds does the rest)."""
    keys: list[SeededKey] = []
    # Users first: a trust policy naming a user (SecureCart-DeployPipeline) needs the user to exist, as in IAM.
    for user in world_users():
        keys.append(create_user_with_key(user.account, accounts[user.account], user.name, user.policies, accounts))
    for spec in world_roles():
        iam = _admin("iam", accounts[spec.account])
        iam.create_role(RoleName=spec.name, Description=spec.description,
                        AssumeRolePolicyDocument=json.dumps(fill(spec.trust, accounts)),
                        MaxSessionDuration=spec.max_session_duration)
        for policy_name, document in spec.policies.items():
            iam.put_role_policy(RoleName=spec.name, PolicyName=policy_name,
                                PolicyDocument=json.dumps(fill(document, accounts)))
        if spec.instance_profile:
            iam.create_instance_profile(InstanceProfileName=spec.name)
            iam.add_role_to_instance_profile(InstanceProfileName=spec.name, RoleName=spec.name)
    for account_name, account_id in accounts.items():
        keys.append(create_user_with_key(account_name, account_id, ADMIN_USER, {"AdministratorAccess": ADMIN_POLICY},
                                         accounts))
    s3 = _admin("s3", accounts[PRODUCTION], sandbox_id)
    for bucket in WORLD_BUCKETS:
        s3.create_bucket(Bucket=bucket.name)
        for key, body in bucket.objects.items():
            s3.put_object(Bucket=bucket.name, Key=key, Body=body)
    _admin("secretsmanager", accounts[PRODUCTION]).create_secret(Name=DB_SECRET, SecretString=DB_SECRET_VALUE)
    if MANAGEMENT in accounts:
        seed_organizations(accounts)
    if extensions != "none":
        run_extension_seeds(sandbox_id, accounts, moto_only=extensions == "moto_only" or None)
    return keys


def seed_organizations(accounts: dict[str, str]) -> None:
    """SecureCart's organization (SCPs and RCPs enabled, FullAWSAccess everywhere: no guardrail yet; the guardrails
    scenario adds them), production and developer invited into an OU each, and the audit firm's own organization."""
    for name, alias in ACCOUNT_ALIASES.items():
        if name in accounts:
            _admin("iam", accounts[name]).create_account_alias(AccountAlias=alias)
    org = _admin("organizations", accounts[MANAGEMENT])
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    for policy_type in ORG_POLICY_TYPES:
        org.enable_policy_type(RootId=root, PolicyType=policy_type)
    for name, ou_name in ORGANIZATION_OUS.items():
        ou = org.create_organizational_unit(ParentId=root, Name=ou_name)["OrganizationalUnit"]["Id"]
        invitation = org.invite_account_to_organization(Target={"Id": accounts[name], "Type": "ACCOUNT"})
        _admin("organizations", accounts[name]).accept_handshake(HandshakeId=invitation["Handshake"]["Id"])
        org.move_account(AccountId=accounts[name], SourceParentId=root, DestinationParentId=ou)
    _admin("organizations", accounts[AUDITOR]).create_organization(FeatureSet="ALL")


def run_extension_seeds(sandbox_id: str, accounts: dict[str, str], *, moto_only: bool | None = None) -> None:
    """Every extension's seed step (moto_only=None), only the moto-only ones (True), or only the others (False)."""
    for extension in _extensions().values():
        if extension.seed is not None and (moto_only is None or extension.moto_only == moto_only):
            extension.seed(sandbox_id, accounts)


def keyed_users(kind: str, accounts: dict[str, str]) -> list[tuple[str, str]]:
    """(account name, user name) of every seeded user with a long-term access key, in seeding order."""
    users = [(user.account, user.name) for user in world_users() if user.access_key] if kind == "world" else []
    return users + [(name, ADMIN_USER) for name in accounts]


def wipe_extensions(sandbox_id: str, account_id: str) -> None:
    """Wipe steps of the extensions that keep state outside the account's own moto data (not moto_only)."""
    for extension in _extensions().values():
        if extension.wipe is not None and not extension.moto_only:
            extension.wipe(sandbox_id, account_id)


def seed_bare(sandbox_id: str, accounts: dict[str, str]) -> list[SeededKey]:
    """N empty accounts, each with an administrator user allowed * on * (for people bringing their own exercises)."""
    return [create_user_with_key(name, account_id, ADMIN_USER, {"AdministratorAccess": ADMIN_POLICY}, accounts)
            for name, account_id in accounts.items()]


def wipe_account(sandbox_id: str, account_id: str) -> None:
    """Delete everything the world (or a learner) created in one account. moto has no per-account reset."""
    # Extensions first: their data may point at IAM entities deleted below (e.g. Identity Center assignments).
    for extension in _extensions().values():
        if extension.wipe is not None:
            extension.wipe(sandbox_id, account_id)
    iam = _admin("iam", account_id)
    for profile in iam.list_instance_profiles()["InstanceProfiles"]:
        for role in profile["Roles"]:
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"],
                                                  RoleName=role["RoleName"])
        iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)
    for user in iam.list_users()["Users"]:
        delete_user(iam, user["UserName"])
    for device in iam.list_virtual_mfa_devices()["VirtualMFADevices"]:
        iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        iam.delete_policy(PolicyArn=policy["Arn"])
    # Identity providers: the federation app's and Identity Center's AWSSSO_ ones, or a learner's own.
    for provider in iam.list_saml_providers().get("SAMLProviderList", []):
        iam.delete_saml_provider(SAMLProviderArn=provider["Arn"])
    for provider in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    s3 = _admin("s3", account_id, sandbox_id)
    for bucket in s3.list_buckets().get("Buckets", []):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket["Name"], Key=item["Key"])
        s3.delete_bucket(Bucket=bucket["Name"])
    # Scenario 4 launches EC2 instances; a reset must not leave them running with a dangling instance profile.
    ec2 = _admin("ec2", account_id)
    running = [i["InstanceId"] for r in ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running", "stopped"]}])["Reservations"]
        for i in r["Instances"]]
    if running:
        ec2.terminate_instances(InstanceIds=running)
    secretsmanager = _admin("secretsmanager", account_id)
    for secret in secretsmanager.list_secrets().get("SecretList", []):
        secretsmanager.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)


def delete_user(iam: Any, name: str) -> None:
    """Delete an IAM user as IAM requires: its inline and attached policies, keys, MFA devices and groups first."""
    for policy_name in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=policy_name)
    for attached in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=name, PolicyArn=attached["PolicyArn"])
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for device in iam.list_mfa_devices(UserName=name)["MFADevices"]:
        iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
    for group in iam.list_groups_for_user(UserName=name)["Groups"]:
        iam.remove_user_from_group(GroupName=group["GroupName"], UserName=name)
    iam.delete_user(UserName=name)
