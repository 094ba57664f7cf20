"""The AWS endpoint at the ROOT of a port of its own, for clients that sign or ask for `/`:

- hvac (Vault's AWS auth) and aws-iam-authenticator sign a GetCallerIdentity whose canonical URI is `/`; the
  authenticator even refuses a presigned URL whose path is not `/` (pkg/token/token.go, "unexpected path").
- the JavaScript SDK's `fromInstanceMetadata` keeps only host and port of AWS_EC2_METADATA_SERVICE_ENDPOINT and asks
  `/latest/...`: an instance is named by the Host instead (sandboxes/imdsmount.host_label), e.g.
  `http://i-0abc...--sbx-12ab...--<mac>.localhost:8001`.

`application` is a WSGI app that hands each request to the site's own Django application, re-addressed: an IMDS
request for a labelled host becomes `/imds/<sandbox key>/<instance>/latest/...`, anything else `/aws/...`, with the
request target the client signed kept as RAW_URI. So the /aws mount's rules (size limits, AWS-shaped refusals,
HEAD lengths, the LAB_GATEWAY_URL forwarding) hold here too.

How to serve it: in the default one-process mode the in-process gateway (moto and the issued sessions) lives in the
web process, so this app must run IN THE SAME PROCESS as securecart.wsgi — e.g. `serve_in_thread("127.0.0.1", 8001)`
from the process that serves the site. With LAB_GATEWAY_URL (several processes) it may run in any web process.
Tell the site where it is with LAB_AWS_ROOT_URL (the terminal page shows the addresses).
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable
from urllib.parse import quote

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securecart.settings.dev")

from django.core.wsgi import get_wsgi_application  # noqa: E402

_site = get_wsgi_application()

from sandboxes.gatewaymount import ROOT_FLAG  # noqa: E402  (the /aws mount then accepts root-path targets)


def _request_target(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    target = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/~")
    query = environ.get("QUERY_STRING", "")
    return f"{target}?{query}" if query else target


def _allowed_host() -> str:
    from django.conf import settings

    for host in settings.ALLOWED_HOSTS:
        if host and host != "*" and not host.startswith("."):
            return host
    return "localhost"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    path = environ.get("PATH_INFO", "") or "/"
    environ = dict(environ)
    environ["RAW_URI"] = _request_target(environ)
    if path == "/latest" or path.startswith("/latest/"):
        from sandboxes import imdsmount

        target = imdsmount.target_of_host(environ.get("HTTP_HOST", ""))
        if target is not None:
            sandbox, instance_id = target
            environ["PATH_INFO"] = f"/imds/{imdsmount.sandbox_key(sandbox)}/{instance_id}{path}"
            environ["HTTP_HOST"] = _allowed_host()  # the label host is this app's business, not ALLOWED_HOSTS'
            return _site(environ, start_response)
        if imdsmount.names_an_instance(environ.get("HTTP_HOST", "")):
            # IMDS's answer for an instance it does not serve (a wrong key is no instance at all)
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9"),
                                             ("Server", "EC2ws")])
            return [b"Not Found"]
    environ[ROOT_FLAG] = True
    environ["PATH_INFO"] = "/aws" + path
    return _site(environ, start_response)


def serve_in_thread(host: str = "127.0.0.1", port: int = 0) -> tuple[Any, threading.Thread]:
    """Serve `application` on a threaded wsgiref server (Django's runserver server: it closes each request thread's
    database connections) in this process; port 0 picks a free port (read `server.server_port`). Returns (server,
    thread); stop with server.shutdown()."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadedWSGIServer((host, port), QuietHandler, allow_reuse_address=False)
    server.set_app(application)
    thread = threading.Thread(target=server.serve_forever, name="aws-root", daemon=True)
    thread.start()
    return server, thread
