"""The web layer reaches moto around the gateway only through the lab operator (sandboxes/operator.py, issue 8)."""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
WEB_PACKAGES = ("sandboxes", "scenarios", "federation", "trail", "challenges", "classroom", "quiz", "securecart")
ADMIN_NAMES = {"admin_client", "remote_admin_client", "local_admin_client", "AdminClient"}
ADMIN_MODULES = {"gateway.admin"}


def _admin_imports(path: pathlib.Path) -> list[str]:
    """Imports of an admin client (any name of ADMIN_NAMES from anywhere, or a module of ADMIN_MODULES), lazy
    imports inside functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if names & ADMIN_NAMES or node.module in ADMIN_MODULES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import "
                             f"{', '.join(sorted(names))}")
        elif isinstance(node, ast.Import):
            found += [f"{path.relative_to(ROOT)}:{node.lineno} import {alias.name}" for alias in node.names
                      if alias.name in ADMIN_MODULES]
        elif isinstance(node, ast.Attribute) and node.attr in ADMIN_NAMES:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}")
    return found


def test_only_the_operator_builds_admin_clients_in_the_web_layer() -> None:
    offenders = []
    for package in WEB_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "sandboxes" / "operator.py":
                continue
            offenders += _admin_imports(path)
    assert offenders == []
    # and the operator does (the check above would pass with no admin client anywhere)
    assert _admin_imports(ROOT / "sandboxes" / "operator.py")


def test_step_code_uses_the_operators_named_operations_not_a_raw_client() -> None:
    """The seeding client is for world builders (sandboxes/world.py, world extensions); a scenario asks the operator
    for what it needs by name (role_trust_policy, running_instance, ...)."""
    offenders = []
    for path in (ROOT / "scenarios").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "seeding_client":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
