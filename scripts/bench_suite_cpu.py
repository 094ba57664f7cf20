"""Where the test suite's CPU goes: run pytest and sample every process it starts, then print core-seconds by kind.

`make test` keeps this 2-core machine 97-98 % busy from start to end, so its length is its CPU divided by two (issue
24). This runs pytest (any arguments are passed on; none: the whole suite, as pytest.ini configures it), reads every
process's CPU time from /proc every 0.5 s, and groups the processes by kind: Chromium's renderers, browser and GPU
processes, Playwright's driver, the pytest workers, the servers and console children the tests start. It prints
each kind's core-seconds and its share of the machine's busy time in the same run (the baseline). It also counts the
RSA keys the workers generate (the mock identity providers' keys, two per sandbox a test builds) and their CPU,
through a small plugin (scripts/suiteprobe.py). A process that lives less than 0.5 s may be missed; the machine's
figure counts everything, so the kinds add up to a little less.

    .venv/bin/python scripts/bench_suite_cpu.py [pytest arguments]
"""
from __future__ import annotations

import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def kind_of(command: str) -> str:
    if "chromium" in command:
        found = re.search(r"--type=(\S+)", command)
        return "chromium " + (found.group(1) if found else "browser process")
    if "playwright" in command or re.search(r"(^|/)node\b", command):
        return "playwright driver (node)"
    if "exec(eval(sys.stdin.readline()))" in command:
        return "pytest workers"
    if "-m pytest" in command:
        return "pytest (the main process)"
    if "cli_child" in command or command.startswith("bwrap"):
        return "console children (awscli)"
    if "gunicorn" in command or "manage.py serve" in command or "serve_class" in command:
        return "web servers the tests start"
    if "gateway" in command:
        return "gateway servers the tests start"
    if "postgres" in command or "redis-server" in command or "initdb" in command:
        return "postgres, redis"
    if "manage.py" in command or "python" in command:
        return "other Python processes"
    return "other"


def busy_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def snapshot() -> dict[int, tuple[str, float]]:
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read(600).replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry)] = (command, (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def main() -> int:
    probe_dir = tempfile.mkdtemp(prefix="suite-cpu-")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "", "SUITE_PROBE_DIR": probe_dir,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "scripts"), os.environ.get("PYTHONPATH", "")]))}
    before = snapshot()   # processes already running: only what they use from now on counts
    busy0, _ = busy_ticks()
    started = time.perf_counter()
    pytest = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "suiteprobe", *sys.argv[1:]], cwd=ROOT, env=env)
    last: dict[int, tuple[str, float]] = {}
    while pytest.poll() is None:
        last.update(snapshot())
        time.sleep(0.5)
    wall = time.perf_counter() - started
    busy1, _ = busy_ticks()
    machine = (busy1 - busy0) / TICKS
    by_kind: collections.Counter[str] = collections.Counter()
    processes: collections.Counter[str] = collections.Counter()
    for pid, (command, cpu) in last.items():
        earlier = before.get(pid)
        if earlier is not None and earlier[0] == command:
            cpu -= earlier[1]
            if cpu < 0.05:
                continue
            kind = "processes running before the suite"
        else:
            kind = kind_of(command)
        by_kind[kind] += cpu
        processes[kind] += 1
    print(f"pytest exited {pytest.returncode} after {wall:.0f} s; the machine was busy {machine:.0f} core-seconds "
          f"({machine / wall:.2f} of {os.cpu_count()} cores on average): the baseline below")
    print(f"{'kind':<38}{'core-s':>9}{'share':>8}{'processes':>11}")
    for kind, cpu in by_kind.most_common():
        print(f"{kind:<38}{cpu:>9.1f}{cpu / machine:>8.1%}{processes[kind]:>11}")
    keys = [json.loads(Path(path).read_text()) for path in glob.glob(os.path.join(probe_dir, "*.json"))]
    count, cpu = sum(k["keys"] for k in keys), sum(k["cpu"] for k in keys)
    sizes: collections.Counter[int] = collections.Counter()
    for k in keys:
        sizes.update({int(bits): n for bits, n in k["bits"].items()})
    print(f"RSA keys generated in the pytest processes: {count} ({dict(sizes)} by size), {cpu:.1f} s of CPU "
          f"({cpu / machine:.1%} of the machine's)")
    return pytest.returncode or 0


if __name__ == "__main__":
    raise SystemExit(main())
