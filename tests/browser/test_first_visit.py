"""A new visitor's first page: the 'Preparing your sandbox' page says what is happening, then the lab opens by
itself on the visitor's own, built sandbox (no blank wait, no second sandbox)."""
from __future__ import annotations

import pytest

from sandboxes.models import Sandbox

pytestmark = pytest.mark.browser


def _page_recording_documents(browser, live_server):
    """A new browser context's page, and the list of the documents (page loads, not assets) it will receive."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    documents: list[str] = []
    page.on("response", lambda r: documents.append(r.url) if r.request.resource_type == "document" else None)
    return context, page, documents


def test_a_first_visit_explains_the_wait_then_opens_the_lab(browser, live_server):
    context, page, seen = _page_recording_documents(browser, live_server)
    try:
        page.goto("/scenarios/cross-account-auditors/")
        page.wait_for_function("!document.title.startsWith('Preparing')")
        assert page.locator("h1").first.is_visible()
        assert "Preparing" not in page.title()
        assert len([url for url in seen if url.endswith("/scenarios/cross-account-auditors/")]) == 2
        assert Sandbox.objects.count() == 1   # one sandbox for this visitor, built on the reload
        page.reload()
        assert Sandbox.objects.count() == 1
    finally:
        context.close()


def test_with_a_sandbox_waiting_chromiums_first_page_is_the_lab_itself(browser, live_server, settings, monkeypatch):
    """Chromium sends the Fetch Metadata headers of a page opening (Sec-Fetch-Mode navigate, Sec-Fetch-Dest
    document), so its very first request claims a waiting sandbox: one document, no 'Preparing' page."""
    from sandboxes import pool, services

    settings.LAB_SANDBOX_POOL = 1
    monkeypatch.setattr(pool, "refill_in_background", lambda build: None)   # no refill thread in the test
    pool.refill(services.create_sandbox)
    waiting = Sandbox.objects.get(pooled=True)
    context, page, documents = _page_recording_documents(browser, live_server)
    try:
        page.goto("/scenarios/cross-account-auditors/meet-the-auditor/")
        assert "Preparing" not in page.title() and page.locator("h1").first.is_visible()
        assert documents == [live_server.url + "/scenarios/cross-account-auditors/meet-the-auditor/"]
        waiting.refresh_from_db()
        assert not waiting.pooled and waiting.owner_session_key   # the waiting one, now this browser's
        assert Sandbox.objects.count() == 1                        # nothing else was built
    finally:
        context.close()
