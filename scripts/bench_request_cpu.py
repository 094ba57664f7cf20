"""CPU per request, in-process (Django's test client, one thread): what a step Run, a step page and a class-bar poll
cost the server, which a busy shared machine does not inflate the way it inflates wall-clock latency.

One instructor opens a class and one student joins it (make class's settings, a fresh SQLite file); each request is
repeated and its thread CPU time taken (median), with the SQL queries it ran, and printed as a ratio against the
student's warm home page measured in the same run; "py calls" counts the Python function calls of one more request
(cProfile), which no neighbour's load moves (a change's effect shows there when the milliseconds are noise). Under load the server is one process bound to about one core by
the GIL, so these CPU figures are what bench_classroom.py's and bench_load.py's latencies are made of.

    .venv/bin/python scripts/bench_request_cpu.py [--repeat 20] [--profile Run] [--sql read-security]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
S1 = "cross-account-auditors"
STEPS = ["meet-the-auditor", "assume-audit-role", "read-security-logs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", metavar="TEXT", help="also print a cProfile of the requests whose label "
                        "contains TEXT (e.g. 'Run'), sorted by cumulative time")
    parser.add_argument("--sql", metavar="TEXT", help="also print the SQL of one request whose label contains TEXT")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="securecart-bench-cpu-")
    sys.path.insert(0, str(ROOT))
    os.environ.update(DATABASE_URL=f"sqlite:///{workdir}/cpu.sqlite3", DJANGO_SETTINGS_MODULE=
                      "securecart.settings.classroom", SECRET_KEY="bench-" + "x" * 50, DEBUG="False",
                      ALLOWED_HOSTS="testserver", LOG_LEVEL="ERROR")
    os.environ.pop("LAB_GATEWAY_URL", None)
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()
    from gateway.server import collect_garbage_in_batches

    collect_garbage_in_batches()   # as the served process does (securecart.wsgi)
    from django.contrib.auth.models import Permission, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password="bench-password-123")
    user.user_permissions.add(Permission.objects.get(codename="run_class"))
    instructor = Client()
    instructor.login(username="bench", password="bench-password-123")
    code = re.search(r"/class/([A-Z2-9]{6})/", instructor.post("/class/new/", {"title": "CPU", "expected_students":
                                                                                0}).url).group(1)
    student = Client()
    student.get("/class/")
    student.post("/class/join/", {"code": code, "nickname": "amy"}, follow=True)
    htmx = {"HTTP_HX_REQUEST": "true"}
    at = f"/scenarios/{S1}/{STEPS[1]}/"
    bar = student.get("/class/bar/", {"at": at}, **htmx).content.decode()
    version = re.search(r'data-version="([^"]*)"', bar).group(1)
    import html

    version = html.unescape(version)

    import cProfile
    import pstats

    def measure(call) -> tuple[float, int, int, int]:
        call()
        times, queries, status = [], 0, 0
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.thread_time()
                status = call().status_code
                times.append(time.thread_time() - started)
            queries = len(captured.captured_queries)
        # Python function calls of one more request: a proxy for its CPU that a neighbour's load cannot move (it
        # does not count time spent in C: SQLite, json, regular expressions)
        counter = cProfile.Profile()
        counter.runcall(call)
        return statistics.median(times), queries, status, pstats.Stats(counter).total_calls

    rows = [
        ("warm home page (baseline)", lambda: student.get("/")),
        ("step page", lambda: student.get(at)),
        *[(f"step Run: {step}", lambda step=step: student.post(f"/scenarios/{S1}/{step}/run/", **htmx))
          for step in STEPS],
        ("class bar poll, unchanged (204)", lambda: student.get("/class/bar/", {"at": at, "v": version}, **htmx)),
        ("class bar poll, rendered", lambda: student.get("/class/bar/", {"at": at}, **htmx)),
        ("dashboard roster", lambda: instructor.get(f"/class/{code}/roster/", **htmx)),
    ]
    if os.environ.get("BENCH_ONLY"):   # one kind of request (a profile of it)
        rows = [row for row in rows if row[0] == rows[0][0] or os.environ["BENCH_ONLY"] in row[0]]
    results = [(label, *measure(call)) for label, call in rows]
    if args.profile:
        profiler = cProfile.Profile()
        for label, call in rows:
            if args.profile in label:
                for _ in range(args.repeat):
                    profiler.runcall(call)
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(int(os.environ.get("BENCH_ROWS", "60")))
    for label, call in rows if args.sql else []:
        if args.sql in label:
            with CaptureQueriesContext(connection) as captured:
                call()
            print(f"{label}: {len(captured.captured_queries)} queries")
            for query in captured.captured_queries:
                print("   ", query["sql"][:300])
    base = results[0][1]
    print(f"CPU per request, in-process, median of {args.repeat} (thread CPU time; make class's settings)")
    print(f"{'request':<36}{'CPU ms':>8}{'x home':>8}{'queries':>9}{'status':>8}{'py calls':>10}")
    for label, cpu, queries, status, calls in results:
        print(f"{label:<36}{cpu * 1000:>8.1f}{cpu / base:>8.2f}{queries:>9}{status:>8}{calls:>10,}")


if __name__ == "__main__":
    main()
