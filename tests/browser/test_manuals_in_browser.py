"""The manuals at /docs/ read on a phone (390 px) and on a projector (1920 px): no sideways scrolling of the page
(wide tables scroll inside themselves), the contents list reachable, the header's Docs link leads there."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width,height", [(390, 844), (1920, 1080)])
def test_the_operators_manual_reads_at_phone_and_projector_widths(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/")
    if width < 600:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Docs").click()
    page.get_by_role("link", name="Running the lab").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Running the lab"
    assert page.evaluate("document.documentElement.scrollWidth") <= width    # the page never scrolls sideways
    table = page.locator(".manual-text table").first
    assert table.evaluate("t => t.scrollWidth >= t.clientWidth")             # a wide table scrolls in its own box
    page.get_by_role("link", name="Several gateways (sharded)").first.click()
    assert page.url.endswith("#several-gateways-sharded")
