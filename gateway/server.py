"""Serve the gateway alone over HTTP (werkzeug's threaded server): `python -m gateway --host 127.0.0.1 --port 4566`.

For outside clients (AWS CLI, SDKs: `--endpoint-url http://127.0.0.1:4566`) and for deployments with several web
processes, which then point LAB_GATEWAY_URL here so one process owns the engine state and moto.
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if logging.getLogger("gateway.server").isEnabledFor(logging.INFO):
            super().log_request(code, size)


def build_app(lab: Any = None, mount_path: str = "") -> Any:
    from engine.lab import get_lab  # noqa: PLC0415

    from .app import GatewayApp  # noqa: PLC0415
    from .client import default_moto, set_default_gateway  # noqa: PLC0415

    app = GatewayApp(lab or get_lab(), default_moto(), mount_path=mount_path)
    set_default_gateway(app)
    return app


# Every learner's request is a thread of one process. CPython hands the interpreter from a busy thread to a waiting
# one only every `sys.getswitchinterval()` (5 ms by default), so a learner whose call needs a few ms of policy
# evaluation could add up to 5 ms to every other learner's call; 1 ms keeps that wait small (scripts/bench_fairness.py).
FAIR_SWITCH_INTERVAL = 0.001


def share_the_interpreter_fairly() -> None:
    if sys.getswitchinterval() > FAIR_SWITCH_INTERVAL:
        sys.setswitchinterval(FAIR_SWITCH_INTERVAL)


def make_gateway_server(host: str, port: int, app: Any = None) -> BaseWSGIServer:
    """A threaded werkzeug server for `app` (port 0 picks a free port: read server.server_port)."""
    share_the_interpreter_fairly()
    return make_server(host, port, app or build_app(), threaded=True, request_handler=_QuietHandler)


def serve_in_thread(host: str = "127.0.0.1", port: int = 0, app: Any = None) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_gateway_server(host, port, app)
    thread = threading.Thread(target=server.serve_forever, name="gateway-http", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway", description="Serve the SecureCart STS Lab gateway.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--mount", default="", help="also accept requests under this path prefix, e.g. /aws")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    from .control.server import with_lab_control  # noqa: PLC0415 (/_lab/: lab control for web processes)

    server = make_gateway_server(args.host, args.port, with_lab_control(build_app(mount_path=args.mount)))
    print(f"SecureCart lab gateway on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
