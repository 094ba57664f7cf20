"""Every challenge's official solution passes on a sandbox as `make run` gives it (claimed from the pool by a
browser's first page), after the learner moved the sandbox clock by 0, 15 and 60 minutes, with the challenges
before it solved in the same sandbox: the checkers judge the learner's real state.

Found on main (issue 29): the auditors' challenge made its probe's MFA codes from real time while STS checks them
against the sandbox clock, so any fast-forward of 2 minutes or more made its own solution fail; the revocation's
"now" was cut to the second, so applying it in the second of the leak let the leak through."""
from __future__ import annotations

import pytest
from django.test import Client

from challenges import catalog
from sandboxes import pool, services
from sandboxes.models import Sandbox

from tests.challenges.challengeplay import check, failures, in_process_console, play

pytestmark = pytest.mark.slow

# What a browser sends when a person opens a page (W3C Fetch Metadata Request Headers): the first page claims a
# sandbox waiting in the pool, as with `make run`.
BROWSER_NAVIGATION = {"HTTP_SEC_FETCH_MODE": "navigate", "HTTP_SEC_FETCH_DEST": "document", "HTTP_SEC_FETCH_SITE": "none"}


@pytest.fixture
def make_run_learner(transactional_db, settings, monkeypatch):
    """A learner on `make run`'s defaults. securecart.settings.test turns the sandbox pool off (no background builds
    racing the tests' transactions); `make run` keeps LAB_SANDBOX_POOL=4, so it is turned back on here and filled in
    this thread, and the learner's first page claims a waiting sandbox as a browser's does. The console runs the
    real AWS CLI with its allow-list in this process (challengeplay.run_child_in_process): the jail is tested on its
    own and by the browser tests; a hundred jailed commands would take minutes here. The database is transactional:
    the console's requests are answered by the lab's loopback server in another thread (console.endpoint), which
    must see the rows (CloudTrail events) this thread wrote, as in `make run`."""
    settings.LAB_SANDBOX_POOL = 1
    monkeypatch.setattr(pool, "refill_in_background", lambda build: None)   # no thread: filled right here
    pool.refill(services.create_sandbox)
    in_process_console(monkeypatch)
    client = Client()
    r = client.get("/", **BROWSER_NAVIGATION)
    assert r.status_code == 200 and b"Preparing your sandbox" not in r.content
    sandbox = Sandbox.objects.get(pk=client.session["sandbox_id"])
    assert not sandbox.pooled
    return client, sandbox


@pytest.mark.parametrize("minutes", [0, 15, 60])
def test_every_official_solution_passes_with_the_sandbox_clock_moved(make_run_learner, minutes):
    client, sandbox = make_run_learner
    if minutes:
        sandbox.advance_clock(minutes * 60)
    failed = {}
    for challenge in catalog.challenges():
        slug = challenge.slug
        assert client.get(f"/challenges/{slug}/").status_code == 200
        report = play(client, sandbox, slug, challenge.solution)
        if slug == "revoke-leaked-sessions":
            # aws:TokenIssueTime has whole seconds, so a session issued in the second the revocation names is refused
            # as AWS would refuse it; a person checks more than a second after typing, this test does not
            sandbox.advance_clock(1)
        result = check(client, sandbox, slug, report)
        if not result["passed"]:
            failed[slug] = [(f["text"], f["why"]) for f in failures(result)]
    assert not failed, f"with the sandbox clock {minutes} minutes ahead: {failed}"
