"""The IAM policy simulator through the gateway (SimulatePrincipalPolicy, SimulateCustomPolicy), AWS's shapes from
botocore's iam model, evaluated by the engine that decides real calls.

The trust-policy cases are aws/aws-cli#10314's reproduction (RohanDS2024/iam-simulator-trust-policy-gap,
EXTENDED_TESTS.md: "the simulator parses ... the trust policy provided via --resource-policy, but discards it before
evaluation for any action in the sts:Assume* family"), verified there against live AWS: each case here asserts that
the lab's simulator gives the verdict the *live* AssumeRole gets through the same gateway, where AWS's simulator
said `allowed`. The caller is, as there, an IAM user whose only policy is AdministratorAccess.
"""
from __future__ import annotations

import json
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, OidcIssuer, github_actions_claims
from engine.federation.keys import SigningKey
from engine.simulator import DECISIONS
from gateway_kit import Creds, Sandbox, allow, deny, doc

ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
GH = OidcIssuer("https://token.actions.githubusercontent.com", SigningKey.generate("sim.example"))


class Case:
    """A user with AdministratorAccess only, a target role, and both verdicts on it."""

    def __init__(self, sbx: Sandbox, user: str = "iamws-lab-default") -> None:
        self.sbx = sbx
        iam = sbx.admin("iam")
        iam.create_user(UserName=user)
        iam.attach_user_policy(UserName=user, PolicyArn=ADMIN_ACCESS)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        self.creds = Creds(access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
        self.user_arn = f"arn:aws:iam::{sbx.dev}:user/{user}"
        self.iam = sbx.client("iam", self.creds)

    def role(self, trust: dict[str, Any], name: str = "iamws-privileged-admin-role") -> str:
        return self.sbx.role(name, doc(trust), allow("*"))

    def simulate(self, role: str, *, action: str = "sts:AssumeRole", context: dict[str, tuple[str, str]] = {},
                 resource_policy: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = dict(PolicySourceArn=self.user_arn, ActionNames=[action], ResourceArns=[role],
                                      ContextEntries=[{"ContextKeyName": k, "ContextKeyValues": [v],
                                                       "ContextKeyType": t} for k, (v, t) in context.items()])
        if resource_policy is not None:
            params.update(ResourcePolicy=resource_policy, ResourceOwner=f"arn:aws:iam::{self.sbx.dev}:root")
        return self.iam.simulate_principal_policy(**params)["EvaluationResults"][0]

    def live(self, call: Any) -> str:
        """The live call's verdict in the simulator's words, from the Decision the gateway kept for it."""
        try:
            answer = call()
            request_id = answer["ResponseMetadata"]["RequestId"]
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDenied", error.response
            request_id = error.response["ResponseMetadata"]["RequestId"]
        decision = self.sbx.lab.decision(request_id)
        assert decision is not None
        return DECISIONS[decision.effect]

    def assume(self, role: str, creds: dict[str, Any] | None = None, **params: Any) -> str:
        sts = self.sbx.client("sts", creds or self.creds, **params.pop("client", {}))
        return self.live(lambda: sts.assume_role(RoleArn=role, RoleSessionName="s1", **params))


def both(case: Case, role: str, **simulate: Any) -> tuple[str, str]:
    """The simulator's verdict on the stored trust policy, and with the same document passed as ResourcePolicy (the
    reproduction's form): they must agree."""
    stored = case.simulate(role, **simulate)["EvalDecision"]
    passed = case.simulate(role, resource_policy=_trust_text(case, role), **simulate)["EvalDecision"]
    assert stored == passed
    return stored, passed


def _trust_text(case: Case, role: str) -> str:
    document = case.sbx.admin("iam").get_role(RoleName=role.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]
    return document if isinstance(document, str) else json.dumps(document)


def enrol(case: Case, user: str = "iamws-lab-default") -> tuple[str, pyotp.TOTP]:
    device = case.iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-phone")["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = case.sbx.lab.mfa_clock(case.sbx.id)
    case.iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"],
                               AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    return device["SerialNumber"], totp


# ---- the reproduction's cases ----------------------------------------------------------------------------------------
def test_case_1_identity_silent_trust_allows_the_user_directly(local: Sandbox) -> None:
    """Test 1: identity policy silent on STS, trust Allow naming the user: allowed (a trust policy naming the user
    grants in the same account); AWS's simulator said implicitDeny."""
    case = Case(local)
    local.admin("iam").detach_user_policy(UserName="iamws-lab-default", PolicyArn=ADMIN_ACCESS)
    local.admin("iam").put_user_policy(UserName="iamws-lab-default", PolicyName="reads",
                                       PolicyDocument=doc(allow(["s3:GetObject", "iam:Simulate*"])))
    role = case.role({"Effect": "Allow", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole"})
    result = case.simulate(role)
    assert result["EvalDecision"] == "allowed" == case.assume(role)
    assert {"SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource"}.items() <= \
        case.simulate(role, resource_policy=_trust_text(case, role))["MatchedStatements"][0].items()


def test_case_2_control_s3_with_a_bucket_policy(local: Sandbox) -> None:
    """Test 2 (control): s3:GetObject with an identity allow and a bucket policy: allowed, both as the live call."""
    case = Case(local)
    s3 = local.client("s3", case.creds)
    s3.create_bucket(Bucket="sim-control")
    s3.put_object(Bucket="sim-control", Key="a.txt", Body=b"x")
    policy = doc({"Effect": "Allow", "Principal": {"AWS": case.user_arn}, "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::sim-control/*"})
    s3.put_bucket_policy(Bucket="sim-control", Policy=policy)
    result = case.iam.simulate_principal_policy(
        PolicySourceArn=case.user_arn, ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::sim-control/a.txt"],
        ResourcePolicy=policy)["EvaluationResults"][0]
    live = case.live(lambda: s3.get_object(Bucket="sim-control", Key="a.txt"))
    assert result["EvalDecision"] == "allowed" == live
    assert "aws-managed" in {s["SourcePolicyType"] for s in result["MatchedStatements"]}


def test_case_3_and_10_explicit_deny_in_the_trust_policy_is_explicit_deny(local: Sandbox) -> None:
    """Tests 3 and 10: AdministratorAccess, trust policy Deny for the caller: explicitDeny with the Deny statement
    matched, as the live AssumeRole (AccessDenied); AWS's simulator said `allowed`."""
    case = Case(local)
    role = case.role({"Effect": "Deny", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole"})
    result = case.simulate(role, resource_policy=_trust_text(case, role))
    assert result["EvalDecision"] == "explicitDeny" == case.assume(role)
    assert [s["SourcePolicyType"] for s in result["MatchedStatements"]] == ["resource"]
    assert both(case, role)[0] == "explicitDeny"
    assert any("aws/aws-cli#10314" in key for key in result["EvalDecisionDetails"])


MFA_TRUST = {"Effect": "Allow", "Principal": {"AWS": "{user}"}, "Action": "sts:AssumeRole",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}


def _with_user(statement: dict[str, Any], user: str) -> dict[str, Any]:
    return json.loads(json.dumps(statement).replace("{user}", user))


def test_case_4a_mfa_required_without_mfa_is_implicit_deny(local: Sandbox) -> None:
    case = Case(local)
    role = case.role(_with_user(MFA_TRUST, case.user_arn))
    context = {"aws:MultiFactorAuthPresent": ("false", "boolean")}
    assert both(case, role, context=context)[0] == "implicitDeny" == case.assume(role)


def test_case_4b_mfa_required_with_mfa_is_allowed(local: Sandbox) -> None:
    case = Case(local)
    role = case.role(_with_user(MFA_TRUST, case.user_arn))
    serial, totp = enrol(case)
    context = {"aws:MultiFactorAuthPresent": ("true", "boolean")}
    live = case.assume(role, SerialNumber=serial, TokenCode=totp.at(local.lab.mfa_clock(local.id) + 30))
    assert both(case, role, context=context)[0] == "allowed" == live


def test_case_5_source_ip_condition(local: Sandbox) -> None:
    """Test 5: IpAddress 10.0.0.1/32, caller at 203.0.113.42: implicitDeny; from 10.0.0.1: allowed (both live)."""
    case = Case(local)
    role = case.role({"Effect": "Allow", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole",
                      "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.1/32"}}})
    outside = {"aws:SourceIp": ("203.0.113.42", "ip")}
    assert both(case, role, context=outside)[0] == "implicitDeny" == \
        case.assume(role, client={"source_ip": "203.0.113.42"})
    inside = {"aws:SourceIp": ("10.0.0.1", "ip")}
    assert both(case, role, context=inside)[0] == "allowed" == case.assume(role, client={"source_ip": "10.0.0.1"})


def test_case_6_mfa_age_over_the_limit(local: Sandbox) -> None:
    """Test 6: NumericLessThan aws:MultiFactorAuthAge 300, MFA proved 99999 s ago (the sandbox clock moved)."""
    case = Case(local)
    role = case.role({"Effect": "Allow", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole",
                      "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}})
    serial, totp = enrol(case)
    answer = local.client("sts", case.creds).get_session_token(
        SerialNumber=serial, TokenCode=totp.at(local.lab.mfa_clock(local.id) + 30), DurationSeconds=129600)
    c = answer["Credentials"]
    session = Creds(access_key_id=c["AccessKeyId"], secret_access_key=c["SecretAccessKey"],
                    session_token=c["SessionToken"])
    local.lab.advance_clock(local.id, 99999)
    context = {"aws:MultiFactorAuthAge": ("99999", "numeric"), "aws:MultiFactorAuthPresent": ("true", "boolean")}
    assert both(case, role, context=context)[0] == "implicitDeny" == case.assume(role, session)


def test_case_7_web_identity_with_another_subject(local: Sandbox) -> None:
    """Test 7: sts:AssumeRoleWithWebIdentity, trust on an OIDC provider and a `sub`: an IAM user is no web identity
    and the subject does not match: implicitDeny, as the live call with a token for another branch (AWS's simulator
    said `allowed`, for an action an IAM user cannot even perform)."""
    case = Case(local)
    local.lab.register_oidc_jwks(local.id, GH.issuer_url, GH.jwks())
    provider = local.admin("iam").create_open_id_connect_provider(
        Url=GH.issuer_url, ClientIDList=[GITHUB_ACTIONS_AUDIENCE], ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    main = "repo:securecart/storefront:ref:refs/heads/main"
    role = case.role({"Effect": "Allow", "Principal": {"Federated": provider},
                      "Action": "sts:AssumeRoleWithWebIdentity",
                      "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": main}}})
    sub, extra = github_actions_claims("securecart/storefront", ref="refs/heads/feature")
    token = GH.issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=local.lab.now(local.id), extra_claims=extra)
    live = case.live(lambda: local.unsigned("sts").assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="gha", WebIdentityToken=token))
    context = {"token.actions.githubusercontent.com:sub": (sub, "string")}
    assert both(case, role, action="sts:AssumeRoleWithWebIdentity", context=context)[0] == "implicitDeny" == live


def test_case_8_not_principal_excludes_the_caller(local: Sandbox) -> None:
    """Test 8: Allow with NotPrincipal naming the caller. IAM refuses NotPrincipal in a trust policy (the gateway's
    UpdateAssumeRolePolicy, as IAM), so the simulator refuses it as ResourcePolicy in the same words (AWS's simulator
    accepted it, then said `allowed`); a role that holds one anyway (written behind IAM's back) trusts nobody:
    implicitDeny, as the live AssumeRole."""
    case = Case(local)
    statement = {"Effect": "Allow", "NotPrincipal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole"}
    role = case.role(statement)
    assert case.simulate(role)["EvalDecision"] == "implicitDeny" == case.assume(role)
    with pytest.raises(ClientError) as info:
        case.simulate(role, resource_policy=doc(statement))
    assert error_of(info) == ("InvalidInput", 400) and "NotPrincipal" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        case.iam.update_assume_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyDocument=doc(statement))
    assert error_of(info)[0] == "MalformedPolicyDocument"


def test_case_9_service_principal_trust_is_evaluated_not_refused(local: Sandbox) -> None:
    """Test 9: AWS's simulator refused the document ("Principal of type Service is not supported"); the lab
    evaluates it: the user is not ec2.amazonaws.com, implicitDeny, as the live AssumeRole."""
    case = Case(local)
    role = case.role({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert both(case, role)[0] == "implicitDeny" == case.assume(role)


def test_case_11_mfa_required_versus_mfa_removed(local: Sandbox) -> None:
    """Tests 11b/11c: the same caller without MFA on the MFA-required and the MFA-removed trust policy: AWS's
    simulator said `allowed` for both; the lab says what the live calls get (Access Analyzer's side of test 11 is
    in test_access_analyzer.py)."""
    case = Case(local)
    required = case.role(_with_user(MFA_TRUST, case.user_arn), name="existing-mfa")
    bypass = case.role({"Effect": "Allow", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole"},
                       name="new-bypass")
    context = {"aws:MultiFactorAuthPresent": ("false", "boolean")}
    assert both(case, required, context=context)[0] == "implicitDeny" == case.assume(required)
    assert both(case, bypass, context=context)[0] == "allowed" == case.assume(bypass)


# ---- the wrong verdicts a simulator can give ---------------------------------------------------------------------------
def test_a_permissions_boundary_is_not_ignored(local: Sandbox) -> None:
    case = Case(local)
    boundary = local.admin("iam").create_policy(PolicyName="only-s3", PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
    bounded = Case(local, user="bounded")
    case.iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=boundary)
    result = case.iam.simulate_principal_policy(PolicySourceArn=bounded.user_arn, ActionNames=["ec2:RunInstances",
                                                                                               "s3:GetObject"])
    run, get = result["EvaluationResults"]
    assert run["EvalDecision"] == "implicitDeny"
    assert run["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    assert get["EvalDecision"] == "allowed"
    assert get["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    # and a boundary passed in the request replaces the stored one
    passed = case.iam.simulate_principal_policy(PolicySourceArn=bounded.user_arn, ActionNames=["ec2:RunInstances"],
                                                PermissionsBoundaryPolicyInputList=[doc(allow("ec2:*"))])
    assert passed["EvaluationResults"][0]["EvalDecision"] == "allowed"
    # the live call agrees with the stored boundary
    with pytest.raises(ClientError):
        local.client("iam", bounded.creds).list_users()


def test_an_scp_is_not_ignored_and_the_live_call_agrees(local: Sandbox) -> None:
    from test_organizations import Org

    org = Org(local)
    member = org.new_account()
    org.enable()
    org.org.attach_policy(PolicyId=org.policy("NoRoleListing", doc(deny("iam:ListRoles"))), TargetId=member)
    role = org.access_role(member)
    # the member's admin role simulates itself: the SCP denies, as the live call
    iam = local.client("iam", role)
    source = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    result = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=["iam:ListRoles", "iam:ListUsers"])
    listed, users = result["EvaluationResults"]
    assert listed["EvalDecision"] == "explicitDeny"
    assert listed["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    assert users["EvalDecision"] == "allowed"
    assert users["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    with pytest.raises(ClientError):
        iam.list_roles()
    # SCP statements are not MatchedStatements (AWS: "This field doesn't include statements from SCPs")
    assert listed["MatchedStatements"] == []


def test_missing_context_values_are_reported(local: Sandbox) -> None:
    case = Case(local)
    role = case.role({"Effect": "Allow", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"sts:ExternalId": "Partner-7"},
                                    "Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    result = case.simulate(role)
    assert result["MissingContextValues"] == []          # a resource was named: per resource (AWS's rule)
    assert result["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:MultiFactorAuthPresent",
                                                                           "sts:ExternalId"]
    given = case.simulate(role, context={"sts:ExternalId": ("Partner-7", "string")})
    assert given["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:MultiFactorAuthPresent"]
    custom = case.iam.simulate_custom_policy(
        PolicyInputList=[doc(allow("s3:GetObject", Condition={"StringLike": {"s3:prefix": "home/*"}}))],
        ActionNames=["s3:GetObject"])["EvaluationResults"][0]
    assert custom["MissingContextValues"] == ["s3:prefix"] and custom["EvalDecision"] == "implicitDeny"


def test_custom_policy_with_caller_and_resource_policy(local: Sandbox) -> None:
    case = Case(local)
    local.user("bob")
    bob = f"arn:aws:iam::{local.dev}:user/bob"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": bob}, "Action": "sts:AssumeRole"})
    role = f"arn:aws:iam::{local.dev}:role/nothing-here"
    answer = case.iam.simulate_custom_policy(PolicyInputList=[doc(allow("sts:AssumeRole"))],
                                             ActionNames=["sts:AssumeRole"], ResourceArns=[role], ResourcePolicy=trust,
                                             CallerArn=bob)["EvaluationResults"][0]
    assert answer["EvalDecision"] == "allowed"
    refused = case.iam.simulate_custom_policy(PolicyInputList=[doc(allow("sts:AssumeRole"))],
                                              ActionNames=["sts:AssumeRole"], ResourceArns=[role],
                                              ResourcePolicy=trust, CallerArn=case.user_arn)["EvaluationResults"][0]
    assert refused["EvalDecision"] == "implicitDeny"


def test_pagination_with_max_items_and_marker(local: Sandbox) -> None:
    case = Case(local)
    actions = ["s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:ListUsers", "sts:GetCallerIdentity"]
    first = case.iam.simulate_principal_policy(PolicySourceArn=case.user_arn, ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    names = [r["EvalActionName"] for r in first["EvaluationResults"]]
    marker = first["Marker"]
    while marker:
        more = case.iam.simulate_principal_policy(PolicySourceArn=case.user_arn, ActionNames=actions, MaxItems=2,
                                                  Marker=marker)
        names += [r["EvalActionName"] for r in more["EvaluationResults"]]
        marker = more.get("Marker")
    assert names == actions
    paginator = case.iam.get_paginator("simulate_principal_policy")
    pages = list(paginator.paginate(PolicySourceArn=case.user_arn, ActionNames=actions,
                                    PaginationConfig={"PageSize": 3}))
    assert [r["EvalActionName"] for p in pages for r in p["EvaluationResults"]] == actions


# ---- bad input: AWS's errors, never a 500 -----------------------------------------------------------------------------
def error_of(info: pytest.ExceptionInfo) -> tuple[str, int]:
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("bad", ["{not json", doc({"Effect": "Allow"}), json.dumps([1, 2])])
def test_malformed_policies_are_invalid_input(local: Sandbox, bad: str) -> None:
    case = Case(local)
    with pytest.raises(ClientError) as info:
        case.iam.simulate_custom_policy(PolicyInputList=[bad], ActionNames=["s3:GetObject"])
    assert error_of(info) == ("InvalidInput", 400)
    with pytest.raises(ClientError) as info:
        case.iam.simulate_principal_policy(PolicySourceArn=case.user_arn, ActionNames=["s3:GetObject"],
                                           ResourcePolicy=bad)
    assert error_of(info) == ("InvalidInput", 400)


def test_a_100_kb_policy_is_answered_and_a_larger_one_refused_by_the_model(local: Sandbox) -> None:
    case = Case(local)
    statements = [allow("s3:GetObject", f"arn:aws:s3:::bucket-{i:05d}/*") for i in range(1400)]
    big = doc(*statements)
    assert 90_000 < len(big) < 131_072
    answer = case.iam.simulate_custom_policy(PolicyInputList=[big], ActionNames=["s3:GetObject"],
                                             ResourceArns=["arn:aws:s3:::bucket-01399/k"])
    assert answer["EvaluationResults"][0]["EvalDecision"] == "allowed"
    huge = doc(*(statements * 2))
    with pytest.raises(ClientError) as info:
        case.iam.simulate_custom_policy(PolicyInputList=[huge], ActionNames=["s3:GetObject"])
    assert error_of(info)[1] == 400


def test_a_simulation_too_large_for_the_room_is_refused(local: Sandbox) -> None:
    """The lab's cap: 1,000 action x resource pairs a call (a learner must not hold the interpreter for everyone)."""
    case = Case(local)
    actions = [f"s3:GetObject{i}" for i in range(101)]
    resources = [f"arn:aws:s3:::b/{i}" for i in range(10)]
    with pytest.raises(ClientError) as info:
        case.iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=actions, ResourceArns=resources)
    assert error_of(info) == ("InvalidInput", 400) and "1000" in info.value.response["Error"]["Message"]
    answer = case.iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=actions[:100],
                                             ResourceArns=resources)
    assert answer["IsTruncated"] is False and len(answer["EvaluationResults"]) == 100


def test_wildcard_actions_and_unknown_entities(local: Sandbox) -> None:
    case = Case(local)
    with pytest.raises(ClientError) as info:
        case.iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["s3:*"])
    assert error_of(info) == ("InvalidInput", 400)
    with pytest.raises(ClientError) as info:
        case.iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{local.dev}:user/nobody",
                                           ActionNames=["s3:GetObject"])
    assert error_of(info) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as info:
        case.iam.simulate_principal_policy(PolicySourceArn="not-an-arn-at-all-12345", ActionNames=["s3:GetObject"])
    assert error_of(info)[1] in (400, 403)


def test_another_sandboxs_principal_and_role_are_refused_never_evaluated(lab_app: Any) -> None:
    mine, theirs = Sandbox(*lab_app), Sandbox(*lab_app)
    case = Case(mine)
    victim = Case(theirs, user="victim")
    secret_role = victim.role({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    with pytest.raises(ClientError) as info:
        case.iam.simulate_principal_policy(PolicySourceArn=victim.user_arn, ActionNames=["s3:GetObject"])
    assert error_of(info) == ("AccessDenied", 403)
    result = case.simulate(secret_role)
    assert result["EvalDecision"] == "implicitDeny" == case.assume(secret_role)
    assert result["MatchedStatements"] == []            # the other sandbox's trust policy was never read
    with pytest.raises(ClientError) as info:
        case.iam.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["s3:GetObject"],
                                        CallerArn=victim.user_arn)
    assert error_of(info) == ("NoSuchEntity", 404)


def test_simulation_needs_its_own_permission(local: Sandbox) -> None:
    reader = local.user("reader", allow("s3:GetObject"))
    with pytest.raises(ClientError) as info:
        local.client("iam", reader).simulate_custom_policy(PolicyInputList=[doc(allow("*"))],
                                                           ActionNames=["s3:GetObject"])
    assert error_of(info) == ("AccessDenied", 403)


def test_over_http_the_same_answer(sbx: Sandbox) -> None:
    case = Case(sbx)
    role = case.role({"Effect": "Deny", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole"})
    assert case.simulate(role)["EvalDecision"] == "explicitDeny"


def test_a_session_policy_is_not_ignored(local: Sandbox) -> None:
    """A kept role session simulated as it stands (the policy lab's 'as this session'): its session policy narrows
    it, as the live call finds."""
    case = Case(local)
    role = case.role({"Effect": "Allow", "Principal": {"AWS": case.user_arn}, "Action": "sts:AssumeRole"})
    session = local.assume(case.creds, role, Policy=doc(allow("s3:ListAllMyBuckets")))
    caller = local.lab.authenticate(session["access_key_id"], session["session_token"])
    simulator = local.lab.simulator(caller)
    subject = simulator.caller_subject(caller)
    (run,), (listing,) = simulator.run(subject, ["ec2:DescribeInstances", "s3:ListAllMyBuckets"], None, context={})
    assert listing.eval_decision == "allowed"
    assert run.eval_decision == "implicitDeny" and run.decision.denied_by == "session"
    with pytest.raises(ClientError) as info:
        local.client("ec2", session).describe_instances()
    assert error_of(info)[1] == 403
    local.client("s3", session).list_buckets()
