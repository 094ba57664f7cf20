"""cloudtrail:LookupEvents, answered from the Lab's Trail instead of moto (moto records no events).

Authorised by the engine like any call (action cloudtrail:LookupEvents on "*": the Service Authorization Reference
lists no resource type for it). The caller sees the events of its own account: CloudTrail's Event history is per
account [CloudTrail API Reference, LookupEvents]. Parameters and errors: engine.cloudtrail.parse_lookup.
gateway.builtin_overrides registers the handler.
"""
from __future__ import annotations

from typing import Any

from .operation import OperationCall, OverrideRegistry
from .protocols import Response


def lookup_events(call: OperationCall) -> Response:
    events, token = call.lab.trail.lookup(call.caller.sandbox_id or "", call.caller.account, call.params)
    result: dict[str, Any] = {"Events": [event.lookup_view() for event in events]}
    if token:
        result["NextToken"] = token
    return call.result(result)


def register(registry: OverrideRegistry) -> None:
    registry.register("cloudtrail", "LookupEvents", lookup_events)
