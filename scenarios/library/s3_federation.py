"""Scenario 3 — federation with an external IdP: AssumeRoleWithSAML and AssumeRoleWithWebIdentity.

Every assertion and token is really signed by the lab's mock IdPs (federation/services.py) and really checked by
STS (engine/federation): signature against the registered metadata or JWKS, audience, expiry, then the role's
trust policy. Owned by the federation engineer; it uses the player as any scenario does.
"""
from __future__ import annotations

from datetime import timedelta

from django.template.loader import render_to_string

from engine.federation import tamper
from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, encode_saml_response, github_actions_claims
from federation import calls, people, services
from sandboxes.services import sandbox_now
from sandboxes.world import PRODUCT_IMAGES, PRODUCTION

from ..defend import defend_step
from ..framework import AwsRule, Diagram, Node, PolicyRef, Scenario, Step, StepContext, WhatIf

DEV_ROLE = "SecureCart-SAML-Developers"
OPS_ROLE = "SecureCart-SAML-Operations"
DEPLOY_ROLE = "SecureCart-GitHubDeploy"
SAML_SESSION = "saml-developer"
OIDC_SESSION = "github-deploy"

PERSON_NODE = Node("alice", "SecureCart employee", "principal")
IDP_NODE = Node("SecureCart IdP", "idp.securecart.example", "principal")
STS_NODE = Node("AWS STS", "AssumeRoleWithSAML", "sts")
DEV_NODE = Node(DEV_ROLE, "IAM role · production", "role")
IMAGES_NODE = Node(PRODUCT_IMAGES, "S3 bucket · production", "resource")
GH_NODE = Node("GitHub Actions", "securecart/storefront workflow", "principal")
OIDC_STS_NODE = Node("AWS STS", "AssumeRoleWithWebIdentity", "sts")
DEPLOY_NODE = Node(DEPLOY_ROLE, "IAM role · production", "role")

DEV_TRUST = PolicyRef("trust", PRODUCTION, role=DEV_ROLE, title=f"Trust policy of {DEV_ROLE}")
DEV_POLICY = PolicyRef("identity", PRODUCTION, role=DEV_ROLE, name="ReadProductImages",
                       title=f"Permissions of {DEV_ROLE}")
OPS_TRUST = PolicyRef("trust", PRODUCTION, role=OPS_ROLE, title=f"Trust policy of {OPS_ROLE}")
DEPLOY_TRUST = PolicyRef("trust", PRODUCTION, role=DEPLOY_ROLE, title=f"Trust policy of {DEPLOY_ROLE}")
DEPLOY_POLICY = PolicyRef("identity", PRODUCTION, role=DEPLOY_ROLE, name="PublishReleaseImages",
                          title=f"Permissions of {DEPLOY_ROLE}")


def _checks_note(ctx: StepContext, what: str) -> None:
    report = calls.last_report(ctx)
    if report:
        label = ctx.calls[-1].label if ctx.calls else ""
        ctx.note(render_to_string("federation/_checks_note.html", {"report": report, "what": what, "label": label}))


def _arns(ctx: StepContext, role: str) -> tuple[str, str]:
    setup = services.ensure_federation(ctx.sandbox)
    return ctx.role_arn(PRODUCTION, role), setup.saml_provider_arn


def _assertion(ctx: StepContext, username: str, *, role_pairs=None, age: timedelta = timedelta(0)) -> str:
    person = people.person(username)
    now = sandbox_now(ctx.sandbox).replace(microsecond=0) - age
    subject = services.saml_person(person, ctx.accounts, role_pairs=role_pairs)
    return services.saml_idp(ctx.sandbox.id).build_response(subject, now=now)


def _redeem(ctx: StepContext, role: str, xml: str, *, expect: str | None = None, label: str = "") -> dict | None:
    role_arn, provider_arn = _arns(ctx, role)
    response = calls.assume_role_with_saml(
        ctx, role_arn=role_arn, provider_arn=provider_arn, assertion_b64=encode_saml_response(xml), expect=expect,
        label=label or f"Redeem the assertion for {role} (AssumeRoleWithSAML, unsigned)")
    _checks_note(ctx, "assertion")
    return response


# ------------------------------------------------------------------------------------------------ step 1: SAML
def saml_sign_in(ctx: StepContext) -> None:
    response = _redeem(ctx, DEV_ROLE, _assertion(ctx, "alice"))
    if response:
        ctx.keep_session(SAML_SESSION, f"{DEV_ROLE} session (alice, SAML)", response, issued_by="AssumeRoleWithSAML")
        keys = ctx.session(SAML_SESSION, made_by="saml-sign-in")
        ctx.call("Who am I now? (GetCallerIdentity)", ctx.client("sts", keys).get_caller_identity, signer=keys)
        ctx.call("List the product images", ctx.client("s3", keys).list_objects_v2, signer=keys,
                 Bucket=PRODUCT_IMAGES)


def saml_role_not_granted(ctx: StepContext) -> None:
    _redeem(ctx, OPS_ROLE, _assertion(ctx, "alice"), expect="ValidationError",
            label=f"alice asks for {OPS_ROLE}, which her assertion does not list")


def saml_replayed_late(ctx: StepContext) -> None:
    _redeem(ctx, DEV_ROLE, _assertion(ctx, "alice", age=timedelta(minutes=6)), expect="ExpiredTokenException",
            label="Redeem an assertion captured 6 minutes ago")


def saml_tampered(ctx: StepContext) -> None:
    role_arn, provider_arn = _arns(ctx, OPS_ROLE)
    forged = tamper.change_role(_assertion(ctx, "alice"), role_arn, provider_arn)
    _redeem(ctx, OPS_ROLE, forged, expect="InvalidIdentityToken",
            label=f"Edit the signed Role attribute to {OPS_ROLE}, then redeem")


# ------------------------------------------------------------------------------------------------ step 2: saml:sub
def bob_takes_operations(ctx: StepContext) -> None:
    _redeem(ctx, OPS_ROLE, _assertion(ctx, "bob"), label=f"bob redeems his assertion for {OPS_ROLE}")


def idp_grants_alice_operations(ctx: StepContext) -> None:
    role_arn, provider_arn = _arns(ctx, OPS_ROLE)
    xml = _assertion(ctx, "alice", role_pairs=[(role_arn, provider_arn)])
    _redeem(ctx, OPS_ROLE, xml, expect="AccessDenied",
            label=f"A misconfigured IdP lists {OPS_ROLE} for alice; she redeems it")


# ------------------------------------------------------------------------------------------------ step 3: OIDC
def _token(ctx: StepContext, branch: str = "main", **overrides) -> str:
    services.ensure_federation(ctx.sandbox)
    sub, extra = github_actions_claims(services.GITHUB_REPOSITORY, ref=f"refs/heads/{branch}")
    options = dict(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=sandbox_now(ctx.sandbox).replace(microsecond=0),
                   lifetime_seconds=300, extra_claims=extra)
    options.update(overrides)
    return services.github_oidc(ctx.sandbox.id).issue_token(**options)


def _exchange(ctx: StepContext, token: str, *, expect: str | None = None, label: str = "") -> dict | None:
    response = calls.assume_role_with_web_identity(
        ctx, role_arn=ctx.role_arn(PRODUCTION, DEPLOY_ROLE), token=token, session_name="gha-deploy",
        expect=expect, label=label or "The workflow trades its ID token (AssumeRoleWithWebIdentity, unsigned)")
    _checks_note(ctx, "token")
    return response


def github_deploy(ctx: StepContext) -> None:
    response = _exchange(ctx, _token(ctx))
    if response:
        ctx.keep_session(OIDC_SESSION, f"{DEPLOY_ROLE} session (GitHub Actions)", response,
                         issued_by="AssumeRoleWithWebIdentity")
        keys = ctx.session(OIDC_SESSION, made_by="github-actions-oidc")
        ctx.call("Publish a release image", ctx.client("s3", keys).put_object, signer=keys, Bucket=PRODUCT_IMAGES,
                 Key="releases/2024.10/banner.png", Body=b"\x89PNG release banner")


def feature_branch(ctx: StepContext) -> None:
    _exchange(ctx, _token(ctx, branch="feature-x"), expect="AccessDenied",
              label="A workflow on branch feature-x asks for the deploy role")


def wrong_audience(ctx: StepContext) -> None:
    _exchange(ctx, _token(ctx, aud="sts.amazon.com"), expect="InvalidIdentityToken",
              label="A token issued for audience sts.amazon.com (a typo in the workflow)")


def expired_token(ctx: StepContext) -> None:
    _exchange(ctx, _token(ctx, now=sandbox_now(ctx.sandbox) - timedelta(minutes=10)), expect="ExpiredTokenException",
              label="A token that expired 5 minutes ago")


# ------------------------------------------------------------------------------------------------ step 4: forgeries
def forgeries(ctx: StepContext) -> None:
    _, provider_arn = _arns(ctx, DEV_ROLE)
    ops_arn = ctx.role_arn(PRODUCTION, OPS_ROLE)
    genuine = _assertion(ctx, "alice")
    for label, forged in (
        ("Role attribute edited after signing", tamper.change_role(genuine, ops_arn, provider_arn)),
        ("Signature stripped", tamper.strip_signature(genuine)),
        ("Forged assertion wrapped beside the signed one (XSW)", tamper.xsw_sibling(genuine, ops_arn, provider_arn)),
        ("Re-signed with the attacker's own key", tamper.resign_with_key(genuine, services.saml_idp(ctx.sandbox.id),
                                                                          services.signing_key("attacker"),
                                                                          role_arn=ops_arn,
                                                                          provider_arn=provider_arn)),
    ):
        _redeem(ctx, OPS_ROLE, forged, expect="InvalidIdentityToken", label=f"SAML: {label}")
    token = _token(ctx)
    github_key = services.github_oidc(ctx.sandbox.id).key
    for label, forged in (
        ("alg: none", tamper.jwt_alg_none(token, sub="repo:evil/fork:ref:refs/heads/main")),
        ("HS256 keyed with the issuer's public key", tamper.jwt_hs256_key_confusion(token, github_key.public_key_pem)),
        ("signed with the attacker's key under GitHub's kid",
         tamper.jwt_signed_with_own_key(token, services.signing_key("attacker"))),
    ):
        _exchange(ctx, forged, expect="InvalidIdentityToken", label=f"OIDC: {label}")


SCENARIO = Scenario(
    objective=('Trade a SAML assertion and an OIDC ID token for role credentials, pin trust policies to '
               '<code>SAML:sub</code>, <code>:aud</code> and <code>:sub</code>, and recognise forged, replayed and '
               'expired tokens by the refusal STS gives.'),
    prerequisites=('Scenario 1.', 'Helpful: scenario 2, where SAML works behind Identity Center.',),
    minutes=25, level='Advanced', quiz_domains=('federation', 'tags'),
    rules=(
        AwsRule("A SAML role trusts the IdP's SAML provider; the assertion's Role attribute must pair the role with that provider.",
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html'),
        AwsRule('A role for SAML federation checks SAML:aud, and can narrow who may use it with SAML:sub.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html'),
        AwsRule("A role for OIDC (GitHub Actions) should pin the token's aud and sub in its trust policy.",
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html'),
        AwsRule('AssumeRoleWithWebIdentity and AssumeRoleWithSAML are unsigned: the token or assertion is the credential.',
                'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html'),
        AwsRule('The federation condition keys (SAML:sub, token.actions.githubusercontent.com:sub, …).',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html'),
    ),
    number=3,
    slug="federation-idp",
    title="Federation with an external identity provider",
    sts_call="AssumeRoleWithSAML / AssumeRoleWithWebIdentity",
    summary="SecureCart's staff sign in at the company IdP (SAML) and its GitHub workflows present OIDC tokens; STS "
            "checks the signature, audience and expiry, then the role's trust policy.",
    steps=(
        Step(
            slug="saml-sign-in",
            title="Sign in with SAML",
            narrative="""
<p>SecureCart's people have no IAM users. <strong>alice</strong> signs in at the company identity provider, which
signs a <strong>SAML assertion</strong> saying who she is and which roles she may use
(<code>https://aws.amazon.com/SAML/Attributes/Role</code>). She (or her browser, or a CLI tool) hands it to STS with
<code>AssumeRoleWithSAML</code>. The call is <em>unsigned</em>: the assertion is the credential.</p>
<p>STS trusts the assertion only because the production account registered the IdP's metadata
(<code>CreateSAMLProvider</code>): the signing certificate and the entity ID. Then the role's trust policy must
allow the call: it names the SAML provider and requires <code>SAML:aud</code>, the assertion's Recipient, to be
AWS's sign-in endpoint.</p>
<p>Try it here, or click through it yourself: <a href="/federation/idp/login/?next=aws">sign in at the IdP</a>.
Then break the trust policy's <code>SAML:aud</code> in the editor, run again, and mend it.</p>""",
            run=saml_sign_in,
            run_label="Sign in as alice and redeem the assertion",
            lesson="""<p>STS verified the XML signature with the certificate from the registered metadata, checked
the audience, the Recipient and the 5-minute redeem window, found the pair (role, provider) in the Role attribute,
then evaluated the trust policy with <code>saml:aud</code>, <code>saml:sub</code>, <code>saml:iss</code>… taken from
the assertion. The session's name is alice's <code>RoleSessionName</code> attribute; her
<code>PrincipalTag:Department</code> became a session tag.</p>""",
            diagram=Diagram((PERSON_NODE, IDP_NODE, STS_NODE, DEV_NODE, IMAGES_NODE), active=3),
            policies=(DEV_TRUST, DEV_POLICY),
            editable_trust=DEV_TRUST,
            shows_sessions=(SAML_SESSION,),
            what_ifs=(
                WhatIf("role-not-granted", "Ask for a role the IdP did not grant",
                       "<p>The Role attribute lists the (role, provider) pairs the IdP grants. STS only issues a "
                       "role that is in it; the call fails before the trust policy is read.</p>",
                       saml_role_not_granted),
                WhatIf("replayed-late", "Replay a captured assertion 6 minutes later",
                       "<p>A SAML assertion is a bearer token: whoever holds it can use it. STS limits the damage "
                       "of a stolen one: it must be redeemed within 5 minutes of its IssueInstant.</p>",
                       saml_replayed_late),
                WhatIf("tampered", "Edit the Role attribute after signing",
                       "<p>The signature covers the whole assertion. Change one character and it no longer "
                       "verifies with the IdP's certificate: <code>InvalidIdentityToken</code>, "
                       "<em>Response signature invalid</em>.</p>",
                       saml_tampered),
            ),
        ),
        Step(
            slug="saml-sub-condition",
            title="Only named people: saml:sub",
            narrative="""
<p>The operations role trusts the same IdP but also requires <code>saml:sub</code> (the assertion's NameID) to be
<code>bob</code>. Even if the IdP were misconfigured and offered the role to someone else, the trust policy would
still refuse them.</p>""",
            run=bob_takes_operations,
            run_label="bob takes the operations role",
            lesson="""<p>Both conditions held: the assertion was addressed to AWS (<code>SAML:aud</code>) and its
subject is <code>bob</code>. Add <code>alice</code> to the list in the editor to let her in too.</p>""",
            diagram=Diagram((Node("bob", "SecureCart employee"), IDP_NODE, STS_NODE,
                             Node(OPS_ROLE, "IAM role · production", "role")), active=3),
            policies=(OPS_TRUST,),
            editable_trust=OPS_TRUST,
            what_ifs=(
                WhatIf("idp-misconfigured", "The IdP grants alice the operations role",
                       "<p>The assertion is genuine and correctly signed, so every token check passes; the trust "
                       "policy's <code>saml:sub</code> condition is what refuses her: <code>AccessDenied</code>, "
                       "<em>Not authorized to perform sts:AssumeRoleWithSAML</em>.</p>",
                       idp_grants_alice_operations),
            ),
        ),
        Step(
            slug="github-actions-oidc",
            title="A GitHub workflow with OIDC",
            narrative="""
<p>The storefront's deploy workflow needs to publish release images, with no access keys stored in GitHub. The
runner gets an <strong>OIDC ID token</strong> from <code>token.actions.githubusercontent.com</code> (simulated by the
lab) and calls <code>AssumeRoleWithWebIdentity</code>. STS finds the IAM OIDC provider whose URL equals the token's
<code>iss</code>, verifies the signature with the key from the issuer's JWKS, checks <code>aud</code> against the
provider's client ids and <code>exp</code> against the clock.</p>
<p>The trust policy pins <code>token.actions.githubusercontent.com:sub</code> to
<code>repo:securecart/storefront:ref:refs/heads/main</code>. Loosening it to <code>repo:securecart/*</code> with
<code>StringLike</code> is the classic mistake: any repository of the organisation, any branch, could deploy.</p>
<p>Get your own token at <a href="/federation/oidc/token/">the OIDC page</a>.</p>""",
            run=github_deploy,
            run_label="Run the deploy workflow",
            lesson="""<p>The token's claims became condition keys: <code>…:aud</code> = <code>sts.amazonaws.com</code>
and <code>…:sub</code> = the repository and branch. The session then wrote under <code>releases/</code>, the only
place its policy allows.</p>""",
            diagram=Diagram((GH_NODE, OIDC_STS_NODE, DEPLOY_NODE, IMAGES_NODE), active=2),
            policies=(DEPLOY_TRUST, DEPLOY_POLICY),
            editable_trust=DEPLOY_TRUST,
            shows_sessions=(OIDC_SESSION,),
            what_ifs=(
                WhatIf("feature-branch", "Run it on a feature branch",
                       "<p>The token is genuine, but its <code>sub</code> names another branch, so the "
                       "<code>StringEquals</code> condition fails: <code>AccessDenied</code>.</p>",
                       feature_branch),
                WhatIf("wrong-audience", "Token for the wrong audience",
                       "<p><code>aud</code> must be one of the OIDC provider's client ids. AWS answers "
                       "<code>InvalidIdentityToken</code>, <em>Incorrect token audience</em>.</p>",
                       wrong_audience),
                WhatIf("expired-token", "An expired token",
                       "<p>GitHub's tokens live minutes. After <code>exp</code> STS answers "
                       "<code>ExpiredTokenException</code>.</p>",
                       expired_token),
            ),
        ),
        Step(
            slug="forgeries",
            title="Try to forge your way in",
            narrative="""
<p>An attacker who can read an assertion or a token will try to change it: another role, another subject, no
signature, a signature made with their own key, or XML Signature Wrapping (hiding the genuine signed assertion
next to a forged one). For tokens: <code>alg: none</code>, or HS256 keyed with the issuer's <em>public</em> key.
Run them all; every one must be refused. Then forge your own on the <a href="/federation/tamper/">tamper
bench</a>.</p>""",
            run=forgeries,
            run_label="Submit seven forgeries",
            lesson="""<p>All refused with <code>InvalidIdentityToken</code>, each by a different defence: the
signature check (any edit), the one-assertion rule (wrapping), the algorithm allow-list (none, HS256) and the JWKS key
(foreign key).</p>""",
            diagram=Diagram((Node("attacker", "has a copy of a token"), STS_NODE), active=1),
        ),
        defend_step(3, (("production", "AssumeRoleWithSAML"), ("production", "AssumeRoleWithWebIdentity")),
                    looks_for="""
<ul><li>Unsigned federation calls show as <code>SAMLUser</code> / <code>WebIdentityUser</code> with the
<code>identityProvider</code>.</li><li>Refused assertions and tokens carry an
<code>errorCode</code>.</li></ul>"""),
    ),
)
