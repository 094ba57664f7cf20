"""The parser's refusals that an outside corpus of AWS-validated answers lists as accepted by IAM (issue 25), each
decided against AWS's documentation: accepted as IAM accepts them, with a warning that says what they do (nothing),
or kept refused where the lab chooses to, with the reason. Also IAM's words for a document that is not JSON."""
from __future__ import annotations

import json

import pytest

from engine.errors import MalformedPolicyDocument
from engine.policy import AuthzRequest, NamedPolicy, Principal, authorize, parse_policy

ALICE = Principal(arn="arn:aws:iam::111122223333:user/alice", account="111122223333", kind="user", username="alice")


def doc(statement: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def decide(statement: dict, action: str = "s3:GetObject", context: dict | None = None):
    policy = NamedPolicy("p", parse_policy(doc(statement)), "inline")
    return authorize(AuthzRequest(action, "arn:aws:s3:::b/k", ALICE, context or {}), identity=[policy])


@pytest.mark.parametrize("action", ["s3:Get Object", "s3:GetObject,PutObject"])
def test_an_action_with_a_space_or_a_comma_is_saved_and_matches_nothing(action: str) -> None:
    # IAM User Guide, reference_policies_grammar: <action_string> = "*" | <service>:<action> with no limit on the
    # action's characters; outside corpus: IAM accepted both. The mistake: refusing a policy IAM saves.
    statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
    document = parse_policy(doc(statement))
    assert any("space or a comma" in w.message for w in document.warnings)
    assert not decide(statement, "s3:GetObject").allowed and not decide(statement, "s3:PutObject").allowed


def test_two_colons_stay_refused_in_iams_words() -> None:
    # observed wording (garnaat/kappa#111): "Actions/Condition can contain only one colon."
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(doc({"Effect": "Allow", "Action": "s3:GetObject,s3:PutObject", "Resource": "*"}))
    assert info.value.aws_message == "Actions/Condition can contain only one colon."


def test_a_condition_key_without_a_vendor_is_saved_and_read_as_absent() -> None:
    # IAM User Guide, reference_policies_grammar: <condition_key_string> is any string; outside corpus: accepted.
    statement = {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                 "Condition": {"IpAddress": {"SourceIp": "203.0.113.0/24"}}}
    assert any("`SourceIp` has no service prefix" in w.message for w in parse_policy(doc(statement)).warnings)
    # the absent key fails IpAddress even when aws:SourceIp is in range: the key named is not that one
    assert not decide(statement, context={"aws:SourceIp": "203.0.113.7"}).allowed
    if_exists = dict(statement, Condition={"IpAddressIfExists": {"SourceIp": "203.0.113.0/24"}})
    assert decide(if_exists, context={"aws:SourceIp": "198.51.100.1"}).allowed


@pytest.mark.parametrize("operator", ["a", "StringEquals"])
def test_an_empty_condition_block_is_saved_and_tests_nothing(operator: str) -> None:
    # outside corpus: {"a": {}} accepted (the operator of an empty block is not checked); the lab reads it as no
    # condition, so the statement applies
    statement = {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {operator: {}}}
    document = parse_policy(doc(statement))
    assert document.statements[0].conditions == () and document.warnings
    assert decide(statement).allowed


def test_an_unknown_operator_with_keys_stays_refused() -> None:
    with pytest.raises(MalformedPolicyDocument):
        parse_policy(doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                          "Condition": {"a": {"aws:SourceIp": "203.0.113.7"}}}))


@pytest.mark.parametrize("resource", [None, [None], [None, "arn:aws:s3:::other/*"]])
def test_a_null_in_resource_is_saved_and_names_nothing(resource) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}
    assert any("`null` in Resource" in w.message for w in parse_policy(doc(statement)).warnings)
    assert not decide(statement).allowed      # b/k is not other/*, and null matches nothing


def test_a_null_in_resource_does_not_hide_the_real_arn_next_to_it() -> None:
    assert decide({"Effect": "Allow", "Action": "s3:GetObject", "Resource": [None, "arn:aws:s3:::b/*"]}).allowed


def test_a_null_not_resource_is_refused_rather_than_widened_to_everything() -> None:
    # the lab's choice (AWS documents nothing): NotResource null would make the statement cover every resource
    with pytest.raises(MalformedPolicyDocument):
        parse_policy(doc({"Effect": "Deny", "Action": "s3:*", "NotResource": None}))


@pytest.mark.parametrize("text", ['{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",}]}', "{'a': 1}",
                                  '{"Version": "2012-10-17"} }'])
def test_text_that_is_not_json_gets_iams_words(text: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(text, kind="trust")
    assert info.value.aws_message == "This policy contains invalid Json"
    assert info.value.line == 1 and info.value.column is not None


def test_an_unknown_sts_action_in_a_trust_policy_is_refused_with_a_suggestion() -> None:
    # IAM refuses any action but STS's in a trust policy ("AssumeRole policy may only specify STS AssumeRole
    # actions."); the mistake this catches: a typo saved and then trusting nobody, or moto's own wording on the wire
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRol"}]})
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(trust, kind="trust")
    assert info.value.aws_message == "AssumeRole policy may only specify STS AssumeRole actions."
    assert "did you mean `sts:AssumeRole`?" in info.value.message
    parse_policy(trust.replace("sts:AssumeRol", "sts:AssumeRole*"), kind="trust")    # a pattern is IAM's to judge
