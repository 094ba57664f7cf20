"""Scenario 10, guardrails, through the Django test client: every step and what-if makes its real calls and each
refusal comes from the layer the lesson names (the stored result's decision layers), run after run."""
from __future__ import annotations

import pytest

S10 = "organization-guardrails"


def decided(call: dict) -> list[str]:
    return [layer["kind"] for layer in (call["decision"] or {}).get("layers", []) if layer["decided"]]


def run(learner, step: str, variant: str = "") -> dict:
    response = learner.run(S10, step, variant)
    assert response.status_code in (200, 302)
    return learner.last_result(S10, step)


def test_the_scenario_from_the_organization_to_a_refusal_at_every_layer(learner):
    meet = run(learner, "meet-the-organization")
    assert meet["succeeded"], meet
    accounts = meet["calls"][1]["response"]["Accounts"]
    assert {a["JoinedMethod"] for a in accounts} == {"CREATED", "INVITED"} and len(accounts) == 3
    roots = meet["calls"][2]["response"]["Roots"][0]["PolicyTypes"]
    assert {t["Type"] for t in roots} == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    firm = meet["calls"][3]["response"]["Organization"]["Id"]
    assert firm != meet["calls"][0]["response"]["Organization"]["Id"]     # the auditors' own organization

    scp = run(learner, "scp-guardrails")
    assert scp["succeeded"], [(c["label"], c["error"]) for c in scp["calls"]]
    refused = scp["calls"][-1]
    assert refused["error"]["code"] == "AccessDeniedException"
    assert refused["error"]["message"].endswith("with an explicit deny in a service control policy")
    assert decided(refused) == ["scp"]
    for variant, layer in (("stop-cloudtrail", "scp"), ("leave-organization", "scp")):
        result = run(learner, "scp-guardrails", variant)
        assert result["succeeded"] and decided(result["calls"][-1]) == [layer], variant
    for variant in ("allowed-region", "management-account"):
        assert run(learner, "scp-guardrails", variant)["succeeded"], variant
    management = learner.last_result(S10, "scp-guardrails")["calls"][-1]["decision"]
    assert next(l for l in management["layers"] if l["kind"] == "scp")["verdict"] == "not-in-play"

    rcp = run(learner, "rcp-keeps-invoices-inside")
    assert rcp["succeeded"], [(c["label"], c["error"]) for c in rcp["calls"]]
    refused = rcp["calls"][-1]
    # S3 gives the reason only to callers of the same account or organization (S3 User Guide, "Troubleshoot access
    # denied (403 Forbidden) errors"): the auditor is outside, so the wire says "Access Denied" and only the
    # waterfall tells which layer refused
    assert (refused["error"]["code"], refused["error"]["message"]) == ("AccessDenied", "Access Denied")
    assert decided(refused) == ["rcp"]
    layers = {l["kind"]: l["verdict"] for l in refused["decision"]["layers"]}
    assert layers["resource"] == "allow" and layers["identity"] == "allow"   # both yeses, and still no
    assert run(learner, "rcp-keeps-invoices-inside", "inside-the-organization")["succeeded"]

    exception = run(learner, "rcp-exception")
    assert exception["succeeded"], [(c["label"], c["error"]) for c in exception["calls"]]
    intern = run(learner, "rcp-exception", "audit-intern")
    assert intern["succeeded"] and decided(intern["calls"][-1]) == ["identity"]

    every = run(learner, "every-layer")
    assert every["succeeded"], [(c["label"], c["error"]) for c in every["calls"]]
    refusals = [c for c in every["calls"] if c["expect"]]
    assert [decided(c) for c in refusals] == [["scp"], ["resource"], ["identity"], ["session"]]


def test_running_a_step_again_keeps_one_policy_attached_once(learner):
    run(learner, "scp-guardrails")
    again = run(learner, "scp-guardrails")
    assert again["succeeded"]
    operations = [c["operation"] for c in again["calls"]]
    assert "CreatePolicy" not in operations and "AttachPolicy" not in operations and "UpdatePolicy" in operations


@pytest.mark.parametrize("step", ["scp-guardrails", "rcp-keeps-invoices-inside"])
def test_the_step_page_shows_the_guardrail_with_its_deciding_statement(learner, step):
    run(learner, step)
    html = learner.client.get(f"/scenarios/{S10}/{step}/").content.decode()
    assert "deciding" in html and 'data-layer="' in html
    assert ("OnlyTwoRegions" if step == "scp-guardrails" else "OnlyOurOrganization") in html
