"""Scenario 10 — guardrails for the whole organization: an SCP and an RCP, and a refusal from every layer in turn.

SecureCart's security team works from the management account, which runs no workloads. It puts a service control
policy (SCP) on the organization's root (no leaving the organization, CloudTrail stays on, two regions only) and a
resource control policy (RCP) that keeps the invoices bucket inside the organization; an auditor of another
organization is refused by the RCP until the team adds an exception for the audit firm's account. Every call is
real; the page shows the decision's layers (engine.policy Decision.layers) in AWS's order.
"""
from __future__ import annotations

import json
from typing import Any

from sandboxes.world import (ADMIN_USER, AUDIT_EXTERNAL_ID, AUDITOR, INVOICES, MANAGEMENT, PRODUCTION, SECURITY_LOGS,
                             policy_doc)

from ..defend import defend_step
from ..framework import AwsRule, Diagram, Keys, Node, PolicyRef, Scenario, Step, StepContext, WhatIf

SCP_NAME = "SecureCartGuardrails"
RCP_NAME = "InvoicesStayInOrganization"
ALLOWED_REGIONS = ("us-east-1", "eu-west-1")
OUTSIDE_REGION = "ap-southeast-2"
INVOICE_KEY = "2024/10/INV-100231.pdf"
AUDITOR_USER = "securecart-auditor"
AUDIT_ROLE = "SecureCart-AuditRole"
TRAIL = "securecart-trail"

# Organizations User Guide, "SCP examples": deny leaving the organization, protect CloudTrail, deny access outside the
# allowed regions (global services exempted with NotAction).
GUARDRAILS = policy_doc(
    {"Sid": "StayInTheOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
    {"Sid": "KeepCloudTrailOn", "Effect": "Deny",
     "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail"], "Resource": "*"},
    {"Sid": "OnlyTwoRegions", "Effect": "Deny",
     "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*", "budgets:*"],
     "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(ALLOWED_REGIONS)}}},
)


def invoices_rcp(org_id: str, exception: str | None = None) -> dict[str, Any]:
    """Organizations User Guide, "RCP examples" (data perimeter): deny S3 to principals outside the organization,
    AWS services excepted; `exception`, an outside account the team trusts."""
    outside = {"aws:PrincipalOrgID": org_id}
    if exception:
        outside["aws:PrincipalAccount"] = [exception]
    return policy_doc({"Sid": "OnlyOurOrganization", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": [f"arn:aws:s3:::{INVOICES}", f"arn:aws:s3:::{INVOICES}/*"],
                       "Condition": {"StringNotEqualsIfExists": outside,
                                     "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})


TEAM_NODE = Node("Security team", "lab-admin · management account", "principal")
ORG_NODE = Node("AWS Organizations", "organizations.amazonaws.com", "sts")
PROD_NODE = Node("lab-admin", "IAM user · production account", "principal")
SECRETS_NODE = Node("Secrets Manager", f"{OUTSIDE_REGION} · production", "resource")
AUDITOR_NODE = Node(AUDITOR_USER, "IAM user · the audit firm's organization", "principal")
INVOICES_NODE = Node(INVOICES, "S3 bucket · production", "resource")

SCP_PANEL = PolicyRef("scp", MANAGEMENT, name=SCP_NAME, title=f"Service control policy {SCP_NAME} (on the root)")
RCP_PANEL = PolicyRef("rcp", MANAGEMENT, name=RCP_NAME, title=f"Resource control policy {RCP_NAME} (on the root)")
AUDITOR_POLICY = PolicyRef("identity", AUDITOR, user=AUDITOR_USER, name="ReadSecureCartInvoices",
                           title="Identity policy of securecart-auditor (the audit firm's account)")


# --------------------------------------------------------------------------------------------------- helpers
def team(ctx: StepContext) -> Keys:
    return ctx.user(MANAGEMENT, ADMIN_USER)


def organization(ctx: StepContext) -> tuple[str, str]:
    """(organization id, root id), read by the security team with real calls."""
    keys = team(ctx)
    org = ctx.client("organizations", keys)
    described = ctx.call("The security team describes its organization", org.describe_organization, signer=keys)
    roots = ctx.call("... and its root", org.list_roots, signer=keys)
    return ((described or {}).get("Organization", {}).get("Id", ""),
            ((roots or {}).get("Roots") or [{}])[0].get("Id", ""))


def put_org_policy(ctx: StepContext, name: str, policy_type: str, document: dict[str, Any], target: str) -> None:
    """Create (or update to `document`) the organization policy `name` and attach it to `target`, as the team does.
    Running the step again leaves one policy with this content, attached once."""
    keys = team(ctx)
    org = ctx.client("organizations", keys)
    listed = ctx.call(f"List the organization's {policy_type.replace('_', ' ').lower()}s", org.list_policies,
                      signer=keys, Filter=policy_type)
    existing = next((p["Id"] for p in (listed or {}).get("Policies", []) if p["Name"] == name), None)
    content = json.dumps(document)
    if existing is None:
        created = ctx.call(f"Create {name}", org.create_policy, signer=keys, Name=name, Type=policy_type,
                           Description=f"SecureCart security team: {name}", Content=content)
        existing = (created or {}).get("Policy", {}).get("PolicySummary", {}).get("Id")
    else:
        ctx.call(f"Update {name}", org.update_policy, signer=keys, PolicyId=existing, Content=content)
    if existing is None:
        return
    targets = ctx.call(f"Where is {name} attached?", org.list_targets_for_policy, signer=keys, PolicyId=existing)
    if target not in {t["TargetId"] for t in (targets or {}).get("Targets", [])}:
        ctx.call(f"Attach {name} to the organization's root", org.attach_policy, signer=keys, PolicyId=existing,
                 TargetId=target)


def list_secrets(ctx: StepContext, account: str, region: str, expect: str | None) -> None:
    keys = ctx.user(account, ADMIN_USER)
    ctx.call(f"lab-admin of the {account} account lists secrets in {region}",
             ctx.client("secretsmanager", keys, region=region).list_secrets, signer=keys, expect=expect)


def read_invoice(ctx: StepContext, account: str, user: str, expect: str | None) -> None:
    keys = ctx.user(account, user)
    ctx.call(f"{user} ({account} account) reads invoice {INVOICE_KEY}", ctx.client("s3", keys).get_object,
             signer=keys, expect=expect, Bucket=INVOICES, Key=INVOICE_KEY)


def share_invoices_with_auditors(ctx: StepContext) -> None:
    """Finance shares the invoices with the audit firm's account (a bucket policy), and the firm lets its auditor
    read them (an identity policy in its own account): both sides of a cross-account read."""
    auditor_account = ctx.accounts[AUDITOR]
    prod = ctx.user(PRODUCTION, ADMIN_USER)
    ctx.call("Finance shares the invoices with the audit firm's account (bucket policy)",
             ctx.client("s3", prod).put_bucket_policy, signer=prod, Bucket=INVOICES, Policy=json.dumps(policy_doc(
                 {"Sid": "AuditorsReadInvoices", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{auditor_account}:root"}, "Action": "s3:GetObject",
                  "Resource": f"arn:aws:s3:::{INVOICES}/*"})))
    firm = ctx.user(AUDITOR, ADMIN_USER)
    ctx.call("The audit firm lets its auditor read SecureCart's invoices (identity policy)",
             ctx.client("iam", firm).put_user_policy, signer=firm, UserName=AUDITOR_USER,
             PolicyName="ReadSecureCartInvoices", PolicyDocument=json.dumps(policy_doc(
                 {"Sid": "ReadInvoices", "Effect": "Allow", "Action": "s3:GetObject",
                  "Resource": f"arn:aws:s3:::{INVOICES}/*"})))


# --------------------------------------------------------------------------------------------------- step 1
def meet(ctx: StepContext) -> None:
    keys = team(ctx)
    org = ctx.client("organizations", keys)
    ctx.call("The security team describes the organization", org.describe_organization, signer=keys)
    ctx.call("... lists its accounts", org.list_accounts, signer=keys)
    ctx.call("... and its root, with the policy types it enabled", org.list_roots, signer=keys)
    firm = ctx.user(AUDITOR, ADMIN_USER)
    ctx.call("The audit firm's account belongs to an organization of its own",
             ctx.client("organizations", firm).describe_organization, signer=firm)


# --------------------------------------------------------------------------------------------------- step 2
def attach_scp(ctx: StepContext) -> None:
    _, root = organization(ctx)
    put_org_policy(ctx, SCP_NAME, "SERVICE_CONTROL_POLICY", GUARDRAILS, root)
    list_secrets(ctx, PRODUCTION, OUTSIDE_REGION, "AccessDeniedException")


def allowed_region(ctx: StepContext) -> None:
    list_secrets(ctx, PRODUCTION, ALLOWED_REGIONS[0], None)


def from_management(ctx: StepContext) -> None:
    list_secrets(ctx, MANAGEMENT, OUTSIDE_REGION, None)


def stop_cloudtrail(ctx: StepContext) -> None:
    keys = ctx.user(PRODUCTION, ADMIN_USER)
    ctx.call("lab-admin of production tries to stop CloudTrail", ctx.client("cloudtrail", keys).stop_logging,
             signer=keys, expect="AccessDeniedException", Name=TRAIL)


def leave_organization(ctx: StepContext) -> None:
    keys = ctx.user(PRODUCTION, ADMIN_USER)
    ctx.call("lab-admin of production tries to take the account out of the organization",
             ctx.client("organizations", keys).leave_organization, signer=keys, expect="AccessDeniedException")


# --------------------------------------------------------------------------------------------------- step 3
def attach_rcp(ctx: StepContext) -> None:
    share_invoices_with_auditors(ctx)
    org_id, root = organization(ctx)
    put_org_policy(ctx, RCP_NAME, "RESOURCE_CONTROL_POLICY", invoices_rcp(org_id), root)
    read_invoice(ctx, AUDITOR, AUDITOR_USER, "AccessDenied")


def inside_the_organization(ctx: StepContext) -> None:
    read_invoice(ctx, PRODUCTION, ADMIN_USER, None)


# --------------------------------------------------------------------------------------------------- step 4
def add_exception(ctx: StepContext) -> None:
    share_invoices_with_auditors(ctx)
    org_id, root = organization(ctx)
    put_org_policy(ctx, RCP_NAME, "RESOURCE_CONTROL_POLICY", invoices_rcp(org_id, ctx.accounts[AUDITOR]), root)
    read_invoice(ctx, AUDITOR, AUDITOR_USER, None)


def intern_reads(ctx: StepContext) -> None:
    read_invoice(ctx, AUDITOR, "audit-intern", "AccessDenied")


# --------------------------------------------------------------------------------------------------- step 5
def every_layer(ctx: StepContext) -> None:
    list_secrets(ctx, PRODUCTION, OUTSIDE_REGION, "AccessDeniedException")           # a service control policy
    auditor = ctx.user(AUDITOR, AUDITOR_USER)
    ctx.call("securecart-auditor reads the security logs with his own key, not through the audit role",
             ctx.client("s3", auditor).get_object, signer=auditor, expect="AccessDenied", Bucket=SECURITY_LOGS,
             Key="cloudtrail/2024/10/01/events.json")                              # the resource (no bucket policy)
    read_invoice(ctx, AUDITOR, "audit-intern", "AccessDenied")                       # the identity side
    narrow = json.dumps(policy_doc({"Sid": "ListOnly", "Effect": "Allow", "Action": "s3:ListBucket",
                                    "Resource": f"arn:aws:s3:::{SECURITY_LOGS}"}))
    answer = ctx.call("securecart-auditor assumes the audit role with a session policy that only lists",
                      ctx.client("sts", auditor).assume_role, signer=auditor,
                      RoleArn=ctx.role_arn(PRODUCTION, AUDIT_ROLE), RoleSessionName="narrow-review",
                      ExternalId=AUDIT_EXTERNAL_ID, Policy=narrow)
    if answer:
        credentials = answer["Credentials"]
        ctx.add_secret(credentials["SecretAccessKey"], credentials["SessionToken"])
        session = Keys("SecureCart-AuditRole session (narrowed by a session policy)", credentials["AccessKeyId"],
                       credentials["SecretAccessKey"], credentials["SessionToken"])
        ctx.call("... and reads a log file with that session", ctx.client("s3", session).get_object, signer=session,
                 expect="AccessDenied", Bucket=SECURITY_LOGS, Key="cloudtrail/2024/10/01/events.json")


SCENARIO = Scenario(
    objective=("Put organization-wide guardrails in place with a service control policy and a resource control "
               "policy, predict which layer refuses a request, and read AWS's answer layer by layer."),
    prerequisites=(
        'Scenario 1 (cross-account access): trust policies and the two yeses of a cross-account call.',
        'Knowing what an AWS Organizations organization, its root and its OUs are helps.',
    ),
    minutes=25, level="Advanced", quiz_domains=("organizations", "cross-account"),
    rules=(
        AwsRule("An explicit Deny in any policy, SCPs and RCPs included, ends the evaluation; then RCPs, SCPs, "
                "resource-based, identity-based, boundary and session policies are checked in that order.",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"),
        AwsRule("An SCP never grants: it limits the IAM users and roles of member accounts (the root user too), and "
                "an Allow is needed at every level from the root to the account.",
                "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"),
        AwsRule("SCPs and RCPs do not affect the management account, which is why it should run no workloads.",
                "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_best-practices_mgmt-acct.html"),
        AwsRule("An RCP limits what anyone, inside or outside the organization, can do to the resources of member "
                "accounts; only Deny statements are yours to write (RCPFullAWSAccess stays attached).",
                "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"),
        AwsRule("aws:PrincipalOrgID is the organization of the caller's account, absent outside organizations: "
                "use an ...IfExists operator, and list trusted outside accounts as exceptions.",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid"),
    ),
    number=10,
    slug="organization-guardrails",
    title="Guardrails for the whole organization",
    sts_call="AssumeRole under SCPs and RCPs",
    summary="SecureCart's security team limits every account of its organization with an SCP and keeps the "
            "invoices inside with an RCP; each layer of AWS's evaluation refuses a call in turn.",
    steps=(
        Step(
            slug="meet-the-organization",
            title="Meet SecureCart's organization",
            narrative="""
<p>SecureCart's accounts form an <strong>organization</strong> in AWS Organizations. The
<strong>management account</strong> holds it and runs no workloads: nothing of the shop lives there, only the
security team's tooling. Production and developer sit in an organizational unit (OU) each, under the
organization's root. The audit firm's account belongs to an organization of its own.</p>
<p>Look at the organization as the security team sees it.</p>""",
            run=meet,
            run_label="Describe the organization",
            lesson="""<p>The root has two policy types enabled: service control policies and resource control
policies. Each is attached to the root, every OU and every account with an AWS-managed policy that lets everything
through (<code>FullAWSAccess</code>, <code>RCPFullAWSAccess</code>): until the team writes its own, nothing
changes.</p>""",
            diagram=Diagram((TEAM_NODE, ORG_NODE), active=1),
        ),
        Step(
            slug="scp-guardrails",
            title="An SCP for every member account",
            narrative=f"""
<p>The security team writes a service control policy and attaches it to the root: no account may leave the
organization, nobody may stop or delete CloudTrail, and nothing may run outside {ALLOWED_REGIONS[0]} and
{ALLOWED_REGIONS[1]} (global services such as IAM and STS excepted).</p>
<p>Then production's administrator, who holds <code>AdministratorAccess</code> in his account, lists secrets in
{OUTSIDE_REGION}.</p>""",
            run=attach_scp,
            run_label="Attach the SCP, then try another region",
            lesson="""<p>AWS answered <code>AccessDeniedException ... with an explicit deny in a service control
policy</code>. The administrator's own policy allows everything, but a Deny in an SCP on the root applies to every
principal of every member account, the root user included, whatever their IAM policies say.</p>""",
            diagram=Diagram((TEAM_NODE, ORG_NODE, PROD_NODE, SECRETS_NODE), active=3),
            policies=(SCP_PANEL,),
            what_ifs=(
                WhatIf("allowed-region", "The same call in us-east-1",
                       "<p>The region condition does not hold in us-east-1, so no Deny applies; "
                       "<code>FullAWSAccess</code> at every level lets the call through and the administrator's "
                       "own policy grants it.</p>", allowed_region),
                WhatIf("management-account", "The same call from the management account",
                       "<p>SCPs do not affect users or roles in the management account: the waterfall shows the "
                       "SCP layer not in play. That is why the management account should run no workloads.</p>",
                       from_management),
                WhatIf("stop-cloudtrail", "Stop CloudTrail",
                       "<p>Statement <code>KeepCloudTrailOn</code> denies <code>cloudtrail:StopLogging</code>: "
                       "refused before the request even reaches CloudTrail.</p>", stop_cloudtrail),
                WhatIf("leave-organization", "Leave the organization",
                       "<p>Statement <code>StayInTheOrganization</code>: a member account cannot take itself out "
                       "while the SCP applies.</p>", leave_organization),
            ),
        ),
        Step(
            slug="rcp-keeps-invoices-inside",
            title="An RCP keeps the invoices inside",
            narrative="""
<p>Finance shares the invoices bucket with the audit firm's account in a bucket policy, and the firm lets its
auditor read them: both yeses of a cross-account read are there. The security team does not want any bucket policy
to let the invoices leave the organization, whatever it says, so it attaches a resource control policy: deny S3 on
the invoices to every principal outside the organization (<code>aws:PrincipalOrgID</code>).</p>
<p>Then the auditor reads an invoice.</p>""",
            run=attach_rcp,
            run_label="Share, attach the RCP, then read as the auditor",
            lesson="""<p>The bucket policy allows the auditor's account and the auditor's own policy allows the
read, yet S3 answered <code>Access Denied</code>, without a reason: S3 explains a refusal only to callers of the
same account or organization. The waterfall shows who said no: the RCP. An RCP limits the resources of member
accounts for every caller, including principals of other organizations, which SCPs never touch.</p>""",
            diagram=Diagram((AUDITOR_NODE, INVOICES_NODE), active=1),
            policies=(RCP_PANEL, AUDITOR_POLICY),
            what_ifs=(
                WhatIf("inside-the-organization", "Read as production's administrator",
                       "<p>Production belongs to the organization: <code>aws:PrincipalOrgID</code> matches, so "
                       "the RCP's Deny does not apply.</p>", inside_the_organization),
            ),
        ),
        Step(
            slug="rcp-exception",
            title="An exception for the audit firm",
            narrative="""
<p>The audit is legitimate. The security team adds the audit firm's account to the RCP as an exception: the
Deny now applies only when the caller is outside the organization <em>and</em> not the audit firm's account.</p>""",
            run=add_exception,
            run_label="Add the exception, then read again",
            lesson="""<p>The read succeeds: the RCP lets the audit firm's account through, the bucket policy allows
it and the auditor's own policy allows it. Every layer on the waterfall said yes or stayed out of the way.</p>""",
            diagram=Diagram((AUDITOR_NODE, INVOICES_NODE), active=1),
            policies=(RCP_PANEL, AUDITOR_POLICY),
            what_ifs=(
                WhatIf("audit-intern", "Read as the audit firm's intern",
                       "<p>The exception names the whole account, but the intern's own identity policy grants no "
                       "S3 read: across accounts both sides must allow, so the identity layer refuses.</p>",
                       intern_reads),
            ),
        ),
        Step(
            slug="every-layer",
            title="A refusal from every layer",
            narrative="""
<p>Four calls, each refused by a different layer of AWS's evaluation. Read each one's waterfall: which layer
said no, and which statement.</p>""",
            run=every_layer,
            run_label="Make the four calls",
            lesson="""<p>A service control policy (another region), the resource-based policy (a bucket that names
nobody of the auditor's account), the identity side (an intern without permission) and a session policy (a session
narrowed to listing). AWS's error names the policy type; the lab's waterfall shows the statement.</p>""",
            diagram=Diagram((PROD_NODE, AUDITOR_NODE, INVOICES_NODE), active=2),
        ),
        defend_step(10, ((PRODUCTION, "ListSecrets"), (PRODUCTION, "GetObject")),
                    looks_for="""
<ul><li>A guardrail's refusal carries <code>errorCode</code> <code>AccessDenied</code> and an
<code>errorMessage</code> that ends <em>with an explicit deny in a service control policy</em> (or <em>resource
control policy</em>).</li><li><code>awsRegion</code> of the refused ListSecrets: the region the SCP keeps
out.</li></ul>"""),
    ),
)
