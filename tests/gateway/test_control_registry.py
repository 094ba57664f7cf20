"""gateway.control.registry: lab control derived from the Protocols' type hints, both ends (issue 24, item 1).

The mistakes each test makes: an argument of the wrong type reaching the Lab, a missing or unknown argument passing,
text over its limit passing, a non-finite number passing, a method whose types cannot be checked being served, a
RemoteLab method whose signature drifts from the Protocol, a malformed gateway answer handed to the web layer as if
it were the Lab's, a dataclass answer arriving as a dict. In-process: LabControlApp called as WSGI, no sockets.
"""
from __future__ import annotations

import inspect
import io
import json
from datetime import datetime, timezone
from typing import Any, Protocol

import pytest

from engine.directory import MfaDeviceInfo
from engine.lab import Lab
from engine.ports import LabPort, port_methods
from gateway.control import registry
from gateway.control.client import RemoteLab
from gateway.control.registry import BadArguments, decoder, expose, remote_class
from gateway.control.server import LabControlApp
from gateway.control.wire import LabControlError, RemoteDecision

TOKEN = "t" * 32


def call(app: LabControlApp, method: str, args: Any) -> tuple[int, dict[str, Any]]:
    body = json.dumps(args).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": f"/_lab/v1/{method}", "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": "application/json", "wsgi.input": io.BytesIO(body),
               "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    status: list[str] = []
    chunks = app(environ, lambda s, h, exc=None: status.append(s))
    return int(status[0].split()[0]), json.loads(b"".join(chunks))


@pytest.fixture()
def app() -> LabControlApp:
    def not_the_gateway(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise AssertionError("lab control answered this itself")
    return LabControlApp(not_the_gateway, token=TOKEN, lab=Lab(), moto=object())


def test_every_method_of_every_port_is_served_under_its_namespace(app: LabControlApp) -> None:
    expected = {f"{namespace}.{name}" for namespace, port in registry.PORTS.items() for name in port_methods(port)}
    assert set(app.handlers) == expected
    assert {"sandboxes.register_sandbox", "trail.drain", "world.call", "imds.handle", "control.ping"} <= expected
    # nothing the engine's own process alone may call is reachable
    assert not {name for name in app.handlers if name.split(".")[1] in ("authenticate", "sts", "authorize_call")}


def test_arguments_are_checked_by_their_types(app: LabControlApp) -> None:
    assert call(app, "sandboxes.register_sandbox", {"sandbox_id": "sb-1", "accounts": {"production": "111122223333"}})[0] == 200
    status, answer = call(app, "sandboxes.register_sandbox", {"sandbox_id": "sb-2", "accounts": {"production": 7}})
    assert status == 400 and "`accounts['production']` must be str, got int" in answer["error"]["message"]
    status, answer = call(app, "sandboxes.advance_clock", {"sandbox_id": "sb-1", "seconds": "soon"})
    assert status == 400 and "must be int or float" in answer["error"]["message"]
    status, answer = call(app, "sandboxes.advance_clock", {"sandbox_id": "sb-1", "seconds": True})
    assert status == 400 and "must be int or float, got bool" in answer["error"]["message"]
    status, answer = call(app, "sandboxes.advance_clock", {"sandbox_id": "sb-1"})
    assert status == 400 and "missing argument `seconds`" in answer["error"]["message"]
    status, answer = call(app, "sandboxes.advance_clock", {"sandbox_id": "sb-1", "seconds": 1, "extra": 2})
    assert status == 400 and "unexpected argument(s): extra" in answer["error"]["message"]
    status, answer = call(app, "sessions.sessions", {"sandbox_id": "sb-1", "include_expired": "yes"})
    assert status == 400 and "must be bool" in answer["error"]["message"]
    status, answer = call(app, "mfa.mfa_verify_enable", {"serial": "s", "seed": "x", "code1": "1" * 17, "code2": "2"})
    assert status == 400 and "1 to 16 characters" in answer["error"]["message"]
    status, answer = call(app, "sandboxes.forget_sandbox", {"sandbox_id": ""})
    assert status == 400 and "1 to 2048 characters" in answer["error"]["message"]
    status, answer = call(app, "sessions.sandbox_of_key", {"access_key_id": "A" * 129})
    assert status == 400 and "1 to 128 characters" in answer["error"]["message"]
    status, answer = call(app, "sandboxes.now", {"sandbox_id": ["sb-1"]})
    assert status == 400 and "`sandbox_id` must be str, got list" in answer["error"]["message"]
    # defaults apply when an optional argument is left out; the answer is the Lab's own
    status, answer = call(app, "sessions.sessions", {"sandbox_id": "sb-1"})
    assert status == 200 and answer["result"] == []
    status, answer = call(app, "sandboxes.accounts_of", {"sandbox_id": "sb-1"})
    assert status == 200 and answer["result"] == {"production": "111122223333"}
    status, answer = call(app, "sandboxes.now", {"sandbox_id": None})   # `str | None`: null is an answer too
    assert status == 200 and set(answer["result"]) == {"$datetime"}


def test_a_dataclass_argument_is_rebuilt_field_by_field(app: LabControlApp) -> None:
    status, answer = call(app, "world.call", {"request": {"service": "iam", "operation": "ListUsers"}})
    assert status == 400 and "`request` is missing `account_id`" in answer["error"]["message"]
    status, answer = call(app, "world.call", {"request": {"service": "iam", "operation": "ListUsers",
                                                          "account_id": "111122223333", "shell": "rm -rf /"}})
    assert status == 400 and "unexpected field(s): shell" in answer["error"]["message"]
    status, answer = call(app, "world.call", {"request": {"service": "iam", "operation": "ListUsers",
                                                          "account_id": "1111222233334444"}})
    assert status == 400 and "`request.account_id` must be 1 to 12 characters" in answer["error"]["message"]


def test_a_dataclass_answer_crosses_as_its_fields(app: LabControlApp, monkeypatch: pytest.MonkeyPatch) -> None:
    device = MfaDeviceInfo(serial_number="arn:aws:iam::111122223333:mfa/phone", account="111122223333",
                           seed="JBSWY3DPEHPK3PXP", user_name="oncall")
    monkeypatch.setattr(Lab, "mfa_device", lambda self, serial_number: device)
    app = LabControlApp(app.app, token=TOKEN, lab=Lab(), moto=object())
    status, answer = call(app, "mfa.mfa_device", {"serial_number": device.serial_number})
    assert status == 200 and answer["result"] == {"serial_number": device.serial_number, "account": "111122223333",
                                                  "seed": "JBSWY3DPEHPK3PXP", "user_name": "oncall"}
    # and the client side rebuilds the dataclass from the answer's type
    assert decoder(MfaDeviceInfo | None, limits=False)(answer["result"], "answer") == device


def test_decoders_refuse_what_their_type_does_not_allow() -> None:
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert decoder(datetime)(when, "at") == when
    with pytest.raises(BadArguments, match="must be datetime, got str"):
        decoder(datetime)("2030-01-01", "at")
    with pytest.raises(BadArguments, match="finite"):
        decoder(float)(float("inf"), "seconds")
    with pytest.raises(BadArguments, match="must be int, got bool"):
        decoder(int)(True, "limit")
    assert decoder(tuple[str, str])(["AKIA", "secret"], "pair") == ("AKIA", "secret")
    with pytest.raises(BadArguments, match="list of 2 items"):
        decoder(tuple[str, str])(["AKIA"], "pair")
    with pytest.raises(BadArguments, match="text keys"):
        decoder(dict[str, int])([1], "counts")
    assert decoder(Any)({"a": [1]}, "x") == {"a": [1]}
    assert decoder(str | None, top=True)(None, "sandbox_id") is None


def test_a_method_whose_types_cannot_be_checked_is_refused_when_exposed() -> None:
    class Port(Protocol):
        def register(self, sandbox_id: str, callback: object) -> None: ...

    class Impl:
        def register(self, sandbox_id: str, callback: object) -> None: ...

    with pytest.raises(TypeError, match="Port.register cannot cross lab control: .*no check for values of type"):
        expose(Port, Impl(), "test")

    class Keys(Protocol):
        def keys(self, by_number: dict[int, str]) -> None: ...

    with pytest.raises(TypeError, match="str keys only"):
        expose(Keys, type("K", (), {"keys": lambda self, by_number: None})(), "test")


def test_an_implementation_missing_a_method_is_refused() -> None:
    with pytest.raises(TypeError, match="does not implement SandboxPort.register_sandbox"):
        expose(registry.PORTS["sandboxes"], object(), "sandboxes")


@pytest.mark.parametrize("name", sorted(port_methods(LabPort)))
def test_remote_lab_has_every_lab_port_method_with_the_same_parameters(name: str) -> None:
    implementation = getattr(RemoteLab, name, None)
    assert callable(implementation), f"RemoteLab has no method {name}"
    actual = inspect.signature(implementation)
    actual = actual.replace(parameters=list(actual.parameters.values())[1:])
    shape = [(p.name, p.kind, p.default) for p in actual.parameters.values()]
    assert shape == [(p.name, p.kind, p.default) for p in port_methods(LabPort)[name].parameters.values()]


class _Canned:
    """A transport stand-in: whatever the 'gateway' answers."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def call(self, name: str, **args: Any) -> Any:
        self.sent.append((name, args))
        return self.answer


def test_the_client_binds_defaults_and_checks_the_answer_by_its_type() -> None:
    Client = remote_class(registry.LAB_PORTS, "Client")
    canned = _Canned([{"allowed": False, "reason": "no", "effect": "ImplicitDeny"}])
    client = type("C", (Client,), {"_send": lambda self, name, args: canned.call(name, **args)})()
    [decision] = client.decisions("req-1")
    assert isinstance(decision, RemoteDecision) and not decision.allowed
    client.sessions("sb-1")
    assert canned.sent[-1] == ("sessions.sessions", {"sandbox_id": "sb-1", "include_expired": False})
    canned.answer = "not a datetime"
    with pytest.raises(LabControlError, match="answer to sandboxes.now does not match its type"):
        client.now("sb-1")
    canned.answer = {"serial": "s", "step": "seven", "verified_at": 1.0}
    with pytest.raises(LabControlError, match="step"):
        client.mfa_verify_enable("s", "seed", "1", "2")


def test_ports_take_and_return_only_what_lab_control_can_carry() -> None:
    """Every Protocol in PORTS passes the registry's checks (a new method with, say, an engine object as argument
    fails here and at gateway start)."""
    for port in registry.PORTS.values():
        for method in registry.port_types(port):
            assert method.arguments.keys() == method.signature.parameters.keys()
