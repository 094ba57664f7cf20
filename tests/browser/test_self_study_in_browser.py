"""Issue 15, as a first-time learner meets it, on a phone (390 px) and a desktop (1920 px): what-if explanations
follow the engine, expiry steps need an expiry, the tamper bench lands on its result, an expired session points
back to the step that issues it, and a step page is short on a phone with a compact header."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

S1 = "/scenarios/cross-account-auditors"
S5 = "/scenarios/mfa-protected-access"
WIDTHS = pytest.mark.parametrize("width", [390, 1920], ids=["phone", "desktop"])


def _size(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 1080})


def _open(page, summary: str) -> None:
    """Open a panel that a phone shows folded (a desktop shows it open already)."""
    details = page.locator("details", has=page.locator("summary", has_text=summary)).first
    if not details.evaluate("d => d.open"):
        details.locator("summary").first.click()


def _home_progress(page, title: str) -> str:
    page.goto("/")
    return page.locator(".scenario-item", has_text=title).first.locator(".scenario-status").inner_text()


# ------------------------------------------------------------------------------------------------- item 1
@WIDTHS
def test_what_if_explanation_follows_the_edited_trust_policy(page, width):
    _size(page, width)
    page.goto(f"{S1}/assume-audit-role/")
    _open(page, "Edit the trust policy")
    policy = json.loads(page.locator("#trust-document").input_value())
    del policy["Statement"][0]["Condition"]
    page.locator("#trust-document").fill(json.dumps(policy, indent=2))
    page.get_by_role("button", name="Save and run again").click()
    expect(page.locator("#editor .form-ok")).to_be_visible()
    page.locator("[data-what-if='missing-external-id']").click()
    result = page.locator("#result")
    expect(result.locator(".outcome.ok").first).to_contain_text("200 OK")
    expect(result.locator("[data-different-outcome]")).to_be_visible()
    expect(result).not_to_contain_text("absent key is false")


# ------------------------------------------------------------------------------------------------- item 2
@WIDTHS
def test_the_expiry_step_counts_only_after_an_expired_call(page, width):
    _size(page, width)
    page.goto(f"{S1}/assume-audit-role/")
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .result-headline.good")).to_be_visible()
    page.goto(f"{S1}/session-expires/")
    page.locator("[data-what-if='assume-again']").click()
    expect(page.locator("#result")).to_contain_text("AssumeRole succeeded")
    assert "1 of 6 steps" in _home_progress(page, "Cross-account access for auditors")

    page.goto(f"{S1}/session-expires/")
    page.locator("[data-run-step]").click()                 # still valid: not the lesson yet
    expect(page.locator("#result [data-unexpected]")).to_be_visible()
    assert "1 of 6 steps" in _home_progress(page, "Cross-account access for auditors")

    page.goto(f"{S1}/session-expires/")
    page.locator("#creds-audit-session [data-ff-expiry]").click()
    expect(page.locator("#creds-audit-session [data-countdown-status]")).to_have_text("Expired.")
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("ExpiredToken")
    assert "2 of 6 steps" in _home_progress(page, "Cross-account access for auditors")


# ------------------------------------------------------------------------------------------------- item 5
@WIDTHS
def test_tamper_bench_lands_on_what_happened(page, width):
    _size(page, width)
    page.goto("/federation/tamper/?kind=saml")
    page.get_by_role("button", name="Submit to STS").click()
    page.wait_for_url(re.compile(r"/federation/tamper/#outcome$"))
    expect(page.locator("#result-title")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0


# ------------------------------------------------------------------------------------------------- item 8
@WIDTHS
def test_an_expired_mfa_session_points_back_to_step_4(page, width):
    _size(page, width)
    for step, label in (("enrol-device", "Create the virtual device"), ("activate-device", "Send two consecutive codes"),
                        ("get-session-token", "Call GetSessionToken with the code")):
        page.goto(f"{S5}/{step}/")
        page.get_by_role("button", name=label).click()
        expect(page.locator("#result .result-headline.good")).to_be_visible()
    page.locator("#creds-mfa-session [data-ff-expiry]").click()
    expect(page.locator("#creds-mfa-session [data-countdown-status]")).to_have_text("Expired.")

    page.goto(f"{S5}/protected-action/")
    page.locator("[data-run-step]").click()
    callout = page.locator("#result .callout.warn")
    expect(callout).to_contain_text("expired")
    expect(page.locator("#result .call-error")).to_have_count(0)     # no wall of ExpiredToken errors
    callout.get_by_role("link", name=re.compile("Prove MFA with GetSessionToken")).click()
    expect(page).to_have_url(re.compile(r"/get-session-token/$"))


# ------------------------------------------------------------------------------------------------- item 10
def test_a_step_page_on_a_phone_puts_story_action_and_result_first(page):
    _size(page, 390)
    page.goto(f"{S1}/assume-audit-role/")
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .decision")).to_be_visible()
    page.reload()
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] < 70                      # one row
    expect(page.locator("#site-nav")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Use your own terminal")).to_be_visible()
    page.get_by_role("button", name="Menu").click()
    # Was 7,422 px (8.8 screens): the policies, the editor and the returned data fold away on a phone.
    assert page.evaluate("document.documentElement.scrollHeight") < 5000
    for selector in ("#policies details", "#editor details", "#result details.response-data"):
        assert not page.locator(selector).first.evaluate("d => d.open"), selector
    order = page.evaluate("""['.narrative', '.actions', '#result', '#policies']
        .map(s => document.querySelector(s).getBoundingClientRect().top)""")
    assert order == sorted(order)

    # Opened panels stay open through an htmx run and a reload.
    page.locator("#policies summary").click()
    page.locator("#result details.exchange summary").first.click()
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .result-headline.good")).to_be_visible()
    assert page.locator("#policies details").evaluate("d => d.open")
    assert page.locator("#result details.exchange").first.evaluate("d => d.open")
    page.reload()
    assert page.locator("#policies details").evaluate("d => d.open")


def test_a_step_page_on_a_desktop_keeps_everything_open_and_one_header_row(page):
    _size(page, 1920)
    page.goto(f"{S1}/assume-audit-role/")
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .decision")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] < 70
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Use your own terminal")).to_be_visible()
    for selector in ("#policies details", "#editor details", "#result details.response-data"):
        assert page.locator(selector).first.evaluate("d => d.open"), selector
    assert not page.locator("#result details.exchange").first.evaluate("d => d.open")


@WIDTHS
def test_overview_and_recap_pages_fit(page, width):
    _size(page, width)
    page.goto("/")
    page.get_by_role("link", name="Start scenario 1", exact=True).click()
    expect(page.locator("[data-overview]")).to_contain_text("What you will be able to do")
    expect(page.locator("[data-overview]")).to_contain_text("about 15 min")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.goto(f"{S1}/defend/")  # the last step (after the lessons, the Defend step) leads to the recap
    page.locator("[data-recap-link]").click()
    expect(page.locator("[data-recap]")).to_contain_text("The AWS rules you met")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
