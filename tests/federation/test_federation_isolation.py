"""Federation is a tenant boundary (issue 9, item 1): a token or assertion issued for one sandbox is refused by every
other. Each sandbox runs its own copy of the lab's IdPs with its own signing keys (federation/services.py), and STS
resolves an issuer's keys for the role's sandbox only (engine/federation/registry.py). AWS's own rule holds on top:
the provider must be registered in the role's account and match issuer and audience (API_AssumeRoleWithWebIdentity).

The attack from the issue: a token minted on learner A's /federation/oidc/token/ page, sent by A from a terminal
(no keys needed) to assume SecureCart-GitHubDeploy in learner B's production account."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, encode_saml_response, github_actions_claims
from federation import identity_center, people, services
from gateway.client import unsigned_client
from sandboxes import services as sandbox_services

# AWS writes two spaces after the comma (aws-sdk-rust#827 shows the wire text)
NO_KEY = ("Couldn't retrieve verification key from your identity provider,  please reference "
          "AssumeRoleWithWebIdentity documentation for requirements")


def _token_from_the_page(learner, issuer: str) -> str:
    learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": issuer, "branch": "main",
                                                    "username": "alice"})
    return learner.client.session["federation_jwt"]


def _web_identity(role_arn: str, token: str):
    return unsigned_client("sts").assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="attack",
                                                               WebIdentityToken=token)


def _refused(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response


def _role(learner, name: str) -> str:
    return f"arn:aws:iam::{learner.sandbox.account_ids()['production']}:role/{name}"


@pytest.mark.parametrize("issuer, role", [("github", "SecureCart-GitHubDeploy"),
                                          ("securecart", "SecureCart-OIDC-Analysts")])
def test_an_oidc_token_from_one_sandbox_is_refused_by_another(learner, other_learner, issuer, role):
    token = _token_from_the_page(learner, issuer)
    assert _web_identity(_role(learner, role), token)["AssumedRoleUser"]["Arn"].endswith(f"/{role}/attack")

    answer = _refused(lambda: _web_identity(_role(other_learner, role), token))
    assert answer["Error"]["Code"] == "InvalidIdentityToken" and answer["Error"]["Message"] == NO_KEY
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400
    # B's own token still works: the boundary is per sandbox, not a broken issuer
    assert _web_identity(_role(other_learner, role), _token_from_the_page(other_learner, issuer))


def test_the_issue_attack_cannot_write_to_the_other_learners_bucket(learner, other_learner):
    # A's GitHub token, with exactly the claims B's trust policy asks for (repo, main branch, aud)
    sub, extra = github_actions_claims(services.GITHUB_REPOSITORY, ref="refs/heads/main")
    now = sandbox_services.sandbox_now(learner.sandbox)
    token = services.github_oidc(learner.sandbox.id).issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=now,
                                                                  extra_claims=extra)
    answer = _refused(lambda: _web_identity(_role(other_learner, "SecureCart-GitHubDeploy"), token))
    assert answer["Error"]["Code"] == "InvalidIdentityToken"
    # and the keys differ, so no forged header (same kid) could help either
    assert services.github_oidc(learner.sandbox.id).key.kid != services.github_oidc(other_learner.sandbox.id).key.kid


def test_the_jwks_pages_show_each_visitor_their_own_sandboxs_keys(learner, other_learner):
    mine = learner.client.get("/federation/oidc/github/jwks.json").json()
    theirs = other_learner.client.get("/federation/oidc/github/jwks.json").json()
    assert mine == services.github_oidc(learner.sandbox.id).jwks() and mine != theirs


def test_a_saml_assertion_signed_for_one_sandbox_is_refused_by_another(learner, other_learner):
    # The strongest form: A's IdP signs an assertion that names B's role and B's provider (as if A could make the
    # IdP say anything). B's SAML provider holds B's IdP certificate, so the signature does not verify.
    person = people.person("alice")
    b_accounts = other_learner.sandbox.account_ids()
    now = sandbox_services.sandbox_now(learner.sandbox).replace(microsecond=0)
    xml = services.saml_idp(learner.sandbox.id).build_response(services.saml_person(person, b_accounts), now=now)
    role_arn = _role(other_learner, "SecureCart-SAML-Developers")
    provider_arn = f"arn:aws:iam::{b_accounts['production']}:saml-provider/{services.SAML_PROVIDER_NAME}"
    sts = unsigned_client("sts")
    answer = _refused(lambda: sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn,
                                                        SAMLAssertion=encode_saml_response(xml)))
    assert answer["Error"] == {"Type": "Sender", "Code": "InvalidIdentityToken",
                               "Message": "Response signature invalid"}
    # the same assertion signed by B's own IdP is accepted: the refusal is the key, nothing else
    genuine = services.saml_idp(other_learner.sandbox.id).build_response(services.saml_person(person, b_accounts),
                                                                         now=now)
    assert sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn,
                                     SAMLAssertion=encode_saml_response(genuine))["Credentials"]


def test_a_saml_assertion_from_the_idp_page_of_one_sandbox_is_refused_by_another(learner, other_learner):
    learner.client.post("/federation/idp/login/", {"username": "alice", "password": "securecart", "next": "aws"})
    blob = learner.client.session["federation_saml_b64"]
    b_accounts = other_learner.sandbox.account_ids()
    answer = _refused(lambda: unsigned_client("sts").assume_role_with_saml(
        RoleArn=_role(other_learner, "SecureCart-SAML-Developers"),
        PrincipalArn=f"arn:aws:iam::{b_accounts['production']}:saml-provider/{services.SAML_PROVIDER_NAME}",
        SAMLAssertion=blob))
    assert answer["Error"]["Code"] == "InvalidIdentityToken"


def test_an_identity_center_assertion_for_one_sandbox_is_refused_by_another(learner, other_learner):
    inst_b, roles_b = identity_center.ensure_identity_center(other_learner.sandbox)
    identity_center.ensure_identity_center(learner.sandbox)
    target = roles_b[0]
    now = sandbox_services.sandbox_now(learner.sandbox).replace(microsecond=0)
    # Signed with A's Identity Center key, naming B's reserved role and B's AWSSSO_ provider
    forged = identity_center.portal_assertion(inst_b, people.person("alice"), target, now, learner.sandbox.id)
    answer = _refused(lambda: unsigned_client("sts").assume_role_with_saml(
        RoleArn=target.role_arn, PrincipalArn=target.provider_arn, SAMLAssertion=encode_saml_response(forged)))
    assert answer["Error"]["Code"] == "InvalidIdentityToken"
    genuine = identity_center.portal_assertion(inst_b, people.person("alice"), target, now, other_learner.sandbox.id)
    assert unsigned_client("sts").assume_role_with_saml(
        RoleArn=target.role_arn, PrincipalArn=target.provider_arn, SAMLAssertion=encode_saml_response(genuine))


def test_a_reset_keeps_the_sandboxs_keys_and_republishes_them(learner):
    kid = services.github_oidc(learner.sandbox.id).key.kid
    learner.sandbox.reset()
    assert services.github_oidc(learner.sandbox.id).key.kid == kid
    assert _web_identity(_role(learner, "SecureCart-GitHubDeploy"), _token_from_the_page(learner, "github"))
