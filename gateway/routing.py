"""Which gateway process a call goes to, when sandboxes are sharded across several (LAB_GATEWAY_URLS).

The gateway package knows no Django and no database, so it does not decide: the web layer (sandboxes/shards.py)
looks the sandbox's gateway up in the database and sets it here for the current thread of work (a context
variable, so two threads serving two learners never see each other's choice). gateway.client's seeding and learner
clients and the web layer's lab-control calls read `gateway_url()`.

Without a choice made here: LAB_GATEWAY_URL (one gateway process), else the first of LAB_GATEWAY_URLS, else None
(the lab runs in this process).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Iterator

_current: ContextVar[str | None] = ContextVar("lab_gateway_url", default=None)


def configured_urls() -> list[str]:
    """LAB_GATEWAY_URLS from the environment: comma-separated gateway base URLs, in order."""
    return [url.strip().rstrip("/") for url in os.environ.get("LAB_GATEWAY_URLS", "").split(",") if url.strip()]


def chosen() -> str | None:
    """The gateway chosen for the current sandbox, if any."""
    return _current.get()


def gateway_url() -> str | None:
    chosen_url = _current.get()
    if chosen_url:
        return chosen_url
    single = os.environ.get("LAB_GATEWAY_URL")
    if single:
        return single
    urls = configured_urls()
    return urls[0] if urls else None


def choose(url: str | None) -> Token[str | None]:
    """Route this context's calls to `url` from now on; `reset(token)` undoes it."""
    return _current.set(url.rstrip("/") if url else None)


def reset(token: Token[str | None]) -> None:
    _current.reset(token)


@contextmanager
def using(url: str | None) -> Iterator[None]:
    token = choose(url)
    try:
        yield
    finally:
        reset(token)
