"""Every setting the code reads is in the operators' table, and every row of the table is a setting the code reads
(issue 24, item 6: nine settings were undocumented). Names are found in the source, not listed by hand."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("securecart", "engine", "gateway", "sandboxes", "scenarios", "federation", "quiz", "trail", "challenges",
           "classroom", "manuals")
SCRIPTS_OPERATORS_RUN = ("serve_class.py", "topology.py")
READERS = {"envbool", "envint", "envlist", "envstr"}
# Read, but not the operator's to set: the process environment the lab passes on or inspects.
NOT_SETTINGS = {"PATH", "HOME", "XDG_DATA_HOME", "DJANGO_SETTINGS_MODULE"}
# Documented settings that libraries read for us: Django (DJANGO_SETTINGS_MODULE), dj-database-url (DATABASE_URL).
READ_BY_LIBRARIES = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}


def _files() -> list[Path]:
    files = [p for package in PRODUCT for p in (ROOT / package).rglob("*.py")
             if "migrations" not in p.parts and p != ROOT / "securecart" / "settings" / "test.py"]  # the suite's own
    return files + [ROOT / "scripts" / name for name in SCRIPTS_OPERATORS_RUN]


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name) \
        and node.value.id == "os"


def names_read(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        literal = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            if isinstance(func, ast.Name) and func.id in READERS:
                literal = node.args[0].value
            elif isinstance(func, ast.Attribute) and func.attr == "get" and _is_os_environ(func.value):
                literal = node.args[0].value
            elif isinstance(func, ast.Attribute) and func.attr == "getenv":
                literal = node.args[0].value
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and isinstance(node.slice, ast.Constant):
            literal = node.slice.value
        if isinstance(literal, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", literal):
            found.add(literal)
    return found - NOT_SETTINGS


def settings_read() -> set[str]:
    return set().union(*(names_read(path.read_text(encoding="utf-8")) for path in _files()))


def table_rows() -> set[str]:
    text = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", text, re.M))


def test_the_finder_sees_every_way_the_code_reads_a_setting():
    source = ('import os\nA = envstr("LAB_A", "")\nB = os.environ.get("LAB_B")\nC = os.environ["LAB_C"]\n'
              'D = os.getenv("LAB_D")\nE = environ.get("CONTENT_TYPE")\nF = envbool("DEBUG", "False")\n')
    assert names_read(source) == {"LAB_A", "LAB_B", "LAB_C", "LAB_D", "DEBUG"}   # a WSGI environ is no setting


def test_every_setting_the_code_reads_has_a_row_in_the_operators_table():
    missing = settings_read() - table_rows()
    assert not missing, f"document these in docs/operators.md's settings table: {sorted(missing)}"


def test_every_row_of_the_operators_table_is_a_setting_the_code_reads():
    stale = table_rows() - settings_read() - READ_BY_LIBRARIES
    assert not stale, f"these rows name settings nothing reads any more: {sorted(stale)}"
