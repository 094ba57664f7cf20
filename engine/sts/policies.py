"""Bridge to engine.policy: parsed-document cache and NamedPolicy construction.

Parsing is the expensive part of evaluation, and the same few documents are evaluated on every call, so parsed
documents are cached by (kind, text). The cache is bounded; a learner editing a policy simply creates a new key.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from engine.directory import PolicyText
from engine.errors import MalformedPolicyDocument
from engine.policy import NamedPolicy, parse_policy

_CACHE_SIZE = 4096
_cache: "OrderedDict[tuple[str, str], Any]" = OrderedDict()
_cache_lock = threading.Lock()


def parsed(text: str, kind: str) -> Any:
    """engine.policy.parse_policy(text, kind=kind), cached. Raises MalformedPolicyDocument like parse_policy."""
    key = (kind, text)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    document = parse_policy(text, kind=kind)
    with _cache_lock:
        _cache[key] = document
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return document


def named(name: str, text: str, kind: str, source: str) -> Any:
    return NamedPolicy(name=name, document=parsed(text, kind), source=source)


def named_lenient(policy: PolicyText, kind: str, source: str) -> Any:
    """A stored policy (already accepted by IAM/moto) as a NamedPolicy; one our parser rejects comes back with its
    `error` set and no document.

    moto validates less than IAM does, so a stored document may fail our grammar. The authorizer then lets it
    allow nothing (a boundary or session policy it cannot read limits the caller to nothing) and reports it in
    Decision.errors, so the explanation says which policy could not be read and why.
    """
    return named_or_error(policy.arn or policy.name, policy.text, kind, source)


def named_or_error(name: str, text: str, kind: str, source: str) -> Any:
    """named(...), or a NamedPolicy carrying the parse error instead of a document."""
    try:
        return named(name, text, kind, source)
    except MalformedPolicyDocument as error:
        return NamedPolicy(name=name, document=None, source=source, error=f"the stored policy cannot be read: "
                           f"{error.message}")


def caller_policies(directory: Any, caller: Any) -> tuple[list[Any], Any | None, list[Any]]:
    """(identity NamedPolicies, boundary NamedPolicy | None, session NamedPolicies) that apply to `caller`
    (engine.sts.caller.Caller; None or root: none). Read through `directory` (engine.directory.Directory) now, so an
    edited or deleted policy applies to the next call; a deleted role's sessions keep no permissions."""
    if caller is None or caller.is_root:
        return [], None, []
    session = caller.session
    policies: list[PolicyText] = []
    boundary_arn: str | None = None
    if caller.is_role_session and session is not None and session.role_arn:
        role = directory.role_by_arn(session.role_arn)
        if role is not None:            # a deleted role's sessions keep no permissions
            policies = role.policies
            boundary_arn = role.boundary_arn
    elif caller.user_name:
        user = directory.user(caller.account, caller.user_name)
        if user is not None:
            policies = user.policies
            boundary_arn = user.boundary_arn
    identity = [named_lenient(t, "identity", t.source) for t in policies]
    boundary = None
    if boundary_arn:
        text = directory.managed_policy_text(boundary_arn)
        if text is not None:
            boundary = named_lenient(PolicyText(boundary_arn.rsplit("/", 1)[-1], text, boundary_arn),
                                     "boundary", "boundary")
    session_policies: list[Any] = []
    if session is not None and session.kind in ("assumed-role", "federated-user"):
        session_policies = [named_lenient(t, "session", "session") for t in session.session_policies]
    return identity, boundary, session_policies


def cache_size() -> int:
    return len(_cache)
