"""YAML for challenge files, read with the position of every value, so an error can name its line and column.

PyYAML's safe loader (no Python tags, no code) composes the node tree; this module builds plain Python values from
it and keeps `positions[path] = (line, column)` (1-based) for every mapping entry and list item. It refuses what
PyYAML would accept silently and an instructor would not mean: a key written twice in one mapping (PyYAML keeps the
last), non-text keys, and a document that expands beyond MAX_NODES through anchors and aliases (the "billion
laughs" shape) or nests deeper than MAX_DEPTH.
"""
from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 20_000
MAX_DEPTH = 40

Path = tuple[str | int, ...]
_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map",
                                                          "timestamp")}
Positions = dict[Path, tuple[int, int]]


class YamlError(ValueError):
    """A YAML text that cannot be a challenge file: `.line`/`.column` (1-based) and `.path` say where."""

    def __init__(self, message: str, line: int = 1, column: int = 1, path: Path = ()) -> None:
        super().__init__(message)
        self.message, self.line, self.column, self.path = message, line, column, path


def _where(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self) -> None:
        self.positions: Positions = {}
        self.nodes = 0
        self.scalars = yaml.SafeLoader("")   # only its scalar constructors are used (int, bool, null, str ...)

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlError(f"the document expands to more than {MAX_NODES} values (anchors and aliases included)",
                            *_where(node), path)
        if depth > MAX_DEPTH:
            raise YamlError(f"the document nests deeper than {MAX_DEPTH} levels", *_where(node), path)
        if node.tag not in _PLAIN_TAGS:
            raise YamlError(f"the tag `{node.tag}` is not allowed: a challenge file holds plain text, numbers, "
                            "lists and mappings", *_where(node), path)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.positions[path + (index,)] = _where(item)
                items.append(self.build(item, path + (index,), depth + 1))
            return items
        try:
            return self.scalars.construct_object(node)
        except yaml.YAMLError as error:
            raise YamlError(f"cannot read this value: {getattr(error, 'problem', None) or error}", *_where(node),
                            path) from None

    def entries(self, node: yaml.MappingNode, path: Path, depth: int) -> list[tuple[yaml.Node, yaml.Node]]:
        """The mapping's own entries, with `<<: *anchor` merge keys expanded (own keys win, as YAML 1.1 says)."""
        own, merged = [], []
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise YamlError("`<<` merges mappings only", *_where(source), path)
                    merged += self.entries(source, path, depth + 1)
            else:
                own.append((key, value))
        names = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        return own + [(k, v) for k, v in merged if not (isinstance(k, yaml.ScalarNode) and k.value in names)]

    def mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in self.entries(node, path, depth):
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise YamlError("keys must be plain text", *_where(key_node), path)
            key = key_node.value
            if key in out:
                first = self.positions[path + (key,)]
                raise YamlError(f"`{key}` is written twice in this mapping (first at line {first[0]})",
                                *_where(key_node), path + (key,))
            self.positions[path + (key,)] = _where(key_node)
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out


def load(text: str) -> tuple[Any, Positions]:
    """(value, positions) of one YAML document; YamlError with a position for anything wrong."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError(f"not valid YAML: {error.problem or error.context}", line, column) from None
    except yaml.YAMLError as error:
        raise YamlError(f"not valid YAML: {error}") from None
    finally:
        loader.dispose()
    if node is None:
        raise YamlError("the file is empty")
    builder = _Builder()
    value = builder.build(node, (), 0)
    builder.positions.setdefault((), _where(node))
    return value, builder.positions


def position_of(positions: Positions, path: Path) -> tuple[Path, tuple[int, int]]:
    """The longest prefix of `path` that is a place in the file, and its (line, column)."""
    for end in range(len(path), -1, -1):
        if path[:end] in positions:
            return path[:end], positions[path[:end]]
    return (), (1, 1)


def dotted(path: Path) -> str:
    """`checks[2].expect` for ("checks", 2, "expect")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the file)"
