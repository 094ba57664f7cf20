"""A learner plays scenario 6 in Chromium with the event history open in another tab, then traces the final
PutObject back through both hops to securecart-ci and answers the Defend exercise."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S6 = "/scenarios/role-chaining"


def test_scenario_6_traced_back_to_securecart_ci(page):
    page.goto(f"{S6}/first-hop/")
    page.get_by_role("button", name="Assume role A").click()
    expect(page.locator("#result")).to_contain_text("assumed-role/SecureCart-DeployPipeline/build-1842")

    # The event history, open in a second tab of the same browser (same sandbox), updates by itself.
    history = page.context.new_page()
    history.goto("/trail/")
    expect(history.locator("#events")).to_contain_text("AssumeRole")
    expect(history.locator('tr[data-event-name="PutObject"]')).to_have_count(0)

    page.get_by_role("link", name=re.compile("Next: Hop 2")).click()
    page.get_by_role("button", name="Assume role B from role A").click()
    expect(page.locator("#result")).to_contain_text("assumed-role/SecureCart-ReleaseManager/release-2-4-0")
    page.get_by_role("link", name=re.compile("Next: Publish the release")).click()
    page.get_by_role("button", name="Upload with both sessions").click()
    expect(page.locator("#result .outcome.ok")).to_have_count(1)

    put_rows = history.locator('tr[data-event-name="PutObject"]')
    expect(put_rows).to_have_count(2, timeout=15_000)          # arrived without a reload
    # newest first: role A's refused upload was the last call, role B's upload is the row below it
    expect(put_rows.nth(0)).to_contain_text("AccessDenied")
    expect(put_rows.nth(1)).to_contain_text("release-2-4-0")

    # The Defend step reads the events with LookupEvents.
    page.get_by_role("link", name=re.compile("Next: Defend")).click()
    page.get_by_role("button", name="Look up the events").click()
    expect(page.locator("#result")).to_contain_text("CloudTrailEvent")

    # Trace the successful PutObject from the history tab.
    history.get_by_label("Only refused or failed calls").uncheck()
    history.get_by_label("Event name").fill("PutObject")
    history.get_by_role("button", name="Filter").click()
    ok_row = history.locator('tr[data-event-name="PutObject"]', has=history.locator(".badge.ok"))
    expect(ok_row).to_have_count(1)
    ok_row.get_by_role("link", name="trace").click()
    chain = history.locator(".trace-hop")
    expect(chain).to_have_count(3)
    expect(chain.nth(0)).to_contain_text("assumed-role/SecureCart-ReleaseManager/release-2-4-0")
    expect(chain.nth(1)).to_contain_text("assumed-role/SecureCart-DeployPipeline/build-1842")
    expect(chain.nth(2)).to_contain_text("user/securecart-ci")
    expect(chain.nth(1)).to_contain_text("responseElements.credentials.accessKeyId")
    expect(history.locator("#trace-origin")).to_contain_text("securecart-ci")

    # The Defend exercise checks the answer against these events.
    history.goto("/trail/defend/6/")
    history.get_by_label("Your answer").fill("SecureCart-ReleaseManager")
    history.get_by_role("button", name="Check my answer").click()
    expect(history.locator("#verdict")).to_contain_text("Not what the events say")
    history.get_by_label("Your answer").fill("securecart-ci")
    history.get_by_role("button", name="Check my answer").click()
    expect(history.locator("#verdict")).to_contain_text("Correct")
