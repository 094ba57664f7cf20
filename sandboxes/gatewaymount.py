"""Mounts the gateway's WSGI app at /aws/ so `aws --endpoint-url http://127.0.0.1:8000/aws ...` works against
`make run`. The request is handed over untouched (raw body, headers); the gateway speaks AWS's protocols."""
from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

MOUNT = "/aws"
MAX_BODY = 16 * 1024 * 1024  # S3 uploads from a terminal; far above anything the lessons need

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade"}


def gateway_app() -> Any:
    """The process's GatewayApp (shared with the in-process boto3 clients, so one moto and one Lab)."""
    from gateway.client import default_gateway

    return default_gateway()


@csrf_exempt
def aws_endpoint(request: HttpRequest) -> HttpResponse:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        return HttpResponse("Request body too large for the lab", status=413, content_type="text/plain")
    body = request.read(length) if length else b""
    environ = {key: value for key, value in request.META.items()}
    full_path = environ.get("PATH_INFO", "")
    # The client signed the path exactly as sent ("/aws" for STS, "/aws/bucket/key" for S3). wsgiref gives no raw
    # request URI, so rebuild it (percent-encoded as SDKs do) for SigV4; SCRIPT_NAME/PATH_INFO are for routing.
    if "RAW_URI" not in environ and "REQUEST_URI" not in environ:
        environ["RAW_URI"] = quote(full_path.encode("latin-1"), safe="/~")
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
        if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
            response[name] = value
    return response
