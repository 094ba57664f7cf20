"""StsState: the part of the Lab's state the STS operations read and write, handed to engine.sts.service.StsService.

The Lab builds one from its own lock-held helpers (engine/lab.py); StsService never sees the Lab itself, so the
operations depend on five narrow functions and four objects instead of a façade's private methods, and a test can
give them a state of its own. Every callable is called with the Lab lock held (StsService runs under it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from engine.sts.caller import Caller

__all__ = ["StsState"]


@dataclass(frozen=True)
class StsState:
    now: Callable[[str | None], datetime]                   # the sandbox's clock (real time for no sandbox)
    sandbox_of_account: Callable[[str], str | None]          # which sandbox owns an account
    identity_policies: Callable[[Caller | None], tuple[list[Any], Any | None, list[Any]]]  # identity, boundary, session
    record: Callable[[str | None, Any], None]                # keep a Decision by request id (engine.decisions)
    mfa_clock: Callable[[str | None], float]                 # what the sandbox's MFA devices show codes for
    directory: Any                                           # engine.directory.Directory (moto's IAM data)
    store: Any                                               # engine.sts.sessions.CredentialStore (issued sessions)
    mfa: Any                                                 # engine.mfa.MfaVerifier (codes and replay memory)
    authmsg: Any                                             # engine.sts.authmsg.AuthorizationMessageCodec
