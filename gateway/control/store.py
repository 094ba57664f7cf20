"""The web processes' shared memory: KeyValueStore lives in the gateway process (LabControlApp.store), and
RemoteKeyValueStore is its twin in a web process (lab control's `kv.*` methods). sandboxes.labcache puts a Django
cache backend on either; keep this interface (get/set/add/touch/delete/clear) stable."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, Callable

from .wire import to_wire


class KeyValueStore:
    """Small shared memory for the web processes (a Django cache backend can sit on it): the learner's current
    session credentials belong here, next to the sessions themselves, not in the database. Gone on restart, like
    the sessions. Bounded (oldest entries go first); values are JSON-safe; timeouts in seconds (None = no expiry)."""

    MAX_ENTRIES = 20000
    MAX_VALUE_BYTES = 256 * 1024

    def __init__(self, now: Callable[[], float] | None = None) -> None:
        import time  # noqa: PLC0415

        self._now = now or time.monotonic
        self._lock = threading.Lock()
        self._items: "OrderedDict[str, tuple[Any, float | None]]" = OrderedDict()

    def _live(self, key: str) -> tuple[Any, float | None] | None:
        entry = self._items.get(key)
        if entry is not None and entry[1] is not None and entry[1] <= self._now():
            del self._items[key]
            return None
        return entry

    def _deadline(self, timeout: float | None) -> float | None:
        return None if timeout is None else self._now() + timeout

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._live(key)
            return entry[0] if entry is not None else None

    def _check_size(self, value: Any) -> None:
        if len(json.dumps(to_wire(value))) > self.MAX_VALUE_BYTES:
            raise ValueError(f"value too large for the lab's shared store (limit {self.MAX_VALUE_BYTES} bytes)")

    def _store(self, key: str, value: Any, timeout: float | None) -> None:
        # caller holds the lock
        if timeout is not None and timeout <= 0:
            self._items.pop(key, None)
            return
        self._items[key] = (value, self._deadline(timeout))
        self._items.move_to_end(key)
        while len(self._items) > self.MAX_ENTRIES:
            self._items.popitem(last=False)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._check_size(value)
        with self._lock:
            self._store(key, value, timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        """Store only if absent; check and store under one lock, so two processes racing cannot both win."""
        self._check_size(value)
        with self._lock:
            if self._live(key) is not None:
                return False
            self._store(key, value, timeout)
            return True

    def touch(self, key: str, timeout: float | None = None) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return False
            self._items[key] = (entry[0], self._deadline(timeout))
            return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._items.pop(key, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class RemoteKeyValueStore:
    """KeyValueStore's methods, answered by the gateway process."""

    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def get(self, key: str) -> Any:
        return self.lab.call("kv.get", key=key)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self.lab.call("kv.set", key=key, value=value, timeout=timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return self.lab.call("kv.add", key=key, value=value, timeout=timeout)

    def touch(self, key: str, timeout: float | None = None) -> bool:
        return self.lab.call("kv.touch", key=key, timeout=timeout)

    def delete(self, key: str) -> bool:
        return self.lab.call("kv.delete", key=key)

    def clear(self) -> None:
        self.lab.call("kv.clear")
