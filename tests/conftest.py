"""Suite-wide fixtures."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from django.test import Client

from scripts.labserver import start_redis, stop_process
from tests import inflight
from tests.factories import Learner, new_learner


@pytest.fixture(scope="module", autouse=True)
def fresh_runtime() -> None:
    """Each test module starts with a runtime of its own (gateway/runtime.py): a new Lab, moto backend, client pools
    and per-process memory; the apps' registrations (world extensions, journal sink, Lab setups) stay. moto's own
    data is process-wide whatever the runtime, which is why every test makes accounts of its own."""
    from gateway import runtime

    runtime.fresh()


@pytest.fixture(scope="session", autouse=True)
def console_children_at_the_suites_priority() -> Iterator[tuple[int, int]]:
    """The console's children run at nice 0 in the suite (the product's default is nice 10 in an autogroup of their
    own, tests/integration/test_console_jail.py runs a child at it): the suite's workers share one autogroup, so a
    child at 10 got about a tenth of the CPU while three workers were busy and ran past its 15 s limit."""
    from challenges import jail

    default = (jail.NICE, jail.AUTOGROUP_NICE)
    jail.NICE = jail.AUTOGROUP_NICE = 0
    yield default
    jail.NICE, jail.AUTOGROUP_NICE = default


@pytest.fixture(scope="session", autouse=True)
def collector_as_the_served_lab() -> None:
    """The cycle collector in the batches `make run` and `make class` serve with (gateway.server.GC_THRESHOLDS):
    the suite's workers hold moto's and the engine's state for hundreds of sandboxes, as the server does, and with
    Python's defaults spent a share of their CPU walking it. tests/securecart/test_serve.py checks the served
    processes set it."""
    from gateway.server import collect_garbage_in_batches

    collect_garbage_in_batches()


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marked by where they live: tests/browser drive Chromium, tests/integration start processes or servers
    (live servers, gateways, Redis, PostgreSQL, the console's sandboxed children); `make test-fast` leaves both out."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "browser" in parts:
            item.add_marker(pytest.mark.browser)
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)


# ---------------------------------------------------------------------------------------------- web fixtures
@pytest.fixture(autouse=True)
def fresh_throttle_counters():
    """Every test starts with no failed sign-ins or room joins counted (securecart/throttle.py)."""
    from django.core.cache import caches
    caches["throttle"].clear()


@pytest.fixture
def learner(db) -> Learner:
    """Alice: a visitor whose first visit built her sandbox (the SecureCart world in three accounts)."""
    return new_learner()


@pytest.fixture
def other_learner(db) -> Learner:
    """Bob: another visitor with a sandbox of his own; he must never reach Alice's accounts, nor she his."""
    return new_learner()


@pytest.fixture
def signed_in_instructor(db):
    """Makes a browser signed in as a new instructor, granted by `manage.py instructor` as make instructor does."""
    import io

    from django.contrib.auth.models import User
    from django.core.management import call_command

    def make(username: str) -> Client:
        user = User.objects.create_user(username, password="a-long-classroom-password")
        call_command("instructor", username, stdout=io.StringIO())
        client = Client()
        client.force_login(user)
        return client
    return make


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, with the files that mostly wait started apart from those that use the CPU
    (tests/scheduling.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.scheduling import WaitingFilesApart

    return WaitingFilesApart(config, log)
