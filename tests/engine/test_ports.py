"""engine.ports: Lab implements every method of LabPort and InProcessLabPort, signature for signature (issue 8:
the remote side derives its method list from the Protocol, so a drifting signature would break it silently)."""
from __future__ import annotations

import inspect

import pytest

from engine.lab import Lab
from engine.ports import InProcessLabPort, LabPort, port_methods


def _shape(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


@pytest.mark.parametrize("name", sorted(port_methods(InProcessLabPort)))
def test_lab_implements_the_port_method_with_the_same_parameters(name: str) -> None:
    declared = port_methods(InProcessLabPort)[name]
    implementation = getattr(Lab, name, None)
    assert callable(implementation), f"Lab has no method {name}"
    actual = inspect.signature(implementation)
    actual = actual.replace(parameters=list(actual.parameters.values())[1:])
    assert _shape(actual) == _shape(declared)


def test_the_web_port_is_part_of_the_in_process_port_and_leaves_out_the_request_path() -> None:
    web, full = port_methods(LabPort), port_methods(InProcessLabPort)
    assert set(web) < set(full)
    assert {"authenticate", "sts", "authorize_call"} <= set(full) - set(web)
    assert {"decision", "federation_report", "mfa_device", "mfa_last_used_step", "mfa_verify_enable"} <= set(web)
    assert "trail" not in web          # a property, not a method


def test_a_lab_instance_satisfies_both_protocols_at_runtime() -> None:
    lab = Lab()
    assert isinstance(lab, LabPort)
    assert isinstance(lab, InProcessLabPort)
    assert hasattr(lab.trail, "drain")


def test_a_wrong_signature_is_caught() -> None:
    class Drifted:
        def now(self, sandbox: str | None) -> None: ...    # renamed parameter

    declared = port_methods(LabPort)["now"]
    actual = inspect.signature(Drifted.now)
    actual = actual.replace(parameters=list(actual.parameters.values())[1:])
    assert _shape(actual) != _shape(declared)
