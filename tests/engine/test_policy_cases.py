"""Data-driven policy tests in cedar-testing's shape: each case in tests/engine/cases/*.json holds policies, a
request and the expected decision / deciding statements / error, with a description citing the AWS doc."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import MalformedPolicyDocument
from engine.policy import (LAYER_ORDER, AuthzRequest, GuardrailLevel, Guardrails, NamedPolicy, Principal, authorize,
                           parse_policy)
from engine.policy.jsonpos import SourceMap

CASES = Path(__file__).parent / "cases"

PRINCIPALS = {
    "alice": Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user",
                       userid="AIDAALICEEXAMPLE00001", username="alice"),
    "auditor": Principal(arn="arn:aws:iam::987654321098:user/auditor", account="987654321098", kind="user",
                         username="auditor"),
    "dev-session": Principal(arn="arn:aws:sts::111122223333:assumed-role/Dev/dev-session", account="111122223333",
                             kind="assumed-role", role_arn="arn:aws:iam::111122223333:role/Dev",
                             userid="AROADEVEXAMPLE0000001:dev-session"),
    "fed-bob": Principal(arn="arn:aws:sts::111122223333:federated-user/bob", account="111122223333",
                         kind="federated-user", userid="111122223333:bob"),
    "root": Principal(arn="arn:aws:iam::111122223333:root", account="111122223333", kind="root"),
    "ec2": Principal(arn="", account=None, kind="service", service="ec2.amazonaws.com"),
    "github": Principal(arn="", account=None, kind="web-identity",
                        federated="arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"),
    "okta": Principal(arn="", account=None, kind="saml", federated="arn:aws:iam::111122223333:saml-provider/Okta"),
}


def load(name: str) -> list[dict]:
    return json.loads((CASES / name).read_text())


def _principal(spec) -> Principal:
    return PRINCIPALS[spec] if isinstance(spec, str) else Principal(**spec)


def _named(spec: dict, kind: str) -> NamedPolicy:
    return NamedPolicy(spec["name"], parse_policy(json.dumps(spec["policy"], indent=2), kind=spec.get("kind", kind)),
                       spec.get("source", kind))


def _ref_label(ref) -> str:
    return f"{ref.policy}:{ref.sid}" if ref.sid else f"{ref.policy}:#{ref.index}"


@pytest.mark.parametrize("case", load("authorization.json"), ids=lambda c: c["description"])
def test_authorization_case(case):
    request = AuthzRequest(case["action"], case["resource"], _principal(case["principal"]), case.get("context", {}))
    decision = authorize(
        request,
        identity=[_named(p, "identity") for p in case.get("identity", [])],
        resource=_named(case["resource_policy"], "resource") if case.get("resource_policy") else None,
        boundary=_named(case["boundary"], "boundary") if case.get("boundary") else None,
        session=[_named(p, "session") for p in case.get("session", [])],
        resource_account=case.get("resource_account"),
        resource_policy_required=case.get("resource_policy_required", False),
    )
    expect = case["expect"]
    assert decision.allowed is expect["allowed"], decision.reason
    assert decision.effect.value == expect["effect"], decision.reason
    assert [_ref_label(r) for r in decision.deciding] == expect["deciding"], decision.reason
    if "denied_by" in expect:
        assert decision.denied_by == expect["denied_by"], decision.reason
    if "reason_contains" in expect:
        assert expect["reason_contains"] in decision.reason
    # the explanation is always buildable and JSON-safe
    json.dumps(decision.to_dict())


@pytest.mark.parametrize("case", load("conditions.json"), ids=lambda c: c["description"])
def test_condition_case(case):
    version = case.get("version", "2012-10-17")
    statement = {"Sid": "Cond", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": case["condition"]}
    doc = {"Statement": [statement]} if version is None else {"Version": version, "Statement": [statement]}
    policy = NamedPolicy("ConditionUnderTest", parse_policy(json.dumps(doc)), "inline")
    request = AuthzRequest("s3:GetObject", "arn:aws:s3:::b/k", PRINCIPALS["alice"], case["context"])
    decision = authorize(request, identity=[policy])
    assert decision.allowed is case["expect"], decision.reason
    conditions = decision.trace[0]["statements"][0]["conditions"]
    assert len(conditions) == sum(len(block) for block in case["condition"].values())
    if "reason_code" in case:
        assert conditions[0]["reason_code"] == case["reason_code"], conditions[0]["reason"]


@pytest.mark.parametrize("case", load("malformed.json"), ids=lambda c: c["description"])
def test_malformed_case(case):
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(case["text"], kind=case["kind"])
    err = info.value
    assert err.code == "MalformedPolicyDocument"
    assert err.aws_message == case["aws_message"]
    assert err.message.startswith(case["aws_message"])
    assert err.path == case["path"]
    if "line" in case:
        assert err.line == case["line"], err.message
    if "column" in case:
        assert err.column == case["column"], err.message
    if "at" in case:
        offset = case["text"].index(case["at"])
        assert (err.line, err.column) == SourceMap(case["text"]).line_col(offset), err.message
    if "detail_contains" in case:
        assert case["detail_contains"] in err.message


def _guardrails(levels, kind: str, exempt: str | None) -> Guardrails | None:
    if levels is None:
        return None
    return Guardrails(tuple(GuardrailLevel(level["kind"], level["id"], level["name"],
                                           tuple(_named(p, kind) for p in level["policies"])) for level in levels),
                      exempt=exempt)


@pytest.mark.parametrize("case", load("organizations.json"), ids=lambda c: c["description"])
def test_organizations_case(case):
    """SCPs and RCPs, each case citing the Organizations or IAM User Guide page it follows (cites in the JSON)."""
    request = AuthzRequest(case["action"], case["resource"], _principal(case["principal"]), case.get("context", {}))
    decision = authorize(
        request,
        identity=[_named(p, "identity") for p in case.get("identity", [])],
        resource=_named(case["resource_policy"], "resource") if case.get("resource_policy") else None,
        resource_account=case.get("resource_account"),
        scps=_guardrails(case.get("scps"), "scp", case.get("scps_exempt")),
        rcps=_guardrails(case.get("rcps"), "rcp", case.get("rcps_exempt")),
    )
    expect = case["expect"]
    assert (decision.allowed, decision.effect.value) == (expect["allowed"], expect["effect"]), decision.reason
    assert [_ref_label(r) for r in decision.deciding] == expect["deciding"], decision.reason
    if "denied_by" in expect:
        assert decision.denied_by == expect["denied_by"], decision.reason
    if "message_ends" in expect:
        assert decision.access_denied_message(with_reason=True).endswith(expect["message_ends"])
    if "reason_contains" in expect:
        assert expect["reason_contains"] in decision.reason, decision.reason
    assert tuple(layer.kind for layer in decision.layers) == LAYER_ORDER
    verdicts = {layer.kind: layer.verdict.value for layer in decision.layers}
    assert {kind: verdicts[kind] for kind in expect["layers"]} == expect["layers"]
    assert [layer.kind for layer in decision.layers if layer.decided] == expect["decided"]
    json.dumps(decision.to_dict())
