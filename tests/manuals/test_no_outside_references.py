"""Nothing in the repository points at notes outside it (issue 24, item 6): a newcomer with only the clone must be
able to follow every reference. Paths of the machine the lab was written on are the usual slip."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"/work/(?:shared|main|wt|briefs)|\.\./shared/|shared/notes/")


def test_no_tracked_file_refers_to_notes_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".html", ".txt", ".yaml", ".yml", ".ini", ".js", ".css", ".toml"} \
                or name == "tests/manuals/test_no_outside_references.py" or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)
