"""The lab's admin clients: boto3 clients whose requests go straight to moto in one account (S3 names moved into a
sandbox's namespace, gateway.s3names), with no authentication. For seeding only. One boto3 client per service and
region serves every account and both modes: an `AdminTarget` says where its requests go, in this process's moto
(`local_admin_client`) or through lab control to the `python -m gateway` process (`AdminTarget.deliver`, used by
gateway.control.client.remote_admin_client); gateway.client's admin_client picks one."""
from __future__ import annotations

import contextvars
import threading
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from . import actions, s3names
from .botocore_glue import (BOTO3_SERVICE, ScopedClient, aws_response, body_bytes, boto3_session, client_config,
                            install_sender)
from .moto_backend import MotoBackend, MotoRequest

_lock = threading.Lock()
_state: dict[Any, Any] = {}


# admin_client's target (account, sandbox, moto) for the call running in this thread: one boto3 client per service
# and region serves every account, since building a client costs tens of milliseconds (botocore builds every
# operation model again) and sandbox builds would otherwise spend most of their time on it.
_admin_target: contextvars.ContextVar[AdminTarget] = contextvars.ContextVar("admin_target")


@dataclass(frozen=True)
class AdminTarget:
    """Where an admin client's requests go: an account (and sandbox, for S3 names) of this process's `moto`, or,
    with `deliver`, whatever `deliver(service, request, target)` answers (lab control's admin method)."""
    account_id: str
    sandbox_id: str | None
    moto: MotoBackend | None = None
    deliver: Callable[[str, AWSPreparedRequest, AdminTarget], AWSResponse] | None = None


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
    key = ("admin", service, region)
    with _lock:
        client = _state.get(key)
    if client is not None:
        return client
    client = boto3_session().client(
        BOTO3_SERVICE.get(service, service), region_name=region, endpoint_url="http://localhost",
        aws_access_key_id="AKIAADMINSEEDING0000", aws_secret_access_key="admin-seeding-not-checked",
        config=client_config(service=service))

    def send(request: AWSPreparedRequest, _: str) -> AWSResponse:
        target = _admin_target.get()
        if target.deliver is not None:
            return target.deliver(service, request, target)
        return to_moto(service, request, target)

    client = install_sender(client, send)
    with _lock:
        return _state.setdefault(key, client)


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
