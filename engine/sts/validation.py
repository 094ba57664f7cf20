"""Parameter validation exactly as the STS service model states it, with AWS's wire messages.

Constraints come from botocore's copy of the model (botocore/data/sts/2011-06-15/service-2.json), loaded once, so
lengths, ranges and patterns are AWS's own. AWS reports every violation in one ValidationError:
    1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [\\w+=,.@-]*
(observed [GH:JuliaCloud/AWSCore.jl#38]); several are joined with "; " after "N validation errors detected: ".
Member paths are lowerCamel ('roleSessionName', 'tags.1.member.key'); a missing required member is
"Value null at 'roleArn' failed to satisfy constraint: Member must not be null".

Patterns are Java regexes: `\\w` and `\\d` are ASCII-only there (re.ASCII here), and `\\p{L}\\p{Z}\\p{N}` (tag keys and
values) have no `re` equivalent, so those classes are checked with unicodedata.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Callable

from engine.errors import ValidationError

_TAG_EXTRA = set("_.:/=+-@")


def _tag_char_ok(ch: str) -> bool:
    return ch in _TAG_EXTRA or unicodedata.category(ch)[0] in ("L", "Z", "N")


@lru_cache(maxsize=1)
def sts_model() -> dict[str, Any]:
    import botocore.loaders
    model: dict[str, Any] = botocore.loaders.Loader().load_service_model("sts", "service-2")
    return model


@lru_cache(maxsize=256)
def _pattern_checker(pattern: str) -> Callable[[str], bool]:
    if "\\p{" in pattern:
        allow_empty = pattern.endswith("*")
        return lambda value: (allow_empty or bool(value)) and all(_tag_char_ok(c) for c in value)
    compiled = re.compile(pattern, re.ASCII | re.DOTALL)
    return lambda value: compiled.fullmatch(value) is not None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, list):
        return "'[" + ", ".join(_render_plain(v) for v in value) + "]'"
    return f"'{value}'"


def _render_plain(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
    return str(value)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        self.errors.append(f"Value {_render(value)} at '{path}' failed to satisfy constraint: {constraint}")


def _coerce_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        return int(value)
    return None


def _check(shape_name: str, value: Any, path: str, out: _Collector, model: dict[str, Any]) -> Any:
    """Validate one value against its shape; returns the value coerced to its type (ints from query strings)."""
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    if kind == "string":
        if not isinstance(value, str):
            value = str(value)
        if "min" in shape and len(value) < shape["min"]:
            out.add(value, path, f"Member must have length greater than or equal to {shape['min']}")
        if "max" in shape and len(value) > shape["max"]:
            out.add(value, path, f"Member must have length less than or equal to {shape['max']}")
        if "pattern" in shape and not _pattern_checker(shape["pattern"])(value):
            out.add(value, path, f"Member must satisfy regular expression pattern: {shape['pattern']}")
        if "enum" in shape and value not in shape["enum"]:
            out.add(value, path, "Member must satisfy enum value set: [" + ", ".join(shape["enum"]) + "]")
        return value
    if kind in ("integer", "long"):
        number = _coerce_int(value)
        if number is None:
            # Coral answers a non-numeric query value for an integer member with a ValidationError as well
            out.add(value, path, "Member must be a number")
            return value
        if "min" in shape and number < shape["min"]:
            out.add(number, path, f"Member must have value greater than or equal to {shape['min']}")
        if "max" in shape and number > shape["max"]:
            out.add(number, path, f"Member must have value less than or equal to {shape['max']}")
        return number
    if kind == "boolean":
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)
    if kind == "list":
        if not isinstance(value, list):
            value = [value]
        if "min" in shape and len(value) < shape["min"]:
            out.add(value, path, f"Member must have length greater than or equal to {shape['min']}")
        if "max" in shape and len(value) > shape["max"]:
            out.add(value, path, f"Member must have length less than or equal to {shape['max']}")
        member = shape["member"]["shape"]
        return [_check(member, item, f"{path}.{i}.member", out, model) for i, item in enumerate(value, 1)]
    if kind == "structure":
        if not isinstance(value, dict):
            out.add(value, path, "Member must be a structure")
            return value
        result: dict[str, Any] = {}
        members = shape.get("members", {})
        for required in shape.get("required", []):
            if value.get(required) is None:
                out.add(None, _join(path, _camel(required)), "Member must not be null")
        for name, item in value.items():
            spec = members.get(name)
            if spec is None or item is None:
                continue            # unknown members are ignored, as the query protocol does
            result[name] = _check(spec["shape"], item, _join(path, _camel(name)), out, model)
        return result
    return value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def format_errors(errors: list[str]) -> str:
    count = len(errors)
    noun = "validation error" if count == 1 else "validation errors"
    return f"{count} {noun} detected: " + "; ".join(errors)


def validate(operation: str, params: dict[str, Any], extra: list[str] | None = None) -> dict[str, Any]:
    """Check `params` (boto3-style input dict) for `operation`; return them coerced (ints); raise ValidationError.

    `extra` are pre-rendered violations of rules the docs state but the model does not (e.g. PolicyArns <= 10).
    """
    model = sts_model()
    op = model["operations"].get(operation)
    if op is None:
        raise ValidationError(f"Unknown operation {operation}", code="InvalidAction")
    out = _Collector()
    input_shape = op.get("input", {}).get("shape")
    cleaned = _check(input_shape, params or {}, "", out, model) if input_shape else {}
    errors = out.errors + list(extra or [])
    if errors:
        raise ValidationError(format_errors(errors))
    return cleaned


def constraint_error(value: Any, path: str, constraint: str) -> str:
    """One rendered violation, for rules checked outside the model (see `validate(extra=...)`)."""
    out = _Collector()
    out.add(value, path, constraint)
    return out.errors[0]


def params_from_query(operation: str, flat: dict[str, str]) -> dict[str, Any]:
    """Turn query-protocol parameters (Tags.member.1.Key=..., PolicyArns.member.2.arn=...) into a boto3-style dict.

    Only the members the model declares are kept; list items are ordered by their index.
    """
    model = sts_model()
    op = model["operations"].get(operation)
    if op is None or "input" not in op:
        return {}
    members = model["shapes"][op["input"]["shape"]].get("members", {})
    result: dict[str, Any] = {}
    for name, spec in members.items():
        shape = model["shapes"][spec["shape"]]
        if shape["type"] != "list":
            if name in flat:
                result[name] = flat[name]
            continue
        prefix = f"{name}.member."
        items: dict[int, Any] = {}
        member_shape = model["shapes"][shape["member"]["shape"]]
        for key, value in flat.items():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            index_text, _, field = rest.partition(".")
            if not index_text.isdigit():
                continue
            index = int(index_text)
            if member_shape["type"] == "structure":
                items.setdefault(index, {})[field] = value
            elif not field:
                items[index] = value
        if items:
            result[name] = [items[i] for i in sorted(items)]
        elif flat.get(name) == "":
            result[name] = []
    return result
