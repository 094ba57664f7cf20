"""`manage.py serve` (make run): gunicorn in one process; several WSGI apps, each on a port of its own."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from securecart.server import LabServer, PortDispatcher, load_app, port_of


def _app(name: str):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [name.encode()]
    return app


def _call(app, port: str) -> tuple[str, bytes]:
    seen = {}
    body = b"".join(app({"SERVER_PORT": port, "HTTP_HOST": "127.0.0.1:8000"},
                        lambda status, headers: seen.setdefault("status", status)))
    return seen["status"], body


def test_each_request_goes_to_the_app_of_the_port_it_arrived_on():
    dispatcher = PortDispatcher({"8000": _app("site"), "8001": _app("aws-root")})
    assert _call(dispatcher, "8000") == ("200 OK", b"site")
    # the Host header says 8000, but the connection came in on 8001: the listening socket decides
    assert _call(dispatcher, "8001") == ("200 OK", b"aws-root")
    assert _call(dispatcher, "9999")[0].startswith("421")


def test_the_server_binds_every_app_and_loads_one_dispatcher():
    server = LabServer({"127.0.0.1:8000": _app("site"), "127.0.0.1:8001": _app("aws-root")}, {"workers": 1})
    assert server.cfg.bind == ["127.0.0.1:8000", "127.0.0.1:8001"] and server.cfg.workers == 1
    assert _call(server.load(), "8001")[1] == b"aws-root"
    single = LabServer({"127.0.0.1:8000": _app("site")}, {})
    assert _call(single.load(), "8000")[1] == b"site"


def test_bad_binds_and_app_paths_are_refused():
    with pytest.raises(ValueError):
        port_of("8000")
    with pytest.raises(ValueError):
        load_app("securecart.wsgi")
    assert load_app("securecart.server:PortDispatcher") is PortDispatcher
    for also in ("127.0.0.1:8001", "127.0.0.1:8000=securecart.wsgi:application", "x=securecart.nothing:app"):
        with pytest.raises(CommandError):
            call_command("serve", "--bind", "127.0.0.1:8000", "--also", also)


@pytest.fixture
def gc_thresholds():
    import gc
    import sys

    # the entry points also set the interpreter's switch interval (share_the_interpreter_fairly): both come back
    # for the rest of this worker's tests, whose threads would otherwise run on the server's settings
    saved, interval = gc.get_threshold(), sys.getswitchinterval()
    gc.set_threshold(700, 10, 10)   # CPython's defaults, as a fresh server process starts
    yield gc
    gc.set_threshold(*saved)
    sys.setswitchinterval(interval)


def test_make_class_process_collects_cyclic_garbage_in_batches(gc_thresholds):
    """securecart.wsgi (make class's gunicorn app): the process holding every sandbox's moto and engine state raises
    the collector's thresholds (gateway/server.py GC_THRESHOLDS). The mistake: the entry point losing the call, so a
    100-student class walks its whole heap every few seconds again."""
    import importlib

    import securecart.wsgi
    from gateway.server import GC_THRESHOLDS

    importlib.reload(securecart.wsgi)
    assert gc_thresholds.get_threshold() == GC_THRESHOLDS


def test_make_run_sets_the_thresholds_before_the_worker_forks(gc_thresholds, monkeypatch):
    from gateway.server import GC_THRESHOLDS
    from securecart import server

    monkeypatch.setattr(server.LabServer, "run", lambda self: None)
    server.serve({"127.0.0.1:8000": _app("site")})
    assert gc_thresholds.get_threshold() == GC_THRESHOLDS


def test_thresholds_already_larger_are_not_lowered(gc_thresholds):
    from gateway.server import GC_THRESHOLDS, collect_garbage_in_batches

    gc_thresholds.set_threshold(GC_THRESHOLDS[0] * 5, 10, 10)
    collect_garbage_in_batches()
    assert gc_thresholds.get_threshold() == (GC_THRESHOLDS[0] * 5, 10, 10)
