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
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from labserver import LabServer, free_port, stop_process  # noqa: E402

S1 = "cross-account-auditors"
LEARNERS_PER_ADDRESS = 30
LOST = "Go to \u201cAssume the audit role"     # scenarios/_result.html's link back to the step that issues them
_CODE = re.compile(r"/class/([A-Z2-9]{6})/")


class SourceAddress(HTTPAdapter):
    """Connect from one loopback address (the whole 127/8 is this machine), as learners behind one NAT would."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def browser(index: int) -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAddress(f"127.0.0.{2 + index // LEARNERS_PER_ADDRESS}"))
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
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = tempfile.mkdtemp(prefix="bench-credentials-class-")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir}/class.sqlite3", "SECRET_KEY": "bench-" + "x" * 50,
           "LAB_DATA_DIR": f"{workdir}/data", "INSTRUCTOR_PASSWORD": "bench-instructor-password",
           "LOG_LEVEL": "ERROR"}
    server = subprocess.Popen([sys.executable, "scripts/serve_class.py", "--port", str(port), "--address",
                               "127.0.0.1", "--bind", "127.0.0.1"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(base + "/class/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the class server did not start")
            time.sleep(0.3)
        subprocess.run([sys.executable, "manage.py", "instructor", "bench", "--create"], cwd=ROOT, check=True,
                       env={**env, "DJANGO_SETTINGS_MODULE": "securecart.settings.classroom"},
                       stdout=subprocess.DEVNULL)
        instructor = requests.Session()
        instructor.get(base + "/accounts/login/", timeout=60)
        instructor.post(base + "/accounts/login/", data={"username": "bench", "password": env["INSTRUCTOR_PASSWORD"],
                                                         "csrfmiddlewaretoken": instructor.cookies.get("csrftoken")},
                        timeout=60).raise_for_status()
        opened = instructor.post(base + "/class/new/", data={
            "title": "Credentials benchmark", "expected_students": 0,
            "csrfmiddlewaretoken": instructor.cookies.get("csrftoken")}, timeout=60)
        code = _CODE.search(opened.url).group(1)  # type: ignore[union-attr]
        return drive(base, learners, lambda index, tally: arrive_through_class(base, code, index, tally))
    finally:
        stop_process(server, 20)


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
