"""The record of which validation steps a federation token passed, shown by the lab as a checklist."""
from __future__ import annotations

from typing import Any

from dataclasses import dataclass


@dataclass
class Check:
    name: str          # stable id, e.g. "signature" (the tamper bench keys its explanations on it)
    label: str         # what it checks, for the explanation panel
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "passed": self.passed, "detail": self.detail}


class Recorder:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def passed(self, name: str, label: str, detail: str = "") -> None:
        self.checks.append(Check(name, label, True, detail))

    def fail(self, error: Exception, name: str, label: str) -> Exception:
        """Record the failed step and attach the whole list to the error (the lab shows how far it got)."""
        self.checks.append(Check(name, label, False, getattr(error, "detail", str(error))))
        error.checks = list(self.checks)   # type: ignore[attr-defined]
        return error
