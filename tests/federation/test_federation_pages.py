"""Federation pages through Django's test client: the IdP, metadata/JWKS, viewers, the tamper bench and the
Identity Center portal. Every STS call they make is real (unsigned, through the gateway)."""
from __future__ import annotations

import json
import re

import pytest
from lxml import etree

from sandboxes.credentials import get as stored_credentials


def _login(learner, username="alice", password="securecart", target="aws"):
    return learner.client.post("/federation/idp/login/", {"username": username, "password": password,
                                                            "next": target})


def test_overview_registers_the_providers_in_the_sandbox(learner):
    html = learner.client.get("/federation/").content.decode()
    production = learner.sandbox.account_ids()["production"]
    assert f"arn:aws:iam::{production}:saml-provider/SecureCartIdP" in html
    from gateway.client import admin_client
    iam = admin_client("iam", production)
    arns = [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    assert f"arn:aws:iam::{production}:saml-provider/SecureCartIdP" in arns
    urls = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert f"arn:aws:iam::{production}:oidc-provider/token.actions.githubusercontent.com" in urls
    # the federated roles are part of the seeded world
    role = iam.get_role(RoleName="SecureCart-SAML-Developers")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"].endswith("SecureCartIdP")


def test_metadata_download_is_saml_metadata_with_a_signing_certificate(learner):
    # the metadata (and its signing certificate) is the learner's own sandbox's IdP: keys are per sandbox
    response = learner.client.get("/federation/idp/metadata.xml")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    root = etree.fromstring(response.content)
    assert root.get("entityID") == "https://idp.securecart.example/saml/metadata"
    assert root.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text


def test_discovery_and_jwks(learner):
    client = learner.client  # the JWKS is the learner's own sandbox's issuer keys
    discovery = client.get("/federation/oidc/github/.well-known/openid-configuration").json()
    assert discovery["issuer"] == "https://token.actions.githubusercontent.com"
    assert discovery["jwks_uri"].endswith("/federation/oidc/github/jwks.json")
    jwks = client.get("/federation/oidc/github/jwks.json").json()
    assert jwks["keys"][0]["kty"] == "RSA" and jwks["keys"][0]["kid"]
    assert client.get("/federation/oidc/nope/jwks.json").status_code == 404


def test_wrong_password_is_refused(learner):
    response = _login(learner, password="nope")
    assert response.status_code == 401
    assert "Unknown user or wrong password" in response.content.decode()


def test_saml_sign_in_then_redeem_for_real(learner):
    response = _login(learner)
    assert response.status_code == 302 and response["Location"].endswith("/federation/idp/saml-response/")
    page = learner.client.get("/federation/idp/saml-response/").content.decode()
    assert "SecureCart-SAML-Developers" in page and "saml:aud" in page
    production = learner.sandbox.account_ids()["production"]
    role = f"arn:aws:iam::{production}:role/SecureCart-SAML-Developers"
    html = learner.client.post("/federation/idp/saml-response/", {"role": role}).content.decode()
    assert "AssumeRoleWithSAML succeeded" in html or "200 OK" in html
    creds = stored_credentials(learner.sandbox.id, "saml-session")
    assert creds is not None
    assert creds.arn == f"arn:aws:sts::{production}:assumed-role/SecureCart-SAML-Developers/alice@securecart.example"


def test_bob_is_refused_the_ops_role_only_if_not_named(learner):
    production = learner.sandbox.account_ids()["production"]
    _login(learner, "bob")
    html = learner.client.post("/federation/idp/saml-response/",
                               {"role": f"arn:aws:iam::{production}:role/SecureCart-SAML-Operations"}).content.decode()
    assert "200 OK" in html   # the Operations trust names saml:sub bob
    _login(learner, "alice")
    response = learner.client.post("/federation/idp/saml-response/",
                                   {"role": f"arn:aws:iam::{production}:role/SecureCart-SAML-Operations"})
    assert response.status_code == 400   # alice's assertion does not offer that role at all


def test_carol_has_no_role(learner):
    _login(learner, "carol")
    html = learner.client.get("/federation/idp/saml-response/").content.decode()
    assert "offers you no AWS role" in html


def test_oidc_token_issue_and_exchange(learner):
    learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "main"})
    html = learner.client.post("/federation/oidc/token/", {"action": "exchange", "issuer": "github"}).content.decode()
    assert "AssumeRoleWithWebIdentity" in html and "200 OK" in html
    learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "feature-x"})
    html = learner.client.post("/federation/oidc/token/", {"action": "exchange", "issuer": "github"}).content.decode()
    assert "AccessDenied" in html and "Not authorized to perform sts:AssumeRoleWithWebIdentity" in html


def test_corporate_oidc_requires_mfa_in_amr(learner):
    learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "securecart", "username": "bob"})
    html = learner.client.post("/federation/oidc/token/", {"action": "exchange", "issuer": "securecart"}).content.decode()
    assert "AccessDenied" in html
    learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "securecart", "username": "alice"})
    html = learner.client.post("/federation/oidc/token/", {"action": "exchange", "issuer": "securecart"}).content.decode()
    assert "200 OK" in html


@pytest.mark.parametrize("forgery,defence", [
    ("change-role", "signature-crypto"), ("stretch-expiry", "signature-crypto"),
    ("strip-signature", "signature-missing"), ("xsw-sibling", "xsw-one-assertion"),
    ("xsw-object", "xsw-one-assertion"), ("xsw-extensions", "xsw-one-assertion"), ("own-key", "signature-crypto"),
])
def test_tamper_bench_saml_forgeries_are_refused_for_real(learner, forgery, defence):
    page = learner.client.get("/federation/tamper/?kind=saml").content.decode()
    xml = _textarea(page, "tamper-xml")
    forged_page = learner.client.post("/federation/tamper/", {"kind": "saml", "xml": xml,
                                                              "action": f"forge:{forgery}"}).content.decode()
    forged = _textarea(forged_page, "tamper-xml")
    assert forged != xml
    html = learner.client.post("/federation/tamper/", {"kind": "saml", "xml": forged, "action": "submit"}
                               ).content.decode()
    assert "InvalidIdentityToken" in html
    assert f'data-defence="{defence}"' in html


def test_tamper_bench_genuine_assertion_passes(learner):
    page = learner.client.get("/federation/tamper/?kind=saml").content.decode()
    html = learner.client.post("/federation/tamper/", {"kind": "saml", "xml": _textarea(page, "tamper-xml"),
                                                       "action": "submit"}).content.decode()
    assert "200 OK" in html and "data-defence" not in html


def test_tamper_bench_expired_assertion_after_fast_forward(learner):
    page = learner.client.get("/federation/tamper/?kind=saml").content.decode()
    learner.sandbox.advance_clock(6 * 60)
    html = learner.client.post("/federation/tamper/", {"kind": "saml", "xml": _textarea(page, "tamper-xml"),
                                                       "action": "submit"}).content.decode()
    assert "ExpiredTokenException" in html and "Token must be redeemed within 5 minutes of issuance" in html


@pytest.mark.parametrize("forgery,defence", [
    ("alg-none", "algorithm"), ("hs256", "algorithm"), ("own-key", "signature"), ("other-audience", "signature"),
    ("other-sub", "signature"),
])
def test_tamper_bench_jwt_forgeries(learner, forgery, defence):
    page = learner.client.get("/federation/tamper/?kind=jwt").content.decode()
    token = _textarea(page, "tamper-token")
    forged = _textarea(learner.client.post("/federation/tamper/", {"kind": "jwt", "token": token,
                                                                   "action": f"forge:{forgery}"}).content.decode(),
                       "tamper-token")
    html = learner.client.post("/federation/tamper/", {"kind": "jwt", "token": forged, "action": "submit"}
                               ).content.decode()
    assert "InvalidIdentityToken" in html and f'data-defence="{defence}"' in html


@pytest.mark.parametrize("garbage", ["", "<<<", "not base64 at all", "a.b", "x" * 50_000])
def test_viewers_and_bench_never_crash_on_garbage(learner, garbage):
    assert learner.client.post("/federation/inspect/saml/", {"assertion": garbage}).status_code == 200
    assert learner.client.post("/federation/inspect/jwt/", {"token": garbage}).status_code == 200
    response = learner.client.post("/federation/tamper/", {"kind": "saml", "xml": garbage, "action": "submit"})
    assert response.status_code == 200
    response = learner.client.post("/federation/tamper/", {"kind": "jwt", "token": garbage or "x",
                                                           "action": "forge:alg-none"})
    assert response.status_code == 200


def test_oversized_posts_are_a_400_not_a_crash(learner):
    response = learner.client.post("/federation/inspect/saml/", {"assertion": "x" * 100_000})
    assert response.status_code == 400


def test_viewer_checks_like_sts(learner):
    _login(learner)
    html = learner.client.get("/federation/inspect/saml/").content.decode()
    assert "STS would accept this assertion" in html and "saml:namequalifier" in html


def test_portal_sign_in_credentials_and_session_end(learner):
    page = learner.client.get("/federation/portal/").content.decode()
    assert "Sign in with the SecureCart IdP" in page
    _login(learner, "alice", target="portal")
    page = learner.client.get("/federation/portal/").content.decode()
    assert "DeveloperAccess" in page and "OperationsAccess" not in page
    developer = learner.sandbox.account_ids()["developer"]
    html = learner.client.post("/federation/portal/credentials/", {"account_id": developer,
                                                                    "permission_set": "DeveloperAccess"}
                               ).content.decode()
    assert "export AWS_ACCESS_KEY_ID=ASIA" in html
    creds = stored_credentials(learner.sandbox.id, "portal-session")
    assert re.search(r"assumed-role/AWSReservedSSO_DeveloperAccess_[0-9a-f]{16}/alice$", creds.arn)
    # alice may not take the operations permission set
    denied = learner.client.post("/federation/portal/credentials/", {"account_id": developer,
                                                                     "permission_set": "OperationsAccess"})
    assert denied.status_code == 403
    learner.sandbox.advance_clock(2 * 3600 + 1)
    page = learner.client.get("/federation/portal/").content.decode()
    assert "data-portal-expired" in page


def test_provisioned_role_has_the_trust_policy_aws_writes(learner):
    _login(learner, "bob", target="portal")
    learner.client.get("/federation/portal/")
    from gateway.client import admin_client
    iam = admin_client("iam", learner.sandbox.account_ids()["production"])
    roles = [r for r in iam.list_roles(PathPrefix="/aws-reserved/sso.amazonaws.com/")["Roles"]]
    assert {r["RoleName"].rsplit("_", 1)[0] for r in roles} >= {"AWSReservedSSO_OperationsAccess",
                                                                 "AWSReservedSSO_DeveloperAccess"}
    statement = roles[0]["AssumeRolePolicyDocument"]["Statement"][0]
    assert re.fullmatch(r"arn:aws:iam::\d{12}:saml-provider/AWSSSO_[0-9a-f]{16}_DO_NOT_DELETE",
                        statement["Principal"]["Federated"])
    assert sorted(statement["Action"]) == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    assert statement["Condition"] == {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}


def _textarea(html: str, element_id: str) -> str:
    import html as htmllib
    match = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {element_id}"
    return htmllib.unescape(match.group(1))


def test_jwt_viewer_checks_the_signature(learner):
    from engine.federation import tamper
    learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "main"})
    html = learner.client.get("/federation/inspect/jwt/").content.decode()
    assert 'data-signature-status="valid"' in html and "repo:securecart/storefront:ref:refs/heads/main" in html
    token = learner.client.session["federation_jwt"]
    forged = tamper.jwt_with_claims_keep_signature(token, sub="repo:evil/fork:ref:refs/heads/main")
    html = learner.client.post("/federation/inspect/jwt/", {"token": forged}).content.decode()
    assert 'data-signature-status="invalid"' in html
    html = learner.client.post("/federation/inspect/jwt/", {"token": tamper.jwt_alg_none(token)}).content.decode()
    assert 'data-signature-status="refused"' in html
