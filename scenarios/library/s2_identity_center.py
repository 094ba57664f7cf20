"""Scenario 2 — IAM Identity Center: people from the company directory, permission sets, account assignments,
the roles Identity Center provisions, and the access portal that fetches role credentials for you.

The administration calls (identitystore, sso-admin, iam) are real calls through the gateway, signed by production's
lab-admin. Provisioning the AWSReservedSSO_ roles is done by the lab in Identity Center's place (moto stores the
permission sets but creates no roles; see federation/identity_center.py). Owned by the federation engineer.
"""
from __future__ import annotations

import json

from django.template.loader import render_to_string

from engine.federation.idp import encode_saml_response
from federation import calls, identity_center, people
from sandboxes.services import sandbox_now
from sandboxes.world import ADMIN_USER, DEVELOPER, PRODUCTION

from ..defend import defend_step
from ..framework import AwsRule, Diagram, NeedsEarlierStep, Node, Scenario, Step, StepContext, WhatIf

SESSION = "sso-developer"
PS_NAME = "DeveloperAccess"
SPEC = identity_center.permission_set_spec(PS_NAME)

PERSON = Node("alice", "SecureCart employee", "principal")
IDP = Node("SecureCart IdP", "signs alice in", "principal")
IDC = Node("IAM Identity Center", "production (management) account", "sts")
STS = Node("AWS STS", "AssumeRoleWithSAML, by Identity Center", "sts")
ROLE = Node("AWSReservedSSO_DeveloperAccess_…", "IAM role · developer account", "role")
INSTANCES = Node("EC2 instances", "developer account", "resource")


def _admin(ctx: StepContext):
    return ctx.user(PRODUCTION, ADMIN_USER)


def _instance(ctx: StepContext, keys) -> identity_center.Instance:
    found = ctx.call("Find the Identity Center instance (sso-admin ListInstances)",
                     ctx.client("sso-admin", keys).list_instances, signer=keys)
    item = (found or {}).get("Instances", [{}])[0]
    return identity_center.Instance(item.get("InstanceArn", ""), item.get("IdentityStoreId", ""))


# ------------------------------------------------------------------------------------------------ step 1
def directory(ctx: StepContext) -> None:
    keys = _admin(ctx)
    inst = _instance(ctx, keys)
    # SCIM provisioning from the IdP, done by the lab (operator side, not recorded).
    identity_center.sync_directory(identity_center.admin("identitystore", ctx.accounts[PRODUCTION]),
                                   inst.identity_store_id)
    store = ctx.client("identitystore", keys)
    ctx.call("The people synced from the SecureCart IdP (identitystore ListUsers)", store.list_users, signer=keys,
             IdentityStoreId=inst.identity_store_id)
    ctx.call("Their groups (identitystore ListGroups)", store.list_groups, signer=keys,
             IdentityStoreId=inst.identity_store_id)


# ------------------------------------------------------------------------------------------------ step 2
def permission_set(ctx: StepContext) -> None:
    keys = _admin(ctx)
    inst = _instance(ctx, keys)
    sso = ctx.client("sso-admin", keys)
    existing = identity_center.permission_sets(identity_center.admin("sso-admin", ctx.accounts[PRODUCTION]),
                                               inst.instance_arn)
    if PS_NAME in existing:
        ctx.note(f"<p>The permission set <code>{PS_NAME}</code> already exists in your sandbox; showing it.</p>")
        ctx.call("Describe the permission set", sso.describe_permission_set, signer=keys,
                 InstanceArn=inst.instance_arn, PermissionSetArn=existing[PS_NAME])
        return
    created = ctx.call(f"Create the permission set {PS_NAME} (one-hour sessions)", sso.create_permission_set,
                       signer=keys, Name=PS_NAME, Description=SPEC.description, InstanceArn=inst.instance_arn,
                       SessionDuration=SPEC.session_duration)
    if created:
        ctx.call("Give it an inline policy", sso.put_inline_policy_to_permission_set, signer=keys,
                 InstanceArn=inst.instance_arn, PermissionSetArn=created["PermissionSet"]["PermissionSetArn"],
                 InlinePolicy=json.dumps(SPEC.inline_policy))


# ------------------------------------------------------------------------------------------------ step 3
def _permission_set_arn(ctx: StepContext, inst: identity_center.Instance) -> str:
    arn = identity_center.permission_sets(identity_center.admin("sso-admin", ctx.accounts[PRODUCTION]),
                                          inst.instance_arn).get(PS_NAME)
    if not arn:
        raise NeedsEarlierStep(f"This step assigns the {PS_NAME} permission set, which an earlier step creates.",
                               "permission-set")
    return arn


def assign(ctx: StepContext) -> None:
    keys = _admin(ctx)
    inst = _instance(ctx, keys)
    ps_arn = _permission_set_arn(ctx, inst)
    groups = identity_center.group_ids(identity_center.admin("identitystore", ctx.accounts[PRODUCTION]),
                                       inst.identity_store_id)
    if "Developers" not in groups:
        raise NeedsEarlierStep("The Developers group comes from the directory sync.", "directory")
    sso = ctx.client("sso-admin", keys)
    current = identity_center.admin("sso-admin", ctx.accounts[PRODUCTION]).list_account_assignments(
        InstanceArn=inst.instance_arn, AccountId=ctx.accounts[DEVELOPER], PermissionSetArn=ps_arn)
    if not any(a["PrincipalId"] == groups["Developers"] for a in current["AccountAssignments"]):
        ctx.call("Assign the Developers group to the developer account with DeveloperAccess",
                 sso.create_account_assignment, signer=keys, InstanceArn=inst.instance_arn,
                 TargetId=ctx.accounts[DEVELOPER], TargetType="AWS_ACCOUNT", PermissionSetArn=ps_arn,
                 PrincipalType="GROUP", PrincipalId=groups["Developers"])
    ctx.call("List the assignments of the developer account", sso.list_account_assignments, signer=keys,
             InstanceArn=inst.instance_arn, AccountId=ctx.accounts[DEVELOPER], PermissionSetArn=ps_arn)


# ------------------------------------------------------------------------------------------------ step 4
def _developer_role(ctx: StepContext, inst: identity_center.Instance) -> identity_center.ProvisionedRole | None:
    accounts = ctx.accounts
    roles = identity_center.provision(identity_center.admin("sso-admin", accounts[PRODUCTION]), accounts, inst,
                                      ctx.sandbox.id)
    return next((r for r in roles if r.account_id == accounts[DEVELOPER] and r.permission_set == PS_NAME), None)


def provision(ctx: StepContext) -> None:
    keys = _admin(ctx)
    inst = _instance(ctx, keys)
    ps_arn = _permission_set_arn(ctx, inst)
    ctx.call("Provision the permission set to the developer account", ctx.client("sso-admin", keys)
             .provision_permission_set, signer=keys, InstanceArn=inst.instance_arn, PermissionSetArn=ps_arn,
             TargetType="AWS_ACCOUNT", TargetId=ctx.accounts[DEVELOPER])
    role = _developer_role(ctx, inst)
    if role is None:
        raise NeedsEarlierStep("Nothing is assigned to the developer account yet.", "assign")
    ctx.note(f"<p>Identity Center created <code>{role.provider_arn}</code> and the role "
             f"<code>{role.role_arn}</code> in the developer account.</p>")
    dev_admin = ctx.user(DEVELOPER, ADMIN_USER)
    ctx.call("Look at the role Identity Center made (iam GetRole, developer account)",
             ctx.client("iam", dev_admin).get_role, signer=dev_admin, RoleName=role.role_name)


# ------------------------------------------------------------------------------------------------ step 5
def _portal_credentials(ctx: StepContext, username: str, *, expect: str | None = None) -> dict | None:
    inst = identity_center.instance(identity_center.admin("sso-admin", ctx.accounts[PRODUCTION]))
    role = _developer_role(ctx, inst)
    if role is None:
        raise NeedsEarlierStep("The developer account has no provisioned DeveloperAccess role yet.", "provision")
    person = people.person(username)
    entitled = any((r.account_id, r.permission_set) == (role.account_id, role.permission_set)
                   for r in identity_center.entitlements(ctx.sandbox, username))
    if not entitled:
        ctx.note(f"<p>The access portal shows <code>{username}</code> no tile for this account: neither they nor "
                 f"their groups ({', '.join(person.groups)}) are assigned. Identity Center would not even ask STS; "
                 "the lab asks anyway, with an assertion forged for the role, to show STS refusing it.</p>")
    assertion = identity_center.portal_assertion(inst, person, role, sandbox_now(ctx.sandbox).replace(microsecond=0),
                                                 ctx.sandbox.id)
    response = calls.assume_role_with_saml(
        ctx, role_arn=role.role_arn, provider_arn=role.provider_arn, assertion_b64=encode_saml_response(assertion),
        expect=expect, DurationSeconds=role.session_seconds,
        label=f"Identity Center redeems its assertion for {username} (AssumeRoleWithSAML)")
    report = calls.last_report(ctx)
    if report:
        ctx.note(render_to_string("federation/_checks_note.html", {"report": report, "what": "assertion",
                                                                    "label": ctx.calls[-1].label}))
    return response


def portal(ctx: StepContext) -> None:
    response = _portal_credentials(ctx, "alice")
    if response:
        ctx.keep_session(SESSION, "DeveloperAccess in developer (alice, Identity Center)", response,
                         issued_by="AssumeRoleWithSAML")
        keys = ctx.session(SESSION, made_by="portal")
        ctx.call("alice checks who she is (GetCallerIdentity)", ctx.client("sts", keys).get_caller_identity,
                 signer=keys)


def other_idc_signer(ctx: StepContext) -> None:
    """Someone signs with a key that is not Identity Center's: the AWSSSO_ provider's metadata refuses it."""
    from engine.federation import tamper
    from federation import services

    inst = identity_center.instance(identity_center.admin("sso-admin", ctx.accounts[PRODUCTION]))
    role = _developer_role(ctx, inst)
    if role is None:
        raise NeedsEarlierStep("The developer account has no provisioned DeveloperAccess role yet.", "provision")
    genuine = identity_center.portal_assertion(inst, people.person("alice"), role, sandbox_now(ctx.sandbox),
                                               ctx.sandbox.id)
    forged = tamper.resign_with_key(genuine, identity_center.identity_center_idp(inst.instance_arn, ctx.sandbox.id),
                                    services.signing_key("attacker"))
    calls.assume_role_with_saml(ctx, role_arn=role.role_arn, provider_arn=role.provider_arn,
                                assertion_b64=encode_saml_response(forged), expect="InvalidIdentityToken",
                                label="An assertion for the reserved role signed by someone else")


# ------------------------------------------------------------------------------------------------ step 6
def session_ends(ctx: StepContext) -> None:
    keys = ctx.session(SESSION, made_by="portal")
    stored = ctx.stored_session(SESSION)
    expired = stored is not None and stored.expires_at <= sandbox_now(ctx.sandbox)
    # EC2 names expired temporary credentials RequestExpired (S3 and STS say ExpiredToken). The step is about
    # expiry, so it counts only once that refusal happened: a call that still works is not the lesson yet.
    ctx.call("Use the portal credentials: list the developer account's instances", ctx.client("ec2", keys)
             .describe_instances, signer=keys, expect="RequestExpired")
    if not expired:
        ctx.note("<p>Still valid. Fast-forward the sandbox clock past the expiry on the credentials card, then run "
                 "this step again.</p>")


def sign_in_again(ctx: StepContext) -> None:
    portal(ctx)


SCENARIO = Scenario(
    objective=("Explain how IAM Identity Center turns a group's permission set into a role in each assigned account, "
               "and which STS call hides behind the access portal's <em>Access keys</em>."),
    prerequisites=('Scenario 1 (roles and trust policies).',),
    minutes=20, level='Intermediate', quiz_domains=('federation',),
    rules=(
        AwsRule('A permission set is a template; Identity Center creates a role from it in every account it is assigned to.',
                'https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html'),
        AwsRule("The permission set's session duration is the length of the role sessions it gives.",
                'https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_PermissionSet.html'),
        AwsRule("Those roles trust Identity Center's own SAML provider: the portal redeems an assertion with AssumeRoleWithSAML.",
                'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html'),
        AwsRule('Expired temporary credentials are refused everywhere (EC2 names it RequestExpired).',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html'),
    ),
    number=2,
    slug="identity-center",
    title="Signing in through IAM Identity Center",
    sts_call="AssumeRoleWithSAML (by Identity Center)",
    summary="Staff sign in once at the company IdP; Identity Center turns their group's permission sets into "
            "roles in each account and fetches role credentials for them.",
    steps=(
        Step(
            slug="directory",
            title="People come from the directory",
            narrative="""
<p>SecureCart manages people in its IdP. <strong>IAM Identity Center</strong>, in the organisation's management
account (production here), keeps a copy in its <em>identity store</em>, synchronised by SCIM: users
<code>alice</code>, <code>bob</code>, <code>carol</code> and the groups <code>Developers</code>,
<code>Operations</code>, <code>Finance</code>. Nobody gets an IAM user.</p>""",
            run=directory,
            run_label="List the identity store",
            lesson="<p>These users can sign in to the access portal, through the IdP. On their own they can do nothing "
                   "in AWS: access comes from permission sets assigned to them or their groups.</p>",
            diagram=Diagram((IDP, IDC), active=1),
        ),
        Step(
            slug="permission-set",
            title="A permission set",
            narrative=f"""
<p>A <strong>permission set</strong> is a template for a role: a policy and a session duration. <code>{PS_NAME}</code>
lets developers look at product images and instances, for sessions of one hour (<code>PT1H</code>).</p>""",
            run=permission_set,
            run_label="Create DeveloperAccess",
            lesson="<p>Nothing exists in any account yet: a permission set is only a definition in Identity "
                   "Center.</p>",
            diagram=Diagram((IDC,), active=0),
        ),
        Step(
            slug="assign",
            title="Assign it to a group in an account",
            narrative="""
<p>An <strong>account assignment</strong> says: this group (or user) gets this permission set in that account. Assign
<code>Developers</code> to the developer account.</p>""",
            run=assign,
            run_label="Create the assignment",
            lesson="<p>alice is in Developers, so she will see the developer account in her portal. carol (Finance) "
                   "will not.</p>",
            diagram=Diagram((IDC, Node("developer account", "target", "role")), active=1),
        ),
        Step(
            slug="provision",
            title="Identity Center provisions a role",
            narrative="""
<p>To make the assignment real, Identity Center creates in the target account a SAML provider
<code>AWSSSO_…_DO_NOT_DELETE</code> and a role <code>AWSReservedSSO_DeveloperAccess_&lt;16 hex&gt;</code> under the
path <code>/aws-reserved/sso.amazonaws.com/</code>. Look at its trust policy: it trusts <em>Identity Center's own SAML
provider</em>, for <code>sts:AssumeRoleWithSAML</code> and <code>sts:TagSession</code>, with
<code>SAML:aud</code> = <code>https://signin.aws.amazon.com/saml</code>. Do not edit these roles: Identity Center
overwrites them.</p>""",
            run=provision,
            run_label="Provision",
            lesson="<p>The role's permissions are the permission set's inline policy; its maximum session duration "
                   "is the permission set's.</p>",
            diagram=Diagram((IDC, ROLE), active=1),
        ),
        Step(
            slug="portal",
            title="alice gets credentials from the portal",
            narrative="""
<p>alice opens the <a href="/federation/portal/">AWS access portal</a>, which sends her to the SecureCart IdP to sign
in. The portal lists the accounts and permission sets assigned to her. When she clicks <em>Access keys</em>,
Identity Center signs a SAML assertion for her with its own key and redeems it with STS. That is the implicit call:
alice never sees it, but it is checked like any other — the assertion against the <code>AWSSSO_</code> provider's
metadata, then the role's trust policy.</p>""",
            run=portal,
            run_label="Get alice's credentials",
            lesson="<p>The session is named after alice and lasts the permission set's hour. Try the portal page "
                   "yourself: sign in as alice, then as carol, who sees no account.</p>",
            diagram=Diagram((PERSON, IDP, IDC, STS, ROLE), active=3),
            shows_sessions=(SESSION,),
            what_ifs=(
                WhatIf("not-assigned", "carol (Finance) tries",
                       "<p>carol has no assignment, so the portal shows her nothing. Even an assertion naming the "
                       "role is refused by STS if it is not signed by Identity Center; and Identity Center never "
                       "signs one for her.</p>",
                       other_idc_signer),
            ),
        ),
        Step(
            slug="session-ends",
            title="When the session ends",
            narrative=f"""
<p>The credentials last one hour. Fast-forward the sandbox clock on the card and use them again: STS answers
an expiry error (EC2 calls it <code>RequestExpired</code>). alice goes back to the portal for new ones. The portal session itself lasts
{identity_center.PORTAL_SESSION_SECONDS // 3600} hours in this lab (8 by default in AWS); after that she must sign in
at the IdP again.</p>""",
            run=session_ends,
            teaches_expiry=True,
            run_label="Use the credentials",
            lesson="<p>No long-term key ever existed: when the hour is up, access stops by itself.</p>",
            diagram=Diagram((PERSON, STS, INSTANCES), active=2),
            shows_sessions=(SESSION,),
            what_ifs=(
                WhatIf("assume-again", "Get new credentials from the portal",
                       "<p>Identity Center signs a fresh assertion; STS issues a fresh hour.</p>", sign_in_again),
            ),
        ),
        defend_step(2, (("developer", "AssumeRoleWithSAML"),),
                    looks_for="""
<ul><li>Identity Center's sign-in is an <code>AssumeRoleWithSAML</code> by a <code>SAMLUser</code>: its
<code>userName</code> is the person.</li><li>The role is an <code>AWSReservedSSO_…</code> role; look at
<code>mfaAuthenticated</code>.</li></ul>"""),
    ),
)
