"""Combining policy results into a Decision (IAM User Guide: reference_policies_evaluation-logic,
reference_policies_evaluation-logic_policy-eval-denyallow, reference_policies_evaluation-logic-cross-account,
access_policies_boundaries, access_policies#policies_session; AWS Organizations User Guide: "Service control
policies (SCPs)", "Resource control policies (RCPs)").

1. An applicable Deny in any policy wins (SCPs and RCPs included).
2. RCPs of the resource's account (a member account of an organization): the request must be allowed at every
   level from the root to the account, or it is implicitly denied.
3. SCPs of the principal's account (a member account): the same, for the principal.
4. Cross-account (an IAM caller of account A, a resource of account B): both sides must allow - A's identity
   side (identity policies, then boundary and session policies) and B's resource-based policy.
5. Same account: a resource-based policy allow that names the caller directly grants on its own - for an IAM
   user ARN not limited by identity policies or boundary; for a role ARN limited by the boundary and session
   policies; for a role-session or federated-user ARN not limited at all. A resource policy that names only the
   account delegates to it: the identity side must allow too.
6. A required resource policy (a role trust policy for sts:AssumeRole*) must allow.
7. Otherwise the identity side decides.

The Decision carries its answer as an Effect, the statements that decided, every layer's verdict in AWS's order
(Decision.layers, the waterfall a page shows) and the policies that could not be evaluated (Decision.errors:
reported, never raised, as cedar reports erroring policies in its diagnostics).
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .evaluator import PolicyResult, StatementRef, Tracer, evaluate_policy
from .model import AuthzRequest, Guardrails, NamedPolicy

log = logging.getLogger(__name__)


class Effect(enum.Enum):
    """The answer: allowed, explicitly denied (a Deny statement applied) or implicitly denied (nothing allowed)."""
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"

    def __str__(self) -> str:
        return self.value


ALLOW = Effect.ALLOW
EXPLICIT_DENY = Effect.EXPLICIT_DENY
IMPLICIT_DENY = Effect.IMPLICIT_DENY


class Verdict(enum.Enum):
    """What one layer of the evaluation said about the request."""
    ALLOW = "allow"                  # an applicable Allow (at every level of the organization, for SCPs and RCPs)
    DENY = "deny"                    # an applicable Deny statement
    SILENT = "silent"                # policies of this kind were in play and none allowed
    NOT_IN_PLAY = "not-in-play"      # no policy of this kind applies to this request

    @property
    def label(self) -> str:
        """How a page says it."""
        return _VERDICT_LABELS[self]


_VERDICT_LABELS = {Verdict.ALLOW: "allows", Verdict.DENY: "denies", Verdict.SILENT: "no statement allows",
                   Verdict.NOT_IN_PLAY: "not in play"}


# AWS's order of evaluation (IAM User Guide, reference_policies_evaluation-logic_policy-eval-denyallow: deny
# evaluation, then RCPs, SCPs, resource-based policies, identity-based policies, permissions boundaries, session
# policies), which is also the waterfall's order.
LAYER_ORDER = ("rcp", "scp", "resource", "identity", "boundary", "session")
LAYER_TITLES = {
    "rcp": "Resource control policies (RCPs)", "scp": "Service control policies (SCPs)",
    "resource": "Resource-based policy", "identity": "Identity-based policies",
    "boundary": "Permissions boundary", "session": "Session policies",
}
# The policy type AWS names in an AccessDenied message ("with an explicit deny in a service control policy").
_POLICY_TYPE_WORDS = {"identity": "identity-based policy", "resource": "resource-based policy",
                      "boundary": "permissions boundary", "session": "session policy",
                      "scp": "service control policy", "rcp": "resource control policy"}

_DIRECT = ("user", "role", "session", "federated-user", "*", "service", "federated", "canonical", "not-principal")


@dataclass
class LayerLevel:
    """One level of an organization (root, OU, account) inside an SCP or RCP layer."""
    kind: str
    id: str
    name: str
    verdict: Verdict
    policies: list[str]
    deciding: list[StatementRef] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "verdict": self.verdict.value,
                "verdict_label": self.verdict.label, "policies": list(self.policies),
                "deciding": [r.to_dict() for r in self.deciding]}


@dataclass
class Layer:
    """One step of the waterfall: a policy type, what it said, the statements that said it, and whether it is the
    layer that decided the answer."""
    kind: str
    verdict: Verdict
    policies: list[str] = field(default_factory=list)
    deciding: list[StatementRef] = field(default_factory=list)
    note: str = ""
    decided: bool = False
    levels: list[LayerLevel] = field(default_factory=list)

    @property
    def title(self) -> str:
        return LAYER_TITLES[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "verdict": self.verdict.value,
                "verdict_label": self.verdict.label, "policies": list(self.policies),
                "deciding": [r.to_dict() for r in self.deciding], "note": self.note, "decided": self.decided,
                "levels": [level.to_dict() for level in self.levels]}


@dataclass
class Diagnostic:
    """A policy that could not be evaluated: it allowed and denied nothing, and the decision says so."""
    policy: str
    layer: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "layer": self.layer, "message": self.message}


class Decision:
    """The answer, its reason, the statements that decided it, each layer's verdict, the policies that could not
    be evaluated, and (lazily) the full explanation."""

    __slots__ = ("allowed", "effect", "reason", "deciding", "request", "cross_account", "denied_by", "steps",
                 "results", "events", "errors", "_trace", "_layers", "_layers_fn")

    def __init__(self, *, allowed: bool, effect: Effect, reason: str, deciding: list[StatementRef],
                 request: AuthzRequest, cross_account: bool, denied_by: str | None, steps: list[str],
                 results: list[PolicyResult], events: list[tuple[Any, ...]] | None, layers: list[Layer] | None = None,
                 errors: list[Diagnostic] | None = None,
                 layers_fn: Callable[[], list[Layer]] | None = None) -> None:
        if not isinstance(effect, Effect):
            raise TypeError(f"effect must be an Effect, not {type(effect).__name__}")
        self.allowed = allowed
        self.effect = effect
        self.reason = reason
        self.deciding = deciding
        self.request = request
        self.cross_account = cross_account
        self.denied_by = denied_by  # which policy type denied: identity|resource|boundary|session|scp|rcp
        self.steps = steps
        self.results = results
        self.events = events
        self.errors = errors if errors is not None else []
        self._trace: list[dict[str, Any]] | None = None
        self._layers = layers if layers is not None or layers_fn is not None else []
        self._layers_fn = layers_fn

    @property
    def layers(self) -> list[Layer]:
        """Each layer's verdict in AWS's order (built on first use: the gateway needs only the answer)."""
        if self._layers is None:
            self._layers = self._layers_fn() if self._layers_fn is not None else []
            self._layers_fn = None
        return self._layers

    def __repr__(self) -> str:
        return f"Decision({self.effect.value}: {self.reason})"

    @property
    def explicit_deny(self) -> bool:
        return self.effect is EXPLICIT_DENY

    @property
    def trace(self) -> list[dict[str, Any]]:
        """Every policy considered, each statement and element, each condition (built on first use)."""
        if self._trace is None:
            from .trace import build_policies
            self._trace = trace = build_policies(self.events or [], self.request)
            return trace
        return self._trace

    def layer(self, kind: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.kind == kind), None)

    def access_denied_message(self, *, with_reason: bool = False) -> str:
        """AWS's AccessDenied wording: "User: <arn> is not authorized to perform: <action> on resource: <arn>".
        with_reason adds the clause newer AWS services append ("because no identity-based policy allows ...",
        "with an explicit deny in a service control policy": IAM User Guide, "Access denied error messages";
        observed: kubernetes-sigs/aws-load-balancer-controller#2322)."""
        p = self.request.principal
        msg = (f"User: {p.display} is not authorized to perform: {self.request.action} "
               f"on resource: {self.request.resource}")
        if with_reason and not self.allowed and self.denied_by in _POLICY_TYPE_WORDS:
            words = _POLICY_TYPE_WORDS[self.denied_by]
            if self.effect is EXPLICIT_DENY:
                article = "an" if words[0] in "aeiou" else "a"
                msg += f" with an explicit deny in {article} {words}"
            else:
                msg += f" because no {words} allows the {self.request.action} action"
        return msg

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (it crosses processes): strings, numbers, booleans, lists and dicts only."""
        return {
            "allowed": self.allowed,
            "effect": self.effect.value,
            "reason": self.reason,
            "deciding": [r.to_dict() for r in self.deciding],
            "cross_account": self.cross_account,
            "denied_by": self.denied_by,
            "steps": list(self.steps),
            "layers": [layer.to_dict() for layer in self.layers],
            "errors": [error.to_dict() for error in self.errors],
            "request": self.request.to_dict(),
            "policies": self.trace,
        }


def _describe_resource_policy(result: PolicyResult, request: AuthzRequest) -> str:
    if result.source == "trust":
        return f"the trust policy of role `{request.resource}`"
    if result.source == "bucket":
        return f"the bucket policy `{result.name}`"
    return f"resource-based policy `{result.name}`"


def _describe(result: PolicyResult, request: AuthzRequest) -> str:
    if result.role == "resource":
        return _describe_resource_policy(result, request)
    if result.role == "boundary":
        return f"permissions boundary `{result.name}`"
    if result.role == "session":
        return f"session policy `{result.name}`"
    if result.role == "scp":
        return f"service control policy `{result.name}`"
    if result.role == "rcp":
        return f"resource control policy `{result.name}`"
    return f"policy `{result.name}`"


def _principal_words(request: AuthzRequest) -> str:
    p = request.principal
    return f"`{p.display}`"


@dataclass
class _Guarded:
    """An SCP or RCP layer as evaluated: each level's results, in order from the root to the account."""
    kind: str
    guardrails: Guardrails | None
    levels: list[tuple[Any, list[PolicyResult]]] = field(default_factory=list)

    @property
    def in_play(self) -> bool:
        return self.guardrails is not None and self.guardrails.exempt is None and bool(self.levels)

    def failing_levels(self) -> list[Any]:
        """Levels without an applicable Allow: AWS needs one at every level from the root to the account."""
        return [level for level, results in self.levels if not any(r.allows for r in results)]

    def allow_refs(self) -> list[StatementRef]:
        return [r.ref(st) for _, results in self.levels for r in results for st, _ in r.allows]

    def results(self) -> list[PolicyResult]:
        return [r for _, results in self.levels for r in results]


def authorize(request: AuthzRequest, *, identity: Iterable[NamedPolicy] = (), resource: NamedPolicy | None = None,
              boundary: NamedPolicy | None = None, session: Iterable[NamedPolicy] = (),
              resource_account: str | None = None, resource_policy_required: bool = False,
              scps: Guardrails | None = None, rcps: Guardrails | None = None,
              trace: bool = True, between_policies: Callable[[], None] | None = None) -> Decision:
    """Decide one request; see the module docstring. `session` holds the inline and managed session policies
    (their union narrows the session). For a federated user (GetFederationToken) an empty `session` means the
    call had no session policy, so the session has no identity-based permissions.

    `scps`: the service control policies of the principal's account, `rcps`: the resource control policies of the
    resource's account (None: the account is in no organization that uses them; Guardrails.exempt: it is, but
    the layer does not apply to this request). The caller decides which apply; this function combines them.

    `between_policies` is called after each policy evaluated (the Lab yields the CPU there to other learners'
    threads, so a caller with many large policies holds nobody up for longer than one policy)."""
    tracer = Tracer() if trace else None
    p = request.principal
    errors: list[Diagnostic] = []

    def one(np: NamedPolicy, role: str, **extra: Any) -> PolicyResult:
        try:
            result = evaluate_policy(np, request, role=role, tracer=tracer, **extra)
        except Exception as crash:  # noqa: BLE001 - a policy that fails to evaluate is reported, never raised
            log.exception("policy %s could not be evaluated", np.name)
            result = PolicyResult(name=np.name, source=np.source, role=role, document=None,
                                  error=f"the policy could not be evaluated: {type(crash).__name__}")
        if result.error:
            errors.append(Diagnostic(np.name, role, result.error))
        if between_policies is not None:
            between_policies()
        return result

    def each(policies: Iterable[NamedPolicy], role: str) -> list[PolicyResult]:
        return [one(np, role) for np in policies]

    seen: dict[tuple[Any, ...], tuple[PolicyResult, list[tuple[Any, ...]]]] = {}

    def once(np: NamedPolicy, kind: str) -> PolicyResult:
        """An organization policy attached at several levels (FullAWSAccess is on the root, every OU and every
        account) says the same at each: evaluated once per call, its trace events repeated."""
        key = (kind, np.name, np.source, id(np.document), np.error)
        hit = seen.get(key)
        if hit is not None:
            if tracer is not None:
                tracer.events.extend(hit[1])
            return hit[0]
        start = len(tracer.events) if tracer is not None else 0
        result = one(np, kind)
        seen[key] = (result, tracer.events[start:] if tracer is not None else [])
        return result

    def guarded(kind: str, guardrails: Guardrails | None) -> _Guarded:
        layer = _Guarded(kind, guardrails)
        if guardrails is None or guardrails.exempt is not None:
            return layer
        # the layer's answer to the same question is remembered across calls (see _GUARD_MEMO)
        memo_key = _guard_memo_key(guardrails, kind, request) if tracer is not None else None
        hit = _GUARD_MEMO.get(memo_key) if memo_key is not None else None
        if hit is not None and hit[2] is guardrails and tracer is not None:
            layer.levels = hit[0]
            tracer.events.extend(hit[1])
            return layer
        start = len(tracer.events) if tracer is not None else 0
        failed = len(errors)
        layer.levels = [(level, [once(np, kind) for np in level.policies]) for level in guardrails.levels]
        if memo_key is not None and tracer is not None and len(errors) == failed:
            if len(_GUARD_MEMO) >= GUARD_MEMO_SIZE:
                _GUARD_MEMO.clear()
            _GUARD_MEMO[memo_key] = (layer.levels, tuple(tracer.events[start:]), guardrails)
        return layer

    rcp_layer = guarded("rcp", rcps)
    scp_layer = guarded("scp", scps)
    id_results = each(identity, "identity")
    res_result = one(resource, "resource", has_boundary=boundary is not None) if resource is not None else None
    b_result = one(boundary, "boundary") if boundary is not None else None
    s_results = each(session, "session")
    results = id_results + ([res_result] if res_result else []) + ([b_result] if b_result else []) + s_results
    org_results = rcp_layer.results() + scp_layer.results()
    cross = p.is_iam and resource_account is not None and p.account is not None and p.account != resource_account
    steps: list[str] = []
    action, target = request.action, request.resource

    def decide(allowed: bool, effect: Effect, reason: str, deciding: list[StatementRef],
               denied_by: str | None = None) -> Decision:
        def layers() -> list[Layer]:
            return _waterfall(request, rcp_layer, scp_layer, id_results, res_result, b_result, s_results,
                              allowed=allowed, effect=effect, deciding=deciding, denied_by=denied_by)
        return Decision(allowed=allowed, effect=effect, reason=reason, deciding=deciding, request=request,
                        cross_account=cross, denied_by=denied_by, steps=steps, results=org_results + results,
                        events=tracer.events if tracer else None, layers_fn=layers, errors=errors)

    # 1. explicit deny anywhere: the organization's guardrails first (they are evaluated first), then the rest
    deny_refs = [r.ref(st) for r in org_results + results for st in r.denies]
    if deny_refs:
        first = deny_refs[0]
        first_result = next(r for r in org_results + results if r.denies)
        more = f" (and {len(deny_refs) - 1} more)" if len(deny_refs) > 1 else ""
        steps.append("an applicable Deny statement overrides every Allow")
        return decide(False, EXPLICIT_DENY, f"explicitly denied by statement {first.label} in "
                      f"{_describe(first_result, request)}{more}", deny_refs, first_result.role)
    steps.append("no applicable Deny statement")

    # 2-3. the organization's guardrails: an Allow at every level from the root to the account. Their Allows never
    # grant (they only let a request through), so an allow's deciding statements are the ones that granted it; the
    # guardrails' own show on their layers of the waterfall.
    for layer, whose in ((rcp_layer, "the resource's account"), (scp_layer, "the principal's account")):
        if not layer.in_play:
            continue
        failing = layer.failing_levels()
        name = "resource control" if layer.kind == "rcp" else "service control"
        if failing:
            where = ", ".join(f"{level.kind} `{level.name or level.id}`" for level in failing)
            steps.append(f"{name} policies of {whose} do not allow `{action}` at {where}")
            return decide(False, IMPLICIT_DENY, f"implicitly denied: no {name} policy attached to {where} allows "
                          f"`{action}` (an allow is needed at every level from the root to the account)", [],
                          layer.kind)
        steps.append(f"{name} policies of {whose} allow `{action}` at every level from the root to the account")

    # 4. the identity side: identity policies, then boundary, then session policies
    identity_refs = [r.ref(st) for r in id_results for st, _ in r.allows]
    boundary_refs = [b_result.ref(st) for st, _ in b_result.allows] if b_result else []
    session_refs = [r.ref(st) for r in s_results for st, _ in r.allows]
    session_ok: bool | None
    if s_results:
        session_ok = bool(session_refs)
    elif p.kind == "federated-user":
        session_ok = False  # GetFederationToken without a session policy: no identity-based permissions
    else:
        session_ok = None
    boundary_ok = None if b_result is None else bool(boundary_refs)

    identity_fail: tuple[str, str] | None = None  # (policy type, why)
    if not p.is_iam:
        identity_fail = ("identity", f"a {p.kind} principal has no identity-based policies")
    elif p.kind == "root":
        steps.append("the account root user has full access in its own account (identity side allows)")
    elif not identity_refs:
        identity_fail = ("identity", f"no identity-based policy allows `{action}` on `{target}`")
    elif boundary_ok is False and b_result is not None:
        identity_fail = ("boundary", f"an identity-based policy allows `{action}`, but the permissions boundary "
                                     f"`{b_result.name}` does not (a boundary only limits, it never grants)")
    elif session_ok is False:
        if s_results:
            identity_fail = ("session", f"an identity-based policy allows `{action}`, but no session policy does "
                                        "(a session policy only narrows the session, it never grants)")
        else:
            identity_fail = ("session", "this federated user session was created without a session policy, so "
                                        "it has no identity-based permissions")
    if identity_fail is None:
        id_side_refs = identity_refs + boundary_refs + (session_refs if session_ok else [])
        if p.is_iam and p.kind != "root":
            steps.append("identity side allows: " + ", ".join(f"{r.label} in `{r.policy}`" for r in id_side_refs))
    else:
        id_side_refs = []
        steps.append("identity side does not allow: " + identity_fail[1])

    # 5. the resource side
    res_allows = res_result.allows if res_result else []
    res_refs = [res_result.ref(st) for st, _ in res_allows] if res_result else []
    direct = [(st, how) for st, how in res_allows if how in _DIRECT]
    via_account = [(st, how) for st, how in res_allows if how == "account"]
    if res_result is not None:
        if res_allows:
            hows = ", ".join(sorted({how or "?" for _, how in res_allows}))
            steps.append(f"{_describe_resource_policy(res_result, request)} allows (principal matched by: {hows})")
        else:
            steps.append(f"{_describe_resource_policy(res_result, request)} does not allow this principal and action")

    # 6. cross-account: both sides
    if cross:
        steps.append(f"cross-account request: caller in {p.account}, resource in {resource_account}; "
                     "both sides must allow")
        if not res_allows or res_result is None:
            if res_result is None:
                why = (f"implicitly denied: cross-account request, and no resource-based policy in account "
                       f"{resource_account} grants {_principal_words(request)} access")
            else:
                why = (f"implicitly denied: cross-account request, and no statement in "
                       f"{_describe_resource_policy(res_result, request)} allows principal "
                       f"{_principal_words(request)} to perform `{action}`")
            return decide(False, IMPLICIT_DENY, why, [], "resource")
        if identity_fail is not None:
            kind, detail = identity_fail
            if kind == "identity":
                why = (f"cross-account: {_describe_resource_policy(res_result, request)} allows, but no identity "
                       f"policy in account {p.account} allows `{action}` on `{target}`")
            else:
                why = f"cross-account: {_describe_resource_policy(res_result, request)} allows, but {detail}"
            return decide(False, IMPLICIT_DENY, why, [], kind)
        return decide(True, ALLOW, f"allowed: cross-account - {_describe_resource_policy(res_result, request)} "
                      f"allows (statement {res_refs[0].label}) and account {p.account}'s identity side allows "
                      f"`{action}`", res_refs + id_side_refs)

    # 7. same account (or no account-bound resource)
    if direct and res_result is not None:
        st, how = direct[0]
        ref = res_result.ref(st)
        where = _describe_resource_policy(res_result, request)
        if not p.is_iam or p.kind == "root" or how in ("user", "session", "federated-user") or \
                (p.kind == "user" and how in ("*", "not-principal", "canonical")):
            steps.append("a same-account resource-based policy that names the caller directly grants on its own")
            return decide(True, ALLOW, f"allowed: statement {ref.label} in {where} names "
                          f"{_principal_words(request)} directly (matched by {how}); no identity-based policy is "
                          "needed in the same account", [ref] + id_side_refs)
        # a role ARN (or a wildcard) naming a role session / federated user: limited by boundary and session
        steps.append("a resource-based policy naming the role is still limited by the permissions boundary and "
                     "session policies")
        if boundary_ok is False and b_result is not None:
            return decide(False, IMPLICIT_DENY, f"implicitly denied: {where} allows the role, but the permissions "
                          f"boundary `{b_result.name}` does not allow `{action}`", [], "boundary")
        if session_ok is False:
            return decide(False, IMPLICIT_DENY, f"implicitly denied: {where} allows the role, but no session "
                          f"policy allows `{action}`", [], "session")
        return decide(True, ALLOW, f"allowed: statement {ref.label} in {where} names the role "
                      f"`{p.role_arn or p.display}` (matched by {how})",
                      [ref] + boundary_refs + (session_refs if session_ok else []))

    if via_account and res_result is not None:
        st, _ = via_account[0]
        ref = res_result.ref(st)
        where = _describe_resource_policy(res_result, request)
        steps.append("the resource-based policy names only the account, which delegates to its identity policies")
        if identity_fail is not None:
            kind, detail = identity_fail
            return decide(False, IMPLICIT_DENY, f"implicitly denied: {where} trusts account {p.account} "
                          f"(statement {ref.label}), which delegates to its own policies, but {detail}", [], kind)
        return decide(True, ALLOW, f"allowed: {where} trusts account {p.account} (statement {ref.label}) and "
                      + _identity_allow_words(id_side_refs), [ref] + id_side_refs)

    if resource_policy_required:
        if res_result is None:
            why = f"implicitly denied: `{action}` needs a resource-based policy on `{target}`, and there is none"
        else:
            why = (f"implicitly denied: no statement in {_describe_resource_policy(res_result, request)} allows "
                   f"principal {_principal_words(request)} to perform `{action}`")
        steps.append("the resource-based policy is required and does not allow")
        return decide(False, IMPLICIT_DENY, why, [], "resource")

    if identity_fail is not None:
        kind, detail = identity_fail
        return decide(False, IMPLICIT_DENY, f"implicitly denied: {detail}", [], kind)
    if p.kind == "root":
        return decide(True, ALLOW, "allowed: the account root user has full access in its own account", [])
    first = id_side_refs[0]
    return decide(True, ALLOW, f"allowed by statement {first.label} in policy `{first.policy}`",
                  id_side_refs)


# ------------------------------------------------------------------------------- organization policies' answers
GUARD_MEMO_SIZE = 4096
# (layer kind, the Guardrails, action, resource, the principal for RCPs, the values of the condition keys its
# policies read) -> (each level's PolicyResults, their trace events, the Guardrails). An account's organization
# policies are the same for every call of its principals (engine.guardrails builds one Guardrails per unchanged
# organization), so most calls ask a question already answered. Results and trace events are never changed once
# made; a policy with variables, or one that could not be read, is evaluated every time.
_GUARD_MEMO: dict[tuple[Any, ...], tuple[list[Any], tuple[Any, ...], Guardrails]] = {}
_MEMO_SHAPES: dict[int, tuple[Any, tuple[str, ...] | None]] = {}


def _memo_shape(guardrails: Guardrails) -> tuple[str, ...] | None:
    """The condition keys the layer's answer depends on, or None when it depends on more (policy variables)."""
    cached = _MEMO_SHAPES.get(id(guardrails))
    if cached is not None and cached[0] is guardrails:
        return cached[1]
    keys: set[str] | None = set()
    for np in (np for level in guardrails.levels for np in level.policies):
        if np.document is None or keys is None:
            keys = None
            break
        for st in np.document.statements:
            if st.resources is not None and st.resources.templates or any(c.has_variables for c in st.conditions):
                keys = None
                break
            keys.update(c.key_lc for c in st.conditions)
    shape = tuple(sorted(keys)) if keys is not None else None
    if len(_MEMO_SHAPES) >= GUARD_MEMO_SIZE:
        _MEMO_SHAPES.clear()
    _MEMO_SHAPES[id(guardrails)] = (guardrails, shape)
    return shape


def _guard_memo_key(guardrails: Guardrails, kind: str, request: AuthzRequest) -> tuple[Any, ...] | None:
    shape = _memo_shape(guardrails)
    if shape is None:
        return None
    values: tuple[Any, ...] = ()
    if shape:
        ctx = request.context_lc
        found = []
        for k in shape:
            v = ctx.get(k)
            found.append(tuple(v) if v.__class__ is list else v)
        values = tuple(found)
    p = request.principal
    who = (p.kind, p.arn, p.account, p.role_arn, p.service, p.federated) if kind == "rcp" else None
    return (kind, id(guardrails), request.action_lc, request.resource, who, values)


def _identity_allow_words(refs: list[StatementRef]) -> str:
    if not refs:
        return "the identity side allows"
    first = refs[0]
    return f"statement {first.label} in identity policy `{first.policy}` allows"


# ----------------------------------------------------------------------------------------------- the waterfall
def _verdict(results: list[PolicyResult]) -> tuple[Verdict, list[StatementRef]]:
    denies = [r.ref(st) for r in results for st in r.denies]
    if denies:
        return Verdict.DENY, denies
    allows = [r.ref(st) for r in results for st, _ in r.allows]
    return (Verdict.ALLOW, allows) if allows else (Verdict.SILENT, [])


def _guard_layer(layer: _Guarded) -> Layer:
    if layer.guardrails is None:
        return Layer(layer.kind, Verdict.NOT_IN_PLAY,
                     note="the account is in no organization that uses this policy type")
    if layer.guardrails.exempt is not None:
        return Layer(layer.kind, Verdict.NOT_IN_PLAY, note=layer.guardrails.exempt)
    levels = []
    for level, results in layer.levels:
        verdict, refs = _verdict(results)
        levels.append(LayerLevel(level.kind, level.id, level.name, verdict, [r.name for r in results], refs))
    if any(level.verdict is Verdict.DENY for level in levels):
        verdict = Verdict.DENY
        refs = [ref for level in levels if level.verdict is Verdict.DENY for ref in level.deciding]
    elif levels and all(level.verdict is Verdict.ALLOW for level in levels):
        verdict, refs = Verdict.ALLOW, [ref for level in levels for ref in level.deciding]
    else:
        verdict, refs = Verdict.SILENT, []
    note = "" if verdict is not Verdict.SILENT else "no Allow at " + ", ".join(
        f"{level.kind} `{level.name or level.id}`" for level in levels if level.verdict is not Verdict.ALLOW)
    return Layer(layer.kind, verdict, [r.name for r in layer.results()], refs, note, levels=levels)


def _waterfall(request: AuthzRequest, rcp_layer: _Guarded, scp_layer: _Guarded, id_results: list[PolicyResult],
               res_result: PolicyResult | None, b_result: PolicyResult | None, s_results: list[PolicyResult], *,
               allowed: bool, effect: Effect, deciding: list[StatementRef], denied_by: str | None) -> list[Layer]:
    """Every layer in AWS's order, with its own verdict; `decided` marks the layer(s) the answer came from."""
    p = request.principal
    layers = [_guard_layer(rcp_layer), _guard_layer(scp_layer)]
    if res_result is None:
        layers.append(Layer("resource", Verdict.NOT_IN_PLAY, note="no resource-based policy is attached"))
    else:
        verdict, refs = _verdict([res_result])
        layers.append(Layer("resource", verdict, [res_result.name], refs))
    if not p.is_iam:
        layers.append(Layer("identity", Verdict.NOT_IN_PLAY, note=f"a {p.kind} principal has no identity-based "
                            "policies"))
    elif p.kind == "root" and not id_results:
        layers.append(Layer("identity", Verdict.ALLOW, note="the account root user has full access in its own "
                            "account"))
    else:
        verdict, refs = _verdict(id_results)
        layers.append(Layer("identity", verdict, [r.name for r in id_results], refs))
    if b_result is None:
        layers.append(Layer("boundary", Verdict.NOT_IN_PLAY, note="no permissions boundary is set"))
    else:
        verdict, refs = _verdict([b_result])
        layers.append(Layer("boundary", verdict, [b_result.name], refs))
    if s_results:
        verdict, refs = _verdict(s_results)
        layers.append(Layer("session", verdict, [r.name for r in s_results], refs))
    elif p.kind == "federated-user":
        layers.append(Layer("session", Verdict.SILENT, note="a federated user session made without a session "
                            "policy has no identity-based permissions"))
    else:
        layers.append(Layer("session", Verdict.NOT_IN_PLAY, note="the session was made without a session policy"))
    if allowed:
        roles = {ref.role for ref in deciding}
        for layer in layers:
            layer.decided = layer.kind in roles or (layer.kind == "identity" and p.kind == "root" and
                                                    layer.verdict is Verdict.ALLOW and not roles)
    else:
        for layer in layers:
            layer.decided = layer.kind == denied_by and (effect is not EXPLICIT_DENY or layer.verdict is Verdict.DENY)
    return layers
