"""Combining policy results into a Decision (IAM User Guide: reference_policies_evaluation-logic,
reference_policies_evaluation-logic-cross-account, access_policies_boundaries, access_policies#policies_session).

1. An applicable Deny in any policy wins.
2. Cross-account (an IAM caller of account A, a resource of account B): both sides must allow - A's identity
   side (identity policies, then boundary and session policies) and B's resource-based policy.
3. Same account: a resource-based policy allow that names the caller directly grants on its own - for an IAM
   user ARN not limited by identity policies or boundary; for a role ARN limited by the boundary and session
   policies; for a role-session or federated-user ARN not limited at all. A resource policy that names only the
   account delegates to it: the identity side must allow too.
4. A required resource policy (a role trust policy for sts:AssumeRole*) must allow.
5. Otherwise the identity side decides.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .evaluator import PolicyResult, StatementRef, Tracer, evaluate_policy
from .model import AuthzRequest, NamedPolicy

ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"

_DIRECT = ("user", "role", "session", "federated-user", "*", "service", "federated", "canonical", "not-principal")


class Decision:
    """The answer, its reason, the statements that decided it, and (lazily) the full explanation."""

    __slots__ = ("allowed", "effect", "reason", "deciding", "request", "cross_account", "denied_by", "steps",
                 "results", "events", "_trace")

    def __init__(self, *, allowed: bool, effect: str, reason: str, deciding: list[StatementRef],
                 request: AuthzRequest, cross_account: bool, denied_by: str | None, steps: list[str],
                 results: list[PolicyResult], events: list[tuple[Any, ...]] | None) -> None:
        self.allowed = allowed
        self.effect = effect
        self.reason = reason
        self.deciding = deciding
        self.request = request
        self.cross_account = cross_account
        self.denied_by = denied_by  # which policy type denied: identity|resource|boundary|session
        self.steps = steps
        self.results = results
        self.events = events
        self._trace = None

    def __repr__(self) -> str:
        return f"Decision({self.effect}: {self.reason})"

    @property
    def explicit_deny(self) -> bool:
        return self.effect == EXPLICIT_DENY

    @property
    def trace(self) -> list[dict[str, Any]]:
        """Every policy considered, each statement and element, each condition (built on first use)."""
        if self._trace is None:
            from .trace import build_policies
            self._trace = build_policies(self.events or [], self.request)
        return self._trace

    def access_denied_message(self, *, with_reason: bool = False) -> str:
        """AWS's AccessDenied wording: "User: <arn> is not authorized to perform: <action> on resource: <arn>".
        with_reason adds the clause newer AWS services append ("because no identity-based policy allows ...")."""
        p = self.request.principal
        msg = (f"User: {p.display} is not authorized to perform: {self.request.action} "
               f"on resource: {self.request.resource}")
        if with_reason and not self.allowed:
            kind = {"identity": "an identity-based policy", "resource": "a resource-based policy",
                    "boundary": "a permissions boundary", "session": "a session policy"}
            if self.effect == EXPLICIT_DENY and self.denied_by:
                msg += f" with an explicit deny in {kind[self.denied_by]}"
            elif self.denied_by == "identity":
                msg += f" because no identity-based policy allows the {self.request.action} action"
            elif self.denied_by == "resource":
                msg += f" because no resource-based policy allows the {self.request.action} action"
            elif self.denied_by == "boundary":
                msg += f" because no permissions boundary allows the {self.request.action} action"
            elif self.denied_by == "session":
                msg += f" because no session policy allows the {self.request.action} action"
        return msg

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "effect": self.effect,
            "reason": self.reason,
            "deciding": [r.to_dict() for r in self.deciding],
            "cross_account": self.cross_account,
            "denied_by": self.denied_by,
            "steps": list(self.steps),
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
    return f"policy `{result.name}`"


def _principal_words(request: AuthzRequest) -> str:
    p = request.principal
    return f"`{p.display}`"


def authorize(request: AuthzRequest, *, identity: Iterable[NamedPolicy] = (), resource: NamedPolicy | None = None,
              boundary: NamedPolicy | None = None, session: Iterable[NamedPolicy] = (),
              resource_account: str | None = None, resource_policy_required: bool = False,
              trace: bool = True, between_policies: Callable[[], None] | None = None) -> Decision:
    """Decide one request; see the module docstring. `session` holds the inline and managed session policies
    (their union narrows the session). For a federated user (GetFederationToken) an empty `session` means the
    call had no session policy, so the session has no identity-based permissions.

    `between_policies` is called after each policy evaluated (the Lab yields the CPU there to other learners'
    threads, so a caller with many large policies holds nobody up for longer than one policy)."""
    tracer = Tracer() if trace else None
    p = request.principal

    def each(policies: Iterable[NamedPolicy], role: str) -> list[PolicyResult]:
        out = []
        for np in policies:
            out.append(evaluate_policy(np.document, request, name=np.name, source=np.source, role=role,
                                       tracer=tracer))
            if between_policies is not None:
                between_policies()
        return out

    id_results = each(identity, "identity")
    res_result = (evaluate_policy(resource.document, request, name=resource.name, source=resource.source,
                                  role="resource", tracer=tracer, has_boundary=boundary is not None)
                  if resource is not None else None)
    b_result = (evaluate_policy(boundary.document, request, name=boundary.name, source=boundary.source,
                                role="boundary", tracer=tracer) if boundary is not None else None)
    s_results = each(session, "session")
    results = id_results + ([res_result] if res_result else []) + ([b_result] if b_result else []) + s_results
    cross = p.is_iam and resource_account is not None and p.account is not None and p.account != resource_account
    steps: list[str] = []
    action, target = request.action, request.resource

    def decide(allowed: bool, effect: str, reason: str, deciding: list[StatementRef],
               denied_by: str | None = None) -> Decision:
        return Decision(allowed=allowed, effect=effect, reason=reason, deciding=deciding, request=request,
                        cross_account=cross, denied_by=denied_by, steps=steps, results=results,
                        events=tracer.events if tracer else None)

    # 1. explicit deny anywhere
    deny_refs = [r.ref(st) for r in results for st in r.denies]
    if deny_refs:
        first = deny_refs[0]
        first_result = next(r for r in results if r.denies)
        more = f" (and {len(deny_refs) - 1} more)" if len(deny_refs) > 1 else ""
        steps.append("an applicable Deny statement overrides every Allow")
        return decide(False, EXPLICIT_DENY, f"explicitly denied by statement {first.label} in "
                      f"{_describe(first_result, request)}{more}", deny_refs, first_result.role)
    steps.append("no applicable Deny statement")

    # 2. the identity side: identity policies, then boundary, then session policies
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
    elif boundary_ok is False:
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

    # 3. the resource side
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

    # 4. cross-account: both sides
    if cross:
        steps.append(f"cross-account request: caller in {p.account}, resource in {resource_account}; "
                     "both sides must allow")
        if not res_allows:
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

    # 5. same account (or no account-bound resource)
    if direct:
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
        if boundary_ok is False:
            return decide(False, IMPLICIT_DENY, f"implicitly denied: {where} allows the role, but the permissions "
                          f"boundary `{b_result.name}` does not allow `{action}`", [], "boundary")
        if session_ok is False:
            return decide(False, IMPLICIT_DENY, f"implicitly denied: {where} allows the role, but no session "
                          f"policy allows `{action}`", [], "session")
        return decide(True, ALLOW, f"allowed: statement {ref.label} in {where} names the role "
                      f"`{p.role_arn or p.display}` (matched by {how})",
                      [ref] + boundary_refs + (session_refs if session_ok else []))

    if via_account:
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
    return decide(True, ALLOW, f"allowed by statement {first.label} in policy `{first.policy}`", id_side_refs)


def _identity_allow_words(refs: list[StatementRef]) -> str:
    if not refs:
        return "the identity side allows"
    first = refs[0]
    return f"statement {first.label} in identity policy `{first.policy}` allows"
