"""A pytest plugin for scripts/bench_suite_cpu.py: counts the RSA keys a pytest process generates, and their CPU.

Loaded with `-p suiteprobe` (scripts/ on PYTHONPATH); each process writes its count to $SUITE_PROBE_DIR when it ends.
"""
from __future__ import annotations

import json
import os
import threading
import time

from cryptography.hazmat.primitives.asymmetric import rsa

_generate = rsa.generate_private_key
_lock = threading.Lock()
_counted: dict = {"keys": 0, "cpu": 0.0, "bits": {}}


def _counting_generate(*args, **kwargs):
    started = time.thread_time()   # the calling thread's CPU: KeyPool's filler thread makes most of them
    key = _generate(*args, **kwargs)
    with _lock:
        _counted["keys"] += 1
        _counted["cpu"] += time.thread_time() - started
        _counted["bits"][key.key_size] = _counted["bits"].get(key.key_size, 0) + 1
    return key


rsa.generate_private_key = _counting_generate


def pytest_unconfigure(config) -> None:
    folder = os.environ.get("SUITE_PROBE_DIR")
    if folder:
        with _lock, open(os.path.join(folder, f"{os.getpid()}.json"), "w") as handle:
            json.dump(_counted, handle)
