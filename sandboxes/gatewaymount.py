"""Mounts the gateway at /aws/ so `aws --endpoint-url http://127.0.0.1:8000/aws ...` works against the web server.
The request is handed over untouched (raw body, headers); the gateway speaks AWS's protocols.

In one process (default) the gateway's WSGI app is called in-process. With LAB_GATEWAY_URL (several web processes)
the request is forwarded over HTTP to the `python -m gateway` process that owns moto and the sessions, because this
process's own Lab is empty. SigV4 signs both the Host header and the path as the client sent them, so the forwarded
request keeps the client's Host and the `/aws` prefix; the gateway is therefore started with `--mount /aws` to route
`/aws/bucket/key` as `/bucket/key`. Lab control (`/_lab/`) is never reachable this way: the forwarded path always
starts with `/aws/`, dot segments are refused, and `/aws/_lab...` is refused outright.
"""
from __future__ import annotations

import io
import threading
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from gateway.control.wire import LabControlError

from . import shards, wakeup

MOUNT = "/aws"
ROOT_FLAG = "securecart.aws_root"  # environ key set by securecart/aws_root.py for requests at the root of its port
MAX_BODY = 16 * 1024 * 1024  # S3 uploads from a terminal; far above anything the lessons need

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                         "transfer-encoding", "upgrade"})


def gateway_app() -> Any:
    """The process's GatewayApp (shared with the in-process boto3 clients, so one moto and one Lab)."""
    from gateway.client import default_gateway

    return default_gateway()


def _raw_target(environ: dict[str, Any]) -> str:
    """The request target as the client sent (and signed) it: path and query, percent-encoded as SDKs do."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        if "://" in raw:  # absolute-form request target
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        return raw
    # wsgiref (runserver) gives no raw request URI: rebuild it from PATH_INFO and the raw query
    target = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/~")
    query = environ.get("QUERY_STRING", "")
    return f"{target}?{query}" if query else target


def aws_error(status: int, code: str, message: str, request: HttpRequest | None = None,
               body: bytes = b"") -> HttpResponse:
    """An AWS-shaped error for failures of the mount itself, in the protocol of the service the client is calling
    (gateway.protocols reads it from the credential scope and the request's shape), so every SDK parses it."""
    from engine.errors import AwsError
    from gateway import dialects
    from gateway.app import GatewayApp, IncomingRequest

    protocol, service = "query", None
    if request is not None:
        incoming = IncomingRequest(method=request.method or "GET", path=request.path, raw_path=request.path,
                                   query_string=request.META.get("QUERY_STRING", ""),
                                   headers={k.lower(): v for k, v in request.headers.items()}, body=body)
        service = GatewayApp.identify_service(incoming)
        protocol = None if service else GatewayApp.caller_protocol(incoming)
    request_id = str(uuid.uuid4())
    error = dialects.error_response(service, AwsError(message, code=code, status=status, sender_fault=status < 500),
                                    request_id, protocol=protocol)
    response = HttpResponse(error.body, status=status)
    for name, value in error.headers:
        response[name] = value
    response["x-amzn-RequestId"] = request_id
    return response


@csrf_exempt
def aws_endpoint(request: HttpRequest) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length < 0:
            raise ValueError(length)
    except ValueError:
        return aws_error(400, "InvalidRequest", "The Content-Length header is not a valid number.", request)
    if length > MAX_BODY:
        # S3's words for a body over its limit (S3 API Reference, "Error codes": EntityTooLarge)
        return aws_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", request)
    body = request.read(length) if length > 0 else b""
    # A sandbox not in memory (restart, eviction, a scripted sandbox) is rebuilt before its first call is answered.
    wakeup.wake_sandbox_for(request)
    if settings.LAB_GATEWAY_URL:
        try:   # sharded (LAB_GATEWAY_URLS): the gateway that owns the request's sandbox
            url = shards.gateway_for_request(request, body) if shards.enabled() else settings.LAB_GATEWAY_URL
        except LabControlError:
            return aws_error(503, "ServiceUnavailable", "No lab gateway is answering. Try again.", request, body)
        return _forward(request, body, url)
    environ = {key: value for key, value in request.META.items()}
    full_path = environ.get("PATH_INFO", "")
    # The client signed the path exactly as sent ("/aws" for STS, "/aws/bucket/key" for S3). wsgiref gives no raw
    # request URI, so rebuild it (percent-encoded as SDKs do) for SigV4; SCRIPT_NAME/PATH_INFO are for routing.
    if "RAW_URI" not in environ and "REQUEST_URI" not in environ:
        environ["RAW_URI"] = _raw_target(environ)
    environ["SCRIPT_NAME"] = MOUNT
    environ["PATH_INFO"] = full_path[len(MOUNT):] or "/"
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = headers
        return lambda data: None

    chunks = gateway_app()(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    response = HttpResponse(content, status=captured.get("status", 500))
    for name, value in captured.get("headers", []):
        # A HEAD answer has no body but keeps the length of the body a GET would get (RFC 9110, 9.3.2): the AWS CLI
        # reads an object's size from it (`aws s3 cp`, `s3api head-object`).
        if name.lower() not in _HOP_BY_HOP and (name.lower() != "content-length" or request.method == "HEAD"):
            response[name] = value
    return response


# ------------------------------------------------------------------------------------------------ remote mode
def _pool(gateway_url: str) -> Any:
    """One keep-alive connection pool per gateway (urllib3, botocore's HTTP library); never retries a sent request.
    Kept in the runtime's web memory (gateway.runtime)."""
    import urllib3

    from gateway.runtime import current

    memory = current().web
    with memory.proxy_pools_lock:
        pool = memory.proxy_pools.get(gateway_url)
        if pool is None:
            pool = memory.proxy_pools[gateway_url] = urllib3.connection_from_url(
                gateway_url, maxsize=8, block=False, timeout=urllib3.Timeout(connect=5.0, read=60.0),
                retries=urllib3.Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0))
        return pool


def _is_safe_target(target: str, *, root: bool = False) -> bool:
    """`root`: the request came through the root-path endpoint (securecart/aws_root.py), whose targets have no
    /aws prefix; the gateway process routes them as root paths."""
    path = target.split("?", 1)[0]
    if not root and not (path == MOUNT or path.startswith(MOUNT + "/")):
        return False
    segments = path.split("/")
    if any(segment in (".", "..") or segment.lower() in ("%2e", "%2e%2e", ".%2e", "%2e.") for segment in segments):
        return False  # a proxy or the gateway could resolve them into /_lab/
    rest = path if root else path[len(MOUNT):]
    return not (rest.lower() == "/_lab" or rest.lower().startswith(("/_lab/", "/%5flab")))


def _forward(request: HttpRequest, body: bytes, gateway_url: str) -> HttpResponse:
    import urllib3

    target = _raw_target(request.META)
    if not _is_safe_target(target, root=bool(request.META.get(ROOT_FLAG))):
        return aws_error(404, "NotFound", "The lab's /aws endpoint does not serve this path.", request)
    headers = {}
    for key, value in request.META.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
            if name.lower() not in _HOP_BY_HOP and name.lower() != "expect":
                headers[name] = value
    if request.META.get("CONTENT_TYPE"):
        headers["Content-Type"] = request.META["CONTENT_TYPE"]
    headers["Content-Length"] = str(len(body))
    # Host stays the client's: SigV4 signed it (urllib3 sends a Host header given here instead of its own)
    headers["Host"] = request.META.get("HTTP_HOST") or request.get_host()
    try:
        answer = _pool(gateway_url.rstrip("/")).urlopen(
            request.method or "GET", target, body=body, headers=headers, redirect=False, preload_content=True,
            assert_same_host=False)
    except urllib3.exceptions.HTTPError as error:
        shards.mark_dead(gateway_url.rstrip("/"))   # sharded: the next request moves its sandbox elsewhere
        host = urlsplit(gateway_url).netloc
        return aws_error(503, "ServiceUnavailable",
                          f"The lab's gateway ({host}) could not be reached: {type(error).__name__}. Try again.",
                          request, body)
    response = HttpResponse(answer.data, status=answer.status)
    for name, value in answer.headers.items():
        if name.lower() not in _HOP_BY_HOP and name.lower() not in ("server", "date") and (
                name.lower() != "content-length" or request.method == "HEAD"):  # see aws_endpoint
            response[name] = value
    return response
