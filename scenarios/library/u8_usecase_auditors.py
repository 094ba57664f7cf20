"""SecureCart use case: external auditors get temporary, read-only access for one hour (short guided case).

The audit role (production) trusts the auditor account with an ExternalId and allows reading the security logs only;
its MaxSessionDuration is one hour, so the auditors can neither stay longer nor do more than the role allows.
"""
from __future__ import annotations

from sandboxes.world import AUDIT_EXTERNAL_ID, AUDITOR, INVOICES, PRODUCTION, SECURITY_LOGS

from ..framework import AwsRule, Diagram, Node, PolicyRef, Scenario, Step, StepContext, WhatIf

ROLE = "SecureCart-AuditRole"
USER = "securecart-auditor"
SESSION = "usecase-audit-session"
AUDITOR_NODE = Node(USER, "IAM user · auditor account", "principal")
ROLE_NODE = Node(ROLE, "IAM role · production", "role")
LOGS_NODE = Node(SECURITY_LOGS, "S3 bucket · production", "resource")
TRUST = PolicyRef("trust", PRODUCTION, role=ROLE, title="Trust policy of SecureCart-AuditRole")
ROLE_POLICY = PolicyRef("identity", PRODUCTION, role=ROLE, name="ReadSecurityLogs",
                        title="Permissions of SecureCart-AuditRole")


def _assume(ctx: StepContext, duration: int, expect: str | None = None) -> None:
    auditor = ctx.user(AUDITOR, USER)
    response = ctx.call(f"Assume the audit role for {duration // 60} minutes", ctx.client("sts", auditor).assume_role,
                        signer=auditor, expect=expect, RoleArn=ctx.role_arn(PRODUCTION, ROLE),
                        RoleSessionName="annual-audit", ExternalId=AUDIT_EXTERNAL_ID, DurationSeconds=duration)
    if expect is None:
        ctx.keep_session(SESSION, "Audit session (one hour)", response)


def assume_one_hour(ctx: StepContext) -> None:
    _assume(ctx, 3600)


def assume_two_hours(ctx: StepContext) -> None:
    _assume(ctx, 7200, expect="ValidationError")


def read_only(ctx: StepContext) -> None:
    session = ctx.live_session(SESSION, made_by="one-hour")
    s3 = ctx.client("s3", session)
    ctx.call("Read the security logs", s3.list_objects_v2, signer=session, Bucket=SECURITY_LOGS)
    ctx.call("Try to delete a log (beyond the role)", s3.delete_object, signer=session, expect="AccessDenied",
             Bucket=SECURITY_LOGS, Key="cloudtrail/2024/10/01/events.json")
    ctx.call("Try the invoices (beyond the role)", s3.list_objects_v2, signer=session, expect="AccessDenied",
             Bucket=INVOICES)


def after_one_hour(ctx: StepContext) -> None:
    from sandboxes import services

    session = ctx.session(SESSION, made_by="one-hour")
    stored = ctx.stored_session(SESSION)
    remaining = (stored.expires_at - services.sandbox_now(ctx.sandbox)).total_seconds()
    if remaining > 0:
        ctx.sandbox.advance_clock(remaining + 1)
        ctx.note(f"<p>Sandbox clock moved {int(remaining + 1)} s forward: the hour is over.</p>")
    ctx.call("The auditors try again after the hour", ctx.client("s3", session).list_objects_v2, signer=session,
             expect="ExpiredToken", Bucket=SECURITY_LOGS)


SCENARIO = Scenario(
    objective="Check the three properties an auditor's access must have: one hour, read-only, over by itself.",
    prerequisites=('None.',),
    minutes=5, level='Beginner', quiz_domains=('cross-account',),
    rules=(
        AwsRule("DurationSeconds may not exceed the role's maximum session duration (one hour by default).",
                'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html'),
        AwsRule('Temporary credentials end on their own: after Expiration, AWS refuses them.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html'),
    ),
    kind='variation',
    variation_of='cross-account-auditors',
    adds=("The short path through scenario 1, as a reviewer's checklist. It adds two refusals scenario 1 does "
          "not show (deleting a log, reading another bucket); scenario 1 explains the trust policy, the "
          "external ID and every guard."),
    number=8,
    slug="use-case-auditors",
    title="Short version: external auditors, read-only, for one hour",
    sts_call="AssumeRole (cross-account, ExternalId)",
    summary="The audit firm assumes SecureCart's audit role from its own account: read the security logs, nothing "
            "more, and only for an hour.",
    steps=(
        Step(slug="one-hour", title="One hour of access",
             narrative="<p>The auditors assume <code>SecureCart-AuditRole</code> from their own account with the "
                       "agreed ExternalId. The role's maximum session is one hour.</p>",
             run=assume_one_hour, run_label="Assume the audit role",
             lesson="<p>Temporary credentials that expire in one hour; no user was created for the auditors in "
                    "SecureCart's account.</p>",
             diagram=Diagram((AUDITOR_NODE, Node("AWS STS", "", "sts"), ROLE_NODE), active=2),
             policies=(TRUST,), shows_sessions=(SESSION,),
             what_ifs=(WhatIf("two-hours", "Ask for two hours",
                              "<p>The role's <code>MaxSessionDuration</code> is 3600 seconds: STS refuses longer "
                              "sessions with a ValidationError.</p>", assume_two_hours),)),
        Step(slug="read-only", title="Read-only, within the role",
             narrative="<p>The session can do what the audit role allows: list and read the security logs.</p>",
             run=read_only, run_label="Read, then try more",
             lesson="<p>The session cannot go beyond the audit role's permissions.</p>",
             diagram=Diagram((ROLE_NODE, LOGS_NODE), active=1), policies=(ROLE_POLICY,), shows_sessions=(SESSION,)),
        Step(slug="hour-over", title="The hour is over",
             narrative="<p>When the session expires, access ends by itself: nobody has to remember to revoke "
                       "it.</p>",
             run=after_one_hour, run_label="Fast-forward to expiry and try",
             teaches_expiry=True,
             lesson="<p>Expired credentials are refused everywhere. Scenario 1 covers this case in depth.</p>",
             diagram=Diagram((AUDITOR_NODE, LOGS_NODE), active=1), shows_sessions=(SESSION,)),
    ),
)
