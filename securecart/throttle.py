"""Throttle guessing: too many failed attempts from one address in a window get 429 Too Many Requests.

Only failures count (a wrong room code, a wrong password), so a class of 40 joining a live room from behind one
school address is never slowed down, while guessing six-character room codes (19 joins/s in issue 9) or passwords
stops after a few tries. Counters live in the "throttle" Django cache (the gateway's shared store with several web
processes), in fixed windows. The address is REMOTE_ADDR: behind a proxy, configure it to set that (the lab's
choice: no trust in X-Forwarded-For, which a client can forge).
"""
from __future__ import annotations

import time
from functools import wraps
from typing import Callable

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]


def _counter_key(scope: str, request: HttpRequest, window: int) -> tuple[str, int]:
    started = int(time.time()) // window * window
    return f"throttle:{scope}:{request.META.get('REMOTE_ADDR', '')}:{started}", started + window - int(time.time())


def _count(key: str, window: int) -> int:
    cache = caches["throttle"]
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:           # expired between add and incr
        cache.set(key, 1, window)
        return 1


def count_in_window(scope: str, who: str, window: int) -> tuple[int, int]:
    """Count one event for `who` in the current fixed window of `window` seconds (atomic: cache add, then incr);
    returns (events so far in the window, seconds until it ends)."""
    started = int(time.time()) // window * window
    return _count(f"throttle:{scope}:{who}:{started}", window), started + window - int(time.time())


def throttle_failures(scope: str, *, limit: int, window: int, failed: Callable[[HttpResponse], bool],
                      what: str) -> Callable[[View], View]:
    """Refuse POSTs with 429 once `limit` of them failed (per `failed(response)`) from one address in `window` s."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method != "POST":
                return view(request, *args, **kwargs)
            key, retry_after = _counter_key(scope, request, window)
            if (caches["throttle"].get(key) or 0) >= limit:
                response = render(request, "429.html", {"what": what, "retry_after": retry_after,
                                                        "limit": limit, "window": window}, status=429)
                response["Retry-After"] = str(retry_after)
                return response
            response = view(request, *args, **kwargs)
            if failed(response):
                _count(key, window)
            return response

        return wrapped

    return decorator


# Sign-in: Django's LoginView answers a wrong password by showing the form again (200); success redirects.
throttle_sign_ins = throttle_failures("sign-in", limit=10, window=300, what="sign-in attempts",
                                      failed=lambda response: response.status_code == 200)
# Live rooms: an unknown or expired code is a 404; a taken nickname or a full room is no guess.
throttle_room_joins = throttle_failures("room-join", limit=20, window=60, what="attempts to join a room",
                                        failed=lambda response: response.status_code == 404)
