"""Benchmark the console child's start-up: CPU of a fresh process that builds the AWS CLI driver with the console's
allow-list (challenges/cli_child.py), parses one command and makes its request (stopped by the endpoint fence), as
every console command does in its own process; against a baseline version of cli_child.py in the same run.

    .venv/bin/python scripts/bench_console_child.py [--runs 7] [--baseline REV]

The baseline is cli_child.py at git revision REV (default: main), read with `git show`. Processes alternate between
the two versions; prints the median CPU seconds of each and the ratio now / baseline.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import contextlib, importlib.util, io, logging, os, sys, time
import django
django.setup()
import awscli  # noqa: F401
from gateway.served import served_operations
logging.disable(logging.CRITICAL)
os.environ.update(AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
                  AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
operations = served_operations()
spec = importlib.util.spec_from_file_location("cli_child_under_test", sys.argv[1])
child = importlib.util.module_from_spec(spec)
spec.loader.exec_module(child)
started = time.process_time()
driver = child.build_driver(child.AllowList(operations), "http://127.0.0.1:9", "sbx-bench")
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    child.run(driver, ["iam", "get-role", "--role-name", "x"])
print(time.process_time() - started)
"""


def cpu_of(path: Path) -> float:
    env = {"DJANGO_SETTINGS_MODULE": "securecart.settings.test", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", default="main")
    args = parser.parse_args()
    source = subprocess.run(["git", "show", f"{args.baseline}:challenges/cli_child.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "cli_child_baseline.py"
        baseline.write_text(source)
        now, before = [], []
        for _ in range(args.runs):
            before.append(cpu_of(baseline))
            now.append(cpu_of(ROOT / "challenges" / "cli_child.py"))
    b, n = statistics.median(before), statistics.median(now)
    print(f"console child start-up CPU (median of {args.runs}): {args.baseline} {b * 1000:.0f} ms, now "
          f"{n * 1000:.0f} ms, ratio {n / b:.2f}")


if __name__ == "__main__":
    main()
