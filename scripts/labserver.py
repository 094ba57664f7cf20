"""Helpers for the benchmark scripts: start the lab the way `make run` does (on a temporary database and a free port)
and drive it like a browser (a cookie jar, CSRF, htmx headers). Not a test helper: nothing here asserts."""
from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free port; within BENCH_PORTS (e.g. `9450-9549`) when set, so parallel runs on a shared host stay apart."""
    low, _, high = os.environ.get("BENCH_PORTS", "").partition("-")
    candidates = range(int(low), int(high) + 1) if low.isdigit() and high.isdigit() else [0]
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seed_assumable_role(iam, account: str, external_id: str) -> tuple[dict, str]:
    """In `account` (through an admin IAM client): user alice, allowed sts:AssumeRole on the account's roles, and role
    Bench, which trusts the account when the caller gives `external_id`. Returns (alice's access key, the role's ARN)."""
    def doc(*statements: dict) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})

    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="may-assume", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{account}:role/*"}))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    role = iam.create_role(RoleName="Bench", AssumeRolePolicyDocument=doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}))["Role"]["Arn"]
    return key, role


def stop_process(process: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM, `grace` seconds to exit, then SIGKILL: how the scripts and tests stop a server they started."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def redis_bin() -> str:
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server")
                                             else None)
    if not found:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    return found


def start_redis(workdir: Path, port: int = 0) -> tuple[subprocess.Popen, str]:
    """A redis-server of its own (no persistence) on a free port, answering PING: (process, redis:// URL). Several
    processes serving the lab share Django's cache through Redis (LAB_REDIS_URL); stop it with stop_process."""
    import redis

    port = port or free_port()
    process = subprocess.Popen([redis_bin(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, start_new_session=True)
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            return process, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_process(process)
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


class LabServer:
    """`manage.py serve` (what `make run` runs) or `manage.py runserver` (what it ran before), in a subprocess."""

    def __init__(self, kind: str = "serve", *, threads: int = 32) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"securecart-bench-{kind}-"))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "DATABASE_URL", "DJANGO_"))}
        # every simulated learner comes from 127.0.0.1: lift the per-address guard against bots that build sandboxes
        # (tests/web/test_console_slots.py keeps its default tested)
        self.env["LAB_NEW_SANDBOXES_PER_ADDRESS"] = "1000000"
        self.env.update({"DATABASE_URL": f"sqlite:///{self.workdir / 'lab.sqlite3'}",
                         "LAB_DATA_DIR": str(self.workdir / "data"),
                         "DJANGO_SETTINGS_MODULE": "securecart.settings.dev", "DEBUG": "False",
                         "LAB_SERVER_URL": self.url})
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True, timeout=300)
        args = (["serve", "--bind", f"127.0.0.1:{self.port}", "--threads", str(threads)] if kind == "serve"
                else ["runserver", "--noreload", f"127.0.0.1:{self.port}"])
        self.log = open(self.workdir / "server.log", "w")
        self.process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(self.url + "/static/favicon.svg", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{kind} did not start: {(self.workdir / 'server.log').read_text()[-2000:]}")
                time.sleep(0.2)

    @property
    def app_pid(self) -> int:
        """The process holding the lab's memory: gunicorn's one worker, or runserver itself."""
        if self.kind == "serve":
            workers = children(self.process.pid)
            if workers:
                return workers[0]
        return self.process.pid

    def scripted_sandbox(self, accounts: int | None = None) -> dict:
        args = [sys.executable, "manage.py", "sandbox", "--server", self.url, "create", "--json"]
        if accounts:
            args += ["--accounts", str(accounts)]
        done = subprocess.run(args, cwd=ROOT, env=self.env, check=True, capture_output=True, text=True, timeout=300)
        return json.loads(done.stdout)

    def stop(self) -> None:
        stop_process(self.process, 20)
        self.log.close()


# The Fetch Metadata request headers a browser sends (W3C): opening a page, and htmx's requests from that page.
NAVIGATION_HEADERS = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "same-origin"}
HTMX_HEADERS = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin"}


class Browser:
    """One learner: a cookie jar, the CSRF token Django set, htmx's request header for actions, and the Fetch
    Metadata headers browsers send (a first page with them can claim a waiting sandbox at once: sandboxes.services)."""

    def __init__(self, base: str, timeout: float = 60.0) -> None:
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _open(self, request: urllib.request.Request) -> tuple[int, str, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read().decode("utf-8", "replace")
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read().decode("utf-8", "replace"), error.code
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            body, status = str(error), 0
        return status, body, time.perf_counter() - started

    def get(self, path: str) -> tuple[int, str, float]:
        return self._open(urllib.request.Request(self.base + path, headers=NAVIGATION_HEADERS))

    def page(self, path: str) -> tuple[int, str, float]:
        """A page as a browser shows it: the first visit's 'Preparing your sandbox' page reloads at once."""
        status, body, elapsed = self.get(path)
        while status == 200 and "<title>Preparing your sandbox" in body:
            status, body, more = self.get(path)
            elapsed += more
        return status, body, elapsed

    def post(self, path: str, data: dict[str, str] | None = None, *, htmx: bool = True) -> tuple[int, str, float]:
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        headers = {"X-CSRFToken": csrf, "Referer": self.base + "/"}
        headers.update(HTMX_HEADERS if htmx else NAVIGATION_HEADERS)
        if htmx:
            headers["HX-Request"] = "true"
        body = urllib.parse.urlencode(data or {}).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST", headers=headers))


class ClassServer:
    """`make class` (scripts/serve_class.py: gunicorn, one process, threads) on a free port with a fresh SQLite file
    and data directory, and an instructor, `bench`, who may sign in (`instructor()`)."""

    PASSWORD = "bench-instructor-password"

    def __init__(self, prefix: str = "bench-class-") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir = tempfile.mkdtemp(prefix=prefix)
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir}/class.sqlite3",
                    "LAB_DATA_DIR": f"{workdir}/data", "SECRET_KEY": "bench-" + "x" * 50,
                    "INSTRUCTOR_PASSWORD": self.PASSWORD, "LOG_LEVEL": "ERROR"}
        self.process = subprocess.Popen([sys.executable, "scripts/serve_class.py", "--port", str(self.port),
                                         "--address", "127.0.0.1", "--bind", "127.0.0.1"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(self.url + "/class/", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the class server did not start") from None
                time.sleep(0.3)
        subprocess.run([sys.executable, "manage.py", "instructor", "bench", "--create"], cwd=ROOT, check=True,
                       env={**self.env, "DJANGO_SETTINGS_MODULE": "securecart.settings.classroom"},
                       stdout=subprocess.DEVNULL)

    def instructor(self):  # -> requests.Session (requests is imported only by the scripts that drive browsers)
        import requests

        session = requests.Session()
        session.get(self.url + "/accounts/login/", timeout=60).raise_for_status()
        session.post(self.url + "/accounts/login/", data={"username": "bench", "password": self.PASSWORD,
                                                          "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
                     timeout=60).raise_for_status()
        return session

    def stop(self) -> None:
        stop_process(self.process, 15)
