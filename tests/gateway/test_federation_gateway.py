"""AssumeRoleWithSAML / AssumeRoleWithWebIdentity over the wire: boto3's unsigned client -> GatewayApp -> Lab.

The SDK must raise the same ClientError it would against AWS (code, message, HTTP status), and the credentials
it gets back must sign later calls.
"""
from __future__ import annotations

import json
import secrets

import pytest
from botocore.exceptions import ClientError
from moto.iam.models import iam_backends

from engine.federation import tamper
from engine.federation.idp import (GITHUB_ACTIONS_AUDIENCE, OidcIssuer, SamlIdp, SamlPerson, encode_saml_response,
                                   github_actions_claims)
from engine.federation.keys import SigningKey
from engine.lab import Lab
from engine.sts.federated import install
from gateway.app import GatewayApp
from gateway.client import default_moto, learner_client, unsigned_client

KEY = SigningKey.generate("idp.securecart.example")
ATTACKER = SigningKey.generate("attacker.example")
IDP = SamlIdp("https://idp.securecart.example/saml/metadata", "https://idp.securecart.example/saml/sso", KEY)
GH = OidcIssuer("https://token.actions.githubusercontent.com", KEY)


class Env:
    def __init__(self) -> None:
        self.lab = Lab()
        install(self.lab)
        self.account = "7" + "".join(secrets.choice("0123456789") for _ in range(11))
        self.sandbox = "sb-" + secrets.token_hex(4)
        self.lab.register_sandbox(self.sandbox, {"production": self.account})
        self.lab.register_oidc_jwks(self.sandbox, GH.issuer_url, GH.jwks())
        self.gateway = GatewayApp(self.lab, default_moto())
        iam = iam_backends[self.account]["global"]
        self.provider = iam.create_saml_provider("SecureCartIdP", IDP.metadata_xml()).arn
        oidc = iam.create_open_id_connect_provider(GH.issuer_url, [], [GITHUB_ACTIONS_AUDIENCE], [])
        read = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]})
        self.role = iam.create_role("Developers", json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": self.provider},
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}),
            "/", None, "", [], None).arn
        self.admin_role = iam.create_role("Admins", json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": self.provider},
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}]}), "/", None, "", [], None).arn
        self.deploy_role = iam.create_role("Deploy", json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": oidc.arn}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:securecart/storefront:ref:refs/heads/main"}}}]}),
            "/", None, "", [], None).arn
        for name in ("Developers", "Deploy"):
            iam.put_role_policy(name, "whoami", read)

    def sts(self):
        return unsigned_client("sts", gateway=self.gateway)

    def saml_xml(self, role_arn: str | None = None) -> str:
        person = SamlPerson("alice", role_pairs=[(role_arn or self.role, self.provider)], role_session_name="alice",
                            principal_tags={"Department": "Engineering"})
        return IDP.build_response(person, now=self.lab.now(self.sandbox))


@pytest.fixture
def env():
    e = Env()
    yield e
    iam_backends.pop(e.account, None)


def test_saml_over_the_wire_then_sign_with_the_credentials(env):
    result = env.sts().assume_role_with_saml(RoleArn=env.role, PrincipalArn=env.provider,
                                             SAMLAssertion=encode_saml_response(env.saml_xml()))
    assert result["Subject"] == "alice" and result["SubjectType"] == "persistent"
    assert result["NameQualifier"] and result["Audience"] == "https://signin.aws.amazon.com/saml"
    creds = result["Credentials"]
    me = learner_client("sts", access_key_id=creds["AccessKeyId"], secret_access_key=creds["SecretAccessKey"],
                        session_token=creds["SessionToken"], gateway=env.gateway).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{env.account}:assumed-role/Developers/alice"


def test_tampered_saml_is_invalid_identity_token_on_the_wire(env):
    forged = tamper.change_role(env.saml_xml(), env.admin_role, env.provider)
    with pytest.raises(ClientError) as info:
        env.sts().assume_role_with_saml(RoleArn=env.admin_role, PrincipalArn=env.provider,
                                        SAMLAssertion=encode_saml_response(forged))
    error = info.value.response
    assert error["Error"]["Code"] == "InvalidIdentityToken"
    assert error["Error"]["Message"] == "Response signature invalid"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_xsw_on_the_wire(env):
    forged = tamper.xsw_sibling(env.saml_xml(), env.admin_role, env.provider)
    with pytest.raises(ClientError) as info:
        env.sts().assume_role_with_saml(RoleArn=env.admin_role, PrincipalArn=env.provider,
                                        SAMLAssertion=encode_saml_response(forged))
    assert info.value.response["Error"]["Code"] == "InvalidIdentityToken"


def test_trust_refusal_is_403_access_denied(env):
    iam = iam_backends[env.account]["global"]
    iam.update_assume_role_policy("Developers", json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": env.provider},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"saml:sub": "bob"}}}]}))
    with pytest.raises(ClientError) as info:
        env.sts().assume_role_with_saml(RoleArn=env.role, PrincipalArn=env.provider,
                                        SAMLAssertion=encode_saml_response(env.saml_xml()))
    assert (info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_expired_saml_is_expired_token_exception(env):
    blob = encode_saml_response(env.saml_xml())
    env.lab.advance_clock(env.sandbox, 301)
    with pytest.raises(ClientError) as info:
        env.sts().assume_role_with_saml(RoleArn=env.role, PrincipalArn=env.provider, SAMLAssertion=blob)
    assert info.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert info.value.response["Error"]["Message"] == "Token must be redeemed within 5 minutes of issuance"


def _gh_token(env, branch="main", **claims):
    sub, extra = github_actions_claims("securecart/storefront", ref=f"refs/heads/{branch}")
    return GH.issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=env.lab.now(env.sandbox), extra_claims=extra,
                          **claims)


def test_web_identity_over_the_wire(env):
    result = env.sts().assume_role_with_web_identity(RoleArn=env.deploy_role, RoleSessionName="gha",
                                                     WebIdentityToken=_gh_token(env))
    assert result["Provider"] == "https://token.actions.githubusercontent.com"
    assert result["SubjectFromWebIdentityToken"] == "repo:securecart/storefront:ref:refs/heads/main"
    assert result["Audience"] == "sts.amazonaws.com"


@pytest.mark.parametrize("forge,code", [
    (lambda t: tamper.jwt_alg_none(t), "InvalidIdentityToken"),
    (lambda t: tamper.jwt_hs256_key_confusion(t, KEY.public_key_pem), "InvalidIdentityToken"),
    (lambda t: tamper.jwt_signed_with_own_key(t, ATTACKER), "InvalidIdentityToken"),
    (lambda t: tamper.jwt_with_claims_keep_signature(t, aud="other"), "InvalidIdentityToken"),
])
def test_forged_tokens_over_the_wire(env, forge, code):
    with pytest.raises(ClientError) as info:
        env.sts().assume_role_with_web_identity(RoleArn=env.deploy_role, RoleSessionName="gha",
                                                WebIdentityToken=forge(_gh_token(env)))
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_wrong_audience_token_signed_by_the_issuer(env):
    sub, extra = github_actions_claims("securecart/storefront")
    token = GH.issue_token(sub=sub, aud="sts.amazon.com", now=env.lab.now(env.sandbox))
    with pytest.raises(ClientError) as info:
        env.sts().assume_role_with_web_identity(RoleArn=env.deploy_role, RoleSessionName="gha",
                                                WebIdentityToken=token)
    assert info.value.response["Error"]["Message"] == "Incorrect token audience"


def test_other_branch_is_access_denied(env):
    with pytest.raises(ClientError) as info:
        env.sts().assume_role_with_web_identity(RoleArn=env.deploy_role, RoleSessionName="gha",
                                                WebIdentityToken=_gh_token(env, branch="feature"))
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
