"""Moving events from the lab's Trail into the database, and reading them back.

The gateway (in this process or a remote one) buffers every event it records; `persist()` drains that buffer into
TrailEvent rows. In one-process mode it runs after every page request and at most once a second for the AWS
endpoint's own requests (PersistEventsMiddleware); with a remote gateway, at most every PERSIST_INTERVAL seconds per
web process; and always before a trail page or LookupEvents reads. The database is
the source of truth; the gateway's memory only serves LookupEvents in remote mode.
"""
from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from typing import Any

from django.db import transaction

from engine.cloudtrail import LookupQuery, StoredEvent, issued_key, page, parse_iso
from sandboxes.labclient import lab
from sandboxes.models import Sandbox

from .models import RETENTION_PER_SANDBOX, TrailEvent

log = logging.getLogger(__name__)

DRAIN_BATCH = 1000
# trim only when a sandbox is this far over its retention, so trimming is rare
TRIM_SLACK = 500
# and count a sandbox's rows only every this many writes (a count per answered call was a third of persisting it)
TRIM_CHECK_EVERY = 100

_written_since_check: dict[str, int] = {}
_check_lock = threading.Lock()


def persist(*, max_batches: int = 20) -> int:
    """Drain the Trail's pending events into the database. Returns how many were written."""
    trail = lab().trail
    written = 0
    for _ in range(max_batches):
        batch = trail.drain(limit=DRAIN_BATCH)
        if not batch:
            break
        written += save([StoredEvent.from_dict(item) for item in batch])
        if len(batch) < DRAIN_BATCH:
            break
    return written


def persist_pending() -> None:
    """At exit (one-process mode): store what the Trail still buffers. A database already gone is not an error."""
    try:
        if lab().trail.pending_count():
            persist()
    except Exception:  # noqa: BLE001 (the process is ending; there is no one to answer)
        log.debug("could not persist CloudTrail events at exit", exc_info=True)


def save(events: list[StoredEvent]) -> int:
    """Write `events` as rows (those of sandboxes that still exist); how many were written."""
    sandbox_ids = {e.sandbox_id for e in events}
    existing = set(Sandbox.objects.filter(pk__in=sandbox_ids).order_by().values_list("pk", flat=True))
    rows = [TrailEvent(sandbox_id=e.sandbox_id, event_id=e.event_id, seq=e.seq, account_id=e.account_id,
                       event_time=e.event_time, event_name=e.event_name, event_source=e.event_source,
                       username=e.username[:256], access_key_id=e.access_key_id, read_only=e.read_only,
                       error_code=e.error_code, category=e.category,
                       resources_text="\n".join(f"{r['ResourceType']}\t{r['ResourceName']}" for r in e.resources),
                       issued_key=issued_key(e.record) or "", record=e.record)
            for e in events if e.sandbox_id in existing]
    with transaction.atomic():
        TrailEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    for sandbox_id in {row.sandbox_id for row in rows}:
        if due_for_trim(sandbox_id, sum(1 for row in rows if row.sandbox_id == sandbox_id)):
            trim(sandbox_id)
    return len(rows)


def due_for_trim(sandbox_id: str, written: int) -> bool:
    """True on a sandbox's first write in this process, then once every TRIM_CHECK_EVERY events written: a sandbox
    holds at most RETENTION_PER_SANDBOX + TRIM_SLACK + TRIM_CHECK_EVERY rows between trims."""
    with _check_lock:
        count = _written_since_check.get(sandbox_id)
        if count is not None and count + written < TRIM_CHECK_EVERY:
            _written_since_check[sandbox_id] = count + written
            return False
        _written_since_check[sandbox_id] = 0
        if len(_written_since_check) > 10_000:    # bounded: forgetting a sandbox only means checking it sooner
            _written_since_check.clear()
        return True


def trim(sandbox_id: str) -> None:
    events = TrailEvent.objects.filter(sandbox_id=sandbox_id)
    if events.count() <= RETENTION_PER_SANDBOX + TRIM_SLACK:
        return
    oldest_kept = events.newest_first().values_list("event_time", "seq")[RETENTION_PER_SANDBOX - 1]
    events.filter(event_time__lt=oldest_kept[0]).delete()
    events.filter(event_time=oldest_kept[0], seq__lt=oldest_kept[1]).delete()


def clear_on_reset(sender: Any, sandbox: Sandbox, **_: Any) -> None:
    """A reset starts the sandbox's history afresh (the lab dropped its buffered events just before)."""
    TrailEvent.objects.filter(sandbox=sandbox).delete()


def filtered(sandbox: Sandbox, *, event_name: str = "", username: str = "", access_key_id: str = "",
             event_source: str = "", read_only: str = "", errors_only: bool = False, account_id: str = "",
             category: str = "", resource: str = "", start: datetime | None = None,
             end: datetime | None = None) -> Any:
    """The event history page's filters (the console's lookup attributes plus errors, account and category)."""
    events = TrailEvent.objects.filter(sandbox=sandbox)
    if event_name:
        events = events.filter(event_name=event_name)
    if username:
        events = events.filter(username=username)
    if access_key_id:
        events = events.filter(access_key_id=access_key_id)
    if event_source:
        events = events.filter(event_source=event_source)
    if read_only in ("true", "false"):
        events = events.filter(read_only=read_only == "true")
    if errors_only:
        events = events.exclude(error_code="")
    if account_id:
        events = events.filter(account_id=account_id)
    if category:
        events = events.filter(category=category)
    if resource:
        events = events.filter(resources_text__contains=resource)
    if start is not None:
        events = events.filter(event_time__gte=start)
    if end is not None:
        events = events.filter(event_time__lte=end)
    return events.newest_first()


def to_stored(row: TrailEvent) -> StoredEvent:
    return StoredEvent(sandbox_id=row.sandbox_id, account_id=row.account_id, seq=row.seq, event_id=row.event_id,
                       event_time=row.event_time, event_name=row.event_name, event_source=row.event_source,
                       username=row.username, access_key_id=row.access_key_id, read_only=row.read_only,
                       error_code=row.error_code, category=row.category, resources=row.resources,
                       record=row.record)


class DatabaseEventStore:
    """engine.cloudtrail.EventStore over TrailEvent: LookupEvents answered from the database (one-process mode)."""

    def lookup(self, sandbox_id: str, account_id: str | None, query: LookupQuery
               ) -> tuple[list[StoredEvent], str | None]:
        if query.category == "insight":      # the lab produces no Insights events
            return [], None
        persist()
        events = TrailEvent.objects.filter(sandbox_id=sandbox_id)
        if account_id is not None:
            events = events.filter(account_id=account_id)
        if not query.include_data:
            events = events.filter(category="Management")
        if query.start is not None:
            events = events.filter(event_time__gte=query.start)
        if query.end is not None:
            events = events.filter(event_time__lte=query.end)
        if query.attribute is not None:
            key, value = query.attribute
            column = {"EventId": "event_id", "EventName": "event_name", "Username": "username",
                      "EventSource": "event_source", "AccessKeyId": "access_key_id"}.get(key)
            if column:
                events = events.filter(**{column: value})
            elif key == "ReadOnly":
                events = events.filter(read_only=value == "true")
            elif key == "ResourceType":
                events = events.filter(resources_text__regex=rf"(^|\n){re.escape(value)}\t")
            elif key == "ResourceName":
                events = events.filter(resources_text__regex=rf"\t{re.escape(value)}(\n|$)")
        if query.after is not None:
            when, seq = parse_iso(query.after[0]), query.after[1]
            events = events.exclude(event_time__gt=when).exclude(event_time=when, seq__gte=seq)
        rows = list(events.newest_first()[:query.max_results + 1])
        return page([to_stored(row) for row in rows], query)

