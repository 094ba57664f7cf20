"""sandboxes/shards.py against real lab-control servers (gateway.control.server.LabControlApp on local ports) and a
port where nothing answers: least-loaded placement, the move off a dead gateway (once, conditionally), the request
routing of the /aws proxy (long-term key rows, unsigned calls by RoleArn), and the per-request routing choice.
The whole topology (real gateways, PostgreSQL, Redis, a SIGKILL) is tests/web/test_sharded_topology.py."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
from django.test import RequestFactory

from gateway import routing
from gateway.control.wire import LabControlError
from sandboxes import credentials, shards
from sandboxes.models import AccessKey, Account, GatewayAssignment, Sandbox

TOKEN = "shards-test-token-" + secrets.token_hex(8)


class ControlServer:
    def __init__(self) -> None:
        from engine.lab import Lab
        from gateway.control.server import LabControlApp
        from gateway.server import serve_in_thread

        def no_gateway(environ: dict, start_response: Any) -> list[bytes]:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not here"]

        self.server, _ = serve_in_thread("127.0.0.1", 0, LabControlApp(no_gateway, token=TOKEN, lab=Lab(),
                                                                       moto=object()))
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def two_gateways(settings) -> Iterator[list[ControlServer]]:
    servers = [ControlServer(), ControlServer()]
    settings.LAB_GATEWAY_URLS = [server.url for server in servers]
    settings.LAB_GATEWAY_URL = servers[0].url   # as securecart.settings.base derives it from LAB_GATEWAY_URLS
    settings.LAB_CONTROL_TOKEN = TOKEN
    shards.forget_health()
    choice = routing.choose(None)   # shards.route sets this thread's choice: leave none behind for other tests
    try:
        yield servers
    finally:
        routing.reset(choice)
        for server in servers:
            try:
                server.stop()
            except OSError:
                pass
        shards.forget_health()


def _sandbox() -> Sandbox:
    return Sandbox.objects.create(kind="world")


@pytest.mark.django_db
def test_new_sandboxes_go_to_the_gateway_with_fewest_sandboxes(two_gateways: list[ControlServer]) -> None:
    first, second = (server.url for server in two_gateways)
    placed = [shards.gateway_of(_sandbox().pk) for _ in range(3)]
    assert placed == [first, second, first]   # ties go to the first listed
    GatewayAssignment.objects.filter(gateway=first).delete()
    assert shards.gateway_of(_sandbox().pk) == first   # now the emptier one
    assert shards.load() == {first: 1, second: 1}


@pytest.mark.django_db
def test_a_dead_gateways_sandbox_moves_once_and_its_cached_sessions_are_forgotten(
        two_gateways: list[ControlServer]) -> None:
    first, second = two_gateways
    sandbox = _sandbox()
    GatewayAssignment.objects.create(sandbox=sandbox, gateway=second.url)
    expires = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    credentials.keep(sandbox.pk, credentials.SessionCredentials(
        name="audit", label="audit", arn="arn:aws:sts::200000000003:assumed-role/A/s", access_key_id="ASIAX",
        secret_access_key="s", session_token="t", expiration=expires))
    assert shards.gateway_of(sandbox.pk) == second.url   # alive: stays

    second.stop()
    shards.forget_health()
    assert shards.route(sandbox.pk) == first.url
    assert routing.chosen() == first.url
    assert GatewayAssignment.objects.get(sandbox=sandbox).gateway == first.url
    assert credentials.get(sandbox.pk, "audit") is None
    # a second web process noticing the same death finds it moved already: no second move
    assert shards.move(sandbox.pk, second.url) == first.url

    first.stop()
    shards.forget_health()
    with pytest.raises(shards.NoLiveGateway):
        shards.gateway_of(_sandbox().pk)


@pytest.mark.django_db
def test_one_failed_call_to_a_gateway_that_still_answers_moves_nothing(two_gateways: list[ControlServer]) -> None:
    """A pooled connection the gateway closed as idle fails like a dead gateway; a fresh health check tells them
    apart, so the sandbox stays where its state is."""
    first, second = two_gateways
    sandbox = _sandbox()
    GatewayAssignment.objects.create(sandbox=sandbox, gateway=second.url)
    calls = []

    def flaky_check() -> bool:
        calls.append(routing.chosen())
        if len(calls) == 1:
            raise LabControlError("could not reach the lab gateway: connection reset")   # no status: transport
        return True

    assert shards.check_live(sandbox.pk, flaky_check) is True
    assert calls == [second.url, second.url]
    assert GatewayAssignment.objects.get(sandbox=sandbox).gateway == second.url
    assert shards.is_alive(second.url)

    # the same failure from a gateway that really is gone: moved, and checked on its new gateway
    second.stop()
    calls.clear()
    assert shards.check_live(sandbox.pk, flaky_check) is True
    assert calls == [second.url, first.url]
    assert GatewayAssignment.objects.get(sandbox=sandbox).gateway == first.url


@pytest.mark.django_db
def test_the_aws_proxy_finds_the_sandbox_from_its_key_or_the_role_it_asks_for(
        two_gateways: list[ControlServer]) -> None:
    owner, other = _sandbox(), _sandbox()
    account = Account.objects.create(sandbox=owner, name="production")
    Account.objects.create(sandbox=other, name="production")
    AccessKey.objects.create(sandbox=owner, account_name="production", user_name="lab-admin",
                             arn=f"arn:aws:iam::{account.account_id}:user/lab-admin",
                             access_key_id="AKIASHARDSTEST000001", secret_access_key="secret")
    factory = RequestFactory()
    signed = factory.post("/aws", data=b"Action=GetCallerIdentity", content_type="application/x-www-form-urlencoded",
                          HTTP_AUTHORIZATION="AWS4-HMAC-SHA256 Credential=AKIASHARDSTEST000001/20261202/us-east-1/"
                                             "sts/aws4_request, SignedHeaders=host, Signature=00")
    assert shards.sandbox_of_request(signed, b"Action=GetCallerIdentity") == owner.pk
    body = (f"Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A{account.account_id}%3Arole%2FDeploy"
            "&WebIdentityToken=x").encode()
    unsigned = factory.post("/aws", data=body, content_type="application/x-www-form-urlencoded")
    assert shards.sandbox_of_request(unsigned, body) == owner.pk
    # a key nobody knows: the gateways are asked (neither names it), and the proxy sends it to a live gateway,
    # which refuses it as AWS does
    stranger = factory.get("/aws", HTTP_AUTHORIZATION="AWS4-HMAC-SHA256 Credential=ASIANOBODYKNOWS00001/x")
    assert shards.sandbox_of_request(stranger, b"") is None
    assert shards.gateway_for_request(stranger, b"") == two_gateways[0].url


def test_each_request_starts_and_ends_with_no_gateway_chosen() -> None:
    seen = []

    def view(request):
        seen.append(routing.chosen())
        routing.choose("http://127.0.0.1:9401")
        return "response"

    middleware = shards.RoutingMiddleware(view)
    token = routing.choose("http://127.0.0.1:9402")   # left behind by earlier work on this thread
    try:
        assert middleware(RequestFactory().get("/")) == "response"
        assert seen == [None]
        assert routing.chosen() == "http://127.0.0.1:9402"
    finally:
        routing.reset(token)


def _built_looking_sandbox() -> Sandbox:
    """A sandbox with its accounts, so Sandbox.is_live asks its gateway (these lab-control servers build nothing)."""
    sandbox = _sandbox()
    Account.objects.create(sandbox=sandbox, name="production", account_id=str(secrets.randbelow(10**11) + 10**11))
    return sandbox


@pytest.mark.django_db
def test_a_sandbox_is_moved_off_a_dead_gateway_only_when_it_is_placed_on_one(two_gateways: list[ControlServer]) -> None:
    first, second = two_gateways
    on_first, on_second, unplaced = _sandbox(), _sandbox(), _sandbox()
    GatewayAssignment.objects.create(sandbox=on_first, gateway=first.url)
    GatewayAssignment.objects.create(sandbox=on_second, gateway=second.url)
    second.stop()
    for sandbox in (on_first, on_second, unplaced):
        shards.move_off_a_dead_gateway(sandbox.pk)
    assert dict(GatewayAssignment.objects.values_list("sandbox_id", "gateway")) == {
        on_first.pk: first.url, on_second.pk: first.url}   # the unplaced one is still placed nowhere


@pytest.mark.django_db
def test_a_rooms_fast_forward_and_reset_reach_every_student_and_name_those_whose_lab_did_not_answer(
        two_gateways: list[ControlServer], django_user_model) -> None:
    from classroom import services as classroom_services
    from classroom.models import Classroom, Student

    first, second = two_gateways
    room = Classroom.objects.create(title="Sharded", instructor=django_user_model.objects.create_user("iris"))
    placed = {"amy": first.url, "ben": second.url, "cat": first.url}
    for nickname, gateway in placed.items():
        sandbox = _built_looking_sandbox()
        GatewayAssignment.objects.create(sandbox=sandbox, gateway=gateway)
        Student.objects.create(classroom=room, nickname=nickname, sandbox=sandbox)
    offsets = lambda: {s.nickname: s.sandbox.clock_offset_seconds   # noqa: E731
                       for s in room.active_students().select_related("sandbox")}

    second.stop()   # ben's gateway: his world is gone, the room's move still reaches him (and the one after him)
    assert classroom_services.fast_forward_all(room, 900) == classroom_services.RoomChange(3)
    assert offsets() == {"amy": 900.0, "ben": 900.0, "cat": 900.0}
    assert set(GatewayAssignment.objects.values_list("gateway", flat=True)) == {first.url}   # ben's moved

    first.stop()   # no gateway answers: nobody changes, and the instructor is told who
    shards.forget_health()
    assert classroom_services.fast_forward_all(room, 900) == classroom_services.RoomChange(0, ("amy", "ben", "cat"))
    assert classroom_services.reset_all(room) == classroom_services.RoomChange(0, ("amy", "ben", "cat"))
    assert offsets() == {"amy": 900.0, "ben": 900.0, "cat": 900.0}
