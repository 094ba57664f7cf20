"""The engine.policy names engine/sts uses, imported in one place (the package's own exports when present)."""
from __future__ import annotations

try:
    from engine.policy import AuthzRequest, Decision, NamedPolicy, Principal, authorize, parse_policy
except ImportError:  # the package __init__ may not re-export yet
    from engine.policy.authorizer import Decision, authorize
    from engine.policy.document import parse_policy
    from engine.policy.model import AuthzRequest, NamedPolicy, Principal

__all__ = ["AuthzRequest", "Decision", "NamedPolicy", "Principal", "authorize", "parse_policy"]
