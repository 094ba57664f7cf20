"""The manuals in docs/, served in the app at /docs/: an allow-list of files, rendered once per file version.

Only the files named in MANUALS are read (a slug is a key of a dict, never part of a path), and an image is served
only if a manual links it and it lies inside docs/ with a picture's suffix.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"
PICTURES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}


@dataclass(frozen=True)
class Manual:
    slug: str
    file: str
    title: str
    audience: str


MANUALS: dict[str, Manual] = {m.slug: m for m in (
    Manual("learners", "learners.md", "Learning with the lab", "Learners: scenarios, challenges, the console, "
           "CloudTrail and your own terminal"),
    Manual("exam", "exam.md", "Preparing the SAA exam", "Exam candidates: the quiz, mock exams and readiness"),
    Manual("instructors", "instructors.md", "Teaching with the lab", "Instructors: demos, make class, live quizzes"),
    Manual("operators", "operators.md", "Running the lab", "Operators: settings, deployment, security"),
    Manual("architecture", "architecture.md", "How it is built", "Developers: layers and contracts"),
    Manual("benchmarks", "benchmarks.md", "Benchmarks", "Everyone: what was measured, and how to measure it"),
)}

_LINK = re.compile(r'href="(?:docs/)?([a-z-]+)\.md(#[^"]*)?"')
_IMAGE = re.compile(r'src="(?:docs/)?([^":]+)"')


@dataclass(frozen=True)
class Rendered:
    title: str
    html: str
    toc: str
    pictures: frozenset[str]


def rendered(slug: str) -> Rendered | None:
    """The manual `slug` as HTML, or None when no such manual exists."""
    manual = MANUALS.get(slug)
    if manual is None:
        return None
    path = DOCS / manual.file
    return _render(manual, path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=len(MANUALS) * 2)
def _render(manual: Manual, path: Path, _version: int) -> Rendered:
    converter = markdown.Markdown(extensions=["tables", "fenced_code", "toc"],
                                 extension_configs={"toc": {"toc_depth": "2-3"}})
    html = converter.convert(path.read_text(encoding="utf-8"))
    # Links between manuals point at their pages; links to other repository files stay as text would.
    html = _LINK.sub(lambda m: f'href="/docs/{m.group(1)}/{m.group(2) or ""}"'
                     if m.group(1) in MANUALS else m.group(0), html)
    pictures = frozenset(m.group(1) for m in _IMAGE.finditer(html))
    html = _IMAGE.sub(lambda m: f'src="/docs/files/{m.group(1)}"', html)
    return Rendered(manual.title, html, getattr(converter, "toc", ""), pictures)


def picture(name: str) -> tuple[Path, str] | None:
    """A picture some manual shows, with its content type; None for anything else."""
    shown = any(name in rendered(slug).pictures for slug in MANUALS)  # type: ignore[union-attr]
    path = (DOCS / name).resolve()
    kind = PICTURES.get(path.suffix.lower())
    if not shown or kind is None or not path.is_relative_to(DOCS) or not path.is_file():
        return None
    return path, kind
