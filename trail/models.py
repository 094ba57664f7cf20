"""CloudTrail events of a sandbox, as the gateway recorded them (engine/cloudtrail.py builds the records)."""
from __future__ import annotations

import json
from typing import Any

from django.db import models

from sandboxes.models import Sandbox

# Kept per sandbox: the newest 10,000 events. AWS's Event history keeps 90 days; a lab sandbox lives for days, and
# a busy learner makes a few hundred calls an hour, so 10,000 is weeks of work while a sandbox's rows stay around
# 15 MB (records are ~1.5 KB). Older events are deleted as new ones arrive (store.persist).
RETENTION_PER_SANDBOX = 10_000


class TrailEventQuerySet(models.QuerySet):
    def newest_first(self) -> "TrailEventQuerySet":
        return self.order_by("-event_time", "-seq")


class TrailEvent(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="trail_events")
    event_id = models.CharField(max_length=36, unique=True)
    seq = models.BigIntegerField()
    account_id = models.CharField(max_length=12)
    event_time = models.DateTimeField()
    event_name = models.CharField(max_length=128)
    event_source = models.CharField(max_length=128)
    username = models.CharField(max_length=256, blank=True)
    access_key_id = models.CharField(max_length=32, blank=True)
    read_only = models.BooleanField()
    error_code = models.CharField(max_length=128, blank=True)
    category = models.CharField(max_length=16)
    # "type\tname" per line, so ResourceType / ResourceName filters are one LIKE
    resources_text = models.TextField(blank=True)
    issued_key = models.CharField(max_length=32, blank=True)   # responseElements.credentials.accessKeyId
    record = models.JSONField()

    objects = TrailEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["sandbox", "-event_time", "-seq"], name="trail_sandbox_time"),
            models.Index(fields=["sandbox", "event_name"], name="trail_sandbox_name"),
            models.Index(fields=["sandbox", "access_key_id"], name="trail_sandbox_key"),
            models.Index(fields=["sandbox", "username"], name="trail_sandbox_user"),
            models.Index(fields=["sandbox", "issued_key"], name="trail_sandbox_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.event_time:%Y-%m-%d %H:%M:%S} ({self.account_id})"

    @property
    def resources(self) -> list[dict[str, str]]:
        out = []
        for line in self.resources_text.splitlines():
            kind, _, name = line.partition("\t")
            out.append({"ResourceType": kind, "ResourceName": name})
        return out

    @property
    def pretty(self) -> str:
        return json.dumps(self.record, indent=2)

    @property
    def identity(self) -> dict[str, Any]:
        return self.record.get("userIdentity") or {}

    @property
    def uses_temporary_credentials(self) -> bool:
        return self.access_key_id.startswith("ASIA")


class DefendAttempt(models.Model):
    """An answer to a scenario's Defend exercise, and whether the sandbox's events bore it out."""
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="defend_attempts")
    scenario = models.PositiveSmallIntegerField()
    answer = models.CharField(max_length=256)
    correct = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["sandbox", "scenario"], name="defend_sandbox_scenario")]
