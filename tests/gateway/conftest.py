"""Fixtures for the gateway tests: a Lab with one sandbox (accounts dev + prod) and an outsider sandbox, a
GatewayApp over the shared in-process moto, seeding through admin_client, and the same app served over real HTTP."""
from __future__ import annotations

from typing import Iterator

import pytest

from engine.lab import Lab
from gateway.app import GatewayApp
from gateway.client import default_moto
from gateway.server import serve_in_thread
from gateway_kit import Sandbox


@pytest.fixture(scope="module")
def lab_app() -> Iterator[tuple[Lab, GatewayApp]]:
    from engine.sts.federated import install

    lab = Lab()
    install(lab)  # AssumeRoleWithSAML / AssumeRoleWithWebIdentity
    yield lab, GatewayApp(lab, default_moto())


@pytest.fixture(scope="module")
def http_endpoint(lab_app: tuple[Lab, GatewayApp]) -> Iterator[str]:
    server, thread = serve_in_thread("127.0.0.1", 0, lab_app[1])
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(params=["in-process", "http"])
def sbx(request: pytest.FixtureRequest, lab_app: tuple[Lab, GatewayApp]) -> Sandbox:
    """A fresh sandbox reached in-process and, in a second run, over real HTTP."""
    lab, app = lab_app
    endpoint = request.getfixturevalue("http_endpoint") if request.param == "http" else None
    return Sandbox(lab, app, endpoint)


@pytest.fixture
def local(lab_app: tuple[Lab, GatewayApp]) -> Sandbox:
    """A fresh sandbox reached in-process only (for tests whose subject is not the transport)."""
    return Sandbox(*lab_app)
