"""Overrides: operations the gateway answers itself instead of moto, after authentication and authorisation.

An `OverrideRegistry` maps (service, operation) to a handler taking an `OperationCall`; GatewayApp gets one
(gateway.builtin_overrides.default_overrides() unless told otherwise), so a test or a deployment can add or replace
handlers on its own app without touching any other. Handler modules import this module, never gateway.app.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from engine.ports import InProcessLabPort
from engine.sts.caller import Caller

from . import dialects
from .moto_backend import MotoLookups
from .protocols import Response


@dataclass
class OperationCall:
    """What an override handler gets: the parsed, authenticated and authorised call, and a way to forward it.
    `lab` is the gateway's Lab (engine.ports.InProcessLabPort), `lookups` its reads of moto's state."""
    lab: InProcessLabPort
    lookups: MotoLookups
    service: str
    operation: str
    params: dict[str, Any]
    caller: Caller
    account: str
    region: str
    request_id: str
    forward: Callable[..., Response]   # forward() as received, or forward(body) with a body the handler rewrote
    body: bytes = b""                  # the request body forward() sends (query protocols: the form)

    def result(self, result: dict[str, Any]) -> Response:
        """Write an output dict in this service's protocol."""
        return dialects.for_service(self.service).result(self.service, self.operation, result, self.request_id)


OverrideHandler = Callable[[OperationCall], Response]


class OverrideRegistry:
    """(service, operation) -> handler. Registering the same pair again replaces the handler."""

    def __init__(self, handlers: Iterable[tuple[tuple[str, str], OverrideHandler]] = ()) -> None:
        self.handlers: dict[tuple[str, str], OverrideHandler] = dict(handlers)

    def register(self, service: str, operation: str, handler: OverrideHandler) -> None:
        """Answer (service, operation) with `handler` instead of moto, after authentication and authorisation."""
        self.handlers[(service, operation)] = handler

    def get(self, service: str, operation: str) -> OverrideHandler | None:
        return self.handlers.get((service, operation))

    def copy(self) -> OverrideRegistry:
        return OverrideRegistry(self.handlers.items())

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self.handlers

    def __len__(self) -> int:
        return len(self.handlers)
