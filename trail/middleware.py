"""Persist the CloudTrail events a request produced, once the response is ready."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from gateway.control.wire import LabControlError
from sandboxes.gatewaymount import MOUNT
from sandboxes.labclient import lab

from . import store

log = logging.getLogger(__name__)

# With a remote gateway a drain is an HTTP round trip: at most one per this many seconds per web process (trail
# pages drain on every read, so what a learner looks at is always current).
PERSIST_INTERVAL = 2.0
# In one process, the AWS endpoint's own requests (a terminal's or an SDK's calls, /aws and /imds) persist at most
# this often: a burst of calls costs one bulk insert instead of a SELECT and an INSERT per call (~1.8 ms of a ~6 ms
# AssumeRole). Page requests still persist at once (a step's events are stored when its result is shown), and trail
# pages and LookupEvents drain before they read, so nothing a learner looks at lags. What a SIGKILL can lose is at
# most this long a window of terminal calls' events; a normal exit persists them (apps.py).
ENDPOINT_PERSIST_INTERVAL = 1.0
ENDPOINT_PREFIXES = (f"{MOUNT}/", "/imds/")


class PersistEventsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._due(request):
            try:
                if settings.LAB_GATEWAY_URL or lab().trail.pending_count():
                    store.persist()
            except LabControlError:
                log.warning("could not drain CloudTrail events from the gateway; will retry")
            except Exception:  # the learner's answer is ready; recording trouble must not turn it into a 500
                log.exception("could not persist CloudTrail events")
        return response

    def _due(self, request: HttpRequest) -> bool:
        if settings.LAB_GATEWAY_URL:
            interval = PERSIST_INTERVAL
        elif request.path == MOUNT or request.path.startswith(ENDPOINT_PREFIXES):
            interval = ENDPOINT_PERSIST_INTERVAL
        else:
            return True
        with self._lock:
            now = time.monotonic()
            if now - self._last < interval:
                return False
            self._last = now
            return True
