"""The sandbox clock: real time plus a per-sandbox offset, so a class can fast-forward to an expiry."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable


class SandboxClock:
    """Real time plus an offset. Every change of the offset is remembered (the last `HISTORY` of them), so the time a
    sandbox showed at a past real moment can be told: a URL presigned before a fast-forward is judged on the
    sandbox's clock as it was when it was signed."""

    HISTORY = 64

    def __init__(self, offset_seconds: float = 0.0, *, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = float(offset_seconds)
        self._changes: list[tuple[float, float]] = []  # (real time of the change, offset before it), oldest first

    @property
    def offset_seconds(self) -> float:
        return self._offset

    @offset_seconds.setter
    def offset_seconds(self, value: float) -> None:
        value = float(value)
        if value != self._offset:
            self._changes.append((self._source(), self._offset))
            del self._changes[:-self.HISTORY]
            self._offset = value

    def timestamp(self) -> float:
        return self._source() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=timezone.utc)

    def offset_at(self, real_timestamp: float) -> float:
        """The offset in force at a past real moment."""
        for changed_at, before in self._changes:
            if real_timestamp < changed_at:
                return before
        return self._offset

    def time_at(self, real: datetime) -> datetime:
        """What this sandbox's clock read at the real moment `real`."""
        stamp = real.timestamp()
        return datetime.fromtimestamp(stamp + self.offset_at(stamp), tz=timezone.utc)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset_seconds = self._offset + seconds
