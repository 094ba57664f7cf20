"""Serve the gateway alone over HTTP (cheroot: one process, a pool of threads, keep-alive connections):
`python -m gateway --host 127.0.0.1 --port 4566`.

For outside clients (AWS CLI, SDKs: `--endpoint-url http://127.0.0.1:4566`) and for deployments with several web
processes, which then point LAB_GATEWAY_URL here so one process owns the engine state and moto.

Why cheroot (CherryPy's server) and not werkzeug's development server: werkzeug answers every request with
`Connection: close` (werkzeug/serving.py: "Always close the connection"), so each of the dozen lab-control calls a
web process makes per step paid for a new TCP connection, a getaddrinfo and a new server thread. cheroot keeps
connections open (idle ones wait in its selector and hold no thread), sets TCP_NODELAY, stays one process (the lab's
state is in this process's memory; gunicorn would add a master process) and sends header names as the app wrote them
(AWS's `x-amzn-RequestId`; waitress, the other candidate, rewrites them as `X-Amzn-Requestid`).
scripts/bench_gateway.py and scripts/bench_load.py measure it.
"""
from __future__ import annotations

import argparse
import gc
import logging
import queue
import sys
import threading
from typing import Any, Callable, Iterable

import socket

from cheroot import server as cheroot_server
from cheroot import wsgi

_log = logging.getLogger("gateway.server")


def build_app(lab: Any = None, mount_path: str = "") -> Any:
    """The process's GatewayApp over the runtime's Lab and moto (gateway.runtime), mounted at `mount_path`."""
    from .app import GatewayApp  # noqa: PLC0415
    from .client import default_lab, default_moto, set_default_gateway  # noqa: PLC0415

    app = GatewayApp(lab or default_lab(), default_moto(), mount_path=mount_path)
    set_default_gateway(app)
    return app


# Every learner's request is a thread of one process. CPython hands the interpreter from a busy thread to a waiting
# one only every `sys.getswitchinterval()` (5 ms by default), so a learner whose call needs a few ms of policy
# evaluation could add up to 5 ms to every other learner's call; 1 ms keeps that wait small (scripts/bench_fairness.py).
FAIR_SWITCH_INTERVAL = 0.001

# Requests wait on the moto lock or a sandbox build more than on the CPU, so more threads than cores. Idle keep-alive
# connections wait in cheroot's selector and hold no thread, so far more of them may stay open than there are threads
# (each web process pools up to 16, each learner's terminal one or two); past the limit an answer says Connection: close.
SERVER_THREADS = 32
KEEP_ALIVE_CONNECTIONS = 1000
# A connection idle this long is closed (clients reconnect: urllib3 and botocore check a pooled connection before
# reuse); also how long a request's headers and body may take to arrive.
IDLE_CONNECTION_SECONDS = 60


def share_the_interpreter_fairly() -> None:
    if sys.getswitchinterval() > FAIR_SWITCH_INTERVAL:
        sys.setswitchinterval(FAIR_SWITCH_INTERVAL)


# CPython's cycle collector examines the young generation every 700 net new container objects, the middle one every
# 10 of those and the whole heap every 10 of those (gc.set_threshold's defaults, Python's gc docs). This process holds
# moto's and the engine's state for every sandbox, so the old generation is large: in a 100-student class
# (scripts/bench_classroom.py) the server spent ~6 s of its ~24 s in the collector, a full collection ~0.27 s with
# every learner's thread stopped. In bigger batches a request's young objects are mostly freed by reference counting
# before a collection looks at them, and the old heap is walked rarely (~2.5 s in the same class). Cycles are still
# collected, only later.
GC_THRESHOLDS = (20_000, 50, 100)


def collect_garbage_in_batches() -> None:
    if gc.get_threshold()[0] < GC_THRESHOLDS[0]:
        gc.set_threshold(*GC_THRESHOLDS)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _with_access_log(app: WsgiApp) -> WsgiApp:
    """Log each request's method, path and status at INFO (cheroot writes no access log of its own)."""
    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if _log.isEnabledFor(logging.INFO):
                _log.info('%s "%s %s" %s', environ.get("REMOTE_ADDR", "-"), environ.get("REQUEST_METHOD", "-"),
                          environ.get("PATH_INFO", ""), status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)
        return app(environ, start)
    return logged


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class _AckingRequest(cheroot_server.HTTPRequest):
    """Acknowledge a request's headers at once. botocore gives urllib3 no socket options (socket_options=[]), so its
    sockets keep Nagle's algorithm, and it sends headers and body in two writes: on a kept-alive connection the body
    waits for the ACK of the headers, which Linux may delay by 40 ms while the server has nothing to send. Measured
    here: GetCallerIdentity on one boto3 connection took 44 ms a call, 1-2 ms with this (strace: the body arrived
    40 ms after the headers). TCP_QUICKACK sends a pending ACK now (Linux only; elsewhere nothing changes)."""

    def read_request_headers(self) -> bool:
        read = bool(super().read_request_headers())  # type: ignore[no-untyped-call]  # cheroot has no types
        if read and _QUICKACK is not None:
            try:
                self.conn.socket.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except OSError:   # not a TCP socket, or already closed: nothing to acknowledge
                pass
        return read


class _AckingConnection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _AckingRequest


class GatewayHttpServer:
    """A cheroot server for one WSGI app, with the socketserver-style names the scripts and tests use:
    `server_port` (the bound port: port 0 picks a free one), `serve_forever()`, and `shutdown()` from any thread."""

    def __init__(self, host: str, port: int, app: WsgiApp) -> None:
        self._server = wsgi.Server((host, port), _with_access_log(app),
                                   numthreads=SERVER_THREADS, max=SERVER_THREADS, timeout=IDLE_CONNECTION_SECONDS,
                                   server_name="SecureCart-lab-gateway", request_queue_size=128)
        self._server.keep_alive_conn_limit = KEEP_ALIVE_CONNECTIONS
        self._server.ConnectionClass = _AckingConnection
        self._server.prepare()   # binds and listens now, so server_port is known before serving
        self.server_address = tuple(self._server.bind_addr[:2])
        self.server_port = int(self.server_address[1])

    def serve_forever(self) -> None:
        self._server.serve()

    def shutdown(self) -> None:
        """Stop serving (from any thread): serve_forever returns once the worker threads have finished."""
        self._server.stop()

    def server_close(self) -> None:
        """The same as shutdown(); stopping twice is harmless (socketserver's two names for the scripts and tests)."""
        self._server.stop()


def make_gateway_server(host: str, port: int, app: Any = None) -> GatewayHttpServer:
    """A keep-alive, thread-pooled server for `app` (port 0 picks a free port: read server.server_port)."""
    share_the_interpreter_fairly()
    collect_garbage_in_batches()
    return GatewayHttpServer(host, port, app or build_app())


def serve_in_thread(host: str = "127.0.0.1", port: int = 0, app: Any = None
                    ) -> tuple[GatewayHttpServer, threading.Thread]:
    """Serve in the background. The server is built inside the daemon thread: cheroot starts its worker threads
    there, and a thread is a daemon when its creator is, so a process that serves this way can still exit."""
    made: queue.Queue[GatewayHttpServer | BaseException] = queue.Queue(maxsize=1)

    def serve() -> None:
        try:
            server = make_gateway_server(host, port, app)
        except BaseException as error:   # noqa: BLE001 - handed to the caller, who raises it
            made.put(error)
            return
        made.put(server)
        server.serve_forever()

    thread = threading.Thread(target=serve, name="gateway-http", daemon=True)
    thread.start()
    result = made.get()
    if isinstance(result, BaseException):
        raise result
    return result, thread


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
