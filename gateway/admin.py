"""The lab's admin clients: boto3 clients whose requests go straight to moto in one account (S3 names moved into a
sandbox's namespace, gateway.s3names), with no authentication. For seeding only. One boto3 client per service and
region serves every account and both modes: an `AdminTarget` says where its calls go, this process's moto
(`local_admin_client`) or the `python -m gateway` process's, where a call travels as a named operation with its
API parameters (`AdminTarget.world`, a gateway.ports.WorldPort: `world.call(AwsCall(...))`, run there by the same
admin client; gateway.control.client.remote_admin_client). gateway.client's admin_client picks one."""
from __future__ import annotations

import contextvars
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.response import StreamingBody

from . import actions, s3names
from .botocore_glue import (BOTO3_SERVICE, ScopedClient, aws_response, body_bytes, boto3_session, client_config,
                            install_sender)
from .moto_backend import MotoBackend, MotoRequest
from .runtime import current


# admin_client's target (account, sandbox, moto) for the call running in this thread: one boto3 client per service
# and region serves every account, since building a client costs tens of milliseconds (botocore builds every
# operation model again) and sandbox builds would otherwise spend most of their time on it.
_admin_target: contextvars.ContextVar[AdminTarget] = contextvars.ContextVar("admin_target")


@dataclass(frozen=True)
class AdminTarget:
    """Where an admin client's calls go: an account (and sandbox, for S3 names) of this process's `moto`, or, with
    `world`, the gateway process that owns moto (each call sent as `world.call(AwsCall(...))`)."""
    account_id: str
    sandbox_id: str | None
    moto: MotoBackend | None = None
    world: Any = None            # a gateway.ports.WorldPort in another process (lab control)
    region: str = "us-east-1"


class AdminClient(ScopedClient):
    """What admin_client returns: the shared boto3 client, aimed at one account (and sandbox) for every call made
    through it. Attributes and methods are the boto3 client's; paginators keep the aim while they iterate."""

    def __init__(self, client: Any, target: AdminTarget) -> None:
        super().__init__(client)
        self.target = target

    def enter_scope(self) -> Any:
        return _admin_target.set(self.target)

    def leave_scope(self, token: Any) -> None:
        _admin_target.reset(token)

    def aimed(self) -> Any:
        """Aim the shared client while the block runs (for calls that bypass its methods, e.g. emitting events)."""
        return self.scoped()


def shared_admin_client(service: str, region: str) -> Any:
    """The one boto3 admin client of this service and region, built on first use (aim it with an AdminClient)."""
    runtime = current()
    key = (service, region)
    with runtime.lock:
        client = runtime.admin_clients.get(key)
    if client is not None:
        return client
    client = boto3_session().client(
        BOTO3_SERVICE.get(service, service), region_name=region, endpoint_url="http://localhost",
        aws_access_key_id="AKIAADMINSEEDING0000", aws_secret_access_key="admin-seeding-not-checked",
        config=client_config(service=service))

    def send(request: AWSPreparedRequest, _: str) -> AWSResponse:
        return to_moto(service, request, _admin_target.get())

    client = install_sender(client, send)
    # Another process's moto: the call goes there by name with its API parameters, before botocore serialises it
    # (no raw HTTP request tunnelled through lab control).
    client.meta.events.register_last("before-parameter-build", _keep_api_params)
    client.meta.events.register_first("before-call", _call_elsewhere)
    # on this service's own event name: botocore calls a more specific name's handlers before a shorter one's
    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"after-call.{service_id}", _remember_parsed)
    with runtime.lock:
        return runtime.admin_clients.setdefault(key, client)


# While gateway.worldstate.WorldState.call runs a call for another process: the answer as botocore's parser made it,
# before the after-call handlers changed it (IAM's policy documents decoded, S3 keys unquoted), so the caller's own
# client runs those handlers once, as it does for an answer it parsed itself.
parsed_as_received: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "admin_parsed_as_received", default=None)


def _remember_parsed(parsed: dict[str, Any], **kwargs: Any) -> None:
    holder = parsed_as_received.get()
    if holder is not None:
        holder["parsed"] = _copied(parsed)


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _keep_api_params(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
    context["lab_api_params"] = params   # after botocore's own handlers, as it would serialise them


def _call_elsewhere(model: Any, context: dict[str, Any], **kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    """before-call: for a target in another process, answer with `world.call` there (botocore then raises the
    modelled exception for an error answer, as for any response)."""
    from .ports import AwsCall  # noqa: PLC0415 (gateway.ports imports the IMDS module, which needs the engine)

    target = _admin_target.get(None)
    if target is None or target.world is None:
        return None
    params = {name: _plain(value) for name, value in context.get("lab_api_params", {}).items()}
    answer = target.world.call(AwsCall(model.service_model.service_name, model.name, target.account_id, params,
                                       target.sandbox_id, target.region))
    parsed = dict(answer.parsed)
    output = model.output_shape
    for name, value in list(parsed.items()):
        member = output.members.get(name) if output is not None else None
        if isinstance(value, bytes) and member is not None and member.serialization.get("streaming"):
            parsed[name] = StreamingBody(io.BytesIO(value), len(value))
    return aws_response("http://localhost/", answer.status, {}, b""), parsed


def _plain(value: Any) -> Any:
    """A parameter as lab control carries it: file-like bodies (botocore wraps bytes in one) read into bytes."""
    if hasattr(value, "read"):
        data = value.read()
        if hasattr(value, "seek"):
            value.seek(0)
        return data.encode("utf-8") if isinstance(data, str) else data
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def to_moto(service: str, request: AWSPreparedRequest, target: AdminTarget) -> AWSResponse:
    """One admin request answered by `target.moto` in `target.account_id`, S3 names in the sandbox's namespace."""
    if target.moto is None:
        raise ValueError("an admin target without moto needs a `deliver`")
    body = body_bytes(request)
    parts = urlsplit(request.url)
    headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
    path = unquote(parts.path) or "/"
    sandbox_id = target.sandbox_id
    if service != "s3" or sandbox_id is None:
        response = target.moto.call(MotoRequest(request.method, path, parts.query, headers, body), target.account_id)
        return aws_response(request.url, response.status, response.headers, response.body)
    bucket, key = s3names.split_path(path)
    operation = actions.classify_s3(request.method, bucket, key, dict(parse_qsl(parts.query, keep_blank_values=True)),
                                    {k.lower(): v for k, v in headers.items()}).operation
    headers, _ = s3names.stored_headers(sandbox_id, headers)
    response = target.moto.call(MotoRequest(request.method, s3names.stored_path(sandbox_id, bucket, key), parts.query,
                                            headers, body), target.account_id)
    headers_out, body_out = s3names.restore_response(sandbox_id, operation, response.status, list(response.headers),
                                                     response.body)
    headers_out = [(k, v) for k, v in headers_out if k.lower() != "content-length" or request.method == "HEAD"]
    return aws_response(request.url, response.status, headers_out, body_out)


def local_admin_client(service: str, account_id: str, *, sandbox_id: str | None, region: str,
                       moto: MotoBackend) -> AdminClient:
    """An admin client aimed at `account_id` (and `sandbox_id`'s S3 names) in this process's moto."""
    return AdminClient(shared_admin_client(service, region), AdminTarget(account_id, sandbox_id, moto=moto))
