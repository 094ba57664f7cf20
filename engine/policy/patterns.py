"""Wildcard (`*`, `?`) matching for actions, resources, StringLike and ARN operators.

Patterns are compiled once at parse time. A pattern is a sequence of segments; a segment is either pattern text
(where `*` and `?` are wildcards) or literal text (from a `${*}` escape or a substituted policy variable), so a
variable's value never turns into a wildcard.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

Segments = tuple  # tuple[tuple[str, bool], ...]: (text, is_pattern)


def _segments_regex(segments: Segments) -> str:
    out = []
    for text, is_pattern in segments:
        if not is_pattern:
            out.append(re.escape(text))
            continue
        for ch in text:
            if ch == "*":
                out.append(".*")
            elif ch == "?":
                out.append(".")
            else:
                out.append(re.escape(ch))
    return "".join(out)


class Glob:
    """A case-sensitive (or case-insensitive) wildcard pattern; exact comparison when it has no wildcard."""

    __slots__ = ("text", "exact", "_match", "ignore_case")

    def __init__(self, segments: Segments, ignore_case: bool = False) -> None:
        self.text = "".join(t for t, _ in segments)
        self.ignore_case = ignore_case
        has_wild = any(p and ("*" in t or "?" in t) for t, p in segments)
        if has_wild:
            self.exact = None
            flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
            self._match = re.compile(_segments_regex(segments), flags).fullmatch
        else:
            self.exact = self.text.lower() if ignore_case else self.text
            self._match = None

    def match(self, value: str) -> bool:
        if self._match is None:
            return (value.lower() if self.ignore_case else value) == self.exact
        return self._match(value) is not None

    def __repr__(self) -> str:
        return f"Glob({self.text!r})"


@lru_cache(maxsize=8192)
def glob(pattern: str, ignore_case: bool = False) -> Glob:
    return Glob(((pattern, True),), ignore_case)


@lru_cache(maxsize=8192)
def glob_segments(segments: Segments, ignore_case: bool = False) -> Glob:
    return Glob(segments, ignore_case)


def split_arn(value: str) -> list[str] | None:
    """The six ARN components (the resource part keeps its own colons), or None when `value` is not an ARN."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def _split_segments(segments: Segments) -> list[Segments] | None:
    """Split pattern segments into the six ARN components (colons inside literal segments stay literal)."""
    components: list[list[tuple[str, bool]]] = [[]]
    for text, is_pattern in segments:
        if is_pattern and len(components) < 6:
            pieces = text.split(":", 6 - len(components))
            components[-1].append((pieces[0], True))
            for piece in pieces[1:]:
                if len(components) == 6:
                    components[-1].append((":" + piece, True))
                else:
                    components.append([(piece, True)])
        else:
            components[-1].append((text, is_pattern))
    if len(components) != 6:
        return None
    return [tuple(c) for c in components]


class ArnPattern:
    """An ARN pattern matched component by component: a wildcard never spans a colon between the first five
    components (AWS: "each of the six colon-delimited components of the ARN is checked separately")."""

    __slots__ = ("text", "any", "_components", "_whole")

    def __init__(self, segments: Segments, strict: bool = False) -> None:
        self.text = "".join(t for t, _ in segments)
        self.any = segments == (("*", True),)
        comps = None if self.any else _split_segments(segments)
        self._components = [Glob(c) for c in comps] if comps else None
        # A pattern that is not six components long (`arn:aws:s3:::*` is six; `arn:aws:iam::*` is five) is
        # compared as a whole string in a Resource element; for the Arn* condition operators (strict) it
        # matches nothing, since its components cannot line up with an ARN's.
        self._whole = None if (self.any or self._components or strict) else Glob(segments)

    def match(self, value: str) -> bool:
        if self.any:
            return True
        if self._components is None:
            return self._whole is not None and self._whole.match(value)
        parts = split_arn(value)
        if parts is None:
            return False
        for glob_, part in zip(self._components, parts):
            if not glob_.match(part):
                return False
        return True

    def __repr__(self) -> str:
        return f"ArnPattern({self.text!r})"


@lru_cache(maxsize=8192)
def arn_pattern(segments: Segments, strict: bool = False) -> ArnPattern:
    return ArnPattern(segments, strict)


def any_glob(patterns: Iterable[Glob], value: str) -> Glob | None:
    for p in patterns:
        if p.match(value):
            return p
    return None
