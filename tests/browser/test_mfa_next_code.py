"""Scenario 5 at demo speed: when every code the phone can show was used, "Next code" moves the sandbox clock to the
next 30-second window and the step goes through (issue 11, item 7). A code still works once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S5 = "/scenarios/mfa-protected-access"


def test_next_code_unblocks_a_fast_demo(page):
    page.set_default_timeout(30_000)  # several sandbox builds and runs; this machine is shared
    page.goto(f"{S5}/enrol-device/")
    page.get_by_role("button", name="Create the virtual device").click()
    expect(page.locator("[data-virtual-phone]").first).to_be_visible()
    page.goto(f"{S5}/activate-device/")
    page.get_by_role("button", name="Send two consecutive codes").click()
    expect(page.locator("#result")).to_contain_text("ListMFADevices succeeded")
    page.goto(f"{S5}/get-session-token/")
    run = page.get_by_role("button", name="Call GetSessionToken with the code")
    run.click()
    expect(page.locator("#result")).to_contain_text("GetSessionToken succeeded")
    # Each run spends the next code; within a few seconds the phone has none left (a window may pass meanwhile,
    # so run until it happens rather than counting on one click).
    for _ in range(4):
        page.get_by_role("button", name="Call GetSessionToken with the code").click()
        expect(page.locator("#result .result-headline")).to_be_visible()
        if "No unused code yet" in page.locator("#result").inner_text():
            break
    expect(page.locator("#result")).to_contain_text("No unused code yet")
    page.locator("#result [data-next-code]").first.click()
    expect(page.locator(".clock-line")).to_contain_text("fast-forwarded")  # the page came back, clock moved
    page.get_by_role("button", name="Call GetSessionToken with the code").click()
    expect(page.locator("#result .result-headline")).not_to_contain_text("What if")
    expect(page.locator("#result")).to_contain_text("GetSessionToken succeeded")
    expect(page.locator("#result")).not_to_contain_text("No unused code yet")
    # The AWS rule stays: the code just used does not work a second time.
    page.get_by_role("button", name="Replay a code").click()
    expect(page.locator("#result .outcome.error").last).to_contain_text("AccessDenied")
