"""Found in the learner QA sweep: pages must fit a phone (no sideways scrolling), and a failed htmx request must
say so instead of doing nothing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S1 = "/scenarios/cross-account-auditors"


def test_a_step_with_its_result_fits_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{S1}/assume-audit-role/")
    page.get_by_role("button", name="Call AssumeRole").click()
    expect(page.locator("#result .decision")).to_be_visible()
    # The explanation quotes long ARNs; they must wrap instead of widening the page.
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for path in ("/", "/federation/", "/quiz/", "/sandbox/terminal/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_a_refused_htmx_request_is_reported(page):
    page.goto(f"{S1}/assume-audit-role/")
    editor = page.locator("#trust-document")
    # Beyond the form size cap (DATA_UPLOAD_MAX_MEMORY_SIZE): the server answers 400 and htmx swaps nothing.
    editor.evaluate("el => { el.removeAttribute('maxlength'); el.value = 'x'.repeat(70000); }")
    page.get_by_role("button", name="Save and run again").click()
    expect(page.get_by_role("alert").filter(has_text="refused that request (HTTP 400)")).to_be_visible()
    page.get_by_role("button", name="Call AssumeRole").click()
    expect(page.locator("#request-error")).to_have_count(0)


def test_names_in_tables_are_not_split_letter_by_letter(page):
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/federation/", "/sandbox/terminal/"):
        page.goto(path)
        heights = page.locator("td code.name").evaluate_all("els => els.map(e => e.getClientRects().length)")
        assert heights and all(lines == 1 for lines in heights), path
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_federation_text_areas_use_the_page_width(page):
    for path in ("/federation/tamper/", "/federation/tamper/?kind=jwt", "/federation/inspect/saml/",
                 "/federation/inspect/jwt/"):
        page.goto(path)
        widths = page.locator("main textarea").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().width / e.closest('form').getBoundingClientRect().width)")
        assert widths and min(widths) > 0.95, (path, widths)


def test_the_credential_timeline_of_scenario_4_fits_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/scenarios/service-roles/launch-instance/")
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .result-headline.good")).to_be_visible()
    page.goto("/scenarios/service-roles/instance-credentials/")
    page.locator("[data-run-step]").click()
    expect(page.locator("[data-credential-timeline]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
