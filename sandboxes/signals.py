"""Signals other apps listen to, so that sandboxes never imports them."""
from __future__ import annotations

from django.dispatch import Signal

# Sent by Sandbox.reset after the lab forgot the sandbox, before its world is rebuilt (by its next build): sandbox=Sandbox.
sandbox_reset = Signal()
