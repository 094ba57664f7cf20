"""The process's runtime: everything the lab keeps in memory between requests, in one object (issue 24, item 4).

`current()` is this process's Runtime: the Lab, the moto backend and the GatewayApp over them, the boto3 session and
the pooled clients (learners', admins', remote admins'), the RemoteLabs by gateway URL, the S3 names shortened with
a hash, the journal sink, the shard router's health and probes, and the web layer's own per-process memory
(`web`: sandbox build claims, activity marks, key owners, proxy connection pools, the pool's refill state, the
template lock, the operator's per-thread counters). No module of gateway/ or sandboxes/ keeps such state at module
level (tests/gateway/test_runtime.py lists them); constant tables are frozen (frozenset, tuple, MappingProxyType).

What is configuration rather than state is kept by `fresh()`: the setups run on every new Lab (the web layer's
database event store), the journal sink and the world's extensions (registered by the apps at start-up). Tests
get a fresh runtime per module (tests/conftest.py). moto's own data is not the runtime's: moto keeps its backends
in its modules' globals, whatever the runtime, which is why every sandbox has accounts of its own.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

T = TypeVar("T")


@dataclass
class Configuration:
    """What the apps register at start-up; a fresh runtime keeps it."""
    lab_setups: list[Callable[[Any], None]] = field(default_factory=list)
    journal_sink: Callable[[Any], None] | None = None
    world_extensions: dict[str, Any] = field(default_factory=dict)   # sandboxes.world.WorldExtension by name


@dataclass
class WebMemory:
    """The web layer's per-process memory (sandboxes/): plain containers and locks, no Django here."""
    ready_lock: threading.RLock = field(default_factory=threading.RLock)        # services: one build at a time
    claim_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)    # services: this process's claims
    marked_active: dict[str, float] = field(default_factory=dict)               # services: last_active writes
    key_owners: dict[str, tuple[str | None, str | None, float]] = field(default_factory=dict)   # wakeup
    key_owners_lock: threading.Lock = field(default_factory=threading.Lock)
    proxy_pools: dict[str, Any] = field(default_factory=dict)                   # gatewaymount: urllib3 pools
    proxy_pools_lock: threading.Lock = field(default_factory=threading.Lock)
    pool_refill_lock: threading.Lock = field(default_factory=threading.Lock)    # pool: one refill at a time
    pool_refilling: threading.Event = field(default_factory=threading.Event)
    template_lock: threading.Lock = field(default_factory=threading.Lock)       # template: one build here
    templates_ready: set[str] = field(default_factory=set)                      # template: gateways seen ready
    operator_writes: threading.local = field(default_factory=threading.local)   # operator: policy writes/thread


@dataclass
class ShardRouter:
    """sandboxes/shards.py's memory: each gateway's health (alive, when checked) and its lab-control probe."""
    health: dict[str, tuple[bool, float]] = field(default_factory=dict)
    health_lock: threading.Lock = field(default_factory=threading.Lock)
    probes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    config: Configuration = field(default_factory=Configuration)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # built on first use (`once`): the Lab, moto, the GatewayApp (gateway.client.default_lab/_moto/_gateway), the
    # boto3 sessions, the HTTP session. This module imports none of them (no import cycle through it).
    built: dict[str, Any] = field(default_factory=dict)
    learner_clients: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    admin_clients: dict[tuple[str, str], Any] = field(default_factory=dict)       # shared, per service and region
    remote_admins: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    remote_labs: dict[tuple[str, str], Any] = field(default_factory=dict)         # RemoteLab per URL and token
    s3_long_names: dict[str, str] = field(default_factory=dict)                   # stored -> familiar bucket name
    shards: ShardRouter = field(default_factory=ShardRouter)
    web: WebMemory = field(default_factory=WebMemory)

    def once(self, name: str, build: Callable[[], T]) -> T:
        """The runtime's `name`, built by `build()` on first use (under the runtime's lock: built once)."""
        with self.lock:
            if name not in self.built:
                self.built[name] = build()
            return self.built[name]  # type: ignore[no-any-return]

    def put(self, name: str, value: Any) -> None:
        with self.lock:
            self.built[name] = value

    def on_new_lab(self, setup: Callable[[Any], None]) -> None:
        """Run `setup` on this runtime's Lab (engine.lab.Lab) now if built, and on every Lab a fresh runtime builds
        (gateway.client.default_lab builds them)."""
        with self.lock:
            self.config.lab_setups.append(setup)
            lab = self.built.get("lab")
        if lab is not None:
            setup(lab)


_runtime: Runtime | None = None   # the one module-level reference: this process's Runtime
_runtime_lock = threading.Lock()


def current() -> Runtime:
    """This process's runtime, made on first use."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = Runtime()
    return _runtime


def fresh() -> Runtime:
    """Start over with a new runtime (new Lab, moto backend, pools and memory), keeping the configuration the apps
    registered. For tests; a serving process has one runtime all its life."""
    global _runtime
    with _runtime_lock:
        config = _runtime.config if _runtime is not None else Configuration()
        _runtime = Runtime(config=config)
        return _runtime
