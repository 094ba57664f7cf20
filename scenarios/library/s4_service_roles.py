"""Scenario 4 — a service role: SecureCart's web tier reads product images with its EC2 instance role.

The instance gets credentials from ITS instance metadata service (gateway/imds.py): IMDSv2 token first, then the
role's credentials, issued by the engine to the service principal ec2.amazonaws.com for that instance. Rotation
follows engine/instances.py (new credentials at least five minutes before the old ones expire; both overlap).
"""
from __future__ import annotations

import html
import json
from typing import Any

from sandboxes import services
from sandboxes.imdsmount import imds_app
from sandboxes.operator import OPERATOR
from sandboxes.results import CallError, CallRecord, ExchangeRecord
from sandboxes.world import ADMIN_USER, INVOICES, PRODUCT_IMAGES, PRODUCTION

from ..defend import defend_step
from ..framework import AwsRule, Diagram, NeedsEarlierStep, Node, PolicyRef, Scenario, Step, StepContext, WhatIf, \
    mask_secret, shorten_token

ROLE = "SecureCart-WebTier-Role"
PROFILE = ROLE                      # world.py names the instance profile after the role
INSTANCE_NAME = "securecart-web-1"
SESSION = "web-tier-instance"
SESSION_LABEL = "Instance credentials (SecureCart-WebTier-Role, from IMDS)"
IMDS_HOST = "http://169.254.169.254"

INSTANCE_NODE = Node("EC2 instance", "web tier · production account", "principal")
IMDS_NODE = Node("Instance metadata", "169.254.169.254 (IMDSv2)", "sts")
ROLE_NODE = Node(ROLE, "IAM role · production", "role")
IMAGES_NODE = Node(PRODUCT_IMAGES, "S3 bucket · production", "resource")

TRUST = PolicyRef("trust", PRODUCTION, role=ROLE, title="Trust policy of SecureCart-WebTier-Role")
ROLE_POLICY = PolicyRef("identity", PRODUCTION, role=ROLE, name="WebTierAccess",
                        title="Permissions of SecureCart-WebTier-Role")

IMDS_SIGNER = "the instance itself (IMDS needs no AWS credentials; only code on the instance can reach it)"


# --------------------------------------------------------------------------------------------------- helpers
def _admin(ctx: StepContext):
    return ctx.user(PRODUCTION, ADMIN_USER)


def find_instance(ctx: StepContext) -> str | None:
    """The running web-tier instance of this sandbox (looked up quietly, as the operator would in the console)."""
    return OPERATOR.running_instance(ctx.accounts[PRODUCTION], INSTANCE_NAME)


def require_instance(ctx: StepContext) -> str:
    instance_id = find_instance(ctx)
    if instance_id is None:
        raise NeedsEarlierStep("This step needs the web-tier instance, which the first step launches.",
                               "launch-instance")
    return instance_id


def _mask_imds_body(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text if len(text) < 60 else shorten_token(text)
    if isinstance(data, dict):
        if "SecretAccessKey" in data:
            data["SecretAccessKey"] = mask_secret(data["SecretAccessKey"])
        if "Token" in data:
            data["Token"] = shorten_token(data["Token"])
    return json.dumps(data, indent=2)


def imds_call(ctx: StepContext, label: str, method: str, instance_id: str, path: str,
              headers: dict[str, str] | None = None, *, expect_status: int = 200) -> Any:
    """One request to the instance's metadata service, recorded like an AWS call on the step page."""
    headers = dict(headers or {})
    answer = imds_app().handle(method, f"/{instance_id}{path}", headers)
    shown_headers = {k: (shorten_token(v) if k.lower() == "x-aws-ec2-metadata-token" else v)
                     for k, v in headers.items()}
    body = _mask_imds_body(answer.body)
    ok = answer.status < 400
    record = CallRecord(
        label=label, signer=IMDS_SIGNER, expect=None if expect_status < 400 else f"HTTP {expect_status}", ok=ok,
        operation=f"IMDS {method} {path}", error=None if ok else CallError(f"HTTP {answer.status}", answer.body),
        exchanges=[ExchangeRecord(method=method, url=f"{IMDS_HOST}{path}", headers=shown_headers, body="",
                                  status=answer.status,
                                  response_headers={"Content-Type": answer.content_type, **answer.headers},
                                  response_body=body, operation=f"IMDS {path}")])
    if ok:
        try:
            record.response = json.loads(body)
        except ValueError:
            record.response = {"body": body}
    record.met_expectation = answer.status == expect_status
    ctx.add_call(record)
    return answer


def imds_token(ctx: StepContext, instance_id: str, ttl: int = 21600) -> str | None:
    answer = imds_call(ctx, f"IMDSv2: ask for a session token (PUT /latest/api/token, TTL {ttl} s)", "PUT",
                       instance_id, "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
    return answer.body if answer.status == 200 else None


def fetch_credentials(ctx: StepContext, instance_id: str, token: str, *, keep: bool = True) -> dict[str, Any] | None:
    header = {"X-aws-ec2-metadata-token": token}
    listing = imds_call(ctx, "Which role does this instance have?", "GET", instance_id,
                        "/latest/meta-data/iam/security-credentials/", header)
    if listing.status != 200:
        return None
    role_name = listing.body.strip()
    answer = imds_call(ctx, f"The role's credentials (GET …/security-credentials/{role_name})", "GET", instance_id,
                       f"/latest/meta-data/iam/security-credentials/{role_name}", header)
    if answer.status != 200:
        return None
    document = answer.json()
    if document.get("Code") != "Success":
        return None
    ctx.add_secret(document["SecretAccessKey"], document["Token"])  # masked wherever they show up
    if keep:
        from datetime import datetime

        from sandboxes.credentials import SessionCredentials

        expiration = datetime.fromisoformat(document["Expiration"].replace("Z", "+00:00"))
        ctx.keep_credentials(SessionCredentials(
            name=SESSION, label=SESSION_LABEL,
            arn=f"arn:aws:sts::{ctx.accounts[PRODUCTION]}:assumed-role/{ROLE}/{instance_id}",
            access_key_id=document["AccessKeyId"], secret_access_key=document["SecretAccessKey"],
            session_token=document["Token"], expiration=expiration.isoformat(), issued_by="EC2 instance metadata",
            origin=ctx.origin))
        ctx.sessions.append(SESSION)
    return document


def timeline_note(ctx: StepContext, instance_id: str) -> None:
    rows = imds_app().timeline(instance_id)
    if not rows:
        return
    body = "".join(
        f"<tr data-generation='{r['number']}' data-state='{r['state']}'><td>{r['number']}</td>"
        f"<td><code>{html.escape(r['access_key_id'])}</code></td><td>{r['issued_at_iso']}</td>"
        f"<td>{r['expires_at_iso']}</td><td>{html.escape(r['state'])}</td></tr>" for r in rows)
    ctx.note(
        "<h3>Credential generations of this instance</h3>"
        "<div class='table-scroll'><table class='timeline' data-credential-timeline><thead><tr><th scope='col'>#</th>"
        "<th scope='col'>AccessKeyId</th><th scope='col'>Issued (sandbox time)</th><th scope='col'>Expires</th>"
        f"<th scope='col'>State</th></tr></thead><tbody>{body}</tbody></table></div>"
        "<p class='muted'><em>served</em>: what IMDS hands out now; <em>still-valid</em>: an older generation that "
        "keeps working until its own expiry. AWS: “We make new credentials available at least five minutes before "
        "the expiration of the old credentials.” (EC2 User Guide)</p>")


# --------------------------------------------------------------------------------------------------- step 1
def launch_instance(ctx: StepContext) -> None:
    admin = _admin(ctx)
    existing = find_instance(ctx)
    if existing is not None:
        ctx.note(f"<p>Your sandbox already runs <code>{existing}</code>; it is terminated and a new one launched.</p>")
        ctx.call("Terminate the previous web-tier instance", ctx.client("ec2", admin).terminate_instances,
                 signer=admin, InstanceIds=[existing])
    ctx.call("Launch the web tier with the instance profile (RunInstances)", ctx.client("ec2", admin).run_instances,
             signer=admin, ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1,
             IamInstanceProfile={"Name": PROFILE},
             MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
             TagSpecifications=[{"ResourceType": "instance",
                                 "Tags": [{"Key": "Name", "Value": INSTANCE_NAME}]}])


def launch_without_profile(ctx: StepContext) -> None:
    """What if: no instance profile — nothing for IMDS to hand out."""
    launch_instance(ctx)
    instance_id = require_instance(ctx)
    admin = _admin(ctx)
    ec2 = ctx.client("ec2", admin)
    associations = OPERATOR.instance_profile_associations(ctx.accounts[PRODUCTION], instance_id)
    for association in associations:
        ctx.call("Remove the instance profile", ec2.disassociate_iam_instance_profile, signer=admin,
                 AssociationId=association["AssociationId"])
    token = imds_token(ctx, instance_id)
    imds_call(ctx, "Which role does this instance have?", "GET", instance_id,
              "/latest/meta-data/iam/security-credentials/", {"X-aws-ec2-metadata-token": token or ""},
              expect_status=404)


# --------------------------------------------------------------------------------------------------- step 2
def get_credentials(ctx: StepContext) -> None:
    instance_id = require_instance(ctx)
    imds_call(ctx, "IMDSv1 (no token) is refused: this instance requires IMDSv2", "GET", instance_id,
              "/latest/meta-data/instance-id", expect_status=401)
    token = imds_token(ctx, instance_id)
    if token is None:
        return
    imds_call(ctx, "Instance id, with the token", "GET", instance_id, "/latest/meta-data/instance-id",
              {"X-aws-ec2-metadata-token": token})
    document = fetch_credentials(ctx, instance_id, token)
    if document is not None:
        session = ctx.session(SESSION, made_by="instance-credentials")
        ctx.call("Who is the instance? (GetCallerIdentity with the IMDS credentials)",
                 ctx.client("sts", session).get_caller_identity, signer=session)
        timeline_note(ctx, instance_id)


def ssrf_v1(ctx: StepContext) -> None:
    """What if an attacker makes the web app fetch the metadata URL for them (SSRF, IMDSv1-style GET)?"""
    instance_id = require_instance(ctx)
    imds_call(ctx, "A plain GET, as an SSRF bug would send it", "GET", instance_id,
              "/latest/meta-data/iam/security-credentials/", expect_status=401)
    imds_call(ctx, "A proxied PUT (X-Forwarded-For) trying to get a token", "PUT", instance_id, "/latest/api/token",
              {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "203.0.113.7"}, expect_status=403)


# --------------------------------------------------------------------------------------------------- step 3
def read_images(ctx: StepContext) -> None:
    require_instance(ctx)
    session = ctx.session(SESSION, made_by="instance-credentials")
    s3 = ctx.client("s3", session)
    ctx.call("The web app reads a product image", s3.get_object, signer=session, Bucket=PRODUCT_IMAGES,
             Key="images/hero-banner.jpg")
    ctx.call("The web app tries an invoice", s3.get_object, signer=session, expect="AccessDenied", Bucket=INVOICES,
             Key="2024/10/INV-100231.pdf")


# --------------------------------------------------------------------------------------------------- step 4
def user_cannot_assume(ctx: StepContext) -> None:
    admin = _admin(ctx)
    ctx.call("Even the account's administrator cannot assume the EC2 role (AssumeRole)",
             ctx.client("sts", admin).assume_role, signer=admin, expect="AccessDenied",
             RoleArn=ctx.role_arn(PRODUCTION, ROLE), RoleSessionName="borrow-web-tier")


# --------------------------------------------------------------------------------------------------- step 5
def _rotate(ctx: StepContext, minutes: int) -> None:
    instance_id = require_instance(ctx)
    before = ctx.stored_session(SESSION)
    if before is None:
        raise NeedsEarlierStep("This step compares new credentials with the first ones.", "instance-credentials")
    ctx.sandbox.advance_clock(minutes * 60)
    ctx.note(f"<p>Sandbox clock moved forward {minutes} minutes.</p>")
    token = imds_token(ctx, instance_id)
    if token is None:
        return
    document = fetch_credentials(ctx, instance_id, token)
    if document is None:
        return
    current = ctx.session(SESSION, made_by="instance-credentials")  # the card now holds the newest generation
    from .. import framework as fw
    previous = fw.Keys("Previous instance credentials", before.access_key_id, before.secret_access_key,
                       before.session_token)
    ctx.add_secret(before.secret_access_key, before.session_token)
    expired = before.expires_at <= services.sandbox_now(ctx.sandbox)
    ctx.call("The previous credentials (cached by the app)", ctx.client("sts", previous).get_caller_identity,
             signer=previous, expect="ExpiredToken" if expired else None)
    ctx.call("The credentials IMDS serves now", ctx.client("sts", current).get_caller_identity, signer=current)
    timeline_note(ctx, instance_id)


def rotate(ctx: StepContext) -> None:
    _rotate(ctx, 61)


def rotate_far(ctx: StepContext) -> None:
    _rotate(ctx, 7 * 60)


# --------------------------------------------------------------------------------------------------- step 6
def detach(ctx: StepContext) -> None:
    instance_id = require_instance(ctx)
    served = ctx.session(SESSION, made_by="instance-credentials")
    admin = _admin(ctx)
    associations = OPERATOR.instance_profile_associations(ctx.accounts[PRODUCTION], instance_id)
    if not associations:
        ctx.note("<p>The profile is already detached. Launch the instance again (step 1) to start over.</p>")
    for association in associations:
        ctx.call("Detach the instance profile (DisassociateIamInstanceProfile)",
                 ctx.client("ec2", admin).disassociate_iam_instance_profile, signer=admin,
                 AssociationId=association["AssociationId"])
    token = imds_token(ctx, instance_id)
    imds_call(ctx, "IMDS has no role to offer any more", "GET", instance_id,
              "/latest/meta-data/iam/security-credentials/", {"X-aws-ec2-metadata-token": token or ""},
              expect_status=404)
    ctx.call("Credentials handed out before still work until they expire", ctx.client("sts", served).get_caller_identity,
             signer=served)
    timeline_note(ctx, instance_id)


SCENARIO = Scenario(
    objective=('Run code on EC2 with an instance role instead of access keys: how the SDK gets credentials from '
               'IMDSv2, why they rotate, and why only the EC2 service may assume that role.'),
    prerequisites=('Scenario 1.',),
    minutes=20, level='Intermediate', quiz_domains=('compute',),
    rules=(
        AwsRule("An instance profile hands a role to EC2; code on the instance gets the role's temporary credentials from instance metadata.",
                'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html'),
        AwsRule('EC2 makes new credentials available at least five minutes before the old ones expire.',
                'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html'),
        AwsRule('IMDSv2 wants a session token from a PUT request first, which stops most SSRF attacks.',
                'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html'),
        AwsRule("A service role's trust policy names the service principal (ec2.amazonaws.com), not an account.",
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html'),
    ),
    number=4,
    slug="service-roles",
    title="Service roles for EC2",
    sts_call="AssumeRole (by EC2, for the instance)",
    summary="The web tier's EC2 instance reads product images with credentials from its instance metadata service: "
            "no keys in the code, rotated automatically, and never more than the role allows.",
    steps=(
        Step(
            slug="launch-instance",
            title="Launch the web tier with an instance profile",
            narrative=f"""
<p>SecureCart never puts access keys in application code. Its web tier runs on EC2 with an <strong>instance
profile</strong> holding the role <code>{ROLE}</code>. The role's trust policy trusts the <em>service</em>
<code>ec2.amazonaws.com</code>, not a person.</p>
<p>The lab administrator launches the instance with <code>RunInstances</code>, naming the profile, and requires
IMDSv2 (<code>HttpTokens=required</code>).</p>""",
            run=launch_instance,
            run_label="Launch the instance",
            lesson="<p>The instance runs with the profile attached. Nothing on it holds a key; the next step shows "
                   "where its credentials come from.</p>",
            diagram=Diagram((INSTANCE_NODE, ROLE_NODE), active=1),
            policies=(TRUST, ROLE_POLICY),
            what_ifs=(WhatIf("no-profile", "Launch without a profile",
                             "<p>Without an instance profile, the metadata service has no role to offer: "
                             "<code>iam/security-credentials/</code> answers 404.</p>", launch_without_profile),),
        ),
        Step(
            slug="instance-credentials",
            title="Credentials from the instance metadata service",
            narrative="""
<p>Code on the instance asks the <strong>instance metadata service</strong> (IMDS, at 169.254.169.254) for the
role's credentials. With IMDSv2 it first <code>PUT</code>s <code>/latest/api/token</code> for a session token,
then sends that token with every <code>GET</code>. The SDKs do all of this for you.</p>
<p>Behind the scenes EC2 asked STS for a session of the role, on behalf of this instance: the session name is the
instance id.</p>""",
            run=get_credentials,
            run_label="Ask IMDS for credentials",
            lesson="<p>The answer carries an <code>AccessKeyId</code>, a secret, a token and an expiry: temporary "
                   "credentials for this instance only. A request without the IMDSv2 token was refused.</p>",
            diagram=Diagram((INSTANCE_NODE, IMDS_NODE, ROLE_NODE), active=1),
            policies=(TRUST,),
            shows_sessions=(SESSION,),
            what_ifs=(WhatIf("ssrf", "An SSRF attack tries IMDS",
                             "<p>A server-side request forgery makes the app send a plain GET, or go through a "
                             "proxy. IMDSv2 needs a PUT for the token, refuses a PUT carrying "
                             "<code>X-Forwarded-For</code>, and answers 401 to GETs without a token.</p>", ssrf_v1),),
        ),
        Step(
            slug="read-product-images",
            title="Read product images, not invoices",
            narrative=f"""
<p>The web application uses the instance credentials to read <code>{PRODUCT_IMAGES}</code>. Then it tries the
invoices bucket. The role grants <code>s3:GetObject</code> on product images only.</p>""",
            run=read_images,
            run_label="Read from S3",
            lesson="<p>Least privilege at work: the same credentials read an image and are refused an invoice. The "
                   "explanation names the statement that applied and why the invoice matched none.</p>",
            diagram=Diagram((INSTANCE_NODE, IMAGES_NODE), active=1),
            policies=(ROLE_POLICY,),
            shows_sessions=(SESSION,),
        ),
        Step(
            slug="service-principal-only",
            title="Only EC2 may assume this role",
            narrative=f"""
<p>Could a person borrow the web tier's role? Its trust policy trusts
<code>{{"Service": "ec2.amazonaws.com"}}</code> only. Even the administrator, who may do anything in the
account, is refused.</p>""",
            run=user_cannot_assume,
            run_label="Try AssumeRole as the administrator",
            lesson="<p>A role's trust policy is required for AssumeRole: an identity policy allowing "
                   "<code>sts:AssumeRole</code> on <code>*</code> is not enough when the role does not trust you.</p>",
            diagram=Diagram((Node(ADMIN_USER, "IAM user · production", "principal"), Node("AWS STS", "", "sts"),
                             ROLE_NODE), active=1),
            policies=(TRUST,),
        ),
        Step(
            slug="rotation",
            title="Automatic rotation",
            narrative="""
<p>Nobody rotates these credentials by hand. EC2 makes new ones available well before the old ones expire
(AWS: “at least five minutes before the expiration of the old credentials”), and the old ones keep working until
their own expiry, so an application that cached them never breaks.</p>
<p>Move the sandbox clock forward an hour and ask IMDS again.</p>""",
            run=rotate,
            run_label="Fast-forward 61 minutes and ask again",
            lesson="<p>A new generation with new keys; the previous one still works. The table lists every "
                   "generation this instance has received.</p>",
            diagram=Diagram((INSTANCE_NODE, IMDS_NODE, ROLE_NODE), active=1),
            shows_sessions=(SESSION,),
            what_ifs=(WhatIf("seven-hours", "Fast-forward 7 hours",
                             "<p>The first generation has expired: using it now gives <code>ExpiredToken</code>. "
                             "The instance simply asks IMDS again and gets current credentials.</p>", rotate_far),),
        ),
        Step(
            slug="detach-profile",
            title="Detach the instance profile",
            narrative="""
<p>What if the instance no longer needs the role? Detaching the profile
(<code>DisassociateIamInstanceProfile</code>) stops new credentials at once. Credentials already handed out are
not revoked: they work until they expire.</p>""",
            run=detach,
            run_label="Detach and ask IMDS",
            lesson="<p>IMDS answers 404 for the role; the last credentials still work until their expiry. To cut "
                   "them off early, an administrator revokes the role's active sessions.</p>",
            diagram=Diagram((INSTANCE_NODE, IMDS_NODE), active=1),
            shows_sessions=(SESSION,),
        ),
        defend_step(4, (("production", "AssumeRole"),),
                    looks_for="""
<ul><li>Instance credentials come from an <code>AssumeRole</code> by <code>AWSService</code>
<code>ec2.amazonaws.com</code>; the session name is the instance id.</li><li>The same credentials used from
elsewhere is GuardDuty's <em>InstanceCredentialExfiltration</em>.</li></ul>"""),
    ),
)
