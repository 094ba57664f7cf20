"""The policy lab in Chromium on a phone (390 px) and a projector (1920 px): simulate an AssumeRole (the trust
policy's layer in the waterfall, the missing context key named), check a trust policy losing its MFA condition (FAIL,
the counterexample), and replay the counterexample in the console with one click; no sideways scrolling."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = pytest.mark.parametrize("width", [390, 1920], ids=["phone", "projector"])


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "the page scrolls sideways"


@WIDTHS
def test_the_policy_lab_by_clicking(page, width, settings):
    # The console itself (its sandboxed AWS CLI) is tested in test_challenges_console.py; here only the one-click
    # hand-over matters, so the console is off and answers at once, echoing the command it was given.
    settings.LAB_CONSOLE = "off"
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 1080})
    page.goto("/policy-lab/")
    expect(page.get_by_role("heading", name="Policy lab", level=1)).to_be_visible()
    principal = page.get_by_label("Whose policies (user, group or role ARN)").input_value()
    production = principal.split(":")[4]
    role = f"arn:aws:iam::{production}:role/SecureCart-AuditRole"

    page.get_by_label("Resource ARNs, one a line (empty: *)").fill(role)
    page.get_by_role("button", name="Simulate").click()
    result = page.locator("#simulation [data-eval-decision]").first
    expect(result).to_have_attribute("data-eval-decision", "implicitDeny")
    waterfall = result.locator(".waterfall")
    if width < 600:     # on a phone the waterfall starts closed, the reason above it first (static/js/lab.js)
        expect(waterfall).not_to_have_attribute("open", "")
        waterfall.locator("summary").click()
    expect(waterfall.locator("[data-layer='resource']")).to_be_visible()
    expect(waterfall.locator("[data-layer='resource']")).to_have_attribute("data-verdict", "silent")
    expect(result.locator("[data-missing-context]")).to_contain_text("sts:ExternalId")
    _fits(page)

    page.get_by_label("The role this trust policy belongs to (its ARN, to replay the counterexample)").fill(role)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#check [data-check-result]")).to_have_attribute("data-check-result", "FAIL")
    expect(page.locator("#check [data-counterexample]")).to_contain_text("aws:MultiFactorAuthPresent")
    expect(page.locator("#check [data-counterexample]")).to_contain_text("absent from the request")
    _fits(page)

    page.get_by_role("button", name="Run it in the console").click()
    expect(page.get_by_role("heading", name="AWS CLI console", level=1)).to_be_visible()
    expect(page.locator("#console-log")).to_contain_text(f"aws sts assume-role --role-arn {role}")
    expect(page.locator("#console-log")).to_contain_text("lab-admin (production)")
    _fits(page)
