"""challenges.probes' reading of the engine's Decision (as the gateway serialises it): which Allow statements matched
the request and were stopped only by their conditions. The checker's explanation and the "which condition key"
answer both use it."""
from __future__ import annotations

from challenges import checks, probes


def statement(sid: str, effect: str, *, applies: bool, action: bool = True, conditions: list | None = None) -> dict:
    return {"sid": sid, "effect": effect, "applies": applies, "principal": {"matched": True},
            "action": {"matched": action}, "resource": {"matched": True}, "conditions": conditions or []}


MFA_FAILED = {"key": "aws:MultiFactorAuthPresent", "operator": "Bool", "outcome": False}
EXTERNAL_ID_MET = {"key": "sts:ExternalId", "operator": "StringEquals", "outcome": True}
DECISION = {"allowed": False, "reason": "no statement allows it", "policies": [
    {"name": "Audit trust policy", "role": "resource", "statements": [
        statement("Deny", "Deny", applies=False, conditions=[MFA_FAILED]),                  # a Deny never "would allow"
        statement("OtherAction", "Allow", applies=False, action=False, conditions=[MFA_FAILED]),   # not this request
        statement("NeedsMFA", "Allow", applies=False, conditions=[EXTERNAL_ID_MET, MFA_FAILED]),
    ]},
    {"name": "Identity policy", "role": "identity", "statements": [statement("Allowed", "Allow", applies=True)]},
]}


def test_only_the_allow_that_matched_but_for_its_conditions_is_named():
    """The mistakes: counting a Deny, an Allow for another action, or the Allow that applied."""
    found = probes.allowing_but_for_conditions(DECISION)
    assert [(policy["name"], st["sid"]) for policy, st in found] == [("Audit trust policy", "NeedsMFA")]
    assert probes.allowing_but_for_conditions(None) == []


def test_the_failing_condition_key_is_the_one_that_was_not_met():
    assert checks.failing_condition_key(DECISION) == "aws:MultiFactorAuthPresent"   # not the ExternalId it met
    assert checks.failing_condition_key({"policies": []}) == ""
