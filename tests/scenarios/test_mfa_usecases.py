"""The three SecureCart use cases (home page entries 7-9), run through the views with real calls."""
from __future__ import annotations


def test_use_cases_are_on_the_home_page(learner):
    page = learner.client.get("/").content.decode()
    for slug in ("use-case-ec2-product-images", "use-case-auditors", "use-case-teams"):
        assert f"/scenarios/{slug}/" in page


def test_ec2_product_images_use_case(learner):
    for step in ("launch-instance", "instance-credentials", "read-product-images"):
        learner.run("use-case-ec2-product-images", step)
        assert learner.last_result("use-case-ec2-product-images", step)["succeeded"], step
    image, invoice = learner.last_result("use-case-ec2-product-images", "read-product-images")["calls"]
    assert image["ok"] and invoice["error"]["code"] == "AccessDenied"


def test_auditors_use_case(learner):
    s = "use-case-auditors"
    learner.run(s, "one-hour", variant="two-hours")
    two = learner.last_result(s, "one-hour")["calls"][0]
    assert two["error"]["code"] == "ValidationError" and "MaxSessionDuration" in two["error"]["message"]
    for step in ("one-hour", "read-only", "hour-over"):
        learner.run(s, step)
        assert learner.last_result(s, step)["succeeded"], learner.last_result(s, step)


def test_teams_use_case_mfa_opens_operations(learner):
    s = "use-case-teams"
    for step in ("developers", "operations-need-mfa", "operations"):
        learner.run(s, step)
        result = learner.last_result(s, step)
        assert result["succeeded"], [(c["label"], c["error"]) for c in result["calls"]]
    ops = learner.last_result(s, "operations")["calls"]
    assert ops[0]["operation"] == "AssumeRole" and ops[0]["ok"] and ops[-1]["ok"]
