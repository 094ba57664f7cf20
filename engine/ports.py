"""The Lab's remotable surface, as small typed Protocols (docs/architecture.md, "Ports").

Each Protocol below is one part of what a web process may ask of the process that owns the engine: its sandboxes
and clocks, the Decisions that explain requests, issued sessions, the mock OIDC issuers' keys, MFA devices and
CloudTrail's event log (the gateway adds the world and the instance metadata service, gateway/ports.py). Arguments
and results are JSON-safe by construction: str, int, float, bool, None, datetime, bytes, lists, str-keyed dicts and
dataclasses of those (`DecisionView` travels as `Decision.to_dict()`). gateway.control.registry derives lab control
from these annotations, both ends: `expose(port, impl)` serves each method with its arguments checked by their
types, `remote_class(...)` builds the client; nothing is listed twice.

Adding engine state that web processes reach is one typed method on the Protocol it belongs to (or a new small
Protocol, registered once in gateway/control/registry.py's LAB_PORTS) plus its implementation on `Lab`.
`InProcessLabPort` adds what only the engine's own process calls (the gateway's request path); it never travels.
"""
from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any, Protocol, runtime_checkable

from engine.cloudtrail import Trail
from engine.directory import Directory, MfaDeviceInfo
from engine.mfa import MfaProof, MfaVerifier
from engine.sts.results import StsResult
from engine.sts.sessions import SessionSecret

__all__ = ["DecisionView", "SandboxPort", "DecisionPort", "SessionPort", "JwksPort", "MfaPort", "GraphPort",
           "TrailPort", "LabPort", "InProcessLabPort", "MaxLength", "port_methods"]


class MaxLength:
    """An argument's length limit, for `Annotated[str, MaxLength(n)]` (lab control refuses longer text)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __repr__(self) -> str:
        return f"MaxLength({self.limit})"


# An MFA code is six digits; a longer text is never one.
MfaCode = Annotated[str, MaxLength(16)]


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
class SandboxPort(Protocol):
    """The sandbox registry and the sandboxes' clocks."""

    def register_sandbox(self, sandbox_id: str, accounts: dict[str, str], clock_offset: float = 0.0) -> None: ...

    def forget_sandbox(self, sandbox_id: str) -> None: ...

    def set_clock_offset(self, sandbox_id: str, seconds: float) -> None: ...

    def advance_clock(self, sandbox_id: str, seconds: float) -> datetime: ...

    def now(self, sandbox_id: str | None) -> datetime: ...

    def mfa_clock(self, sandbox_id: str | None) -> float: ...

    def sandbox_of_account(self, account_id: str) -> str | None: ...

    def accounts_of(self, sandbox_id: str) -> dict[str, str]: ...

    def create_root_access_key(self, sandbox_id: str, account: str) -> tuple[str, str]: ...


@runtime_checkable
class DecisionPort(Protocol):
    """Why a request was answered as it was (engine.decisions.DecisionLog), by request id."""

    def decision(self, request_id: str) -> DecisionView | None: ...

    def decisions(self, request_id: str) -> list[DecisionView]: ...

    def federation_report(self, request_id: str) -> dict[str, Any] | None: ...


@runtime_checkable
class SessionPort(Protocol):
    """Issued sessions: listed without their secrets; one session's secret given back, by key, to the web processes
    that keep a learner's credentials (sandboxes/credentials.py rebuilds its cache from it)."""

    def sessions(self, sandbox_id: str, *, include_expired: bool = False) -> list[dict[str, Any]]: ...

    def issued_session(self, sandbox_id: str, access_key_id: str, secret_access_key: str,
                       session_token: str) -> dict[str, Any] | None: ...

    def sandbox_of_key(self, access_key_id: Annotated[str, MaxLength(128)]) -> str | None: ...

    def session_secret(self, sandbox_id: str, access_key_id: Annotated[str, MaxLength(128)]) -> SessionSecret | None:
        ...


@runtime_checkable
class JwksPort(Protocol):
    """The mock OIDC issuers' keys, per sandbox."""

    def register_oidc_jwks(self, sandbox_id: str, issuer_url: str, jwks: dict[str, Any]) -> None: ...

    def oidc_jwks(self, sandbox_id: str, issuer_url: str) -> dict[str, Any] | None: ...


@runtime_checkable
class MfaPort(Protocol):
    """MFA devices (the virtual phone) and STS's replay memory."""

    def mfa_device(self, serial_number: str) -> MfaDeviceInfo | None: ...

    def mfa_last_used_step(self, serial: str, seed: str) -> int | None: ...

    def mfa_verify_enable(self, serial: str, seed: str, code1: MfaCode, code2: MfaCode, *,
                          at: float | None = None) -> MfaProof: ...


@runtime_checkable
class GraphPort(Protocol):
    """Who can become whom: the access graph of a sandbox (engine/graph.py), JSON-safe; read it with engine.graph
    (shortest_path, new_edges). session_keys: the access key ids of the role sessions to draw (None: every one)."""

    def access_graph(self, sandbox_id: str, session_keys: list[str] | None = None) -> dict[str, Any]: ...


@runtime_checkable
class TrailPort(Protocol):
    """CloudTrail's event log (engine.cloudtrail.Trail): what web processes drain into the database, and the portals'
    sign-in events they record."""

    def drain(self, limit: int = 1000) -> list[dict[str, Any]]: ...

    def pending_count(self) -> int: ...

    def lookup_dicts(self, sandbox_id: str, account_id: str | None, params: dict[str, Any]) -> dict[str, Any]: ...

    def forget(self, sandbox_id: str) -> None: ...

    def record_event(self, sandbox_id: str, account_id: str, record: dict[str, Any]) -> str: ...


@runtime_checkable
class LabPort(SandboxPort, DecisionPort, SessionPort, JwksPort, MfaPort, GraphPort, Protocol):
    """The web layer's Lab: the ports above in one object, plus its event log (`lab.trail`)."""

    @property
    def trail(self) -> TrailPort: ...


@runtime_checkable
class InProcessLabPort(LabPort, Protocol):
    """What the gateway (the process that owns the engine) also calls. Not remotable: engine objects in and out."""

    def authenticate(self, access_key_id: str, session_token: str | None) -> Any: ...

    def sts(self, operation: str, caller: Any, params: dict[str, Any], request_meta: Any = None) -> StsResult: ...

    def authorize_call(self, caller: Any, action: str, resource_arn: str, resource_account: str | None,
                       resource_policy: str | None = None, extra_context: dict[str, Any] | None = None,
                       request_meta: Any = None) -> Any: ...

    def encode_authorization_failure(self, caller: Any, decision: Any) -> str: ...

    def simulate(self, caller: Any, operation: str, params: dict[str, Any],
                 request_id: str | None = None) -> dict[str, Any]: ...

    # the engine's own objects, which the gateway's overrides read (IAM data, MFA replay memory, the Trail)
    @property
    def directory(self) -> Directory: ...

    @property
    def mfa(self) -> MfaVerifier: ...

    @property
    def trail(self) -> Trail: ...

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
    (e.g. `trail`) are not methods and are left out."""
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
