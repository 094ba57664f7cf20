"""Load benchmark: N simulated learners against the lab (default mode, or the sharded topology), bounded in time.

Each learner has their own cookie jar and CSRF token, like a browser: the first page (their sandbox is claimed or
built), scenario 1's start page, then every step of scenario 1 in order (the step page, its run, and each of its
"what if" variants, posted with htmx's header), pausing between actions as a person reads (--think: a mean in seconds,
each pause drawn uniformly from half to one and a half times it; 0 is a stress run with no pauses). Prints requests, page-load and step-run percentiles, first-page
percentiles, errors by status, how many learners finished scenario 1, and the server's RSS before and after.

    .venv/bin/python scripts/bench_load.py [--learners 100] [--duration 300] [--ramp 20] [--think 5]
    .venv/bin/python scripts/bench_load.py --topology 1,2 [--learners 100]   # sharded: 1 gateway, then 2
    .venv/bin/python scripts/bench_load.py --url http://127.0.0.1:9350       # a lab already running
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from labserver import Browser, LabServer, cpu_seconds, rss_mb  # noqa: E402

S1 = "cross-account-auditors"
_VARIANT = re.compile(r'name="variant" value="([^"]+)"')
_REASON = re.compile(r'<p class="lead">(.*?)</p>', re.S)   # 503.html's reason


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pages: list[float] = []
        self.firsts: list[float] = []
        self.steps: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.finished = 0
        self.failures: list[str] = []   # the first few failed requests: what, and what the server said

    def add(self, kind: str, status: int, elapsed: float, path: str = "", body: str = "") -> None:
        with self.lock:
            self.statuses[status] += 1
            if status == 200:
                {"page": self.pages, "first": self.firsts, "step": self.steps}[kind].append(elapsed)
            elif len(self.failures) < 5:
                said = _REASON.search(body)
                self.failures.append(f"{status} {kind} {path} after {elapsed:.1f} s: "
                                     f"{(said.group(1) if said else body[:160]).strip()}")


def learner(base: str, steps: list[str], deadline: float, start_at: float, tally: Tally, think: float = 0.0,
            seed: int = 0) -> None:
    pauses = random.Random(seed)

    def read() -> None:   # a person reads the page (or the result) before the next click
        if think > 0:
            time.sleep(pauses.uniform(0.5 * think, 1.5 * think))

    time.sleep(max(0.0, start_at - time.monotonic()))
    browser = Browser(base, timeout=max(5.0, deadline - time.monotonic()))
    status, body, elapsed = browser.page("/")
    tally.add("first", status, elapsed, "/", body)
    if status != 200:
        return
    read()
    status, body, elapsed = browser.get(f"/scenarios/{S1}/")
    tally.add("page", status, elapsed, f"/scenarios/{S1}/", body)
    for step in steps:
        read()
        if time.monotonic() > deadline:
            return
        status, html, elapsed = browser.get(f"/scenarios/{S1}/{step}/")
        tally.add("page", status, elapsed, f"/scenarios/{S1}/{step}/", html)
        if status != 200:
            return
        for variant in [""] + sorted(set(_VARIANT.findall(html))):
            read()
            if time.monotonic() > deadline:
                return
            status, body, elapsed = browser.post(f"/scenarios/{S1}/{step}/run/",
                                                 {"variant": variant} if variant else {})
            tally.add("step", status, elapsed, f"/scenarios/{S1}/{step}/run/ {variant}", body)
            if status != 200:
                return
    with tally.lock:
        tally.finished += 1


def scenario_steps() -> list[str]:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securecart.settings.dev")
    django.setup()
    from scenarios import registry

    return [step.slug for step in registry.get(S1).steps]


def pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000:.0f}"


def drive(url: str, steps: list[str], args: argparse.Namespace, pids: Callable[[], dict[str, int]]) -> dict:
    tally = Tally()
    before = {name: rss_mb(pid) for name, pid in pids().items()}
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids().items()}
    started = time.monotonic()
    deadline = started + args.duration
    with ThreadPoolExecutor(args.learners) as pool:
        for n in range(args.learners):
            pool.submit(learner, url, steps, deadline, started + args.ramp * n / max(1, args.learners), tally,
                        args.think, n)
    elapsed = time.monotonic() - started
    after = {name: rss_mb(pid) for name, pid in pids().items()}
    cpu_by = {name: cpu_seconds(pid) - cpu_before.get(name, 0.0) for name, pid in pids().items()}
    return {"tally": tally, "elapsed": elapsed, "before": before, "after": after, "cpu": sum(cpu_by.values()),
            "cpu_by": cpu_by}


def report(title: str, args: argparse.Namespace, result: dict) -> float:
    tally, elapsed = result["tally"], result["elapsed"]
    requests = sum(tally.statuses.values())
    print(f"{title}, {args.learners} learners over {args.ramp:.0f} s, pausing {args.think:g} s on average between "
          f"actions, bounded at {args.duration:.0f} s; took {elapsed:.1f} s")
    print(f"  requests                {requests:>8}   ({requests / elapsed:.1f}/s)")
    print(f"  finished scenario 1     {tally.finished:>8} of {args.learners}")
    print(f"  {'':<22}{'p50':>8}{'p95':>8}{'p99':>8}  ms")
    for label, values in (("first page", tally.firsts), ("page loads", tally.pages), ("step runs", tally.steps)):
        print(f"  {label:<22}{pct(values, 50):>8}{pct(values, 95):>8}{pct(values, 99):>8}   (n={len(values)})")
    errors = {status: count for status, count in sorted(tally.statuses.items()) if status != 200}
    print(f"  errors by status        {errors or 'none'}   (0 = no answer in time)")
    for failure in tally.failures:
        print(f"    {failure}")
    for name in result["before"]:
        print(f"  RSS {name:<19} {result['before'][name]:.0f} MB before, {result['after'].get(name, 0):.0f} MB after;"
              f" CPU {result['cpu_by'].get(name, 0):.1f} s ({result['cpu_by'].get(name, 0) / elapsed:.0%} of a core)")
    cpu = result["cpu"]
    print(f"  server CPU              {cpu:.1f} s ({cpu / max(1, requests) * 1000:.1f} ms per request; a busy shared "
          "machine inflates wall-clock times, not this)")
    if tally.steps:
        print(f"  step run mean           {statistics.mean(tally.steps) * 1000:.0f} ms")
    return requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds before every learner stops")
    parser.add_argument("--ramp", type=float, default=20.0, help="learners arrive spread over this many seconds")
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean seconds a learner reads before the next action (0: no pauses, a stress run)")
    parser.add_argument("--threads", type=int, default=32, help="server threads (per gunicorn worker: --topology)")
    parser.add_argument("--url", default="", help="drive a lab already running there instead of starting one")
    parser.add_argument("--topology", default="", metavar="N[,N...]",
                        help="the sharded topology (scripts/topology.py: PostgreSQL, Redis, gunicorn -w 2) with "
                             "N gateways, one run per N, e.g. 1,2")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers with --topology")
    parser.add_argument("--keep-logs", action="store_true", help="--topology: keep each run's process logs")
    parser.add_argument("--rounds", type=int, default=1, help="--topology: repeat the runs, interleaved")
    parser.add_argument("--port", type=int, default=0, help="--topology: the site's port, the next ones for the "
                        "others (default: free ports)")
    args = parser.parse_args()
    steps = scenario_steps()
    if args.url:
        report(f"the lab at {args.url}", args, drive(args.url, steps, args, dict))
        return
    if args.topology:
        from topology import Topology

        rates: dict[int, list[float]] = {}
        # interleaved rounds (1, 2, 1, 2, ...): a shared machine's load changes between runs
        for n in [int(part) for part in args.topology.split(",") if part.strip()] * args.rounds:
            topology = Topology(gateways=n, workers=args.workers, threads=min(args.threads, 16),
                                port=args.port, keep=args.keep_logs).start()
            if args.keep_logs:
                print(f"logs: {topology.workdir}")
            try:
                def pids(topology: Topology = topology) -> dict[str, int]:
                    found = {f"gateway {i}": p.pid for i, p in enumerate(topology.gateways) if p is not None}
                    found.update({f"web worker {i}": pid for i, pid in enumerate(topology.web_pids())})
                    return found

                result = drive(topology.url, steps, args, pids)
            finally:
                topology.stop()
            rates.setdefault(n, []).append(report(f"sharded topology: {n} gateway(s), gunicorn {args.workers} "
                                                  "workers, PostgreSQL, Redis", args, result))
        if len(rates) > 1:
            first = min(rates)
            for n, runs in sorted(rates.items()):
                rate = statistics.median(runs)
                print(f"throughput with {n} gateway(s): {rate:.1f} requests/s (median of "
                      f"{', '.join(f'{r:.1f}' for r in runs)}), x{rate / statistics.median(rates[first]):.2f} "
                      f"vs {first}")
        return
    server = LabServer("serve", threads=args.threads)
    try:
        result = drive(server.url, steps, args, lambda: {"server": server.app_pid})
    finally:
        server.stop()
    report("default mode (manage.py serve)", args, result)


if __name__ == "__main__":
    main()
