"""The engine and the gateway are plain Python: importing them must not pull in Django (docs/architecture.md)."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_source_file_in_engine_or_gateway_imports_django() -> None:
    offenders = []
    for package in ("engine", "gateway"):
        for path in (ROOT / package).rglob("*.py"):
            if any(name == "django" or name.startswith("django.") for name in _imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_the_lab_and_gateway_leaves_django_unloaded() -> None:
    code = "import sys, engine.lab, gateway.app, gateway.client; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
