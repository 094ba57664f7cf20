"""Lab control serves every engine.ports.LabPort method by deriving its argument checks from the Protocol's
annotations (issue 8: adding engine state that web processes reach is one method on the Protocol and its Lab
implementation). In-process: LabControlApp called as WSGI, no sockets."""
from __future__ import annotations

import inspect
import io
import json
from typing import Any

import pytest

from engine.lab import Lab
from engine.ports import port_methods
from gateway.control import server
from gateway.control.server import LAB_METHODS, LabControlApp

TOKEN = "t" * 32


def call(app: LabControlApp, method: str, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
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


def test_every_port_method_is_served_with_its_own_argument_names() -> None:
    for name, signature in port_methods().items():
        assert LAB_METHODS[name][0] == tuple(signature.parameters), name


def test_arguments_are_checked_by_their_annotations(app: LabControlApp) -> None:
    assert call(app, "register_sandbox", {"sandbox_id": "sb-1", "accounts": {"production": "111122223333"}})[0] == 200
    status, answer = call(app, "register_sandbox", {"sandbox_id": "sb-2", "accounts": {"production": 7}})
    assert status == 400 and "must map strings to strings" in answer["error"]["message"]
    status, answer = call(app, "advance_clock", {"sandbox_id": "sb-1", "seconds": "soon"})
    assert status == 400 and "must be int or float" in answer["error"]["message"]
    status, answer = call(app, "advance_clock", {"sandbox_id": "sb-1"})
    assert status == 400 and "missing argument `seconds`" in answer["error"]["message"]
    status, answer = call(app, "sessions", {"sandbox_id": "sb-1", "include_expired": "yes"})
    assert status == 400 and "must be bool" in answer["error"]["message"]
    status, answer = call(app, "mfa_verify_enable", {"serial": "s", "seed": "x", "code1": "1" * 17, "code2": "2"})
    assert status == 400 and "1 to 16 characters" in answer["error"]["message"]
    # defaults apply when an optional argument is left out; the answer is the Lab's own
    status, answer = call(app, "sessions", {"sandbox_id": "sb-1"})
    assert status == 200 and answer["result"] == []
    status, answer = call(app, "accounts_of", {"sandbox_id": "sb-1"})
    assert status == 200 and answer["result"] == {"production": "111122223333"}


def test_a_dataclass_answer_crosses_as_its_fields(app: LabControlApp, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.directory import MfaDeviceInfo

    device = MfaDeviceInfo(serial_number="arn:aws:iam::111122223333:mfa/phone", account="111122223333",
                           seed="JBSWY3DPEHPK3PXP", user_name="oncall")
    monkeypatch.setattr(Lab, "mfa_device", lambda self, serial_number: device)
    status, answer = call(app, "mfa_device", {"serial_number": device.serial_number})
    assert status == 200 and answer["result"] == {"serial_number": device.serial_number, "account": "111122223333",
                                                  "seed": "JBSWY3DPEHPK3PXP", "user_name": "oncall"}


def test_a_port_argument_type_without_a_check_is_refused_at_import() -> None:
    def register(self: Any, sandbox_id: str, callback: object) -> None: ...
    signature = inspect.signature(register)
    signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    with pytest.raises(TypeError, match="no check for an argument of type object"):
        server.port_call("register", signature)
