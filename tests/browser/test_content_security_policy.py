"""The Content-Security-Policy (issue 9, item 6) in a real browser: Chromium reports every blocked script, style or
handler as a `securitypolicyviolation` event and a console error. A learner's pages, including htmx swaps (a step
run, the MFA phone, the live-quiz bars, the reset confirmation), must raise none while still working."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@pytest.fixture
def watched(page):
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)

    def violations() -> list[str]:
        found = page.evaluate("window.__cspViolations || []")
        return found + [text for text in console if "Content Security Policy" in text]

    page.violations = violations
    return page


def test_pages_and_htmx_swaps_raise_no_csp_violation(watched):
    page = watched
    for path in ("/", "/federation/", "/quiz/", "/sandbox/terminal/", "/no-such-page/"):
        page.goto(path)
        assert page.violations() == [], path

    page.goto("/scenarios/cross-account-auditors/assume-audit-role/")
    page.get_by_role("button", name="Call AssumeRole").click()          # an htmx swap with credentials
    expect(page.locator("#result .decision")).to_be_visible()
    page.get_by_role("button", name="Large text").click()               # lab.js still runs
    expect(page.locator("html")).to_have_class(re.compile("large"))
    page.reload()                                                        # large-text.js applies it before paint
    expect(page.locator("html")).to_have_class(re.compile("large"))
    assert page.violations() == []

    page.goto("/scenarios/mfa-protected-access/")
    page.get_by_role("button", name="Create the virtual device").click()
    phone = page.locator("[data-virtual-phone]").first
    expect(phone).to_be_visible()
    # (not wait_for_function: a string evaluated by polling is eval, which the page's CSP forbids)
    expect(phone).not_to_have_attribute("data-shown-step", "")
    # its looks now come from lab.css, not style attributes
    assert phone.evaluate("el => getComputedStyle(el).borderTopWidth") == "3px"
    assert page.violations() == []


def test_the_reset_confirmation_and_quiz_bars_work_without_inline_code(watched):
    page = watched
    page.goto("/sandbox/")
    posts: list[str] = []
    documents: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.on("response", lambda r: documents.append(r.url) if r.request.resource_type == "document" else None)
    page.once("dialog", lambda dialog: dialog.dismiss())                  # "Reset your sandbox?" -> Cancel
    page.get_by_role("button", name=re.compile("Reset")).click()
    expect(page).to_have_url(re.compile("/sandbox/$"))
    page.wait_for_timeout(300)
    assert posts == []                                                    # cancelled: nothing sent
    page.once("dialog", lambda dialog: dialog.accept())                   # -> OK
    page.get_by_role("button", name=re.compile("Reset")).click()
    expect(page.get_by_role("status").filter(has_text="Your sandbox was reset")).to_be_visible()
    expect(page).to_have_url(re.compile("/sandbox/$"))
    # One request (htmx, the rebuilt page in its answer), no page load: no redirect, no second document.
    assert [url.rsplit("/", 3)[-3:] for url in posts] == [["sandbox", "reset", ""]] and documents == []
    assert page.get_by_role("heading", name=re.compile("My sandbox")).is_visible()
    assert page.violations() == []

    page.goto("/quiz/live/")
    page.get_by_label("Number of questions").fill("2")
    page.get_by_role("button", name=re.compile("Open|Create|Host", re.I)).first.click()
    page.get_by_role("button", name=re.compile("Start", re.I)).first.click()
    page.get_by_role("button", name="Reveal the answer now").click()   # the answer chart shows at the reveal
    bar = page.locator("[data-live-chart] [data-bar-percent]").first
    expect(bar).to_be_attached()
    assert bar.evaluate("el => el.style.width") == bar.get_attribute("data-bar-percent") + "%"
    assert page.violations() == []
