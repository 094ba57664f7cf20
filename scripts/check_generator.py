"""Review the engine-made questions the way issue 27's outside review did: N seeds per level (3,000 by default).

    .venv/bin/python scripts/check_generator.py [--seeds 3000]

For every generated question it counts:
- exhibits AWS would refuse (bucket policies as S3's PutBucketPolicy checks them, the others as IAM does);
- marked answers an independent reading of AWS's documented rules (tests/independent_evaluator.py) disagrees with,
  including questions where a second option is also true;
- requests signed with an IAM user's long-term keys that carry aws:MultiFactorAuthPresent;
and prints the spread of verdicts, topics and labels. Exit status 1 if any count that must be 0 is not.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securecart.settings.dev")

import django  # noqa: E402

django.setup()

from quiz import audit, generator  # noqa: E402
from tests import independent_evaluator  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3000, help="seeds per level (default 3000)")
    args = parser.parse_args()
    failures = 0
    for level in generator.DIFFICULTIES:
        started = time.perf_counter()
        refused = disagree = mfa = 0
        verdicts: Counter[str] = Counter()
        domains: Counter[str] = Counter()
        examples: list[str] = []
        for seed in range(args.seeds):
            q = generator.build(level, seed)
            problems = audit.exhibit_problems(q)
            refused += bool(problems)
            if problems and len(examples) < 3:
                examples.append(f"{q.id}: {problems[0]}")
            found = independent_evaluator.disagreements([q])
            disagree += bool(found)
            if found and len(examples) < 3:
                examples.append(found[0])
            spec = q.engine.spec
            mfa += spec["principal"]["kind"] == "user" and generator.MFA_KEY in spec["context"]
            marked = next(o.key for o in q.options if o.correct)
            verdicts[next(v for v, k in spec["decision_option"].items() if k == marked).split(":")[0]] += 1
            domains[q.domain] += 1
        elapsed = time.perf_counter() - started
        failures += refused + disagree + mfa
        print(f"{level:>6}: {args.seeds} questions in {elapsed:.1f} s | exhibits AWS would refuse: {refused} | "
              f"disagreements with the independent evaluator: {disagree} | long-term keys with an MFA key: {mfa}")
        print(f"        verdicts {dict(sorted(verdicts.items()))} | topics {dict(sorted(domains.items()))}")
        for line in examples:
            print(f"        e.g. {line}")
    print("OK: every count that must be 0 is 0" if not failures else f"FAIL: {failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
