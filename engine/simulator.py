"""The IAM policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy), evaluated by the engine that decides real
calls (engine.policy.authorize), answered in AWS's shapes (botocore's iam model: EvaluationResult, Statement,
ResourceSpecificResult, OrganizationsDecisionDetail, PermissionsBoundaryDecisionDetail).

Where the lab is more faithful than AWS's simulator: for `sts:AssumeRole*` on a role ARN the role's trust policy is
evaluated (the ResourcePolicy given, else the role's stored trust policy), as the live AssumeRole evaluates it.
AWS's simulator parses the trust policy and then discards it, so a Deny trust policy is reported `allowed` while the
live call is AccessDenied (aws/aws-cli#10314, its 11-case reproduction RohanDS2024/iam-simulator-trust-policy-gap).

Lab choices where AWS documents nothing:
- The context holds what the simulated principal itself implies (aws:PrincipalArn, aws:PrincipalAccount,
  aws:PrincipalType, aws:userid, aws:username, aws:PrincipalTag/*, the organization keys) plus the ContextEntries;
  keys of the request (aws:MultiFactorAuthPresent, aws:SourceIp, sts:ExternalId...) come only from ContextEntries,
  and any key a relevant statement reads that is absent is listed in MissingContextValues.
- One EvaluationResult per action. EvalResourceName is the resource when one was given, else `*` (the lab has no
  ARN templates); the top-level EvalDecision is the most restrictive of the resources' decisions.
- A resource of an account outside the caller's sandbox is never looked up or evaluated: it is implicitly denied
  with the lab's reason, as a real call to it is.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from engine.directory import Directory, PolicyText
from engine.errors import AwsError
from engine.fairness import yield_to_other_threads
from engine.guardrails import guardrails
from engine.policy import (EXPLICIT_DENY, IMPLICIT_DENY, AuthzRequest, Decision, Effect, GuardrailLevel,
                           Guardrails, NamedPolicy, PolicyError, Principal, Verdict, authorize)
from engine.policy.evaluator import EV_STATEMENT
from engine.policy.jsonpos import JsonSyntaxError, load_with_positions
from engine.sts.caller import RequestMeta, principal_context
from engine.sts.policies import caller_policies, named_or_error, parsed

TRUST_NOTE = ("role trust policy (evaluated by the lab; AWS's simulator ignores it for sts:AssumeRole*, "
              "aws/aws-cli#10314)")
DECISIONS = {Effect.ALLOW: "allowed", EXPLICIT_DENY: "explicitDeny", IMPLICIT_DENY: "implicitDeny"}
_RESTRICTIVE = {"explicitDeny": 2, "implicitDeny": 1, "allowed": 0}
DEFAULT_MAX_ITEMS = 100
# The lab's cap (AWS documents none): a call evaluates at most this many action x resource pairs, so one learner's
# simulation cannot hold the interpreter for long (each pair is one authorisation).
MAX_PAIRS = 1000
# keys a request carries rather than its principal (the ContextEntries give them)
REQUEST_KEYS = {"aws:currenttime", "aws:epochtime", "aws:securetransport", "aws:requestedregion", "aws:sourceip",
                "aws:useragent", "aws:viaawsservice"}
LIST_TYPES = {"stringList", "numericList", "booleanList", "ipList", "binaryList", "dateList"}


class InvalidInput(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidInput", status=400)


class NoSuchEntity(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="NoSuchEntity", status=404)


@dataclass
class Subject:
    """Who is simulated: the principal the policies' Principal elements see, its policies, and the context keys it
    implies. `kinds` maps each policy (name, source) to AWS's SourcePolicyType."""
    principal: Principal
    account: str
    identity: list[NamedPolicy] = field(default_factory=list)
    boundary: NamedPolicy | None = None
    session: list[NamedPolicy] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)
    organizations: bool = True       # SCPs/RCPs of the principal's organization apply (SimulatePrincipalPolicy)


@dataclass
class Outcome:
    """One (action, resource) simulated."""
    action: str
    resource: str
    decision: Decision
    missing: list[str]
    trust: bool                      # the role's trust policy was evaluated (sts:AssumeRole* on a role)

    @property
    def eval_decision(self) -> str:
        return DECISIONS[self.decision.effect]


def _named(name: str, text: str, kind: str, source: str, where: str) -> NamedPolicy:
    """A policy passed in the request: refused in IAM's InvalidInput words when it cannot be read."""
    try:
        return NamedPolicy(name=name, document=parsed(text, kind), source=source)
    except PolicyError as error:
        raise InvalidInput(f"{where}: {error.message}") from None


def _stored(policy: PolicyText, kind: str, source: str) -> NamedPolicy:
    """A stored policy; one the parser refuses allows nothing and is reported (as for real calls)."""
    named: NamedPolicy = named_or_error(policy.name, policy.text, kind, source)
    return named


def _policy_type(policy: PolicyText, entity: str) -> str:
    if policy.arn:
        return "aws-managed" if ":iam::aws:policy/" in policy.arn else "user-managed"
    return "group" if policy.source == "group-inline" else entity


def arn_parts(arn: str) -> tuple[str, str, str, str] | None:
    """(service, account, resource type, name) of an IAM ARN, or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        return None
    kind, _, rest = parts[5].partition("/")
    return parts[2], parts[4], kind, rest.rsplit("/", 1)[-1]


def context_entries(entries: Iterable[dict[str, Any]] | None) -> dict[str, Any]:
    """ContextEntries -> the request context (list types stay lists; a single-valued key takes its first value)."""
    context: dict[str, Any] = {}
    for entry in entries or ():
        name = entry.get("ContextKeyName")
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        kind = entry.get("ContextKeyType") or "string"
        if not name:
            raise InvalidInput("ContextKeyName is required in each of the ContextEntries.")
        if not values:
            raise InvalidInput(f"ContextKeyValues of {name} must hold at least one value.")
        if kind.startswith("boolean"):
            if any(v.lower() not in ("true", "false") for v in values):
                raise InvalidInput(f"ContextKeyValues of {name} must be true or false for type {kind}.")
            values = [v.lower() for v in values]
        context[name] = values if kind in LIST_TYPES else values[0]
    return context


class Simulator:
    """Simulations for one caller's sandbox. `sandbox_of` is the Lab's account -> sandbox look-up."""

    def __init__(self, directory: Directory, sandbox_of: Callable[[str], str | None], sandbox_id: str | None,
                 caller_account: str, now: Callable[[str | None], Any] | None = None) -> None:
        self.now = now
        self.directory = directory
        self.sandbox_of = sandbox_of
        self.sandbox_id = sandbox_id
        self.caller_account = caller_account

    def in_sandbox(self, account: str | None) -> bool:
        return bool(account) and self.sandbox_of(account or "") == self.sandbox_id

    # ---- who is simulated ------------------------------------------------------------------------------------------
    def entity(self, arn: str) -> Subject:
        """The user, group or role PolicySourceArn / CallerArn names, with its policies (a user's groups' too)."""
        parts = arn_parts(arn)
        if parts is None or parts[0] != "iam" or parts[2] not in ("user", "group", "role"):
            raise InvalidInput(f"Invalid ARN {arn}: must be the ARN of an IAM user, group or role.")
        _, account, kind, name = parts
        if not self.in_sandbox(account):
            # never looked up: another sandbox's (or no one's) entity is as unknown as a missing one
            raise NoSuchEntity(f"The {kind} with name {name} cannot be found.")
        if kind == "user":
            user = self.directory.user_by_arn(arn)
            if user is None:
                raise NoSuchEntity(f"The user with name {name} cannot be found.")
            principal = Principal(arn=user.arn, account=account, kind="user", userid=user.user_id,
                                  username=user.name, tags=dict(user.tags))
            subject = Subject(principal, account, context={"aws:PrincipalType": "User", "aws:username": user.name,
                                                           "aws:userid": user.user_id})
            self._load(subject, user.policies, user.boundary_arn, "user")
            return subject
        if kind == "role":
            role = self.directory.role_by_arn(arn)
            if role is None:
                raise NoSuchEntity(f"The role with name {name} cannot be found.")
            session_arn = f"arn:aws:sts::{account}:assumed-role/{role.name}/PolicySimulator"
            principal = Principal(arn=session_arn, account=account, kind="assumed-role", role_arn=role.arn,
                                  userid=f"{role.role_id}:PolicySimulator", tags=dict(role.tags))
            subject = Subject(principal, account, context={"aws:PrincipalType": "AssumedRole",
                                                           "aws:userid": f"{role.role_id}:PolicySimulator"})
            subject.context["aws:PrincipalArn"] = role.arn
            self._load(subject, role.policies, role.boundary_arn, "role")
            return subject
        held = self.directory.entity_policies(account, "group", name)
        if held is None:
            raise NoSuchEntity(f"The group with name {name} cannot be found.")
        policies = [PolicyText(n, text, None, "group-inline") for n, text in held.inline.items()]
        for policy_arn in held.managed_arns:
            text = self.directory.managed_policy_text(policy_arn)
            if text is not None:
                policies.append(PolicyText(policy_arn.rsplit("/", 1)[-1], text, policy_arn, "group-managed"))
        # a group is no principal: its policies are simulated for a member the lab names after the group
        principal = Principal(arn=arn, account=account, kind="user", username=name)
        subject = Subject(principal, account, context={"aws:PrincipalType": "User"})
        self._load(subject, policies, None, "group")
        return subject

    def _load(self, subject: Subject, policies: list[PolicyText], boundary_arn: str | None, entity: str) -> None:
        subject.context.setdefault("aws:PrincipalArn", subject.principal.arn)
        subject.context["aws:PrincipalAccount"] = subject.account
        for key, value in subject.principal.tags.items():
            subject.context[f"aws:PrincipalTag/{key}"] = value
        for policy in policies:
            named = _stored(policy, "identity", policy.source)
            subject.identity.append(named)
            subject.kinds[(named.name, named.source)] = _policy_type(policy, entity)
        if boundary_arn:
            text = self.directory.managed_policy_text(boundary_arn)
            if text is not None:
                policy = PolicyText(boundary_arn.rsplit("/", 1)[-1], text, boundary_arn, "boundary")
                subject.boundary = _stored(policy, "boundary", "boundary")
                subject.kinds[(subject.boundary.name, "boundary")] = _policy_type(policy, entity)

    def caller_subject(self, caller: Any) -> Subject:
        """An authenticated caller as it stands (an engine.sts.caller.Caller): a kept role session with its session
        policies and MFA, a user's long-term key... AWS's simulator takes no session (its CallerArn cannot be an
        assumed role); the policy lab simulates one, since session policies narrow what a session may do."""
        identity, boundary, session = caller_policies(self.directory, caller)
        now = self.now(caller.sandbox_id) if self.now is not None else None
        context = principal_context(caller, now, RequestMeta(source_ip="", user_agent="")) if now else {}
        for key in [k for k in context if k.lower() in REQUEST_KEYS]:
            del context[key]           # the request's own keys come from the ContextEntries, as for any simulation
        subject = Subject(caller.principal, caller.account, list(identity), boundary, list(session), context)
        entity = "role" if caller.is_role_session else "user"
        for policy in identity:
            subject.kinds[(policy.name, policy.source)] = (
                "aws-managed" if ":iam::aws:policy/" in policy.name else
                "user-managed" if policy.name.startswith("arn:") else
                "group" if policy.source == "group-inline" else entity)
        return subject

    def custom_subject(self, caller_arn: str | None) -> Subject:
        """SimulateCustomPolicy's caller: the user CallerArn names (its own policies are not simulated), or a
        principal of the caller's account that no Principal element names."""
        if caller_arn:
            named = self.entity(caller_arn)
            return Subject(named.principal, named.account, context=dict(named.context), organizations=False)
        account = self.caller_account
        principal = Principal(arn=f"arn:aws:iam::{account}:user/PolicySimulator", account=account, kind="user")
        return Subject(principal, account, context={"aws:PrincipalAccount": account}, organizations=False)

    # ---- the simulation ----------------------------------------------------------------------------------------------
    def run(self, subject: Subject, actions: list[str], resources: list[str] | None, *,
            context: dict[str, Any], resource_policy: str | None = None, resource_owner: str | None = None,
            scps: list[list[str]] | None = None) -> list[list[Outcome]]:
        """Outcomes per action, per resource."""
        if not actions:
            raise InvalidInput("ActionNames must name at least one action.")
        for action in actions:
            if ":" not in action or "*" in action or "?" in action:
                raise InvalidInput(f"Action {action} is not valid: name one action as service:Operation, "
                                   "without wildcards.")
        if len(actions) * len(resources or ["*"]) > MAX_PAIRS:
            raise InvalidInput(f"The lab simulates at most {MAX_PAIRS} action and resource pairs in one call; "
                               f"this one asks for {len(actions) * len(resources or ['*'])}.")
        owner = self._owner(resource_owner) or subject.account
        custom_scps = self._custom_scps(scps) if scps else None
        parsed_resource: dict[str, NamedPolicy] = {}

        def resource_named(kind: str) -> NamedPolicy:
            if kind not in parsed_resource:
                parsed_resource[kind] = _named("ResourcePolicy", resource_policy or "", kind, "resource",
                                               "ResourcePolicy")
            return parsed_resource[kind]

        outcomes: list[list[Outcome]] = []
        for action in actions:
            row = []
            for resource in resources or ["*"]:
                row.append(self._one(subject, action, resource, context, owner,
                                     resource_named if resource_policy else None, custom_scps))
            outcomes.append(row)
        return outcomes

    @staticmethod
    def _owner(resource_owner: str | None) -> str | None:
        if not resource_owner:
            return None
        account = resource_owner.split(":")[4] if resource_owner.startswith("arn:") and \
            resource_owner.count(":") >= 5 else resource_owner
        if not (len(account) == 12 and account.isdigit()):
            raise InvalidInput(f"ResourceOwner {resource_owner} is not an account id or an account's ARN.")
        return account

    @staticmethod
    def _custom_scps(levels: list[list[str]]) -> Guardrails:
        """OrderedOrganizationPolicyInputList: one element per level, root first, the account last."""
        built = []
        for index, texts in enumerate(levels):
            kind = "root" if index == 0 else ("account" if index == len(levels) - 1 else "ou")
            where = f"OrderedOrganizationPolicyInputList.{index + 1}"
            built.append(GuardrailLevel(kind, where, where, tuple(
                _named(f"{where}.{n}", text, "scp", "scp", f"{where}.ServiceControlPolicyInputList.{n}")
                for n, text in enumerate(texts, 1))))
        return Guardrails(tuple(built))

    def _one(self, subject: Subject, action: str, resource: str, entries: dict[str, Any], owner: str,
             resource_named: Callable[[str], NamedPolicy] | None, custom_scps: Guardrails | None) -> Outcome:
        parts = arn_parts(resource) if resource != "*" else None
        resource_account = parts[1] if parts and parts[1] else owner
        is_role = bool(parts) and parts is not None and parts[0] == "iam" and parts[2] == "role"
        trust = action.lower().startswith("sts:assumerole") and is_role
        context: dict[str, Any] = dict(subject.context)
        if not self.in_sandbox(resource_account):
            decision = _outside(AuthzRequest(action, resource, subject.principal, {**context, **entries}),
                                resource_account)
            return Outcome(action, resource, decision, [], trust)
        scps: Guardrails | None = custom_scps
        rcps: Guardrails | None = None
        if subject.organizations:
            scps, rcps, org_keys = guardrails(self.directory.organization_of, subject.principal, subject.account,
                                              resource_account, action)
            context.update(org_keys)
        context.update(entries)
        policy: NamedPolicy | None = None
        if trust:
            if resource_named is not None:
                policy = resource_named("trust")
            else:
                role = self.directory.role_by_arn(resource)
                if role is not None:
                    policy = _stored(PolicyText(f"{role.name} trust policy", role.trust_policy), "trust", "trust")
        elif resource_named is not None:
            policy = resource_named("resource")
        request = AuthzRequest(action, resource, subject.principal, context)
        decision = authorize(request, identity=subject.identity, resource=policy, boundary=subject.boundary,
                             session=subject.session, resource_account=resource_account,
                             resource_policy_required=trust, scps=scps, rcps=rcps,
                             between_policies=yield_to_other_threads())
        return Outcome(action, resource, decision, missing_keys(decision), trust)


def _outside(request: AuthzRequest, account: str) -> Decision:
    reason = (f"implicitly denied: account {account} is not part of this learner's sandbox (the lab only lets a "
              "sandbox touch its own accounts)")
    return Decision(allowed=False, effect=IMPLICIT_DENY, reason=reason, deciding=[], request=request,
                    cross_account=True, denied_by="identity", steps=[reason], results=[], events=[])


def missing_keys(decision: Decision) -> list[str]:
    """Condition keys (and policy variables) read by a statement whose action and resource match the request, that
    the request's context lacks: what MissingContextValues lists."""
    context = decision.request.context_lc
    missing: dict[str, str] = {}
    for event in decision.events or ():
        if event[0] != EV_STATEMENT:
            continue
        _, _, _, _, action_info, resource_info, conditions = event
        if not action_info[0] or (resource_info is not None and not resource_info[0] and not resource_info[2]):
            continue
        if resource_info is not None:
            for key in resource_info[2] or ():
                if isinstance(key, str) and key.lower() not in context:
                    missing.setdefault(key.lower(), key)
        for condition, *_ in conditions:
            if condition.key_lc not in context:
                missing.setdefault(condition.key_lc, condition.key)
    return sorted(missing.values(), key=str.lower)


# ---- AWS's answer ----------------------------------------------------------------------------------------------------
def _positions(document: Any, index: int) -> tuple[dict[str, int], dict[str, int]] | None:
    text = getattr(document, "text", None)
    if not text:
        return None
    try:
        root, smap = load_with_positions(text)
    except JsonSyntaxError:
        return None
    statements = root.get("Statement") if isinstance(root, dict) else None
    path: tuple[str | int, ...] = ("Statement", index) if isinstance(statements, list) else ("Statement",)
    span = smap.value_spans.get(path)
    if span is None:
        return None
    start = smap.line_col(span[0])
    end = smap.line_col(max(span[1] - 1, span[0]))
    return {"Line": start[0], "Column": start[1]}, {"Line": end[0], "Column": end[1] + 1}


def matched_statements(outcome: Outcome, subject: Subject, policies: dict[tuple[str, str], Any]) -> list[dict[str, Any]]:
    """The statements that decided (an organization policy's never: AWS lists identity and resource ones)."""
    found: list[dict[str, Any]] = []
    for ref in outcome.decision.deciding:
        if ref.role in ("scp", "rcp"):
            continue
        if ref.role == "resource":
            kind = "resource"
        else:
            kind = subject.kinds.get((ref.policy, ref.source), "none")
        statement: dict[str, Any] = {"SourcePolicyId": ref.policy, "SourcePolicyType": kind}
        where = _positions(policies.get((ref.policy, ref.source)), ref.index)
        if where is not None:
            statement["StartPosition"], statement["EndPosition"] = where
        if statement not in found:
            found.append(statement)
    return found


def _layer_allows(decision: Decision, kind: str) -> bool | None:
    layer = decision.layer(kind)
    if layer is None or layer.verdict is Verdict.NOT_IN_PLAY:
        return None
    return layer.verdict is Verdict.ALLOW


def _details(outcome: Outcome) -> dict[str, str] | None:
    """EvalDecisionDetails: for cross-account simulations AWS gives each policy type's decision; the lab gives it
    too for a trust evaluation, whose role trust policy AWS's simulator leaves out."""
    decision = outcome.decision
    if not (decision.cross_account or outcome.trust) or not decision.layers:
        return None
    words = {Verdict.ALLOW: "allowed", Verdict.DENY: "explicitDeny", Verdict.SILENT: "implicitDeny"}
    details = {}
    for kind, title in (("identity", "IAM Policy"), ("resource", TRUST_NOTE if outcome.trust else "Resource Policy"),
                        ("boundary", "Permissions Boundary Policy")):
        layer = decision.layer(kind)
        if layer is not None and layer.verdict in words:
            details[title] = words[layer.verdict]
    return details


def _resource_result(outcome: Outcome, subject: Subject, policies: dict[tuple[str, str], Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"EvalResourceName": outcome.resource, "EvalResourceDecision": outcome.eval_decision,
                              "MatchedStatements": matched_statements(outcome, subject, policies),
                              "MissingContextValues": outcome.missing}
    details = _details(outcome)
    if details is not None:
        result["EvalDecisionDetails"] = details
    boundary = _layer_allows(outcome.decision, "boundary")
    if boundary is not None:
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": boundary}
    return result


def evaluation_results(outcomes: list[list[Outcome]], subject: Subject, resource_policy: NamedPolicy | None,
                       resources_given: bool) -> list[dict[str, Any]]:
    policies: dict[tuple[str, str], Any] = {(p.name, p.source): p.document for p in subject.identity}
    if subject.boundary is not None:
        policies[(subject.boundary.name, subject.boundary.source)] = subject.boundary.document
    results: list[dict[str, Any]] = []
    for row in outcomes:
        top = max(row, key=lambda o: _RESTRICTIVE[o.eval_decision])
        for outcome in row:
            for evaluated in outcome.decision.results:
                if evaluated.role == "resource" and evaluated.document is not None:
                    policies.setdefault((evaluated.name, evaluated.source), evaluated.document)
        deciding = [o for o in row if o.eval_decision == top.eval_decision]
        matched: list[dict[str, Any]] = []
        for outcome in deciding:
            for statement in matched_statements(outcome, subject, policies):
                if statement not in matched:
                    matched.append(statement)
        result: dict[str, Any] = {
            "EvalActionName": top.action,
            "EvalResourceName": row[0].resource if len(row) == 1 else "*",
            "EvalDecision": top.eval_decision, "MatchedStatements": matched,
            "MissingContextValues": [] if resources_given else top.missing,
        }
        scp = _layer_allows(top.decision, "scp")
        if scp is not None:
            result["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": scp}
        boundary = _layer_allows(top.decision, "boundary")
        if boundary is not None:
            result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": boundary}
        details = _details(top)
        if details is not None:
            result["EvalDecisionDetails"] = details
        if resources_given:
            result["ResourceSpecificResults"] = [_resource_result(o, subject, policies) for o in row]
        results.append(result)
    return results


def page(results: list[dict[str, Any]], max_items: int | None, marker: str | None) -> dict[str, Any]:
    """Marker/IsTruncated/MaxItems over EvaluationResults (the marker is the lab's: an encoded offset)."""
    start = 0
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode().removeprefix("sim:"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidInput("Invalid Marker: it must be the Marker of a previous answer.") from None
        if not 0 <= start <= len(results):
            raise InvalidInput("Invalid Marker: it must be the Marker of a previous answer.")
    size = max_items or DEFAULT_MAX_ITEMS
    chunk = results[start:start + size]
    answer: dict[str, Any] = {"EvaluationResults": chunk, "IsTruncated": start + size < len(results)}
    if answer["IsTruncated"]:
        answer["Marker"] = base64.urlsafe_b64encode(f"sim:{start + size}".encode()).decode()
    return answer


# ---- the two operations ------------------------------------------------------------------------------------------------
def simulation_key(request_id: str) -> str:
    """Where the Lab keeps a simulation's decisions (DecisionLog), beside the request's own."""
    return f"{request_id}:simulated"


def simulate(simulator: Simulator, operation: str, params: dict[str, Any],
             outcomes_out: list[Outcome] | None = None) -> dict[str, Any]:
    """SimulatePrincipalPolicy or SimulateCustomPolicy: the params as botocore's model has them; AWS's result.
    `outcomes_out` receives every (action, resource) outcome, in order."""
    inputs = params.get("PolicyInputList") or []
    if operation == "SimulatePrincipalPolicy":
        subject = simulator.entity(params["PolicySourceArn"])
        if params.get("CallerArn"):
            caller = simulator.entity(params["CallerArn"])
            subject.principal, subject.context = caller.principal, {**subject.context, **caller.context}
    elif operation == "SimulateCustomPolicy":
        if not inputs:
            raise InvalidInput("PolicyInputList must hold at least one policy.")
        subject = simulator.custom_subject(params.get("CallerArn"))
    else:
        raise InvalidInput(f"Unknown simulation {operation}.")
    for index, text in enumerate(inputs, 1):
        where = f"PolicyInputList.{index}"
        subject.identity.append(_named(where, text, "identity", "input", where))
        subject.kinds[(where, "input")] = "none"
    boundaries = params.get("PermissionsBoundaryPolicyInputList") or []
    if len(boundaries) > 1:
        raise InvalidInput("PermissionsBoundaryPolicyInputList takes one permissions boundary.")
    if boundaries:
        where = "PermissionsBoundaryPolicyInputList.1"
        subject.boundary = _named(where, boundaries[0], "boundary", "boundary", where)
        subject.kinds[(where, "boundary")] = "none"
    scps = None
    ordered = params.get("OrderedOrganizationPolicyInputList") or []
    if ordered:
        scps = [list(level.get("ServiceControlPolicyInputList") or []) for level in ordered]
    resources = params.get("ResourceArns") or None
    outcomes = simulator.run(subject, list(params.get("ActionNames") or []), resources,
                             context=context_entries(params.get("ContextEntries")),
                             resource_policy=params.get("ResourcePolicy"), resource_owner=params.get("ResourceOwner"),
                             scps=scps)
    if outcomes_out is not None:
        outcomes_out.extend(outcome for row in outcomes for outcome in row)
    results = evaluation_results(outcomes, subject, None, bool(resources))
    return page(results, params.get("MaxItems"), params.get("Marker"))
