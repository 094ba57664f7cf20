#!/usr/bin/env python3
"""`make class`: serve the lab to a classroom from this machine.

One gunicorn process with threads (moto and the engine's sessions live in one process's memory, so more worker
processes would each have their own AWS), bound on all of the machine's addresses. It prints the address students
type, with a QR code; the same address goes into ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS and LAB_PUBLIC_URL, so every
join link and QR code the lab shows (class dashboard, live quiz room) points where phones can reach.
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from securecart.datadir import data_dir  # noqa: E402

# kept between runs so students' sessions survive a restart; in the install's data directory, outside the code
SECRET_FILE_NAME = "class-secret-key"


def lan_addresses() -> list[str]:
    """The machine's IPv4 addresses other devices can reach, the default route's first (no loopback)."""
    found: list[str] = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1; a UDP connect only picks the route, nothing is sent
        found.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except socket.gaierror:
        pass
    unique = []
    for address in found:
        if not address.startswith("127.") and address not in unique:
            unique.append(address)
    return unique


def secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = data_dir() / SECRET_FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


ALL_ADDRESSES = ("0.0.0.0", "", "::")


def advertised_addresses(bind: str, chosen: str, found: list[str]) -> list[str]:
    """The addresses to print and put in every join link, the students' first. Bound to one address, the server
    answers on that one only, so that is the only one worth printing (a LAN address it does not listen on would
    send every phone nowhere); bound to all, the chosen one (CLASS_ADDRESS) or the machine's own."""
    if bind not in ALL_ADDRESSES:
        return [bind]
    addresses = [chosen, *[a for a in found if a != chosen]] if chosen else list(found)
    return addresses or ["127.0.0.1"]


def class_environment(addresses: list[str], port: int, public: str) -> dict[str, str]:
    hosts = [*addresses, "127.0.0.1", "localhost", socket.gethostname()]
    return {
        "DJANGO_SETTINGS_MODULE": "securecart.settings.classroom",
        "SECRET_KEY": secret_key(),
        "ALLOWED_HOSTS": ",".join(dict.fromkeys(hosts)),
        "CSRF_TRUSTED_ORIGINS": ",".join(f"http://{h}:{port}" for h in dict.fromkeys(hosts)),
        "LAB_PUBLIC_URL": public,
        # what a step's HTTP exchange shows as the endpoint (gateway/client.py): the address a student's own
        # terminal reaches, on the class's port, not make run's 127.0.0.1:8000
        "LAB_PUBLIC_AWS_URL": f"{public}/aws",
        "LAB_SERVER_URL": f"http://127.0.0.1:{port}",
    }


def banner(public: str, others: list[str], *, local_only: bool = False) -> str:
    import segno

    qr = segno.make_qr(public + "/class/")
    lines = ["", "SecureCart STS Lab: class mode", "",
             f"  Students open:   {public}/class/   (then type the class code)",
             *[f"  also reachable:  {o}" for o in others],
             *(["  Only this machine can reach it (CLASS_BIND is a loopback address): phones cannot join.",
                "  For a class, leave CLASS_BIND unset or set it to this machine's network address."]
               if local_only else []),
             "  Instructor:      sign in, then open /class/ (grant with: make instructor NAME=...)",
             ""]
    from io import StringIO

    out = StringIO()
    qr.terminal(out=out, compact=True)
    return "\n".join(lines) + out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--address", default=os.environ.get("CLASS_ADDRESS", ""),
                        help="the address students type (default: this machine's address on its default route)")
    # 8 threads, not make run's 32: a class is 40 browsers at once on one GIL, and fewer runnable threads keep the
    # tail short (scripts/bench_classroom.py on 2 cores, 40 students: step p95 94-379 ms over six runs with 8
    # threads, 60-1,498 ms over eleven with 32). Requests beyond 8 wait in gunicorn's queue, not for the GIL.
    parser.add_argument("--threads", type=int, default=int(os.environ.get("CLASS_THREADS", "8")))
    parser.add_argument("--bind", default=os.environ.get("CLASS_BIND", "0.0.0.0"),
                        help="address to listen on (default: all of this machine's addresses)")
    args = parser.parse_args()
    found = lan_addresses() if args.bind in ALL_ADDRESSES else []
    if args.bind in ALL_ADDRESSES and not found and not args.address:
        print("No network address found (is this machine on the classroom network?); serving on 127.0.0.1 only.",
              file=sys.stderr)
    if args.address and args.bind not in ALL_ADDRESSES and args.address != args.bind:
        print(f"CLASS_ADDRESS={args.address} ignored: the server listens on {args.bind} only.", file=sys.stderr)
    addresses = advertised_addresses(args.bind, args.address, found)
    public = f"http://{addresses[0]}:{args.port}"
    env = {**os.environ, **class_environment(addresses, args.port, public)}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
    print(banner(public, [f"http://{a}:{args.port}" for a in addresses[1:]],
                 local_only=addresses[0].startswith("127.") or addresses[0] in ("localhost", "::1")), flush=True)
    gunicorn = [python, "-m", "gunicorn", "securecart.wsgi", "--worker-class", "gthread", "--workers", "1",
                "--threads", str(args.threads), "--bind", f"{args.bind}:{args.port}",
                # A long class-wide reset runs in a request thread; gthread's heartbeat keeps the worker alive.
                "--timeout", "120", "--access-logfile", "-",
                # Pages poll every 1-2 s: keep their connections open longer than that (gunicorn's default is 2 s,
                # which races a 2 s poll and resets the connection just as the next request is sent).
                "--keep-alive", "10"]
    os.chdir(ROOT)
    os.execve(python, gunicorn, env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
