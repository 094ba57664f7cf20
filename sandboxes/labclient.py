"""How the web layer reaches the lab: the in-process engine (default) or a remote gateway (LAB_GATEWAY_URL).

Everything in the web layer goes through these three functions, so switching modes touches only this module.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from engine.ports import LabPort
    from gateway.control.client import RemoteLab
    from gateway.ports import WorldPort


def _gateway_url() -> str:
    """LAB_GATEWAY_URL, or with sandboxes sharded (LAB_GATEWAY_URLS) the current sandbox's gateway (shards.route)."""
    from gateway import routing

    return routing.chosen() or settings.LAB_GATEWAY_URL


def _remote() -> RemoteLab:
    from gateway.control.client import remote_lab

    # the token from settings (LAB_CONTROL_TOKEN or _FILE); None falls back to the environment
    return remote_lab(_gateway_url(), getattr(settings, "LAB_CONTROL_TOKEN", "") or None)


def lab() -> LabPort:
    """The Lab's web-facing ports (engine.ports.LabPort): the process's Lab, or the sandbox's gateway's (RemoteLab)."""
    if settings.LAB_GATEWAY_URL:
        return _remote()
    from gateway.client import default_lab

    return default_lab()


def learner_client(service: str, *, access_key_id: str, secret_access_key: str, session_token: str | None = None,
                   recorder: Any = None, pooled: bool = False, region: str | None = None) -> Any:
    from gateway.client import learner_client as make

    return make(service, access_key_id=access_key_id, secret_access_key=secret_access_key,
                session_token=session_token, recorder=recorder, region=region or settings.LAB_REGION,
                endpoint=_gateway_url() or None, pooled=pooled)


def new_recorder() -> Any:
    from gateway.client import ExchangeRecorder

    return ExchangeRecorder()


def world_state() -> WorldPort:
    """Whole-account operations on moto (gateway.ports.WorldPort), wherever moto lives."""
    if settings.LAB_GATEWAY_URL:
        return _remote().world
    from gateway.client import default_moto
    from gateway.worldstate import WorldState

    return WorldState(default_moto())
