"""AssumeRoleWithSAML / AssumeRoleWithWebIdentity through Lab.sts: real signed tokens, providers stored in moto's
IAM backend, the role's trust policy evaluated by the engine, credentials that work afterwards.

Trust failures are AccessDenied "Not authorized to perform sts:AssumeRoleWithSAML" (observed, aws/aws-sdk-net #744);
token failures are InvalidIdentityToken / ExpiredTokenException (API_AssumeRoleWithSAML errors).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from test_sts_world import World, doc, trust

from engine.errors import AwsError
from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, OidcIssuer, SamlIdp, SamlPerson, encode_saml_response, \
    github_actions_claims
from engine.federation.keys import SigningKey
from engine.sts.federated import install

KEY = SigningKey.generate("idp.securecart.example")
IDP = SamlIdp("https://idp.securecart.example/saml/metadata", "https://idp.securecart.example/saml/sso", KEY)
SAML_ACTIONS = ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"]
AUD_OK = {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}


@pytest.fixture
def world() -> Any:
    w = World()
    install(w.lab)
    w.provider_arn = w.iam(w.a).create_saml_provider("SecureCartIdP", IDP.metadata_xml()).arn
    yield w
    w.cleanup()


def saml_role(world: World, name: str = "Developers", *, condition: dict | None = None,
              actions: list[str] | None = None, max_session: int | None = None) -> str:
    statement: dict[str, Any] = {}
    if condition is not None:
        statement["Condition"] = condition
    policy = trust({"Federated": world.provider_arn}, actions or SAML_ACTIONS, **statement)
    return world.role(world.a, name, policy, doc({"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                                  "Resource": "*"}), max_session=max_session)


def assertion(world: World, role_arn: str, *, now=None, tags=None, **options) -> str:
    person = SamlPerson("alice", role_pairs=[(role_arn, world.provider_arn)], role_session_name="alice",
                        principal_tags=tags if tags is not None else {"Department": "Engineering"},
                        transitive_tag_keys=["Department"] if tags is None else [], source_identity="alice")
    return encode_saml_response(IDP.build_response(person, now=now or world.lab.now(world.sandbox), **options))


def saml_call(world: World, role_arn: str, blob: str, **params: Any) -> dict[str, Any]:
    return world.sts(None, "AssumeRoleWithSAML", RoleArn=role_arn, PrincipalArn=world.provider_arn,
                     SAMLAssertion=blob, **params)


def test_saml_assume_role_issues_working_credentials(world):
    role = saml_role(world, condition=AUD_OK)
    result = saml_call(world, role, assertion(world, role))
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{world.a}:assumed-role/Developers/alice"
    assert result["Subject"] == "alice" and result["SubjectType"] == "persistent"
    assert result["Issuer"] == IDP.entity_id and result["Audience"] == "https://signin.aws.amazon.com/saml"
    assert result["SourceIdentity"] == "alice"
    caller = world.session_caller(result)
    assert caller.arn == result["AssumedRoleUser"]["Arn"]
    assert caller.session.origin == "AssumeRoleWithSAML"
    assert caller.session.principal_tags["Department"] == "Engineering"
    assert caller.session.extra["saml:sub"] == "alice"
    issued = caller.session.expires_at - caller.session.issued_at
    assert issued == timedelta(hours=1)          # DurationSeconds default, not the SessionDuration attribute


def test_broken_saml_aud_condition_is_access_denied_with_a_decision(world):
    role = saml_role(world, condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml/"}})
    meta = world.meta()
    with pytest.raises(AwsError) as info:
        world.lab.sts("AssumeRoleWithSAML", None, {"RoleArn": role, "PrincipalArn": world.provider_arn,
                                                    "SAMLAssertion": assertion(world, role)}, meta)
    assert (info.value.code, info.value.message, info.value.status) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
    decision = world.lab.decision(meta.request_id)
    assert decision is not None and not decision.allowed


def test_saml_sub_condition_selects_who_may_assume(world):
    role = saml_role(world, condition={"StringEquals": {"saml:sub": "bob"}})
    with pytest.raises(AwsError) as info:
        saml_call(world, role, assertion(world, role))
    assert info.value.code == "AccessDenied"
    mended = saml_role(world, "Mended", condition={"StringEquals": {"saml:sub": "alice"}})
    assert saml_call(world, mended, assertion(world, mended))["Subject"] == "alice"


def test_tags_without_sts_tag_session_in_trust(world):
    role = saml_role(world, actions=["sts:AssumeRoleWithSAML", "sts:SetSourceIdentity"])
    with pytest.raises(AwsError) as info:
        saml_call(world, role, assertion(world, role))
    assert info.value.message == "Not authorized to perform sts:TagSession"


def test_unknown_provider(world):
    role = saml_role(world)
    with pytest.raises(AwsError) as info:
        world.sts(None, "AssumeRoleWithSAML", RoleArn=role, SAMLAssertion=assertion(world, role),
                  PrincipalArn=f"arn:aws:iam::{world.a}:saml-provider/Nobody")
    assert info.value.code == "InvalidIdentityToken"


def test_redeem_window_uses_the_sandbox_clock(world):
    role = saml_role(world)
    blob = assertion(world, role, lifetime_seconds=3600)
    world.lab.advance_clock(world.sandbox, 6 * 60)
    with pytest.raises(AwsError) as info:
        saml_call(world, role, blob)
    assert (info.value.code, info.value.message) == ("ExpiredTokenException",
                                                     "Token must be redeemed within 5 minutes of issuance")


def test_duration_above_max_session_duration(world):
    role = saml_role(world)
    with pytest.raises(AwsError) as info:
        saml_call(world, role, assertion(world, role), DurationSeconds=7200)
    assert info.value.message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


def test_session_not_on_or_after_shortens_the_session(world):
    role = saml_role(world, max_session=43200)
    now = world.lab.now(world.sandbox)
    result = saml_call(world, role, assertion(world, role, session_not_on_or_after=now + timedelta(minutes=20)),
                       DurationSeconds=7200)
    session = world.session_caller(result).session
    assert session.expires_at - session.issued_at <= timedelta(minutes=20)


def test_role_in_an_account_outside_every_sandbox(world):
    with pytest.raises(AwsError) as info:
        world.sts(None, "AssumeRoleWithSAML", RoleArn="arn:aws:iam::000000000001:role/X",
                  PrincipalArn=world.provider_arn, SAMLAssertion=assertion(world, "arn:aws:iam::000000000001:role/X"))
    assert info.value.code == "AccessDenied"


def test_missing_parameters_are_validation_errors(world):
    with pytest.raises(AwsError) as info:
        world.sts(None, "AssumeRoleWithSAML", RoleArn="arn:aws:iam::000000000001:role/X")
    assert info.value.code == "ValidationError"


# ------------------------------------------------------------------------------------------- web identity
GH = OidcIssuer("https://token.actions.githubusercontent.com", KEY)


def oidc_setup(world: World, sub_condition: str = "repo:securecart/storefront:ref:refs/heads/main",
               operator: str = "StringEquals") -> str:
    world.lab.register_oidc_jwks(world.sandbox, GH.issuer_url, GH.jwks())
    provider = world.iam(world.a).create_open_id_connect_provider(GH.issuer_url, [], [GITHUB_ACTIONS_AUDIENCE], [])
    conditions = {"StringEquals": {"token.actions.githubusercontent.com:aud": GITHUB_ACTIONS_AUDIENCE}}
    conditions.setdefault(operator, {})["token.actions.githubusercontent.com:sub"] = sub_condition
    return world.role(world.a, "Deploy", trust({"Federated": provider.arn}, "sts:AssumeRoleWithWebIdentity",
                                               Condition=conditions))


def gh_token(world: World, branch: str = "main") -> str:
    sub, extra = github_actions_claims("securecart/storefront", ref=f"refs/heads/{branch}")
    return GH.issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=world.lab.now(world.sandbox), extra_claims=extra)


def test_web_identity_issues_credentials(world):
    role = oidc_setup(world)
    result = world.sts(None, "AssumeRoleWithWebIdentity", RoleArn=role, RoleSessionName="gha-deploy",
                       WebIdentityToken=gh_token(world))
    assert result["SubjectFromWebIdentityToken"] == "repo:securecart/storefront:ref:refs/heads/main"
    assert result["Provider"] == "https://token.actions.githubusercontent.com"
    # the token's aud, as GitHub documents it for AWS (configure-aws-credentials); spelled out so a wrong
    # constant in engine/federation/idp.py cannot pass
    assert result["Audience"] == "sts.amazonaws.com"
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{world.a}:assumed-role/Deploy/gha-deploy"
    assert world.session_caller(result).session.origin == "AssumeRoleWithWebIdentity"


def test_web_identity_sub_condition_refuses_other_branches(world):
    role = oidc_setup(world)
    with pytest.raises(AwsError) as info:
        world.sts(None, "AssumeRoleWithWebIdentity", RoleArn=role, RoleSessionName="gha",
                  WebIdentityToken=gh_token(world, branch="feature-x"))
    assert (info.value.code, info.value.message) == ("AccessDenied",
                                                     "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_web_identity_without_provider(world):
    role = world.role(world.a, "NoProvider", trust({"Federated": "arn:aws:iam::123456789012:oidc-provider/x"},
                                                   "sts:AssumeRoleWithWebIdentity"))
    world.lab.register_oidc_jwks(world.sandbox, GH.issuer_url, GH.jwks())
    with pytest.raises(AwsError) as info:
        world.sts(None, "AssumeRoleWithWebIdentity", RoleArn=role, RoleSessionName="gha",
                  WebIdentityToken=gh_token(world))
    assert info.value.message == \
        "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"


def test_the_checklist_of_a_refused_token_is_kept_by_request_id(world):
    from engine.federation import tamper
    from engine.federation.idp import decode_saml_response
    role = saml_role(world)
    admin = saml_role(world, "Admins")
    forged = tamper.change_role(decode_saml_response(assertion(world, role)), admin, world.provider_arn)
    meta = world.meta()
    with pytest.raises(AwsError):
        world.lab.sts("AssumeRoleWithSAML", None, {"RoleArn": admin, "PrincipalArn": world.provider_arn,
                                                    "SAMLAssertion": encode_saml_response(forged)}, meta)
    report = world.lab.federation_report(meta.request_id)
    assert report["error"]["defence"] == "signature-crypto"
    assert report["error"]["message"] == "Response signature invalid"
    assert [c["name"] for c in report["checks"]] == ["decode", "issuer", "signature"]
