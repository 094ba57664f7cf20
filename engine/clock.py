"""The sandbox clock: real time plus a per-sandbox offset, so a class can fast-forward to an expiry."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable


class SandboxClock:
    def __init__(self, offset_seconds: float = 0.0, *, source: Callable[[], float] = time.time) -> None:
        self.offset_seconds = float(offset_seconds)
        self._source = source

    def timestamp(self) -> float:
        return self._source() + self.offset_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=timezone.utc)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset_seconds += seconds
