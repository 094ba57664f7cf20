"""Benchmark (issue 23): N learners each assume the audit role, then each runs the next step; count the learners whose
credentials were lost in between ("Go to 'Assume the audit role'" instead of the audit logs).

Runs the lab as `make run` configures it (manage.py serve: one gunicorn process, DEBUG off, the sandbox pool on,
default caches: LocMem) and as `make class` does (scripts/serve_class.py; students join through the class code),
each on a fresh SQLite file. Learners come from several loopback addresses (127.0.0.2...), LEARNERS_PER_ADDRESS each,
like rooms behind NATs: the per-address limit on anonymous sandboxes is for bots, not for this.

On main before issue 23, 150 learners lost 22-92 of their credentials (LocMem's MAX_ENTRIES=300 culled them).

    .venv/bin/python scripts/bench_credentials.py [--learners 150] [--modes run,class]
"""
from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_console_flood import session_from  # noqa: E402
from labserver import ClassServer, LabServer  # noqa: E402

S1 = "cross-account-auditors"
LEARNERS_PER_ADDRESS = 30
LOST = "Go to \u201cAssume the audit role"     # scenarios/_result.html's link back to the step that issues them
_CODE = re.compile(r"/class/([A-Z2-9]{6})/")


def browser(index: int) -> requests.Session:
    """A learner's browser, connecting from 127.0.0.2... (LEARNERS_PER_ADDRESS each), as rooms behind NATs."""
    session = session_from(f"127.0.0.{2 + index // LEARNERS_PER_ADDRESS}")
    session.headers.update({"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"})
    return session


def run_step(session: requests.Session, base: str, step: str) -> requests.Response:
    headers = {"X-CSRFToken": session.cookies.get("csrftoken", ""), "HX-Request": "true", "Referer": base + "/",
               "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin"}
    session.get(f"{base}/scenarios/{S1}/{step}/", timeout=300)
    return session.post(f"{base}/scenarios/{S1}/{step}/run/", headers=headers, timeout=300)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.notes: list[str] = []

    def saw(self, response: requests.Response, what: str) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 400 and len(self.notes) < 5:
                self.notes.append(f"{what}: {response.status_code} {response.text[:120]!r}")


def arrive_anonymously(base: str, index: int, tally: Tally) -> requests.Session | None:
    session = browser(index)
    for _ in range(5):   # the first visit is the light "Preparing your sandbox" page, then the sandbox
        page = session.get(base + "/", timeout=300)
        tally.saw(page, "first page")
        if page.status_code == 200 and "<title>Preparing your sandbox" not in page.text:
            return session
    return None


def arrive_through_class(base: str, code: str, index: int, tally: Tally) -> requests.Session | None:
    session = browser(index)
    session.get(base + "/class/", timeout=300)
    joined = session.post(base + "/class/join/", data={"code": code, "nickname": f"learner{index:03d}",
                                                        "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
                          headers={"Referer": base + "/class/"}, timeout=300)
    tally.saw(joined, "join")
    return session if joined.status_code < 400 and "/class/me/" in joined.url else None


def drive(base: str, learners: int, arrive) -> dict:  # type: ignore[no-untyped-def]
    tally = Tally()
    started = time.perf_counter()

    def first_step(index: int) -> requests.Session | None:
        session = arrive(index, tally)
        if session is None:
            return None
        answer = run_step(session, base, "assume-audit-role")
        tally.saw(answer, "assume")
        return session if answer.status_code == 200 and "ASIA" in answer.text else None

    with ThreadPoolExecutor(max_workers=24) as pool:
        sessions = list(pool.map(first_step, range(learners)))
    assumed = [s for s in sessions if s is not None]

    def second_step(session: requests.Session) -> bool:
        answer = run_step(session, base, "read-security-logs")
        tally.saw(answer, "next step")
        return answer.status_code == 200 and LOST not in answer.text

    with ThreadPoolExecutor(max_workers=24) as pool:
        kept = sum(pool.map(second_step, assumed))
    return {"learners": learners, "assumed": len(assumed), "lost": len(assumed) - kept,
            "statuses": dict(sorted(tally.statuses.items())), "notes": tally.notes,
            "seconds": time.perf_counter() - started}


def make_run(learners: int) -> dict:
    server = LabServer("serve")
    try:
        return drive(server.url, learners, lambda index, tally: arrive_anonymously(server.url, index, tally))
    finally:
        server.stop()


def make_class(learners: int) -> dict:
    server = ClassServer("bench-credentials-class-")
    try:
        instructor = server.instructor()
        opened = instructor.post(server.url + "/class/new/", data={
            "title": "Credentials benchmark", "expected_students": 0,
            "csrfmiddlewaretoken": instructor.cookies.get("csrftoken")}, timeout=60)
        code = _CODE.search(opened.url).group(1)  # type: ignore[union-attr]
        return drive(server.url, learners, lambda index, tally: arrive_through_class(server.url, code, index, tally))
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=150)
    parser.add_argument("--modes", default="run,class")
    args = parser.parse_args()
    failed = False
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        result = {"run": make_run, "class": make_class}[mode](args.learners)
        fivexx = sum(n for status, n in result["statuses"].items() if status >= 500)
        print(f"make {mode}: {result['learners']} learners, {result['assumed']} assumed the audit role, "
              f"{result['lost']} lost their credentials before the next step; answers {result['statuses']} "
              f"({fivexx} 5xx); {result['seconds']:.0f} s")
        for note in result["notes"]:
            print("   ", note)
        failed |= result["lost"] > 0 or result["assumed"] < result["learners"] or fivexx > 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
