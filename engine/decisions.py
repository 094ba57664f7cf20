"""DecisionLog: why a request was answered as it was, by request id (the wire answer carries only AWS's code and
message; a page shows the rest).

One entry per request id holds both kinds of explanation the engine produces:
- the policy Decisions evaluated for the request, in order (AssumeRole, then sts:TagSession, sts:SetSourceIdentity);
- for AssumeRoleWithSAML / AssumeRoleWithWebIdentity, the token's validation report (which defence caught a
  forged token: `{"error": {...} | None, "checks": [...]}`).
One LRU bounds both: the oldest request ids go first once DECISION_LRU_SIZE are kept. Memory only; one per Lab.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

DECISION_LRU_SIZE = 2000

__all__ = ["DECISION_LRU_SIZE", "DecisionLog"]


@dataclass
class _Explanation:
    decisions: list[Any] = field(default_factory=list)
    report: dict[str, Any] | None = None


class DecisionLog:
    def __init__(self, size: int = DECISION_LRU_SIZE) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: "OrderedDict[str, _Explanation]" = OrderedDict()

    def _entry(self, request_id: str) -> _Explanation:
        # caller holds the lock; a new or updated request id becomes the newest
        entry = self._entries.get(request_id)
        if entry is None:
            entry = self._entries[request_id] = _Explanation()
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(request_id)
        return entry

    # ---- writing
    def record(self, request_id: str | None, decision: Any) -> None:
        """Add one evaluated Decision to the request's list (no request id: nothing is kept)."""
        if not request_id:
            return
        with self._lock:
            self._entry(request_id).decisions.append(decision)

    def record_report(self, request_id: str | None, report: dict[str, Any]) -> None:
        """Keep (or replace) the federation validation report of a request."""
        if not request_id:
            return
        with self._lock:
            self._entry(request_id).report = report

    # ---- reading
    def decision(self, request_id: str) -> Any | None:
        """The Decision that explains a request: the one that denied it, else the first one evaluated."""
        with self._lock:
            entry = self._entries.get(request_id)
            decisions = list(entry.decisions) if entry else []
        if not decisions:
            return None
        return next((d for d in decisions if not d.allowed), decisions[0])

    def decisions(self, request_id: str) -> list[Any]:
        """Every Decision of a request, in evaluation order."""
        with self._lock:
            entry = self._entries.get(request_id)
            return list(entry.decisions) if entry else []

    def report(self, request_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(request_id)
            return entry.report if entry else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
