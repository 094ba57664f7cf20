"""Lab control's one registry: every remotable method is a typed method of a Protocol (engine/ports.py,
gateway/ports.py), and both ends of lab control are derived from its type hints (typing.get_type_hints: real types,
not annotation strings).

- `expose(port, impl, namespace)`: the server's handlers, `<namespace>.<method>` -> handler(JSON arguments). Each
  argument is checked and rebuilt by its type (str with a length limit, int, float (finite), bool, None, datetime,
  bytes, list[...], dict[str, ...], tuple[...], dataclasses field by field, unions); unknown or missing arguments are
  refused. A method whose types cannot be checked fails when it is exposed (at start-up), so nothing crosses lab
  control unchecked.
- `remote_class(ports)`: the client: one method per Protocol method, with the same signature, sending the bound
  arguments and rebuilding the answer by the return type (a dataclass as that dataclass, a DecisionView as
  gateway.control.wire.RemoteDecision).

PORTS names every Protocol lab control serves, once. A new method on one of them is served and callable with no
edit here; a new Protocol is one line in PORTS (and its implementation in LabControlApp.implementations, unless the Lab serves it: LAB_PORTS).
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import types
import typing
from datetime import datetime
from typing import Any, Callable, Union

from engine.ports import (DecisionPort, DecisionView, GraphPort, JwksPort, MaxLength, MfaPort, SandboxPort,
                          SessionPort, TrailPort, port_methods)

from ..ports import ControlPort, ImdsPort, WorldPort
from .wire import LabControlError, RemoteDecision, to_wire

# namespace -> Protocol. The Lab's own ports (LAB_PORTS) are what engine.ports.LabPort combines.
LAB_PORTS: typing.Final = types.MappingProxyType({
    "sandboxes": SandboxPort, "decisions": DecisionPort, "sessions": SessionPort, "jwks": JwksPort, "mfa": MfaPort,
    "graph": GraphPort})
PORTS: typing.Final = types.MappingProxyType({
    **LAB_PORTS, "trail": TrailPort, "world": WorldPort, "imds": ImdsPort, "control": ControlPort})

DEFAULT_TEXT_LIMIT = 2048

Decode = Callable[[Any, str], Any]
Handler = Callable[[dict[str, Any]], Any]


class BadArguments(ValueError):
    """A control call's arguments do not match the method's types (lab control answers 400)."""


# ------------------------------------------------------------------------------------------------ decoders by type
def decoder(hint: Any, *, top: bool = False, limits: bool = True) -> Decode:
    """A function checking a wire value against `hint` and rebuilding it (dataclasses, tuples). `top`: a parameter
    itself (text must not be empty); `limits`: apply text length limits (arguments, not answers)."""
    limit = DEFAULT_TEXT_LIMIT
    if typing.get_origin(hint) is typing.Annotated:
        base, *extras = typing.get_args(hint)
        limit = next((extra.limit for extra in extras if isinstance(extra, MaxLength)), limit)
        hint = base
    if hint is Any:
        return lambda value, where: value
    if hint is type(None) or hint is None:
        return _exactly(None)
    if hint is str:
        return _text(limit if limits else None, non_empty=top and limits)
    if hint is bool:
        return _kind(bool)
    if hint is int:
        return _integer
    if hint is float:
        return _number
    if hint is datetime:
        return _kind(datetime)
    if hint is bytes:
        return _kind(bytes)
    if hint is DecisionView:
        return _decision
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return _union([decoder(arg, top=top, limits=limits) for arg in args], args)
    if origin is list:
        return _list(decoder(args[0], limits=limits))
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"lab control carries dicts with str keys only, not {hint}")
        return _dict(decoder(args[1], limits=limits))
    if origin is tuple and args and args[-1] is not Ellipsis:
        return _tuple([decoder(arg, limits=limits) for arg in args])
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass(hint, limits)
    raise TypeError(f"lab control has no check for values of type {hint!r}: use JSON-safe types or a dataclass")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _exactly(expected: None) -> Decode:
    def check(value: Any, where: str) -> None:
        if value is not expected:
            raise BadArguments(f"`{where}` must be null, got {_type_name(value)}")
    return check


def _kind(kind: type) -> Decode:
    def check(value: Any, where: str) -> Any:
        # bool is an int to Python, never a number or an id here (and the reverse)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise BadArguments(f"`{where}` must be {kind.__name__}, got {_type_name(value)}")
        return value
    return check


def _text(limit: int | None, *, non_empty: bool) -> Decode:
    def check(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise BadArguments(f"`{where}` must be str, got {_type_name(value)}")
        if (non_empty and not value) or (limit is not None and len(value) > limit):
            raise BadArguments(f"`{where}` must be {1 if non_empty else 0} to {limit} characters")
        return value
    return check


def _integer(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadArguments(f"`{where}` must be int, got {_type_name(value)}")
    return value


def _number(value: Any, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise BadArguments(f"`{where}` must be int or float, got {_type_name(value)}")
    if not math.isfinite(value):
        raise BadArguments(f"`{where}` must be a finite number")
    return float(value)


def _decision(value: Any, where: str) -> RemoteDecision:
    if not isinstance(value, dict):
        raise BadArguments(f"`{where}` must be a decision, got {_type_name(value)}")
    return RemoteDecision(value)


def _union(options: list[Decode], hints: tuple[Any, ...]) -> Decode:
    def check(value: Any, where: str) -> Any:
        errors = []
        for option in options:
            try:
                return option(value, where)
            except BadArguments as error:
                errors.append(str(error))
        if value is not None and type(None) in hints and len(options) == 2:
            raise BadArguments(errors[0] if hints[0] is not type(None) else errors[1])
        raise BadArguments(f"`{where}` matches none of {' | '.join(_hint_name(h) for h in hints)}")
    return check


def _hint_name(hint: Any) -> str:
    return "null" if hint is type(None) else getattr(hint, "__name__", str(hint))


def _list(item: Decode) -> Decode:
    def check(value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise BadArguments(f"`{where}` must be a list, got {_type_name(value)}")
        return [item(element, f"{where}[{index}]") for index, element in enumerate(value)]
    return check


def _dict(item: Decode) -> Decode:
    def check(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            raise BadArguments(f"`{where}` must be an object with text keys, got {_type_name(value)}")
        return {key: item(element, f"{where}[{key!r}]") for key, element in value.items()}
    return check


def _tuple(items: list[Decode]) -> Decode:
    def check(value: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            raise BadArguments(f"`{where}` must be a list of {len(items)} items")
        return tuple(item(element, f"{where}[{index}]") for index, (item, element) in enumerate(zip(items, value)))
    return check


def _dataclass(cls: type, limits: bool) -> Decode:
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    checks = {name: decoder(hints[name], top=True, limits=limits) for name in fields}
    required = {name for name, f in fields.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}

    def check(value: Any, where: str) -> Any:
        if not isinstance(value, dict):
            raise BadArguments(f"`{where}` must be an object ({cls.__name__}), got {_type_name(value)}")
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise BadArguments(f"`{where}` has unexpected field(s): {', '.join(unknown)}")
        missing = sorted(required - set(value))
        if missing:
            raise BadArguments(f"`{where}` is missing `{missing[0]}`")
        return cls(**{name: checks[name](item, f"{where}.{name}") for name, item in value.items()})
    return check


# ------------------------------------------------------------------------------------------------ both ends
@dataclasses.dataclass(frozen=True)
class MethodTypes:
    """A Protocol method's wire contract, from its type hints."""
    name: str
    signature: inspect.Signature
    arguments: dict[str, Decode]
    required: frozenset[str]
    answer: Decode


def method_types(port: type, name: str, signature: inspect.Signature) -> MethodTypes:
    function = next(vars(klass)[name] for klass in port.__mro__ if name in vars(klass))
    try:
        hints = typing.get_type_hints(function, include_extras=True)
        arguments = {p: decoder(hints[p], top=True) for p in signature.parameters}
        answer = decoder(hints["return"], limits=False)
    except (TypeError, KeyError, NameError) as error:
        raise TypeError(f"{port.__name__}.{name} cannot cross lab control: {error}") from None
    required = frozenset(p.name for p in signature.parameters.values() if p.default is inspect.Parameter.empty)
    return MethodTypes(name, signature, arguments, required, answer)


def port_types(port: type) -> list[MethodTypes]:
    return [method_types(port, name, signature) for name, signature in port_methods(port).items()]


def expose(port: type, impl: Any, namespace: str) -> dict[str, Handler]:
    """`<namespace>.<method>` -> handler(arguments) for every method of `port`, calling `impl`'s."""
    handlers: dict[str, Handler] = {}
    for method in port_types(port):
        bound = getattr(impl, method.name, None)
        if not callable(bound):
            raise TypeError(f"{type(impl).__name__} does not implement {port.__name__}.{method.name}")
        handlers[f"{namespace}.{method.name}"] = _handler(method, bound)
    return handlers


def _handler(method: MethodTypes, bound: Callable[..., Any]) -> Handler:
    def handle(args: dict[str, Any]) -> Any:
        unknown = sorted(set(args) - set(method.arguments))
        if unknown:
            raise BadArguments(f"unexpected argument(s): {', '.join(unknown)}")
        missing = sorted(method.required - set(args))
        if missing:
            raise BadArguments(f"missing argument `{missing[0]}`")
        values = {name: method.arguments[name](value, name) for name, value in args.items()}
        return to_wire(bound(**values))
    return handle


def remote_class(ports: typing.Mapping[str, type], name: str) -> type:
    """A class with every method of `ports`, each sending `<namespace>.<method>` through `self._send(name, args)`
    (which the class using it provides) and rebuilding the answer by its return type."""
    methods: dict[str, Any] = {"__doc__": f"{', '.join(p.__name__ for p in ports.values())}, answered over lab control."}
    for namespace, port in ports.items():
        for method in port_types(port):
            methods[method.name] = _remote_method(f"{namespace}.{method.name}", method, port)
    return type(name, (), methods)


def _remote_method(wire_name: str, method: MethodTypes, port: type) -> Callable[..., Any]:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = method.signature.bind(*args, **kwargs)
        bound.apply_defaults()   # the gateway sees every argument
        answer = self._send(wire_name, bound.arguments)
        try:
            return method.answer(answer, "answer")
        except BadArguments as error:
            raise LabControlError(f"the gateway's answer to {wire_name} does not match its type: {error}") from None

    call.__name__ = method.name
    call.__qualname__ = f"Remote.{method.name}"
    call.__doc__ = f"{port.__module__}.{port.__name__}.{method.name}, answered by the gateway process."
    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    call.__signature__ = method.signature.replace(  # type: ignore[attr-defined]
        parameters=[self_parameter, *method.signature.parameters.values()])
    return call
