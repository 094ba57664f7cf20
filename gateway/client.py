"""boto3 clients that reach the lab's gateway: in-process by default, over HTTP when told to.

learner_client(...) signs with the learner's credentials and hands the signed request to the process's GatewayApp
through botocore's `before-send` event (no socket, no moto.mock_aws()); with `endpoint=` or LAB_GATEWAY_URL set it
sends it over HTTP instead. An ExchangeRecorder keeps each request/response pair, secrets masked, for the pages
that show learners what went over the wire. admin_client(...) goes straight to moto for seeding, bypassing auth;
it exists only inside the process and is never reachable over HTTP.
"""
from __future__ import annotations

import contextlib
import contextvars
import io
import json
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
from botocore import UNSIGNED
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from . import protocols, s3names
from .moto_backend import MotoBackend, MotoRequest

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000/aws"   # how in-process requests are addressed (and shown to learners)
BOTO3_SERVICE = {"sso-admin": "sso-admin", "identitystore": "identitystore"}

_lock = threading.Lock()
_state: dict[str, Any] = {}


# ------------------------------------------------------------------------------------------------ process singletons
def boto3_session() -> boto3.session.Session:
    """One boto3 session over the shared botocore session: later clients cost ~2 ms instead of ~50 ms."""
    with _lock:
        if "session" not in _state:
            _state["session"] = boto3.session.Session(botocore_session=protocols.botocore_session())
        return _state["session"]


def default_moto() -> MotoBackend:
    with _lock:
        if "moto" not in _state:
            _state["moto"] = MotoBackend()
        return _state["moto"]


def set_default_gateway(app: Any) -> None:
    with _lock:
        _state["gateway"] = app


def default_gateway() -> Any:
    """The process's GatewayApp, built on first use around engine.lab.get_lab() and the shared moto."""
    with _lock:
        app = _state.get("gateway")
    if app is None:
        from engine.lab import get_lab  # noqa: PLC0415 (engine.lab imports moto; load it only when needed)

        from .app import GatewayApp  # noqa: PLC0415

        app = GatewayApp(get_lab(), default_moto())
        with _lock:
            app = _state.setdefault("gateway", app)
    return app


def _http_session() -> Any:
    from botocore.httpsession import URLLib3Session  # noqa: PLC0415

    with _lock:
        if "http" not in _state:
            _state["http"] = URLLib3Session()
        return _state["http"]


# ------------------------------------------------------------------------------------------------ recording
SECRET_FIELDS = {"SecretAccessKey", "SessionToken", "Password", "NewPassword", "OldPassword", "SecretString",
                 "SecretBinary", "PrivateKey", "AuthenticationCode1", "AuthenticationCode2", "Base32StringSeed"}
LONG_FIELDS = {"SAMLAssertion", "WebIdentityToken", "QRCodePNG"}


def _shorten(text: str, keep: int = 12) -> str:
    return text if len(text) <= keep + 3 else f"{text[:keep]}…({len(text)} chars)"


def _mask(text: str) -> str:
    # The length is the real one (a secret access key is 40 characters), so the panel never miscounts it.
    return f"{text[:4]}…({len(text)} characters, hidden)" if len(text) > 4 else "…(hidden)"


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    masked = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "authorization":
            value = re.sub(r"Signature=([0-9a-f]{8})[0-9a-f]+", r"Signature=\1…", value)
        elif lowered == "x-amz-security-token":
            value = _shorten(value, 16)
        masked[name] = value
    return masked


def mask_form(body: str) -> dict[str, str]:
    fields = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        leaf = key.rsplit(".", 1)[-1]
        if leaf in SECRET_FIELDS:
            value = _mask(value)
        elif leaf in LONG_FIELDS:
            value = _shorten(value, 24)
        fields[key] = value
    return fields


def mask_response_text(text: str) -> str:
    for name in SECRET_FIELDS:
        text = re.sub(rf"<{name}>([^<]*)</{name}>", lambda m: f"<{name}>{_mask(m.group(1))}</{name}>", text)
        text = re.sub(rf'"{name}"\s*:\s*"([^"]*)"', lambda m: f'"{name}": "{_mask(m.group(1))}"', text)
    return text


@dataclass
class Exchange:
    operation: str
    method: str
    url: str
    headers: dict[str, str]
    body: str | dict[str, str]
    status: int
    response_headers: dict[str, str]
    response_body: str
    request_id: str | None

    @property
    def ok(self) -> bool:
        return self.status < 400


@dataclass
class ExchangeRecorder:
    """Collects the Exchanges of the clients it is given to (thread-safe; keeps at most `limit`)."""
    limit: int = 200
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)
            del self.exchanges[: max(0, len(self.exchanges) - self.limit)]

    @property
    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()


def _body_bytes(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        if hasattr(body, "seek"):
            try:
                body.seek(0)
            except (OSError, ValueError):
                pass
        return data if isinstance(data, bytes) else data.encode("utf-8")
    return bytes(body)


def _printable_body(headers: dict[str, str], body: bytes) -> str | dict[str, str]:
    content_type = headers.get("Content-Type", headers.get("content-type", ""))
    if content_type.startswith("application/x-www-form-urlencoded"):
        return mask_form(body.decode("utf-8", "replace"))
    if not body:
        return ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes of binary data>"
    if "json" in content_type:
        try:
            data = json.loads(text)
            for name in SECRET_FIELDS & set(data):
                data[name] = _mask(str(data[name]))
            return json.dumps(data, indent=1)
        except ValueError:
            pass
    return text if len(text) <= 20000 else text[:20000] + "…"


def _record(recorder: ExchangeRecorder | None, operation: str, request: AWSPreparedRequest, body: bytes,
            status: int, headers: dict[str, str], response_body: bytes) -> None:
    if recorder is None:
        return
    request_headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
    text = response_body.decode("utf-8", "replace") if len(response_body) < 200000 else \
        f"<{len(response_body)} bytes>"
    recorder.record(Exchange(
        operation=operation, method=request.method, url=request.url, headers=mask_headers(request_headers),
        body=_printable_body(request_headers, body), status=status, response_headers=dict(headers),
        response_body=mask_response_text(text),
        request_id=headers.get("x-amzn-RequestId") or headers.get("x-amz-request-id")))


# ------------------------------------------------------------------------------------------------ transport
class _RawBody(io.BytesIO):
    """The `raw` botocore reads: .read() for streaming bodies (S3 GetObject), .stream() for everything else."""

    def stream(self, amt: int = 1024 * 64, decode_content: bool = True) -> Any:
        while chunk := self.read(amt):
            yield chunk


def _aws_response(url: str, status: int, headers: list[tuple[str, str]] | dict[str, str], body: bytes) -> AWSResponse:
    return AWSResponse(url, status, dict(headers), _RawBody(body))


def _incoming_from_prepared(request: AWSPreparedRequest, body: bytes, base_path: str, source_ip: str) -> Any:
    from .app import IncomingRequest  # noqa: PLC0415

    parts = urlsplit(request.url)
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
    headers.setdefault("host", parts.netloc)
    path = unquote(parts.path)
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path):] or "/"
    return IncomingRequest(method=request.method, path=path or "/", raw_path=parts.path or "/",
                           query_string=parts.query, headers=headers, body=body, source_ip=source_ip,
                           secure=parts.scheme == "https")


def _install(client: Any, send: Callable[[AWSPreparedRequest, str], AWSResponse]) -> Any:
    def before_send(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        event_name = kwargs.get("event_name", "")
        operation = event_name.rsplit(".", 1)[-1] if event_name.count(".") >= 2 else ""
        return send(request, operation)

    client.meta.events.register_first("before-send", before_send)
    return client


def _operation_hook(client: Any, holder: dict[str, str]) -> None:
    def remember(model: Any, **kwargs: Any) -> None:
        holder["operation"] = model.name

    client.meta.events.register("before-call", remember)


def _config(unsigned: bool = False, service: str = "", *, validate: bool = True) -> Config:
    # S3 presigned URLs would default to SigV2 query auth; the lab speaks SigV4 only, as newer S3 regions do.
    signature = UNSIGNED if unsigned else ("s3v4" if service == "s3" else None)
    return Config(signature_version=signature, s3={"addressing_style": "path"}, parameter_validation=validate,
                  retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=5, read_timeout=30)


def _make_client(service: str, *, access_key_id: str | None, secret_access_key: str | None,
                 session_token: str | None, region: str, endpoint: str | None, recorder: ExchangeRecorder | None,
                 unsigned: bool, source_ip: str, gateway: Any = None) -> Any:
    remote = endpoint or os.environ.get("LAB_GATEWAY_URL")
    endpoint_url = (remote or os.environ.get("LAB_PUBLIC_AWS_URL") or DEFAULT_PUBLIC_URL).rstrip("/")
    client = boto3_session().client(
        BOTO3_SERVICE.get(service, service), region_name=region, endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, aws_session_token=session_token,
        # No client-side validation: what a learner typed reaches the gateway, which answers as AWS does
        # (ValidationError and its message) instead of botocore's local ParamValidationError.
        config=_config(unsigned, service, validate=False))
    holder: dict[str, str] = {}
    _operation_hook(client, holder)
    base_path = urlsplit(endpoint_url).path.rstrip("/")

    def send(request: AWSPreparedRequest, _: str) -> AWSResponse:
        body = _body_bytes(request)
        if remote:
            request.body = body
            http_response = _http_session().send(request)
            response_body = http_response.content
            status, headers = http_response.status_code, dict(http_response.headers.items())
        else:
            app = gateway or default_gateway()
            result = app.handle(_incoming_from_prepared(request, body, base_path, source_ip))
            status, headers, response_body = result.status, dict(result.headers), result.body
        _record(recorder, holder.get("operation", ""), request, body, status, headers, response_body)
        return _aws_response(request.url, status, headers, response_body)

    return _install(client, send)


def learner_client(service: str, *, access_key_id: str, secret_access_key: str, session_token: str | None = None,
                   recorder: ExchangeRecorder | None = None, region: str = "us-east-1", endpoint: str | None = None,
                   source_ip: str = "127.0.0.1", gateway: Any = None) -> Any:
    """A boto3 client signing as the learner; in-process to the gateway unless `endpoint`/LAB_GATEWAY_URL is set."""
    return _make_client(service, access_key_id=access_key_id, secret_access_key=secret_access_key,
                        session_token=session_token, region=region, endpoint=endpoint, recorder=recorder,
                        unsigned=False, source_ip=source_ip, gateway=gateway)


def unsigned_client(service: str = "sts", *, recorder: ExchangeRecorder | None = None, region: str = "us-east-1",
                    endpoint: str | None = None, source_ip: str = "127.0.0.1", gateway: Any = None) -> Any:
    """An unsigned client, for AssumeRoleWithSAML / AssumeRoleWithWebIdentity (the token is the credential)."""
    return _make_client(service, access_key_id=None, secret_access_key=None, session_token=None, region=region,
                        endpoint=endpoint, recorder=recorder, unsigned=True, source_ip=source_ip, gateway=gateway)


# admin_client's target (account, sandbox, moto) for the call running in this thread: one boto3 client per service
# and region serves every account, since building a client costs tens of milliseconds (botocore builds every
# operation model again) and sandbox builds would otherwise spend most of their time on it.
_admin_target: contextvars.ContextVar[tuple[str, str | None, MotoBackend]] = contextvars.ContextVar("admin_target")


class AdminClient:
    """What admin_client returns: the shared boto3 client, aimed at one account (and sandbox) for every call made
    through it. Attributes and methods are the boto3 client's; paginators keep the aim while they iterate."""

    def __init__(self, client: Any, target: tuple[str, str | None, MotoBackend]) -> None:
        self.client = client
        self.target = target

    @contextlib.contextmanager
    def aimed(self) -> Any:
        """Aim the shared client while the block runs (for calls that bypass its methods, e.g. emitting events)."""
        token = _admin_target.set(self.target)
        try:
            yield self.client
        finally:
            _admin_target.reset(token)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if name == "get_paginator":
            return lambda operation: _AdminPaginator(attr(operation), self)
        if name.startswith("_") or name in ("meta", "exceptions") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.aimed():
                return attr(*args, **kwargs)

        return call


class _AdminPaginator:
    def __init__(self, paginator: Any, admin: AdminClient) -> None:
        self.paginator = paginator
        self.admin = admin

    def paginate(self, **kwargs: Any) -> Any:
        with self.admin.aimed():
            pages = iter(self.paginator.paginate(**kwargs))
        while True:
            with self.admin.aimed():
                try:
                    page = next(pages)
                except StopIteration:
                    return
            yield page


def _shared_admin_client(service: str, region: str) -> Any:
    key = ("admin", service, region)
    with _lock:
        client = _state.get(key)
    if client is not None:
        return client
    client = boto3_session().client(
        BOTO3_SERVICE.get(service, service), region_name=region, endpoint_url="http://localhost",
        aws_access_key_id="AKIAADMINSEEDING0000", aws_secret_access_key="admin-seeding-not-checked",
        config=_config(service=service))

    def send(request: AWSPreparedRequest, _: str) -> AWSResponse:
        account_id, sandbox_id, backend = _admin_target.get()
        body = _body_bytes(request)
        parts = urlsplit(request.url)
        headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
        path = unquote(parts.path) or "/"
        if service == "s3" and sandbox_id is not None:
            bucket, key = s3names.split_path(path)
            if bucket:
                path = f"/{s3names.stored_name(sandbox_id, bucket)}" + (f"/{key}" if key else "")
            lowered = {k.lower(): k for k in headers}
            if "x-amz-copy-source" in lowered:
                name = lowered["x-amz-copy-source"]
                headers[name], _ = s3names.rewrite_copy_source(sandbox_id, headers[name])
            response = backend.call(MotoRequest(request.method, path, parts.query, headers, body), account_id)
            body_out = response.body
            if bucket is None and request.method == "GET":
                body_out = s3names.filter_list_buckets(sandbox_id, body_out)
            elif not (key and request.method == "GET" and response.status < 300):
                body_out = s3names.restore_names(sandbox_id, body_out)
            headers_out = [(k, v) for k, v in response.headers if k.lower() != "content-length"
                           or request.method == "HEAD"]
            return _aws_response(request.url, response.status, headers_out, body_out)
        response = backend.call(MotoRequest(request.method, path, parts.query, headers, body), account_id)
        return _aws_response(request.url, response.status, response.headers, response.body)

    client = _install(client, send)
    with _lock:
        return _state.setdefault(key, client)


def admin_client(service: str, account_id: str, *, sandbox_id: str | None = None, region: str = "us-east-1",
                 moto: MotoBackend | None = None) -> Any:
    """Straight to moto in `account_id`, no authentication: for seeding only.

    With `sandbox_id`, S3 bucket names are moved into that sandbox's namespace exactly as the gateway does for its
    learners, so seeding can use the familiar names.
    """
    remote = os.environ.get("LAB_GATEWAY_URL") if moto is None else None
    if remote:  # several web processes: moto lives in the `python -m gateway` process (gateway/labcontrol.py)
        from .labcontrol import remote_admin_client  # noqa: PLC0415

        return remote_admin_client(remote, service, account_id, sandbox_id=sandbox_id, region=region)
    return AdminClient(_shared_admin_client(service, region), (account_id, sandbox_id, moto or default_moto()))
