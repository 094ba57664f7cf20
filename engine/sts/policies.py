"""Bridge to engine.policy: parsed-document cache and NamedPolicy construction.

Parsing is the expensive part of evaluation, and the same few documents are evaluated on every call, so parsed
documents are cached by (kind, text). The cache is bounded; a learner editing a policy simply creates a new key.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from engine.directory import PolicyText

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
    from engine.sts.policy_api import parse_policy
    document = parse_policy(text, kind=kind)
    with _cache_lock:
        _cache[key] = document
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return document


def named(name: str, text: str, kind: str, source: str) -> Any:
    from engine.sts.policy_api import NamedPolicy
    return NamedPolicy(name=name, document=parsed(text, kind), source=source)


def named_lenient(policy: PolicyText, kind: str, source: str) -> Any | None:
    """A stored policy (already accepted by IAM/moto) as a NamedPolicy; one our parser rejects is skipped.

    moto validates less than IAM does, so a stored document may fail our stricter grammar. Skipping it (it then
    grants nothing) is the safe reading; the explanation shows which policies took part.
    """
    from engine.errors import MalformedPolicyDocument
    try:
        return named(policy.arn or policy.name, policy.text, kind, source)
    except MalformedPolicyDocument:
        return None


def cache_size() -> int:
    return len(_cache)
