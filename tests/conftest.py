"""Suite-wide fixtures."""
from __future__ import annotations

from typing import Iterator

import pytest

from scripts.labserver import start_redis, stop_process
from tests import inflight


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
