"""The gateway process's remotable surface beside the engine's (engine/ports.py): the world (moto's accounts, for
sandbox builds and seeding), the instance metadata service and lab control's own health check. Same rules: small
typed Protocols taking and returning JSON-safe values and dataclasses; gateway.control.registry serves and calls them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, runtime_checkable

from engine.ports import MaxLength

from .imds import ImdsResponse

__all__ = ["AwsCall", "AwsAnswer", "WorldPort", "ImdsPort", "ControlPort", "Ping"]


@dataclass(frozen=True)
class AwsCall:
    """One AWS API operation by name, as an admin (seeding: no authentication, no authorization) runs it in one
    account: what `iam.create_role(RoleName=...)` is before botocore serialises it. `params` are the API parameters
    botocore's handlers left (bytes for blobs, datetimes for timestamps); S3 bucket names are moved into `sandbox_id`'s
    namespace as the gateway does for learners."""
    service: Annotated[str, MaxLength(64)]
    operation: Annotated[str, MaxLength(128)]
    account_id: Annotated[str, MaxLength(12)]
    params: dict[str, Any] = field(default_factory=dict)
    sandbox_id: str | None = None
    region: Annotated[str, MaxLength(32)] = "us-east-1"


@dataclass(frozen=True)
class AwsAnswer:
    """botocore's parsed answer (errors included: `status` >= 300 and `parsed["Error"]`), as a client would get it."""
    status: int
    parsed: dict[str, Any]


@dataclass(frozen=True)
class Ping:
    ok: bool
    instance: str            # changes on every gateway start: a web process can tell that the gateway restarted


@runtime_checkable
class WorldPort(Protocol):
    """Whole-account operations on moto's state (gateway/worldstate.py) and named admin calls, where moto lives."""

    def account_loaded(self, account_id: str) -> bool: ...

    def drop_accounts(self, account_ids: list[str]) -> None: ...

    def clone_accounts(self, pairs: dict[str, str], replacements: dict[str, str]) -> None: ...

    def set_access_keys(self, entries: list[dict[str, Any]]) -> list[list[dict[str, str]]]: ...

    def add_identity_providers(self, account_id: str, saml: list[dict[str, str]],
                               oidc: list[dict[str, Any]]) -> None: ...

    def replay(self, entries: list[dict[str, Any]]) -> int: ...

    def call(self, request: AwsCall) -> AwsAnswer: ...


@runtime_checkable
class ImdsPort(Protocol):
    """An instance's metadata service (gateway/imds.py), where the instances and their sessions live."""

    def handle(self, method: Annotated[str, MaxLength(16)], path: Annotated[str, MaxLength(4096)],
               headers: dict[str, str]) -> ImdsResponse: ...

    def timeline(self, instance_id: Annotated[str, MaxLength(64)]) -> list[dict[str, Any]]: ...


@runtime_checkable
class ControlPort(Protocol):
    """Lab control's own: is this gateway answering, and is it the process it was a moment ago."""

    def ping(self) -> Ping: ...
