"""Lab control, client side: `RemoteLab` (same method names and return types as engine.lab.Lab for the methods
the web layer uses: every engine.ports.LabPort method, generated from the Protocol; `.imds_app()`, `.trail`, `.kv`,
`.world` mirror the gateway-process objects the web layer uses),
`remote_lab(url)` and `remote_admin_client(...)`. gateway.client.admin_client returns a remote admin client by itself
when LAB_GATEWAY_URL is set, as learner_client already did."""
from __future__ import annotations

import inspect
import json
import threading
from typing import Any, Callable
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest

from engine.cloudtrail import Trail
from engine.directory import MfaDeviceInfo
from engine.mfa import MfaProof
from engine.ports import LabPort, port_methods

from ..admin import AdminClient, AdminTarget, shared_admin_client
from ..botocore_glue import aws_response, body_bytes
from .store import RemoteKeyValueStore
from .wire import ADMIN_METHOD, API_PATH, TOKEN_ENV, LabControlError, RemoteDecision, env_token, from_wire, to_wire


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


class RemoteLab:
    """The web layer's view of engine.lab.Lab when the Lab lives in a `python -m gateway` process."""

    is_remote = True

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self._token = token if token is not None else env_token()
        self._transport = Transport(self.url, self._token, timeout)

    def call(self, name: str, **args: Any) -> Any:
        """One lab-control method by name (LAB_METHODS), for the façades below that mirror engine objects."""
        return self._transport.post(name, args)

    # ---- engine.ports.LabPort's methods are added below the class (_port_method), one per method of the Protocol
    def ping(self) -> dict[str, Any]:
        """{"ok": True, "instance": <changes on every gateway start>} (lab control's own, not a Lab method)."""
        return self.call("ping")

    @property
    def trail(self) -> "RemoteTrail":
        """engine.cloudtrail.Trail's REMOTE_METHODS, called on the gateway (keyword arguments)."""
        return RemoteTrail(self.call)

    @property
    def kv(self) -> "RemoteKeyValueStore":
        """The gateway's KeyValueStore, shared by every web process (e.g. behind a Django cache backend)."""
        return RemoteKeyValueStore(self)

    @property
    def world(self) -> "RemoteWorldState":
        """gateway.worldstate.WorldState's methods, run in the gateway process (which owns moto)."""
        return RemoteWorldState(self)

    def imds_app(self) -> "RemoteImdsApp":
        """Stand-in for gateway.imds.ImdsApp(lab): handle() and timeline() run in the gateway process."""
        return RemoteImdsApp(self)

    # ---- seeding
    def admin_client(self, service: str, account_id: str, *, sandbox_id: str | None = None,
                     region: str = "us-east-1") -> Any:
        return remote_admin_client(self.url, service, account_id, sandbox_id=sandbox_id, region=region, lab=self)

    def __repr__(self) -> str:
        return f"RemoteLab({self.url})"


# What a LabPort method's answer becomes on this side, by its return annotation (the wire carries JSON): decisions as
# RemoteDecision (engine.ports.DecisionView), the small engine dataclasses rebuilt, tuples from JSON lists.
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "DecisionView | None": lambda data: RemoteDecision(data) if data is not None else None,
    "list[DecisionView]": lambda items: [RemoteDecision(item) for item in items],
    "MfaDeviceInfo | None": lambda data: MfaDeviceInfo(**data) if data is not None else None,
    "MfaProof": lambda data: MfaProof(**data),
    "tuple[str, str]": tuple,
}


def _port_method(name: str, signature: inspect.Signature) -> Callable[..., Any]:
    """RemoteLab.<name>: the arguments bound to LabPort's signature (defaults filled in, so the gateway sees every
    argument), sent as lab-control method `name`, the answer decoded by the return annotation."""
    decode = _DECODERS.get(str(signature.return_annotation), lambda data: data)

    def method(self: RemoteLab, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return decode(self.call(name, **bound.arguments))

    method.__name__ = name
    method.__qualname__ = f"RemoteLab.{name}"
    method.__doc__ = f"engine.ports.LabPort.{name}, answered by the gateway process."
    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[self_parameter, *signature.parameters.values()])
    return method


REMOTE_METHODS = port_methods(LabPort)
for _name, _signature in REMOTE_METHODS.items():
    setattr(RemoteLab, _name, _port_method(_name, _signature))


class RemoteTrail:
    """The gateway's Trail seen from a web process: exactly Trail.REMOTE_METHODS, with keyword arguments."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self._remote_call = call

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in Trail.REMOTE_METHODS:
            raise AttributeError(f"the remote Trail has no method `{name}`")
        return lambda **args: self._remote_call(f"trail.{name}", **args)


class RemoteWorldState:
    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def account_loaded(self, account_id: str) -> bool:
        return self.lab.call("world.account_loaded", account_id=account_id)

    def drop_accounts(self, account_ids: list[str]) -> None:
        self.lab.call("world.drop_accounts", account_ids=list(account_ids))

    def clone_accounts(self, pairs: dict[str, str], replacements: dict[str, str]) -> None:
        self.lab.call("world.clone_accounts", pairs=dict(pairs), replacements=dict(replacements))

    def set_access_keys(self, entries: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
        return self.lab.call("world.set_access_keys", entries=entries)

    def add_identity_providers(self, account_id: str, saml: list[dict[str, str]], oidc: list[dict[str, Any]]) -> None:
        self.lab.call("world.add_identity_providers", account_id=account_id, saml=list(saml), oidc=list(oidc))

    def replay(self, entries: list[dict[str, Any]]) -> int:
        return self.lab.call("world.replay", entries=entries)


class RemoteImdsApp:
    """gateway.imds.ImdsApp's page-facing methods, answered by the gateway process (which owns the instances)."""

    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def handle(self, method: str, path: str, headers: dict[str, str]) -> Any:
        from ..imds import ImdsResponse  # noqa: PLC0415

        answer = self.lab.call("imds_handle", method=method, path=path, headers=dict(headers))
        return ImdsResponse(int(answer["status"]), answer["body"], answer["content_type"], dict(answer["headers"]))

    def timeline(self, instance_id: str) -> list[dict[str, Any]]:
        return self.lab.call("imds_timeline", instance_id=instance_id)


_remote_labs: dict[tuple[str, str], RemoteLab] = {}
_remote_lock = threading.Lock()


def remote_lab(url: str, token: str | None = None) -> RemoteLab:
    """The RemoteLab for this gateway URL (one per process and URL, so its connection pool is reused)."""
    token = token if token is not None else env_token()
    key = (url.rstrip("/"), token)
    with _remote_lock:
        lab = _remote_labs.get(key)
        if lab is None:
            lab = _remote_labs[key] = RemoteLab(url, token)
        return lab


def remote_admin_client(url: str, service: str, account_id: str, *, sandbox_id: str | None = None,
                        region: str = "us-east-1", token: str | None = None, lab: RemoteLab | None = None) -> Any:
    """The remote twin of gateway.admin.local_admin_client: the same shared boto3 admin client, aimed at an account
    whose requests the gateway process hands straight to moto (S3 names moved into `sandbox_id`'s namespace there,
    by the same code as in-process). For seeding only."""
    link = lab or remote_lab(url, token)

    def deliver(service_name: str, request: AWSPreparedRequest, target: AdminTarget) -> Any:
        parts = urlsplit(request.url)
        headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
        answer = link.call(
            ADMIN_METHOD, service=service_name, account_id=target.account_id, sandbox_id=target.sandbox_id,
            region=region, method=request.method, path=parts.path or "/", query=parts.query, headers=headers,
            body=body_bytes(request))
        return aws_response(request.url, int(answer["status"]), [tuple(h) for h in answer["headers"]],
                            answer["body"])

    return AdminClient(shared_admin_client(service, region), AdminTarget(account_id, sandbox_id, deliver=deliver))
