"""The access graph in Chromium on a phone (390 px) and a projector (1920 px): the drawing and its text list, the
shortest path from junior-dev to admin, a node reached by keyboard, an edge replayed in the console with one click,
and the edge an edit opens drawn in red."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from challenges import catalog, probes
from challenges.seeding import ensure_seeded
from sandboxes.labclient import learner_client
from sandboxes.models import Sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = pytest.mark.parametrize("width", [390, 1920], ids=["phone", "projector"])


def _seed(page, slug: str) -> Sandbox:
    """The challenge's part of the learner's sandbox, seeded as its page would (without loading the page: its
    console probe is slow on a loaded machine, and this test is about the graph)."""
    page.goto("/sandbox/")
    sandbox = Sandbox.objects.get(pk=page.locator("h1 code").inner_text())
    ensure_seeded(sandbox, catalog.get(slug))
    return sandbox


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "the page scrolls sideways"


@WIDTHS
def test_the_graph_shows_junior_devs_path_and_replays_it(page, width):
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 1080})
    _seed(page, "boundary-stops-escalation")                     # junior-dev
    page.goto("/sandbox/")
    page.get_by_role("link", name="Who can become whom").click()
    expect(page.get_by_role("heading", name="Who can become whom", level=1)).to_be_visible()
    expect(page.locator("svg.graph-svg a.node").first).to_be_visible()
    expect(page.locator(".edge-list > li").first).to_be_visible()
    _fits(page)

    page.get_by_label("Start as").select_option(label="junior-dev (IAM user, production)")
    page.get_by_role("button", name="Find the shortest path").click()
    path = page.locator(".graph-path")
    expect(path).to_contain_text("From junior-dev to admin")
    expect(path.locator(".path-steps li")).to_have_count(1)
    expect(path).to_contain_text("iam:PutUserPolicy")
    expect(page.locator("svg .edge-path")).to_have_count(1)
    expect(page.locator(".edge-row.on-path")).to_contain_text("ManageOwnPolicies")
    _fits(page)

    # keyboard: the start node is a link in the drawing, reachable with Tab
    start_node = page.locator("svg a.node-start")
    start_node.focus()
    expect(start_node).to_be_focused()

    # one click fills the console with the command, signed as junior-dev
    # the console page probes its jail first: slow on a loaded machine
    page.locator(".edge-row.on-path .replay a").first.click(timeout=60_000)
    expect(page.get_by_label("AWS CLI command")).to_have_value(
        "aws iam put-user-policy --user-name junior-dev --policy-name GraphAdmin --policy-document "
        "'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"GraphAdmin\",\"Effect\":\"Allow\",\"Action\":\"*\","
        "\"Resource\":\"*\"}]}'")
    expect(page.get_by_label("Credentials", exact=True)).to_have_value("key:production/junior-dev")


def test_an_edit_that_opens_an_edge_turns_it_red(page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    sandbox = _seed(page, "update-assume-role-policy")            # Challenge-BreakGlass trusts EC2 only
    page.goto("/graph/")
    expect(page.locator("svg .edge-new")).to_have_count(0)
    production = sandbox.account_ids()["production"]
    # the edit, as lab-admin through the gateway (a real signed call)
    admin = probes.key_of(sandbox, "lab-admin", "production")
    iam = learner_client("iam", access_key_id=admin.access_key_id, secret_access_key=admin.secret_access_key)
    iam.update_assume_role_policy(
        RoleName="Challenge-BreakGlass", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{production}:user/ci-deployer"},
            "Action": "sts:AssumeRole"}]}))
    page.goto("/graph/")
    expect(page.locator(".graph-new")).to_contain_text("ci-deployer → Challenge-BreakGlass")
    expect(page.locator("svg .edge-new")).to_have_count(1)
    page.reload()                                                  # still red after a reload
    expect(page.locator("svg .edge-new")).to_have_count(1)
