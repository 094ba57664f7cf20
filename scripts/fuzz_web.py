"""The seeded web fuzzer at full size (issue 23): 3,000 requests over every form a learner, an instructor with an
open class and a student of that class are shown (tests/securecart/test_web_fuzz.py; the suite runs 400 of them).
Prints the statuses and the 5xx count; exits non-zero on any 5xx.

    .venv/bin/python scripts/fuzz_web.py [--requests 3000] [--seed 90210]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=90210)
    args = parser.parse_args()
    env = {**os.environ, "LAB_FUZZ_SUBMISSIONS": str(args.requests), "LAB_FUZZ_SEED": str(args.seed)}
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/securecart/test_web_fuzz.py", "-k", "seeded", "-n", "0",
                           "-p", "no:logging", "-s"], cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("fuzz:") or "passed" in line
             or "failed" in line or line.startswith("E ")]
    print("\n".join(lines[-20:]))
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
