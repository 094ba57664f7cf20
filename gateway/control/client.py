"""Lab control, client side: `RemoteLab` implements engine.ports.LabPort over HTTP (its methods generated from the
Protocols by gateway.control.registry.remote_class, so signatures and answer types are the Protocols'), with
`.trail` (TrailPort), `.world` (WorldPort) and `.imds_app()` (ImdsPort) generated the same way; `remote_lab(url)`
and `remote_admin_client(...)`. gateway.client.admin_client returns a remote admin client by itself when
LAB_GATEWAY_URL is set, as learner_client already did."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from ..admin import AdminClient, AdminTarget, shared_admin_client
from ..runtime import current
from .registry import LAB_PORTS, PORTS, remote_class
from .wire import API_PATH, TOKEN_ENV, LabControlError, env_token, from_wire, to_wire


class Transport:
    """JSON POSTs to one gateway over a small pool of keep-alive connections (thread-safe)."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        import urllib3  # noqa: PLC0415 (botocore's own HTTP library)

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"LAB_GATEWAY_URL must be an http(s) URL like http://127.0.0.1:4566, got {url!r}")
        if not token:
            raise LabControlError(f"LAB_GATEWAY_URL is set but {TOKEN_ENV} is not: the web processes need the same "
                                  "control token the gateway was started with")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                         "Accept": "application/json"}
        # Connection errors are retried (the request never left); anything after sending is not, since some calls
        # (advance_clock, admin CreateUser) must not run twice. urllib3 drops pooled connections the server closed.
        self._pool = urllib3.PoolManager(
            num_pools=2, maxsize=16, timeout=urllib3.Timeout(connect=5.0, read=timeout),
            retries=urllib3.Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0, backoff_factor=0.2))

    def post(self, name: str, args: dict[str, Any]) -> Any:
        import urllib3  # noqa: PLC0415

        url = f"{self.base}{API_PATH}{name}"
        try:
            response = self._pool.request("POST", url, body=json.dumps(to_wire(args)).encode("utf-8"),
                                          headers=self._headers)
        except urllib3.exceptions.HTTPError as error:
            raise LabControlError(f"could not reach the lab gateway at {self.base}: {error}") from None
        try:
            payload = json.loads(response.data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        if not isinstance(payload, dict):
            raise LabControlError(f"the lab gateway at {self.base} answered {name} with HTTP {response.status} "
                                  "and no lab-control JSON (is LAB_GATEWAY_URL the `python -m gateway` root?)",
                                  response.status)
        if response.status == 200 and "result" in payload:
            return from_wire(payload["result"])
        _raise(payload.get("error") or {}, response.status, self.base, name)


def _raise(error: dict[str, Any], status: int, base: str, name: str) -> None:
    kind, message = error.get("type", ""), str(error.get("message", ""))
    if kind == "KeyError":
        raise KeyError(message)
    if kind == "ValueError":
        raise ValueError(message)
    if kind == "AwsError":
        from engine.errors import AwsError  # noqa: PLC0415

        raised = AwsError(message, code=str(error.get("code", "InternalFailure")),
                          status=int(error.get("status", 400)), sender_fault=bool(error.get("sender_fault", True)))
        for name in ("reason", "detail"):   # engine.mfa's refusals say which check failed
            if isinstance(error.get(name), str):
                setattr(raised, name, error[name])
        raise raised
    if status in (401, 403):
        raise LabControlError(f"the lab gateway at {base} refused the control call {name} ({status}): {message}",
                              status)
    raise LabControlError(f"lab control call {name} failed at {base} (HTTP {status}): {message}", status)


class _Remote:
    """What every generated client needs: `_send(name, args)` on one gateway's transport (a Protocol's method may
    well be called `call`, as WorldPort's is)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _send(self, name: str, args: dict[str, Any]) -> Any:
        return self._transport.post(name, args)


class RemoteTrail(remote_class({"trail": PORTS["trail"]}, "RemoteTrailMethods"), _Remote):  # type: ignore[misc]
    """The gateway's Trail seen from a web process (engine.ports.TrailPort)."""


class RemoteWorld(remote_class({"world": PORTS["world"]}, "RemoteWorldMethods"), _Remote):  # type: ignore[misc]
    """gateway.worldstate.WorldState, run in the gateway process (which owns moto): gateway.ports.WorldPort."""


class RemoteImds(remote_class({"imds": PORTS["imds"]}, "RemoteImdsMethods"), _Remote):  # type: ignore[misc]
    """gateway.imds.ImdsApp's page-facing methods, answered by the gateway process (gateway.ports.ImdsPort)."""


class RemoteLab(remote_class({**LAB_PORTS, "control": PORTS["control"]}, "RemoteLabMethods"), _Remote):  # type: ignore[misc]
    """The web layer's view of engine.lab.Lab when the Lab lives in a `python -m gateway` process: every
    engine.ports.LabPort method (generated from the Protocols), `ping()`, and the gateway's other ports."""

    is_remote = True

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        super().__init__(Transport(self.url, token if token is not None else env_token(), timeout))
        self.trail = RemoteTrail(self._transport)
        self.world = RemoteWorld(self._transport)

    def imds_app(self) -> RemoteImds:
        """Stand-in for gateway.imds.ImdsApp(lab): handle() and timeline() run in the gateway process."""
        return RemoteImds(self._transport)

    def admin_client(self, service: str, account_id: str, *, sandbox_id: str | None = None,
                     region: str = "us-east-1") -> Any:
        return remote_admin_client(self.url, service, account_id, sandbox_id=sandbox_id, region=region, lab=self)

    def __repr__(self) -> str:
        return f"RemoteLab({self.url})"


def remote_lab(url: str, token: str | None = None) -> RemoteLab:
    """The RemoteLab for this gateway URL (one per runtime and URL, so its connection pool is reused)."""
    token = token if token is not None else env_token()
    key = (url.rstrip("/"), token)
    runtime = current()
    with runtime.lock:
        lab = runtime.remote_labs.get(key)
        if lab is None:
            lab = runtime.remote_labs[key] = RemoteLab(url, token)
        return lab


def remote_admin_client(url: str, service: str, account_id: str, *, sandbox_id: str | None = None,
                        region: str = "us-east-1", token: str | None = None, lab: RemoteLab | None = None) -> Any:
    """The remote twin of gateway.admin.local_admin_client: the same shared boto3 admin client, aimed at an account
    of the gateway process's moto: each call goes there as `world.call` (a named operation and its parameters), run
    there by the same admin client (S3 names moved into `sandbox_id`'s namespace by the same code). Seeding only."""
    link = lab or remote_lab(url, token)
    return AdminClient(shared_admin_client(service, region),
                       AdminTarget(account_id, sandbox_id, world=link.world, region=region))
