"""Throttle guessing: too many failed attempts in a window get 429 Too Many Requests.

Only failures count (a wrong join code, a wrong password), so a class of 40 joining from behind one school address is
never slowed down, while guessing codes (19 joins/s in issue 9) or passwords stops after a few tries. Join codes are
counted per address; sign-ins per account and per address, with different limits (below). Counters live in the
"throttle" Django cache (Redis with several web processes), in fixed windows, and are changed only by the cache's
atomic add/incr (`_bump`, the one counter helper every throttle here uses, `count_in_window` included); `guarded`
takes and gives back places, so there is no check-then-act. The address is REMOTE_ADDR: behind a proxy, configure it
to set that (the lab's choice: no trust in X-Forwarded-For, which a client can forge).
"""
from __future__ import annotations

import hashlib
import time
import unicodedata
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


def _too_many(request: HttpRequest, *, what: str, retry_after: int, limit: int, window: int,
              where: str = "from your network") -> HttpResponse:
    response = render(request, "429.html", {"what": what, "retry_after": retry_after, "limit": limit,
                                            "window": window, "where": where}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class Limit(NamedTuple):
    count: int      # at most this many failures...
    window: int     # ...per this many seconds, per address


class Counter(NamedTuple):
    """One fixed-window counter a POST takes a place in: whose (an address, an account) and within which limit."""
    key: str
    limit: Limit
    retry_after: int
    where: str      # how the 429 page names it: "from your network", "for this account"


def counters(scope: str, who: str, limits: tuple[Limit, ...], where: str) -> list[Counter]:
    """`who`'s counter in the current window of each limit."""
    found = []
    for limit in limits:
        key, retry_after = _window_key(f"{scope}:{limit.window}", who, limit.window)
        found.append(Counter(key, limit, retry_after, where))
    return found


def address_counters(scope: str, request: HttpRequest, limits: tuple[Limit, ...]) -> list[Counter]:
    return counters(scope, request.META.get("REMOTE_ADDR", ""), limits, "from your network")


def guarded(request: HttpRequest, counters: list[Counter], run: Callable[[], HttpResponse], *,
            failed: Callable[[HttpResponse], bool], what: str) -> HttpResponse:
    """Run `run()` unless a counter is over its limit; the one place that takes and gives back counter places.

    No check-then-act: the POST first takes a place in every counter (one atomic increment each), and a POST whose
    place is beyond a limit is refused; a POST that did not fail gives its places back. So concurrent guesses never
    get past a limit (a read-then-count throttle let 21-26 of 64 through a limit of 20), and right answers never use
    any of it."""
    taken = [(counter, _bump(counter.key, counter.limit.window)) for counter in counters]
    over = [counter for counter, count in taken if count > counter.limit.count]
    if over:
        for counter in counters:
            _bump(counter.key, counter.limit.window, -1)
        worst = max(over, key=lambda counter: counter.retry_after)
        return _too_many(request, what=what, retry_after=worst.retry_after, limit=worst.limit.count,
                         window=worst.limit.window, where=worst.where)
    response = run()
    if not failed(response):
        for counter in counters:
            _bump(counter.key, counter.limit.window, -1)
    return response


def throttle_guesses(scope: str, limits: tuple[Limit, ...], *, failed: Callable[[HttpResponse], bool],
                     what: str) -> Callable[[View], View]:
    """At most `limit.count` failed POSTs (per `failed(response)`) per address in each limit's window; the rest
    get 429 before the view runs (`guarded`: atomic, right answers give their places back). Once an address is over
    a limit every POST from it waits for the window to end, right ones too: answering a right code while refusing
    wrong ones would tell a guesser which code is right."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method != "POST":
                return view(request, *args, **kwargs)
            return guarded(request, address_counters(scope, request, limits),
                           lambda: view(request, *args, **kwargs), failed=failed, what=what)

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


# Sign-ins (OWASP Authentication Cheat Sheet, "Account lockout"; ASVS V2.2.1): failures are counted per account (the
# name typed, normalised, whether or not it exists: a lock says nothing about which accounts do) and per address,
# with different limits. The account being guessed is locked until its window ends (Retry-After), so guessing one
# password gets 10 tries per 15 minutes; the address limit is far above what a class of 40 behind one NAT mistyping
# produces (a few each), so 14 wrong passwords for one account never refuse another account's correct password from
# the same address; it stops one address spraying one password over many accounts. The numbers are the lab's choice.
SIGN_IN_ACCOUNT_LIMITS = (Limit(10, 900),)
SIGN_IN_ADDRESS_LIMITS = (Limit(200, 900), Limit(1000, 86400))


def account_key(name: str) -> str:
    """The counter's name for a typed user name: NFKC + casefold (so "Alice" and "ＡＬＩＣＥ" share one lock), hashed
    (a stranger's text never becomes a cache key as is)."""
    normal = unicodedata.normalize("NFKC", name).casefold().strip()
    return hashlib.sha256(normal.encode()).hexdigest()[:32]


def throttle_sign_ins(view: View) -> View:
    """Django's LoginView answers a wrong password by showing the form again (200); a sign-in redirects."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        name = str(request.POST.get("username", ""))[:300]
        watched = (counters("sign-in-account", account_key(name), SIGN_IN_ACCOUNT_LIMITS, "for this account")
                   + address_counters("sign-in-address", request, SIGN_IN_ADDRESS_LIMITS))
        return guarded(request, watched, lambda: view(request, *args, **kwargs), what="sign-in attempts",
                       failed=lambda response: response.status_code == 200)

    return wrapped
