"""Condition operators (IAM User Guide: reference_policies_elements_condition_operators,
reference_policies_multi-value-conditions).

Each operator is a positive test `test(prepared_policy_value, request_value) -> bool` plus flags. Negated
operators (StringNotEquals, NotIpAddress, ArnNotLike, ...) are the positive test inverted *per request value*:
"none of the policy values matches". Policy values are prepared once at parse time; those holding policy
variables are prepared per request after substitution (cached).
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable

from .patterns import ArnPattern, Glob, arn_pattern, glob_segments, split_arn
from .variables import Template, parse_template, resolve

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConditionValueError(ValueError):
    pass


# ---- value preparation (policy side) and tests -------------------------------------------------------------

def _prep_string(segments: tuple[Any, ...]) -> str:
    return "".join(t for t, _ in segments)


def _prep_string_ic(segments: tuple[Any, ...]) -> str:
    return "".join(t for t, _ in segments).casefold()


def _prep_like(segments: tuple[Any, ...]) -> Glob:
    return glob_segments(segments)


def _prep_arn(segments: tuple[Any, ...]) -> ArnPattern:
    return arn_pattern(segments, True)


def _prep_number(segments: tuple[Any, ...]) -> Decimal:
    text = _prep_string(segments)
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ConditionValueError(f"`{text}` is not a number") from None


def parse_date(text: str) -> float:
    """ISO 8601 (date, or date and time with Z/offset; naive = UTC) or epoch seconds -> POSIX timestamp."""
    text = text.strip()
    try:
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return float(text)
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ConditionValueError(f"`{text}` is not an ISO 8601 date or an epoch time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _prep_date(segments: tuple[Any, ...]) -> float:
    return parse_date(_prep_string(segments))


def _prep_bool(segments: tuple[Any, ...]) -> str:
    text = _prep_string(segments).lower()
    if text not in ("true", "false"):
        raise ConditionValueError(f"`{_prep_string(segments)}` is not true or false")
    return text


def _prep_binary(segments: tuple[Any, ...]) -> bytes:
    text = _prep_string(segments)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConditionValueError(f"`{text}` is not base-64") from None


def _prep_ip(segments: tuple[Any, ...]) -> IpNetwork:
    text = _prep_string(segments)
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ConditionValueError(f"`{text}` is not an IP address or CIDR block") from None


def _t_eq(p: str, v: str) -> bool:
    return p == v


def _t_eq_ic(p: str, v: str) -> bool:
    return p == v.casefold()


def _t_glob(p: Glob, v: str) -> bool:
    return bool(p.match(v))


def _to_number(v: str) -> Decimal | None:
    try:
        return Decimal(v.strip())
    except (InvalidOperation, AttributeError):
        return None


def _numeric(cmp: Callable[[Decimal, Decimal], bool]) -> Callable[[Decimal, str], bool]:
    def test(p: Decimal, v: str) -> bool:
        n = _to_number(v)
        return n is not None and cmp(n, p)
    return test


@lru_cache(maxsize=4096)
def _request_date(v: str) -> float | None:
    try:
        return parse_date(v)
    except ConditionValueError:
        return None


def _dated(cmp: Callable[[float, float], bool]) -> Callable[[float, str], bool]:
    def test(p: float, v: str) -> bool:
        t = _request_date(v)
        return t is not None and cmp(t, p)
    return test


def _t_bool(p: str, v: str) -> bool:
    return v.lower() == p


def _t_binary(p: bytes, v: str) -> bool:
    try:
        return base64.b64decode(v, validate=True) == p
    except (binascii.Error, ValueError):
        return v.encode("utf-8", "surrogatepass") == p


@lru_cache(maxsize=4096)
def _ip(v: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(v.strip())
    except ValueError:
        return None


def _t_ip(p: IpNetwork, v: str) -> bool:
    addr = _ip(v)
    return addr is not None and addr.version == p.version and addr in p


def _t_arn(p: ArnPattern, v: str) -> bool:
    return split_arn(v) is not None and bool(p.match(v))


class Operator:
    __slots__ = ("name", "family", "prepare", "test", "negated", "variables", "value_kind")

    def __init__(self, name: str, family: str, prepare: Callable[[tuple[Any, ...]], Any],
                 test: Callable[[Any, str], bool], *, negated: bool = False, variables: bool = False,
                 value_kind: str = "string") -> None:
        self.name = name
        self.family = family
        self.prepare = prepare
        self.test = test
        self.negated = negated
        self.variables = variables  # policy variables are substituted in this operator's values
        self.value_kind = value_kind


_LT = lambda a, b: a < b  # noqa: E731
_LE = lambda a, b: a <= b  # noqa: E731
_GT = lambda a, b: a > b  # noqa: E731
_GE = lambda a, b: a >= b  # noqa: E731
_EQ = lambda a, b: a == b  # noqa: E731

BASE_OPERATORS: dict[str, Operator] = {op.name: op for op in [
    Operator("StringEquals", "String", _prep_string, _t_eq, variables=True),
    Operator("StringNotEquals", "String", _prep_string, _t_eq, negated=True, variables=True),
    Operator("StringEqualsIgnoreCase", "String", _prep_string_ic, _t_eq_ic, variables=True),
    Operator("StringNotEqualsIgnoreCase", "String", _prep_string_ic, _t_eq_ic, negated=True, variables=True),
    Operator("StringLike", "String", _prep_like, _t_glob, variables=True),
    Operator("StringNotLike", "String", _prep_like, _t_glob, negated=True, variables=True),
    Operator("NumericEquals", "Numeric", _prep_number, _numeric(_EQ), value_kind="number"),
    Operator("NumericNotEquals", "Numeric", _prep_number, _numeric(_EQ), negated=True, value_kind="number"),
    Operator("NumericLessThan", "Numeric", _prep_number, _numeric(_LT), value_kind="number"),
    Operator("NumericLessThanEquals", "Numeric", _prep_number, _numeric(_LE), value_kind="number"),
    Operator("NumericGreaterThan", "Numeric", _prep_number, _numeric(_GT), value_kind="number"),
    Operator("NumericGreaterThanEquals", "Numeric", _prep_number, _numeric(_GE), value_kind="number"),
    Operator("DateEquals", "Date", _prep_date, _dated(_EQ), value_kind="date"),
    Operator("DateNotEquals", "Date", _prep_date, _dated(_EQ), negated=True, value_kind="date"),
    Operator("DateLessThan", "Date", _prep_date, _dated(_LT), value_kind="date"),
    Operator("DateLessThanEquals", "Date", _prep_date, _dated(_LE), value_kind="date"),
    Operator("DateGreaterThan", "Date", _prep_date, _dated(_GT), value_kind="date"),
    Operator("DateGreaterThanEquals", "Date", _prep_date, _dated(_GE), value_kind="date"),
    Operator("Bool", "Bool", _prep_bool, _t_bool, value_kind="bool"),
    Operator("BinaryEquals", "Binary", _prep_binary, _t_binary, value_kind="binary"),
    Operator("IpAddress", "IpAddress", _prep_ip, _t_ip, value_kind="ip"),
    Operator("NotIpAddress", "IpAddress", _prep_ip, _t_ip, negated=True, value_kind="ip"),
    Operator("ArnEquals", "Arn", _prep_arn, _t_arn, variables=True, value_kind="arn"),
    Operator("ArnLike", "Arn", _prep_arn, _t_arn, variables=True, value_kind="arn"),
    Operator("ArnNotEquals", "Arn", _prep_arn, _t_arn, negated=True, variables=True, value_kind="arn"),
    Operator("ArnNotLike", "Arn", _prep_arn, _t_arn, negated=True, variables=True, value_kind="arn"),
]}
NULL_OPERATOR = "Null"
QUALIFIERS = ("ForAllValues", "ForAnyValue")
_OPERATORS_LC = {name.lower(): name for name in list(BASE_OPERATORS) + [NULL_OPERATOR]}


def split_operator(text: str) -> tuple[str | None, str, bool]:
    """"ForAnyValue:StringLikeIfExists" -> ("ForAnyValue", "StringLike", True). Raises KeyError if unknown.

    Operator names are matched exactly as AWS documents them (case-sensitive)."""
    qualifier = None
    rest = text
    if ":" in text:
        qualifier, rest = text.split(":", 1)
        if qualifier not in QUALIFIERS:
            raise KeyError(text)
    if_exists = rest.endswith("IfExists")
    base = rest[:-len("IfExists")] if if_exists else rest
    if base == NULL_OPERATOR:
        if if_exists:
            raise KeyError(text)  # "...IfExists" exists for every operator except Null
        return qualifier, base, False
    if base not in BASE_OPERATORS:
        raise KeyError(text)
    return qualifier, base, if_exists


def suggest_operator(text: str) -> str | None:
    base = text.split(":", 1)[-1]
    if base.endswith("IfExists"):
        base = base[:-8]
    return _OPERATORS_LC.get(base.lower())


# ---- outcome reasons (formatted lazily by the trace) ---------------------------------------------------------
R_MATCH = "match"                      # a request value matched a policy value
R_NO_MATCH = "no-match"                # no request value matched any policy value
R_NEG_NONE_MATCHED = "negated-none-matched"
R_NEG_MATCHED = "negated-matched"
R_ABSENT = "absent"                    # key absent: false
R_ABSENT_NEGATED = "absent-negated"    # key absent, negated operator: true
R_ABSENT_IFEXISTS = "absent-ifexists"  # key absent, ...IfExists: true
R_ABSENT_FORALL = "absent-forall"      # key absent, ForAllValues: true
R_ABSENT_FORANY = "absent-forany"      # key absent, ForAnyValue: false
R_FORALL_OK = "forall-all"
R_FORALL_FAIL = "forall-some-failed"
R_FORANY_OK = "forany-one"
R_FORANY_FAIL = "forany-none"
R_NULL_OK = "null-ok"
R_NULL_FAIL = "null-fail"
R_UNRESOLVED = "unresolved"            # every policy value held an unresolvable variable


class Condition:
    """One (operator, key) pair of a Condition block, with its policy values prepared."""

    __slots__ = ("operator", "qualifier", "base", "if_exists", "op", "key", "key_lc", "values", "path",
                 "_prepared", "_templates", "_fast_set", "literal_variables", "value_errors", "line")

    def __init__(self, operator: str, key: str, values: list[str], path: tuple[Any, ...], *, variables_enabled: bool) -> None:
        self.operator = operator
        self.qualifier, self.base, self.if_exists = split_operator(operator)
        self.op = BASE_OPERATORS.get(self.base)
        self.key = key
        self.key_lc = key.lower()
        self.line: int | None = None  # where the key is written, when parsed from text
        self.values = values
        self.path = path
        self._templates: list[tuple[int, Template]] = []
        self._prepared: list[Any] = []
        self._fast_set = None
        self.literal_variables = False
        self.value_errors: list[tuple[int, str]] = []  # (value index, message): such a value never matches
        if self.op is None:  # Null
            self._prepared = [v.lower() for v in values]
            return
        for i, value in enumerate(values):
            template = parse_template(value) if (variables_enabled and self.op.variables) else None
            if template is not None:
                self._templates.append((i, template))
                self._prepared.append(None)
            else:
                if "${" in value:
                    self.literal_variables = True
                try:
                    self._prepared.append(self.op.prepare(((value, True),)))
                except ConditionValueError as exc:
                    self.value_errors.append((i, str(exc)))
                    self._prepared.append(None)
        if self.base in ("StringEquals", "StringNotEquals") and not self._templates:
            self._fast_set = frozenset(self._prepared)

    @property
    def has_variables(self) -> bool:
        """Whether a policy value holds a variable (${aws:username}...): its answer depends on more than its key."""
        return bool(self._templates)

    @property
    def prepared(self) -> tuple[Any, ...]:
        """The policy values as the operator compares them (Null: "true"/"false", lowercased; None where a value
        holds a policy variable or is invalid)."""
        return tuple(self._prepared)

    # Values as the trace shows them, after variable substitution (None = unresolvable).
    def resolved(self, context_lc: dict[str, Any]) -> tuple[list[Any], list[str | None]]:
        if not self._templates:
            return list(self._prepared), list(self.values)
        prepared = list(self._prepared)
        shown: list[str | None] = list(self.values)
        for i, template in self._templates:
            segments = resolve(template, context_lc)
            if segments is None:
                prepared[i] = None
                shown[i] = None
            else:
                shown[i] = "".join(t for t, _ in segments)
                try:
                    prepared[i] = _prepare_cached(self.base, segments)
                except ConditionValueError:
                    prepared[i] = None
        return prepared, shown

    def evaluate(self, context_lc: dict[str, Any]) -> tuple[bool, str, list[str | None], list[str] | None]:
        """-> (outcome, reason code, policy values shown, request values or None when absent)."""
        raw = context_lc.get(self.key_lc)
        request_values: list[str] | None
        if raw is None or raw == []:
            request_values = None
        elif isinstance(raw, list):
            request_values = raw
        else:
            request_values = [raw]

        if self.op is None:  # Null: "true" = key absent, "false" = key present
            absent = request_values is None
            ok = ("true" if absent else "false") in self._prepared
            values: list[str | None] = list(self.values)
            return ok, (R_NULL_OK if ok else R_NULL_FAIL), values, request_values

        prepared, shown = self.resolved(context_lc)
        negated = self.op.negated
        if request_values is None:
            if self.if_exists:
                return True, R_ABSENT_IFEXISTS, shown, None
            if self.qualifier == "ForAllValues":
                return True, R_ABSENT_FORALL, shown, None
            if self.qualifier == "ForAnyValue":
                return False, R_ABSENT_FORANY, shown, None
            if negated:
                return True, R_ABSENT_NEGATED, shown, None
            return False, R_ABSENT, shown, None

        live = [p for p in prepared if p is not None] if (self._templates or self.value_errors) else prepared
        if not live:
            # Every policy value held an unresolvable variable (or was invalid), so no value can match: a
            # positive operator fails; a negated one ("matches none") holds, with or without a set qualifier.
            return negated, R_UNRESOLVED, shown, request_values

        fast = self._fast_set
        test = self.op.test

        def one(value: str) -> bool:  # positive test of one request value against all policy values
            if fast is not None:
                return value in fast
            for p in live:
                if test(p, value):
                    return True
            return False

        if self.qualifier is None:
            hit = any(one(v) for v in request_values)
            if negated:
                return (not hit), (R_NEG_MATCHED if hit else R_NEG_NONE_MATCHED), shown, request_values
            return hit, (R_MATCH if hit else R_NO_MATCH), shown, request_values
        per_value = [(not one(v)) if negated else one(v) for v in request_values]
        if self.qualifier == "ForAllValues":
            ok = all(per_value)
            return ok, (R_FORALL_OK if ok else R_FORALL_FAIL), shown, request_values
        ok = any(per_value)
        return ok, (R_FORANY_OK if ok else R_FORANY_FAIL), shown, request_values


@lru_cache(maxsize=8192)
def _prepare_cached(base: str, segments: tuple[Any, ...]) -> Any:
    return BASE_OPERATORS[base].prepare(segments)


def coerce_condition_value(value: Any) -> str | None:
    """JSON scalar -> the string IAM compares (true/false for booleans); None for unsupported types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return None
