"""engine.cloudtrail without a gateway: LookupEvents' parameter checks, the Trail's buffer and retention, tracing a
chain back, and the detections (each fed records shaped as the gateway writes them)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.cloudtrail import (ApiCall, InvalidMaxResults, LookupQuery, MemoryEventStore, Trail, console_date,
                               detect, iso, origin, parse_lookup, trace)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_console_date_is_cloudtrails_credential_expiration_format() -> None:
    # [IAM-CT]: "expiration": "Jul 18, 2014 4:07:39 PM", "Oct 2, 2019 11:12:29 PM"
    assert console_date(datetime(2014, 7, 18, 16, 7, 39, tzinfo=timezone.utc)) == "Jul 18, 2014 4:07:39 PM"
    assert console_date(datetime(2019, 10, 2, 23, 12, 29, tzinfo=timezone.utc)) == "Oct 2, 2019 11:12:29 PM"
    assert console_date(datetime(2019, 10, 2, 0, 5, 1, tzinfo=timezone.utc)) == "Oct 2, 2019 12:05:01 AM"


@pytest.mark.parametrize("value", [0, 51, "10", True])
def test_max_results_must_be_1_to_50(value) -> None:
    with pytest.raises(InvalidMaxResults):
        parse_lookup({"MaxResults": value})
    assert parse_lookup({"MaxResults": 50}).max_results == 50


def _call(name: str, sandbox: str = "sb1", **kwargs) -> ApiCall:
    return ApiCall("iam", name, sandbox, identity={"type": "Root", "accountId": "111111111111",
                                                   "arn": "arn:aws:iam::111111111111:root"}, **kwargs)


def test_pending_events_are_drained_once_and_forget_drops_a_sandbox() -> None:
    trail = Trail()
    trail.record(_call("ListUsers"), now=T0)
    trail.record(_call("ListRoles", sandbox="sb2"), now=T0)
    assert trail.pending_count() == 2
    first = trail.drain(limit=1)
    assert [e["event_name"] for e in first] == ["ListUsers"]
    trail.forget("sb2")
    assert trail.drain() == [] and trail.pending_count() == 0
    events, _ = trail.lookup("sb1", None, {})
    assert [e.event_name for e in events] == ["ListUsers"]
    assert trail.lookup("sb2", None, {}) == ([], None)


def test_pending_buffer_is_bounded_and_counts_what_it_dropped() -> None:
    trail = Trail(pending_limit=3)
    for i in range(5):
        trail.record(_call(f"Op{i}"), now=T0)
    assert [e["event_name"] for e in trail.drain()] == ["Op2", "Op3", "Op4"] and trail.dropped == 2


def test_memory_store_keeps_the_newest_per_sandbox() -> None:
    trail, store = Trail(), MemoryEventStore(retention=3)
    for i in range(5):
        store.add(trail.record(_call(f"Op{i}"), now=T0 + timedelta(seconds=i)))
    events, _ = store.lookup("sb1", None, LookupQuery())
    assert [e.event_name for e in events] == ["Op4", "Op3", "Op2"]


def _assumed(key: str, arn: str, issued_by_key: str | None = None, issued_key: str | None = None,
             name: str = "AssumeRole", **extra) -> dict:
    record = {"eventID": f"ev-{key}-{name}", "eventTime": iso(T0), "eventName": name,
              "userIdentity": {"type": "AssumedRole", "arn": arn, "accountId": "222222222222", "accessKeyId": key,
                               "sessionContext": {"attributes": {"mfaAuthenticated": "false"}}}}
    if issued_key:
        record["responseElements"] = {"credentials": {"accessKeyId": issued_key, "expiration": "x"}}
    record.update(extra)
    return record


def test_trace_follows_access_keys_up_to_the_long_term_user() -> None:
    user_hop = {"eventID": "ev-1", "eventTime": iso(T0), "eventName": "AssumeRole",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/ci", "userName": "ci",
                                 "accountId": "111111111111", "accessKeyId": "AKIAUSER"},
                "responseElements": {"credentials": {"accessKeyId": "ASIAONE", "expiration": "x"}}}
    role_hop = _assumed("ASIAONE", "arn:aws:sts::222222222222:assumed-role/A/build", issued_key="ASIATWO")
    put = _assumed("ASIATWO", "arn:aws:sts::222222222222:assumed-role/B/release", name="PutObject")
    unrelated = _assumed("ASIAOTHER", "arn:aws:sts::222222222222:assumed-role/C/x", issued_key="ASIATHREE")
    hops = trace(put, [unrelated, role_hop, user_hop, put])
    assert [h.event["eventID"] for h in hops] == [put["eventID"], role_hop["eventID"], "ev-1"]
    assert hops[1].link == "responseElements.credentials.accessKeyId = ASIATWO"
    assert origin(hops) == {"kind": "IAMUser", "name": "ci", "arn": "arn:aws:iam::111111111111:user/ci"}
    # a broken chain (the issuing event is gone) ends at the last event found
    assert len(trace(put, [put])) == 1


def test_detections() -> None:
    denials = [{"eventID": f"d{i}", "eventTime": iso(T0 + timedelta(minutes=i)), "eventName": "AssumeRole",
                "errorCode": "AccessDenied", "requestParameters": {"roleArn": "arn:aws:iam::1:role/Admin"},
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/mallory"}} for i in range(3)]
    root = {"eventID": "r", "eventTime": iso(T0), "eventName": "ListUsers",
            "userIdentity": {"type": "Root", "accountId": "1", "arn": "arn:aws:iam::1:root"}}
    trust = {"eventID": "t", "eventTime": iso(T0), "eventName": "UpdateAssumeRolePolicy",
             "requestParameters": {"roleName": "Admin"}, "userIdentity": root["userIdentity"]}
    signin = {"eventID": "s", "eventTime": iso(T0), "eventName": "ConsoleLogin",
              "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"},
              "userIdentity": {"type": "SAMLUser", "userName": "alice", "identityProvider": "idp"}}
    delivery = {"eventID": "i", "eventTime": iso(T0), "eventName": "AssumeRole",
                "userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
                "requestParameters": {"roleSessionName": "i-0abc"},
                "responseElements": {"credentials": {"accessKeyId": "ASIAINST"}}}
    use_inside = _assumed("ASIAINST", "arn:aws:sts::1:assumed-role/Web/i-0abc", name="GetObject",
                          sourceIPAddress="10.0.0.5")
    use_outside = _assumed("ASIAINST", "arn:aws:sts::1:assumed-role/Web/i-0abc", name="ListBuckets",
                           sourceIPAddress="203.0.113.9")
    use_outside["eventID"] = "outside"
    findings = {f.rule: f for f in detect(denials + [root, trust, signin, delivery, use_inside, use_outside])}
    assert set(findings) == {"repeated-assume-role-denied", "root-used", "trust-policy-changed",
                             "signin-without-mfa", "instance-credential-exfiltration"}
    assert findings["instance-credential-exfiltration"].event_ids == ["outside"]
    assert "InstanceCredentialExfiltration" in findings["instance-credential-exfiltration"].source
    assert findings["repeated-assume-role-denied"].event_ids == ["d0", "d1", "d2"]
    # two denials, or three spread over more than ten minutes, are not a finding
    spread = [dict(d, eventTime=iso(T0 + timedelta(minutes=10 * i))) for i, d in enumerate(denials)]
    assert not [f for f in detect(spread) if f.rule == "repeated-assume-role-denied"]
    assert detect(denials[:2]) == []
