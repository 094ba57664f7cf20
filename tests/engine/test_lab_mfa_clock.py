"""Lab.mfa_clock: a sandbox's MFA devices go by the sandbox clock (real time + offset), so "next code" works."""
from __future__ import annotations

from engine import mfa
from engine.lab import Lab


def test_mfa_clock_is_the_phone_clock_moved_by_the_sandbox_offset(monkeypatch):
    monkeypatch.setattr(mfa, "clock", lambda: 1_000_000.0)
    lab = Lab()
    lab.register_sandbox("sbx-mfaclock", {"production": "299999999991"}, clock_offset=45.0)
    assert lab.mfa_clock("sbx-mfaclock") == 1_000_045.0
    assert lab.mfa_clock(None) == 1_000_000.0          # no sandbox: real time, as a phone keeps it
    lab.advance_clock("sbx-mfaclock", 30)
    assert lab.mfa_clock("sbx-mfaclock") == 1_000_075.0
    # The code STS accepts moved with it: the window 30 s on, not the real-time one.
    assert mfa.step_of(lab.mfa_clock("sbx-mfaclock")) == mfa.step_of(1_000_000.0) + 2
