"""A learner clicks through scenarios 1 and 6 in Chromium: countdown, denials, editor errors, expiry."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S1 = "/scenarios/cross-account-auditors"
S6 = "/scenarios/role-chaining"


def _seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)


def test_scenario_1_by_clicking(page):
    page.goto("/")
    page.get_by_role("link", name="Start scenario 1", exact=True).click()
    # The scenario opens with its objective, prerequisites and time; step 1 is one click further.
    expect(page.locator("[data-overview]")).to_contain_text("What you will be able to do")
    page.get_by_role("link", name="Start step 1").click()
    expect(page.get_by_role("heading", name="Meet the auditor", level=1)).to_be_visible()
    page.get_by_role("button", name="Call GetCallerIdentity").click()
    expect(page.locator("#result")).to_contain_text("user/securecart-auditor")

    page.get_by_role("link", name=re.compile("Next: Assume the audit role")).click()
    page.get_by_role("button", name="Call AssumeRole").click()
    card = page.locator("#creds-audit-session")
    expect(card).to_contain_text("ASIA")
    countdown = card.locator("[data-countdown-text]")
    first = _seconds(countdown.inner_text())
    page.wait_for_timeout(2100)
    assert _seconds(countdown.inner_text()) < first  # the countdown ticks

    # Reveal the secret on click.
    secret = card.locator("code.secret")
    expect(secret).to_be_hidden()
    card.get_by_text("Reveal secret").click()
    expect(secret).to_be_visible()

    # A denial: the wrong external ID, with AWS's error and the failing condition marked in the policy.
    page.get_by_role("button", name="Wrong external ID").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")
    expect(page.locator("#policies .line.cond-fail")).to_contain_text("sts:ExternalId")

    # A trust-policy mistake: a missing comma; the error names line and column and the text stays.
    editor = page.locator("#trust-document")
    text = editor.input_value()
    broken = text.replace('"Effect": "Allow",', '"Effect": "Allow"', 1)
    editor.fill(broken)
    page.get_by_role("button", name="Save and run again").click()
    expect(page.locator("#trust-error")).to_contain_text(re.compile(r"line \d+, column \d+"))
    assert page.locator("#trust-document").input_value() == broken

    # Back on track: read, be denied a write, then let the session expire.
    page.goto(f"{S1}/read-security-logs/")
    page.get_by_role("button", name="List and read the logs").click()
    expect(page.locator("#result")).to_contain_text("cloudtrail/2024/10/01/events.json")
    page.goto(f"{S1}/write-denied/")
    page.get_by_role("button", name="Try PutObject").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")

    page.goto(f"{S1}/session-expires/")
    page.locator("#creds-audit-session").get_by_role("button", name="To expiry").click()
    expect(page.locator("#creds-audit-session [data-countdown-status]")).to_have_text("Expired.")
    page.get_by_role("button", name="Make a call with them").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("ExpiredToken")
    page.get_by_role("button", name="Assume the role again").first.click()
    expect(page.locator("#result")).to_contain_text("AssumeRole succeeded")
    expect(page.locator("#creds-audit-session")).not_to_have_class(re.compile("expired"))

    page.goto(f"{S1}/defend/")   # the Defend step closes every scenario (trail app)
    page.get_by_role("button", name="Look up the events").click()
    expect(page.locator("#result")).to_contain_text("CloudTrailEvent")

    page.goto("/")
    expect(page.locator(".scenario-item").first).to_contain_text("6 of 6 steps")


def test_scenario_6_by_clicking(page):
    page.goto(f"{S6}/")
    page.get_by_role("button", name="Call GetCallerIdentity").click()
    expect(page.locator("#result")).to_contain_text("user/securecart-ci")
    page.get_by_role("link", name=re.compile("Next: Hop 1")).click()
    page.get_by_role("button", name="Assume role A").click()
    expect(page.locator("#result")).to_contain_text("assumed-role/SecureCart-DeployPipeline/build-1842")
    page.get_by_role("link", name=re.compile("Next: Hop 2")).click()
    page.get_by_role("button", name="Assume role B from role A").click()
    expect(page.locator("#result")).to_contain_text("assumed-role/SecureCart-ReleaseManager/release-2-4-0")
    expect(page.locator("[data-countdown]")).to_have_count(2)  # one card and countdown per hop
    page.get_by_role("button", name="Ask role B for two hours").click()
    expect(page.locator("#result .outcome.error")).to_contain_text(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
    page.get_by_role("link", name=re.compile("Next: Publish the release")).click()
    page.get_by_role("button", name="Upload with both sessions").click()
    expect(page.locator("#result .outcome.ok")).to_have_count(1)
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")


def test_large_text_toggle_and_phone_layout(page, browser, live_server):
    page.goto("/")
    page.get_by_role("button", name="Large text").click()
    assert page.evaluate("document.documentElement.classList.contains('large')")
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('large')")  # remembered

    phone = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    try:
        p = phone.new_page()
        p.goto("/")  # a first visit starts the session and comes straight back once the sandbox is built
        p.wait_for_function("!document.title.startsWith('Preparing')")
        p.goto(f"{S1}/assume-audit-role/")
        assert p.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling
        p.get_by_role("button", name="Call AssumeRole").click()
        expect(p.locator("#creds-audit-session")).to_be_visible()
    finally:
        phone.close()
