"""Round trips of one htmx Run of scenario 1's AssumeRole step, counted, in-process and in multi-process mode.

What a browser does: GET the step page (session + CSRF cookie), then POST /scenarios/cross-account-auditors/
assume-audit-role/run/ with the CSRF token and `HX-Request: true`. Only that POST is counted, with real
instrumentation, not estimates:

- gateway calls: AWS requests the gateway answered (in-process: GatewayApp.handle; multi-process: WSGI requests
  the gateway process served outside /_lab/);
- decision look-ups: calls of the lab façade's decision methods made by the web layer (in-process: the Lab
  object, calls made inside GatewayApp.handle not counted, listed apart by --detail: the gateway reading the
  decision it just recorded to hand it back with the response is part of the gateway call; multi-process: the
  /_lab/v1/decisions.* requests the gateway served);
- cache operations: calls of the Django cache backends' methods (`default` and `throttle`), nested calls once;
- admin reads: calls made through gateway.client.admin_client (multi-process: /_lab/v1/world.call requests served);
- SQL queries: django.test.utils.CaptureQueriesContext on the default connection;
- HTTP round trips (multi-process only): every request the gateway process served during the POST, by path.

Multi-process mode is the README's "Several web processes": this script's web side (Django test client, with
LAB_GATEWAY_URL, LAB_CONTROL_TOKEN and LAB_REDIS_URL set, so the cache is Redis, started here) talks to a separate
`python -m gateway` process; that process is started with a WSGI middleware that logs every request it serves.

`python scripts/bench_roundtrips.py` prints both modes (each in a fresh interpreter: Django reads the mode from the
environment at start-up) and, for reference, the figures issue 8 quoted for main before the change.
`--json` prints the counts as JSON. Nothing here asserts.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from labserver import free_port, start_redis, stop_process  # noqa: E402

SCENARIO, STEP = "cross-account-auditors", "assume-audit-role"
# The same counts measured by this script on main before the round-trip work (commit 5f53c1e), printed beside
# today's. (Issue 8 quoted 2 / 2 / 8 / 2 / 16 and ~17 HTTP round trips, counted by other means.)
BEFORE = {"inprocess": {"gateway_calls": 2, "decision_lookups": 2, "cache_ops": 6, "admin_reads": 2,
                        "sql_queries": 22},
          "multiprocess": {"gateway_calls": 2, "decision_lookups": 2, "cache_ops": 6, "admin_reads": 2,
                           "sql_queries": 17, "http_round_trips": 15}}
CACHE_METHODS = ("get", "set", "add", "delete", "touch", "get_many", "set_many", "delete_many", "has_key", "incr",
                 "decr", "get_or_set", "clear")
ROWS = ("gateway_calls", "decision_lookups", "cache_ops", "admin_reads", "sql_queries", "http_round_trips")


# ---------------------------------------------------------------------------------------------- the gateway child
GATEWAY_CHILD = r"""
import json, sys, threading
import gateway.server as server

log_path, port = sys.argv[1], int(sys.argv[2])
lock = threading.Lock()

class Counting:
    '''Logs each request the gateway process serves: its path and, for world.call (seeding), the AWS operation.'''
    def __init__(self, app):
        self.app = app
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        label = path
        if path.endswith("/world.call"):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(length)
                import io
                environ["wsgi.input"] = io.BytesIO(raw)
                request = json.loads(raw)["request"]
                label = f"{path} {request.get('service')}:{request.get('operation')}"
            except Exception as error:  # only a label
                label = f"{path} ({error})"
        with lock, open(log_path, "a") as log:
            log.write(label + "\n")
        return self.app(environ, start_response)

original = server.make_gateway_server
server.make_gateway_server = lambda host, port, app=None: original(host, port, Counting(app))
server.main(["--host", "127.0.0.1", "--port", str(port)])
"""


class GatewayProcess:
    def __init__(self, token: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="securecart-bench-roundtrips-"))
        self.requests = self.workdir / "requests.log"
        self.requests.touch()
        env = {k: v for k, v in os.environ.items() if k == "LAB_DATA_DIR" or not k.startswith(("LAB_", "DJANGO_", "DATABASE_URL"))}
        env["LAB_CONTROL_TOKEN"] = token
        self.output = open(self.workdir / "gateway.log", "w")
        self.process = subprocess.Popen([sys.executable, "-c", GATEWAY_CHILD, str(self.requests), str(self.port)],
                                        cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while " on http://" not in (self.workdir / "gateway.log").read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError((self.workdir / "gateway.log").read_text()[-2000:])
            time.sleep(0.1)

    def served(self) -> list[str]:
        return self.requests.read_text().splitlines()

    def stop(self) -> None:
        stop_process(self.process)
        self.output.close()


# ---------------------------------------------------------------------------------------------- counters (web side)
class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.on = False
        self.local = threading.local()

    def wrap(self, owner, name: str, label: str, *, reentrant_guard: bool = False, gateway: bool = False) -> None:
        original = getattr(owner, name)
        tally = self

        def counted(*args, **kwargs):
            depth = getattr(tally.local, "depth", 0)
            inside = getattr(tally.local, "in_gateway", False)
            if tally.on and not (reentrant_guard and depth):
                tally.counts[("in-gateway " if inside and not gateway else "") + label] += 1
            tally.local.depth = depth + 1
            tally.local.in_gateway = inside or gateway
            try:
                return original(*args, **kwargs)
            finally:
                tally.local.depth = depth
                tally.local.in_gateway = inside

        setattr(owner, name, counted)


def instrument(tally: Tally, mode: str) -> None:
    from django.core.cache import caches

    import gateway.client
    from sandboxes.labclient import lab

    # cache operations: every backend class in use, nested calls (get_many -> get) counted once
    seen = set()
    for alias in ("default", "throttle"):
        backend = type(caches[alias])
        if backend in seen:
            continue
        seen.add(backend)
        for name in CACHE_METHODS:
            if hasattr(backend, name):
                tally.wrap(backend, name, f"cache.{name}", reentrant_guard=True)
    # decision look-ups: the façade's methods named after decisions (the Lab, or the RemoteLab of this URL)
    facade = lab()
    for name in dir(type(facade)):
        if "decision" in name and not name.startswith("_") and callable(getattr(facade, name)):
            tally.wrap(facade, name, f"lab.{name}")
    # admin reads: everything made through gateway.client.admin_client (the web layer imports it lazily)
    original_admin = gateway.client.admin_client

    def counting_admin_client(service, account_id, **kwargs):
        return AdminCounter(original_admin(service, account_id, **kwargs), service, tally)

    gateway.client.admin_client = counting_admin_client
    # gateway calls, in-process: the process's GatewayApp
    if mode == "inprocess":
        tally.wrap(gateway.client.default_gateway(), "handle", "gateway.handle", gateway=True)


class AdminCounter:
    """A boto3 client proxy that counts the AWS calls made through it."""

    def __init__(self, client, service: str, tally: Tally) -> None:
        self._client, self._service, self._tally = client, service, tally

    def __getattr__(self, name: str):
        value = getattr(self._client, name)
        if name in ("meta", "exceptions") or not callable(value) or name.startswith(("get_paginator", "get_waiter",
                                                                                      "can_paginate")):
            return value

        def counted(*args, **kwargs):
            if self._tally.on:
                self._tally.counts[f"admin.{self._service}.{name}"] += 1
            return value(*args, **kwargs)

        return counted


# ---------------------------------------------------------------------------------------------- one mode
def measure(mode: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"securecart-bench-roundtrips-{mode}-"))
    token = "bench-roundtrips-" + secrets.token_hex(16)
    os.environ.update({"DJANGO_SETTINGS_MODULE": "securecart.settings.dev", "DEBUG": "False",
                       "DATABASE_URL": f"sqlite:///{workdir / 'lab.sqlite3'}", "LAB_SANDBOX_POOL": "0",
                       "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost"})
    gateway_process = redis = None
    if mode == "multiprocess":
        gateway_process = GatewayProcess(token)
        # several processes share Django's cache in Redis (the settings require it with LAB_GATEWAY_URL)
        redis, redis_url = start_redis(workdir)
        os.environ.update({"LAB_GATEWAY_URL": gateway_process.url, "LAB_CONTROL_TOKEN": token,
                           "LAB_REDIS_URL": redis_url})
    try:
        sys.path.insert(0, str(ROOT))
        import django
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment

        setup_test_environment()
        call_command("migrate", "--noinput", verbosity=0)
        client = Client(enforce_csrf_checks=True)
        client.get("/")                                    # "Preparing your sandbox": starts the session
        if client.get("/").status_code != 200:             # builds the sandbox
            raise RuntimeError("the sandbox was not built")
        step_url = f"/scenarios/{SCENARIO}/{STEP}/"
        page = client.get(step_url)
        if page.status_code != 200:
            raise RuntimeError(f"step page answered {page.status_code}")
        csrf = client.cookies["csrftoken"].value
        tally = Tally()
        instrument(tally, mode)
        before = len(gateway_process.served()) if gateway_process else 0
        tally.on = True
        with CaptureQueriesContext(connection) as queries:
            response = client.post(step_url + "run/", {}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=csrf,
                                   HTTP_HX_CURRENT_URL="http://testserver" + step_url)
        tally.on = False
        if response.status_code != 200 or b"AssumeRole" not in response.content:
            raise RuntimeError(f"the Run answered {response.status_code}: {response.content[:300]!r}")
        served = gateway_process.served()[before:] if gateway_process else []
        counts = tally.counts
        figures = {
            "cache_ops": sum(v for k, v in counts.items() if k.startswith("cache.")),
            "sql_queries": len(queries.captured_queries),
        }
        if mode == "inprocess":
            figures.update(gateway_calls=counts["gateway.handle"],
                           decision_lookups=sum(v for k, v in counts.items() if k.startswith("lab.")),
                           admin_reads=sum(v for k, v in counts.items() if k.startswith("admin.")))
        else:
            figures.update(gateway_calls=sum(1 for path in served if not path.startswith("/_lab/")),
                           decision_lookups=sum(1 for path in served if path.startswith("/_lab/v1/decisions.")),
                           admin_reads=sum(1 for path in served if path.startswith("/_lab/v1/world.call")),
                           http_round_trips=len(served))
        return {"mode": mode, "figures": figures, "web_side": dict(sorted(counts.items())),
                "gateway_side": dict(sorted(Counter(served).items())),
                "queries": [q["sql"][:120] for q in queries.captured_queries]}
    finally:
        if gateway_process is not None:
            gateway_process.stop()
        stop_process(redis)


def run_child(mode: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k == "LAB_DATA_DIR" or not k.startswith(("LAB_", "DJANGO_", "DATABASE_URL"))}
    done = subprocess.run([sys.executable, __file__, "--mode", mode], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("inprocess", "multiprocess"), help="measure one mode (internal)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument("--detail", action="store_true", help="also list what was counted, by name")
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode)))
        return
    results = {mode: run_child(mode) for mode in ("inprocess", "multiprocess")}
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"One htmx Run of scenario 1's AssumeRole step ({SCENARIO}/{STEP}); before = main at 5f53c1e")
    print(f"{'':18} {'in-process':>10} {'before':>7} {'ratio':>6}   {'multi-process':>13} {'before':>7} {'ratio':>6}")
    for row in ROWS:
        cells = []
        for mode in ("inprocess", "multiprocess"):
            now, before = results[mode]["figures"].get(row), BEFORE[mode].get(row)
            ratio = f"{now / before:.2f}" if now is not None and before else "-"
            cells.append((now if now is not None else "-", before if before is not None else "-", ratio))
        (a, b, c), (d, e, f) = cells
        print(f"{row.replace('_', ' '):18} {a!s:>10} {b!s:>7} {c:>6}   {d!s:>13} {e!s:>7} {f:>6}")
    if args.detail:
        for mode, result in results.items():
            print(f"\n{mode}: web side {result['web_side']}")
            if result["gateway_side"]:
                print(f"{mode}: gateway side {result['gateway_side']}")
            print(f"{mode}: SQL " + "\n    ".join(["", *result["queries"]]))


if __name__ == "__main__":
    main()
