"""Suite-wide fixtures."""
from __future__ import annotations

import pytest

from tests import inflight


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
