"""A second, independent reading of AWS's documented evaluation logic, for the engine-made questions.

It shares no code with engine/policy (only the standard library): it reads the exhibits' JSON as a learner sees
it and decides, from the IAM User Guide's rules, which of a generated question's options are true statements.
tests/web/test_quiz_generator.py runs it on a few hundred seeds; scripts/check_generator.py on 3,000 per level.

It covers exactly what quiz.generator composes (S3 actions and ARNs, AWS principals, and the condition operators
Bool, BoolIfExists, IpAddress, NotIpAddress, StringEquals); anything else raises, so a generator that grows past it
is noticed rather than mis-judged.

Rules (IAM User Guide: "Policy evaluation logic", "Cross-account policy evaluation logic", "Permissions boundaries
for IAM entities", "Session policies"):
- an applicable Deny in any policy decides (explicit deny);
- the identity side allows when an identity policy allows and, when present, the boundary and the session policy
  allow too;
- cross-account: the identity side and the bucket policy must both allow (the bucket policy may name the account);
- same account: the identity side allows, or the bucket policy allows by naming the caller directly: an IAM user's
  ARN or a role session's ARN grants on its own; a role's ARN grants within the boundary and session policy;
  naming only the account delegates to the identity side.
"""
from __future__ import annotations

import fnmatch
import ipaddress
from typing import Any, Iterable

KINDS = ("identity", "resource", "boundary", "session")


class Unsupported(ValueError):
    """A construct this evaluator does not model (so it cannot vouch for the question)."""


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _wild(pattern: str, value: str, *, case: bool) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _condition_holds(block: dict, context: dict[str, str]) -> bool:
    ctx = {k.lower(): v for k, v in context.items()}
    for operator, tests in block.items():
        for key, wanted in tests.items():
            present = key.lower() in ctx
            value = ctx.get(key.lower())
            wanted = [str(w) for w in _list(wanted)]
            if operator == "Bool":
                ok = present and value.lower() in [w.lower() for w in wanted]
            elif operator == "BoolIfExists":
                ok = (not present) or value.lower() in [w.lower() for w in wanted]
            elif operator == "StringEquals":
                ok = present and value in wanted
            elif operator in ("IpAddress", "NotIpAddress"):
                inside = present and any(ipaddress.ip_address(value) in ipaddress.ip_network(w) for w in wanted)
                ok = inside if operator == "IpAddress" else (not present or not inside)
            else:
                raise Unsupported(f"condition operator {operator}")
            if not ok:
                return False
    return True


def _principal_match(principal: Any, caller: dict) -> str | None:
    """How a bucket policy's Principal names the caller: "direct", "role", "account", "*" or None."""
    if principal == "*":
        return "*"
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        raise Unsupported(f"principal {principal!r}")
    best = None
    for value in _list(principal["AWS"]):
        if value == caller["arn"]:
            return "direct"
        if value == caller.get("role_arn"):
            best = "role"
        elif value in (f"arn:aws:iam::{caller['account']}:root", caller["account"]) and best is None:
            best = "account"
    return best


def _applies(statement: dict, action: str, resource: str, context: dict, caller: dict | None) -> str | None:
    """None when the statement does not apply; else how its principal matched ("" for identity-side policies)."""
    if not any(_wild(a, action, case=False) for a in _list(statement["Action"])):
        return None
    if not any(_wild(r, resource, case=True) for r in _list(statement["Resource"])):
        return None
    how = ""
    if caller is not None:
        how = _principal_match(statement["Principal"], caller)
        if how is None:
            return None
    if "Condition" in statement and not _condition_holds(statement["Condition"], context):
        return None
    return how


def _results(document: dict, action: str, resource: str, context: dict, caller: dict | None):
    allows, denies = [], []
    for statement in document["Statement"]:
        if set(statement) - {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}:
            raise Unsupported(f"statement fields {sorted(statement)}")
        how = _applies(statement, action, resource, context, caller)
        if how is not None:
            (allows if statement["Effect"] == "Allow" else denies).append(how)
    return allows, denies


def true_verdicts(policies: dict[str, dict], *, caller: dict, action: str, resource: str,
                  context: dict[str, str], resource_account: str) -> set[str]:
    """Every verdict key (allow, explicit-deny:<kind>, implicit-deny:<kind>) that truly describes this request,
    in the generator's meaning: "explicit-deny:K" when K holds an applicable Deny; "implicit-deny:K" when nothing
    denies, the request is refused, and K does not allow it (for the bucket policy: grants the caller nothing of
    its own)."""
    if set(policies) - set(KINDS) or "identity" not in policies or "resource" not in policies:
        raise Unsupported(f"policy kinds {sorted(policies)}")
    results = {kind: _results(doc, action, resource, context, caller if kind == "resource" else None)
               for kind, doc in policies.items()}
    denied_by = {kind for kind, (_, denies) in results.items() if denies}
    if denied_by:
        return {f"explicit-deny:{kind}" for kind in denied_by}

    def allows(kind: str) -> bool:
        return bool(results[kind][0]) if kind in results else True   # an absent boundary/session limits nothing

    identity_side = allows("identity") and allows("boundary") and allows("session")
    bucket_hows = set(results["resource"][0])
    cross = resource_account != caller["account"]
    if cross:
        allowed = identity_side and bool(bucket_hows)
    else:
        direct = "direct" in bucket_hows or (caller["kind"] == "user" and "*" in bucket_hows)
        via_role = ("role" in bucket_hows or (caller["kind"] != "user" and "*" in bucket_hows)) and \
            allows("boundary") and allows("session")
        allowed = identity_side or direct or via_role
    if allowed:
        return {"allow"}
    verdicts = {f"implicit-deny:{kind}" for kind in ("identity", "boundary", "session")
                if kind in results and not allows(kind)}
    grants_alone = bucket_hows - ({"account"} if not cross else set())
    if not grants_alone:
        verdicts.add("implicit-deny:resource")
    return verdicts


def judge(question) -> tuple[set[str], set[str]]:
    """(the option keys this evaluator finds true, the option keys the question marks right)."""
    spec = question.engine.spec
    policies = {ex.name: ex.policy for ex in question.exhibits}
    truths = true_verdicts(policies, caller=spec["principal"], action=spec["action"], resource=spec["resource"],
                           context=spec["context"], resource_account=spec["resource_account"])
    by_verdict = spec["decision_option"]
    return {by_verdict[v] for v in truths if v in by_verdict}, set(question.correct_keys)


def disagreements(questions: Iterable) -> list[str]:
    """Questions whose marked answer is not exactly the one true option, with what this evaluator found."""
    out = []
    for q in questions:
        true_keys, marked = judge(q)
        if true_keys != marked:
            out.append(f"{q.id}: marked {sorted(marked)}, true here {sorted(true_keys)}")
    return out
