"""Counts requests in flight in this process, so a test can wait for the live server to go quiet.

A browser test's page may still have a request on pytest-django's live server (an htmx poll, a Run) when the test
ends; if the database is flushed under it, that request fails, and Django's test client re-raises the failure in
whichever test's client is listening next (the `got_request_exception` signal is process-wide).
"""
from __future__ import annotations

import threading
import time

_idle = threading.Condition()
_in_flight = 0


class InflightRequestsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        global _in_flight
        with _idle:
            _in_flight += 1
        try:
            return self.get_response(request)
        finally:
            with _idle:
                _in_flight -= 1
                _idle.notify_all()


def wait_until_idle(timeout: float = 15.0) -> bool:
    """Block until no request is in flight (True) or the timeout passes (False)."""
    deadline = time.monotonic() + timeout
    with _idle:
        while _in_flight:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            _idle.wait(remaining)
    return True
