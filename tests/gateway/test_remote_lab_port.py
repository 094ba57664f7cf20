"""gateway.control.client.RemoteLab implements engine.ports.LabPort, signature for signature, so web code written against
the port runs unchanged in multi-process mode (issue 8). The wire behaviour is tested in test_multiprocess_mode."""
from __future__ import annotations

import inspect

import pytest

from engine.ports import LabPort, port_methods
from gateway.control.client import RemoteLab


def _shape(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


@pytest.mark.parametrize("name", sorted(port_methods(LabPort)))
def test_remote_lab_has_every_lab_port_method_with_the_same_parameters(name: str) -> None:
    implementation = getattr(RemoteLab, name, None)
    assert callable(implementation), f"RemoteLab has no method {name}"
    actual = inspect.signature(implementation)
    actual = actual.replace(parameters=list(actual.parameters.values())[1:])
    assert _shape(actual) == _shape(port_methods(LabPort)[name])


def test_remote_lab_offers_the_trail() -> None:
    assert isinstance(inspect.getattr_static(RemoteLab, "trail"), property)
