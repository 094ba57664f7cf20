"""Question data modules; each defines QUESTIONS, a list of dicts validated by quiz.bank.build_question."""
from __future__ import annotations

from typing import Any

RIGHT, WRONG = True, False


def question(qid: str, *, domain: str, difficulty: str, task: str, teaches: str, stem: str,
             options: list[tuple[bool, str, str]], explanation: str, cite: tuple[str, str],
             multi: bool = False, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    """The same dict the older modules write out by hand, from (right?, text, why) option triples."""
    return {
        "id": qid, "domain": domain, "difficulty": difficulty, "task": task, "teaches": teaches, "multi": multi,
        "stem": stem,
        "options": [{"text": text, "why": why, **({"correct": True} if right else {})}
                    for right, text, why in options],
        "explanation": explanation,
        "citation": {"title": cite[0], "url": cite[1]},
        "tags": list(tags),
    }
