"""Signals other apps listen to, so that sandboxes never imports them."""
from __future__ import annotations

from django.dispatch import Signal

# Sent by services.reset_sandbox after the lab forgot the sandbox and before its world is rebuilt: sandbox=Sandbox.
sandbox_reset = Signal()
