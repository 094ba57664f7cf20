"""Scenario 6 — role chaining: the release pipeline hops from one role to another."""
from __future__ import annotations

from sandboxes.world import DEVELOPER, PRODUCT_IMAGES, PRODUCTION

from ..defend import defend_step
from ..framework import AwsRule, Diagram, Node, PolicyRef, Scenario, Step, StepContext, WhatIf

CI_USER = "securecart-ci"
PIPELINE_ROLE = "SecureCart-DeployPipeline"
RELEASE_ROLE = "SecureCart-ReleaseManager"
PIPELINE_SESSION = "pipeline-session"
RELEASE_SESSION = "release-session"

CI_NODE = Node(CI_USER, "IAM user · developer account", "principal")
STS_NODE = Node("AWS STS", "sts.amazonaws.com", "sts")
PIPELINE_NODE = Node(PIPELINE_ROLE, "role A · production", "role")
RELEASE_NODE = Node(RELEASE_ROLE, "role B · production", "role")
BUCKET_NODE = Node(PRODUCT_IMAGES, "S3 bucket · production", "resource")

CI_POLICY = PolicyRef("identity", DEVELOPER, user=CI_USER, name="StartDeployPipeline",
                      title="Identity policy of securecart-ci (developer account)")
PIPELINE_TRUST = PolicyRef("trust", PRODUCTION, role=PIPELINE_ROLE, title="Trust policy of role A")
PIPELINE_POLICY = PolicyRef("identity", PRODUCTION, role=PIPELINE_ROLE, name="HandOverToReleaseManager",
                            title="Permissions of role A")
RELEASE_TRUST = PolicyRef("trust", PRODUCTION, role=RELEASE_ROLE, title="Trust policy of role B")
RELEASE_POLICY = PolicyRef("identity", PRODUCTION, role=RELEASE_ROLE, name="PublishReleaseAssets",
                           title="Permissions of role B")


def ci_identity(ctx: StepContext) -> None:
    ci = ctx.user(DEVELOPER, CI_USER)
    ctx.call("Who is the pipeline? (GetCallerIdentity)", ctx.client("sts", ci).get_caller_identity, signer=ci)


def first_hop(ctx: StepContext) -> None:
    ci = ctx.user(DEVELOPER, CI_USER)
    response = ctx.call("Hop 1: securecart-ci assumes role A", ctx.client("sts", ci).assume_role, signer=ci,
                        RoleArn=ctx.role_arn(PRODUCTION, PIPELINE_ROLE), RoleSessionName="build-1842",
                        DurationSeconds=3600)
    if ctx.keep_session(PIPELINE_SESSION, "Role A session (SecureCart-DeployPipeline)", response):
        session = ctx.session(PIPELINE_SESSION, made_by="first-hop")
        ctx.call("GetCallerIdentity after hop 1", ctx.client("sts", session).get_caller_identity, signer=session)


def _second_hop(ctx: StepContext, duration: int, expect: str | None = None) -> None:
    pipeline = ctx.live_session(PIPELINE_SESSION, made_by="first-hop")
    response = ctx.call("Hop 2: role A's session assumes role B", ctx.client("sts", pipeline).assume_role,
                        signer=pipeline, expect=expect, RoleArn=ctx.role_arn(PRODUCTION, RELEASE_ROLE),
                        RoleSessionName="release-2-4-0", DurationSeconds=duration)
    if expect is None and ctx.keep_session(RELEASE_SESSION, "Role B session (SecureCart-ReleaseManager)", response):
        session = ctx.session(RELEASE_SESSION, made_by="second-hop")
        ctx.call("GetCallerIdentity after hop 2", ctx.client("sts", session).get_caller_identity, signer=session)


def second_hop(ctx: StepContext) -> None:
    _second_hop(ctx, 3600)


def chained_two_hours(ctx: StepContext) -> None:
    _second_hop(ctx, 7200, expect="ValidationError")


def skip_first_hop(ctx: StepContext) -> None:
    ci = ctx.user(DEVELOPER, CI_USER)
    ctx.call("securecart-ci tries role B directly", ctx.client("sts", ci).assume_role, signer=ci,
             expect="AccessDenied", RoleArn=ctx.role_arn(PRODUCTION, RELEASE_ROLE),
             RoleSessionName="shortcut")


def publish(ctx: StepContext) -> None:
    release = ctx.live_session(RELEASE_SESSION, made_by="second-hop")
    pipeline = ctx.live_session(PIPELINE_SESSION, made_by="first-hop")
    body = b'{"version": "2.4.0", "assets": ["hero-banner.jpg"]}'
    ctx.call("Role B publishes the release manifest", ctx.client("s3", release).put_object, signer=release,
             Bucket=PRODUCT_IMAGES, Key="releases/2.4.0/manifest.json", Body=body)
    ctx.call("Role A tries the same upload", ctx.client("s3", pipeline).put_object, signer=pipeline,
             expect="AccessDenied", Bucket=PRODUCT_IMAGES, Key="releases/2.4.0/manifest.json", Body=body)


SCENARIO = Scenario(
    objective=("Chain roles (a role session assuming another role), know the one-hour cap that applies to chained "
               "sessions, and see that each hop has only its own role's permissions."),
    prerequisites=('Scenario 1.',),
    minutes=15, level='Intermediate', quiz_domains=('guardrails',),
    rules=(
        AwsRule("Role chaining limits the new session to one hour, whatever the role's maximum session duration.",
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html'),
        AwsRule("A role session has the permissions of its own role only; the previous hop's are gone.",
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html'),
        AwsRule('DurationSeconds above one hour fails for a chained AssumeRole.',
                'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html'),
    ),
    number=6,
    slug="role-chaining",
    title="Role chaining in the release pipeline",
    sts_call="AssumeRole, twice",
    summary="The CI pipeline assumes a deploy role, and from that session a release role. Each hop gets its own "
            "credentials and clock, and chained sessions are capped at one hour.",
    steps=(
        Step(
            slug="ci-identity",
            title="The pipeline's own identity",
            narrative="""
<p>SecureCart ships releases from a CI pipeline that runs in the <strong>developer account</strong> as the
IAM user <code>securecart-ci</code>. Publishing a release touches production, so the pipeline never gets
production permissions directly: it must go through two roles, each of which does one job.</p>""",
            run=ci_identity,
            run_label="Call GetCallerIdentity",
            lesson="<p>A long-term key of a user in the developer account. It can do one thing in production: "
                   "assume role A.</p>",
            diagram=Diagram((CI_NODE, STS_NODE), active=1),
            policies=(CI_POLICY,),
        ),
        Step(
            slug="first-hop",
            title="Hop 1: assume the deploy role",
            narrative="""
<p>Role A, <code>SecureCart-DeployPipeline</code>, trusts exactly one principal: the
<code>securecart-ci</code> user. Its only permission is to assume role B. Take the first hop.</p>""",
            run=first_hop,
            run_label="Assume role A",
            lesson="<p>The pipeline now acts as an assumed-role session of role A. This first hop starts from a "
                   "user's long-term key, so it is not role chaining yet.</p>",
            diagram=Diagram((CI_NODE, STS_NODE, PIPELINE_NODE), active=2),
            policies=(PIPELINE_TRUST, CI_POLICY),
            editable_trust=PIPELINE_TRUST,
            shows_sessions=(PIPELINE_SESSION,),
        ),
        Step(
            slug="second-hop",
            title="Hop 2: from role A to role B",
            narrative="""
<p>Now the pipeline signs a second AssumeRole with <em>role A's temporary credentials</em>. Using one role's
session to assume another role is <strong>role chaining</strong>. Role B,
<code>SecureCart-ReleaseManager</code>, trusts role A and nothing else.</p>
<p>Role B allows sessions of up to four hours, yet AWS caps any chained session at one hour.</p>""",
            run=second_hop,
            run_label="Assume role B from role A",
            lesson="<p>Two sessions now exist side by side, each with its own keys and its own expiry. Ending or "
                   "expiring one does not change the other's clock.</p>",
            diagram=Diagram((PIPELINE_NODE, STS_NODE, RELEASE_NODE), active=2),
            policies=(RELEASE_TRUST, PIPELINE_POLICY),
            editable_trust=RELEASE_TRUST,
            shows_sessions=(PIPELINE_SESSION, RELEASE_SESSION),
            what_ifs=(
                WhatIf("chained-two-hours", "Ask role B for two hours",
                       "<p>Role B's own maximum is four hours, but a session obtained by role chaining is limited "
                       "to one hour. STS rejects <code>DurationSeconds</code> above 3600 on a chained hop.</p>",
                       chained_two_hours),
                WhatIf("skip-first-hop", "Skip hop 1",
                       "<p>Role B trusts only role A. The CI user is not named in its trust policy, and its own "
                       "identity policy does not allow assuming role B either.</p>",
                       skip_first_hop),
            ),
        ),
        Step(
            slug="publish-release",
            title="Publish the release",
            narrative="""
<p>Role B may write under <code>releases/</code> in the product-images bucket. Role A may not: it only hands
over. Try the same upload with both sessions.</p>""",
            run=publish,
            run_label="Upload with both sessions",
            lesson="<p>Each hop's permissions are those of its own role. Chaining does not add role A's rights to "
                   "role B's or the other way round; it only moves from one identity to the next.</p>",
            diagram=Diagram((RELEASE_NODE, BUCKET_NODE), active=1),
            policies=(RELEASE_POLICY, PIPELINE_POLICY),
            shows_sessions=(PIPELINE_SESSION, RELEASE_SESSION),
        ),
        defend_step(6, (("production", "AssumeRole"),),
                    looks_for="""
<ul><li>Each hop is its own <code>AssumedRole</code> session; <code>sessionIssuer.arn</code> names the
role.</li><li>Role chaining: an <code>AssumeRole</code> whose caller is itself an <code>AssumedRole</code>.
Follow <code>accessKeyId</code> back to the user.</li></ul>"""),
    ),
)
