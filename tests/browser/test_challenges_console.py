"""A learner solves a builder challenge, an attacker challenge and its defence, and a defender challenge in Chromium,
at a phone's width (390 px) and a desktop's (1280 px), on `make run`'s defaults (the first page claims a sandbox
from the pool; the real AWS CLI in its bubblewrap sandbox). Policies are typed into the multi-line editor (a broken
one first: the engine's error names its line), commands into the console; the checker says Solved. No page scrolls
sideways and no input is under 16 px (iOS zooms into smaller ones)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sandboxes import pool, services
from sandboxes.models import Sandbox

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BROKEN = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow" "Action": "sts:AssumeRole"}\n  ]\n}'


def trust(auditor: str) -> str:
    return ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
            f'    "Principal": {{"AWS": "arn:aws:iam::{auditor}:root"}},\n    "Action": "sts:AssumeRole",\n'
            '    "Condition": {\n      "StringEquals": {"sts:ExternalId": "SecureCart-Audit-7F3K9Q"},\n'
            '      "Bool": {"aws:MultiFactorAuthPresent": "true"}\n    }\n  }]\n}')


FIXED_RELEASE_TOOLS = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
                       '    "Action": "s3:PutObject",\n'
                       '    "Resource": "arn:aws:s3:::securecart-product-images/releases/*"\n  }]\n}')


@pytest.fixture
def make_run_pool(settings, monkeypatch):
    """securecart.settings.test turns the sandbox pool off (no background builds racing the tests' transactions);
    `make run` keeps LAB_SANDBOX_POOL=4: one sandbox waits here, built in this thread, for the browser's first page."""
    settings.LAB_SANDBOX_POOL = 1
    monkeypatch.setattr(pool, "refill_in_background", lambda build: None)
    pool.refill(services.create_sandbox)


def sandbox_of(page) -> Sandbox:
    return Sandbox.objects.get(pk=page.locator("[data-sandbox-id]").first.get_attribute("data-sandbox-id"))


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    small = page.evaluate("""Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .filter(e => e.offsetParent && parseFloat(getComputedStyle(e).fontSize) < 16).map(e => e.name || e.id)""")
    assert small == []


def type_command(page, command: str) -> None:
    line = page.get_by_label("AWS CLI command")
    line.fill("")
    line.press_sequentially(command) if len(command) < 80 else line.fill(command)
    count = page.locator(".console-entry").count()
    line.press("Enter")
    expect(page.locator(".console-entry")).to_have_count(count + 1, timeout=25_000)


def type_policy(page, text: str) -> None:
    editor = page.get_by_label("Policy document (JSON)")
    editor.fill("")
    editor.press_sequentially(text)


def apply(page) -> None:
    count = page.locator(".console-entry").count()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".console-entry")).to_have_count(count + 1, timeout=25_000)
    expect(page.locator(".console-entry").last).to_contain_text("exit code 0")


def check_solved(page) -> None:
    page.get_by_role("button", name="Check my sandbox").click()
    expect(page.locator(".check-result")).to_contain_text("Solved!", timeout=25_000)


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 900)])
def test_solve_a_builder_an_attack_and_its_defence_and_a_defender_challenge(browser, live_server, make_run_pool,
                                                                            width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        # builder: ExternalId and MFA on the auditors' review role, typed into the policy editor
        page.goto("/challenges/")
        expect(page.get_by_role("heading", name="Challenges", exact=True)).to_be_visible()
        fits(page, width)
        page.get_by_role("link", name="Auditors: ExternalId and MFA, both").click()
        sandbox = sandbox_of(page)
        auditor = sandbox.account_ids()["auditor"]
        expect(page.get_by_label("Policy document (JSON)")).to_have_value(re.compile(f"arn:aws:iam::{auditor}:root"))
        type_policy(page, BROKEN)
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("#editor-error")).to_contain_text("line 4, column")
        expect(page.get_by_label("Policy document (JSON)")).to_have_value(BROKEN)   # the text is kept
        fits(page, width)
        type_policy(page, trust(auditor))
        apply(page)
        expect(page.locator(".console-entry").last).to_contain_text("from the policy editor")
        check_solved(page)
        fits(page, width)

        # attacker: release-bot writes itself a new default version of its policy, in the console
        page.goto("/challenges/create-policy-version/")
        expect(page.get_by_label("Credentials", exact=True)).to_have_value("key:production/release-bot")
        production = sandbox.account_ids()["production"]
        type_command(page, f"aws iam create-policy-version --policy-arn arn:aws:iam::{production}:policy/"
                           "Challenge-ReleaseTools --policy-document '{\"Version\":\"2012-10-17\",\"Statement\":"
                           "[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}' --set-as-default")
        expect(page.locator(".console-entry").last).to_contain_text("exit code 0")
        check_solved(page)
        expect(page.locator(".callout.lesson")).to_contain_text("Now defend what you just did")

        # its defence: the key from CloudTrail, then a fixed default version typed into the editor
        page.get_by_role("link", name="Defend: a policy rewritten by its own user").click()
        expect(page.get_by_label("Credentials", exact=True)).to_have_value("key:production/lab-admin")
        type_command(page, "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,"
                           "AttributeValue=CreatePolicyVersion --query \"Events[?Username=='release-bot'] | "
                           "[0].AccessKeyId\" --output text")
        key = page.locator(".console-entry").last.locator(".console-out").inner_text().strip()
        assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key), key
        page.get_by_label("Apply as").select_option("policy-version")
        page.get_by_label("Role, user, group or policy ARN").fill(
            f"arn:aws:iam::{production}:policy/Challenge-ReleaseTools")
        type_policy(page, FIXED_RELEASE_TOOLS)
        apply(page)
        page.get_by_label("The call that escalated (eventName)").fill("CreatePolicyVersion")
        page.get_by_label("The access key that made it").fill(key)
        check_solved(page)
        fits(page, width)

        # defender: which call was refused, and by which policy
        page.goto("/challenges/find-the-refused-call/")
        type_command(page, "aws iam get-user-policy --user-name intern-riley --policy-name ProtectInvoices "
                           "--query PolicyDocument.Statement[0].Action --output text")
        expect(page.locator(".console-entry").last).to_contain_text("s3:DeleteObject")
        # a blank report (spaces pass the browser's `required`) is refused (400) and its error shown, not dropped
        page.get_by_label("Refused action").fill("   ")
        page.get_by_label("Policy that refused it").fill("ProtectInvoices")
        page.get_by_role("button", name="Check my sandbox").click()
        expect(page.locator("#challenge-check .error")).to_contain_text("required")
        page.get_by_label("Refused action").fill("s3:DeleteObject")
        check_solved(page)
        fits(page, width)

        page.goto("/challenges/")
        row = page.locator("tr", has=page.get_by_role("link", name="Defend: a policy rewritten by its own user"))
        expect(row).to_contain_text("Solved")
    finally:
        context.close()
