"""When CloudTrail events reach the database in one-process mode (trail/middleware.py): a page request stores them
at once; the AWS endpoint's own requests (a terminal, an SDK) at most once a second, so a burst of calls costs one
insert; nothing a learner looks at lags, since the next page stores what is still buffered."""
from __future__ import annotations

import io
import json

import boto3
import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory

from trail import middleware
from trail.models import TrailEvent


def test_endpoint_requests_persist_at_most_once_per_interval_and_pages_always(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(middleware.time, "monotonic", lambda: clock[0])
    persist = middleware.PersistEventsMiddleware(lambda request: HttpResponse())
    factory = RequestFactory()
    aws, imds, page = factory.post("/aws/"), factory.get("/imds/k/i-0abc/latest/meta-data/"), factory.get("/")
    assert persist._due(aws)                 # the first endpoint request stores what waits
    assert not persist._due(aws) and not persist._due(imds)
    assert persist._due(page) and persist._due(page)      # pages: every time
    clock[0] += middleware.ENDPOINT_PERSIST_INTERVAL
    assert persist._due(imds) and not persist._due(aws)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_terminal_calls_is_stored_by_the_next_page_at_the_latest(live_server, monkeypatch):
    monkeypatch.setattr(middleware, "ENDPOINT_PERSIST_INTERVAL", 3600.0)   # no timed store during the test
    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "create", "--json", "--accounts", "1", stdout=out)
    data = json.loads(out.getvalue())
    account = data["accounts"][0]
    sts = boto3.client("sts", endpoint_url=data["endpoint_url"], region_name="us-east-1",
                       aws_access_key_id=account["admin"]["access_key_id"],
                       aws_secret_access_key=account["admin"]["secret_access_key"])
    for _ in range(3):
        sts.get_caller_identity()
    sandbox_events = TrailEvent.objects.filter(sandbox_id=data["sandbox"], event_name="GetCallerIdentity")
    assert sandbox_events.count() <= 3
    import urllib.request

    with urllib.request.urlopen(live_server.url + "/quiz/") as response:   # any page request
        assert response.status == 200
    assert sandbox_events.count() == 3
