"""Fault run on `make topology` (issue 23): 10 learners work through scenario 1 while Redis, a gateway and a web
worker are each killed (SIGKILL) in turn. Prints, per fault: the answers learners got (5xx by status: 500 must be 0,
503 is allowed while something is down), how long until the killed process was back (the topology supervises
Redis and the gateways, gunicorn its workers), and what learners lost (credentials they had to get again).

    .venv/bin/python scripts/fault_topology.py [--learners 10] [--gateways 2] [--settle 8]

Expected (README, "Deploying beyond one process"): Redis killed -> nothing lost (the cached session secrets are
fetched again from the gateways, throttles start over); a gateway killed -> its learners' issued sessions (they
assume the role again; their sandboxes are rebuilt from the database with the same keys and writes); a web worker
killed -> nothing (at most the requests it was answering get a dropped connection).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from topology import Topology  # noqa: E402

S1 = "cross-account-auditors"
LOST = "Go to \u201cAssume the audit role"   # scenarios/_result.html: the learner is sent back for new credentials


class Learner(threading.Thread):
    """A browser working through scenario 1: assume the audit role once, then read the logs again and again; when
    the page says the credentials are gone, assume the role again (as a person would) and count it."""

    def __init__(self, base: str, index: int, board: "Board") -> None:
        super().__init__(daemon=True, name=f"learner-{index}")
        self.base, self.index, self.board = base, index, board
        self.session = requests.Session()
        self.session.headers.update({"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
                                     "Sec-Fetch-Site": "none"})
        self.ready = threading.Event()

    def _post_run(self, step: str) -> requests.Response | None:
        headers = {"X-CSRFToken": self.session.cookies.get("csrftoken", ""), "HX-Request": "true",
                   "Referer": self.base + "/", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty",
                   "Sec-Fetch-Site": "same-origin"}
        return self._send("POST", f"/scenarios/{S1}/{step}/run/", headers=headers)

    def _send(self, method: str, path: str, **kwargs) -> requests.Response | None:  # type: ignore[no-untyped-def]
        try:
            answer = self.session.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException:
            self.board.saw(0)
            return None
        self.board.saw(answer.status_code)
        return answer

    def run(self) -> None:
        while not self.board.stop.is_set():
            page = self._send("GET", "/")
            if page is not None and page.status_code == 200 and "Preparing your sandbox" not in page.text:
                break
            time.sleep(0.3)
        assumed = False
        while not self.board.stop.is_set():
            if not assumed:
                answer = self._post_run("assume-audit-role")
                assumed = answer is not None and answer.status_code == 200 and "ASIA" in answer.text
                if assumed:
                    self.ready.set()
                else:
                    time.sleep(0.3)
                continue
            self._send("GET", f"/scenarios/{S1}/read-security-logs/")
            answer = self._post_run("read-security-logs")
            if answer is not None and answer.status_code == 200 and LOST in answer.text:
                self.board.lost(self.index)
                assumed = False
            time.sleep(0.2)   # a quick learner: five actions a second across the room of ten


class Board:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.statuses: Counter[int] = Counter()
        self.lost_by: Counter[int] = Counter()

    def saw(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def lost(self, index: int) -> None:
        with self.lock:
            self.lost_by[index] += 1

    def take(self) -> tuple[Counter[int], Counter[int]]:
        with self.lock:
            taken = (self.statuses, self.lost_by)
            self.statuses, self.lost_by = Counter(), Counter()
            return taken


def _port_answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_back(check, limit: float = 60.0) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            return float("inf")
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10)
    parser.add_argument("--gateways", type=int, default=2)
    parser.add_argument("--settle", type=float, default=8.0, help="seconds of work after each process is back")
    args = parser.parse_args()
    topology = Topology(gateways=args.gateways, workers=2, threads=8, port=0, pool=2).start().supervise()
    board = Board()
    rows: list[tuple[str, Counter[int], Counter[int], float]] = []
    failed = False
    try:
        learners = [Learner(topology.url, n, board) for n in range(args.learners)]
        for learner in learners:
            learner.start()
        for learner in learners:
            learner.ready.wait(300)
        time.sleep(args.settle)                      # steady work before the first fault
        rows.append(("(no fault)", *board.take(), 0.0))

        topology.kill("redis")
        back = _wait_back(lambda: topology.processes["redis"].poll() is None and _port_answers(topology.redis_port))
        time.sleep(args.settle)
        rows.append(("Redis killed", *board.take(), back))

        topology.kill_gateway(0)
        back = _wait_back(lambda: topology.gateways[0] is not None and topology.gateways[0].poll() is None
                          and _port_answers(topology.gateway_ports[0]))
        time.sleep(args.settle)
        rows.append(("gateway 0 killed", *board.take(), back))

        workers = topology.web_pids()
        os.kill(workers[0], signal.SIGKILL)
        back = _wait_back(lambda: len(set(topology.web_pids()) - {workers[0]}) >= len(workers))
        time.sleep(args.settle)
        rows.append(("web worker killed", *board.take(), back))
    finally:
        board.stop.set()
        topology.stop()
    print(f"{args.learners} learners on make topology ({args.gateways} gateways, gunicorn 2 workers, PostgreSQL, "
          f"Redis), scenario 1's read-security-logs step in a loop; each fault then {args.settle:.0f} s of work")
    print(f"{'fault':<20} {'answers':<44} {'500s':>5} {'503s':>5} {'back in':>8}  learners who lost credentials")
    for name, statuses, lost_by, back in rows:
        shown = ", ".join(f"{status or 'dropped'}: {n}" for status, n in sorted(statuses.items()))
        fives = statuses.get(500, 0)
        back_text = "-" if name == "(no fault)" else f"{back:.1f} s"
        print(f"{name:<20} {shown:<44} {fives:>5} {statuses.get(503, 0):>5} {back_text:>8}  "
              f"{len(lost_by)} of {args.learners}")
        failed |= any(status >= 500 and status != 503 for status in statuses) or back > 10
    print("restarts:", ", ".join(f"{name} (had run {up:.0f} s)" for _, name, up in topology.restarts) or "none")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
