"""Wildcard (`*`, `?`) matching for actions, resources, StringLike and ARN operators, in linear time.

Patterns are compiled once at parse time. A pattern is a sequence of segments; a segment is either pattern text
(where `*` and `?` are wildcards) or literal text (from a `${*}` escape or a substituted policy variable), so a
variable's value never turns into a wildcard.

No regular expressions: a translated glob (`.*a.*a.*b`) backtracks, so a handful of wildcards against a long value
took seconds under the Lab's lock (issue 9). Instead the pattern is split at its `*`s into fixed-length pieces
(literal characters and `?`). The first piece must match at the start, the last at the end, and each middle piece is
taken at its leftmost occurrence after the previous one. Taking the leftmost occurrence is always safe: a piece has a
fixed length, so an earlier match leaves at least as much of the value for the pieces after it. Each piece is found
with `str.find` on its longest literal run and then checked, so the cost is at most O(len(value) x len(pattern))
and linear in the value for a given pattern; nothing is ever retried.

Case: actions match without regard to case (IAM User Guide, "IAM JSON policy elements: Action": action names are
case-insensitive), resources and the String/Arn operators with it ("Resource" and "Condition operators":
StringLike is "case-sensitive matching"; ArnLike: "case-sensitive matching of the ARN").
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

Segments = tuple[tuple[str, bool], ...]  # (text, is_pattern)

ANY_ONE = None   # a `?` inside a piece


class _Piece:
    """A fixed-length run of the pattern between two `*`s: characters, with ANY_ONE for each `?`."""

    __slots__ = ("chars", "length", "anchor", "anchor_at", "literal")

    def __init__(self, chars: list[str | None]) -> None:
        self.chars = tuple(chars)
        self.length = len(chars)
        # The longest run of literal characters: what str.find looks for before the rest is checked.
        best_at, best_len, run_at = 0, 0, 0
        for i in range(self.length + 1):
            if i == self.length or chars[i] is ANY_ONE:
                if i - run_at > best_len:
                    best_at, best_len = run_at, i - run_at
                run_at = i + 1
        self.anchor_at = best_at
        self.anchor = "".join(chars[best_at:best_at + best_len])   # type: ignore[arg-type]
        self.literal = best_len == self.length

    def matches_at(self, value: str, at: int) -> bool:
        for offset, ch in enumerate(self.chars):
            if ch is not ANY_ONE and value[at + offset] != ch:
                return False
        return True

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost i with start <= i and i + length <= end where the piece matches, or -1."""
        if self.length == 0:
            return start if start <= end else -1
        if start + self.length > end:           # also keeps str.find from reading a negative end from the right
            return -1
        if self.literal:
            return value.find(self.anchor, start, end)
        if not self.anchor:                      # only `?`s: any position with room will do
            return start
        lo = start + self.anchor_at
        hi = end - (self.length - self.anchor_at - len(self.anchor))
        while True:
            hit = value.find(self.anchor, lo, hi)
            if hit < 0:
                return -1
            at = hit - self.anchor_at
            if self.matches_at(value, at):
                return at
            lo = hit + 1


def _pieces(segments: Segments, ignore_case: bool) -> tuple[list[_Piece], bool]:
    """Split the pattern at its wildcard stars: (pieces, has_star)."""
    pieces: list[list[str | None]] = [[]]
    for text, is_pattern in segments:
        if ignore_case:
            text = text.lower()
        if not is_pattern:
            pieces[-1].extend(text)
            continue
        for ch in text:
            if ch == "*":
                pieces.append([])
            elif ch == "?":
                pieces[-1].append(ANY_ONE)
            else:
                pieces[-1].append(ch)
    return [_Piece(p) for p in pieces], len(pieces) > 1


def glob_match(pieces: list[_Piece], has_star: bool, value: str) -> bool:
    """Does `value` match the pattern split into `pieces` (see the module docstring for why this is correct)?"""
    if not has_star:
        only = pieces[0]
        return len(value) == only.length and only.matches_at(value, 0)
    first, last = pieces[0], pieces[-1]
    if len(value) < first.length + last.length:
        return False
    if not first.matches_at(value, 0):
        return False
    tail = len(value) - last.length
    if not last.matches_at(value, tail):
        return False
    at = first.length
    for piece in pieces[1:-1]:
        hit = piece.find(value, at, tail)
        if hit < 0:
            return False
        at = hit + piece.length
    return True


class Glob:
    """A case-sensitive (or case-insensitive) wildcard pattern; exact comparison when it has no wildcard."""

    __slots__ = ("text", "exact", "ignore_case", "_pieces", "_has_star")

    def __init__(self, segments: Segments, ignore_case: bool = False) -> None:
        self.text = "".join(t for t, _ in segments)
        self.ignore_case = ignore_case
        has_wild = any(p and ("*" in t or "?" in t) for t, p in segments)
        if has_wild:
            self.exact = None
            self._pieces, self._has_star = _pieces(segments, ignore_case)
        else:
            self.exact = self.text.lower() if ignore_case else self.text
            self._pieces, self._has_star = [], False

    def match(self, value: str) -> bool:
        if self.ignore_case:
            value = value.lower()
        if self.exact is not None:
            return value == self.exact
        return glob_match(self._pieces, self._has_star, value)

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

    __slots__ = ("text", "any", "_components", "_exact", "_wild", "_whole")

    def __init__(self, segments: Segments, strict: bool = False) -> None:
        self.text = "".join(t for t, _ in segments)
        self.any = segments == (("*", True),)
        comps = None if self.any else _split_segments(segments)
        self._components = [Glob(c) for c in comps] if comps else None
        # Components without wildcards are compared first and as plain strings: most patterns differ from a
        # resource in its service or account, so they are rejected before any wildcard is looked at.
        self._exact = [(i, g.exact) for i, g in enumerate(self._components or []) if g.exact is not None]
        self._wild = [(i, g) for i, g in enumerate(self._components or []) if g.exact is None]
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
        return parts is not None and self.match_parts(parts, value)

    def match_parts(self, parts: list[str], value: str) -> bool:
        """Match an ARN already split with split_arn (a Resource element splits its resource once)."""
        if self.any:
            return True
        if self._components is None:
            return self._whole is not None and self._whole.match(value)
        for i, exact in self._exact:
            if parts[i] != exact:
                return False
        for i, glob_ in self._wild:
            if not glob_.match(parts[i]):
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
