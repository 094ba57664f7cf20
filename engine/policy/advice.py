"""Advice on a policy IAM would save: IAM Access Analyzer's policy validation, the part the lab gives (a separate,
optional pass after parsing, as cedar's validator is; authorization never depends on it).

- INVALID_ACTION (IAM User Guide, "IAM policy validation check reference", "Error - Invalid action": "The action
  {action} does not exist. Did you mean {valid_action}?"): IAM accepts `s3:GetObjects` silently and it then
  matches nothing; Access Analyzer flags it. The lab flags an action only when a real one is a near miss
  (engine.policy.catalog.near_miss), so an IAM action that is no API operation is never flagged wrongly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalog import near_miss
from .document import PolicyDocument


@dataclass(frozen=True)
class Finding:
    issue_code: str           # Access Analyzer's issue code
    finding_type: str         # ERROR | SECURITY_WARNING | WARNING | SUGGESTION (Access Analyzer's types)
    message: str              # the console's wording: "<title>: <details>"
    path: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"issue_code": self.issue_code, "finding_type": self.finding_type, "message": self.message,
                "path": self.path, "line": self.line}


def findings(document: PolicyDocument) -> list[Finding]:
    """Access Analyzer's findings the lab knows how to give, in document order."""
    found: list[Finding] = []
    for statement in document.statements:
        element = "NotAction" if statement.action_negated else "Action"
        listed = isinstance(statement.raw.get(element), list)
        for index, action in enumerate(statement.actions.patterns):
            suggestion = near_miss(action)
            if suggestion is None:
                continue
            path = f"{statement.path}.{element}" + (f"[{index}]" if listed else "")
            found.append(Finding("INVALID_ACTION", "ERROR", f"Invalid action: The action {action} does not exist. "
                                 f"Did you mean {suggestion}?", path,
                                 statement.lines[0] if statement.lines else None))
    return found
