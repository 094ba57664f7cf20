"""Scenario 3 in the player: every step and "what if" runs for real, and the SAML:aud condition is broken and
mended through the trust-policy editor."""
from __future__ import annotations

import json

import pytest

S3 = "federation-idp"


def _calls(result):
    return [(c["ok"], (c["error"] or {}).get("code")) for c in result["calls"]]


def test_saml_sign_in_step(learner):
    learner.run(S3, "saml-sign-in")
    result = learner.last_result(S3, "saml-sign-in")
    assert result["succeeded"], result
    assert _calls(result) == [(True, None), (True, None), (True, None)]
    assert "AssumeRoleWithSAML" in result["calls"][0]["operation"]
    assert result["calls"][0]["decision"]["allowed"] is True
    assert any("Signed with the key in the provider" in note for note in result["notes"])


@pytest.mark.parametrize("variant,code", [("role-not-granted", "ValidationError"),
                                          ("replayed-late", "ExpiredTokenException"),
                                          ("tampered", "InvalidIdentityToken")])
def test_saml_what_ifs(learner, variant, code):
    learner.run(S3, "saml-sign-in", variant)
    result = learner.last_result(S3, "saml-sign-in")
    assert _calls(result) == [(False, code)] and result["succeeded"]


def test_break_and_mend_saml_aud(learner):
    from sandboxes.world import seeded_trust_policy
    trust = seeded_trust_policy("SecureCart-SAML-Developers", learner.sandbox.account_ids())
    trust["Statement"][0]["Condition"]["StringEquals"]["SAML:aud"] = "https://signin.aws.amazon.com/saml/evil"
    response = learner.client.post(f"/scenarios/{S3}/saml-sign-in/trust/", {"document": json.dumps(trust)})
    assert response.status_code == 302 and response["Location"].endswith("/saml-sign-in/#result")   # saved and run again
    result = learner.last_result(S3, "saml-sign-in")
    assert _calls(result)[0] == (False, "AccessDenied")
    failed = [c for p in result["calls"][0]["decision"]["policies"] for s in p["statements"]
              for c in s.get("conditions", []) if not c["outcome"]]
    assert any(c["key"].lower() == "saml:aud" for c in failed)
    learner.client.post(f"/scenarios/{S3}/saml-sign-in/trust/restore/")
    learner.run(S3, "saml-sign-in")
    assert learner.last_result(S3, "saml-sign-in")["succeeded"]


def test_saml_sub_step_and_misconfigured_idp(learner):
    learner.run(S3, "saml-sub-condition")
    assert learner.last_result(S3, "saml-sub-condition")["succeeded"]
    learner.run(S3, "saml-sub-condition", "idp-misconfigured")
    assert _calls(learner.last_result(S3, "saml-sub-condition")) == [(False, "AccessDenied")]


def test_github_step_and_what_ifs(learner):
    learner.run(S3, "github-actions-oidc")
    result = learner.last_result(S3, "github-actions-oidc")
    assert result["succeeded"] and _calls(result) == [(True, None), (True, None)]
    for variant, code in (("feature-branch", "AccessDenied"), ("wrong-audience", "InvalidIdentityToken"),
                          ("expired-token", "ExpiredTokenException")):
        learner.run(S3, "github-actions-oidc", variant)
        assert _calls(learner.last_result(S3, "github-actions-oidc")) == [(False, code)], variant


def test_wildcard_sub_is_the_classic_mistake(learner):
    from sandboxes.world import seeded_trust_policy
    trust = seeded_trust_policy("SecureCart-GitHubDeploy", learner.sandbox.account_ids())
    condition = trust["Statement"][0]["Condition"]
    sub = condition["StringEquals"].pop("token.actions.githubusercontent.com:sub")
    assert sub.endswith(":ref:refs/heads/main")
    condition["StringLike"] = {"token.actions.githubusercontent.com:sub": "repo:securecart/*"}
    learner.client.post(f"/scenarios/{S3}/github-actions-oidc/trust/", {"document": json.dumps(trust)})
    learner.run(S3, "github-actions-oidc", "feature-branch")
    # with the loose pattern, the feature branch gets in: the step's expectation (AccessDenied) is no longer met
    assert _calls(learner.last_result(S3, "github-actions-oidc")) == [(True, None)]


def test_forgeries_step(learner):
    learner.run(S3, "forgeries")
    result = learner.last_result(S3, "forgeries")
    assert result["succeeded"]
    assert _calls(result) == [(False, "InvalidIdentityToken")] * 7
    assert sum('data-defence="' in note for note in result["notes"]) == 7


def test_step_pages_render(learner):
    for step in ("saml-sign-in", "saml-sub-condition", "github-actions-oidc", "forgeries"):
        response = learner.client.get(f"/scenarios/{S3}/{step}/")
        assert response.status_code == 200, step
