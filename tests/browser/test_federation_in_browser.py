"""A learner in Chromium: scenario 3 (SAML with a broken and mended SAML:aud, OIDC), the tamper bench, and
scenario 2 through the Identity Center access portal, including the end of the portal session."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S3 = "/scenarios/federation-idp"
S2 = "/scenarios/identity-center"


def _sign_in_at_idp(page, username: str) -> None:
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("securecart")
    page.get_by_role("button", name="Sign in").click()


def test_scenario_3_saml_break_and_mend_then_oidc(page):
    page.goto(f"{S3}/saml-sign-in/")
    page.get_by_role("button", name="Sign in as alice and redeem the assertion").click()
    expect(page.locator("#result")).to_contain_text("assumed-role/SecureCart-SAML-Developers/alice@securecart.example")
    expect(page.locator("#creds-saml-developer")).to_contain_text("ASIA")

    # Break SAML:aud in the trust policy: STS now refuses with AWS's message, the condition is marked.
    editor = page.locator("#trust-document")
    editor.fill(editor.input_value().replace('"https://signin.aws.amazon.com/saml"',
                                             '"https://signin.aws.amazon.com/saml/typo"', 1))
    page.get_by_role("button", name="Save and run again").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")
    expect(page.locator("#result")).to_contain_text("Not authorized to perform sts:AssumeRoleWithSAML")
    expect(page.locator("#policies .line.cond-fail").first).to_contain_text(re.compile("saml:aud", re.I))

    # Mend it.
    editor = page.locator("#trust-document")
    editor.fill(editor.input_value().replace("/saml/typo", "/saml", 1))
    page.get_by_role("button", name="Save and run again").click()
    expect(page.locator("#result .outcome.ok").first).to_be_visible()

    # A tampered assertion, as a "what if".
    page.get_by_role("button", name="Edit the Role attribute after signing").click()
    expect(page.locator("#result")).to_contain_text("Response signature invalid")

    page.goto(f"{S3}/github-actions-oidc/")
    page.get_by_role("button", name="Run the deploy workflow").click()
    expect(page.locator("#result")).to_contain_text("assumed-role/SecureCart-GitHubDeploy/gha-deploy")
    page.get_by_role("button", name="Run it on a feature branch").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("AccessDenied")


def test_idp_sign_in_and_tamper_bench(page):
    page.goto("/federation/idp/login/?next=aws")
    _sign_in_at_idp(page, "bob")
    expect(page.get_by_role("heading", name="The IdP's signed SAML Response")).to_be_visible()
    page.get_by_label(re.compile("SecureCart-SAML-Operations")).check()
    page.get_by_role("button", name="Sign in to AWS (AssumeRoleWithSAML)").click()
    expect(page.locator("#result")).to_contain_text("assumed-role/SecureCart-SAML-Operations/bob@securecart.example")

    page.goto("/federation/tamper/?kind=saml")
    page.get_by_role("button", name=re.compile("forged assertion before the signed one")).click()
    expect(page.locator("[data-applied]")).to_be_visible()
    page.get_by_role("button", name="Submit to STS").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("InvalidIdentityToken")
    expect(page.locator("[data-defence=xsw-one-assertion]")).to_be_visible()

    page.goto("/federation/tamper/?kind=jwt")
    page.get_by_role("button", name="Set alg to none and drop the signature").click()
    page.get_by_role("button", name="Submit to STS").click()
    expect(page.locator("[data-defence=algorithm]")).to_be_visible()
    expect(page.locator("#result .outcome.error")).to_contain_text("InvalidIdentityToken")


def test_scenario_2_and_the_access_portal(page, live_server):
    page.goto(f"{S2}/directory/")
    for step, button in (("directory", "List the identity store"), ("permission-set", "Create DeveloperAccess"),
                         ("assign", "Create the assignment"), ("provision", "Provision")):
        page.goto(f"{S2}/{step}/")
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator("#result .result-headline")).to_have_class(re.compile("good"))
    expect(page.locator("#result")).to_contain_text("/aws-reserved/sso.amazonaws.com/")

    # The access portal: sign in through the IdP, see the accounts, get credentials.
    page.goto("/federation/portal/")
    page.get_by_role("link", name="Sign in with the SecureCart IdP").click()
    _sign_in_at_idp(page, "alice")
    expect(page.get_by_role("heading", name="Hello, Alice Nguyen")).to_be_visible()
    page.locator("[data-get-credentials=developer-DeveloperAccess]").click()
    expect(page.locator("[data-portal-credentials]")).to_contain_text("export AWS_ACCESS_KEY_ID=ASIA")
    expect(page.locator("#result")).to_contain_text(re.compile(r"AWSReservedSSO_DeveloperAccess_[0-9a-f]{16}"))

    # The credentials expire after an hour; the portal session (two hours) outlives them once.
    page.goto(f"{S2}/portal/")
    page.get_by_role("button", name="Get alice's credentials").click()
    expect(page.locator("#creds-sso-developer")).to_contain_text("ASIA")
    page.locator("#creds-sso-developer [data-ff-expiry]").click()
    expect(page.locator("#creds-sso-developer [data-countdown-status]")).to_contain_text("Expired")
    page.goto(f"{S2}/session-ends/")
    page.get_by_role("button", name="Use the credentials").click()
    expect(page.locator("#result .outcome.error")).to_contain_text("RequestExpired")
    page.get_by_role("button", name="Get new credentials from the portal").click()
    expect(page.locator("#result .outcome.ok").first).to_be_visible()
    page.goto("/federation/portal/")
    expect(page.get_by_role("heading", name="Hello, Alice Nguyen")).to_be_visible()
    page.goto(f"{S2}/session-ends/")
    page.locator("#creds-sso-developer [data-ff-expiry]").click()
    expect(page.locator("#creds-sso-developer [data-countdown-status]")).to_contain_text("Expired")
    # Two hours after signing in, the portal session is over: sign in again at the IdP.
    page.goto("/federation/portal/")
    expect(page.locator("[data-portal-expired]")).to_be_visible()
    page.get_by_role("link", name="Sign in with the SecureCart IdP").click()
    _sign_in_at_idp(page, "alice")
    expect(page.get_by_role("heading", name="Hello, Alice Nguyen")).to_be_visible()
