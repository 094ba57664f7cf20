"""Projector and phone layouts of a step page keep the next action in view (issue 11, item 6)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEP = "/scenarios/cross-account-auditors/assume-audit-role/"


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def _context(browser, live_server, width: int, height: int, large: bool):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
    context.set_default_timeout(30_000)  # the first page builds the sandbox; this machine is shared
    if large:
        context.add_init_script("localStorage.setItem('lab-large', '1')")
    first = context.new_page()  # a first visit starts the session and comes back once the sandbox is built
    first.goto("/")
    first.wait_for_function("!document.title.startsWith('Preparing')")
    first.close()
    return context


def test_on_a_projector_in_large_text_the_next_what_if_stays_in_view(browser, live_server):
    context = _context(browser, live_server, 1920, 1080, large=True)
    try:
        page = context.new_page()
        page.goto(STEP)
        page.get_by_role("button", name="Call AssumeRole").click()
        expect(page.locator("#result")).to_contain_text("AssumedRoleUser")
        page.wait_for_timeout(300)  # let the focus move (and scroll) to the result
        assert page.evaluate("window.scrollY") > 0  # the page did scroll to the answer...
        assert _in_view(page, page.locator("[data-what-if]").first)  # ...and the next action is still on screen
        panel_bottom = page.locator(".workspace > .actions").bounding_box()
        heading = page.locator("#result-title").bounding_box()
        assert heading["y"] >= panel_bottom["y"] + panel_bottom["height"]  # the answer lands below the panel
        assert page.locator("main").bounding_box()["width"] > 1700  # the projector's width is used

        # Number keys run the What-ifs, in order; the first one's number shows on it.
        assert page.locator("[data-what-if]").first.get_attribute("aria-keyshortcuts") == "1"
        page.locator("body").press("1")
        expect(page.locator("#result .result-headline")).to_contain_text("Wrong external ID")
        expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")
        page.wait_for_timeout(300)
        assert _in_view(page, page.locator("[data-what-if]").nth(1))
        page.locator("body").press("2")
        expect(page.locator("#result .result-headline")).to_contain_text("No external ID")
    finally:
        context.close()


def test_on_a_phone_run_is_on_the_first_screen_and_policies_wrap(browser, live_server):
    context = _context(browser, live_server, 390, 844, large=False)
    try:
        page = context.new_page()
        page.goto(STEP)
        run = page.get_by_role("button", name="Call AssumeRole")
        assert page.evaluate("window.scrollY") == 0
        assert _in_view(page, run)
        run.click()
        expect(page.locator("#result")).to_contain_text("AssumedRoleUser")
        # Policy text wraps: no policy listing is wider than its box (the deciding value is not cut off).
        widths = page.locator(".policy-code").evaluate_all("els => els.map(e => [e.scrollWidth, e.clientWidth])")
        assert widths and all(scroll <= client + 1 for scroll, client in widths)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
