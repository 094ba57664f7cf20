"""The checkers: each decides a challenge ONLY from the sandbox's state, by real calls.

- Builder challenges: probe identities make signed requests through the gateway (assume the role with and without
  each guard, read with a session) and the answers must be what a correct configuration gives.
- Attacker challenges: the lab's record of the sessions it issued in this sandbox (lab.sessions: role, creator,
  chaining) and the instances that run: the attack must really have happened.
- Defender challenges: the learner reports a value; it is compared with ground truth read from the sandbox (whose
  key it is, which policy denies the action), never with a string in this file alone.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Callable

from django.conf import settings

from sandboxes import credentials, imdsmount, services
from sandboxes.labclient import lab, learner_client
from sandboxes.models import Sandbox

from . import kept
from .catalog import (AUDIT_EXTERNAL_ID, GITHUB_ROLE, INVOICE_KEY, INVOICES, PRODUCT_IMAGES, REFUSED_ACTION,
                      REFUSED_USER, SECRET_READER, Challenge)
from .seeding import LEAKED_SESSION, admin, client_for, key_of


@dataclass
class Finding:
    ok: bool
    text: str


@dataclass
class CheckResult:
    passed: bool
    findings: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "findings": [asdict(f) for f in self.findings]}


@dataclass
class CheckContext:
    sandbox: Sandbox
    challenge: Challenge
    answers: dict[str, str]

    @property
    def accounts(self) -> dict[str, str]:
        return self.sandbox.account_ids()

    def role_arn(self, name: str, account: str = "production") -> str:
        return f"arn:aws:iam::{self.accounts[account]}:role/{name}"

    def user_arn(self, name: str, account: str) -> str:
        return f"arn:aws:iam::{self.accounts[account]}:user/{name}"


def attempt(call: Callable[..., Any], **params: Any) -> tuple[bool, str]:
    """(allowed, error code or '') for one real call; a refusal the engine decided also says which layer decided it
    and by which statement (the typed decision's waterfall, engine.policy Decision.layers)."""
    try:
        call(**params)
    except Exception as error:  # botocore ClientError: the AWS error code the gateway answered
        response = getattr(error, "response", None) or {}
        code = response.get("Error", {}).get("Code", type(error).__name__)
        request_id = response.get("ResponseMetadata", {}).get("RequestId")
        decision = lab().decision(request_id) if request_id else None
        return False, code + (_decided_by(decision.to_dict()) if decision is not None else "")
    return True, ""


def _decided_by(decision: dict[str, Any]) -> str:
    for layer in decision.get("layers", []):
        if layer.get("decided") and not decision.get("allowed"):
            refs = layer.get("deciding") or []
            statement = (f", statement {refs[0].get('sid') or '#' + str(refs[0].get('index'))} of "
                         f"{refs[0].get('policy')}" if refs else "")
            return f"; decided by the {layer['title'][0].lower()}{layer['title'][1:]}{statement}"
    return ""


def expect(findings: list[Finding], allowed: bool, wanted: bool, text: str, code: str = "") -> None:
    got = "allowed" if allowed else f"refused ({code})"
    findings.append(Finding(allowed == wanted, f"{text}: {got}, {'as it should be' if allowed == wanted else 'but it should be ' + ('allowed' if wanted else 'refused')}"))


# ------------------------------------------------------------------------------------------------ builders
def _probe_user(ctx: CheckContext, account: str, policy: dict, *, mfa: bool) -> dict[str, str]:
    """A throw-away IAM user for the checker (created as the operator, removed by _drop_probe)."""
    account_id = ctx.accounts[account]
    iam = admin("iam", account_id)
    name = "challenge-probe-" + secrets.token_hex(4)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="Probe", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    probe = {"name": name, "account_id": account_id, "access_key_id": key["AccessKeyId"],
             "secret_access_key": key["SecretAccessKey"]}
    if mfa:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        seed = device["Base32StringSeed"]
        probe["serial"], probe["seed"] = device["SerialNumber"], seed.decode() if isinstance(seed, bytes) else seed
        from engine.mfa import clock, code_for_step, step_of

        step = step_of(clock())
        iam.enable_mfa_device(UserName=name, SerialNumber=probe["serial"],
                              AuthenticationCode1=code_for_step(probe["seed"], step - 1),
                              AuthenticationCode2=code_for_step(probe["seed"], step))
    return probe


def _drop_probe(probe: dict[str, str]) -> None:
    iam = admin("iam", probe["account_id"])
    iam.delete_user_policy(UserName=probe["name"], PolicyName="Probe")
    iam.delete_access_key(UserName=probe["name"], AccessKeyId=probe["access_key_id"])
    if "serial" in probe:
        iam.deactivate_mfa_device(UserName=probe["name"], SerialNumber=probe["serial"])
        iam.delete_virtual_mfa_device(SerialNumber=probe["serial"])
    iam.delete_user(UserName=probe["name"])


def _next_code(probe: dict[str, str]) -> str:
    # one step ahead of the step used to enable the device: accepted (clock drift window), never a replay
    from engine.mfa import clock, code_for_step, step_of

    return code_for_step(probe["seed"], step_of(clock()) + 1)


def check_auditors(ctx: CheckContext) -> list[Finding]:
    role = ctx.role_arn("Challenge-AuditReview")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]}
    findings: list[Finding] = []
    both, mfa_only = (_probe_user(ctx, "auditor", policy, mfa=True) for _ in range(2))
    try:
        sts = learner_client("sts", access_key_id=both["access_key_id"], secret_access_key=both["secret_access_key"])
        ok, code = attempt(sts.assume_role, RoleArn=role, RoleSessionName="check", ExternalId=AUDIT_EXTERNAL_ID,
                           SerialNumber=both["serial"], TokenCode=_next_code(both))
        expect(findings, ok, True, "an auditor with the ExternalId and an MFA code", code)
        ok, code = attempt(sts.assume_role, RoleArn=role, RoleSessionName="check", ExternalId=AUDIT_EXTERNAL_ID)
        expect(findings, ok, False, "an auditor with the ExternalId but without MFA", code)
        sts2 = learner_client("sts", access_key_id=mfa_only["access_key_id"],
                              secret_access_key=mfa_only["secret_access_key"])
        ok, code = attempt(sts2.assume_role, RoleArn=role, RoleSessionName="check", SerialNumber=mfa_only["serial"],
                           TokenCode=_next_code(mfa_only))
        expect(findings, ok, False, "an auditor with MFA but without the ExternalId", code)
    finally:
        _drop_probe(both)
        _drop_probe(mfa_only)
    return findings


def _unsigned_sts() -> Any:
    from gateway import routing
    from gateway.client import unsigned_client

    # sharded (LAB_GATEWAY_URLS): the gateway of the sandbox this request is routed to (sandboxes/shards.py)
    return unsigned_client("sts", region=settings.LAB_REGION, endpoint=routing.chosen() or settings.LAB_GATEWAY_URL
                           or None)


def check_github(ctx: CheckContext) -> list[Finding]:
    from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, github_actions_claims
    from federation.services import GITHUB_REPOSITORY, github_oidc

    now = services.sandbox_now(ctx.sandbox)
    findings: list[Finding] = []
    sts = _unsigned_sts()
    for repository, ref, wanted, text in [
        (GITHUB_REPOSITORY, "refs/heads/main", True, f"a workflow on main of {GITHUB_REPOSITORY}"),
        (GITHUB_REPOSITORY, "refs/heads/feature-x", False, f"a workflow on branch feature-x of {GITHUB_REPOSITORY}"),
        ("someone-else/storefront", "refs/heads/main", False, "a workflow on main of someone-else/storefront"),
    ]:
        sub, claims = github_actions_claims(repository, ref=ref)
        token = github_oidc(ctx.sandbox.id).issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=now, lifetime_seconds=300,
                                          extra_claims=claims)
        ok, code = attempt(sts.assume_role_with_web_identity, RoleArn=ctx.role_arn(GITHUB_ROLE),
                           RoleSessionName="check", WebIdentityToken=token)
        expect(findings, ok, wanted, text, code)
    return findings


def check_session_policy(ctx: CheckContext) -> list[Finding]:
    candidates = kept.sessions_of_role(ctx.sandbox, ctx.role_arn("Challenge-DataSupport"))
    if not candidates:
        return [Finding(False, "no live session of Challenge-DataSupport was obtained in the console yet")]
    best: list[Finding] = []
    for creds in candidates:
        s3 = learner_client("s3", **creds.as_client_kwargs())
        findings: list[Finding] = []
        ok, code = attempt(s3.get_object, Bucket=INVOICES, Key=INVOICE_KEY)
        expect(findings, ok, True, f"session {creds.access_key_id} reads {INVOICE_KEY}", code)
        ok, code = attempt(s3.list_objects_v2, Bucket=INVOICES)
        expect(findings, ok, False, f"session {creds.access_key_id} lists {INVOICES}", code)
        ok, code = attempt(s3.get_object, Bucket=PRODUCT_IMAGES, Key="images/hero-banner.jpg")
        expect(findings, ok, False, f"session {creds.access_key_id} reads a product image", code)
        if all(f.ok for f in findings):
            return findings
        best = best if sum(f.ok for f in best) >= sum(f.ok for f in findings) else findings
    return best


def check_source_identity(ctx: CheckContext) -> list[Finding]:
    sts = client_for("sts", key_of(ctx.sandbox, "dev-alex"))
    role = ctx.role_arn("Challenge-Deployer")
    findings: list[Finding] = []
    ok, code = attempt(sts.assume_role, RoleArn=role, RoleSessionName="check", SourceIdentity="dev-alex")
    expect(findings, ok, True, "dev-alex with SourceIdentity dev-alex", code)
    ok, code = attempt(sts.assume_role, RoleArn=role, RoleSessionName="check")
    expect(findings, ok, False, "dev-alex without a SourceIdentity", code)
    ok, code = attempt(sts.assume_role, RoleArn=role, RoleSessionName="check", SourceIdentity="someone-else")
    expect(findings, ok, False, "dev-alex claiming SourceIdentity someone-else", code)
    return findings


def check_revocation(ctx: CheckContext) -> list[Finding]:
    leaked = credentials.get(ctx.sandbox.id, LEAKED_SESSION)
    if leaked is None:
        return [Finding(False, "the leaked session is gone (the sandbox restarted?): reset this challenge")]
    findings: list[Finding] = []
    image = {"Bucket": PRODUCT_IMAGES, "Key": "images/hero-banner.jpg"}
    ok, code = attempt(learner_client("s3", **leaked.as_client_kwargs()).get_object, **image)
    expect(findings, ok, False, "the leaked session reads a product image", code)
    fresh = client_for("sts", key_of(ctx.sandbox, "analytics-dev")).assume_role(
        RoleArn=ctx.role_arn("Challenge-Analytics"), RoleSessionName="check")["Credentials"]
    s3 = learner_client("s3", access_key_id=fresh["AccessKeyId"], secret_access_key=fresh["SecretAccessKey"],
                        session_token=fresh["SessionToken"])
    ok, code = attempt(s3.get_object, **image)
    expect(findings, ok, True, "a session assumed now reads a product image", code)
    return findings


def check_boundary(ctx: CheckContext) -> list[Finding]:
    junior = key_of(ctx.sandbox, "junior-dev")
    admin_key = key_of(ctx.sandbox, "lab-admin", "production")
    findings: list[Finding] = []
    boundary = (client_for("iam", admin_key).get_user(UserName="junior-dev")["User"].get("PermissionsBoundary") or {}
                ).get("PermissionsBoundaryArn")
    findings.append(Finding(bool(boundary), f"junior-dev has a permissions boundary: {boundary or 'none'}"))
    ok, code = attempt(client_for("s3", junior).get_object, Bucket=PRODUCT_IMAGES, Key="images/hero-banner.jpg")
    expect(findings, ok, True, "junior-dev reads a product image", code)
    iam = client_for("iam", junior)
    everything = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                                      "Resource": "*"}]})
    wrote, _ = attempt(iam.put_user_policy, UserName="junior-dev", PolicyName="ChallengeCheckerEscalation",
                       PolicyDocument=everything)
    try:
        ok, code = attempt(client_for("secretsmanager", junior).get_secret_value, SecretId="DBPassword")
        expect(findings, ok, False, "junior-dev, after trying to grant himself everything, reads DBPassword", code)
        ok, code = attempt(iam.delete_user_permissions_boundary, UserName="junior-dev")
        expect(findings, ok, False, "junior-dev removes his own boundary", code)
        if ok and boundary:  # the probe took the learner's boundary off: put it back as it was
            client_for("iam", admin_key).put_user_permissions_boundary(UserName="junior-dev", PermissionsBoundary=boundary)
    finally:
        if wrote:
            admin("iam", ctx.accounts["production"]).delete_user_policy(UserName="junior-dev",
                                                                          PolicyName="ChallengeCheckerEscalation")
    return findings


# ------------------------------------------------------------------------------------------------ attackers
def _issued(ctx: CheckContext, role_name: str) -> list[dict[str, Any]]:
    role = ctx.role_arn(role_name)
    return [s for s in lab().sessions(ctx.sandbox.id) if s.get("role_arn") == role]


def _session_by(ctx: CheckContext, role_name: str, creator: str, creator_text: str) -> list[Finding]:
    sessions = _issued(ctx, role_name)
    matching = [s for s in sessions if (s.get("created_by") or "").startswith(creator)]
    if matching:
        return [Finding(True, f"the lab issued {role_name} session {matching[0]['arn']} to {creator_text}")]
    others = f" ({len(sessions)} issued to someone else)" if sessions else ""
    return [Finding(False, f"no live session of {role_name} was issued to {creator_text}{others}")]


def check_wildcard(ctx: CheckContext) -> list[Finding]:
    return _session_by(ctx, "Challenge-LegacyReporting", ctx.user_arn("vendor-contractor", "auditor"),
                       "vendor-contractor")


def check_update_trust(ctx: CheckContext) -> list[Finding]:
    return _session_by(ctx, "Challenge-BreakGlass", ctx.user_arn("ci-deployer", "production"), "ci-deployer")


def check_confused_deputy(ctx: CheckContext) -> list[Finding]:
    return _session_by(ctx, "Challenge-VendorSync", ctx.user_arn("reportco-service", "auditor"), "reportco-service")


def check_chain(ctx: CheckContext) -> list[Finding]:
    creator = f"arn:aws:sts::{ctx.accounts['production']}:assumed-role/Challenge-Support/"
    findings = _session_by(ctx, "Challenge-DataExport", creator, "a Challenge-Support session")
    if findings[0].ok:
        chained = [s for s in _issued(ctx, "Challenge-DataExport") if s.get("chained")]
        findings.append(Finding(bool(chained), "the session is chained (capped at one hour)"))
    return findings


def check_passrole(ctx: CheckContext) -> list[Finding]:
    instances = [i for i in imdsmount.sandbox_instances(ctx.sandbox)
                 if i["instance_profile"] == "Challenge-InstanceAdmin"]
    findings = [Finding(bool(instances), "an instance runs with the Challenge-InstanceAdmin instance profile"
                        + (f" ({instances[0]['instance_id']})" if instances else ""))]
    served = [s for s in _issued(ctx, "Challenge-InstanceAdmin") if s.get("origin") == "ServiceRole"]
    findings.append(Finding(bool(served), "its metadata service handed out the role's credentials"
                            if served else "nobody has fetched the role's credentials from the metadata service yet"))
    return findings


# ------------------------------------------------------------------------------------------------ defenders
def check_secret_reader(ctx: CheckContext) -> list[Finding]:
    iam = admin("iam", ctx.accounts["production"])
    truth = {k["AccessKeyId"] for k in iam.list_access_keys(UserName=SECRET_READER)["AccessKeyMetadata"]}
    key_id = ctx.answers.get("access_key_id", "").strip()
    user = ctx.answers.get("user_name", "").strip()
    return [Finding(key_id in truth, "the access key id is the one that read DBPassword" if key_id in truth
                    else f"`{key_id or '(empty)'}` is not the key that read DBPassword"),
            Finding(user == SECRET_READER, "the user is the key's owner" if user == SECRET_READER
                    else f"`{user or '(empty)'}` is not the owner of that key")]


def _denying_policies(ctx: CheckContext, user: str, action: str) -> set[str]:
    iam = admin("iam", ctx.accounts["production"])
    found = set()
    for name in iam.list_user_policies(UserName=user)["PolicyNames"]:
        document = iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if statement.get("Effect") == "Deny" and any(a.lower() in (action.lower(), "s3:*", "*") for a in actions):
                found.add(name)
    return found


def check_refused_call(ctx: CheckContext) -> list[Finding]:
    action = ctx.answers.get("action", "").strip()
    policy = ctx.answers.get("policy_name", "").strip()
    # IAM action names are case-insensitive (IAM UG, "IAM JSON policy elements: Action").
    action_ok = action.lower() == REFUSED_ACTION.lower()
    deniers = _denying_policies(ctx, REFUSED_USER, REFUSED_ACTION)
    return [Finding(action_ok, "that is the refused action" if action_ok
                    else f"`{action or '(empty)'}` is not the action that was refused"),
            Finding(policy in deniers, "that policy's Deny refused it" if policy in deniers
                    else f"`{policy or '(empty)'}` is not the policy that refused it")]


CHECKERS: dict[str, Callable[[CheckContext], list[Finding]]] = {
    "auditors-externalid-and-mfa": check_auditors, "github-oidc-main-branch": check_github,
    "session-policy-one-task": check_session_policy, "require-source-identity": check_source_identity,
    "revoke-leaked-sessions": check_revocation, "boundary-stops-escalation": check_boundary,
    "wildcard-trust": check_wildcard, "update-assume-role-policy": check_update_trust,
    "passrole-runinstances": check_passrole, "chain-to-root-trust": check_chain,
    "confused-deputy": check_confused_deputy, "who-read-the-secret": check_secret_reader,
    "find-the-refused-call": check_refused_call,
}


def check(sandbox: Sandbox, challenge: Challenge, answers: dict[str, str] | None = None) -> CheckResult:
    services.ensure_ready(sandbox)
    findings = CHECKERS[challenge.slug](CheckContext(sandbox, challenge, answers or {}))
    return CheckResult(bool(findings) and all(f.ok for f in findings), findings)
