"""The README is the newcomer's page (issue 24, item 6): at most 12 KB, the two commands first, a paragraph per use,
and every link in it and in the manuals leads to a file of the repository."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_is_short_and_says_the_two_commands_first():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.encode()) <= 12 * 1024
    headings = re.findall(r"(?m)^## (.*)$", text)
    assert headings[0] == "The two commands" and "make run" in text and "make test" in text
    for manual in ("learners", "instructors", "exam", "operators"):
        assert f"(docs/{manual}.md)" in text


def test_every_relative_link_in_the_readme_and_the_manuals_resolves():
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).resolve().exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken
