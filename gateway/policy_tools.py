"""The policy tools the gateway answers itself: IAM's policy simulator (SimulatePrincipalPolicy,
SimulateCustomPolicy; engine/simulator.py) and IAM Access Analyzer's policy checks (ValidatePolicy, CheckNoNewAccess,
CheckAccessNotGranted; engine/policy/analyzer.py). moto implements none of them.

Authorised by the engine like any call before the handler runs: iam:SimulatePrincipalPolicy on the PolicySourceArn
(gateway.actions), iam:SimulateCustomPolicy and the access-analyzer actions on "*" (Service Authorization Reference:
no resource type).
"""
from __future__ import annotations

from .operation import OperationCall, OverrideRegistry
from .protocols import Response


def simulate(call: OperationCall) -> Response:
    return call.result(call.lab.simulate(call.caller, call.operation, call.params))


def register(registry: OverrideRegistry) -> None:
    for operation in ("SimulatePrincipalPolicy", "SimulateCustomPolicy"):
        registry.register("iam", operation, simulate)
