"""Scenario 1 — cross-account AssumeRole: SecureCart's external auditors read the security logs."""
from __future__ import annotations

from sandboxes.services import sandbox_now
from sandboxes.world import AUDIT_EXTERNAL_ID, AUDITOR, PRODUCTION, SECURITY_LOGS

from ..defend import defend_step
from ..framework import AwsRule, Diagram, Node, PolicyRef, Scenario, Step, StepContext, WhatIf

ROLE = "SecureCart-AuditRole"
AUDITOR_USER = "securecart-auditor"
SESSION = "audit-session"
SESSION_LABEL = "SecureCart-AuditRole session (auditor)"
SESSION_NAME = "q3-security-review"

AUDITOR_NODE = Node("securecart-auditor", "IAM user · auditor account", "principal")
STS_NODE = Node("AWS STS", "sts.amazonaws.com", "sts")
ROLE_NODE = Node(ROLE, "IAM role · production account", "role")
LOGS_NODE = Node(SECURITY_LOGS, "S3 bucket · production account", "resource")
NODES = (AUDITOR_NODE, STS_NODE, ROLE_NODE, LOGS_NODE)

TRUST = PolicyRef("trust", PRODUCTION, role=ROLE, title="Trust policy of SecureCart-AuditRole (production)")
AUDITOR_POLICY = PolicyRef("identity", AUDITOR, user=AUDITOR_USER, name="AssumeSecureCartAuditRole",
                           title="Identity policy of securecart-auditor (auditor account)")
ROLE_POLICY = PolicyRef("identity", PRODUCTION, role=ROLE, name="ReadSecurityLogs",
                        title="Permissions of SecureCart-AuditRole")


# --------------------------------------------------------------------------------------------------- step 1
def who_am_i(ctx: StepContext) -> None:
    auditor = ctx.user(AUDITOR, AUDITOR_USER)
    ctx.call("Who is calling? (GetCallerIdentity with the auditor's own key)",
             ctx.client("sts", auditor).get_caller_identity, signer=auditor)


# --------------------------------------------------------------------------------------------------- step 2
def _assume(ctx: StepContext, user: str = AUDITOR_USER, expect: str | None = None, **overrides) -> None:
    caller = ctx.user(AUDITOR, user)
    params = {"RoleArn": ctx.role_arn(PRODUCTION, ROLE), "RoleSessionName": SESSION_NAME,
              "ExternalId": AUDIT_EXTERNAL_ID, "DurationSeconds": 3600}
    params.update(overrides)
    params = {key: value for key, value in params.items() if value is not None}
    response = ctx.call(f"{user} asks STS for the audit role (AssumeRole)", ctx.client("sts", caller).assume_role,
                        signer=caller, expect=expect, **params)
    if expect is None and response:
        ctx.keep_session(SESSION, SESSION_LABEL, response)
        session = ctx.session(SESSION, made_by="assume-audit-role")
        ctx.call("Who am I now? (GetCallerIdentity with the new session)",
                 ctx.client("sts", session).get_caller_identity, signer=session)


def assume_audit_role(ctx: StepContext) -> None:
    _assume(ctx)


def wrong_external_id(ctx: StepContext) -> None:
    _assume(ctx, expect="AccessDenied", ExternalId="SecureCart-Audit-0000")


def missing_external_id(ctx: StepContext) -> None:
    _assume(ctx, expect="AccessDenied", ExternalId=None)


def intern_without_permission(ctx: StepContext) -> None:
    _assume(ctx, user="audit-intern", expect="AccessDenied")


def suspended_contractor(ctx: StepContext) -> None:
    _assume(ctx, user="audit-contractor", expect="AccessDenied")


def duration_too_long(ctx: StepContext) -> None:
    _assume(ctx, expect="ValidationError", DurationSeconds=7200)


# --------------------------------------------------------------------------------------------------- step 3
def read_logs(ctx: StepContext) -> None:
    session = ctx.live_session(SESSION, made_by="assume-audit-role")
    s3 = ctx.client("s3", session)
    ctx.call("List the security logs", s3.list_objects_v2, signer=session, Bucket=SECURITY_LOGS)
    ctx.call("Read one CloudTrail file", s3.get_object, signer=session, Bucket=SECURITY_LOGS,
             Key="cloudtrail/2024/10/01/events.json")


# --------------------------------------------------------------------------------------------------- step 4
def try_to_write(ctx: StepContext) -> None:
    session = ctx.live_session(SESSION, made_by="assume-audit-role")
    ctx.call("Try to write a file into the security logs", ctx.client("s3", session).put_object, signer=session,
             expect="AccessDenied", Bucket=SECURITY_LOGS, Key="cloudtrail/2024/10/01/tampered.json",
             Body=b'{"Records": []}')


# --------------------------------------------------------------------------------------------------- step 5
def call_after_expiry(ctx: StepContext) -> None:
    session = ctx.session(SESSION, made_by="assume-audit-role")
    left = (ctx.stored_session(SESSION).expires_at - sandbox_now(ctx.sandbox)).total_seconds()
    if left > 0:
        ctx.note(f"<p>The session is still valid for {int(left) // 60} min {int(left) % 60} s, so S3 still "
                 "accepts it. Fast-forward the sandbox clock with <strong>To expiry</strong> on the credentials "
                 "card below, then run this step again.</p>")
    ctx.call("List the logs again with the old session", ctx.client("s3", session).list_objects_v2,
             signer=session, expect="ExpiredToken", Bucket=SECURITY_LOGS)


def assume_again(ctx: StepContext) -> None:
    _assume(ctx)


SCENARIO = Scenario(
    objective=('Give a user of another AWS account temporary, read-only access to yours with <code>AssumeRole</code> '
               'and an external ID, and explain each refusal AWS gives when one of the guards is missing.'),
    prerequisites=(
        'None: this is the place to start.',
        'Knowing that an IAM policy is a JSON list of Allow and Deny statements helps.',
    ),
    minutes=15, level='Beginner', quiz_domains=('cross-account', 'trust'),
    rules=(
        AwsRule("Cross-account access takes two yeses: the role's trust policy and the caller's own identity policy.",
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html'),
        AwsRule('An external ID, required by a condition in the trust policy, stops the confused deputy.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html'),
        AwsRule('An explicit Deny beats any Allow; without an Allow the request is implicitly denied.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html'),
        AwsRule("DurationSeconds may not exceed the role's maximum session duration (one hour by default).",
                'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html'),
        AwsRule('Temporary credentials end on their own: after Expiration, AWS refuses them.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html'),
    ),
    number=1,
    slug="cross-account-auditors",
    title="Cross-account access for auditors",
    sts_call="AssumeRole",
    summary="An outside audit firm reads SecureCart's security logs from its own AWS account, with an "
            "external ID, read-only, for one hour.",
    steps=(
        Step(
            slug="meet-the-auditor",
            title="Meet the auditor",
            narrative="""
<p>Every quarter, an outside audit firm checks that SecureCart's production account is logging what it
should. The auditors work from <strong>their own AWS account</strong>. SecureCart will not create IAM users
for them in production, and nobody wants to email long-term access keys around.</p>
<p>Start with the auditor's point of view. <code>securecart-auditor</code> is an IAM user in the auditor
account with an ordinary long-term access key (it starts with <code>AKIA</code>). Ask STS who that key
belongs to.</p>""",
            run=who_am_i,
            run_label="Call GetCallerIdentity",
            lesson="""<p>The caller is a user in the <em>auditor</em> account, not in production. Any access to
production has to come from a role there, through STS. <code>GetCallerIdentity</code> needs no permission
at all, so it is the safe first command to run with unfamiliar credentials.</p>""",
            diagram=Diagram((AUDITOR_NODE, STS_NODE), active=1),
            policies=(AUDITOR_POLICY,),
        ),
        Step(
            slug="assume-audit-role",
            title="Assume the audit role across accounts",
            narrative="""
<p>Production has a role for the auditors, <code>SecureCart-AuditRole</code>. Its <strong>trust
policy</strong> says who may assume it: principals of the auditor account, but only if they present the
<strong>external ID</strong> SecureCart and the audit firm agreed on. The external ID guards against the
"confused deputy": another customer of the audit firm cannot trick the firm into using its access for them.</p>
<p>Cross-account access takes two yeses. The role's account must trust the caller (the trust policy), and the
caller's own account must let them call <code>sts:AssumeRole</code> on that role (the auditor's identity
policy). Run the call, then use the "what if" buttons to watch each guard refuse.</p>""",
            run=assume_audit_role,
            run_label="Call AssumeRole",
            lesson="""<p>STS checked the trust policy in production <em>and</em> the auditor's identity policy in
the auditor account. Both allowed it, so STS issued <strong>temporary credentials</strong>: an
<code>ASIA…</code> key, a secret and a session token that expire in one hour. The new identity is an
<em>assumed-role session</em> in production, not the auditor user.</p>""",
            diagram=Diagram(NODES, active=2),
            policies=(TRUST, AUDITOR_POLICY),
            editable_trust=TRUST,
            shows_sessions=(SESSION,),
            what_ifs=(
                WhatIf("wrong-external-id", "Wrong external ID",
                       "<p>The trust policy's <code>StringEquals</code> condition on <code>sts:ExternalId</code> "
                       "does not match, so the only Allow statement does not apply and nothing else allows the "
                       "call: an implicit deny. AWS does not say which condition failed.</p>",
                       wrong_external_id),
                WhatIf("missing-external-id", "No external ID",
                       "<p>Without the parameter the key <code>sts:ExternalId</code> is absent from the request, "
                       "and a <code>StringEquals</code> condition on an absent key is false. Denied, the same "
                       "way as a wrong value.</p>",
                       missing_external_id),
                WhatIf("intern-without-permission", "Caller without sts:AssumeRole",
                       "<p><code>audit-intern</code> is in the trusted account, but their own identity policy "
                       "does not allow <code>sts:AssumeRole</code>. Across accounts, the trust policy alone "
                       "is not enough: the caller's account must allow the call too.</p>",
                       intern_without_permission),
                WhatIf("suspended-contractor", "Caller with a Deny statement",
                       "<p><code>audit-contractor</code> has an Allow for the role, and also an explicit "
                       "<code>Deny</code> on <code>sts:*</code> the audit firm added while the contract is "
                       "suspended. An explicit Deny beats every Allow.</p>",
                       suspended_contractor),
                WhatIf("duration-too-long", "Ask for two hours",
                       "<p>The role's maximum session duration is one hour (3600 seconds). Asking for 7200 "
                       "fails validation before any policy is read.</p>",
                       duration_too_long),
            ),
        ),
        Step(
            slug="read-security-logs",
            title="Read the security logs",
            narrative="""
<p>The auditor now holds the role's temporary credentials. Every request signed with them acts as
<code>SecureCart-AuditRole</code>, inside production, with exactly that role's permissions: list and
read <code>securecart-security-logs</code>.</p>""",
            run=read_logs,
            run_label="List and read the logs",
            lesson="""<p>Both calls were allowed by the role's permission policy. The request carried the session
token (<code>X-Amz-Security-Token</code>); without it, temporary keys are not valid.</p>""",
            diagram=Diagram(NODES, active=3),
            policies=(ROLE_POLICY,),
            shows_sessions=(SESSION,),
        ),
        Step(
            slug="write-denied",
            title="Try to change the evidence",
            narrative="""
<p>An auditor must never be able to alter the logs they audit. The role grants
<code>s3:ListBucket</code> and <code>s3:GetObject</code> only. See what happens when the same session tries
to upload a file.</p>""",
            run=try_to_write,
            run_label="Try PutObject",
            lesson="""<p>No statement in the role's policy allows <code>s3:PutObject</code>, so the request is
implicitly denied. Temporary credentials can never do more than the role they came from.</p>""",
            diagram=Diagram(NODES, active=3),
            policies=(ROLE_POLICY,),
            shows_sessions=(SESSION,),
        ),
        Step(
            slug="session-expires",
            title="The session expires",
            narrative="""
<p>The credentials were issued for one hour, and the card below counts down to their expiration. Nobody
has to revoke them: after that moment AWS refuses them. Fast-forward the sandbox clock to the expiry, then
make a call with the old session.</p>""",
            run=call_after_expiry,
            teaches_expiry=True,
            run_label="Call with the old session",
            lesson="""<p>AWS answered <code>ExpiredToken</code>. To keep working, the auditor assumes the role
again and gets a fresh set of credentials, checked against the trust policy as it stands <em>now</em>.</p>""",
            diagram=Diagram(NODES, active=3),
            shows_sessions=(SESSION,),
            what_ifs=(
                WhatIf("assume-again", "Assume the role again",
                       "<p>A new AssumeRole call: STS evaluates the trust policy again and issues new "
                       "credentials with a new expiry.</p>", assume_again),
            ),
        ),
        defend_step(1, (("production", "AssumeRole"), ("auditor", "AssumeRole")),
                    looks_for="""
<ul><li>The production account's AssumeRole names only the auditor <em>account</em> (type
<code>AWSAccount</code>); the auditor account's copy, with the same <code>sharedEventID</code>, names the
user.</li><li><code>requestParameters.externalId</code>: the third-party guard.</li></ul>"""),
    ),
)
