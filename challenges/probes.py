"""The probe engine every challenge shares: real, signed calls against the learner's sandbox, each answered with
what happened and why.

A probe names who acts (challenges/schema.py `Who`), an operation of the allow-list (challenges/operations.py) and
its parameters. The call goes through the gateway as any learner's call does; the verdict is the engine's own
Decision for that request (allowed or refused, and the statement and condition that decided), so a verdict says
*why*, the way a scenario page does.

Everything runs on the sandbox's own clock: MFA codes come from the sandbox's MFA clock (Lab.mfa_clock), tokens
are issued at the sandbox's time. Probe calls are marked as the lab's checker in CloudTrail (userAgent
CHECKER_USER_AGENT, role session names lab-checker-*) and their request ids are remembered (CheckerCall), so the
Detections and defender exercises leave them out; a learner who copies the userAgent hides nothing.

Writes are undone once the check is over, as the operator, so a probe never leaves a change behind.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any, Callable

from django.conf import settings

from sandboxes import credentials, services
from sandboxes.labclient import lab, learner_client, new_recorder
from sandboxes.models import Sandbox
from sandboxes.steps import decision_of

from . import kept, schema
from .models import ChallengeKey
from .operations import OPERATIONS
from .schema import ChallengeSpec, Who

CHECKER_USER_AGENT = "securecart-lab-checker/1.0 (the lab's challenge checker)"
CHECKER_SESSION = "lab-checker"
PROBE_USER_PREFIX = "lab-checker-"
# Error codes that mean "refused": not authorised, or credentials the service no longer accepts.
REFUSAL_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId",
                 "ExpiredToken", "ExpiredTokenException", "InvalidIdentityToken", "IDPRejectedClaim",
                 "SignatureDoesNotMatch", "MultiFactorAuthentication"}


class ProbeProblem(Exception):
    """The probe could not be made (its identity is missing, a guard held): the reason, for the verdict."""


def operator(service: str, account_id: str, sandbox_id: str | None = None) -> Any:
    """A client straight to moto for the checker's own bookkeeping (probe users, undo), never a learner's call."""
    from sandboxes.operator import OPERATOR

    return OPERATOR.seeding_client(service, account_id, sandbox_id=sandbox_id)


def placeholder_values(sandbox: Sandbox, spec: ChallengeSpec) -> dict[str, str]:
    """What {production}, {now}, {doc:NAME} ... stand for in this sandbox."""
    from federation.services import GITHUB_REPOSITORY
    from sandboxes.world import AUDIT_EXTERNAL_ID

    values = dict(sandbox.account_ids())
    # aws:TokenIssueTime has whole seconds (a session issued at 12:00:00.7 is "12:00:00"), so "now" is the next whole
    # second: a session issued in this second (a leak just after a reset) is before it, not at it
    now = services.sandbox_now(sandbox).astimezone(timezone.utc)
    values.update(region=settings.LAB_REGION, external_id=AUDIT_EXTERNAL_ID, github_repository=GITHUB_REPOSITORY,
                  now=(now.replace(microsecond=0) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for name, document in spec.documents.items():
        values[f"doc:{name}"] = schema.compact(schema.fill(document, values))
    return values


def document(spec: ChallengeSpec, value: Any, values: dict[str, str]) -> dict[str, Any]:
    """A policy of the file (inline, or doc:NAME) with the sandbox's values."""
    if isinstance(value, str):
        value = spec.documents[value[4:]]
    return schema.fill(value, values)


# ------------------------------------------------------------------------------------------------ outcomes
@dataclass
class Creds:
    """Who a call is made as: keys (or a web identity token), the account, and the MFA device of a probe user."""
    label: str
    account: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    session_token: str | None = None
    web_identity_token: str = ""
    mfa_serial: str = ""
    mfa_seed: str = ""
    arn: str = ""


@dataclass
class Outcome:
    allowed: bool | None                 # None: it failed for another reason than authorization
    code: str = ""
    message: str = ""
    decision: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    request_id: str = ""

    @property
    def verdict(self) -> str:
        if self.allowed is None:
            return f"could not run ({self.code}: {self.message})"
        if self.allowed:
            return "allowed" if not self.code else f"allowed (the call was authorised; AWS then answered {self.code})"
        return f"refused ({self.code})" if self.code else "refused"

    @property
    def why(self) -> str:
        if self.decision is not None:
            return explain(self.decision)
        return self.message if self.allowed is False else ""


def _label(statement: dict[str, Any]) -> str:
    return f"`{statement.get('sid')}`" if statement.get("sid") else f"#{statement.get('index', 0) + 1}"


def _policy_words(policy: dict[str, Any]) -> str:
    if policy.get("source") == "trust":
        return f"the trust policy `{policy.get('name', '').replace(' trust policy', '')}`"
    kinds = {"boundary": "permissions boundary", "session": "session policy", "resource": "resource policy"}
    return f"{kinds.get(policy.get('role', ''), 'policy')} `{policy.get('name')}`"


def _conditions(statement: dict[str, Any], outcome: bool) -> list[str]:
    return [f"{c['operator']} on `{c['key']}`: {c['reason']}" for c in statement.get("conditions", [])
            if bool(c.get("outcome")) == outcome]


def _decided_by(decision: dict[str, Any]) -> str:
    """Which layer of the decision refused (identity, resource, boundary, session, SCP, RCP...) and by which
    statement: the typed decision's waterfall (engine.policy Decision.layers)."""
    for layer in decision.get("layers", []):
        if layer.get("decided"):
            refs = layer.get("deciding") or []
            statement = (f", statement {refs[0].get('sid') or '#' + str(refs[0].get('index'))} of "
                         f"{refs[0].get('policy')}" if refs else "")
            return f"decided by the {layer['title'][0].lower()}{layer['title'][1:]}{statement}"
    return ""


def explain(decision: dict[str, Any]) -> str:
    """The engine's reason in a sentence: the statement that decided and its conditions (as a scenario page shows)."""
    policies = decision.get("policies", [])
    if decision.get("allowed"):
        # the resource side (a trust or bucket policy) when it allowed: that is what a challenge is about; the probe
        # identity's own policy allowing the call is no news
        # (an organization's SCPs and RCPs only cap: their FullAWSAccess allowing it is no news either)
        allowing = [(p, st) for p in policies if p.get("role") not in ("scp", "rcp") for st in p.get("statements", [])
                    if st.get("applies") and st.get("effect") == "Allow"]
        resource = [(p, st) for p, st in allowing if p.get("role") == "resource"]
        parts = [f"statement {_label(st)} of {_policy_words(p)} allows it"
                 + (f" ({'; '.join(_conditions(st, True))})" if _conditions(st, True) else " (no condition)")
                 for p, st in (resource or allowing)]
        return "; ".join(parts[:2]) or decision.get("reason", "")
    parts = [decision.get("reason", ""), _decided_by(decision)]
    for policy, statement in allowing_but_for_conditions(decision):
        failed = _conditions(statement, False)
        if failed:
            parts.append(f"statement {_label(statement)} of {_policy_words(policy)} would allow it, but "
                         + "; ".join(failed))
    return "; ".join(p for p in parts if p)


def allowing_but_for_conditions(decision: dict[str, Any] | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(policy, statement) for each Allow statement that matched the request's principal, action and resource and
    did not apply: its conditions stopped it."""
    return [(policy, statement) for policy in (decision or {}).get("policies", [])
            for statement in policy.get("statements", [])
            if statement.get("effect") == "Allow" and not statement.get("applies")
            and all((statement.get(part) or {}).get("matched", True) for part in ("principal", "action", "resource"))]


# ------------------------------------------------------------------------------------------------ a run
class Run:
    """One check (or one seeding) of one challenge: its identities, its calls, and the undo list."""

    def __init__(self, sandbox: Sandbox, spec: ChallengeSpec, *, marked: bool = True) -> None:
        self.sandbox, self.spec, self.marked = sandbox, spec, marked
        self.accounts = sandbox.account_ids()
        self.values = placeholder_values(sandbox, spec)
        self.recorder = new_recorder()
        self.recorder.limit = 10_000
        self.undo: list[Callable[[], None]] = []
        self.probe_users: list[dict[str, str]] = []
        self.kept_session: credentials.SessionCredentials | None = None
        self._count = 0

    # ---- identities
    def creds(self, who: Who, spec: ChallengeSpec | None = None) -> Creds:
        spec = spec or self.spec
        if who.user:
            account, name = who.user
            key = key_of(self.sandbox, name, account)
            if key is None:
                raise ProbeProblem(f"{name} has no access key the lab knows (reset the challenge)")
            return Creds(name, self.accounts[account], key.access_key_id, key.secret_access_key,
                         arn=f"arn:aws:iam::{self.accounts[account]}:user/{name}")
        if who.probe_user:
            return self.probe_user(who.probe_user, spec)
        if who.session:
            return self.session(who.session, spec)
        if who.kept_session:
            if self.kept_session is None:
                raise ProbeProblem(f"no live session of {who.kept_session[1]} was obtained in the console yet")
            c = self.kept_session
            return Creds(c.label, c.arn.split(":")[4], c.access_key_id, c.secret_access_key, c.session_token,
                         arn=c.arn)
        if who.seeded_session:
            found = credentials.get(self.sandbox.id, seeded_session_name(spec.slug, who.seeded_session))
            if found is None:
                raise ProbeProblem(f"the {who.seeded_session} session is gone (the lab restarted?): reset the "
                                   "challenge")
            return Creds(found.label, found.arn.split(":")[4], found.access_key_id, found.secret_access_key,
                         found.session_token, arn=found.arn)
        return self.web_identity(who.web_identity)

    def probe_user(self, spec: schema.ProbeUser, challenge: ChallengeSpec) -> Creds:
        """A throw-away IAM user, created as the operator and removed when the run closes."""
        account_id = self.accounts[spec.account]
        iam = operator("iam", account_id)
        name = PROBE_USER_PREFIX + secrets.token_hex(4)
        iam.create_user(UserName=name)
        probe = {"name": name, "account_id": account_id}
        self.probe_users.append(probe)
        iam.put_user_policy(UserName=name, PolicyName="Probe",
                            PolicyDocument=json.dumps(document(challenge, spec.policy, self.values)))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        probe["access_key_id"] = key["AccessKeyId"]
        creds = Creds(f"probe user {name}", account_id, key["AccessKeyId"], key["SecretAccessKey"],
                      arn=f"arn:aws:iam::{account_id}:user/{name}")
        if spec.mfa:
            from engine.mfa import code_for_step, step_of

            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
            seed = device["Base32StringSeed"]
            creds.mfa_serial, creds.mfa_seed = device["SerialNumber"], seed.decode() if isinstance(seed, bytes) else seed
            probe["serial"] = creds.mfa_serial
            # the sandbox's phones go by its clock (Lab.mfa_clock: real time moved by the learner's fast-forwards)
            step = step_of(lab().mfa_clock(self.sandbox.id))
            iam.enable_mfa_device(UserName=name, SerialNumber=creds.mfa_serial,
                                  AuthenticationCode1=code_for_step(creds.mfa_seed, step - 1),
                                  AuthenticationCode2=code_for_step(creds.mfa_seed, step))
        return creds

    def mfa_code(self, creds: Creds) -> str:
        # one step ahead of the step used to enable the device: accepted (clock drift window), never a replay
        from engine.mfa import code_for_step, step_of

        return code_for_step(creds.mfa_seed, step_of(lab().mfa_clock(self.sandbox.id)) + 1)

    def session(self, spec: schema.SessionOf, challenge: ChallengeSpec) -> Creds:
        by = self.creds(spec.by, challenge)
        account, name = spec.role
        params = {"RoleArn": f"arn:aws:iam::{self.accounts[account]}:role/{name}", **spec.params}
        outcome = self.call(by, "sts.AssumeRole", params, challenge)
        if not outcome.allowed or not outcome.response:
            raise ProbeProblem(f"{by.label} could not assume {name}: {outcome.verdict}"
                               + (f" ({outcome.why})" if outcome.why else ""))
        c = outcome.response["Credentials"]
        return Creds(f"a session of {name}", self.accounts[account], c["AccessKeyId"], c["SecretAccessKey"],
                     c["SessionToken"], arn=outcome.response["AssumedRoleUser"]["Arn"])

    def web_identity(self, spec: schema.WebIdentity) -> Creds:
        from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, github_actions_claims
        from federation.services import github_oidc

        sub, claims = github_actions_claims(spec.repository, ref=spec.ref, event_name=spec.event)
        if spec.event == "pull_request":   # GitHub's sub for pull requests names no ref ("About security hardening
            sub = f"repo:{spec.repository}:pull_request"   # with OpenID Connect", example subject claims)
        token = github_oidc(self.sandbox.id).issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE,
                                                         now=services.sandbox_now(self.sandbox), lifetime_seconds=300,
                                                         extra_claims=claims)
        return Creds(f"a workflow of {spec.repository} ({spec.ref})", web_identity_token=token)

    # ---- calls
    def _client(self, service: str, creds: Creds) -> Any:
        if creds.web_identity_token:
            from gateway import routing
            from gateway.client import unsigned_client

            # sharded (LAB_GATEWAY_URLS): the gateway of the sandbox this request is routed to
            client = unsigned_client(service, recorder=self.recorder, region=settings.LAB_REGION,
                                     endpoint=routing.chosen() or settings.LAB_GATEWAY_URL or None)
        else:
            client = learner_client(service, access_key_id=creds.access_key_id,
                                    secret_access_key=creds.secret_access_key, session_token=creds.session_token,
                                    recorder=self.recorder)
        if self.marked:
            def mark(request: Any, **_: Any) -> None:
                request.headers["User-Agent"] = CHECKER_USER_AGENT   # not signed (SigV4 leaves User-Agent out)
            client.meta.events.register("before-sign", mark)
        return client

    def call(self, creds: Creds, operation: str, params: dict[str, Any], spec: ChallengeSpec | None = None
             ) -> Outcome:
        spec = spec or self.spec
        op = OPERATIONS[operation]
        values = dict(self.values) if spec is self.spec else placeholder_values(self.sandbox, spec)
        if creds.mfa_serial:
            values.update(mfa_serial=creds.mfa_serial, mfa_code=self.mfa_code(creds))
        params = schema.fill(params, values)
        for name in ("PolicyDocument", "Policy"):   # a policy parameter may be written as doc:NAME or a mapping
            value = params.get(name)
            if isinstance(value, dict) or (isinstance(value, str) and value.startswith("doc:")):
                params[name] = json.dumps(document(spec, value, values))
        if operation.startswith("sts.AssumeRole") and "RoleSessionName" not in params:
            self._count += 1
            params["RoleSessionName"] = f"{CHECKER_SESSION}-{self._count}" if self.marked else f"session-{self._count}"
        if operation == "sts.AssumeRoleWithWebIdentity":
            params["WebIdentityToken"] = creds.web_identity_token
        if op.guard:
            self.guard(op.guard, creds, params)
        before = self.snapshot(op.undo, creds, operation, params) if op.undo else None
        client = self._client(op.service, creds)
        start = len(self.recorder.exchanges)
        outcome = Outcome(None)
        try:
            response = getattr(client, op.method)(**params)
            outcome = Outcome(True, response=_plain(response))
        except Exception as error:  # botocore ClientError: the AWS error the gateway answered
            err = (getattr(error, "response", None) or {}).get("Error", {})
            outcome = Outcome(None, err.get("Code") or type(error).__name__, err.get("Message") or str(error))
        exchanges = self.recorder.exchanges[start:]
        if exchanges:
            outcome.request_id = exchanges[-1].request_id or ""
            outcome.decision = decision_of(outcome.request_id, exchanges)
        if outcome.allowed is None:
            if outcome.code in REFUSAL_CODES or (outcome.decision is not None and not outcome.decision["allowed"]):
                outcome.allowed = False
            elif outcome.decision is not None:
                outcome.allowed = True   # authorised, then the service said no (NoSuchKey, LimitExceeded ...)
        if outcome.allowed and not outcome.code and op.undo:
            self.undo.append(self.undoer(op.undo, creds, operation, params, before, outcome.response or {}))
        return outcome

    # ---- safety: guards, snapshots, undo
    def guard(self, kind: str, creds: Creds, params: dict[str, Any]) -> None:
        if kind == "object-absent":
            s3 = operator("s3", self.accounts["production"], self.sandbox.id)
            try:
                s3.head_object(Bucket=params["Bucket"], Key=params["Key"])
            except Exception:  # noqa: BLE001 - absent (404): nothing to lose
                return
            raise ProbeProblem(f"`{params['Key']}` exists in {params['Bucket']}: the checker never risks a real "
                               "object")

    def snapshot(self, kind: str, creds: Creds, operation: str, params: dict[str, Any]) -> Any:
        iam = operator("iam", creds.account) if creds.account else None
        entity = operation.split(".")[1]
        if kind == "restore-inline":
            owner, param = _owner(entity)
            try:
                return getattr(iam, f"get_{owner}_policy")(**{param: params[param],
                                                              "PolicyName": params["PolicyName"]})["PolicyDocument"]
            except Exception:  # noqa: BLE001 - no such policy yet
                return None
        if kind == "detach":
            owner, param = _owner(entity)
            attached = getattr(iam, f"list_attached_{owner}_policies")(**{param: params[param]})["AttachedPolicies"]
            return any(a["PolicyArn"] == params.get("PolicyArn") for a in attached)
        if kind in ("delete-version", "restore-default"):
            try:
                return iam.get_policy(PolicyArn=params["PolicyArn"])["Policy"]["DefaultVersionId"]
            except Exception:  # noqa: BLE001
                return None
        if kind == "delete-login-profile":
            try:
                iam.get_login_profile(UserName=params["UserName"])
                return True
            except Exception:  # noqa: BLE001
                return False
        if kind == "remove-from-group":
            groups = iam.list_groups_for_user(UserName=params["UserName"])["Groups"]
            return any(g["GroupName"] == params["GroupName"] for g in groups)
        if kind == "restore-trust":
            return iam.get_role(RoleName=params["RoleName"])["Role"]["AssumeRolePolicyDocument"]
        if kind == "restore-boundary":
            return user_boundary(self.sandbox, creds.account, params.get("UserName") or creds.arn.rsplit("/", 1)[-1])
        return None

    def undoer(self, kind: str, creds: Creds, operation: str, params: dict[str, Any], before: Any,
               response: dict[str, Any]) -> Callable[[], None]:
        iam = operator("iam", creds.account) if creds.account else None
        entity = operation.split(".")[1]

        def undo() -> None:
            if kind == "restore-inline":
                owner, param = _owner(entity)
                target = {param: params[param], "PolicyName": params["PolicyName"]}
                if before is None:
                    getattr(iam, f"delete_{owner}_policy")(**target)
                else:
                    getattr(iam, f"put_{owner}_policy")(**target, PolicyDocument=_json(before))
            elif kind == "detach" and not before:
                owner, param = _owner(entity)
                getattr(iam, f"detach_{owner}_policy")(**{param: params[param], "PolicyArn": params["PolicyArn"]})
            elif kind == "delete-version":
                made = response.get("PolicyVersion", {}).get("VersionId")
                if before and params.get("SetAsDefault"):
                    iam.set_default_policy_version(PolicyArn=params["PolicyArn"], VersionId=before)
                if made:
                    iam.delete_policy_version(PolicyArn=params["PolicyArn"], VersionId=made)
            elif kind == "restore-default" and before:
                iam.set_default_policy_version(PolicyArn=params["PolicyArn"], VersionId=before)
            elif kind == "delete-key":
                made = response.get("AccessKey", {})
                iam.delete_access_key(UserName=made.get("UserName"), AccessKeyId=made.get("AccessKeyId"))
            elif kind == "delete-login-profile" and not before:
                iam.delete_login_profile(UserName=params["UserName"])
            elif kind == "remove-from-group" and not before:
                iam.remove_user_from_group(GroupName=params["GroupName"], UserName=params["UserName"])
            elif kind == "restore-trust":
                iam.update_assume_role_policy(RoleName=params["RoleName"], PolicyDocument=_json(before))
            elif kind == "restore-boundary" and before:
                lab().set_user_boundary(creds.account, params.get("UserName") or creds.arn.rsplit("/", 1)[-1], before)
            elif kind == "delete-object":
                operator("s3", self.accounts["production"], self.sandbox.id).delete_object(
                    Bucket=params["Bucket"], Key=params["Key"])
        return undo

    def close(self) -> None:
        """Undo every write (newest first) and remove the probe users, whatever happened before."""
        while self.undo:
            try:
                self.undo.pop()()
            except Exception:  # noqa: BLE001 - the next undo must still run
                import logging

                logging.getLogger(__name__).exception("a checker undo failed")
        for probe in self.probe_users:
            drop_probe_user(probe)
        self.probe_users.clear()

    def request_ids(self) -> list[str]:
        return [x.request_id for x in self.recorder.exchanges if x.request_id]


def _owner(entity: str) -> tuple[str, str]:
    """PutUserPolicy / AttachRolePolicy ... -> ("user", "UserName")."""
    for owner in ("User", "Role", "Group"):
        if owner in entity:
            return owner.lower(), f"{owner}Name"
    raise ValueError(entity)


def _json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _plain(response: dict[str, Any]) -> dict[str, Any]:
    """A response without its streams (GetObject's Body is read, so the connection is not left open)."""
    body = response.get("Body")
    if body is not None and hasattr(body, "read"):
        response = {**response, "Body": body.read(64 * 1024)}
    return response


def drop_probe_user(probe: dict[str, str]) -> None:
    iam = operator("iam", probe["account_id"])
    try:
        if probe.get("serial"):
            iam.deactivate_mfa_device(UserName=probe["name"], SerialNumber=probe["serial"])
            iam.delete_virtual_mfa_device(SerialNumber=probe["serial"])
        from sandboxes.world import delete_user

        delete_user(iam, probe["name"])
    except Exception:  # noqa: BLE001 - already gone
        pass


def key_of(sandbox: Sandbox, user_name: str, account_name: str | None = None) -> Any:
    """The long-term key of a challenge user or a world user (lab-admin, ...), or None."""
    from sandboxes.models import AccessKey

    for model in (ChallengeKey, AccessKey):
        found = model.objects.filter(sandbox=sandbox, user_name=user_name)
        if account_name:
            found = found.filter(account_name=account_name)
        key = found.first()
        if key is not None:
            return key
    return None


def user_boundary(sandbox: Sandbox, account_id: str, user_name: str) -> str | None:
    """A user's permissions boundary, as the account's administrator reads it (boundaries live in the engine)."""
    accounts = {v: k for k, v in sandbox.account_ids().items()}
    admin = key_of(sandbox, "lab-admin", accounts.get(account_id))
    if admin is None:
        return None
    iam = learner_client("iam", access_key_id=admin.access_key_id, secret_access_key=admin.secret_access_key)
    try:
        user = iam.get_user(UserName=user_name)["User"]
    except Exception:  # noqa: BLE001
        return None
    return (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def seeded_session_name(slug: str, name: str) -> str:
    return f"challenge:{slug}:{name}"


def kept_candidates(sandbox: Sandbox, role: tuple[str, str]) -> list[credentials.SessionCredentials]:
    """The learner's console sessions of this role that have not expired on the sandbox clock, newest first."""
    account, name = role
    arn = f"arn:aws:iam::{sandbox.account_ids()[account]}:role/{name}"
    now = services.sandbox_now(sandbox)
    return [c for c in kept.sessions_of_role(sandbox, arn) if c.expires_at > now]
