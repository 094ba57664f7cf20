"""The explanation (trace) and the Decision API the web pages and the gateway use."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from engine.policy import (ALLOW, AuthzRequest, NamedPolicy, Principal, Tracer, authorize, evaluate_policy,
                           global_context, parse_policy, render_text)

AUDITOR = Principal(arn="arn:aws:iam::987654321098:user/auditor", account="987654321098", kind="user",
                    username="auditor")
ROLE = "arn:aws:iam::123456789012:role/SecureCart-AuditRole"
TRUST_TEXT = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "TrustAuditors",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "SecureCart-audit-7f3e"}}
    }
  ]
}"""


def trust() -> NamedPolicy:
    return NamedPolicy("SecureCart-AuditRole trust policy", parse_policy(TRUST_TEXT, kind="trust"), "trust")


def test_a_failed_condition_is_explained_with_operator_key_values_and_reason():
    request = AuthzRequest("sts:AssumeRole", ROLE, AUDITOR, {"sts:ExternalId": "guess"})
    decision = authorize(request, resource=trust(), resource_account="123456789012", resource_policy_required=True)
    assert not decision.allowed
    assert decision.reason == ("implicitly denied: cross-account request, and no statement in the trust policy of "
                               f"role `{ROLE}` allows principal `{AUDITOR.arn}` to perform `sts:AssumeRole`")
    out = decision.to_dict()
    json.dumps(out)
    [policy] = out["policies"]
    assert policy["role"] == "resource" and policy["outcome"] == "no-match"
    [st] = policy["statements"]
    assert st["sid"] == "TrustAuditors" and st["lines"] == [4, 10] and st["applies"] is False
    assert st["principal"]["matched"] and st["principal"]["entry"] == "987654321098"
    assert st["action"]["matched"] and st["action"]["matched_pattern"] == "sts:AssumeRole"
    assert st["resource"] is None  # trust policies have no Resource
    [cond] = st["conditions"]
    assert cond["operator"] == "StringEquals" and cond["key"] == "sts:ExternalId"
    assert cond["policy_values"] == ["SecureCart-audit-7f3e"] and cond["request_values"] == ["guess"]
    assert cond["outcome"] is False and cond["line"] == 9
    assert cond["reason"] == "request value `guess` does not match [`SecureCart-audit-7f3e`]"
    assert "condition StringEquals on `sts:ExternalId`" in st["summary"]


def test_an_absent_key_is_shown_as_absent():
    request = AuthzRequest("sts:AssumeRole", ROLE, AUDITOR, {})
    decision = authorize(request, resource=trust(), resource_account="123456789012", resource_policy_required=True)
    cond = decision.trace[0]["statements"][0]["conditions"][0]
    assert cond["request_values"] is None and cond["reason_code"] == "absent"
    assert "is not in the request" in cond["reason"]


def test_an_action_mismatch_lists_the_statements_actions():
    doc = parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow",'
                       '"Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}}')
    alice = Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user")
    decision = authorize(AuthzRequest("s3:PutObject", "arn:aws:s3:::b/k", alice), identity=[NamedPolicy("Read", doc)])
    action = decision.trace[0]["statements"][0]["action"]
    assert action["reason"] == "action `s3:PutObject` is not in [`s3:GetObject`, `s3:ListBucket`]"
    assert decision.reason == "implicitly denied: no identity-based policy allows `s3:PutObject` on `arn:aws:s3:::b/k`"
    assert decision.access_denied_message() == ("User: arn:aws:iam::111122223333:user/alice is not authorized to "
                                                "perform: s3:PutObject on resource: arn:aws:s3:::b/k")
    assert decision.access_denied_message(with_reason=True).endswith(
        "because no identity-based policy allows the s3:PutObject action")


def test_deciding_statements_carry_policy_sid_and_lines():
    identity = NamedPolicy("AssumeAudit", parse_policy(
        '{\n"Version":"2012-10-17",\n"Statement":{\n"Sid":"Assume",\n"Effect":"Allow",\n"Action":"sts:AssumeRole",'
        f'\n"Resource":"{ROLE}"}}\n}}'))
    request = AuthzRequest("sts:AssumeRole", ROLE, AUDITOR, {"sts:ExternalId": "SecureCart-audit-7f3e"})
    decision = authorize(request, identity=[identity], resource=trust(), resource_account="123456789012",
                         resource_policy_required=True)
    assert decision.allowed and decision.effect is ALLOW and decision.cross_account
    refs = [r.to_dict() for r in decision.deciding]
    assert refs[0]["policy"] == "SecureCart-AuditRole trust policy" and refs[0]["sid"] == "TrustAuditors"
    assert refs[0]["lines"] == [4, 10] and refs[0]["role"] == "resource"
    assert refs[1]["policy"] == "AssumeAudit" and refs[1]["sid"] == "Assume" and refs[1]["lines"] == [3, 7]
    assert refs[1]["actions"] == ["sts:AssumeRole"] and refs[1]["resources"] == [ROLE]
    text = render_text(decision)
    assert "statement `TrustAuditors` (Allow lines 4-10): applies: Allow" in text


def test_without_trace_the_decision_is_the_same_and_the_trace_is_empty():
    request = AuthzRequest("sts:AssumeRole", ROLE, AUDITOR, {"sts:ExternalId": "SecureCart-audit-7f3e"})
    quick = authorize(request, resource=trust(), resource_account="123456789012", resource_policy_required=True,
                      trace=False)
    assert quick.allowed is False and quick.denied_by == "identity"
    assert quick.trace == []


def test_evaluate_policy_reports_to_a_tracer():
    tracer = Tracer()
    request = AuthzRequest("sts:AssumeRole", ROLE, AUDITOR, {"sts:ExternalId": "SecureCart-audit-7f3e"})
    result = evaluate_policy(trust(), request, tracer=tracer)
    assert result.allowed and result.role == "resource" and result.allows[0][1] == "account"
    assert [e[0] for e in tracer.events] == ["policy", "statement"]


def test_explicit_deny_names_every_denying_statement():
    doc = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        {"Sid": "NoUsers", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]})
    alice = Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user")
    d = authorize(AuthzRequest("iam:CreateUser", "arn:aws:iam::111122223333:user/eve", alice),
                  identity=[NamedPolicy("Guard", doc)])
    assert [r.sid for r in d.deciding] == ["NoIam", "NoUsers"]
    assert d.reason == "explicitly denied by statement `NoIam` in policy `Guard` (and 1 more)"
    assert d.explicit_deny


def test_global_context_for_a_role_session_with_mfa():
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    session = Principal(arn="arn:aws:sts::123456789012:assumed-role/Dev/alice", account="123456789012",
                        kind="assumed-role", role_arn="arn:aws:iam::123456789012:role/team/Dev",
                        userid="AROAEXAMPLE:alice", tags={"team": "red", "Env": "dev"})
    ctx = global_context(session, now=now, source_ip="203.0.113.9", secure_transport=True,
                         mfa_authenticated_at=now - timedelta(seconds=90), token_issued_at=now - timedelta(minutes=5),
                         source_identity="alice@example.com", principal_tags={"env": "prod"})
    assert ctx["aws:PrincipalArn"] == "arn:aws:iam::123456789012:role/team/Dev"  # the role, not the session
    assert ctx["aws:PrincipalAccount"] == "123456789012" and ctx["aws:PrincipalType"] == "AssumedRole"
    assert ctx["aws:userid"] == "AROAEXAMPLE:alice" and "aws:username" not in ctx
    assert ctx["aws:MultiFactorAuthPresent"] == "true" and ctx["aws:MultiFactorAuthAge"] == "90"
    assert ctx["aws:TokenIssueTime"] == "2026-05-01T11:55:00Z"
    assert ctx["aws:CurrentTime"] == "2026-05-01T12:00:00Z" and ctx["aws:EpochTime"] == str(int(now.timestamp()))
    assert ctx["aws:SourceIp"] == "203.0.113.9" and ctx["aws:SecureTransport"] == "true"
    assert ctx["aws:SourceIdentity"] == "alice@example.com"
    # session tags override role tags regardless of case
    assert ctx["aws:PrincipalTag/env"] == "prod" and "aws:PrincipalTag/Env" not in ctx
    assert ctx["aws:PrincipalTag/team"] == "red"


def test_global_context_for_an_iam_user_with_long_term_keys():
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    alice = Principal(arn="arn:aws:iam::123456789012:user/alice", account="123456789012", kind="user",
                      userid="AIDAEXAMPLE", username="alice")
    ctx = global_context(alice, now=now, source_ip="198.51.100.1", secure_transport=False)
    assert ctx["aws:username"] == "alice" and ctx["aws:PrincipalType"] == "User"
    # long-term keys: no MFA keys, no token issue time (so BoolIfExists admits them)
    assert "aws:MultiFactorAuthPresent" not in ctx and "aws:MultiFactorAuthAge" not in ctx
    assert "aws:TokenIssueTime" not in ctx and ctx["aws:SecureTransport"] == "false"
    # the documented pitfall, end to end
    trust_doc = parse_policy({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}}, kind="trust")
    allow_all = parse_policy({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:*",
                                                                     "Resource": "*"}})
    d = authorize(AuthzRequest("sts:AssumeRole", "arn:aws:iam::123456789012:role/R", alice, ctx),
                  identity=[NamedPolicy("sts", allow_all)], resource=NamedPolicy("R trust", trust_doc, "trust"),
                  resource_account="123456789012", resource_policy_required=True)
    assert d.allowed


def test_check_policy_never_raises_and_reports_position():
    from engine.policy import check_policy
    bad = check_policy('{"Version": "2012-10-17",\n "Statement": {"Effect": "Allow", "Action": "s3:*"}}')
    assert bad["ok"] is False
    assert bad["error"]["aws_message"] == "Policy statement must contain resources."
    assert (bad["error"]["line"], bad["error"]["column"]) == (2, 2)  # the "Statement" member
    good = check_policy(TRUST_TEXT, kind="trust")
    assert good["ok"] and good["statements"][0]["lines"] == [4, 10]
    assert check_policy(12, kind="trust")["ok"] is False  # wrong type, still an answer


def test_the_trace_carries_a_copy_of_the_document_as_evaluated():
    # build_policies copies each document with a JSON-tree copy (not copy.deepcopy); the mistake it must not make:
    # handing out the engine's own parsed document, so a page changing what it shows changes what is evaluated next.
    policy = trust()
    request = AuthzRequest("sts:AssumeRole", ROLE, AUDITOR, {"sts:ExternalId": "SecureCart-audit-7f3e"})
    first = authorize(request, resource=policy, resource_account="123456789012", resource_policy_required=True)
    shown = first.to_dict()["policies"][0]["document"]
    assert shown == json.loads(TRUST_TEXT)
    shown["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "changed"
    shown["Statement"].append({"Effect": "Deny", "Action": "*", "Resource": "*"})
    again = authorize(request, resource=policy, resource_account="123456789012", resource_policy_required=True)
    assert again.reason == first.reason and again.to_dict()["policies"][0]["document"] == json.loads(TRUST_TEXT)
