"""A small JSON reader that remembers where every value and key starts and ends.

Python's json module gives no positions, and the policy editor must point at the offending element ("line 7,
column 12"). This reader accepts exactly RFC 8259 JSON (strings are decoded by json's own C scanner) and records,
for each JSON path, the offset span of the value and of its key. It also refuses duplicate object keys, which
make a policy ambiguous.
"""
from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

Path = tuple[str | int, ...]  # str: an object member; int: an array index

_WS = re.compile(r"[ \t\n\r]*")
MAX_DEPTH = 64  # far beyond any real policy; stops "[[[[..." from exhausting the Python stack
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class JsonSyntaxError(ValueError):
    """Text that is not JSON; `grammar` is True for JSON that is well formed but that policies do not allow (a key
    given twice: RFC 8259 says names SHOULD be unique, the policy reader requires it)."""

    def __init__(self, detail: str, offset: int, *, grammar: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.offset = offset
        self.grammar = grammar


class SourceMap:
    """Offsets of values/keys by JSON path, and offset -> (line, column) conversion (both 1-based)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.value_spans: dict[Path, tuple[int, int]] = {}
        self.key_offsets: dict[Path, int] = {}
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def start_of(self, path: Path) -> tuple[int, int] | None:
        """Line/column of the key naming `path` if it has one, else of its value."""
        if path in self.key_offsets:
            return self.line_col(self.key_offsets[path])
        if path in self.value_spans:
            return self.line_col(self.value_spans[path][0])
        return None

    def line_range(self, path: Path) -> tuple[int, int] | None:
        span = self.value_spans.get(path)
        if span is None:
            return None
        first = self.key_offsets.get(path, span[0])
        return self.line_col(first)[0], self.line_col(max(span[1] - 1, span[0]))[0]


def _describe(ch: str) -> str:
    if ch == "":
        return "end of input"
    return f"character {ch!r}"


class _Reader:
    def __init__(self, text: str, smap: SourceMap) -> None:
        self.text = text
        self.smap = smap

    def ws(self, i: int) -> int:
        match = _WS.match(self.text, i)   # `\s*` matches everywhere, if only the empty string
        return match.end() if match else i

    def value(self, i: int, path: Path) -> tuple[Any, int]:
        text = self.text
        i = self.ws(i)
        ch = text[i:i + 1]
        start = i
        result: Any
        if ch in "{[" and ch and len(path) >= MAX_DEPTH:
            raise JsonSyntaxError(f"Nesting deeper than {MAX_DEPTH} levels", i)
        if ch == "{":
            result, i = self.obj(i, path)
        elif ch == "[":
            result, i = self.arr(i, path)
        elif ch == '"':
            result, i = self.string(i)
        elif ch == "t" and text.startswith("true", i):
            result, i = True, i + 4
        elif ch == "f" and text.startswith("false", i):
            result, i = False, i + 5
        elif ch == "n" and text.startswith("null", i):
            result, i = None, i + 4
        else:
            m = _NUMBER.match(text, i)
            if not m or m.end() == i:
                raise JsonSyntaxError(f"Unexpected {_describe(ch)}: expected a value", i)
            i = m.end()
            try:
                result = float(m.group()) if (m.group(1) or m.group(2)) else int(m.group())
            except ValueError:  # Python refuses integers of more than 4,300 digits (CVE-2020-10735's limit)
                raise JsonSyntaxError(f"Number too long ({m.end() - start} characters)", start) from None
        self.smap.value_spans[path] = (start, i)
        return result, i

    def string(self, i: int) -> tuple[str, int]:
        try:
            text, end = scanstring(self.text, i + 1, True)
            return str(text), int(end)
        except json.JSONDecodeError as exc:
            raise JsonSyntaxError(exc.msg, exc.pos) from None

    def obj(self, i: int, path: Path) -> tuple[dict[str, Any], int]:
        text = self.text
        result: dict[str, Any] = {}
        i = self.ws(i + 1)
        if text[i:i + 1] == "}":
            return result, i + 1
        while True:
            if text[i:i + 1] != '"':
                raise JsonSyntaxError(f"Unexpected {_describe(text[i:i + 1])}: expected a quoted member name", i)
            key_at = i
            key, i = self.string(i)
            if key in result:
                raise JsonSyntaxError(f"Duplicate key {key!r}", key_at, grammar=True)
            i = self.ws(i)
            if text[i:i + 1] != ":":
                raise JsonSyntaxError(f"Unexpected {_describe(text[i:i + 1])}: expected ':'", i)
            child = path + (key,)
            self.smap.key_offsets[child] = key_at
            result[key], i = self.value(i + 1, child)
            i = self.ws(i)
            ch = text[i:i + 1]
            if ch == "}":
                return result, i + 1
            if ch != ",":
                raise JsonSyntaxError(f"Unexpected {_describe(ch)}: expected ',' or '}}'", i)
            i = self.ws(i + 1)

    def arr(self, i: int, path: Path) -> tuple[list[Any], int]:
        text = self.text
        result: list[Any] = []
        i = self.ws(i + 1)
        if text[i:i + 1] == "]":
            return result, i + 1
        while True:
            item, i = self.value(i, path + (len(result),))
            result.append(item)
            i = self.ws(i)
            ch = text[i:i + 1]
            if ch == "]":
                return result, i + 1
            if ch != ",":
                raise JsonSyntaxError(f"Unexpected {_describe(ch)}: expected ',' or ']'", i)
            i += 1


def load_with_positions(text: str) -> tuple[Any, SourceMap]:
    """Parse `text`; raise JsonSyntaxError (with an offset) on anything that is not one JSON value."""
    smap = SourceMap(text)
    reader = _Reader(text, smap)
    value, end = reader.value(0, ())
    end = reader.ws(end)
    if end != len(text):
        raise JsonSyntaxError(f"Unexpected {_describe(text[end])} after the end of the document", end)
    return value, smap


def format_path(path: Path) -> str:
    """("Statement", 0, "Condition") -> "Statement[0].Condition" """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out
