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


PROJECT_PACKAGES = ("engine", "gateway", "sandboxes", "scenarios", "federation", "quiz", "classroom", "trail",
                    "challenges", "securecart")


def test_no_module_imports_another_modules_private_names() -> None:
    """Issue 8's seam rule: `from x import _name` across modules is a reach-through; make the name public or add an
    interface. (Tests are exempt: they may poke at internals.)"""
    offenders = []
    for package in PROJECT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    for alias in node.names:
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}")
    assert offenders == []


def test_the_lab_clients_and_the_control_transport_do_not_import_each_other() -> None:
    # gateway.client used to import labcontrol's remote admin client, and labcontrol four private helpers of client;
    # both now share gateway.botocore_glue and gateway.admin instead.
    assert "gateway.client" not in _imported_modules_any_level(ROOT / "gateway" / "labcontrol.py", "gateway")


def _imported_modules_any_level(path: pathlib.Path, package: str) -> set[str]:
    """Absolute module names a file imports, relative imports (`from .x import y`, in functions too) resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = f"{package}." if node.level == 1 else ""
            if node.module:
                names.add(base + node.module)
            else:
                names.update(base + alias.name for alias in node.names)
    return names


def _module_of(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_resolved(path: pathlib.Path) -> set[str]:
    """Every module a file imports, at any level (in functions too: lazy imports count), relative ones resolved."""
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _package_imports(package: str) -> set[str]:
    """The project packages that any module of `package` imports."""
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        found.update(name.split(".")[0] for name in _imports_resolved(path))
    return (found & set(PROJECT_PACKAGES)) - {package}


def test_scenarios_and_federation_do_not_import_each_other_both_ways() -> None:
    """Issue 8: the player's StepContext used to live in scenarios/ and federation's pages imported it, while the
    scenarios import federation's calls. StepContext, Keys and the typed results now live in sandboxes/ (steps.py,
    results.py); the scenarios may use federation, federation uses nothing of the scenarios."""
    assert "federation" in _package_imports("scenarios")   # the one allowed direction (s2, s3 use its calls)
    assert "scenarios" not in _package_imports("federation")


def test_the_gateway_imports_no_web_app() -> None:
    """Layering: the web layer may import the gateway (e.g. the one redactor, gateway/redact.py), never the reverse."""
    web_apps = {"sandboxes", "scenarios", "federation", "quiz", "classroom", "trail", "challenges", "securecart"}
    assert _package_imports("gateway") & web_apps == set()
    assert _package_imports("engine") & (web_apps | {"gateway"}) == set()
