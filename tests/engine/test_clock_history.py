"""The sandbox clock remembers its fast-forwards, so the gateway can judge a presigned URL on the time the sandbox
showed when the URL was signed."""
from __future__ import annotations

from datetime import datetime, timezone

from engine.clock import SandboxClock


def at(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=timezone.utc)


def test_time_at_a_past_moment_uses_the_offset_in_force_then() -> None:
    real = [1000.0]
    clock = SandboxClock(60, source=lambda: real[0])
    real[0] = 2000.0
    clock.advance(900)                         # at real 2000 the sandbox jumps 15 minutes
    real[0] = 2500.0
    clock.offset_seconds = 0                   # a reset at real 2500
    assert clock.time_at(at(1500)) == at(1500 + 60)
    assert clock.time_at(at(2100)) == at(2100 + 960)
    assert clock.time_at(at(2600)) == at(2600)
    assert clock.now() == at(2500)


def test_history_is_bounded() -> None:
    real = [0.0]
    clock = SandboxClock(source=lambda: real[0])
    for step in range(1, SandboxClock.HISTORY + 20):
        real[0] = float(step)
        clock.advance(1)
    assert clock.time_at(at(SandboxClock.HISTORY + 30)).timestamp() == SandboxClock.HISTORY + 30 + clock.offset_seconds
    # older moments than the history holds get the oldest remembered offset, never an error
    assert clock.time_at(at(0.5)).timestamp() == 0.5 + 19
