"""Suite-wide fixtures."""
from __future__ import annotations

from typing import Iterator

import pytest

from scripts.labserver import start_redis, stop_process
from tests import inflight


@pytest.fixture(scope="module", autouse=True)
def fresh_runtime() -> None:
    """Each test module starts with a runtime of its own (gateway/runtime.py): a new Lab, moto backend, client pools
    and per-process memory; the apps' registrations (world extensions, journal sink, Lab setups) stay. moto's own
    data is process-wide whatever the runtime, which is why every test makes accounts of its own."""
    from gateway import runtime

    runtime.fresh()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this test worker's own: what LAB_REDIS_URL names wherever several processes serve the lab
    (the settings require it with LAB_GATEWAY_URL[S]). Tests that share it use keys of their own."""
    process, url = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop_process(process)


@pytest.fixture(autouse=True)
def live_server_goes_quiet(request):
    """After a test that used the live server, wait for its last requests before the database is flushed.

    Requesting `transactional_db` here makes pytest tear this fixture down before the flush.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    assert inflight.wait_until_idle(), "the live server was still busy 15 s after the test ended"
