"""Throttle guessing: too many failed attempts from one address in a window get 429 Too Many Requests.

Only failures count (a wrong room code, a wrong password), so a class of 40 joining a live room from behind one
school address is never slowed down, while guessing six-character room codes (19 joins/s in issue 9) or passwords
stops after a few tries. Counters live in the "throttle" Django cache (the gateway's shared store with several web
processes), in fixed windows, and are changed only by the cache's atomic add/incr (`_bump`, the one counter helper
every throttle here uses). The address is REMOTE_ADDR: behind a proxy, configure it to set that (the lab's choice:
no trust in X-Forwarded-For, which a client can forge).
"""
from __future__ import annotations

import time
from functools import wraps
from typing import Callable, NamedTuple

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]


def _now() -> float:
    return time.time()


def _window_key(scope: str, who: str, window: int) -> tuple[str, int]:
    """The counter of `who` in the current fixed window of `window` seconds, and the seconds until it ends."""
    now = int(_now())
    started = now // window * window
    return f"throttle:{scope}:{who}:{started}", started + window - now


def _counter_key(scope: str, request: HttpRequest, window: int) -> tuple[str, int]:
    return _window_key(scope, request.META.get("REMOTE_ADDR", ""), window)


def _bump(key: str, window: int, amount: int = 1) -> int:
    """Add `amount` (negative: give back) to a counter, atomically (cache add, then incr); its new value."""
    cache = caches["throttle"]
    if amount > 0 and cache.add(key, amount, window):
        return amount
    try:
        return cache.incr(key, amount)
    except ValueError:           # expired (or never made) between add and incr
        if amount <= 0:
            return 0             # nothing left to give back to
        cache.set(key, amount, window)
        return amount


def count_in_window(scope: str, who: str, window: int) -> tuple[int, int]:
    """Count one event for `who` in the current fixed window of `window` seconds (atomic: cache add, then incr);
    returns (events so far in the window, seconds until it ends)."""
    key, retry_after = _window_key(scope, who, window)
    return _bump(key, window), retry_after


def _too_many(request: HttpRequest, *, what: str, retry_after: int, limit: int, window: int) -> HttpResponse:
    response = render(request, "429.html", {"what": what, "retry_after": retry_after, "limit": limit,
                                            "window": window}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


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
                return _too_many(request, what=what, retry_after=retry_after, limit=limit, window=window)
            response = view(request, *args, **kwargs)
            if failed(response):
                _bump(key, window)
            return response

        return wrapped

    return decorator


# Sign-in: Django's LoginView answers a wrong password by showing the form again (200); success redirects.
throttle_sign_ins = throttle_failures("sign-in", limit=10, window=300, what="sign-in attempts",
                                      failed=lambda response: response.status_code == 200)


class Limit(NamedTuple):
    count: int      # at most this many failures...
    window: int     # ...per this many seconds, per address


def throttle_guesses(scope: str, limits: tuple[Limit, ...], *, failed: Callable[[HttpResponse], bool],
                     what: str) -> Callable[[View], View]:
    """At most `limit.count` failed POSTs (per `failed(response)`) per address in each limit's window; the rest
    get 429 before the view runs.

    No check-then-act: each POST first takes a place in every window's counter (one atomic increment), and a POST
    whose place is beyond a limit is refused; a POST that did not fail gives its places back. So concurrent guesses
    never get past a limit (a read-then-count throttle let 21-26 of 64 through a limit of 20), and right answers
    never use any of it. Once an address is over a limit every POST from it waits for the window to end, right
    ones too: answering a right code while refusing wrong ones would tell a guesser which code is right."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method != "POST":
                return view(request, *args, **kwargs)
            taken = []
            for limit in limits:
                key, retry_after = _counter_key(f"{scope}:{limit.window}", request, limit.window)
                taken.append((key, limit, retry_after, _bump(key, limit.window)))
            over = [(limit, retry_after) for _, limit, retry_after, count in taken if count > limit.count]
            if over:
                for key, limit, _, _ in taken:
                    _bump(key, limit.window, -1)
                limit, retry_after = max(over, key=lambda pair: pair[1])
                return _too_many(request, what=what, retry_after=retry_after, limit=limit.count,
                                 window=limit.window)
            response = view(request, *args, **kwargs)
            if not failed(response):
                for key, limit, _, _ in taken:
                    _bump(key, limit.window, -1)
            return response

        return wrapped

    return decorator


# Join codes (a live quiz room's and a class's: one counter, so a guesser gains nothing by alternating): an unknown
# or expired code is a 404; a taken nickname, a full room or an ended class is no guess (the code was right).
# A class of 40 behind one NAT typing a code on phones makes a typo or two each, 80 at worst in the first minute:
# 100 a minute is never met that way. A guesser gets 300 an hour; with 50 rooms open among 32^6 codes, a day of
# guessing finds one with a chance of about 1 in 3,000 (the lab's choice of numbers).
JOIN_GUESS_LIMITS = (Limit(100, 60), Limit(300, 3600))
throttle_join_codes = throttle_guesses("join-code", JOIN_GUESS_LIMITS, what="attempts to join with a code",
                                       failed=lambda response: response.status_code == 404)
