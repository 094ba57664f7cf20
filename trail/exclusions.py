"""Requests that were not the learner's own: the Detections and the Defend exercises leave them out.

Other apps register where such request ids come from, in their AppConfig.ready (challenges: the requests its
checker made to probe a learner's sandbox). trail never imports them. The events stay in the event history, marked by
their userAgent; only the lab's own records decide what is left out, so a learner's call that copies the checker's
userAgent is still detected.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from sandboxes.models import Sandbox

Source = Callable[[Sandbox], Iterable[str]]
_sources: list[Source] = []


def register(source: Source) -> None:
    if source not in _sources:
        _sources.append(source)


def hidden_request_ids(sandbox: Sandbox) -> set[str]:
    hidden: set[str] = set()
    for source in _sources:
        hidden.update(source(sandbox))
    return hidden


def learners_own(sandbox: Sandbox, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    hidden = hidden_request_ids(sandbox)
    return [r for r in records if r.get("requestID") not in hidden]
