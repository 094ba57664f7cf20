"""The production-grade HTTP server `make run` uses: gunicorn, one process, many threads.

Why not `manage.py runserver`: its server (wsgiref) writes the status line, each default header and the body with
separate send() calls on a socket that keeps Nagle's algorithm on. Every small write after the first then waits for
the client's ACK of the previous one, and the client (boto3/urllib3, waiting for the whole answer) delays that ACK
by ~40 ms: measured on this machine, AssumeRole through runserver's /aws ran at 19 calls/s on a keep-alive boto3
connection, five sendto() calls per answer under strace, and 120 calls/s from the very same Django server with only
TCP_NODELAY set on the accepted sockets. gunicorn sets TCP_NODELAY on every listener (gunicorn/sock.py) and buffers
its headers, so the fixed wait is gone; scripts/bench_aws_mount.py measures it against a plain moto_server.

One process because moto and the engine's state live in memory (docs/architecture.md, "Modes"); threads because
requests wait on the moto lock or a sandbox build, not on the CPU. gunicorn's gthread worker keeps idle keep-alive
connections in its poller, so a learner's terminal does not hold a thread between commands.

Several WSGI apps, one per port: `serve({"127.0.0.1:8000": django_app, "127.0.0.1:8001": other_app})`. Each request
goes to the app bound to the port it arrived on (gunicorn fills SERVER_PORT from the listening socket, never from
the Host header, so a client cannot pick the other app). The lead wires securecart.aws_root this way
(`manage.py serve --also 127.0.0.1:8001=securecart.aws_root:application`).
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Iterable

from gunicorn.app.base import BaseApplication

from gateway.server import collect_garbage_in_batches

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def load_app(dotted: str) -> WsgiApp:
    """`package.module:attribute` -> the WSGI callable it names."""
    module_name, _, attribute = dotted.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"expected module:attribute, got {dotted!r}")
    return getattr(importlib.import_module(module_name), attribute)


def port_of(bind: str) -> str:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected HOST:PORT, got {bind!r}")
    return port


class PortDispatcher:
    """One WSGI callable over several apps, chosen by the port the connection came in on."""

    def __init__(self, apps_by_port: dict[str, WsgiApp]) -> None:
        self.apps_by_port = dict(apps_by_port)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.apps_by_port.get(str(environ.get("SERVER_PORT", "")))
        if app is None:   # only reachable if gunicorn bound a port we were not given
            start_response("421 Misdirected Request", [("Content-Type", "text/plain")])
            return [b"no application on this port\n"]
        return app(environ, start_response)


class LabServer(BaseApplication):
    def __init__(self, apps_by_bind: dict[str, WsgiApp], options: dict[str, Any]) -> None:
        self.apps_by_bind = apps_by_bind
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("bind", list(self.apps_by_bind))

    def load(self) -> WsgiApp:
        apps = {port_of(bind): app for bind, app in self.apps_by_bind.items()}
        if len(apps) == 1:
            return next(iter(apps.values()))
        return PortDispatcher(apps)


def serve(apps_by_bind: dict[str, WsgiApp], *, threads: int = 32, keepalive: int = 30, access_log: bool = False,
          timeout: int = 120, on_worker_start: Callable[[], None] | None = None) -> None:
    """Serve until interrupted. One worker process, always: the lab's state is in this process's memory."""
    collect_garbage_in_batches()   # set before the fork: the worker inherits it (gateway/server.py says why)
    options = {
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        # keep-alive connections (a learner's terminal, a browser) stay open between commands
        "keepalive": keepalive,
        # gthread's heartbeat runs in the worker's main loop, so this only catches a wedged process
        "timeout": timeout,
        "graceful_timeout": 10,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        # request lines and headers within gunicorn's defaults; bodies are bounded by the apps themselves
    }
    if on_worker_start is not None:   # in the worker process, which holds the lab's memory
        options["post_worker_init"] = lambda worker: on_worker_start()
    LabServer(apps_by_bind, options).run()
