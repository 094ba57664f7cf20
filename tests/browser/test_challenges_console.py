"""A learner solves a builder and an attacker challenge in Chromium by typing AWS CLI commands into the in-page
console, at desktop (1280 px) and phone (390 px) widths: output shows, history walks back, a session obtained in
the console becomes selectable credentials, and the checker says Solved."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from challenges import catalog, probes, schema
from sandboxes.models import Sandbox

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def sandbox_of(page) -> Sandbox:
    sandbox_id = page.locator("[data-sandbox-id]").first.get_attribute("data-sandbox-id")
    return Sandbox.objects.get(pk=sandbox_id)


def type_command(page, command: str) -> None:
    line = page.get_by_label("AWS CLI command")
    line.fill("")
    if len(command) < 80:
        line.press_sequentially(command)
    else:
        line.fill(command)
    count = page.locator(".console-entry").count()
    line.press("Enter")
    expect(page.locator(".console-entry")).to_have_count(count + 1, timeout=25_000)


def last_entry(page):
    return page.locator(".console-entry").last


def check_solved(page) -> None:
    page.get_by_role("button", name="Check my sandbox").click()
    expect(page.locator(".check-result")).to_contain_text("Solved!")


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_solve_a_builder_and_an_attacker_challenge_in_the_console(browser, live_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        # builder: ExternalId and MFA on the auditors' review role
        page.goto("/")
        page.get_by_role("link", name="Auditors: ExternalId and MFA, both").click()
        expect(page.get_by_role("heading", name="Auditors: ExternalId and MFA, both")).to_be_visible()
        sandbox = sandbox_of(page)
        values = sandbox.account_ids()
        expect(page.get_by_label("Credentials", exact=True)).to_have_value("key:production/lab-admin")
        type_command(page, "aws iam get-role --role-name Challenge-AuditReview --query Role.Arn --output text")
        expect(last_entry(page)).to_contain_text(f"arn:aws:iam::{values['production']}:role/Challenge-AuditReview")
        page.get_by_role("button", name="Check my sandbox").click()
        expect(page.locator(".check-result")).to_contain_text("Not yet.")
        spec = catalog.get("auditors-externalid-and-mfa")
        type_command(page, schema.fill(spec.solution[0].run, probes.placeholder_values(sandbox, spec)))
        expect(last_entry(page)).to_contain_text("exit code 0")
        # history: the up key brings back the last command
        page.get_by_label("AWS CLI command").press("ArrowUp")
        expect(page.get_by_label("AWS CLI command")).to_have_value(re.compile("update-assume-role-policy"))
        check_solved(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        # attacker: a role whose trust policy names every principal
        page.goto("/challenges/wildcard-trust/")
        expect(page.get_by_label("Credentials", exact=True)).to_have_value("key:auditor/vendor-contractor")
        type_command(page, "aws sts get-caller-identity --query Arn --output text")
        expect(last_entry(page)).to_contain_text("user/vendor-contractor")
        type_command(page, f"aws sts assume-role --role-arn arn:aws:iam::{values['production']}:role/"
                           "Challenge-LegacyReporting --role-session-name contractor")
        expect(last_entry(page)).to_contain_text("Kept:")
        select = page.get_by_label("Credentials", exact=True)
        option = select.locator("option", has_text="Challenge-LegacyReporting/contractor")
        select.select_option(option.get_attribute("value"))
        type_command(page, "aws s3 cp s3://securecart-invoices/2024/10/INV-100231.pdf -")
        expect(last_entry(page)).to_contain_text("SecureCart invoice INV-100231")
        check_solved(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.goto("/")
        expect(page.locator(".challenge-card", has_text="A role that trusts everybody")).to_contain_text("Solved")
    finally:
        context.close()
