"""Scenario 10, guardrails, walked in Chromium on a phone (390 px) and a projector (1920 px): the overview, every
step with its what-ifs, the waterfall of each refusal (the layer that decided, in words, without side scrolling),
the defend step and the recap."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S10 = "/scenarios/organization-guardrails"
WIDTHS = pytest.mark.parametrize("width", [390, 1920], ids=["phone", "projector"])


def _size(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 1080})


def _decided(page):
    """The layer the latest call's waterfall marks as deciding."""
    return page.locator("#result .call").last.locator(".waterfall .layer.decided")


def _what_if(page, slug: str, label: str) -> None:
    page.locator(f"[data-what-if='{slug}']").click()
    expect(page.locator("#result .result-headline.whatif")).to_contain_text(label)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "the page scrolls sideways"


@WIDTHS
def test_the_guardrails_scenario_by_clicking(page, width):
    _size(page, width)
    page.goto(f"{S10}/overview/")
    expect(page.locator("[data-overview]")).to_contain_text("What you will be able to do")
    expect(page.locator("[data-overview]")).to_contain_text("Advanced")
    page.locator("[data-start]").click()

    expect(page.get_by_role("heading", name="Meet SecureCart's organization", level=1)).to_be_visible()
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .result-headline.good")).to_be_visible()
    expect(page.locator("#result")).to_contain_text("INVITED")

    page.locator("a[rel=next]").click()
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .outcome.error").last).to_contain_text("AccessDeniedException")
    expect(_decided(page)).to_have_attribute("data-layer", "scp")
    expect(_decided(page)).to_contain_text("decided the answer")
    expect(page.locator("#result .call").last.locator(".waterfall")).to_contain_text("OnlyTwoRegions")
    _fits(page)
    _what_if(page, "management-account", "The same call from the management account")
    expect(page.locator("#result .outcome.ok").last).to_contain_text("200 OK")
    expect(page.locator("#result .call").last.locator("[data-layer='scp']")).to_contain_text("management account")
    _what_if(page, "stop-cloudtrail", "Stop CloudTrail")
    expect(_decided(page)).to_have_attribute("data-layer", "scp")

    page.locator("a[rel=next]").click()
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .outcome.error").last).to_contain_text("Access Denied")
    expect(_decided(page)).to_have_attribute("data-layer", "rcp")
    _fits(page)

    page.locator("a[rel=next]").click()
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .result-headline.good")).to_be_visible()
    _what_if(page, "audit-intern", "Read as the audit firm's intern")
    expect(_decided(page)).to_have_attribute("data-layer", "identity")

    page.locator("a[rel=next]").click()
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .result-headline.good")).to_be_visible()
    decided = page.locator("#result .call.call-error .waterfall .layer.decided")
    assert [decided.nth(i).get_attribute("data-layer") for i in range(decided.count())] == [
        "scp", "resource", "identity", "session"]
    _fits(page)

    page.locator("a[rel=next]").click()
    page.locator("[data-run-step]").click()
    expect(page.locator("#result")).to_contain_text("CloudTrailEvent")
    page.locator("[data-recap-link]").click()
    expect(page.locator("[data-recap]")).to_contain_text("service control policies")
    _fits(page)
