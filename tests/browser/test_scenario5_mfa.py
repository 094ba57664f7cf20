"""A learner clicks through scenario 5 in Chromium: the QR code image, the live virtual phone (its code must be the
TOTP of the device seed), activation, Bool vs BoolIfExists, GetSessionToken, MFA age and re-authentication."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S5 = "/scenarios/mfa-protected-access"


def test_scenario_5_by_clicking(page):
    page.goto("/")
    page.get_by_role("link", name="Start scenario 5").click()
    # The scenario opens with its objective, prerequisites and time; step 1 is one click further.
    expect(page.locator("[data-overview]")).to_contain_text("What you will be able to do")
    page.get_by_role("link", name="Start step 1").click()
    page.get_by_role("button", name="Create the virtual device").click()
    qr = page.locator("img[data-mfa-qr]")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img[data-mfa-qr]').naturalWidth") > 100   # a real image

    phone = page.locator("[data-virtual-phone]").first
    seed = phone.get_attribute("data-seed")
    # The page's script recomputes the code in the browser: it must equal the RFC 6238 code for the seed.
    # (not wait_for_function: a string evaluated by polling is eval, which the page's CSP forbids)
    expect(phone).not_to_have_attribute("data-shown-step", "")
    shown = phone.locator("[data-phone-code]").inner_text().replace(" ", "")
    now = time.time()
    assert shown in {pyotp.TOTP(seed).at(now), pyotp.TOTP(seed).at(now - 30)}
    seconds = int(phone.locator("[data-phone-seconds]").inner_text())
    assert 1 <= seconds <= 30

    page.get_by_role("link", name=re.compile("Next: Activate it")).click()
    page.get_by_role("button", name="Type the same code twice").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("InvalidAuthenticationCode")
    page.get_by_role("button", name="Send two consecutive codes").click()
    expect(page.locator("#result")).to_contain_text("ListMFADevices succeeded")

    page.get_by_role("link", name=re.compile("Next: Long-term keys are not enough")).click()
    page.get_by_role("button", name="Read the password with the access key").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDeniedException")
    page.get_by_role("button", name="Use BoolIfExists instead").click()
    expect(page.locator("#result .outcome.ok")).to_contain_text("GetSecretValue succeeded")

    page.get_by_role("link", name=re.compile("Next: Prove MFA")).click()
    page.get_by_role("button", name="A mistyped code").click()
    expect(page.locator("#result .outcome.error")).to_contain_text(
        "MultiFactorAuthentication failed with invalid MFA one time pass code.")
    page.get_by_role("button", name="Call GetSessionToken with the code").click()
    expect(page.locator("#result")).to_contain_text("GetSessionToken succeeded")
    expect(page.locator("#creds-mfa-session")).to_contain_text("ASIA")

    page.get_by_role("link", name=re.compile("Next: The MFA session reads the password")).click()
    page.get_by_role("button", name="Read the password with the MFA session").click()
    expect(page.locator("#result")).to_contain_text("sandbox-only-not-a-real-password")

    page.get_by_role("link", name=re.compile("Next: MFA has an age limit")).click()
    page.get_by_role("button", name="Fast-forward 61 minutes and try again").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDeniedException")
    expect(page.locator("#result .outcome.ok")).to_contain_text("GetCallerIdentity succeeded")

    page.get_by_role("link", name=re.compile("Next: The session ends")).click()
    page.get_by_role("button", name="Expire, then sign in again").click()
    expect(page.locator("#result .outcome.error").first).to_contain_text("ExpiredTokenException")
