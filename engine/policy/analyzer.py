"""IAM Access Analyzer's custom policy checks, CheckNoNewAccess and CheckAccessNotGranted, answered by evaluating
requests, and beyond AWS: the request that shows it (a counterexample).

AWS decides these checks by automated reasoning over the policies. The lab searches a small finite set of candidate
requests built from the two policies' own principals, actions, resources and condition values (each condition key
absent, set to each value a policy names, to each side of a number, inside and outside an IP range, true and
false), evaluates each candidate with the engine that decides real calls, and reports a request the new policy
allows and the existing one refuses. A FAIL is therefore always shown by a concrete request; a PASS means no
candidate was found (the answer says how many were tried): a lab choice, since the lab has no solver.

Result shapes and wording are AWS's (CheckNoNewAccess: "The modified permissions grant new access compared to your
existing policy.", reasons "New access in the statement with index: 0."; CheckAccessNotGranted: "The policy document
grants access to perform one or more of the listed actions or resources.", reasons "One or more of the listed
actions or resources in the statement with sid: X."); the PASS messages and the `counterexample` member are the
lab's (botocore's model has no such member; SDKs ignore it).
"""
from __future__ import annotations

import fnmatch
import ipaddress
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .catalog import service_actions
from .document import PolicyDocument, PolicyError, Statement, parse_policy
from .evaluator import PolicyResult, evaluate_policy
from .model import AuthzRequest, Principal

MAX_CANDIDATES = 4000          # requests evaluated per check at most (two policies each)
OUTSIDER_ACCOUNT = "999988887777"
LAB_ACCOUNT = "111122223333"
SAMPLE_ACTIONS = ("s3:GetObject", "s3:PutObject", "iam:PassRole", "iam:CreateAccessKey", "ec2:RunInstances",
                  "sts:AssumeRole")
TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession",
                 "sts:SetSourceIdentity")
# Keys a principal carries rather than the request: they come with the candidate principal, never varied alone.
PRINCIPAL_KEYS = {"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid", "aws:username"}


class CheckError(ValueError):
    """A document the check cannot read (the gateway answers it as Access Analyzer's ValidationException)."""


@dataclass
class Candidate:
    principal: Principal
    action: str
    resource: str
    context: dict[str, str]
    absent: tuple[str, ...] = ()      # keys the request does not carry (named in the counterexample)

    def request(self) -> AuthzRequest:
        return AuthzRequest(self.action, self.resource, self.principal, self.context)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: what the page shows and what the console replays."""
        caller = self.principal.arn or self.principal.service or self.principal.federated or "anyone"
        return {"caller": caller, "principal_kind": self.principal.kind, "account": self.principal.account,
                "action": self.action, "resource": self.resource,
                "context": {k: v for k, v in sorted(self.context.items()) if k.lower() not in PRINCIPAL_KEYS},
                "absent": list(self.absent)}


@dataclass
class CheckResult:
    result: str                                 # PASS | FAIL
    message: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    counterexample: Candidate | None = None
    tried: int = 0

    def to_aws(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"result": self.result, "message": self.message, "reasons": self.reasons}
        if self.counterexample is not None:
            answer["counterexample"] = self.counterexample.to_dict()
        return answer


def read(text: str, policy_type: str) -> PolicyDocument:
    """IDENTITY_POLICY or RESOURCE_POLICY (a role trust policy is a resource policy without Resource)."""
    if policy_type == "IDENTITY_POLICY":
        kinds = ["identity"]
    elif policy_type == "RESOURCE_POLICY":
        kinds = ["resource", "trust"]
    else:
        raise CheckError(f"Unsupported policy type {policy_type}.")
    error: PolicyError | None = None
    for kind in kinds:
        try:
            return parse_policy(text, kind=kind)
        except PolicyError as refused:
            error = error or refused
    assert error is not None
    raise CheckError(error.message)


# ---- candidates ------------------------------------------------------------------------------------------------------
def _principal_from_arn(arn: str) -> Principal | None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or not parts[4]:
        return None
    account, resource = parts[4], parts[5]
    if parts[2] == "iam" and resource.startswith("user/"):
        name = resource.rsplit("/", 1)[-1]
        return Principal(arn=arn, account=account, kind="user", username=name, userid=f"AIDA{name.upper()[:12]}")
    if parts[2] == "iam" and resource.startswith("role/"):
        name = resource.rsplit("/", 1)[-1]
        return Principal(arn=f"arn:aws:sts::{account}:assumed-role/{name}/counterexample", account=account,
                         kind="assumed-role", role_arn=arn)
    if parts[2] == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        return Principal(arn=arn, account=account, kind="assumed-role",
                         role_arn=f"arn:aws:iam::{account}:role/{role}")
    if resource == "root":
        return Principal(arn=f"arn:aws:iam::{account}:user/any-user", account=account, kind="user",
                         username="any-user")
    return None


def _principals(documents: Iterable[PolicyDocument]) -> list[Principal]:
    """Who may be calling, for resource policies: everyone the policies name, and someone they do not."""
    found: list[Principal] = []
    seen: set[tuple[str, str]] = set()

    def add(principal: Principal | None) -> None:
        if principal is not None and (principal.kind, principal.display) not in seen:
            seen.add((principal.kind, principal.display))
            found.append(principal)

    for document in documents:
        for statement in document.statements:
            matcher = statement.principal
            if matcher is not None:
                for arn in sorted(matcher.arns):
                    add(_principal_from_arn(arn))
                for account in sorted(matcher.accounts):
                    add(_principal_from_arn(f"arn:aws:iam::{account}:root"))
                for service in sorted(matcher.services):
                    add(Principal(arn="", account=None, kind="service", service=service))
                for federated in sorted(matcher.federated):
                    kind = "saml" if ":saml-provider/" in federated else "web-identity"
                    add(Principal(arn="", account=None, kind=kind, federated=federated))
            for condition in statement.conditions:
                if condition.key_lc == "aws:principalarn":
                    for value in condition.values:
                        add(_principal_from_arn(value.replace("*", "counterexample").replace("?", "x")))
                elif condition.key_lc == "aws:principalaccount":
                    for value in condition.values:
                        if value.isdigit():
                            add(_principal_from_arn(f"arn:aws:iam::{value}:root"))
    add(_principal_from_arn(f"arn:aws:iam::{OUTSIDER_ACCOUNT}:user/outsider"))
    return found


def _principal_context(principal: Principal) -> dict[str, str]:
    context: dict[str, str] = {}
    if principal.is_iam:
        context["aws:PrincipalArn"] = principal.role_arn or principal.arn
        context["aws:PrincipalAccount"] = principal.account or ""
        context["aws:PrincipalType"] = "AssumedRole" if principal.kind == "assumed-role" else "User"
        if principal.username:
            context["aws:username"] = principal.username
    elif principal.kind == "service":
        context["aws:PrincipalServiceName"] = principal.service or ""
        context["aws:PrincipalIsAWSService"] = "true"
    return context


def _expand(pattern: str) -> list[str]:
    """Concrete actions a pattern matches: itself, or a few of its service's actions."""
    if "*" not in pattern and "?" not in pattern:
        return [pattern]
    if pattern == "*":
        return list(SAMPLE_ACTIONS)
    prefix = pattern.split(":", 1)[0]
    if "*" in prefix or "?" in prefix:
        return [a for a in SAMPLE_ACTIONS if fnmatch.fnmatchcase(a.lower(), pattern.lower())]
    known = service_actions(prefix) or frozenset()
    names = sorted(f"{prefix}:{name}" for name in known if fnmatch.fnmatchcase(f"{prefix}:{name}".lower(),
                                                                                pattern.lower()))
    preferred = [a for a in SAMPLE_ACTIONS + TRUST_ACTIONS if a in names]
    return (preferred + [n for n in names if n not in preferred])[:3]


def _actions(documents: list[PolicyDocument], wanted: list[str] | None) -> list[str]:
    if wanted:
        return list(dict.fromkeys(a for pattern in wanted for a in _expand(pattern)))
    found: list[str] = []
    trust = any(d.kind == "trust" for d in documents)
    for document in documents:
        for statement in document.statements:
            for pattern in statement.actions.patterns:
                if trust and pattern.lower() in ("sts:*", "*", "sts:assumerole*"):
                    found += [a for a in TRUST_ACTIONS if fnmatch.fnmatchcase(a.lower(), pattern.lower())]
                else:
                    found += _expand(pattern)
            if statement.action_negated:
                found += list(SAMPLE_ACTIONS)
    return list(dict.fromkeys(found)) or list(SAMPLE_ACTIONS)


def _concrete(pattern: str) -> str:
    return pattern.replace("${", "").replace("}", "").replace("*", "counterexample").replace("?", "x")


def _resources(documents: list[PolicyDocument], wanted: list[str] | None, role_arn: str | None) -> list[str]:
    if wanted:
        return list(dict.fromkeys(_concrete(r) for r in wanted))
    found: list[str] = []
    for document in documents:
        for statement in document.statements:
            if statement.resources is not None:
                found += [_concrete(r) for r in statement.resources.patterns if r != "*"]
    if any(d.kind == "trust" for d in documents):
        found.insert(0, role_arn or f"arn:aws:iam::{LAB_ACCOUNT}:role/the-role")
    return list(dict.fromkeys(found)) or [f"arn:aws:s3:::any-bucket/any-key"]


def _values(condition: Any) -> list[str]:
    """Values worth trying for one condition: each value it names and the other side of it."""
    base = condition.base or ""
    values = [_concrete(v) if "Like" in base else v for v in condition.values]
    out: list[str] = []
    if base.startswith("Bool"):
        out += ["true", "false"]
    elif base.startswith("Numeric"):
        for v in values:
            try:
                number = float(v)
            except ValueError:
                continue
            out += [_number(number), _number(number - 1), _number(number + 1)]
    elif base.endswith("IpAddress"):
        for v in values:
            try:
                network = ipaddress.ip_network(v, strict=False)
            except ValueError:
                continue
            out += [str(network.network_address), str(network.broadcast_address)]   # both ends of the range
        out.append("198.51.100.23")
    elif base.startswith("Date"):
        out += values + ["2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]
    elif base.startswith("Arn"):
        out += values + [f"arn:aws:iam::{OUTSIDER_ACCOUNT}:root"]
    elif base == "Null":
        out += ["present"]
    else:
        out += values + ["something-else"]
    return list(dict.fromkeys(out))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _contexts(documents: list[PolicyDocument]) -> list[dict[str, str | None]]:
    """Assignments of the condition keys (None: absent), simplest first: all absent; each statement's conditions
    satisfied, and each of those with one key changed; each key alone."""
    conditions = [c for d in documents for s in d.statements for c in s.conditions
                  if c.key_lc not in PRINCIPAL_KEYS]
    keys: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for condition in conditions:
        keys.setdefault(condition.key_lc, condition.key)
        values.setdefault(condition.key_lc, [])
        values[condition.key_lc] += [v for v in _values(condition) if v not in values[condition.key_lc]]
    out: list[dict[str, str | None]] = [{k: None for k in keys}]
    for document in documents:
        for statement in document.statements:
            satisfied = _satisfying(statement, values)
            if satisfied is None:
                continue
            full = {k: satisfied.get(k) for k in keys}
            out.append(full)
            for key in satisfied:
                for value in [None] + values[key]:
                    if value != satisfied[key]:
                        out.append({**full, key: value})
    for key in keys:
        for value in values[key]:
            out.append({**{k: None for k in keys}, key: value})
    unique: list[dict[str, str | None]] = []
    seen: set[tuple[tuple[str, str | None], ...]] = set()
    for assignment in out:
        marker = tuple(sorted(assignment.items(), key=lambda kv: kv[0]))
        if marker not in seen:
            seen.add(marker)
            unique.append({keys[k]: v for k, v in assignment.items()})
    unique.sort(key=lambda a: sum(v is not None for v in a.values()))
    return unique


def _satisfying(statement: Statement, values: dict[str, list[str]]) -> dict[str, str | None] | None:
    """One value per key making each of the statement's conditions true, when the candidates hold one."""
    chosen: dict[str, str | None] = {}
    for condition in statement.conditions:
        if condition.key_lc in PRINCIPAL_KEYS:
            continue
        options: list[str | None] = [chosen[condition.key_lc]] if condition.key_lc in chosen else \
            [None] + values.get(condition.key_lc, [])
        for option in options:
            context = {condition.key_lc: option} if option is not None else {}
            if condition.evaluate(context)[0]:
                chosen[condition.key_lc] = option
                break
        else:
            return None
    return chosen


def candidates(documents: list[PolicyDocument], *, actions: list[str] | None = None,
               resources: list[str] | None = None, role_arn: str | None = None,
               caller: Principal | None = None) -> Iterable[Candidate]:
    resource_side = any(d.kind in ("resource", "trust") for d in documents)
    principals = _principals(documents) if resource_side else [caller or Principal(
        arn=f"arn:aws:iam::{LAB_ACCOUNT}:user/policy-holder", account=LAB_ACCOUNT, kind="user",
        username="policy-holder")]
    contexts = _contexts(documents)
    for context, principal, action, resource in itertools.product(
            contexts, principals, _actions(documents, actions), _resources(documents, resources, role_arn)):
        present = {k: v for k, v in context.items() if v is not None}
        absent = tuple(k for k, v in context.items() if v is None)
        yield Candidate(principal, action, resource, {**_principal_context(principal), **present}, absent)


def _allows(document: PolicyDocument, request: AuthzRequest) -> PolicyResult | None:
    role = "resource" if document.kind in ("resource", "trust") else "identity"
    result = evaluate_policy(document, request, role=role)
    return result if result.allowed else None


def _reason(statement: Statement, words: str) -> dict[str, Any]:
    reason: dict[str, Any] = {"statementIndex": statement.index}
    if statement.sid:
        reason["statementId"] = statement.sid
        reason["description"] = f"{words} in the statement with sid: {statement.sid}."
    else:
        reason["description"] = f"{words} in the statement with index: {statement.index}."
    return reason


# ---- the checks ------------------------------------------------------------------------------------------------------
def check_no_new_access(new: PolicyDocument, existing: PolicyDocument, *, role_arn: str | None = None,
                        limit: int = MAX_CANDIDATES, between: Callable[[], None] | None = None) -> CheckResult:
    """`between` is called after each candidate (the gateway yields the CPU there to other learners' requests: a
    check of two large policies evaluates thousands of requests)."""
    tried = 0
    first: Candidate | None = None
    new_statements: dict[int, Statement] = {}
    for candidate in candidates([new, existing], role_arn=role_arn):
        if tried >= limit:
            break
        tried += 1
        if between is not None:
            between()
        request = candidate.request()
        granted = _allows(new, request)
        if granted is None or _allows(existing, request) is not None:
            continue
        first = first or candidate
        for statement, _ in granted.allows:
            new_statements.setdefault(statement.index, statement)
    if first is None:
        return CheckResult("PASS", "The modified permissions do not grant new access compared to your existing "
                           f"policy (no request among the {tried} the lab tried).", tried=tried)
    reasons = [_reason(s, "New access") for _, s in sorted(new_statements.items())]
    return CheckResult("FAIL", "The modified permissions grant new access compared to your existing policy.",
                       reasons, first, tried)


def check_access_not_granted(document: PolicyDocument, access: list[dict[str, Any]], *,
                             limit: int = MAX_CANDIDATES, between: Callable[[], None] | None = None) -> CheckResult:
    actions = [a for entry in access for a in entry.get("actions") or []]
    resources = [r for entry in access for r in entry.get("resources") or []]
    if not actions and not resources:
        raise CheckError("The access must list at least one action or resource.")
    what = " or ".join(w for w, listed in (("actions", actions), ("resources", resources)) if listed)
    tried = 0
    first: Candidate | None = None
    granting: dict[int, Statement] = {}
    for candidate in candidates([document], actions=actions or None, resources=resources or None):
        if tried >= limit:
            break
        tried += 1
        if between is not None:
            between()
        granted = _allows(document, candidate.request())
        if granted is None:
            continue
        first = first or candidate
        for statement, _ in granted.allows:
            granting.setdefault(statement.index, statement)
    if first is None:
        return CheckResult("PASS", f"The policy document does not grant access to perform the listed {what} (no "
                           f"request among the {tried} the lab tried).", tried=tried)
    reasons = [_reason(s, f"One or more of the listed {what}") for _, s in sorted(granting.items())]
    return CheckResult("FAIL", f"The policy document grants access to perform one or more of the listed {what}.",
                       reasons, first, tried)
