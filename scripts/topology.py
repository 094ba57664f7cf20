"""The sharded topology on one machine, from Debian and PyPI packages: PostgreSQL (the database), redis-server (the
web processes' shared store), N gateway processes (`manage.py gateway`, each owning its sandboxes' moto and engine
state) and gunicorn with W workers (the web processes, LAB_GATEWAY_URLS naming every gateway). For tests, the load
benchmark (`scripts/bench_load.py --topology`) and trying it out; deploy/compose.yaml is the same for a real
deployment.

    .venv/bin/python scripts/topology.py [--gateways 2] [--workers 2] [--port 9350]   # `make topology`

prints the site's URL and the processes, and runs until Ctrl-C, supervising them: a Redis, a gateway or gunicorn
that exits (a crash, a kill) is started again on its port, after 0.5 s, doubling up to 10 s while it keeps dying
within 30 s of a start (gunicorn's master restarts its own dead workers). Everything lives in a temporary directory
that is removed afterwards (--keep to keep it). Ports: --port for the site, the next ones for PostgreSQL, Redis and the
gateways (0 = free ports). Importable: `Topology(...).start()` / `.supervise()` / `.stop()`, `.kill(name)`,
`.kill_gateway(n)`, `.psql(sql)`.

PostgreSQL binaries are found on PATH or in /usr/lib/postgresql/*/bin (Debian's `postgresql` package); as root,
the server runs as the `postgres` user (initdb refuses root).
"""
from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from labserver import children, redis_bin, stop_process  # noqa: E402


def free_port() -> int:
    """A free port: the system's choice, or one of TOPOLOGY_PORTS=LOW-HIGH when set (a shared machine's own range)."""
    low, _, high = os.environ.get("TOPOLOGY_PORTS", "").partition("-")
    candidates = range(int(low), int(high) + 1) if low and high else [0]
    for candidate in candidates:
        if candidate in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = probe.getsockname()[1]
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in TOPOLOGY_PORTS={os.environ['TOPOLOGY_PORTS']}")


_handed_out: set[int] = set()   # not twice in one process, even before the first is bound by its server


def postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise FileNotFoundError(f"PostgreSQL's {name} is not on PATH nor in /usr/lib/postgresql/*/bin "
                            "(apt-get install postgresql)")


def _wait(what: str, ready, process: subprocess.Popen | None, log: Path | None, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} did not start:\n{tail}")
        time.sleep(0.1)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True   # it answers
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


class Topology:
    """PostgreSQL + Redis + `gateways` gateway processes + gunicorn with `workers` workers, on 127.0.0.1."""

    def __init__(self, *, gateways: int = 2, workers: int = 2, threads: int = 8, port: int = 0,
                 workdir: Path | None = None, pool: int = 4, keep: bool = False) -> None:
        self.n_gateways, self.workers, self.threads, self.pool, self.keep = gateways, workers, threads, pool, keep
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="securecart-topology-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        ports = [port + n for n in range(3 + gateways)] if port else [free_port() for _ in range(3 + gateways)]
        self.web_port, self.pg_port, self.redis_port, *self.gateway_ports = ports
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.gateway_urls = [f"http://127.0.0.1:{p}" for p in self.gateway_ports]
        self.token = "topology-" + secrets.token_hex(16)
        self.database_url = f"postgres://lab@127.0.0.1:{self.pg_port}/lab"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "DJANGO_", "DATABASE_"))}
        self.env = {**base, "DATABASE_URL": self.database_url, "LAB_CONTROL_TOKEN": self.token,
                    "LAB_DATA_DIR": str(self.workdir / "data"),
                    "LAB_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                    "LAB_GATEWAY_URLS": ",".join(self.gateway_urls), "LAB_SANDBOX_POOL": str(pool),
                    "DJANGO_SETTINGS_MODULE": "securecart.settings.dev", "DEBUG": "False",
                    "LAB_SERVER_URL": self.url}
        self.pgdata = Path(tempfile.mkdtemp(prefix="securecart-pgdata-"))   # /tmp: the postgres user must reach it
        self.processes: dict[str, subprocess.Popen] = {}
        self.gateways: list[subprocess.Popen | None] = [None] * gateways
        self._logs: list = []
        self.restarts: list[tuple[float, str, float]] = []   # (when, name, seconds it had been up)
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    # ---- processes
    def _spawn(self, name: str, args: list[str], *, env: dict[str, str] | None = None,
               user: str | None = None) -> subprocess.Popen:
        log_path = self.workdir / f"{name}.log"
        log = open(log_path, "a")
        self._logs.append(log)
        if user:
            args = ["runuser", "-u", user, "--", *args]
        process = subprocess.Popen(args, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start_postgres(self) -> None:
        as_root = os.geteuid() == 0
        user = None
        if as_root:
            try:
                entry = pwd.getpwnam(user := "postgres")   # Debian's postgresql package makes it
            except KeyError:
                entry = pwd.getpwnam(user := "nobody")
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        init = [postgres_bin("initdb"), "-D", str(self.pgdata), "-U", "lab", "--auth=trust", "-E", "UTF8",
                "--no-sync"]
        if as_root:
            init = ["runuser", "-u", user, "--", *init]
        subprocess.run(init, check=True, capture_output=True, timeout=120)
        process = self._spawn("postgres", [postgres_bin("postgres"), "-D", str(self.pgdata), "-p", str(self.pg_port),
                                           "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.pgdata}",
                                           "-c", "fsync=off", "-c", "synchronous_commit=off",
                                           "-c", "full_page_writes=off", "-c", "max_connections=200"], user=user)
        _wait("PostgreSQL", lambda: _port_open(self.pg_port), process, self.log("postgres"))
        created = None
        for _ in range(50):   # the port opens a moment before the server accepts sessions
            created = subprocess.run([postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U",
                                      "lab", "lab"], capture_output=True, text=True, timeout=30)
            if created.returncode == 0:
                break
            time.sleep(0.2)
        if created is None or created.returncode != 0:
            raise RuntimeError(f"createdb failed: {created.stderr if created else ''}")

    def start_redis(self) -> None:
        process = self._spawn("redis", [redis_bin(), "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                        "--save", "", "--appendonly", "no", "--dir", str(self.workdir)])
        _wait("redis-server", lambda: _port_open(self.redis_port), process, self.log("redis"))

    def migrate(self) -> None:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True, timeout=300)

    def start_gateway(self, n: int) -> None:
        # a gateway owns its moto: it must not route its own seeding clients to a gateway (gateway.routing)
        env = {k: v for k, v in self.env.items() if k not in ("LAB_GATEWAY_URLS", "LAB_GATEWAY_URL")}
        log = self.log(f"gateway-{n}")
        written = log.stat().st_size if log.exists() else 0     # a restart appends: read only what this one wrote
        process = self._spawn(f"gateway-{n}", [sys.executable, "manage.py", "gateway", "--port",
                                               str(self.gateway_ports[n]), "--mount", "/aws"], env=env)
        self.gateways[n] = process

        def listening() -> bool:
            with open(log, errors="replace") as text:
                text.seek(written)
                return " on http://" in text.read()

        _wait(f"gateway {n}", listening, process, log)

    def kill(self, name: str) -> None:
        """SIGKILL one process ("redis", "gateway-0", "web"), as a crash: no clean shutdown."""
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def kill_gateway(self, n: int) -> None:
        self.kill(f"gateway-{n}")

    # ---- supervision
    def supervise(self) -> "Topology":
        """Watch Redis, the gateways and gunicorn; start any that exits again (see the module's docstring)."""
        self._supervisor = threading.Thread(target=self._watch, name="topology-supervisor", daemon=True)
        self._supervisor.start()
        return self

    def _restarters(self) -> dict[str, Callable[[], None]]:
        found: dict[str, Callable[[], None]] = {"redis": self.start_redis, "web": self.start_web}
        for n in range(self.n_gateways):
            found[f"gateway-{n}"] = lambda n=n: self.start_gateway(n)
        return found

    def _watch(self) -> None:
        delays: dict[str, float] = {}
        started: dict[str, float] = {name: time.monotonic() for name in self.processes}
        while not self._stopping.wait(0.1):
            for name, restart in self._restarters().items():
                process = self.processes.get(name)
                if process is None or process.poll() is None:
                    continue
                up = time.monotonic() - started.get(name, 0.0)
                # quick deaths in a row back off (0.5, 1, 2 ... 10 s); a process that ran 30 s starts from 0.5 s
                delay = 0.5 if up >= 30 else min(10.0, delays.get(name, 0.25) * 2)
                delays[name] = delay
                print(f"topology: {name} exited ({process.returncode}) after {up:.1f} s; restarting in {delay:.1f} s",
                      flush=True)
                if self._stopping.wait(delay):
                    return
                try:
                    restart()
                except (RuntimeError, OSError) as error:     # it did not come up: the next round tries again
                    print(f"topology: {name} did not restart: {str(error)[:200]}", flush=True)
                started[name] = time.monotonic()
                self.restarts.append((time.time(), name, up))

    def start_web(self) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        args = [gunicorn if os.path.exists(gunicorn) else "gunicorn", "--workers", str(self.workers),
                "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.web_port}", "--timeout", "60",
                "securecart.wsgi"]
        # gthread's fixed thread pool keeps one database connection per thread (the gateways close theirs after
        # each request, the default: they write to the database only to journal a learner's write)
        process = self._spawn("web", args, env={**self.env, "DB_CONN_MAX_AGE": "60"})
        _wait("gunicorn", lambda: _http_ok(self.url + "/static/favicon.svg"), process, self.log("web"))

    def start(self) -> "Topology":
        try:
            self.start_postgres()
            self.start_redis()
            self.migrate()
            for n in range(self.n_gateways):
                self.start_gateway(n)
            self.start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def web_pids(self) -> list[int]:
        """gunicorn's workers (the master's children)."""
        return children(self.processes["web"].pid)

    def psql(self, sql: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.pg_port, user="lab", dbname="lab") as db:
            return db.execute(sql, params).fetchall()

    def _stop_postgres(self) -> None:
        """Fast shutdown of the postmaster itself (SIGINT; runuser in front of it does not pass signals on)."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(30)
        for name in ["web", *[f"gateway-{n}" for n in range(self.n_gateways)], "redis", "postgres"]:
            process = self.processes.get(name)
            if name == "postgres":
                self._stop_postgres()
            stop_process(process, 20)
        for log in self._logs:
            log.close()
        shutil.rmtree(self.pgdata, ignore_errors=True)
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (web processes)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=9350, help="the site's port; the next ones for PostgreSQL, "
                        "Redis and the gateways (0 = free ports)")
    parser.add_argument("--keep", action="store_true", help="keep the logs directory")
    args = parser.parse_args()
    topology = Topology(gateways=args.gateways, workers=args.workers, threads=args.threads, port=args.port,
                        keep=args.keep)
    topology.start().supervise()
    print(f"SecureCart lab, sharded: {topology.url}  (AWS endpoint {topology.url}/aws)")
    print(f"  PostgreSQL  {topology.database_url}")
    print(f"  Redis       {topology.env['LAB_REDIS_URL']}")
    for n, url in enumerate(topology.gateway_urls):
        print(f"  gateway {n}   {url}  (pid {topology.gateways[n].pid})")
    print(f"  gunicorn    {args.workers} workers x {args.threads} threads (pid {topology.processes['web'].pid})")
    print(f"  logs        {topology.workdir}")
    print("Ctrl-C stops everything.", flush=True)

    def interrupted(signum: int, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)   # `timeout`, a service manager: stop the children too
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        topology.stop()


if __name__ == "__main__":
    main()
