"""cloudtrail:LookupEvents through the gateway with boto3 [CloudTrail API Reference, LookupEvents; botocore's
cloudtrail/2013-11-01 model]: each of the eight lookup attributes, StartTime/EndTime, MaxResults and NextToken
pagination, EventCategory, the documented errors, the engine's authorization, and per-account scoping."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from gateway_kit import Sandbox, allow, deny, trust


@pytest.fixture
def busy(local: Sandbox):
    """alice (dev) assumes a role in prod twice, reads her identity, and fails once; an auditor user may look up."""
    alice = local.user("alice", allow(["sts:AssumeRole", "s3:*"]))
    role = local.role("Reader", trust({"AWS": f"arn:aws:iam::{local.dev}:user/alice"}), allow("*"),
                      account=local.prod)
    locked = local.role("Locked", trust({"AWS": f"arn:aws:iam::{local.prod}:root"}), account=local.prod)
    session = local.assume(alice, role, "first")
    local.assume(alice, role, "second")
    local.client("sts", session).get_caller_identity()
    with pytest.raises(ClientError):
        local.client("sts", alice).assume_role(RoleArn=locked, RoleSessionName="nope")
    local.client("s3", session).create_bucket(Bucket="lookup-bucket")
    local.client("s3", session).put_object(Bucket="lookup-bucket", Key="k", Body=b"x")
    viewer = local.user("viewer", allow("cloudtrail:LookupEvents"))
    prod_viewer = local.user("prod-viewer", allow("cloudtrail:LookupEvents"), account=local.prod)
    return local, alice, session, role, viewer, prod_viewer


def lookup(sbx: Sandbox, creds, **params):
    return sbx.client("cloudtrail", creds).lookup_events(**params)


def by(key: str, value: str) -> dict:
    return {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}


def test_each_lookup_attribute(busy) -> None:
    sbx, alice, session, role, viewer, prod_viewer = busy
    events = lookup(sbx, viewer)["Events"]
    assert [e["EventTime"] for e in events] == sorted((e["EventTime"] for e in events), reverse=True)
    names = [e["EventName"] for e in events]
    assert names.count("AssumeRole") == 3 and "PutObject" not in names   # data events are not in Event history
    first = events[-1]
    assert [e["EventId"] for e in lookup(sbx, viewer, **by("EventId", first["EventId"]))["Events"]] == [
        first["EventId"]]
    assert {e["EventName"] for e in lookup(sbx, viewer, **by("EventName", "AssumeRole"))["Events"]} == {"AssumeRole"}
    assert {e["ReadOnly"] for e in lookup(sbx, viewer, **by("ReadOnly", "true"))["Events"]} == {"true"}
    assert {e["Username"] for e in lookup(sbx, viewer, **by("Username", "alice"))["Events"]} == {"alice"}
    assert len(lookup(sbx, viewer, **by("Username", "alice"))["Events"]) == 3
    # the role's session works in prod: its events are in prod's history, not dev's
    assert lookup(sbx, viewer, **by("AccessKeyId", session["access_key_id"]))["Events"] == []
    mine = lookup(sbx, prod_viewer, **by("AccessKeyId", session["access_key_id"]))["Events"]
    assert {e["EventName"] for e in mine} == {"GetCallerIdentity", "CreateBucket"}
    assert {e["EventSource"] for e in lookup(sbx, prod_viewer, **by("EventSource", "s3.amazonaws.com"))["Events"]} \
        == {"s3.amazonaws.com"}
    typed = lookup(sbx, viewer, **by("ResourceType", "AWS::IAM::Role"))["Events"]
    assert len(typed) == 3 and all(e["Resources"][0]["ResourceType"] == "AWS::IAM::Role" for e in typed)
    named = lookup(sbx, viewer, **by("ResourceName", role))["Events"]
    assert len(named) == 2 and all(e["Resources"][0]["ResourceName"] == role for e in named)
    record = json.loads(named[0]["CloudTrailEvent"])
    assert record["eventID"] == named[0]["EventId"] and record["requestParameters"]["roleArn"] == role


def test_time_range(busy) -> None:
    sbx, _, _, _, viewer, _ = busy
    now = sbx.lab.now(sbx.id)
    window = lookup(sbx, viewer, StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1))
    assert [e["EventName"] for e in window["Events"]] == ["AssumeRole"] * 3
    assert lookup(sbx, viewer, StartTime=now + timedelta(minutes=1))["Events"] == []
    assert lookup(sbx, viewer, EndTime=now - timedelta(minutes=5))["Events"] == []
    sbx.lab.advance_clock(sbx.id, 3600)        # events carry the sandbox clock
    later = sbx.lab.now(sbx.id)
    sbx.client("sts", busy[1]).get_caller_identity()
    recent = lookup(sbx, viewer, StartTime=later - timedelta(minutes=1))["Events"]
    assert [e["EventName"] for e in recent] == ["GetCallerIdentity"]   # not the lookups made an hour "earlier"


def test_pagination_with_max_results_and_next_token(busy) -> None:
    sbx, _, _, _, viewer, _ = busy
    # (each lookup is an event of its own: page through a filter the lookups do not match)
    everything = [e["EventId"] for e in lookup(sbx, viewer, **by("EventName", "AssumeRole"))["Events"]]
    seen, token, pages = [], None, 0
    while True:
        page = lookup(sbx, viewer, MaxResults=1, **by("EventName", "AssumeRole"),
                      **({"NextToken": token} if token else {}))
        seen += [e["EventId"] for e in page["Events"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert seen == everything and pages == len(everything)
    paginator = sbx.client("cloudtrail", viewer).get_paginator("lookup_events")
    pages = paginator.paginate(PaginationConfig={"PageSize": 2}, **by("EventName", "AssumeRole"))
    assert [e["EventId"] for p in pages for e in p["Events"]] == everything


def _error(info: pytest.ExceptionInfo) -> str:
    return info.value.response["Error"]["Code"]


def test_documented_errors(busy) -> None:
    sbx, _, _, _, viewer, _ = busy
    client = sbx.client("cloudtrail", viewer)
    now = sbx.lab.now(sbx.id)
    with pytest.raises(ClientError) as info:
        client.lookup_events(StartTime=now, EndTime=now - timedelta(hours=1))
    assert _error(info) == "InvalidTimeRangeException"
    with pytest.raises(ClientError) as info:
        client.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                               {"AttributeKey": "Username", "AttributeValue": "b"}])
    assert _error(info) == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as info:
        client.lookup_events(**by("ReadOnly", "maybe"))
    assert _error(info) == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as info:
        client.lookup_events(NextToken="not-a-token")
    assert _error(info) == "InvalidNextTokenException"
    token = client.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as info:   # a token from a request with other parameters
        client.lookup_events(MaxResults=1, NextToken=token, **by("EventName", "AssumeRole"))
    assert _error(info) == "InvalidNextTokenException"
    assert client.lookup_events(EventCategory="insight")["Events"] == []


def test_lookup_is_authorized_by_the_engine(busy) -> None:
    sbx, alice, _, _, _, _ = busy
    nobody = sbx.user("nobody", allow("s3:ListAllMyBuckets"))
    with pytest.raises(ClientError) as info:
        lookup(sbx, nobody)
    assert _error(info) == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in info.value.response["Error"]["Message"]
    denied = sbx.user("denied", allow("*"), deny("cloudtrail:*"))
    with pytest.raises(ClientError):
        lookup(sbx, denied)


def test_another_sandbox_sees_none_of_these_events(busy, lab_app) -> None:
    sbx = busy[0]
    other = Sandbox(*lab_app)
    watcher = other.user("watcher", allow("cloudtrail:LookupEvents"))
    names = [e["EventName"] for e in lookup(other, watcher)["Events"]]
    assert "AssumeRole" not in names and all(json.loads(e["CloudTrailEvent"])["recipientAccountId"] == other.dev
                                             for e in lookup(other, watcher)["Events"])
    assert sbx.id != other.id
