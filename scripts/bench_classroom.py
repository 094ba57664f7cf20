"""A class of 40 against the real `make class` server: joins within 10 s, scenario 1's steps, the dashboard polling.

Starts scripts/serve_class.py (gunicorn, one process, threads) on a free port with a fresh SQLite file, signs an
instructor in, opens a class, then:
  1. baseline: one student alone joins and runs scenario 1's five steps (the same server, idle);
  2. the class: 40 students join, spread over 10 s; each runs the five steps while their page's class bar polls
     every second and the instructor's dashboard roster polls every 2 s.
Prints time-to-sandbox (join request until the student's page answers 200), step run times and dashboard refresh
times (p50/p95), each as a ratio against the baseline, and the number of errors (any status >= 400 or exception).
Targets (issue 11): every student has a sandbox within 15 s of joining, step p95 < 500 ms, 0 errors.

    .venv/bin/python scripts/bench_classroom.py [--students 40] [--spread 10]
"""
from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from labserver import ClassServer  # noqa: E402

S1 = "cross-account-auditors"
STEPS = ["meet-the-auditor", "assume-audit-role", "read-security-logs", "write-denied", "session-expires"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.samples.setdefault(kind, []).append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def csrf(session: requests.Session, base: str, path: str) -> str:
    response = session.get(base + path, timeout=60)
    response.raise_for_status()
    return session.cookies.get("csrftoken", "")


def student(base: str, code: str, name: str, rec: Recorder, stop: threading.Event, start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.monotonic()))
    s = requests.Session()
    try:
        token = csrf(s, base, "/class/")
        started = time.perf_counter()
        r = s.post(base + "/class/join/", data={"code": code, "nickname": name, "csrfmiddlewaretoken": token},
                   headers={"Referer": base + "/class/"}, timeout=120)
        if r.status_code >= 400 or "/class/me/" not in r.url:
            rec.error(f"{name}: join answered {r.status_code} at {r.url}")
            return
        rec.add("sandbox", time.perf_counter() - started)
    except requests.RequestException as error:
        rec.error(f"{name}: join failed: {error}")
        return
    poller = threading.Thread(target=bar_poller, args=(s, base, rec, stop), daemon=True)
    poller.start()
    headers = {"X-CSRFToken": s.cookies.get("csrftoken", ""), "HX-Request": "true", "Referer": base + "/"}
    for step in STEPS:
        try:
            s.get(f"{base}/scenarios/{S1}/{step}/", timeout=60)
            started = time.perf_counter()
            r = s.post(f"{base}/scenarios/{S1}/{step}/run/", headers=headers, timeout=60)
            rec.add("step", time.perf_counter() - started)
            if r.status_code >= 400:
                rec.error(f"{name}: {step} answered {r.status_code}: {r.text[:160]!r}")
        except requests.RequestException as error:
            rec.error(f"{name}: {step} failed: {error}")


def bar_poller(s: requests.Session, base: str, rec: Recorder, stop: threading.Event) -> None:
    version = None   # as the page does (hx-vals "v"): the version of the bar it shows, so an unchanged bar is a 204
    while not stop.is_set():
        try:
            params = {"at": f"/scenarios/{S1}/"} if version is None else {"at": f"/scenarios/{S1}/", "v": version}
            r = s.get(base + "/class/bar/", params=params, headers={"HX-Request": "true"}, timeout=60)
            if r.status_code >= 400:
                rec.error(f"class bar answered {r.status_code}")
            elif r.status_code == 200:
                found = re.search(r'data-version="([^"]*)"', r.text)
                version = html.unescape(found.group(1)) if found else None
        except requests.RequestException as error:
            rec.error(f"class bar failed: {error}")
        stop.wait(1.0)


def dashboard_poller(s: requests.Session, base: str, code: str, rec: Recorder, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            r = s.get(f"{base}/class/{code}/roster/", headers={"HX-Request": "true"}, timeout=60)
            rec.add("dashboard", time.perf_counter() - started)
            if r.status_code >= 400:
                rec.error(f"dashboard answered {r.status_code}")
        except requests.RequestException as error:
            rec.error(f"dashboard failed: {error}")
        stop.wait(2.0)


def server_cpu_seconds(session_id: int) -> float:
    """User + system CPU of every process in the server's session (gunicorn's arbiter and its worker): what the
    class cost the server, which a busy shared machine does not inflate the way it inflates wall-clock times."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session_id:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_class(base: str, code: str, instructor: requests.Session, count: int, spread: float, prefix: str
              ) -> Recorder:
    rec = Recorder()
    stop = threading.Event()
    dash = threading.Thread(target=dashboard_poller, args=(instructor, base, code, rec, stop), daemon=True)
    dash.start()
    t0 = time.monotonic()
    threads = [threading.Thread(target=student, args=(base, code, f"{prefix}{n:02d}", rec, stop,
                                                        t0 + spread * n / max(1, count)))
               for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    dash.join()
    return rec


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the students join")
    parser.add_argument("--cold", action="store_true",
                        help="open the class without preparing sandboxes (each join builds one on demand)")
    args = parser.parse_args()
    server = ClassServer("bench-class-")
    base = server.url
    try:
        instructor = server.instructor()
        token = instructor.cookies.get("csrftoken", "")
        expected = 0 if args.cold else args.students + 1
        prep_started = time.perf_counter()
        r = instructor.post(base + "/class/new/", data={"title": "Benchmark class", "csrfmiddlewaretoken": token,
                                                         "expected_students": expected}, timeout=30)
        code = re.search(r"/class/([A-Z2-9]{6})/", r.url).group(1)
        while expected:  # the instructor opens the class before the students arrive; wait for its sandboxes
            page = instructor.get(f"{base}/class/{code}/roster/", timeout=60).text
            ready = int(re.search(r"data-spares>(\d+)", page).group(1))
            if ready >= expected:
                print(f"prepared {ready} sandboxes in {time.perf_counter() - prep_started:.1f} s "
                      f"(opening the class starts it)")
                break
            time.sleep(1.0)

        baseline = run_class(base, code, instructor, 1, 0.0, "solo")
        cpu_before = server_cpu_seconds(server.process.pid)
        crowd_started = time.perf_counter()
        crowd = run_class(base, code, instructor, args.students, args.spread, "s")
        crowd_wall = time.perf_counter() - crowd_started
        crowd_cpu = server_cpu_seconds(server.process.pid) - cpu_before

        def line(label: str, kind: str, target: str) -> None:
            b = baseline.samples.get(kind, [])
            c = crowd.samples.get(kind, [])
            base_p50 = statistics.median(b) if b else float("nan")
            print(f"{label:<22} p50 {statistics.median(c) * 1000 if c else float('nan'):8.0f} ms  "
                  f"p95 {pct(c, 95) * 1000:8.0f} ms  max {max(c) * 1000 if c else float('nan'):8.0f} ms  "
                  f"(alone: p50 {base_p50 * 1000:6.0f} ms; p95 ratio {pct(c, 95) / base_p50:5.1f}x)  {target}")

        print(f"{args.students} students joining over {args.spread:.0f} s, scenario 1's {len(STEPS)} steps each, "
              f"class bar polling every 1 s, dashboard every 2 s (gunicorn gthread, 1 process"
              f"{', sandboxes built on demand' if args.cold else ', sandboxes prepared'})")
        line("time to sandbox", "sandbox", "target: max < 15 s")
        line("step run", "step", "target: p95 < 500 ms")
        line("dashboard refresh", "dashboard", "")
        print(f"samples: {len(crowd.samples.get('sandbox', []))} sandboxes, {len(crowd.samples.get('step', []))} "
              f"steps, {len(crowd.samples.get('dashboard', []))} dashboard refreshes")
        print(f"server CPU for the class: {crowd_cpu:.1f} s over {crowd_wall:.1f} s "
              f"({crowd_cpu / crowd_wall:.2f} cores busy; one process is bound to ~1 by the GIL)")
        errors = baseline.errors + crowd.errors
        print(f"errors: {len(errors)}")
        for text in errors[:10]:
            print("  " + text)
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
