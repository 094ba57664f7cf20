"""engine.ports.TrailPort's contract, in-process and over lab control (the `ports` fixture): what web processes drain
into the database, the portals' sign-in events they record, LookupEvents' view, and a reset (issue 24)."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

import pytest

from gateway_kit import new_account


def sign_in(account: str) -> dict:
    return {"eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn",
            "userIdentity": {"type": "IAMUser", "accountId": account}}


def test_recorded_events_are_drained_once_looked_up_and_forgotten_on_reset(ports) -> None:
    sandbox, account = "ct-" + secrets.token_hex(4), new_account()
    ports.trail.drain(limit=10**6)                     # whatever earlier tests left in this Trail
    first = ports.trail.record_event(sandbox, account, sign_in(account))
    second = ports.trail.record_event(sandbox_id=sandbox, account_id=account, record=sign_in(account))
    assert first != second and ports.trail.pending_count() == 2
    found = ports.trail.lookup_dicts(sandbox, account, {})
    assert {event["event_id"] for event in found["events"]} == {first, second} and found["next_token"] is None
    [oldest] = ports.trail.drain(limit=1)
    assert oldest["event_id"] == first and oldest["record"]["eventName"] == "ConsoleLogin"
    assert ports.trail.pending_count() == 1 and [e["event_id"] for e in ports.trail.drain()] == [second]
    assert ports.trail.drain() == []                     # each event is taken once
    ports.trail.forget(sandbox)
    assert ports.trail.lookup_dicts(sandbox, account, {})["events"] == []


def test_a_record_without_its_required_fields_is_refused(ports) -> None:
    record = sign_in(new_account())
    del record["eventName"]
    with pytest.raises(ValueError, match="a record needs `eventName`"):
        ports.trail.record_event("ct-x", "111122223333", record)
    with pytest.raises(ValueError):
        ports.trail.record_event("ct-x", "111122223333", {**sign_in("111122223333"), "eventTime": "yesterday"})


def test_lookups_check_their_parameters_as_cloudtrail_does(ports) -> None:
    from engine.errors import AwsError

    with pytest.raises(AwsError) as refused:
        ports.trail.lookup_dicts("ct-x", None, {"MaxResults": 51})
    assert refused.value.code.startswith("Invalid")
