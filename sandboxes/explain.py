"""The engine's explanation of one request of a sandbox, by request id, for the pages that show a decision after the
fact (the event history, the console): Decision.to_dict(), with its layers, or None.

The lab keeps recent decisions only (engine.decisions.DecisionLog, a bounded LRU). A request id comes from a
learner's page or from the console's child process, so the decision is shown only when it concerns the sandbox's
own accounts: nothing of another learner's requests reaches this one.
"""
from __future__ import annotations

import re
from typing import Any

from .labclient import lab
from .models import Sandbox

# gateway request ids: a UUID (x-amzn-RequestId) or S3's 16 hex characters
REQUEST_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9A-F]{16}")


def _account_of_arn(arn: str) -> str | None:
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    return parts[4] if len(parts) == 6 and parts[4].isdigit() else None


def sandbox_decision(sandbox: Sandbox, request_id: str | None) -> dict[str, Any] | None:
    if not request_id or not REQUEST_ID.fullmatch(request_id):
        return None
    decision = lab().decision(request_id)
    return _own(sandbox, decision.to_dict()) if decision is not None else None


def sandbox_simulation(sandbox: Sandbox, request_id: str | None) -> list[dict[str, Any]]:
    """The decisions an IAM simulation (SimulatePrincipalPolicy / SimulateCustomPolicy) evaluated, one per action and
    resource in order (engine.simulator.simulation_key), those of the sandbox's own accounts only."""
    if not request_id or not REQUEST_ID.fullmatch(request_id):
        return []
    from engine.simulator import simulation_key

    shown = [_own(sandbox, decision.to_dict()) for decision in lab().decisions(simulation_key(request_id))]
    return [data for data in shown if data is not None]


def _own(sandbox: Sandbox, data: dict[str, Any]) -> dict[str, Any] | None:
    request = data.get("request") or {}
    account = (request.get("principal") or {}).get("account") or _account_of_arn(request.get("resource", ""))
    if not account:
        return None
    if account not in sandbox.account_ids().values() and lab().sandbox_of_account(account) != sandbox.id:
        return None
    return data
