"""A learner clicks through scenario 4 in Chromium: launch, IMDS credentials, S3 allowed and denied, the service
principal refusal, rotation with the generations table, and detaching the profile."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S4 = "/scenarios/service-roles"


def test_scenario_4_by_clicking(page):
    page.goto("/")
    page.get_by_role("link", name="Start scenario 4").click()
    # The scenario opens with its objective, prerequisites and time; step 1 is one click further.
    expect(page.locator("[data-overview]")).to_contain_text("What you will be able to do")
    page.get_by_role("link", name="Start step 1").click()
    expect(page.get_by_role("heading", name="Launch the web tier with an instance profile", level=1)).to_be_visible()
    page.get_by_role("button", name="Launch the instance").click()
    expect(page.locator("#result")).to_contain_text("RunInstances succeeded")

    page.get_by_role("link", name=re.compile("Next: Credentials from the instance metadata service")).click()
    page.get_by_role("button", name="Ask IMDS for credentials").click()
    result = page.locator("#result")
    expect(result.locator(".outcome.error").first).to_contain_text("HTTP 401")       # IMDSv1 refused
    expect(result).to_contain_text("assumed-role/SecureCart-WebTier-Role/i-")
    expect(page.locator("#creds-web-tier-instance")).to_contain_text("ASIA")
    expect(page.locator("[data-credential-timeline] tr[data-state='served']")).to_have_count(1)

    page.get_by_role("link", name=re.compile("Next: Read product images")).click()
    page.get_by_role("button", name="Read from S3").click()
    expect(page.locator("#result .outcome.ok")).to_have_count(1)
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")
    expect(page.locator("#result .decision.denied")).to_be_visible()                # the engine's explanation

    page.get_by_role("link", name=re.compile("Next: Only EC2 may assume this role")).click()
    page.get_by_role("button", name="Try AssumeRole as the administrator").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")

    page.get_by_role("link", name=re.compile("Next: Automatic rotation")).click()
    page.get_by_role("button", name="Fast-forward 61 minutes and ask again").click()
    table = page.locator("[data-credential-timeline]")
    expect(table.locator("tr[data-state='still-valid']")).to_have_count(1)
    expect(table.locator("tr[data-state='served']")).to_have_count(1)

    page.get_by_role("link", name=re.compile("Next: Detach the instance profile")).click()
    page.get_by_role("button", name="Detach and ask IMDS").click()
    expect(page.locator("#result")).to_contain_text("HTTP 404")
    expect(page.locator("#result")).to_contain_text("GetCallerIdentity succeeded")

    page.get_by_role("link", name=re.compile("Next: Defend")).click()
    page.get_by_role("button", name="Look up the events").click()
    expect(page.locator("#result")).to_contain_text("ec2.amazonaws.com")   # the instance role's delivery

    page.goto("/")
    expect(page.get_by_text("7 of 7 steps")).to_be_visible()
