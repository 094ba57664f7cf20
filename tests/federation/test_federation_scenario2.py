"""Scenario 2 (IAM Identity Center) in the player, in order, with real calls through the gateway."""
from __future__ import annotations

import re


S2 = "identity-center"


def _codes(result):
    return [(c["ok"], (c["error"] or {}).get("code")) for c in result["calls"]]


def test_identity_center_end_to_end(learner):
    learner.run(S2, "directory")
    result = learner.last_result(S2, "directory")
    assert result["succeeded"], result
    names = {u["UserName"] for u in result["calls"][1]["response"]["Users"]}
    assert names == {"alice", "bob", "carol"}

    learner.run(S2, "permission-set")
    assert learner.last_result(S2, "permission-set")["succeeded"]
    learner.run(S2, "assign")
    assert learner.last_result(S2, "assign")["succeeded"]

    learner.run(S2, "provision")
    result = learner.last_result(S2, "provision")
    assert result["succeeded"], result
    role = result["calls"][-1]["response"]["Role"]
    assert role["Path"] == "/aws-reserved/sso.amazonaws.com/"
    assert re.fullmatch(r"AWSReservedSSO_DeveloperAccess_[0-9a-f]{16}", role["RoleName"])
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Condition"] == {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}

    learner.run(S2, "portal")
    result = learner.last_result(S2, "portal")
    assert result["succeeded"], result
    assert result["calls"][0]["operation"] == "AssumeRoleWithSAML"
    arn = result["calls"][1]["response"]["Arn"]
    assert re.search(r":assumed-role/AWSReservedSSO_DeveloperAccess_[0-9a-f]{16}/alice$", arn)

    learner.run(S2, "portal", "not-assigned")
    assert _codes(learner.last_result(S2, "portal")) == [(False, "InvalidIdentityToken")]

    learner.run(S2, "session-ends")
    assert _codes(learner.last_result(S2, "session-ends")) == [(True, None)]
    learner.sandbox.advance_clock(3601)
    learner.run(S2, "session-ends")
    assert _codes(learner.last_result(S2, "session-ends")) == [(False, "RequestExpired")]
    learner.run(S2, "session-ends", "assume-again")
    assert learner.last_result(S2, "session-ends")["succeeded"]


def test_steps_out_of_order_point_back(learner):
    from federation import identity_center
    # moto keeps Identity Center data apart from what a sandbox rebuild wipes; start from a fresh instance
    identity_center.wipe(learner.sandbox.account_ids()["production"])
    learner.run(S2, "portal")
    result = learner.last_result(S2, "portal")
    assert not result["succeeded"]
    assert result["needs"]["url"].endswith("/provision/") or result["needs"]["url"].endswith("/permission-set/")


def test_pages_render(learner):
    for step in ("directory", "permission-set", "assign", "provision", "portal", "session-ends"):
        assert learner.client.get(f"/scenarios/{S2}/{step}/").status_code == 200
