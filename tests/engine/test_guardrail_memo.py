"""The organization policies' answers remembered across calls (engine/policy/authorizer.py _GUARD_MEMO): the same
Guardrails asked the same question answer from memory, with the same trace; anything the answer depends on (the
condition keys' values, the caller for RCPs, the action and resource, the policies themselves) is a new question;
policies with variables, or that could not be read, are evaluated every time."""
from __future__ import annotations

import json

import pytest

from engine.policy import (EXPLICIT_DENY, AuthzRequest, GuardrailLevel, Guardrails, NamedPolicy, Principal, Verdict,
                           authorize, parse_policy)
from engine.policy import authorizer, evaluator

ALICE = Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user", username="alice")
MALLORY = Principal(arn="arn:aws:iam::999988887777:user/mallory", account="999988887777", kind="user",
                    username="mallory")
READ = NamedPolicy("read", parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})), "identity")


def named(name: str, kind: str, *statements: dict) -> NamedPolicy:
    return NamedPolicy(name, parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
                                          kind=kind), kind)


FULL = named("FullAWSAccess", "scp", {"Effect": "Allow", "Action": "*", "Resource": "*"})
REGIONS = named("Regions", "scp", {"Sid": "TwoRegions", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                   "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}})
RCP_FULL = named("RCPFullAWSAccess", "rcp", {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
PERIMETER = named("Perimeter", "rcp", {"Sid": "Ours", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                       "Resource": "*",
                                       "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-ours"}}})


def layers(*attached: tuple[NamedPolicy, ...]) -> Guardrails:
    names = ("root", "ou", "account")
    return Guardrails(tuple(GuardrailLevel(names[i], f"{names[i]}-id", names[i], policies)
                            for i, policies in enumerate(attached)))


SCPS = layers((FULL,), (FULL, REGIONS), (FULL,))
RCPS = layers((RCP_FULL,), (RCP_FULL, PERIMETER), (RCP_FULL,))


@pytest.fixture(autouse=True)
def empty_memo():
    authorizer._GUARD_MEMO.clear()
    yield
    authorizer._GUARD_MEMO.clear()


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = evaluator.evaluate_policy

    def counting(np, request, **kwargs):
        seen.append(np.name)
        return real(np, request, **kwargs)
    monkeypatch.setattr(authorizer, "evaluate_policy", counting)
    return seen


def ask(principal: Principal = ALICE, region: str = "eu-west-1", resource: str = "arn:aws:s3:::b/k",
        org: str | None = "o-ours", scps: Guardrails = SCPS, rcps: Guardrails = RCPS):
    context = {"aws:RequestedRegion": region, "aws:username": principal.username}
    if org:
        context["aws:PrincipalOrgID"] = org
    request = AuthzRequest("s3:GetObject", resource, principal, context)
    return authorize(request, identity=[READ], resource_account="111122223333", scps=scps, rcps=rcps)


def test_a_policy_attached_at_several_levels_is_evaluated_once_per_call(evaluations: list[str]) -> None:
    assert ask().allowed
    assert sorted(evaluations) == ["FullAWSAccess", "Perimeter", "RCPFullAWSAccess", "Regions", "read"]


def test_the_same_question_is_answered_from_memory_with_the_same_answer_and_trace(evaluations: list[str]) -> None:
    first = ask()
    evaluations.clear()
    again = ask()
    assert evaluations == ["read"]                  # only the identity policy was evaluated again
    assert again.to_dict()["layers"] == first.to_dict()["layers"]
    assert again.trace == first.trace               # the explanation shows every policy as evaluated


def test_another_value_of_a_condition_key_is_another_question() -> None:
    assert ask(region="eu-west-1").allowed
    refused = ask(region="us-east-2")
    assert refused.effect is EXPLICIT_DENY and refused.denied_by == "scp"
    assert ask(region="eu-west-1").allowed          # and the first answer was not overwritten
    assert not ask(region="us-east-2").allowed


def test_an_rcp_answers_each_caller_for_itself() -> None:
    assert ask(ALICE).allowed
    outsider = ask(MALLORY, org="o-theirs", scps=None)
    assert outsider.effect is EXPLICIT_DENY and outsider.denied_by == "rcp"
    assert ask(MALLORY, org=None, scps=None).denied_by == "rcp"   # ...IfExists: in no organization is outside too
    colleague = ask(MALLORY, org="o-ours", scps=None)                 # another account of the organization
    assert colleague.layer("rcp").verdict is Verdict.ALLOW and colleague.denied_by == "resource"
    assert ask(ALICE).allowed


def test_another_resource_or_another_policy_set_is_another_question(evaluations: list[str]) -> None:
    ask()
    evaluations.clear()
    ask(resource="arn:aws:s3:::b/other")
    assert "Regions" in evaluations
    evaluations.clear()
    stricter = layers((FULL,), (FULL, named("Regions", "scp", {"Effect": "Deny", "Action": "s3:*",
                                                                "Resource": "*"})), (FULL,))
    assert not ask(scps=stricter).allowed           # an edited SCP is a new Guardrails: evaluated, and it denies


def test_policies_with_variables_are_evaluated_every_time(evaluations: list[str]) -> None:
    own = named("OwnPrefix", "scp", {"Effect": "Deny", "Action": "s3:GetObject",
                                     "NotResource": "arn:aws:s3:::b/${aws:username}/*"})
    scps = layers((FULL,), (FULL, own), (FULL,))
    assert not ask(scps=scps).allowed
    evaluations.clear()
    assert not ask(scps=scps).allowed
    assert "OwnPrefix" in evaluations
    assert ask(scps=scps, resource="arn:aws:s3:::b/alice/k").allowed


def test_a_policy_that_could_not_be_read_is_reported_on_every_call() -> None:
    broken = NamedPolicy("Broken", None, "scp", error="the stored policy cannot be read: no")
    scps = layers((FULL,), (FULL, broken), (FULL,))
    for _ in range(2):
        decision = ask(scps=scps)
        assert [e.policy for e in decision.errors] == ["Broken"]


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert authorizer.GUARD_MEMO_SIZE == 4096           # the default
    monkeypatch.setattr(authorizer, "GUARD_MEMO_SIZE", 3)   # three, to overflow it in ten questions
    for i in range(10):
        ask(resource=f"arn:aws:s3:::b/{i}")
    assert len(authorizer._GUARD_MEMO) <= 3
