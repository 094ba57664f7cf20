"""The lab's admin clients inside the process that owns moto: boto3 clients whose requests go straight to moto in
one account (S3 names moved into a sandbox's namespace), with no authentication. For seeding only; gateway.client's
admin_client picks this or the remote twin (gateway.control.client.remote_admin_client)."""
from __future__ import annotations

import contextlib
import contextvars
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from . import s3names
from .botocore_glue import BOTO3_SERVICE, aws_response, body_bytes, boto3_session, client_config, install_sender
from .moto_backend import MotoBackend, MotoRequest

_lock = threading.Lock()
_state: dict[Any, Any] = {}


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
            return lambda operation: AdminPaginator(attr(operation), self)
        if name.startswith("_") or name in ("meta", "exceptions") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.aimed():
                return attr(*args, **kwargs)

        return call


class AdminPaginator:
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
        config=client_config(service=service))

    def send(request: AWSPreparedRequest, _: str) -> AWSResponse:
        account_id, sandbox_id, backend = _admin_target.get()
        body = body_bytes(request)
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
            return aws_response(request.url, response.status, headers_out, body_out)
        response = backend.call(MotoRequest(request.method, path, parts.query, headers, body), account_id)
        return aws_response(request.url, response.status, response.headers, response.body)

    client = install_sender(client, send)
    with _lock:
        return _state.setdefault(key, client)


def local_admin_client(service: str, account_id: str, *, sandbox_id: str | None, region: str,
                       moto: MotoBackend) -> AdminClient:
    """An admin client aimed at `account_id` (and `sandbox_id`'s S3 names) in this process's moto."""
    return AdminClient(_shared_admin_client(service, region), (account_id, sandbox_id, moto))
