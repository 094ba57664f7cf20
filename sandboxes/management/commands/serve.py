"""`manage.py serve [--bind 127.0.0.1:8000] [--threads 32] [--also HOST:PORT=module:app ...]`: what `make run` runs.

gunicorn, one process, threads (securecart/server.py says why runserver is not good enough for the /aws endpoint).
`--also` serves another WSGI app in the same process on a port of its own (it shares moto and the Lab with the site).
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.wsgi import get_wsgi_application

from securecart.server import load_app, port_of, serve


class Command(BaseCommand):
    help = "Serve the lab (one process, threads) on HOST:PORT, optionally with more WSGI apps on other ports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT of the site (default: %(default)s)")
        parser.add_argument("--threads", type=int, default=32)
        parser.add_argument("--also", action="append", default=[], metavar="HOST:PORT=module:app",
                            help="serve another WSGI app of this process on its own port")
        parser.add_argument("--access-log", action="store_true", help="log every request to stdout")

    def handle(self, *args, **options) -> None:
        apps = {options["bind"]: get_wsgi_application()}
        for item in options["also"]:
            bind, sep, dotted = item.partition("=")
            try:
                if not sep:
                    raise ValueError(f"expected HOST:PORT=module:app, got {item!r}")
                if port_of(bind) in {port_of(taken) for taken in apps}:
                    raise ValueError(f"{bind}: each app needs a port of its own")
                apps[bind] = load_app(dotted)
            except (ValueError, ImportError, AttributeError) as error:
                raise CommandError(str(error)) from None
        try:
            ports = [port_of(bind) for bind in apps]
        except ValueError as error:
            raise CommandError(str(error)) from None
        if len(set(ports)) != len(ports):
            raise CommandError("each app needs a port of its own")
        if options["threads"] < 1:
            raise CommandError("--threads must be at least 1")
        self.stdout.write(f"SecureCart STS Lab on http://{options['bind']}/ (one process, {options['threads']} "
                          "threads)" + "".join(f"; {item}" for item in options["also"]))
        self.stdout.flush()
        serve(apps, threads=options["threads"], access_log=options["access_log"], on_worker_start=_start_evictor)


def _start_evictor() -> None:
    """Every few minutes, free the memory of sandboxes idle for LAB_EVICT_IDLE_SECONDS (0 = never); the database
    keeps what their rebuild needs (sandboxes.services.evict_idle)."""
    import logging
    import threading

    from django.conf import settings
    from django.db import connection

    from sandboxes import services

    idle = float(getattr(settings, "LAB_EVICT_IDLE_SECONDS", 0) or 0)
    if idle <= 0:
        return

    def run() -> None:
        while not stop.wait(min(300.0, idle)):
            try:
                services.evict_idle(idle)
            except Exception:  # noqa: BLE001 (try again next round)
                logging.getLogger(__name__).exception("evicting idle sandboxes failed")
            finally:
                connection.close()

    stop = threading.Event()
    threading.Thread(target=run, name="sandbox-evictor", daemon=True).start()
