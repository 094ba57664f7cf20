"""One runtime object per process (gateway/runtime.py, issue 24 item 4): no module of gateway/ or sandboxes/ keeps
state at module level. The test reads every module's own top-level assignments (the AST: names a module imports
from elsewhere, like engine.directory's moto_lock, are not its own) and looks at the values they hold once imported.

The mistakes it catches: a cache, pool, registry or lock added as a module global (a dict, list, set, deque, lock,
event or threading.local, or an object holding one), instead of an attribute of the runtime; and a constant table
left mutable, which any caller could change for the whole process (tables are frozenset, tuple, MappingProxyType).
"""
from __future__ import annotations

import ast
import collections
import importlib
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = (type(threading.Lock()), type(threading.RLock()), threading.Event, threading.Condition, threading.Semaphore,
         threading.local)
MUTABLE = (dict, list, set, bytearray, collections.deque, collections.OrderedDict, collections.defaultdict)
# The runtime's own holder; Django reads URL patterns from these names once, by convention (a list, and include()
# would take a tuple for (patterns, app_name)).
ALLOWED = {("gateway.runtime", "_runtime"), ("gateway.runtime", "_runtime_lock")}
DJANGO_NAMES = {"urlpatterns", "internal_urlpatterns"}


def holds_state(value: Any, depth: int = 0) -> bool:
    if isinstance(value, LOCKS) or isinstance(value, MUTABLE):
        return True
    if depth == 0 and type(value).__module__.split(".")[0] in ("gateway", "sandboxes") \
            and not isinstance(value, type) and hasattr(value, "__dict__"):
        return any(holds_state(item, depth + 1) for item in vars(value).values())
    return False


def module_names() -> list[str]:
    names = []
    for package in ("gateway", "sandboxes"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts or relative.name == "__main__":
                continue
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            names.append(".".join(parts))
    return names


def own_assignments(module: str) -> set[str]:
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    names.add(name.id)
    return names


def module_state() -> list[str]:
    found = []
    for module in module_names():
        loaded = importlib.import_module(module)
        for name in sorted(own_assignments(module)):
            if (module, name) in ALLOWED or name in DJANGO_NAMES or name.startswith("__"):
                continue
            value = getattr(loaded, name, None)
            if holds_state(value):
                found.append(f"{module}.{name} ({type(value).__name__})")
    return found


@pytest.mark.django_db
def test_no_module_of_gateway_or_sandboxes_keeps_state_outside_the_runtime() -> None:
    assert module_state() == []


def test_the_checker_finds_what_it_looks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    assert holds_state({}) and holds_state([]) and holds_state(threading.Lock()) and holds_state(threading.local())
    assert not holds_state(frozenset()) and not holds_state(()) and not holds_state("text")
    from types import MappingProxyType

    assert not holds_state(MappingProxyType({"a": 1}))
    from gateway import actions

    # a cache slipped in as a module global is reported
    monkeypatch.setattr(actions, "ACTION_PREFIXES", dict(actions.ACTION_PREFIXES))
    assert module_state() == ["gateway.actions.ACTION_PREFIXES (dict)"]


def test_the_runtime_holds_what_modules_used_to() -> None:
    from gateway import runtime
    from gateway.client import default_gateway, default_lab, default_moto

    current = runtime.current()
    lab, moto, app = default_lab(), default_moto(), default_gateway()
    assert current.built["lab"] is lab and current.built["moto"] is moto and current.built["gateway"] is app
    assert app.lab is lab and app.moto is moto
    renewed = runtime.fresh()
    assert renewed is runtime.current() and renewed is not current
    assert default_lab() is not lab and default_moto() is not moto and default_gateway() is not app
    assert renewed.config is current.config                 # the apps' registrations stay
    assert renewed.web is not current.web and renewed.learner_clients == {}


def test_a_shortened_bucket_name_is_remembered_by_the_runtime() -> None:
    from gateway import runtime, s3names

    long_name = "b" * 60
    stored = s3names.stored_name("sbx-1234567890", long_name)
    assert len(stored) <= 63 and runtime.current().s3_long_names[stored] == long_name
    assert s3names.familiar_name("sbx-1234567890", stored) == long_name
