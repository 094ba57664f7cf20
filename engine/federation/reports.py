"""The validation checklist of recent federation calls, by request id, so a page can show which defence caught a
token (the wire answer carries only AWS's code and message). Bounded; memory only; one per process."""
from __future__ import annotations

import threading
from collections import OrderedDict

MAX_REPORTS = 1000


class FederationReports:
    def __init__(self, size: int = MAX_REPORTS) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._reports: "OrderedDict[str, dict]" = OrderedDict()

    def __setitem__(self, request_id: str, report: dict) -> None:
        with self._lock:
            self._reports[request_id] = report
            self._reports.move_to_end(request_id)
            while len(self._reports) > self._size:
                self._reports.popitem(last=False)

    def get(self, request_id: str) -> dict | None:
        with self._lock:
            return self._reports.get(request_id)


REPORTS = FederationReports()
