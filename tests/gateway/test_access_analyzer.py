"""IAM Access Analyzer's policy checks through the gateway with boto3: ValidatePolicy (issue codes, finding types and
locations from AWS's "Access Analyzer policy check reference"), CheckNoNewAccess and CheckAccessNotGranted (AWS's
result shapes), and the lab's counterexample: a request the new policy allows and the existing one refused, which a
real AssumeRole through the gateway then confirms (aws/aws-cli#10314's test 11: dropping a trust policy's MFA
condition, which only check-no-new-access noticed on AWS)."""
from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from engine.policy.analyzer import check_no_new_access, read
from gateway.served import served_operations
from gateway_kit import Sandbox, allow, deny, doc

TRUST = "AWS::IAM::AssumeRolePolicyDocument"


def analyzer(sbx: Sandbox) -> Any:
    """An Access Analyzer client for the sandbox's reviewer (made on first use)."""
    found = getattr(sbx, "reviewer", None)
    if found is None:
        found = sbx.reviewer = sbx.client("accessanalyzer", sbx.user("reviewer", allow("access-analyzer:*")))
    return found


def codes(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["findingType"], f["issueCode"]) for f in answer["findings"]]


def error_of(info: pytest.ExceptionInfo) -> tuple[str, int]:
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


# ---- ValidatePolicy ------------------------------------------------------------------------------------------------
def test_an_unknown_action_is_an_error_with_did_you_mean_and_its_span(local: Sandbox) -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObjects"], "Resource": "*"}]}, indent=2)
    answer = analyzer(local).validate_policy(policyDocument=text, policyType="IDENTITY_POLICY")
    assert codes(answer) == [("ERROR", "INVALID_ACTION")]
    found = answer["findings"][0]
    assert found["findingDetails"] == "The action s3:GetObjects does not exist. Did you mean s3:GetObject?"
    location = found["locations"][0]
    assert location["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Action"}, {"index": 1}]
    span = location["span"]
    assert text[span["start"]["offset"]:span["end"]["offset"]] == '"s3:GetObjects"'
    assert span["start"]["line"] == text[:span["start"]["offset"]].count("\n") + 1


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_a_trust_policy_anyone_may_assume_is_a_security_warning(local: Sandbox, principal: Any) -> None:
    text = doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
    answer = analyzer(local).validate_policy(policyDocument=text, policyType="RESOURCE_POLICY",
                                             validatePolicyResourceType=TRUST)
    assert ("SECURITY_WARNING", "TRUST_POLICY_ALLOWS_ANY_PRINCIPAL") in codes(answer)
    if principal == "*":     # IAM refuses the bare star in a role trust policy: an error first
        assert codes(answer)[0] == ("ERROR", "INVALID_PRINCIPAL_FORMAT")
    # narrowed by a condition, or naming an account: no warning (the mistake: warning on every trust policy)
    narrowed = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}})
    named = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"})
    for quiet in (narrowed, named):
        assert analyzer(local).validate_policy(policyDocument=quiet, policyType="RESOURCE_POLICY",
                                               validatePolicyResourceType=TRUST)["findings"] == []


def test_pass_role_on_star_is_a_security_warning_unless_scoped(local: Sandbox) -> None:
    client = analyzer(local)
    wide = client.validate_policy(policyDocument=doc(allow("iam:PassRole")), policyType="IDENTITY_POLICY")
    assert codes(wide) == [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE")]
    admin = client.validate_policy(policyDocument=doc(allow("*")), policyType="IDENTITY_POLICY")
    assert codes(admin) == [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE")]
    for scoped in (allow("iam:PassRole", "arn:aws:iam::123456789012:role/app"),
                   allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
                   allow("s3:GetObject")):
        assert client.validate_policy(policyDocument=doc(scoped), policyType="IDENTITY_POLICY")["findings"] == []


def test_warnings_and_suggestions(local: Sandbox) -> None:
    client = analyzer(local)
    no_version = json.dumps({"Statement": [allow("s3:GetObject")]})
    assert codes(client.validate_policy(policyDocument=no_version, policyType="IDENTITY_POLICY")) == [
        ("WARNING", "MISSING_VERSION")]
    twice = doc({**allow("s3:GetObject"), "Sid": "One"}, {**allow("s3:GetObject"), "Sid": "Two"})
    assert codes(client.validate_policy(policyDocument=twice, policyType="IDENTITY_POLICY")) == [
        ("SUGGESTION", "REDUNDANT_STATEMENT")]
    star_in_equals = doc(allow("s3:GetObject", Condition={"StringEquals": {"aws:PrincipalTag/team": "dev-*"}}))
    assert codes(client.validate_policy(policyDocument=star_in_equals, policyType="IDENTITY_POLICY")) == [
        ("WARNING", "WILDCARD_WITHOUT_LIKE_OPERATOR")]
    oidc = doc({"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {
        "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}})
    assert ("SECURITY_WARNING", "MISSING_GITHUB_REPO_CONDITION_KEY") in codes(client.validate_policy(
        policyDocument=oidc, policyType="RESOURCE_POLICY", validatePolicyResourceType=TRUST))


def test_grammar_errors_are_findings_not_failures(local: Sandbox) -> None:
    client = analyzer(local)
    broken = client.validate_policy(policyDocument='{"Version": "2012-10-17", "Statement": [}',
                                    policyType="IDENTITY_POLICY")
    assert codes(broken) == [("ERROR", "JSON_SYNTAX_ERROR")]
    assert codes(client.validate_policy(policyDocument=doc({"Effect": "Allow", "Action": "s3:GetObject"}),
                                        policyType="IDENTITY_POLICY")) == [("ERROR", "MISSING_RESOURCE")]
    assert codes(client.validate_policy(policyDocument=doc(allow("s3:GetObject", Principal="*")),
                                        policyType="IDENTITY_POLICY")) == [("ERROR", "UNSUPPORTED_PRINCIPAL")]


def test_validate_policy_pages_its_findings(local: Sandbox) -> None:
    text = doc(*[allow("s3:GetObjects", f"arn:aws:s3:::b{i}/*") for i in range(5)])
    client = analyzer(local)
    first = client.validate_policy(policyDocument=text, policyType="IDENTITY_POLICY", maxResults=2)
    assert len(first["findings"]) == 2 and first["nextToken"]
    pages = list(client.get_paginator("validate_policy").paginate(
        policyDocument=text, policyType="IDENTITY_POLICY", PaginationConfig={"PageSize": 2}))
    assert sum(len(p["findings"]) for p in pages) == 5      # five invalid actions (the resources differ: no redundancy)


# ---- CheckNoNewAccess -----------------------------------------------------------------------------------------------
def mfa_trust(user: str, *, mfa: bool) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}
    if mfa:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return doc(statement)


def test_dropping_the_mfa_condition_fails_and_the_counterexample_is_real(local: Sandbox) -> None:
    """Test 11 of the reproduction: FAIL, "New access in the statement with index: 0."; the lab's counterexample (the
    user, MFA absent) is refused by a real AssumeRole under the existing trust policy and allowed under the new one."""
    creds = local.user("iamws-lab-default", allow("sts:AssumeRole"))
    user = f"arn:aws:iam::{local.dev}:user/iamws-lab-default"
    existing, new = mfa_trust(user, mfa=True), mfa_trust(user, mfa=False)
    answer = analyzer(local).check_no_new_access(newPolicyDocument=new, existingPolicyDocument=existing,
                                                 policyType="RESOURCE_POLICY")
    assert answer["result"] == "FAIL"
    assert answer["message"] == "The modified permissions grant new access compared to your existing policy."
    assert answer["reasons"] == [{"description": "New access in the statement with index: 0.", "statementIndex": 0}]
    role = local.role("privileged", existing, allow("*"))
    example = check_no_new_access(read(new, "RESOURCE_POLICY"), read(existing, "RESOURCE_POLICY"),
                                  role_arn=role).counterexample
    assert example is not None
    assert (example.principal.arn, example.action, example.resource) == (user, "sts:AssumeRole", role)
    assert "aws:MultiFactorAuthPresent" in example.absent
    sts = local.client("sts", creds)
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role, RoleSessionName="counterexample")
    local.admin("iam").update_assume_role_policy(RoleName="privileged", PolicyDocument=new)
    assert sts.assume_role(RoleArn=role, RoleSessionName="counterexample")["AssumedRoleUser"]


def test_no_new_access_passes_when_nothing_widens(local: Sandbox) -> None:
    client = analyzer(local)
    user = "arn:aws:iam::123456789012:user/alice"
    one = doc(allow("s3:GetObject", "arn:aws:s3:::b/*"), allow("s3:ListBucket", "arn:aws:s3:::b"))
    reordered = doc(allow("s3:ListBucket", "arn:aws:s3:::b"), allow("s3:GetObject", "arn:aws:s3:::b/*"))
    narrowed = doc(allow("s3:GetObject", "arn:aws:s3:::b/*"), allow("s3:ListBucket", "arn:aws:s3:::b"),
                   deny("s3:GetObject", "arn:aws:s3:::b/secret/*"))
    for new in (one, reordered, narrowed):
        answer = client.check_no_new_access(newPolicyDocument=new, existingPolicyDocument=one,
                                            policyType="IDENTITY_POLICY")
        assert answer["result"] == "PASS", new
    assert client.check_no_new_access(newPolicyDocument=mfa_trust(user, mfa=True),
                                      existingPolicyDocument=mfa_trust(user, mfa=False),
                                      policyType="RESOURCE_POLICY")["result"] == "PASS"


@pytest.mark.parametrize("existing,new,expected", [
    # the ExternalId condition dropped: a request without one
    ({"Condition": {"StringEquals": {"sts:ExternalId": "Partner-7"}}}, {}, {"absent": ["sts:ExternalId"]}),
    # an account opened to anyone: a caller of another account
    ({}, {"Principal": {"AWS": "*"}}, {"account": "999988887777"}),
    # a source address range widened: an address outside the old one
    ({"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}}},
     {"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}, {"context": "an address only the new range holds"}),
])
def test_counterexamples_name_what_changed(existing: dict, new: dict, expected: dict) -> None:
    base = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}
    result = check_no_new_access(read(doc({**base, **new}), "RESOURCE_POLICY"),
                                 read(doc({**base, **existing}), "RESOURCE_POLICY"))
    assert result.result == "FAIL" and result.counterexample is not None
    shown = result.counterexample.to_dict()
    for key, value in expected.items():
        if key == "context":
            # the old range refused it: the address is outside 10.0.0.0/24 yet inside 10.0.0.0/8
            address = ipaddress.ip_address(shown["context"]["aws:SourceIp"])
            assert address in ipaddress.ip_network("10.0.0.0/8")
            assert address not in ipaddress.ip_network("10.0.0.0/24")
        else:
            assert shown[key] == value


# ---- CheckAccessNotGranted ------------------------------------------------------------------------------------------
def test_access_not_granted(local: Sandbox) -> None:
    client = analyzer(local)
    wide = doc({**allow("iam:*"), "Sid": "IamAdmin"})
    answer = client.check_access_not_granted(policyDocument=wide, access=[{"actions": ["iam:PassRole"]}],
                                             policyType="IDENTITY_POLICY")
    assert answer["result"] == "FAIL"
    assert answer["message"] == "The policy document grants access to perform one or more of the listed actions."
    assert answer["reasons"] == [{"description": "One or more of the listed actions in the statement with sid: "
                                  "IamAdmin.", "statementId": "IamAdmin", "statementIndex": 0}]
    reads = doc(allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]))
    assert client.check_access_not_granted(policyDocument=reads, access=[{"actions": ["s3:PutObject"]}],
                                           policyType="IDENTITY_POLICY")["result"] == "PASS"
    assert client.check_access_not_granted(policyDocument=reads, access=[{"resources": ["arn:aws:s3:::b/x"]}],
                                           policyType="IDENTITY_POLICY")["result"] == "FAIL"
    denied = doc(allow("iam:*"), deny("iam:PassRole"))
    assert client.check_access_not_granted(policyDocument=denied, access=[{"actions": ["iam:PassRole"]}],
                                           policyType="IDENTITY_POLICY")["result"] == "PASS"


# ---- bad input, authorisation, what the console offers ---------------------------------------------------------------
def test_bad_documents_are_validation_exceptions(local: Sandbox) -> None:
    client = analyzer(local)
    for bad in ("{not json", json.dumps([1]), doc({"Effect": "Allow"})):
        with pytest.raises(ClientError) as info:
            client.check_no_new_access(newPolicyDocument=bad, existingPolicyDocument=doc(allow("s3:GetObject")),
                                       policyType="IDENTITY_POLICY")
        assert error_of(info) == ("ValidationException", 400)
    with pytest.raises(ClientError) as info:
        client.check_access_not_granted(policyDocument=doc(allow("s3:GetObject")), access=[{}],
                                        policyType="IDENTITY_POLICY")
    assert error_of(info) == ("ValidationException", 400)
    big = doc(*[allow("s3:GetObject", f"arn:aws:s3:::bucket-{i:05d}/*") for i in range(1400)])
    assert len(big) > 100_000
    assert client.check_no_new_access(newPolicyDocument=big, existingPolicyDocument=big,
                                      policyType="IDENTITY_POLICY")["result"] == "PASS"


def test_the_checks_need_their_permission(local: Sandbox) -> None:
    reader = local.user("reader", allow("s3:GetObject"))
    with pytest.raises(ClientError) as info:
        local.client("accessanalyzer", reader).validate_policy(policyDocument=doc(allow("s3:GetObject")),
                                                                policyType="IDENTITY_POLICY")
    assert error_of(info) == ("AccessDeniedException", 403)


def test_the_console_offers_exactly_the_operations_answered() -> None:
    assert served_operations()["accessanalyzer"] == ["check-access-not-granted", "check-no-new-access",
                                                     "validate-policy"]
    assert {"simulate-custom-policy", "simulate-principal-policy"} <= set(served_operations()["iam"])


def test_over_http_the_same_answer(sbx: Sandbox) -> None:
    answer = analyzer(sbx).validate_policy(policyDocument=doc(allow("s3:GetObjects")), policyType="IDENTITY_POLICY")
    assert codes(answer) == [("ERROR", "INVALID_ACTION")]
