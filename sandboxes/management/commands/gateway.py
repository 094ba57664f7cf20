"""`manage.py gateway [--host 127.0.0.1] [--port 4566] [--mount /aws]`: `python -m gateway` with the database attached.

The gateway package knows no Django. Run this way (the deployment with several web processes), the gateway process
also writes every learner's successful writes to the lab database (gateway/journal.py -> sandboxes/journal.py), so a
gateway that restarts or dies loses nothing a learner did: the next request rebuilds the sandbox from the database.
Same options as `python -m gateway`; LAB_CONTROL_TOKEN and DATABASE_URL as for the web processes.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


def _with_db_connections(app: Any) -> Callable[..., Iterable[bytes]]:
    """Close stale database connections around each request, as Django's own request cycle does."""
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        close_old_connections()
        try:
            return app(environ, start_response)
        finally:
            close_old_connections()
    return wrapped


class Command(BaseCommand):
    help = "Serve the lab gateway (python -m gateway) with learners' writes journaled to the lab database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=4566)
        parser.add_argument("--mount", default="", help="also accept requests under this path prefix, e.g. /aws")

    def handle(self, *args, **options) -> None:
        from gateway import journal
        from gateway.control.server import with_lab_control
        from gateway.server import build_app, make_gateway_server

        if not journal.has_sink():   # installed by SandboxesConfig.ready()
            from sandboxes import journal as db_journal

            db_journal.install()
        app = _with_db_connections(with_lab_control(build_app(mount_path=options["mount"])))
        server = make_gateway_server(options["host"], options["port"], app)
        self.stdout.write(f"SecureCart lab gateway on http://{options['host']}:{server.server_port} "
                          "(journal: lab database)")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
