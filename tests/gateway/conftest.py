"""Fixtures for the gateway tests: a Lab with one sandbox (accounts dev + prod) and an outsider sandbox, a
GatewayApp over the shared in-process moto, seeding through admin_client, and the same app served over real HTTP."""
from __future__ import annotations

from typing import Any, Iterator

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


# ------------------------------------------------------------------------------------------------ port contracts
CONTRACT_TOKEN = "contract-token-" + "c" * 24


class PortSide:
    """One implementation of the ports (engine/ports.py, gateway/ports.py): the objects of this process, or the same
    kind of objects in a lab-control server reached over real HTTP through RemoteLab. A contract test runs against
    both, so the remote path answers exactly as the in-process one."""

    def __init__(self, kind: str, lab: Any, world: Any, imds: Any, admin: Any, *, gateway: Any = None,
                 endpoint: str | None = None) -> None:
        self.kind, self.lab, self.world, self.imds, self._admin = kind, lab, world, imds, admin
        self.gateway, self.endpoint = gateway, endpoint

    def client(self, service: str, **creds: Any) -> Any:
        """A learner's boto3 client answered by this side's gateway (its Lab decides)."""
        from gateway.client import learner_client

        return learner_client(service, gateway=self.gateway, endpoint=self.endpoint, **creds)

    def unsigned(self, service: str = "sts") -> Any:
        from gateway.client import unsigned_client

        return unsigned_client(service, gateway=self.gateway, endpoint=self.endpoint)

    @property
    def trail(self) -> Any:
        return self.lab.trail

    def admin(self, service: str, account: str, sandbox_id: str | None = None) -> Any:
        return self._admin(service, account, sandbox_id)


@pytest.fixture(scope="module")
def remote_ports() -> Iterator[PortSide]:
    """A LabControlApp with a Lab of its own, served by cheroot in a thread, reached through RemoteLab."""
    from gateway.control.client import RemoteLab
    from gateway.control.server import LabControlApp

    owner = Lab()
    app = LabControlApp(GatewayApp(owner, default_moto()), token=CONTRACT_TOKEN)
    server, thread = serve_in_thread("127.0.0.1", 0, app)
    remote = RemoteLab(f"http://127.0.0.1:{server.server_port}", CONTRACT_TOKEN)
    yield PortSide("remote", remote, remote.world, remote.imds_app(),
                   lambda service, account, sandbox_id: remote.admin_client(service, account, sandbox_id=sandbox_id),
                   endpoint=remote.url)
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(params=["in-process", "remote"])
def ports(request: pytest.FixtureRequest) -> PortSide:
    """The ports in-process and, in a second run, over lab control (the contract suites' fixture)."""
    if request.param == "remote":
        return request.getfixturevalue("remote_ports")
    from gateway.admin import local_admin_client
    from gateway.imds import ImdsApp
    from gateway.worldstate import WorldState

    lab = Lab()
    return PortSide("in-process", lab, WorldState(default_moto()), ImdsApp(lab),
                    lambda service, account, sandbox_id: local_admin_client(
                        service, account, sandbox_id=sandbox_id, region="us-east-1", moto=default_moto()),
                    gateway=GatewayApp(lab, default_moto()))
