"""Eight sandboxes flooding the console while another learner works, on the real `make class` server (issue 22).

Starts scripts/serve_class.py (gunicorn, one process, 8 threads) with a fresh SQLite file, opens a class, joins nine
students: one learner and eight attackers, each attacker from an address of its own (127.0.0.2-9: all of 127/8 is
loopback, so the server sees eight clients). Each attacker sends `aws ec2 wait instance-running` for an instance
that never runs: a command that holds a console slot for its whole time limit. `--mode hold` (the issue's case:
eight sandboxes holding console slots) sends the next one as soon as its command ends, and one second after a
"busy" or "slow down" answer; `--mode spin` resends at once, whatever the answer (a flood of requests, which any
endpoint of any web server meets; the console answers it cheaply). Meanwhile the learner loads scenario 1's steps
and runs them.

Rounds alternate quiet (no attacker) and flood, so the machine's other load falls on both alike. Prints the
learner's median step Run and page load in each, and the flood/quiet ratio (target < 2 for both), with the
attackers' answers counted (ran, busy, other).

    .venv/bin/python scripts/bench_console_flood.py [--rounds 3] [--seconds 20]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import threading
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_classroom import S1, STEPS, csrf  # noqa: E402
from labserver import ClassServer  # noqa: E402

ATTACKERS = 8


class FromAddress(HTTPAdapter):
    """Connect from a given local address (127.0.0.N), so the server sees another client."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", FromAddress(address))
    return s


def join(base: str, code: str, name: str, address: str) -> requests.Session:
    s = session_from(address)
    token = csrf(s, base, "/class/")
    r = s.post(base + "/class/join/", data={"code": code, "nickname": name, "csrfmiddlewaretoken": token},
               headers={"Referer": base + "/class/"}, timeout=120)
    if "/class/me/" not in r.url:
        raise RuntimeError(f"{name} could not join: {r.status_code} {r.url}")
    return s


def attacker(base: str, s: requests.Session, stop: threading.Event, counts: dict[str, int],
             lock: threading.Lock, spin: bool) -> None:
    headers = {"X-CSRFToken": s.cookies.get("csrftoken", ""), "HX-Request": "true", "Referer": base + "/"}
    data = {"command": "aws ec2 wait instance-running --instance-ids i-0123456789abcdef0",
            "identity": "key:production/lab-admin"}
    while not stop.is_set():
        try:
            r = s.post(base + "/challenges/console/run/", data=data, headers=headers, timeout=60)
            kind = ("busy" if "try again in a few seconds" in r.text
                    else "ran" if "ran longer than" in r.text or "exit code" in r.text else f"other {r.status_code}")
        except requests.RequestException as error:
            kind = f"error {type(error).__name__}"
        with lock:
            counts[kind] = counts.get(kind, 0) + 1
        if not spin and kind != "ran":
            stop.wait(1.0)


def learner_round(base: str, s: requests.Session, seconds: float) -> tuple[list[float], list[float], int]:
    headers = {"X-CSRFToken": s.cookies.get("csrftoken", ""), "HX-Request": "true", "Referer": base + "/"}
    pages, runs, errors = [], [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for step in STEPS[:3]:
            started = time.perf_counter()
            page = s.get(f"{base}/scenarios/{S1}/{step}/", timeout=60)
            pages.append(time.perf_counter() - started)
            started = time.perf_counter()
            r = s.post(f"{base}/scenarios/{S1}/{step}/run/", headers=headers, timeout=60)
            runs.append(time.perf_counter() - started)
            errors += page.status_code >= 400 or r.status_code >= 400
    return pages, runs, errors


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each quiet and each flood round")
    parser.add_argument("--mode", choices=["hold", "spin"], default="hold")
    args = parser.parse_args()
    server = ClassServer("bench-console-flood-")
    base = server.url
    try:
        instructor = server.instructor()
        r = instructor.post(base + "/class/new/", data={"title": "Flood", "expected_students": ATTACKERS + 1,
                                                         "csrfmiddlewaretoken": instructor.cookies["csrftoken"]},
                            timeout=30)
        code = re.search(r"/class/([A-Z2-9]{6})/", r.url).group(1)
        learner = join(base, code, "learner", "127.0.0.1")
        attackers = [join(base, code, f"flood{n}", f"127.0.0.{n + 2}") for n in range(ATTACKERS)]
        learner_round(base, learner, 3.0)   # warm: the learner's sandbox and pages
        quiet = {"pages": [], "runs": [], "errors": 0}
        flood = {"pages": [], "runs": [], "errors": 0}
        counts: dict[str, int] = {}
        lock = threading.Lock()
        for _ in range(args.rounds):
            pages, runs, errors = learner_round(base, learner, args.seconds)
            quiet["pages"] += pages
            quiet["runs"] += runs
            quiet["errors"] += errors
            stop = threading.Event()
            threads = [threading.Thread(target=attacker, args=(base, s, stop, counts, lock, args.mode == "spin"),
                                        daemon=True)
                       for s in attackers]
            for thread in threads:
                thread.start()
            time.sleep(2.0)   # the slots fill
            pages, runs, errors = learner_round(base, learner, args.seconds)
            flood["pages"] += pages
            flood["runs"] += runs
            flood["errors"] += errors
            stop.set()
            for thread in threads:
                thread.join(30)
        print(f"{ATTACKERS} sandboxes from {ATTACKERS} addresses, mode {args.mode}, sending `aws ec2 wait` "
              f"(make class: gunicorn, 1 process, 8 threads), {args.rounds} quiet and {args.rounds} flood rounds of "
              f"{args.seconds:.0f} s, interleaved")
        for label, key in (("step Run", "runs"), ("page load", "pages")):
            q, f = statistics.median(quiet[key]), statistics.median(flood[key])
            print(f"{label:<10} median quiet {q * 1000:7.1f} ms  flood {f * 1000:7.1f} ms  ratio {f / q:5.2f} "
                  f"(target < 2; {len(quiet[key])} / {len(flood[key])} samples)")
        print(f"learner errors: quiet {quiet['errors']}, flood {flood['errors']}")
        print("attackers' answers: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
