"""Lab: the per-process façade the gateway and the web layer call (see docs/architecture.md, "engine.lab.Lab").

One RLock guards every public method. Lock order: Lab lock, then `engine.directory.moto_lock` (the Directory takes
it for each read). Never call into the Lab while holding `moto_lock` yourself.

State kept here (memory only), all of it wired by the constructor (a plain `Lab()` is complete): the sandbox
registry (sandbox -> accounts, clock), issued sessions, the DecisionLog (recent Decisions and federation validation
reports by request id, one bounded LRU), MFA replay memory, the key that seals encoded authorization messages, the
mock OIDC issuers' JWKS per sandbox, the EC2 instances' credential generations (IMDS), CloudTrail, and the
federation operations (AssumeRoleWithSAML / AssumeRoleWithWebIdentity, engine/sts/federated.py).
The web layer's view of it is engine.ports.LabPort; StsService sees only engine.sts.state.StsState.
"""
from __future__ import annotations

import hmac
import math
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Callable, Iterable

from engine.clock import SandboxClock
from engine.cloudtrail import ApiCall, Trail
from engine.decisions import DECISION_LRU_SIZE, DecisionLog
from engine.fairness import yield_to_other_threads
from engine.directory import AccessKeyInfo, Directory, MfaDeviceInfo
from engine.errors import AccessDenied, ExpiredToken, InvalidClientTokenId
from engine.federation.registry import JwksRegistry
from engine.graph import KeptSession, SandboxPrincipals, build_graph
from engine.guardrails import guardrails
from engine.instances import InstanceRegistry
from engine import mfa as totp
from engine.mfa import MfaProof, MfaVerifier
from engine.sts import ids
from engine.sts.authmsg import AuthorizationMessageCodec, decision_payload
from engine.policy import IMPLICIT_DENY, AuthzRequest, Decision, Principal, authorize
from engine.ports import DecisionView
from engine.sts import federated
from engine.sts.caller import (EXPIRED_MESSAGE, INVALID_KEY_MESSAGE, INVALID_TOKEN_MESSAGE, Caller, RequestMeta,
                               caller_for_key, caller_for_session, principal_context)
from engine.sts.policies import caller_policies, named_or_error
from engine.sts.results import RoleSessionResult, StsResult
from engine.sts.service import RoleSessionRequest, StsService, not_authorized
from engine.sts.sessions import CredentialStore, IssuedSession, SessionSecret
from engine.sts.state import StsState
from engine.sts.validation import validate
from engine.simulator import Simulator, simulate, simulation_key

__all__ = ["Lab", "Caller", "RequestMeta", "IssuedSession", "SandboxInfo", "DECISION_LRU_SIZE",
           "INVALID_KEY_MESSAGE", "INVALID_TOKEN_MESSAGE", "EXPIRED_MESSAGE"]


@dataclass
class SandboxInfo:
    sandbox_id: str
    accounts: dict[str, str]                       # label -> account id
    clock: SandboxClock = field(default_factory=SandboxClock)


class Lab:
    def __init__(self, directory: Directory | None = None) -> None:
        self._lock = threading.RLock()
        self.directory = directory or Directory()
        self.store = CredentialStore()
        self.mfa = MfaVerifier()
        self.authmsg = AuthorizationMessageCodec()
        self._sandboxes: dict[str, SandboxInfo] = {}
        self._account_sandbox: dict[str, str] = {}
        # request id -> the Decisions evaluated for it and a federation call's validation report (bounded LRU)
        self.decision_log = DecisionLog()
        # STS sees only what it needs of this Lab (engine.sts.state), all called with the lock held
        self._sts = StsService(StsState(
            now=self._now_unlocked, sandbox_of_account=self._sandbox_of,
            identity_policies=partial(caller_policies, self.directory), record=self.decision_log.record,
            mfa_clock=self.mfa_clock, directory=self.directory, store=self.store, mfa=self.mfa,
            authmsg=self.authmsg))
        # The mock OIDC issuers' keys, per sandbox (engine.federation.registry: a token minted for one sandbox
        # cannot be verified in another).
        self.jwks_registry = JwksRegistry()
        # Scenario 4: every EC2 instance's credential generations and IMDS tokens (gateway/imds.py serves them)
        self.instances = InstanceRegistry()
        # the last access graph built per sandbox, with what it was built from (access_graph)
        self._graphs: OrderedDict[str, tuple[tuple[SandboxPrincipals, str], dict[str, Any]]] = OrderedDict()
        # CloudTrail: the gateway records every answered call here; web processes drain it into the database
        self.trail = Trail(session_of=self.session)
        # AssumeRoleWithSAML / AssumeRoleWithWebIdentity (engine/sts/federated.py), answered by this Lab's STS
        federated.install(self)

    @classmethod
    def create(cls, directory: Directory | None = None) -> "Lab":
        """A complete Lab (the constructor wires everything; this name reads better at call sites)."""
        return cls(directory)

    # ---- sandboxes and clocks --------------------------------------------------------------------------------------
    def register_sandbox(self, sandbox_id: str, accounts: dict[str, str], clock_offset: float = 0.0) -> None:
        """Declare a sandbox and its accounts (label -> 12-digit id). Re-registering updates accounts and clock."""
        with self._lock:
            for label, account in accounts.items():
                if not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
                    raise ValueError(f"account `{label}` must be a 12-digit id, got {account!r}")
                owner = self._account_sandbox.get(account)
                if owner is not None and owner != sandbox_id:
                    raise ValueError(f"account {account} already belongs to sandbox {owner}")
            previous = self._sandboxes.get(sandbox_id)
            if previous is not None:
                for account in previous.accounts.values():
                    self._account_sandbox.pop(account, None)
            if previous is not None:
                clock = previous.clock
                clock.offset_seconds = clock_offset  # re-registering keeps the clock's history (presigned URLs)
            else:
                clock = SandboxClock(clock_offset)
            self._sandboxes[sandbox_id] = SandboxInfo(sandbox_id, dict(accounts), clock)
            for account in accounts.values():
                self._account_sandbox[account] = sandbox_id

    def forget_sandbox(self, sandbox_id: str) -> None:
        """Reset: drop the sandbox, its sessions and its root keys."""
        with self._lock:
            info = self._sandboxes.pop(sandbox_id, None)
            self.store.drop_sandbox(sandbox_id)
            self.jwks_registry.forget_sandbox(sandbox_id)
            self.instances.forget_sandbox(sandbox_id)
            self.trail.forget(sandbox_id)
            self._graphs.pop(sandbox_id, None)
            if info is not None:
                for account in info.accounts.values():
                    self._account_sandbox.pop(account, None)
                self.directory.drop_root_keys(info.accounts.values())
                self.directory.drop_user_boundaries(info.accounts.values())

    def register_oidc_jwks(self, sandbox_id: str, issuer_url: str, jwks: dict[str, Any]) -> None:
        """Publish an OIDC issuer's JWKS for one sandbox: STS resolves keys for that sandbox's roles only."""
        self.jwks_registry.register(sandbox_id, issuer_url, jwks)

    def oidc_jwks(self, sandbox_id: str, issuer_url: str) -> dict[str, Any] | None:
        return self.jwks_registry.resolve(sandbox_id, issuer_url)

    def instance_registry(self) -> InstanceRegistry:
        """The EC2 instances' credential generations and IMDS tokens (the metadata service asks here)."""
        return self.instances

    # The look-ups below read one dict entry or one float without the Lab lock: each read is atomic in CPython, and
    # the lock is held for whole STS operations (policy evaluation, moto reads), so every page's clock read waited
    # behind them (py-spy under bench_load: a quarter of the server's samples in now/sandbox_of_account).
    def sandbox(self, sandbox_id: str) -> SandboxInfo | None:
        return self._sandboxes.get(sandbox_id)

    def set_clock_offset(self, sandbox_id: str, seconds: float) -> None:
        _finite(seconds)
        with self._lock:
            self._require_sandbox(sandbox_id).clock.offset_seconds = float(seconds)

    def advance_clock(self, sandbox_id: str, seconds: float) -> datetime:
        """Fast-forward a sandbox (e.g. to watch credentials expire); returns the new sandbox time."""
        _finite(seconds)
        with self._lock:
            clock = self._require_sandbox(sandbox_id).clock
            clock.advance(seconds)
            return clock.now()

    def mfa_clock(self, sandbox_id: str | None) -> float:
        """The time this sandbox's MFA devices show codes for, and STS checks them at: the phone's clock
        (engine.mfa.clock, real time) moved by the sandbox clock's offset. A sandbox's phones live in its world, so
        moving its clock to the next 30-second window gives them a fresh code (a lab choice for live demos; AWS and a
        real phone share real time)."""
        info = self._sandboxes.get(sandbox_id) if sandbox_id else None
        return totp.clock() + (info.clock.offset_seconds if info else 0.0)

    def now(self, sandbox_id: str | None) -> datetime:
        return self._now_unlocked(sandbox_id)

    def time_at(self, sandbox_id: str | None, real: datetime) -> datetime:
        """The sandbox's clock at a past real moment (before or after its fast-forwards)."""
        with self._lock:
            info = self._sandboxes.get(sandbox_id) if sandbox_id else None
            return info.clock.time_at(real) if info else real

    def sandbox_of_account(self, account_id: str) -> str | None:
        return self._sandbox_of(account_id)

    def _sandbox_of(self, account_id: str) -> str | None:
        """A sandbox's own account, or a member account its organization created (CreateAccount): those belong to
        the sandbox of their management account, and leave with it (gateway.worldstate drops them together)."""
        owner = self._account_sandbox.get(account_id)
        if owner is None and account_id:
            master = self.directory.organization_master(account_id)
            if master is not None and master != account_id:
                owner = self._account_sandbox.get(master)
        return owner

    def accounts_of(self, sandbox_id: str) -> dict[str, str]:
        info = self._sandboxes.get(sandbox_id)
        return dict(info.accounts) if info else {}

    # ---- authentication ------------------------------------------------------------------------------------------
    def authenticate(self, access_key_id: str, session_token: str | None) -> Caller:
        """The Caller behind an access key id (+ session token). Raises InvalidClientTokenId / ExpiredToken."""
        with self._lock:
            if not access_key_id:
                raise InvalidClientTokenId(INVALID_KEY_MESSAGE)
            session = self.store.get(access_key_id)
            if session is not None:
                if not session_token:
                    raise InvalidClientTokenId(INVALID_KEY_MESSAGE)
                if not _same(session.session_token, session_token):
                    raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
                if session.is_expired(self._now_unlocked(session.sandbox_id)):
                    raise ExpiredToken(EXPIRED_MESSAGE)
                return caller_for_session(session, self.directory)
            if session_token:
                # a session token with a key that has no session (a long-term or unknown key)
                raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
            # AKIA ids (AWS's and moto's) encode their account: look there first, then in every sandbox account
            encoded = ids.account_of_key_id(access_key_id)
            key = self.directory.access_key(access_key_id, accounts=[encoded]) \
                if encoded and self._sandbox_of(encoded) is not None else None
            if key is None:
                key = self.directory.access_key(access_key_id, accounts=list(self._account_sandbox))
            owner = self._sandbox_of(key.account) if key is not None else None
            if key is None or owner is None or key.status != "Active":
                # an inactive key is refused like an unknown one (AWS: InvalidClientTokenId)
                raise InvalidClientTokenId(INVALID_KEY_MESSAGE)
            return caller_for_key(key, owner, self.directory)

    def create_root_access_key(self, sandbox_id: str, account: str) -> tuple[str, str]:
        """Root-user access keys for an account of the sandbox (moto has none): (access key id, secret)."""
        with self._lock:
            if self._account_sandbox.get(account) != sandbox_id:
                raise ValueError(f"account {account} is not part of sandbox {sandbox_id}")
            key = AccessKeyInfo(ids.long_term_access_key_id(account), ids.secret_access_key(), "Active", account,
                                None, is_root=True)
            self.directory.add_root_key(key)
            return key.access_key_id, key.secret_access_key

    def set_user_boundary(self, account: str, user_name: str, boundary_arn: str | None) -> None:
        """PutUserPermissionsBoundary / DeleteUserPermissionsBoundary (the gateway answers them; moto cannot)."""
        with self._lock:
            self.directory.set_user_boundary(account, user_name, boundary_arn)

    # ---- STS -------------------------------------------------------------------------------------------------------
    def sts(self, operation: str, caller: Caller | None, params: dict[str, Any],
            request_meta: RequestMeta | dict[str, Any] | None = None) -> StsResult:
        """Answer one STS operation (AWS name); returns its result (engine.sts.results: `members()` are what the
        dialect writes); raises AwsError."""
        meta = RequestMeta.coerce(request_meta)
        with self._lock:
            return self._sts.call(operation, caller, params or {}, meta)

    def register_sts_operation(self, operation: str,
                               handler: Callable[[Caller | None, dict[str, Any], RequestMeta], StsResult]) -> None:
        """Let another module answer an STS operation (AssumeRoleWithSAML, AssumeRoleWithWebIdentity). The handler
        runs under the Lab lock and typically calls `issue_federated_session`."""
        with self._lock:
            self._sts.register(operation, handler)

    def validate_sts_params(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Model validation (AWS ValidationError wording) for handlers registered with register_sts_operation."""
        return validate(operation, params)

    def issue_federated_session(self, sandbox_id: str, *, role_arn: str, principal: Principal, action: str,
                                session_name: str, params: dict[str, Any] | None = None,
                                tags: dict[str, str] | None = None, transitive_tag_keys: Iterable[str] = (),
                                source_identity: str | None = None, context: dict[str, Any] | None = None,
                                duration_cap: int | None = None, provider: str | None = None,
                                request_meta: RequestMeta | dict[str, Any] | None = None
                                ) -> tuple[IssuedSession, RoleSessionResult]:
        """Issue a role session for a validated SAML / web-identity principal.

        principal: Principal(kind="saml"|"web-identity", federated=<provider ARN or host>, ...). action:
        "sts:AssumeRoleWithSAML" | "sts:AssumeRoleWithWebIdentity". params: the validated request members that
        apply (DurationSeconds, Policy, PolicyArns). context: the saml:* / <host>:aud|sub keys. duration_cap: e.g.
        seconds until SessionNotOnOrAfter. Trust is evaluated (plus sts:TagSession / sts:SetSourceIdentity when
        tags / a source identity come in); denial is AccessDenied "Not authorized to perform <action>".
        Returns (session, result): Credentials, AssumedRoleUser, PackedPolicySize, SourceIdentity; the caller adds
        the operation's own members (Subject, Issuer, Provider ...) with `result.with_federation(...)`.
        """
        meta = RequestMeta.coerce(request_meta)
        merged = dict(params or {})
        if tags:
            merged["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        if transitive_tag_keys:
            merged["TransitiveTagKeys"] = list(transitive_tag_keys)
        if source_identity is not None:
            merged["SourceIdentity"] = source_identity
        short = action.split(":", 1)[-1]
        with self._lock:
            return self._sts.issue_role_session(RoleSessionRequest(
                caller=None, sandbox_id=sandbox_id, role_arn=role_arn, session_name=session_name,
                principal=principal, action=action, params=merged, meta=meta, mfa_time=None, origin=short,
                deny_error=lambda act: AccessDenied(f"Not authorized to perform {act}"),
                extra_context=dict(context or {}), duration_cap=duration_cap,
                federated_provider=provider or principal.federated,
                session_extra={k: v for k, v in (context or {}).items() if not k.lower().startswith("aws:")}))

    def issue_service_role_session(self, sandbox_id: str, role_arn: str, *, service: str = "ec2.amazonaws.com",
                                   session_name: str, duration: int | None = None,
                                   duration_seconds: int | None = None,
                                   request_meta: RequestMeta | dict[str, Any] | None = None) -> IssuedSession:
        """Credentials an AWS service obtains for a role (EC2 instance profile: session name = instance id).

        The trust policy must trust the service principal. Not role chaining, and not capped by the role's
        MaxSessionDuration ("sessions assumed by AWS services") [UG:reference_iam-quotas].
        """
        meta = RequestMeta.coerce(request_meta)
        seconds = int(duration_seconds or duration or 3600)
        principal = Principal(arn="", account=None, kind="service", service=service)
        context = {"aws:PrincipalServiceName": service, "aws:PrincipalIsAWSService": "true"}
        with self._lock:
            session, _ = self._sts.issue_role_session(RoleSessionRequest(
                caller=None, sandbox_id=sandbox_id, role_arn=role_arn, session_name=session_name,
                principal=principal, action="sts:AssumeRole", params={"DurationSeconds": seconds}, meta=meta,
                mfa_time=None, origin="ServiceRole", service=service, extra_context=context,
                deny_error=lambda act: not_authorized(service, act, role_arn)))
            self._record_service_delivery(session, service, meta)
            return session

    def _record_service_delivery(self, session: IssuedSession, service: str, meta: RequestMeta) -> None:
        # The AssumeRole that AWS records when a service fetches a role's credentials: userIdentity AWSService,
        # invokedBy / sourceIPAddress / userAgent the service's name [CT-USERID "AWSService"; IAM-CT table].
        result = {"Credentials": {"AccessKeyId": session.access_key_id, "SessionToken": session.session_token,
                                  "Expiration": session.expires_at}}
        call = ApiCall("sts", "AssumeRole", session.sandbox_id, None,
                       {"RoleArn": session.role_arn, "RoleSessionName": session.session_name},
                       result, region=meta.region or "us-east-1", source_ip=service, user_agent=service,
                       request_id=meta.request_id or str(uuid.uuid4()),
                       resources=[("AWS::IAM::Role", session.role_arn or "", session.account)],
                       recipient_account=session.account,
                       identity={"type": "AWSService", "invokedBy": service})
        self.trail.record(call, now=session.issued_at)

    # ---- authorization of non-STS calls ------------------------------------------------------------------------------
    def authorize_call(self, caller: Caller, action: str, resource_arn: str, resource_account: str | None,
                       resource_policy: str | None = None, extra_context: dict[str, Any] | None = None,
                       request_meta: RequestMeta | dict[str, Any] | None = None) -> Decision:
        """Decide one non-STS request. Identity + boundary + session policies (+ the resource policy text, if any),
        the cross-account rule, and the sandbox rule: a caller may only touch accounts of its own sandbox.

        Raises InvalidClientTokenId for credentials IAM does not accept at all (GetSessionToken credentials without
        MFA, GetFederationToken credentials) [STS-MODEL GetSessionToken, GetFederationToken].
        """
        meta = RequestMeta.coerce(request_meta)
        # Only the sandbox registry needs the Lab lock. The policies are read through the Directory (which takes
        # moto_lock itself) and evaluated without the lock, so one learner's heavy policy never queues another
        # learner's calls behind it (issue 9, fair sharing); parsed documents are immutable and shared read-only.
        with self._lock:
            now = self._now_unlocked(caller.sandbox_id)
        in_sandbox = resource_account is None or self._sandbox_of(resource_account) == caller.sandbox_id
        context = principal_context(caller, now, meta)
        scps, rcps, org_keys = (guardrails(self.directory.organization_of, caller.principal, caller.account, resource_account, action)
                                if in_sandbox else (None, None, {}))
        context.update(org_keys)
        if extra_context:
            context.update(extra_context)
        request = AuthzRequest(action, resource_arn, caller.principal, context)
        if action.lower().startswith("iam:") and (caller.is_federated_user or
                                                  (caller.is_session_token and caller.mfa is None)):
            # IAM answers such credentials as if the token were bad [GH:99designs/aws-vault#15],
            # raw IAM XML without the full stop [GH:aws/aws-cli#8918]
            raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
        if not in_sandbox:
            decision = _synthetic_deny(request, f"implicitly denied: account {resource_account} is not part of "
                                       "this learner's sandbox (the lab only lets a sandbox touch its own "
                                       "accounts)", resource_account != caller.account)
        else:
            resource = None
            if resource_policy:
                resource = named_or_error("resource policy", resource_policy, "resource", "bucket"
                                          if action.lower().startswith("s3:") else "resource")
            identity, boundary, session = caller_policies(self.directory, caller)
            decision = authorize(request, identity=identity, resource=resource, boundary=boundary,
                                 session=session, resource_account=resource_account, scps=scps, rcps=rcps,
                                 between_policies=yield_to_other_threads())
        self.decision_log.record(meta.request_id, decision)
        return decision

    def simulate(self, caller: Caller, operation: str, params: dict[str, Any],
                 request_id: str | None = None) -> dict[str, Any]:
        """IAM SimulatePrincipalPolicy / SimulateCustomPolicy for `caller` (already authorised for the operation):
        AWS's result shape, evaluated by the engine that decides real calls, only over the caller's sandbox
        (engine/simulator.py). Without the Lab lock, as authorize_call: the Directory locks its reads.
        Each simulated decision is kept under simulation_key(request_id), apart from the request's own decision
        (a simulated refusal is no refusal of the call), so the policy lab can show its waterfall."""
        outcomes: list[Any] = []
        answer = simulate(self.simulator(caller), operation, params, outcomes)
        if request_id:
            for outcome in outcomes[:KEPT_SIMULATED]:
                self.decision_log.record(simulation_key(request_id), outcome.decision)
        return answer

    def simulator(self, caller: Caller) -> Simulator:
        """The simulator over `caller`'s sandbox (engine/simulator.py)."""
        return Simulator(self.directory, self._sandbox_of, caller.sandbox_id, caller.account, now=self.now)

    def encode_authorization_failure(self, caller: Caller, decision: Decision) -> str:
        """The opaque token for "Encoded authorization failure message: ..." (decoded by DecodeAuthorizationMessage)."""
        with self._lock:
            return self.authmsg.encode(decision_payload(decision, decision.request), caller.sandbox_id)

    def identity_policies(self, caller: Caller) -> tuple[list[Any], Any | None, list[Any]]:
        """(identity NamedPolicies, boundary NamedPolicy | None, session NamedPolicies) for the explanation panel."""
        with self._lock:
            return caller_policies(self.directory, caller)

    # ---- who can become whom (engine/graph.py) -----------------------------------------------------------------
    def sandbox_principals(self, sandbox_id: str, session_keys: list[str] | None = None) -> SandboxPrincipals:
        """What the access graph reads of one sandbox: its own accounts' entities, organizations, boundaries and
        the unexpired role sessions it holds (only those with an access key id in `session_keys` when given: the
        sessions the learner kept). Nothing of another sandbox."""
        with self._lock:
            info = self._require_sandbox(sandbox_id)
            accounts = dict(info.accounts)
            now = info.clock.now()
            self.store.purge(sandbox_id, now)
            sessions = tuple(KeptSession(s.arn, s.role_arn or "", s.account, s.user_id, tuple(s.session_policies),
                                         s.mfa_authenticated_at is not None, dict(s.principal_tags))
                             for s in self.store.sessions_of(sandbox_id)
                             if s.kind == "assumed-role" and s.role_arn and not s.is_expired(now)
                             and (session_keys is None or s.access_key_id in session_keys))
        entities = tuple(self.directory.entities(account) for account in accounts.values())
        boundary_arns = {u.boundary_arn for e in entities for u in e.users if u.boundary_arn}
        boundary_arns |= {r.boundary_arn for e in entities for r in e.roles if r.boundary_arn}
        boundaries = {arn: text for arn in sorted(boundary_arns)
                      if (text := self.directory.managed_policy_text(arn)) is not None}
        organizations = {account: self.directory.organization_of(account) for account in accounts.values()}
        return SandboxPrincipals(accounts, entities, organizations, boundaries, sessions, now)

    def access_graph(self, sandbox_id: str, session_keys: list[str] | None = None) -> dict[str, Any]:
        """The sandbox's access graph (engine.graph.AccessGraph.to_dict()): principals, "can become" edges each
        with the engine's decisions for its calls, admin-equivalent principals marked. Evaluated outside the Lab
        lock, like authorize_call. The same sandbox read again within the same minute gives back the graph already
        built (a page reloaded in a loop costs a read of the sandbox, not a graph)."""
        snapshot = self.sandbox_principals(sandbox_id, session_keys)
        now = snapshot.now
        # compared by value (frozen dataclasses and tuples), never rendered to text: a sandbox's every policy
        key = (replace(snapshot, now=None), now.strftime("%Y%m%d%H%M") if now else "")
        with self._lock:
            known = self._graphs.get(sandbox_id)
            if known is not None and known[0] == key:
                return known[1]
        graph = build_graph(snapshot).to_dict()
        with self._lock:
            self._graphs[sandbox_id] = (key, graph)
            self._graphs.move_to_end(sandbox_id)
            while len(self._graphs) > GRAPHS_KEPT:
                self._graphs.popitem(last=False)
        return graph

    # ---- decisions and federation reports (engine.decisions.DecisionLog) ------------------------------------------
    def record_decision(self, request_id: str, decision: Decision) -> None:
        self.decision_log.record(request_id, decision)

    def decision(self, request_id: str) -> Decision | None:
        """The Decision that explains a request: the one that denied it, else the first one evaluated."""
        return self.decision_log.decision(request_id)

    def decisions(self, request_id: str) -> list[DecisionView]:
        """Every Decision of a request, in evaluation order (AssumeRole, then TagSession, SetSourceIdentity)."""
        return list(self.decision_log.decisions(request_id))

    def record_federation_report(self, request_id: str | None, report: dict[str, Any]) -> None:
        """Keep a federation call's validation report (engine/sts/federated.py records every token it checks)."""
        self.decision_log.record_report(request_id, report)

    def federation_report(self, request_id: str) -> dict[str, Any] | None:
        """The validation checklist of a federation call (AssumeRoleWithSAML / WithWebIdentity) by request id:
        {"error": {...} | None, "checks": [...]}."""
        return self.decision_log.report(request_id)

    # ---- MFA devices and replay memory (the web layer's virtual phone) -------------------------------------------
    def mfa_device(self, serial_number: str) -> MfaDeviceInfo | None:
        """The MFA device by serial (moto's IAM data): account, user it is enabled for, and a virtual device's seed."""
        return self.directory.mfa_device(serial_number)

    def mfa_last_used_step(self, serial: str, seed: str) -> int | None:
        """The 30-second step of the last code STS accepted for this device (replay memory), or None."""
        return self.mfa.last_used_step(serial, seed)

    def mfa_verify_enable(self, serial: str, seed: str, code1: str, code2: str, *,
                          at: float | None = None) -> MfaProof:
        """EnableMFADevice's two consecutive codes (engine.mfa.MfaVerifier.verify_enable)."""
        return self.mfa.verify_enable(serial, seed, code1, code2, at=at)

    # ---- sessions for the UI ----------------------------------------------------------------------------------------
    def sessions(self, sandbox_id: str, *, include_expired: bool = False) -> list[dict[str, Any]]:
        """Issued sessions of a sandbox (no secrets), soonest expiry first."""
        with self._lock:
            now = self._now_unlocked(sandbox_id)
            self.store.purge(sandbox_id, now)
            found = [s for s in self.store.sessions_of(sandbox_id) if include_expired or not s.is_expired(now)]
            found.sort(key=lambda s: s.expires_at)
            return [s.to_summary(now) for s in found]

    def session(self, access_key_id: str) -> IssuedSession | None:
        with self._lock:
            return self.store.get(access_key_id)

    def sandbox_of_key(self, access_key_id: str) -> str | None:
        """The sandbox of an issued session's key, None when this Lab did not issue it (sharded gateways are asked
        which one holds a session key, sandboxes/shards.py)."""
        session = self.session(access_key_id)
        return session.sandbox_id if session is not None else None

    def session_secret(self, sandbox_id: str, access_key_id: str) -> SessionSecret | None:
        """The secret and token of a session STS issued in this sandbox (None for another sandbox's key or one this
        Lab never issued or already forgot): the web keeps only which key a learner's session is, and asks here
        when its cached copy of the secret is gone."""
        with self._lock:
            session = self.store.get(access_key_id)
            if session is None or session.sandbox_id != sandbox_id:
                return None
            return SessionSecret(session.access_key_id, session.secret_access_key, session.session_token,
                                 session.expires_at)

    def issued_session(self, sandbox_id: str, access_key_id: str, secret_access_key: str,
                       session_token: str) -> dict[str, Any] | None:
        """The summary (no secrets) of a session STS issued in this sandbox, when all three parts match what it
        issued; None for anything else (a forged or altered set of credentials, another sandbox's session)."""
        with self._lock:
            session = self.store.get(access_key_id)
            if session is None or session.sandbox_id != sandbox_id:
                return None
            same = (hmac.compare_digest(session.secret_access_key.encode(), secret_access_key.encode())
                    & hmac.compare_digest(session.session_token.encode(), session_token.encode()))
            return session.to_summary(self._now_unlocked(sandbox_id)) if same else None

    # ---- internals (lock held) -------------------------------------------------------------------------------------
    def _require_sandbox(self, sandbox_id: str) -> SandboxInfo:
        info = self._sandboxes.get(sandbox_id)
        if info is None:
            raise KeyError(f"unknown sandbox {sandbox_id}")
        return info

    def _now_unlocked(self, sandbox_id: str | None) -> datetime:
        info = self._sandboxes.get(sandbox_id) if sandbox_id else None
        return (info.clock if info else _REAL_CLOCK).now()


_REAL_CLOCK = SandboxClock()


GRAPHS_KEPT = 256      # sandboxes whose last access graph is kept
# Simulated decisions kept per simulation for the policy lab's waterfalls (each carries its trace; the DecisionLog
# bounds entries, not their size): the page asks for at most 20 actions x 5 resources.
KEPT_SIMULATED = 100


def _finite(seconds: float) -> None:
    if not math.isfinite(seconds):
        raise ValueError(f"a sandbox clock moves by a finite number of seconds, not {seconds}")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _synthetic_deny(request: AuthzRequest, reason: str, cross_account: bool) -> Decision:
    return Decision(allowed=False, effect=IMPLICIT_DENY, reason=reason, deciding=[], request=request,
                    cross_account=cross_account, denied_by="identity", steps=[reason], results=[], events=[])

