"""The sharded topology for real (scripts/topology.py): PostgreSQL, redis-server, two `manage.py gateway` processes
and gunicorn with two workers, LAB_GATEWAY_URLS naming both gateways. Learners' sandboxes are spread over the two
gateways (least-loaded), each request reaches its sandbox's gateway (pages, step runs, the /aws proxy with long-term
and session keys), the shared store is Redis, and a gateway killed with SIGKILL has its sandboxes rebuilt on the
other from the database with the learner's keys and writes."""
from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
from typing import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from scripts.topology import Topology

pytestmark = pytest.mark.slow

S1 = "/scenarios/cross-account-auditors/assume-audit-role/"


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    running = Topology(gateways=2, workers=2, threads=4, pool=0, workdir=tmp_path_factory.mktemp("topology"),
                       keep=True).start()
    try:
        yield running
    finally:
        running.stop()


class Learner:
    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        assert "Preparing your sandbox" in self.get("/")[1]
        assert self.get("/")[0] == 200
        session_keys = {c.value for c in self.jar if c.name == "sessionid"}
        (self.sandbox_id,) = topology.psql("SELECT id FROM sandboxes_sandbox WHERE owner_session_key = ANY(%s)",
                                           list(session_keys))[0]
        self.key_id, self.secret = topology.psql(
            "SELECT access_key_id, secret_access_key FROM sandboxes_accesskey WHERE sandbox_id=%s AND "
            "account_name='production' AND user_name='lab-admin'", self.sandbox_id)[0]

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.topology.url + path))

    def post(self, path: str) -> tuple[int, str]:
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        return self._open(urllib.request.Request(self.topology.url + path, data=b"", method="POST", headers={
            "X-CSRFToken": csrf, "HX-Request": "true", "Referer": self.topology.url + "/"}))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=90) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def gateway(self) -> str:
        return self.topology.psql("SELECT gateway FROM sandboxes_gatewayassignment WHERE sandbox_id=%s",
                                  self.sandbox_id)[0][0]

    def client(self, service: str, key_id: str | None = None, secret: str | None = None,
               token: str | None = None):
        return boto3.client(service, endpoint_url=self.topology.url + "/aws", region_name="us-east-1",
                            aws_access_key_id=key_id or self.key_id, aws_secret_access_key=secret or self.secret,
                            aws_session_token=token,
                            config=Config(retries={"mode": "standard", "total_max_attempts": 2}))


def _owner_on(topology: Topology, gateway: str, account_id: str) -> str | None:
    """Ask one gateway directly (lab control, with the token) which sandbox owns an account in its memory."""
    request = urllib.request.Request(f"{gateway}/_lab/v1/sandboxes.sandbox_of_account",
                                     data=json.dumps({"account_id": account_id}).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {topology.token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["result"]


@pytest.fixture(scope="module")
def learners(topology: Topology) -> list[Learner]:
    return [Learner(topology), Learner(topology)]


def test_new_sandboxes_go_to_the_least_loaded_gateway_and_live_only_there(topology: Topology,
                                                                          learners: list[Learner]) -> None:
    placed = [learner.gateway() for learner in learners]
    assert sorted(placed) == sorted(topology.gateway_urls), placed   # one each: the least-loaded choice
    for learner, home in zip(learners, placed):
        (account_id,) = topology.psql("SELECT account_id FROM sandboxes_account WHERE sandbox_id=%s AND "
                                      "name='production'", learner.sandbox_id)[0]
        other = next(url for url in topology.gateway_urls if url != home)
        assert _owner_on(topology, home, account_id) == learner.sandbox_id
        assert _owner_on(topology, other, account_id) is None   # its moto and engine state are on one gateway


def test_pages_step_runs_and_the_aws_proxy_reach_the_sandboxs_own_gateway(topology: Topology,
                                                                           learners: list[Learner]) -> None:
    for learner in learners:
        assert learner.get(S1)[0] == 200
        status, html = learner.post(S1 + "run/")
        assert status == 200 and "AccessKeyId" in html, html[:500]
        # a long-term key (a row) and then a session key (named by the gateway that issued it) through /aws
        sts = learner.client("sts")
        assert sts.get_caller_identity()["Arn"].endswith(":user/lab-admin")
        creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
        session = learner.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        assert session.get_caller_identity()["Arn"].endswith(":user/lab-admin")
    # the learners' current session credentials: the rows in PostgreSQL name their keys (no secret), and Redis holds
    # a copy of each secret, where both gunicorn workers find it (sandboxes/credentials.py, issue 23)
    import redis

    rows = topology.psql("SELECT access_key_id FROM sandboxes_keptsession")
    assert len(rows) >= len(learners), rows
    store = redis.Redis(host="127.0.0.1", port=topology.redis_port)
    cached = store.keys("securecart:*session-secret:*")
    assert {key.rsplit(b":", 1)[-1].decode() for key in cached} >= {key for (key,) in rows}, cached[:20]


def test_a_killed_gateways_sandboxes_are_rebuilt_on_the_other_with_keys_and_writes(
        topology: Topology, learners: list[Learner]) -> None:
    victim = learners[0]
    doomed = victim.gateway()
    survivor_url = next(url for url in topology.gateway_urls if url != doomed)
    iam, s3 = victim.client("iam"), victim.client("s3")
    iam.create_user(UserName="shard-survivor")
    made = iam.create_access_key(UserName="shard-survivor")["AccessKey"]
    s3.put_object(Bucket="securecart-product-images", Key="notes/before-the-kill.txt", Body=b"still here")
    bystander = learners[1]
    bystander_home = bystander.gateway()

    topology.kill_gateway(topology.gateway_urls.index(doomed))   # SIGKILL: a crash, nothing saved on the way out

    # the learner's next request (here the terminal, with a key they created) moves the sandbox and rebuilds it
    assert victim.client("sts", made["AccessKeyId"], made["SecretAccessKey"]).get_caller_identity()["Arn"] \
        .endswith(":user/shard-survivor")
    assert victim.gateway() == survivor_url
    assert s3.get_object(Bucket="securecart-product-images", Key="notes/before-the-kill.txt")["Body"].read() == \
        b"still here"
    assert victim.client("sts").get_caller_identity()["Arn"].endswith(":user/lab-admin")   # same seeded key
    assert victim.get(S1)[0] == 200
    status, html = victim.post(S1 + "run/")
    assert status == 200 and "AccessKeyId" in html
    (account_id,) = topology.psql("SELECT account_id FROM sandboxes_account WHERE sandbox_id=%s AND "
                                  "name='production'", victim.sandbox_id)[0]
    assert _owner_on(topology, survivor_url, account_id) == victim.sandbox_id
    # the other gateway's learner was never touched; a brand-new learner goes to the live gateway
    assert bystander.gateway() == bystander_home
    assert bystander.get(S1)[0] == 200
    assert Learner(topology).gateway() == survivor_url
    # a session key the dead gateway issued is gone with it, as AWS would refuse an unknown key
    with pytest.raises(ClientError) as refused:
        victim.client("iam", "ASIAUNKNOWNSESSIONKEY", "x" * 40, "token").list_users()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
