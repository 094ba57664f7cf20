"""The Lab's interface, as its callers see it (docs/architecture.md, "engine.ports").

- `LabPort`: what the web layer calls on a Lab. Both `engine.lab.Lab` (in-process) and the gateway's `RemoteLab`
  (several web processes, lab control over HTTP) implement it, so the remote method list is derived from this one
  Protocol (`port_methods(LabPort)`), not kept by hand. Arguments and results are JSON-safe (plus datetimes and the
  small dataclasses named in the annotations), so every method can cross a process boundary.
- `InProcessLabPort`: `LabPort` plus what only the process that owns the engine calls (the gateway's request path:
  authenticate, sts, authorize_call, ...). These take or return engine objects (Caller, IssuedSession, Decision)
  that never travel.

Adding engine state that web processes reach is one edit here (a method on `LabPort`) plus its implementation on
`Lab`; the remote side follows from the Protocol. Add to the Protocols; do not rename (the remote side and tests
derive from them).
"""
from __future__ import annotations

import inspect
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from engine.directory import MfaDeviceInfo
from engine.mfa import MfaProof

__all__ = ["DecisionView", "LabPort", "InProcessLabPort", "port_methods"]


@runtime_checkable
class DecisionView(Protocol):
    """What a caller reads from a decision in both modes: engine.policy's Decision in-process, the gateway's
    RemoteDecision (rebuilt from `to_dict()`) in a web process."""

    @property
    def allowed(self) -> bool: ...

    @property
    def reason(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class LabPort(Protocol):
    """The web layer's Lab: sandboxes and clocks, decisions and federation reports, sessions, JWKS, MFA, CloudTrail."""

    # ---- sandboxes and clocks
    def register_sandbox(self, sandbox_id: str, accounts: dict[str, str], clock_offset: float = 0.0) -> None: ...

    def forget_sandbox(self, sandbox_id: str) -> None: ...

    def set_clock_offset(self, sandbox_id: str, seconds: float) -> None: ...

    def advance_clock(self, sandbox_id: str, seconds: float) -> datetime: ...

    def now(self, sandbox_id: str | None) -> datetime: ...

    def mfa_clock(self, sandbox_id: str | None) -> float: ...

    def sandbox_of_account(self, account_id: str) -> str | None: ...

    def accounts_of(self, sandbox_id: str) -> dict[str, str]: ...

    def create_root_access_key(self, sandbox_id: str, account: str) -> tuple[str, str]: ...

    # ---- why a request was answered as it was (engine.decisions.DecisionLog)
    def decision(self, request_id: str) -> DecisionView | None: ...

    def decisions(self, request_id: str) -> list[DecisionView]: ...

    def federation_report(self, request_id: str) -> dict[str, Any] | None: ...

    # ---- issued sessions (no secrets)
    def sessions(self, sandbox_id: str, *, include_expired: bool = False) -> list[dict[str, Any]]: ...

    def issued_session(self, sandbox_id: str, access_key_id: str, secret_access_key: str,
                       session_token: str) -> dict[str, Any] | None: ...

    # ---- the mock OIDC issuers' keys, per sandbox
    def register_oidc_jwks(self, sandbox_id: str, issuer_url: str, jwks: dict[str, Any]) -> None: ...

    def oidc_jwks(self, sandbox_id: str, issuer_url: str) -> dict[str, Any] | None: ...

    # ---- MFA devices (the virtual phone) and the replay memory
    def mfa_device(self, serial_number: str) -> MfaDeviceInfo | None: ...

    def mfa_last_used_step(self, serial: str, seed: str) -> int | None: ...

    def mfa_verify_enable(self, serial: str, seed: str, code1: str, code2: str, *,
                          at: float | None = None) -> MfaProof: ...

    # ---- who can become whom: engine.graph.AccessGraph.to_dict() of the sandbox (read it with engine.graph)
    def access_graph(self, sandbox_id: str, session_keys: list[str] | None = None) -> dict[str, Any]: ...

    # ---- CloudTrail: `trail.<name>` for engine.cloudtrail.Trail.REMOTE_METHODS in both modes
    @property
    def trail(self) -> Any: ...


@runtime_checkable
class InProcessLabPort(LabPort, Protocol):
    """What the gateway (the process that owns the engine) also calls. Not remotable: engine objects in and out."""

    def authenticate(self, access_key_id: str, session_token: str | None) -> Any: ...

    def sts(self, operation: str, caller: Any, params: dict[str, Any], request_meta: Any = None) -> dict[str, Any]: ...

    def authorize_call(self, caller: Any, action: str, resource_arn: str, resource_account: str | None,
                       resource_policy: str | None = None, extra_context: dict[str, Any] | None = None,
                       request_meta: Any = None) -> Any: ...

    def encode_authorization_failure(self, caller: Any, decision: Any) -> str: ...

    def time_at(self, sandbox_id: str | None, real: datetime) -> datetime: ...

    def set_user_boundary(self, account: str, user_name: str, boundary_arn: str | None) -> None: ...

    def issue_service_role_session(self, sandbox_id: str, role_arn: str, *, service: str = "ec2.amazonaws.com",
                                   session_name: str, duration: int | None = None,
                                   duration_seconds: int | None = None, request_meta: Any = None) -> Any: ...

    def instance_registry(self) -> Any: ...

    def record_decision(self, request_id: str, decision: Any) -> None: ...

    def identity_policies(self, caller: Any) -> tuple[list[Any], Any | None, list[Any]]: ...

    def session(self, access_key_id: str) -> Any: ...


def port_methods(port: type = LabPort) -> dict[str, inspect.Signature]:
    """name -> signature (without `self`) of every method a Protocol declares, its bases' included; properties
    (e.g. `trail`) are not methods and are left out. The remote side derives its method list from this."""
    methods: dict[str, inspect.Signature] = {}
    for klass in reversed(port.__mro__):
        if klass is object or klass is Protocol or not getattr(klass, "_is_protocol", False):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            signature = inspect.signature(value)
            methods[name] = signature.replace(parameters=list(signature.parameters.values())[1:])
    return methods
