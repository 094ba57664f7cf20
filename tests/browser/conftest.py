"""Playwright (sync API) against pytest-django's live_server; one Chromium for the whole session."""
from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise refuse to run here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    # A first visit only starts the session (sandboxes.services.SandboxNotStarted) and comes straight back: let
    # that happen here, so every test starts on a built sandbox.
    page.goto("/")
    page.wait_for_function("!document.title.startsWith('Preparing')")
    yield page
    context.close()
