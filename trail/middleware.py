"""Persist the CloudTrail events a request produced, once the response is ready."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from gateway.control.wire import LabControlError
from sandboxes.labclient import lab

from . import store

log = logging.getLogger(__name__)

# With a remote gateway a drain is an HTTP round trip: at most one per this many seconds per web process (trail
# pages drain on every read, so what a learner looks at is always current).
PERSIST_INTERVAL = 2.0


class PersistEventsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._due():
            try:
                if settings.LAB_GATEWAY_URL or lab().trail.pending_count():
                    store.persist()
            except LabControlError:
                log.warning("could not drain CloudTrail events from the gateway; will retry")
            except Exception:  # the learner's answer is ready; recording trouble must not turn it into a 500
                log.exception("could not persist CloudTrail events")
        return response

    def _due(self) -> bool:
        if not settings.LAB_GATEWAY_URL:
            return True
        with self._lock:
            now = time.monotonic()
            if now - self._last < PERSIST_INTERVAL:
                return False
            self._last = now
            return True
