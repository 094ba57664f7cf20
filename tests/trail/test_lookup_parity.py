"""LookupEvents answers the same from both stores: the gateway's memory (engine/cloudtrail.py MemoryEventStore,
remote mode) and the database (trail/store.py DatabaseEventStore, one process). Issue 24, item 5: the two filters
were written twice, in Python and in SQL, and nothing compared them. One set of queries, every lookup attribute,
time windows, paging by NextToken to the end, against the same events in both."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.cloudtrail import MemoryEventStore, StoredEvent, parse_lookup
from sandboxes.models import Sandbox
from trail import store

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
ACCOUNTS = ("111111111111", "222222222222")
# names that trip a careless filter: prefixes of one another, regex and LIKE metacharacters, a tab-free lookalike
NAMES = ("alice", "alice-admin", "al.ce", "a%b_c", "bob", "arn:aws:iam::111111111111:role/Auditor")


def _events(sandbox_id: str) -> list[StoredEvent]:
    events = []
    for i in range(60):
        name = NAMES[i % len(NAMES)]
        resources = [{"ResourceType": "AWS::IAM::Role", "ResourceName": name}]
        if i % 4 == 0:
            resources.append({"ResourceType": "AWS::S3::Bucket", "ResourceName": f"bucket-{name}"})
        events.append(StoredEvent(
            sandbox_id=sandbox_id, account_id=ACCOUNTS[i % 2], seq=i, event_id=f"00000000-0000-0000-0000-{i:012d}",
            # some events share a second: order is then by seq, and paging must neither repeat nor skip one
            event_time=T0 + timedelta(seconds=i // 3), event_name=("AssumeRole", "GetObject", "ListRoles")[i % 3],
            event_source=("sts.amazonaws.com", "s3.amazonaws.com", "iam.amazonaws.com")[i % 3],
            username=name if i % 5 else "", access_key_id=f"ASIA{i % 7:016d}", read_only=i % 3 != 0,
            error_code="AccessDenied" if i % 6 == 0 else "", category="Data" if i % 3 == 1 else "Management",
            resources=resources if i % 9 else [], record={"eventVersion": "1.08", "i": i}))
    return events


QUERIES = [{}] + [
    {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}
    for key, values in {
        "EventName": ["AssumeRole", "ListRoles", "Nothing"], "EventSource": ["sts.amazonaws.com"],
        "Username": list(NAMES) + ["ali"], "AccessKeyId": ["ASIA0000000000000003"], "ReadOnly": ["true", "false"],
        "ResourceType": ["AWS::IAM::Role", "AWS::S3::Bucket", "AWS::IAM"],
        "ResourceName": list(NAMES) + ["bucket-bob", "alic", "a.ice"],
        "EventId": ["00000000-0000-0000-0000-000000000012", "nope"],
    }.items() for value in values
] + [{"StartTime": T0 + timedelta(seconds=5), "EndTime": T0 + timedelta(seconds=11)},
     {"StartTime": T0 + timedelta(seconds=19)}, {"EndTime": T0}, {"EventCategory": "insight"}]


def _all_pages(store_, sandbox_id: str, account: str | None, params: dict, include_data: bool) -> list[str]:
    seen, token = [], None
    for _ in range(100):
        query = parse_lookup({**params, "MaxResults": 7, **({"NextToken": token} if token else {})},
                             include_data=include_data)
        events, token = store_.lookup(sandbox_id, account, query)
        seen += [e.event_id for e in events]
        if token is None:
            return seen
    raise AssertionError("paging never ended")


@pytest.fixture
def stores(db):
    sandbox = Sandbox.objects.create(kind="bare")
    events = _events(sandbox.id)
    memory = MemoryEventStore()
    memory.add(events)
    assert store.save(events) == len(events)
    return sandbox.id, memory, store.DatabaseEventStore(), events


@pytest.mark.parametrize("include_data", [False, True])
@pytest.mark.parametrize("account", [None, ACCOUNTS[1]])
@pytest.mark.parametrize("params", QUERIES, ids=lambda p: str(p)[:60])
def test_both_stores_answer_every_query_with_the_same_events_in_the_same_order(stores, params, account, include_data):
    sandbox_id, memory, database, _ = stores
    from_memory = _all_pages(memory, sandbox_id, account, params, include_data)
    assert from_memory == _all_pages(database, sandbox_id, account, params, include_data)
    assert len(from_memory) == len(set(from_memory))               # paging repeats nothing


def test_the_queries_are_not_all_empty_and_paging_covers_everything(stores):
    sandbox_id, memory, _, events = stores
    everything = _all_pages(memory, sandbox_id, None, {}, True)
    assert sorted(everything) == sorted(e.event_id for e in events)   # 60 events over 9 pages of 7, none skipped
    user = _all_pages(memory, sandbox_id, None, {"LookupAttributes": [{"AttributeKey": "Username",
                                                                       "AttributeValue": "alice"}]}, True)
    assert user and all(e.username == "alice" for e in events if e.event_id in user)   # "alice-admin" is not alice
