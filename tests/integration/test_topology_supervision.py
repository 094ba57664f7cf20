"""`make topology` supervises its processes and deploy/compose.yaml restarts every long-running service (issue 23).
The full fault run (Redis, a gateway and a web worker killed under 10 learners) is scripts/fault_topology.py."""
from __future__ import annotations

import time
from pathlib import Path

import redis
import yaml

from scripts.topology import Topology

REPO = Path(__file__).resolve().parents[2]


def test_every_long_running_service_in_compose_restarts_and_the_one_shot_migration_does_not() -> None:
    services = yaml.safe_load((REPO / "deploy/compose.yaml").read_text())["services"]
    assert {"db", "redis", "gateway-1", "gateway-2", "web", "migrate"} <= set(services)
    for name, service in services.items():
        expected = "no" if name == "migrate" else "unless-stopped"
        assert service.get("restart") == expected, (name, service.get("restart"))


def test_a_killed_redis_is_started_again_on_its_port(tmp_path: Path) -> None:
    topology = Topology(gateways=0, workdir=tmp_path)
    try:
        topology.start_redis()
        first = topology.processes["redis"].pid
        topology.supervise()
        topology.kill("redis")                                 # SIGKILL: a crash
        client = redis.Redis(host="127.0.0.1", port=topology.redis_port, socket_connect_timeout=1)
        deadline = time.monotonic() + 60
        while not (topology.restarts and _answers(client)):
            assert time.monotonic() < deadline, "redis was not restarted"
            time.sleep(0.1)                                    # polling for the restart, not outwaiting it
        assert topology.processes["redis"].pid != first
        assert [name for _, name, _ in topology.restarts] == ["redis"]
    finally:
        topology.stop()
    assert topology.processes["redis"].poll() is not None      # stopping ends supervision: nothing restarts it


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
