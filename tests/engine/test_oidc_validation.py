"""AssumeRoleWithWebIdentity validation rules, each proved with a REAL RS256 token from the mock issuer.

Sources: API_AssumeRoleWithWebIdentity (RS256/384/512, ES256/384/512; Provider = iss; SubjectFromWebIdentityToken
= sub), CreateOpenIDConnectProvider (URL = iss, ClientIDList), observed messages "Incorrect token audience"
(awslabs/amazon-eks-irsa-cfn #18) and "No OpenIDConnect provider found in your account for ..."
(aws-actions/configure-aws-credentials #280).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.federation import tamper
from engine.federation.errors import FederationError
from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, OidcIssuer, github_actions_claims
from engine.federation.keys import SigningKey
from engine.federation.oidc import OidcProviderRecord, validate_web_identity_token
from engine.federation.registry import JwksRegistry

ACCOUNT = "111122223333"
ISSUER_URL = "https://idp.securecart.example/oidc"
SANDBOX = "sb-oidc-tests"
PROVIDER = OidcProviderRecord(f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.securecart.example/oidc",
                              "idp.securecart.example/oidc", ("securecart-storefront",))
NOW = datetime(2031, 3, 4, 10, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def issuer_key() -> SigningKey:
    return SigningKey.generate("oidc.securecart.example")


@pytest.fixture(scope="module")
def attacker_key() -> SigningKey:
    return SigningKey.generate("attacker.example")


@pytest.fixture(scope="module")
def issuer(issuer_key) -> OidcIssuer:
    return OidcIssuer(ISSUER_URL, issuer_key)


@pytest.fixture()
def registry(issuer) -> JwksRegistry:
    registry = JwksRegistry()
    registry.register(SANDBOX, issuer.issuer_url, issuer.jwks())
    return registry


def token(issuer: OidcIssuer, **options) -> str:
    values = dict(sub="bob", aud="securecart-storefront", now=NOW, amr=["pwd", "mfa"])
    values.update(options)
    return issuer.issue_token(**values)


def check(tok: str, registry: JwksRegistry, *, providers=(PROVIDER,), now: datetime = NOW,
          jwks_sandbox: str | None = None):
    def find(iss: str):
        wanted = iss.removeprefix("https://").rstrip("/")
        return next((p for p in providers if p.host_path == wanted), None)
    return validate_web_identity_token(tok, find_provider=find, role_account=ACCOUNT, jwks_for=registry.resolver(jwks_sandbox or SANDBOX),
                                       now=now)


def refused(tok: str, registry: JwksRegistry, **kwargs) -> FederationError:
    with pytest.raises(FederationError) as info:
        check(tok, registry, **kwargs)
    return info.value


def test_valid_token_gives_aws_result_fields_and_condition_keys(issuer, registry):
    result = check(token(issuer), registry)
    assert result.result_fields() == {"SubjectFromWebIdentityToken": "bob", "Provider": ISSUER_URL,
                                      "Audience": "securecart-storefront"}
    assert result.condition_context == {"idp.securecart.example/oidc:aud": "securecart-storefront",
                                        "idp.securecart.example/oidc:sub": "bob",
                                        "idp.securecart.example/oidc:amr": ["pwd", "mfa"]}
    assert all(c.passed for c in result.checks)


def test_audience_list_matches_any_client_id(issuer, registry):
    assert check(token(issuer, aud=["other", "securecart-storefront"]), registry).audience == "securecart-storefront"


def test_wrong_audience(issuer, registry):
    error = refused(token(issuer, aud="sts.amazon.com"), registry)
    assert (error.code, error.message, error.status) == ("InvalidIdentityToken", "Incorrect token audience", 400)
    assert error.defence == "client-id"


def test_audience_edited_after_signing_breaks_the_signature(issuer, registry):
    forged = tamper.jwt_with_claims_keep_signature(token(issuer, aud="another-app"), aud="securecart-storefront")
    error = refused(forged, registry)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "signature")


def test_expired_token(issuer, registry):
    tok = token(issuer, lifetime_seconds=300)
    check(tok, registry, now=NOW + timedelta(seconds=299))
    error = refused(tok, registry, now=NOW + timedelta(seconds=300))
    assert (error.code, error.status, error.defence) == ("ExpiredTokenException", 400, "expiry")


def test_times_follow_the_sandbox_clock(issuer, registry):
    real_now = datetime.now(timezone.utc)
    tok = token(issuer, now=real_now)
    assert check(tok, registry, now=real_now).subject == "bob"
    assert refused(tok, registry, now=NOW).code == "ExpiredTokenException"


def test_token_issued_in_the_future(issuer, registry):
    assert refused(token(issuer, now=NOW + timedelta(hours=1)), registry).defence == "expiry"


def test_signed_with_another_key_under_our_kid(issuer, registry, attacker_key):
    forged = tamper.jwt_signed_with_own_key(token(issuer), attacker_key, sub="admin")
    error = refused(forged, registry)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "signature")


def test_alg_none_is_refused_before_any_key_lookup(issuer, registry):
    error = refused(tamper.jwt_alg_none(token(issuer), sub="admin"), registry)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "algorithm")
    assert [c.name for c in error.checks] == ["decode", "algorithm"]


def test_hs256_key_confusion_with_the_public_key(issuer, issuer_key, registry):
    forged = tamper.jwt_hs256_key_confusion(token(issuer), issuer_key.public_key_pem, sub="admin")
    error = refused(forged, registry)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "algorithm")


def test_unknown_issuer_has_no_provider(issuer_key, registry):
    stranger = OidcIssuer("https://accounts.evil.example", issuer_key)
    error = refused(token(stranger), registry)
    assert (error.code, error.message) == (
        "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://accounts.evil.example")


def test_iss_changed_after_signing(issuer, registry):
    forged = tamper.jwt_with_claims_keep_signature(token(issuer), sub="admin")
    assert refused(forged, registry).defence == "signature"


def test_unknown_kid(issuer, registry, attacker_key):
    rotated = OidcIssuer(ISSUER_URL, attacker_key)          # same issuer URL, a key the JWKS does not publish
    error = refused(token(rotated), registry)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "kid")


def test_jwks_not_reachable(issuer):
    error = refused(token(issuer), JwksRegistry())
    assert error.defence == "jwks"
    # AWS's wire text has two spaces after the comma (observed: awslabs/aws-sdk-rust#827, aws/aws-sdk-php#1725)
    assert error.message == ("Couldn't retrieve verification key from your identity provider,  please reference "
                             "AssumeRoleWithWebIdentity documentation for requirements")


def test_key_rotation_publishes_both_keys(issuer_key, attacker_key):
    new_key_issuer = OidcIssuer(ISSUER_URL, attacker_key, extra_keys=[issuer_key])
    registry = JwksRegistry()
    registry.register(SANDBOX, ISSUER_URL, new_key_issuer.jwks())
    old_issuer = OidcIssuer(ISSUER_URL, issuer_key)
    assert check(token(old_issuer), registry).subject == "bob"
    assert check(token(new_key_issuer), registry).subject == "bob"


@pytest.mark.parametrize("garbage", ["abcd", "a.b.c", "not-a-jwt-at-all", "eyJhbGciOiJSUzI1NiJ9.e30"])
def test_garbage_is_invalid_identity_token(registry, garbage):
    error = refused(garbage, registry)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "decode")


def test_missing_sub(issuer, issuer_key, registry):
    import jwt as pyjwt
    claims = {"iss": ISSUER_URL, "aud": "securecart-storefront", "iat": int(NOW.timestamp()),
              "exp": int(NOW.timestamp()) + 600}
    tok = pyjwt.encode(claims, issuer_key.private_key_pem, algorithm="RS256", headers={"kid": issuer_key.kid})
    assert refused(tok, registry).defence == "subject"


def test_github_actions_style_token(issuer_key):
    gh = OidcIssuer("https://token.actions.githubusercontent.com", issuer_key)
    registry = JwksRegistry()
    registry.register(SANDBOX, gh.issuer_url, gh.jwks())
    sub, extra = github_actions_claims("securecart/storefront", ref="refs/heads/main")
    provider = OidcProviderRecord(f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
                                  "token.actions.githubusercontent.com", (GITHUB_ACTIONS_AUDIENCE,))
    result = check(gh.issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=NOW, extra_claims=extra), registry,
                   providers=(provider,))
    assert result.condition_context["token.actions.githubusercontent.com:sub"] == \
        "repo:securecart/storefront:ref:refs/heads/main"
    assert result.condition_context["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"


def test_registry_normalises_issuer_urls(issuer):
    registry = JwksRegistry()
    registry.register(SANDBOX, "https://idp.securecart.example/oidc/", issuer.jwks())
    assert registry.resolve(SANDBOX, "idp.securecart.example/oidc") == issuer.jwks()
    with pytest.raises(ValueError):
        registry.register(SANDBOX, ISSUER_URL, {"not": "a jwks"})


def test_registry_keeps_each_sandboxs_keys_to_itself(issuer, issuer_key, attacker_key):
    # issue 9: the same issuer URL resolves to each sandbox's own keys, and to nothing in a sandbox without them
    registry = JwksRegistry()
    registry.register(SANDBOX, ISSUER_URL, issuer.jwks())
    registry.register("sb-other", ISSUER_URL, OidcIssuer(ISSUER_URL, attacker_key).jwks())
    assert registry.resolve(SANDBOX, ISSUER_URL) == issuer.jwks()
    assert registry.resolve("sb-other", ISSUER_URL) != issuer.jwks()
    assert registry.resolve("sb-third", ISSUER_URL) is None and registry.resolve(None, ISSUER_URL) is None
    error = refused(token(issuer), registry, jwks_sandbox="sb-other")
    assert (error.code, error.defence) == ("InvalidIdentityToken", "kid")
    registry.forget_sandbox(SANDBOX)
    assert refused(token(issuer), registry).defence == "jwks"
