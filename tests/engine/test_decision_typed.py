"""The typed Decision: an Effect enum (never a bare string), the waterfall of layers in AWS's order with each
layer's verdict and the statements that decided, and diagnostics for policies that could not be evaluated
(reported in the decision, never raised, as cedar's authorizer reports erroring policies)."""
from __future__ import annotations

import json

import pytest

from engine.policy import (ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, LAYER_ORDER, AuthzRequest, Decision, Effect,
                           NamedPolicy, Principal, Verdict, authorize, parse_policy)
from engine.policy.evaluator import PolicyResult

ALICE = Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user", username="alice")
SESSION = Principal(arn="arn:aws:sts::111122223333:assumed-role/Dev/s", account="111122223333",
                    kind="assumed-role", role_arn="arn:aws:iam::111122223333:role/Dev")
GET = AuthzRequest("s3:GetObject", "arn:aws:s3:::logs/a.json", ALICE)


def policy(name: str, *statements: dict, kind: str = "identity") -> NamedPolicy:
    return NamedPolicy(name, parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
                                          kind=kind), kind)


def allow(action: str = "s3:GetObject", sid: str = "Read") -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": "*"}


def deny(action: str = "s3:GetObject", sid: str = "No") -> dict:
    return {"Sid": sid, "Effect": "Deny", "Action": action, "Resource": "*"}


def verdicts(decision: Decision) -> dict[str, str]:
    return {layer.kind: layer.verdict.value for layer in decision.layers}


def test_effect_is_an_enum_not_a_string_and_to_dict_writes_its_value() -> None:
    decision = authorize(GET, identity=[policy("p", allow())])
    assert decision.effect is ALLOW and isinstance(decision.effect, Effect)
    assert not isinstance(decision.effect, str)      # a str-enum would compare equal to "Allow" and hide mistakes
    assert decision.effect != "Allow"
    assert decision.to_dict()["effect"] == "Allow"


def test_a_decision_made_with_a_string_effect_is_refused() -> None:
    # the mistake: code that still writes effect="ImplicitDeny" (the lab did, before the enum)
    with pytest.raises(TypeError):
        Decision(allowed=False, effect="ImplicitDeny", reason="x", deciding=[], request=GET, cross_account=False,
                 denied_by="identity", steps=[], results=[], events=[])


def test_to_dict_is_json_safe_with_layers_and_errors() -> None:
    broken = NamedPolicy("Broken", None, "inline", error="the stored policy cannot be read: Syntax errors")
    decision = authorize(GET, identity=[policy("p", allow()), broken])
    data = json.loads(json.dumps(decision.to_dict()))
    assert [layer["kind"] for layer in data["layers"]] == list(LAYER_ORDER)
    assert data["errors"] == [{"policy": "Broken", "layer": "identity",
                               "message": "the stored policy cannot be read: Syntax errors"}]
    assert {type(value) for value in data["layers"][0].values()} <= {str, bool, list}


def test_every_layer_has_a_verdict_in_aws_order_and_the_deciding_one_is_marked() -> None:
    boundary = policy("OnlyS3List", allow("s3:ListBucket"), kind="boundary")
    decision = authorize(GET, identity=[policy("Admin", allow("*"))], boundary=boundary)
    assert decision.effect is IMPLICIT_DENY and decision.denied_by == "boundary"
    assert tuple(layer.kind for layer in decision.layers) == LAYER_ORDER
    assert verdicts(decision) == {"rcp": "not-in-play", "scp": "not-in-play", "resource": "not-in-play",
                                  "identity": "allow", "boundary": "silent", "session": "not-in-play"}
    assert [layer.kind for layer in decision.layers if layer.decided] == ["boundary"]
    identity = decision.layer("identity")
    assert [ref.sid for ref in identity.deciding] == ["Read"] and not identity.decided


def test_an_explicit_deny_marks_its_layer_and_its_statement() -> None:
    session = policy("narrow", deny(sid="NoReads"), kind="session")
    decision = authorize(AuthzRequest("s3:GetObject", "arn:aws:s3:::logs/a", SESSION),
                         identity=[policy("RolePolicy", allow())], session=[session])
    assert decision.effect is EXPLICIT_DENY
    layer = decision.layer("session")
    assert layer.verdict is Verdict.DENY and layer.decided and [r.sid for r in layer.deciding] == ["NoReads"]
    assert decision.layer("identity").verdict is Verdict.ALLOW and not decision.layer("identity").decided


def test_a_same_account_bucket_policy_naming_the_user_decides_alone() -> None:
    bucket = policy("bucket policy", {"Sid": "Alice", "Effect": "Allow", "Action": "s3:GetObject",
                                      "Principal": {"AWS": ALICE.arn}, "Resource": "*"}, kind="resource")
    decision = authorize(GET, resource=bucket, resource_account="111122223333")
    assert decision.allowed
    assert verdicts(decision)["resource"] == "allow" and verdicts(decision)["identity"] == "silent"
    assert [layer.kind for layer in decision.layers if layer.decided] == ["resource"]


def test_an_unreadable_identity_policy_is_reported_and_grants_nothing() -> None:
    broken = NamedPolicy("Legacy", None, "inline", error="the stored policy cannot be read: bad")
    decision = authorize(GET, identity=[broken])
    assert decision.effect is IMPLICIT_DENY and decision.denied_by == "identity"
    assert [(e.policy, e.layer) for e in decision.errors] == [("Legacy", "identity")]
    assert decision.trace[0]["error"] == "the stored policy cannot be read: bad"


def test_an_unreadable_boundary_limits_to_nothing_instead_of_vanishing() -> None:
    # The mistake this catches: skipping a boundary the lab cannot read as if none were set, which would grant
    # everything the identity policies allow (a limit that fails must fail closed).
    broken = NamedPolicy("BrokenBoundary", None, "boundary", error="the stored policy cannot be read: bad")
    decision = authorize(GET, identity=[policy("Admin", allow("*"))], boundary=broken)
    assert not decision.allowed and decision.denied_by == "boundary"
    assert verdicts(decision)["boundary"] == "silent"
    assert [e.policy for e in decision.errors] == ["BrokenBoundary"]


def test_a_policy_whose_evaluation_crashes_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.policy.authorizer as authorizer

    real = authorizer.evaluate_policy

    def crash_on_evil(np, request, **kwargs) -> PolicyResult:
        if getattr(np, "name", "") == "Evil":
            raise RecursionError("boom")
        return real(np, request, **kwargs)

    monkeypatch.setattr(authorizer, "evaluate_policy", crash_on_evil)
    decision = authorize(GET, identity=[policy("Evil", allow()), policy("Good", allow())])
    assert decision.allowed and [ref.policy for ref in decision.deciding] == ["Good"]
    assert [(e.policy, e.message) for e in decision.errors] == [
        ("Evil", "the policy could not be evaluated: RecursionError")]
