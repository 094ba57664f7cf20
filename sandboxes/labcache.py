"""A Django cache backend over the gateway's shared store, for deployments with several web processes.

Each web process has its own LocMemCache, so with `gunicorn -w 2` a learner's credentials kept by one worker are
missing in the other. When LAB_GATEWAY_URL is set, settings point CACHES at `GatewayCache`: every get/set is a
lab-control call (`kv.*`, gateway/control/) answered from the `python -m gateway` process's KeyValueStore.
Like the issued sessions it sits next to, the store is memory only: secrets stay out of the database and vanish
when the gateway restarts (the learner then assumes the role again).

Values travel as JSON (gateway.control.wire.to_wire), not pickle: str, int, float, bool, None, bytes, datetime, and
lists, tuples (read back as lists) and str-keyed dicts of those. Anything else is refused with a TypeError rather
than silently turned into text. `clear()` empties the whole shared store.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

_MISSING = object()


def _check_value(value: Any, path: str = "value") -> None:
    if value is None or isinstance(value, (bool, int, str, bytes, bytearray, datetime)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"GatewayCache cannot store {path}={value}: JSON has no such number")
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"GatewayCache stores dicts with str keys only ({path} has {key!r})")
            _check_value(item, f"{path}[{key!r}]")
        return
    raise TypeError(f"GatewayCache stores JSON-like values only; {path} is a {type(value).__name__}")


class GatewayCache(BaseCache):
    """CACHES = {"default": {"BACKEND": "sandboxes.labcache.GatewayCache", "LOCATION": LAB_GATEWAY_URL}}.

    The control token is settings.LAB_CONTROL_TOKEN (else LAB_CONTROL_TOKEN/_FILE from the environment).
    """

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        if not location:
            raise ValueError("GatewayCache needs LOCATION: the `python -m gateway` URL (LAB_GATEWAY_URL)")
        self._location = location

    @property
    def _kv(self) -> Any:
        from gateway.control.client import remote_lab

        # remote_lab keeps one client (and its connection pool) per URL and token
        return remote_lab(self._location, getattr(settings, "LAB_CONTROL_TOKEN", "") or None).kv

    def _seconds(self, timeout: Any) -> float | None:
        """Django's timeout (DEFAULT_TIMEOUT, None = forever, <= 0 = expire now) as seconds from now."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return None
        return max(float(timeout), 0.0)

    @staticmethod
    def _wrap(value: Any) -> dict[str, Any]:
        _check_value(value)
        return {"v": value}   # wrapped, so a stored None differs from a missing key

    @staticmethod
    def _unwrap(stored: Any) -> Any:
        return stored["v"] if isinstance(stored, dict) and "v" in stored else _MISSING

    # ---- the cache API
    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._kv.add(key, self._wrap(value), self._seconds(timeout)))

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        value = self._unwrap(self._kv.get(key))
        return default if value is _MISSING else value

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._kv.set(key, self._wrap(value), self._seconds(timeout))

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._kv.touch(key, self._seconds(timeout)))

    def delete(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._kv.delete(key))

    def has_key(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return self._unwrap(self._kv.get(key)) is not _MISSING

    def get_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        found = {}
        for key in keys:
            value = self._unwrap(self._kv.get(self.make_and_validate_key(key, version=version)))
            if value is not _MISSING:
                found[key] = value
        return found

    def set_many(self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        for value in data.values():   # refuse the whole batch before storing any of it
            _check_value(value)
        for key, value in data.items():
            self.set(key, value, timeout, version)
        return []

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        for key in keys:
            self.delete(key, version)

    def clear(self) -> None:
        self._kv.clear()

    def close(self, **kwargs: Any) -> None:
        pass   # the connection pool belongs to the process-wide RemoteLab
