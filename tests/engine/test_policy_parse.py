"""Parsing details the case files do not cover: accepted forms, warnings, positions, robustness."""
from __future__ import annotations

import json
import random

import pytest

from engine.errors import MalformedPolicyDocument
from engine.policy import AuthzRequest, NamedPolicy, Principal, authorize, parse_policy, policy_size

AUDIT_TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "TrustAuditors",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "SecureCart-audit-7f3e"}}
    },
    {
      "Sid": "TrustEc2",
      "Effect": "Allow",
      "Principal": {"Service": "ec2.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }
  ]
}"""


def test_it_records_each_statements_line_range():
    doc = parse_policy(AUDIT_TRUST, kind="trust")
    assert [s.lines for s in doc.statements] == [(4, 10), (11, 16)]
    assert [s.sid for s in doc.statements] == ["TrustAuditors", "TrustEc2"]
    assert doc.version == "2012-10-17" and doc.version_explicit
    assert doc.text == AUDIT_TRUST


def test_it_accepts_a_single_statement_object_and_dict_input():
    doc = parse_policy({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
                                                                "Resource": "*"}})
    assert len(doc.statements) == 1
    assert doc.statements[0].lines is None  # no text, no positions
    assert doc.statements[0].path == "Statement"


def test_dict_input_errors_carry_a_path_but_no_line():
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]})
    assert info.value.path == "Statement[0]"
    assert info.value.line is None and info.value.column is None


@pytest.mark.parametrize("principal", [
    {"AWS": "*"},   # a bare "*" is refused in trust policies: test_a_bare_wildcard_trust_principal_is_malformed
    {"AWS": "123456789012"},
    {"AWS": "arn:aws:iam::123456789012:root"},
    {"AWS": "arn:aws:iam::123456789012:user/division/alice"},
    {"AWS": "arn:aws:iam::123456789012:role/path/to/Dev"},
    {"AWS": "arn:aws:sts::123456789012:assumed-role/Dev/session-1"},
    {"AWS": "arn:aws:sts::123456789012:federated-user/bob"},
    {"AWS": ["123456789012", "arn:aws:iam::444455556666:root"]},
    {"Federated": "arn:aws:iam::123456789012:saml-provider/Okta"},
    {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
    {"Federated": "cognito-identity.amazonaws.com"},
    {"Federated": "accounts.google.com"},
    {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
    {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
], ids=json.dumps)
def test_it_accepts_every_documented_principal_form(principal):
    doc = parse_policy({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": principal,
                                                                "Action": "sts:AssumeRole"}}, kind="trust")
    assert doc.statements[0].principal is not None


def test_a_missing_version_is_read_as_2008_10_17_with_a_warning():
    doc = parse_policy('{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}')
    assert doc.version == "2008-10-17" and not doc.version_explicit
    assert any("Version" in w.message for w in doc.warnings)


def test_a_literal_variable_under_2008_is_warned_about():
    doc = parse_policy({"Version": "2008-10-17", "Statement": {
        "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}})
    assert any("plain text" in w.message for w in doc.warnings)


def test_an_aws_wildcard_trust_principal_is_accepted_with_a_warning():
    doc = parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},'
                       '"Action":"sts:AssumeRole"}}', kind="trust")
    assert doc.warnings and doc.warnings[0].path == "Statement.Principal.AWS"
    assert doc.warnings[0].line == 1


def test_a_bare_wildcard_trust_principal_is_malformed():
    # IAM answers `MalformedPolicyDocument: AssumeRolepolicy contained an invalid principal: "STAR":"*"` for a bare
    # "*" in a trust policy (observed: hashicorp/terraform-provider-aws#4248; aws/aws-cdk#5732, fixed by #5746),
    # while the same bare "*" stays valid in a bucket policy.
    with pytest.raises(MalformedPolicyDocument) as err:
        parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",'
                     '"Action":"sts:AssumeRole"}}', kind="trust")
    assert err.value.message.startswith('AssumeRolepolicy contained an invalid principal: "STAR":"*"')
    bucket = parse_policy('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",'
                          '"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}', kind="resource")
    assert bucket.statements[0].principal.wildcard


def test_an_invalid_condition_value_is_a_warning_and_never_matches():
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",'
            '"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/33","203.0.113.0/24"]}}}}')
    doc = parse_policy(text)
    assert any("not an IP address" in w.message for w in doc.warnings)
    alice = Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user")
    ok = authorize(AuthzRequest("s3:GetObject", "arn:aws:s3:::b/k", alice, {"aws:SourceIp": "203.0.113.4"}),
                   identity=[NamedPolicy("p", doc)])
    assert ok.allowed
    no = authorize(AuthzRequest("s3:GetObject", "arn:aws:s3:::b/k", alice, {"aws:SourceIp": "10.0.0.1"}),
                   identity=[NamedPolicy("p", doc)])
    assert not no.allowed


def test_kind_must_be_known():
    with pytest.raises(ValueError):
        parse_policy("{}", kind="tag-policy")


def test_policy_size_ignores_whitespace():
    assert policy_size('{ "a" :\n\t"b c" }') == len('{"a":"bc"}')


def test_operator_names_are_case_sensitive_and_resource_policy_sids_may_have_spaces():
    parse_policy({"Version": "2012-10-17", "Statement": {"Sid": "Public read", "Effect": "Allow", "Principal": "*",
                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}, kind="resource")
    with pytest.raises(MalformedPolicyDocument):
        parse_policy({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                      "Condition": {"bool": {"aws:SecureTransport": "true"}}}})


def _mutations(text: str, rng: random.Random, count: int):
    alphabet = '{}[]",:*?$ \n\tabcXYZ019-/\\\u00e9\u2019'
    for _ in range(count):
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            pos = rng.randrange(len(chars) + 1)
            if op < 0.4 and chars:
                del chars[min(pos, len(chars) - 1)]
            elif op < 0.8:
                chars.insert(pos, rng.choice(alphabet))
            elif chars:
                chars[min(pos, len(chars) - 1)] = rng.choice(alphabet)
        yield "".join(chars)


@pytest.mark.parametrize("kind", ["trust", "identity", "resource"])
def test_mangled_documents_fail_cleanly_never_crash(kind):
    rng = random.Random(20240501)
    for text in _mutations(AUDIT_TRUST, rng, 400):
        try:
            doc = parse_policy(text, kind=kind)
        except MalformedPolicyDocument as exc:
            assert exc.message and exc.path
            if exc.line is not None:
                assert exc.line >= 1 and exc.column >= 1
            continue
        # whatever parses must also evaluate and explain without raising
        p = Principal(arn="arn:aws:iam::987654321098:user/a", account="987654321098", kind="user")
        d = authorize(AuthzRequest("sts:AssumeRole", "arn:aws:iam::1:role/r", p, {"sts:ExternalId": "x"}),
                      resource=NamedPolicy("t", doc, "trust"), resource_account="123456789012")
        json.dumps(d.to_dict())


@pytest.mark.parametrize("value", [None, 1, 1.5, True, [], [1], {"a": None}, "x", [{}]])
def test_wrong_types_in_every_element_fail_cleanly(value):
    base = {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
    for field in list(base) + ["Version", "Statement", "Id"]:
        doc = {"Version": "2012-10-17", "Statement": [dict(base)]}
        if field in ("Version", "Statement", "Id"):
            doc[field] = value
        else:
            doc["Statement"][0][field] = value
        try:
            parse_policy(json.dumps(doc), kind="trust")
        except MalformedPolicyDocument as exc:
            assert exc.path
