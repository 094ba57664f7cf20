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
    # both now share gateway.botocore_glue and gateway.admin instead (labcontrol is now the gateway/control/ package).
    for path in sorted((ROOT / "gateway" / "control").glob("*.py")):
        assert "gateway.client" not in _imported_modules_any_level(path, "gateway.control"), path.name


def _imported_modules_any_level(path: pathlib.Path, package: str) -> set[str]:
    """Absolute module names a file imports, relative imports (`from .x import y`, in functions too) resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # level 1 is `package` itself, each further dot one package up
            base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]) + "." if node.level else ""
            if node.module:
                names.add(base + node.module)
            else:
                names.update(base + alias.name for alias in node.names)
    return names


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _engine_import_graph(top: str = "engine") -> dict[str, set[str]]:
    """engine module -> the engine modules it imports, anywhere in the file (functions and `if TYPE_CHECKING:`
    blocks too: a lazy import is still a dependency). `from engine.x import y` counts y when y is a module, else
    engine.x."""
    modules = {_module_name(p): p for p in (ROOT / top).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
                # `from pkg import submodule` needs the submodule only; names that are not modules need pkg itself
                candidates = submodules + ([base] if len(submodules) < len(node.names) else [])
            else:
                continue
            targets.update(c for c in candidates if c in modules and c != name)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_among_engine_modules() -> None:
    """Issue 8: engine.lab, engine.sts.service and engine.sts.federated used to import each other (two of them only
    for type hints); StsService now gets an engine.sts.state.StsState and federated a FederationHost Protocol."""
    graph = _engine_import_graph()
    assert "engine.sts.federated" in graph["engine.lab"]       # the graph sees real imports
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_error_fallbacks_in_engine() -> None:
    """A module either is there or the import fails loudly: no `except ImportError` scaffolding (issue 8)."""
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                if any(isinstance(c, ast.Name) and c.id in ("ImportError", "ModuleNotFoundError") for c in caught):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_no_import_cycles_among_gateway_modules() -> None:
    """Issue 8: gateway.app imported the override modules at its end so that they could import its registry back
    (app <-> ec2_overrides <-> mfa_overrides <-> overrides); the registry now lives in gateway.operation and is
    passed to GatewayApp, and lab control is the gateway.control package."""
    graph = _engine_import_graph("gateway")
    assert "gateway.builtin_overrides" in graph["gateway.app"]        # the graph sees real imports
    assert "gateway.control.wire" in graph["gateway.control.client"]  # relative imports inside the subpackage
    assert _cycles(graph) == []


def _import_error_handlers(path: pathlib.Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(isinstance(c, ast.Name) and c.id in ("ImportError", "ModuleNotFoundError") for c in caught):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_import_error_fallbacks_in_gateway(tmp_path: pathlib.Path) -> None:
    """gateway.app had a stand-in RequestMeta "until engine.lab lands", sandboxes.labclient a guard for a gateway
    without lab control: both modules exist, so an import either works or fails loudly."""
    paths = sorted((ROOT / "gateway").rglob("*.py")) + [ROOT / "sandboxes" / "labclient.py"]
    assert [hit for path in paths for hit in _import_error_handlers(path)] == []
    sample = tmp_path / "sample.py"   # the checker finds what it looks for
    sample.write_text("try:\n    import x\nexcept (OSError, ModuleNotFoundError):\n    x = None\n")
    assert _import_error_handlers(sample) == ["sample.py:3"]


def test_remote_lab_methods_are_derived_from_the_lab_port() -> None:
    """Every engine.ports.LabPort method is a RemoteLab method and a lab-control method taking the same arguments,
    so a new piece of engine state reachable from web processes is one method on a Protocol (and Lab)."""
    import inspect

    from engine.lab import Lab
    from engine.ports import LabPort, port_methods
    from gateway.control.client import RemoteLab
    from gateway.control.registry import LAB_PORTS
    from gateway.control.server import LabControlApp

    port = port_methods(LabPort)
    assert "mfa_device" in port and "sandbox_of_key" in port
    assert set(port) == {name for small in LAB_PORTS.values() for name in port_methods(small)}
    served = LabControlApp(object(), token="t" * 32, lab=Lab(), moto=object()).handlers
    for name, signature in port.items():
        remote = inspect.signature(getattr(RemoteLab, name))
        assert list(remote.parameters)[1:] == list(signature.parameters), name
        namespace = next(ns for ns, small in LAB_PORTS.items() if name in port_methods(small))
        assert f"{namespace}.{name}" in served, f"lab control does not serve LabPort.{name}"


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
