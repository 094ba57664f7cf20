"""IAM policy language: parsing/validation, evaluation, combination, and the explanation trace.

Public API
----------
parse_policy(text_or_dict, *, kind="identity") -> PolicyDocument
    kind: "identity" | "trust" | "resource" | "boundary" | "session". Raises PolicyError, a
    MalformedPolicyDocument carrying .message (AWS wording + what/where), .aws_message (IAM's phrase only),
    .detail, .line/.column (1-based, text input only) and .path ("Statement[0].Condition.StringEquals...").
    PolicyDocument.warnings lists non-fatal findings (no Version, `Principal: *` in a trust policy, ...).
check_policy(text_or_dict, *, kind) -> {"ok", "error", "warnings", "statements"}   never raises (editor use)
Principal, AuthzRequest(action, resource, principal, context)       the request side (context keys case-insensitive)
NamedPolicy(name, document, source, error=None)                     a policy handed to authorize() (error: unreadable)
Guardrails(levels=(GuardrailLevel(kind, id, name, policies), ...), exempt=None)   SCPs or RCPs of one account
evaluate_policy(doc, request, *, name=None, role=None, tracer=None) -> PolicyResult   one policy
authorize(request, *, identity=[...], resource=None, boundary=None, session=[...], resource_account=None,
          resource_policy_required=False, scps=None, rcps=None, trace=True) -> Decision
Decision: .allowed, .effect (Effect.ALLOW | EXPLICIT_DENY | IMPLICIT_DENY), .reason, .deciding [StatementRef],
    .denied_by (identity|resource|boundary|session|scp|rcp), .cross_account, .steps, .layers [Layer: the waterfall
    in AWS's order, each with its Verdict], .errors [Diagnostic: policies that could not be evaluated],
    .trace (list of policy dicts), .to_dict() (JSON-safe), .access_denied_message()
global_context(principal, *, now, source_ip, secure_transport, temporary, mfa_authenticated_at, ...) -> dict
render_text(decision) -> str                                        plain-text explanation
"""
from __future__ import annotations

from .authorizer import (ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, LAYER_ORDER, Decision, Diagnostic, Effect, Layer,
                         LayerLevel, Verdict, authorize)
from .context import global_context, iso8601
from .document import (KINDS, PolicyDocument, PolicyError, Statement, check_policy, find_bad_character,
                       parse_policy, policy_size)
from .evaluator import PolicyResult, StatementRef, Tracer, evaluate_policy
from .model import AuthzRequest, GuardrailLevel, Guardrails, NamedPolicy, Principal
from .trace import render_text

__all__ = [
    "ALLOW", "EXPLICIT_DENY", "IMPLICIT_DENY", "LAYER_ORDER", "AuthzRequest", "Decision", "Diagnostic", "Effect",
    "GuardrailLevel", "Guardrails", "KINDS", "Layer", "LayerLevel", "NamedPolicy", "PolicyDocument", "Verdict",
    "PolicyError", "PolicyResult", "Principal", "Statement", "StatementRef", "Tracer", "authorize", "check_policy",
    "evaluate_policy", "find_bad_character", "global_context", "iso8601", "parse_policy", "policy_size",
    "render_text",
]
