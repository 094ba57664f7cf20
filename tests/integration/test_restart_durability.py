"""Restarts and evictions lose nothing a learner did (issue 9 item 4): a sandbox rebuilt from the database keeps its
long-term keys and everything the learner wrote through the endpoint; scripted sandboxes wake on their first /aws
request; advance-clock says when it rebuilt; a stale build claim is taken over; a request without a session
builds nothing."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from sandboxes import models, services, world
from sandboxes.labclient import lab, world_state
from sandboxes.models import JournaledWrite, Sandbox

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"Service": "ec2.amazonaws.com"}}]})


def _lose_memory(sandbox: Sandbox) -> None:
    """What a restart does to one sandbox: the engine forgets it and moto loses its accounts."""
    lab().forget_sandbox(sandbox.id)
    world_state().drop_accounts(list(sandbox.account_ids().values()))


def _aws(live_server, service: str, key_id: str, secret: str):
    return boto3.client(service, endpoint_url=f"{live_server.url}/aws", region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret)


def test_a_rebuilt_sandbox_keeps_keys_and_the_learners_writes_from_the_terminal(learner, live_server):
    sandbox = learner.sandbox
    admin = sandbox.access_keys.get(account_name="production", user_name=world.ADMIN_USER)
    iam = _aws(live_server, "iam", admin.access_key_id, admin.secret_access_key)
    s3 = _aws(live_server, "s3", admin.access_key_id, admin.secret_access_key)
    iam.create_role(RoleName="MyTerminalRole", AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName="terminal-user")
    iam.put_user_policy(UserName="terminal-user", PolicyName="ReadImages", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": f"arn:aws:s3:::{world.PRODUCT_IMAGES}/*"}]}))
    made = iam.create_access_key(UserName="terminal-user")["AccessKey"]
    s3.put_object(Bucket=world.PRODUCT_IMAGES, Key="notes/mine.txt", Body=b"written from my terminal")
    s3.delete_object(Bucket=world.PRODUCT_IMAGES, Key="images/hero-banner.jpg")
    iam.get_role(RoleName="MyTerminalRole")   # a read: not journaled
    ops = list(JournaledWrite.objects.filter(sandbox=sandbox).values_list("operation", flat=True))
    assert ops == ["CreateRole", "CreateUser", "PutUserPolicy", "CreateAccessKey", "", ""]
    assert not JournaledWrite.objects.filter(sandbox=sandbox, body__contains=admin.secret_access_key.encode())

    _lose_memory(sandbox)
    with pytest.raises(ClientError):   # really gone from moto: only the rebuild can bring it back
        boto3.client("iam", region_name="us-east-1", endpoint_url=f"{live_server.url}/aws",
                     aws_access_key_id="AKIANOTAKEYOFANYONE1", aws_secret_access_key="x").get_user()

    # The first /aws request, signed with the key the learner made in the terminal, wakes the sandbox.
    sts = _aws(live_server, "sts", made["AccessKeyId"], made["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/terminal-user")
    assert iam.get_role(RoleName="MyTerminalRole")["Role"]["RoleName"] == "MyTerminalRole"   # same seeded admin key
    assert s3.get_object(Bucket=world.PRODUCT_IMAGES, Key="notes/mine.txt")["Body"].read() == \
        b"written from my terminal"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=world.PRODUCT_IMAGES)["Contents"]]
    assert "images/hero-banner.jpg" not in keys
    user_s3 = _aws(live_server, "s3", made["AccessKeyId"], made["SecretAccessKey"])
    assert user_s3.get_object(Bucket=world.PRODUCT_IMAGES, Key="notes/mine.txt")["Body"].read()


def test_reset_forgets_the_journal_but_keeps_the_keys(learner):
    sandbox = learner.sandbox
    admin = sandbox.access_keys.get(account_name="production", user_name=world.ADMIN_USER)
    JournaledWrite.objects.create(sandbox=sandbox, service="iam", operation="CreateUser",
                                  account_id=sandbox.account_ids()["production"], method="POST", path="/")
    assert learner.client.post("/sandbox/reset/").status_code == 302
    assert not JournaledWrite.objects.filter(sandbox=sandbox).exists()
    assert sandbox.access_keys.get(pk=admin.pk).access_key_id == admin.access_key_id
    assert lab().directory.access_key(admin.access_key_id) is not None


def test_a_scripted_sandbox_wakes_on_its_first_aws_request_and_advance_clock_says_it_rebuilt(live_server):
    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "create", "--json", "--accounts", "1", stdout=out)
    data = json.loads(out.getvalue())
    admin = data["accounts"][0]["admin"]
    sandbox = Sandbox.objects.get(pk=data["sandbox"])

    _lose_memory(sandbox)
    sts = _aws(live_server, "sts", admin["access_key_id"], admin["secret_access_key"])
    assert sts.get_caller_identity()["Arn"] == admin["arn"]

    _lose_memory(sandbox)
    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "advance-clock", sandbox.id, "60", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["rebuilt"] is True
    assert answer["accounts"][0]["admin"]["access_key_id"] == admin["access_key_id"]   # the same key as before
    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "advance-clock", sandbox.id, "60", stdout=out)
    assert json.loads(out.getvalue())["rebuilt"] is False and "accounts" not in json.loads(out.getvalue())


def test_an_evicted_sandbox_is_rebuilt_on_the_next_page_with_its_keys(learner):
    sandbox = learner.sandbox
    admin = sandbox.access_keys.get(account_name="production", user_name=world.ADMIN_USER)
    Sandbox.objects.filter(pk=sandbox.pk).update(last_active=timezone.now() - timedelta(hours=2))
    assert sandbox.id in services.evict_idle(idle_seconds=3600)
    assert not sandbox.is_live()
    assert lab().directory.access_key(admin.access_key_id) is None    # its memory is freed
    assert learner.client.get("/sandbox/").status_code == 200
    assert sandbox.is_live()
    assert lab().directory.access_key(admin.access_key_id).secret_access_key == admin.secret_access_key


def test_a_stale_build_claim_is_taken_over(learner):
    sandbox = learner.sandbox
    _lose_memory(sandbox)
    # A worker died mid-build, a little longer ago than a live build leaves its claim unrenewed.
    stale = timezone.now() - timedelta(seconds=models.BUILD_CLAIM_STALE_SECONDS + 1)
    Sandbox.objects.filter(pk=sandbox.pk).update(build_claim="dead-worker", build_claimed_at=stale)
    assert learner.client.get("/").status_code == 200
    assert sandbox.is_live()
    assert Sandbox.objects.get(pk=sandbox.pk).build_claim == ""


def _claim_renewals(learner) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert learner.client.post("/sandbox/reset/").status_code == 302
    return sum('SET "build_claimed_at"' in q["sql"] for q in queries.captured_queries)


def test_a_build_renews_its_claim_once_it_has_run_a_while(learner, monkeypatch):
    # A build of a few milliseconds writes no renewal; one that has held its claim for a while renews it between
    # phases, so a live build is never taken over as stale.
    assert _claim_renewals(learner) == 0
    monkeypatch.setattr(models, "CLAIM_RENEW_AFTER_SECONDS", 0.0)
    assert _claim_renewals(learner) >= 1
    assert Sandbox.objects.get(pk=learner.sandbox.pk).build_claim == ""   # released at the end all the same


@pytest.mark.django_db
def test_a_request_without_a_session_builds_no_world():
    before = Sandbox.objects.count()
    for path in ("/", "/sandbox/", "/scenarios/cross-account-auditors/"):
        r = Client().get(path)     # a crawler or a health check: no cookies kept
        assert r.status_code == 200 and b"Preparing your sandbox" in r.content
        assert r.cookies["sessionid"].value
    assert Sandbox.objects.count() == before


@pytest.mark.django_db
def test_a_retry_after_a_timed_out_first_build_finds_the_same_sandbox():
    client = Client()
    client.get("/")   # starts the session
    key = client.session.session_key
    # The build request timed out on the client's side: the sandbox exists for this session, the browser never saw
    # the answer that would have put it in the session.
    sandbox = services.create_sandbox(session_key=key)
    assert client.get("/").status_code == 200
    assert client.session["sandbox_id"] == sandbox.id
    assert Sandbox.objects.filter(owner_session_key=key).count() == 1


@pytest.mark.django_db
def test_new_learners_claim_sandboxes_built_ahead_of_time(settings, monkeypatch):
    from sandboxes import pool

    settings.LAB_SANDBOX_POOL = 2
    refills = []
    monkeypatch.setattr(pool, "refill_in_background", lambda build: refills.append(build))   # no thread in tests
    assert pool.refill(services.create_sandbox) == 2
    waiting = set(Sandbox.objects.filter(pooled=True).values_list("pk", flat=True))
    assert len(waiting) == 2 and all(s.is_live() for s in Sandbox.objects.filter(pk__in=waiting))

    first, second = Client(), Client()
    for client in (first, second):
        client.get("/")
        assert client.get("/").status_code == 200
    claimed = {first.session["sandbox_id"], second.session["sandbox_id"]}
    assert claimed == waiting                                  # each took a different built one
    assert Sandbox.objects.count() == 2 and not Sandbox.objects.filter(pooled=True).exists()
    assert Sandbox.objects.get(pk=first.session["sandbox_id"]).owner_session_key == first.session.session_key
    assert refills == [services.create_sandbox] * 2            # and asked for the pool to be refilled
    # An empty pool: the learner's sandbox is built for them, as before.
    third = Client()
    third.get("/")
    assert third.get("/").status_code == 200 and Sandbox.objects.count() == 3


# What a browser sends when a person opens a page (W3C Fetch Metadata Request Headers); curl and health checks don't.
BROWSER_NAVIGATION = {"HTTP_SEC_FETCH_MODE": "navigate", "HTTP_SEC_FETCH_DEST": "document", "HTTP_SEC_FETCH_SITE": "none"}


@pytest.mark.django_db
def test_a_browsers_first_page_claims_a_waiting_sandbox_in_one_request(settings, monkeypatch):
    from sandboxes import pool

    settings.LAB_SANDBOX_POOL = 2
    monkeypatch.setattr(pool, "refill_in_background", lambda build: None)   # no thread in tests
    pool.refill(services.create_sandbox)
    waiting = set(Sandbox.objects.filter(pooled=True).values_list("pk", flat=True))

    browser = Client()
    r = browser.get("/", **BROWSER_NAVIGATION)
    assert r.status_code == 200 and b"Preparing your sandbox" not in r.content
    mine = Sandbox.objects.get(pk=browser.session["sandbox_id"])
    assert mine.pk in waiting and not mine.pooled and mine.owner_session_key == browser.session.session_key
    assert mine.is_live() and Sandbox.objects.count() == 2           # claimed, nothing built
    # The next page (the cookie now comes along) is the same sandbox.
    assert browser.get("/sandbox/", **BROWSER_NAVIGATION).status_code == 200
    assert browser.session["sandbox_id"] == mine.pk and Sandbox.objects.count() == 2


@pytest.mark.django_db
def test_without_browser_headers_or_a_waiting_sandbox_the_first_page_only_starts_the_session(settings, monkeypatch):
    from sandboxes import pool

    settings.LAB_SANDBOX_POOL = 1
    monkeypatch.setattr(pool, "refill_in_background", lambda build: None)
    pool.refill(services.create_sandbox)
    # A health check or a crawler (no Fetch Metadata): the light page, and the waiting sandbox stays waiting.
    r = Client().get("/")
    assert b"Preparing your sandbox" in r.content and Sandbox.objects.filter(pooled=True).count() == 1
    # A form post is no page opening either.
    r = Client().post("/sandbox/reset/", **{**BROWSER_NAVIGATION})
    assert Sandbox.objects.filter(pooled=True).count() == 1
    # A browser takes the one that waits; the next browser finds the pool empty and gets the light page, no build.
    assert b"Preparing" not in Client().get("/", **BROWSER_NAVIGATION).content
    r = Client().get("/", **BROWSER_NAVIGATION)
    assert b"Preparing your sandbox" in r.content and Sandbox.objects.count() == 1


def _wait_for_pool(count: int, seconds: float = 120.0) -> int:
    """Polls until `count` built sandboxes wait in the pool (the refill thread writes a row, then builds its world);
    bounded, never a timing claim. Returns how many waiting sandboxes are built."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        built = sum(s.is_live() for s in Sandbox.objects.filter(pooled=True))
        if built >= count or time.monotonic() > deadline:
            return built
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)   # the refill thread writes on its own connection: rows must be committed
def test_make_runs_pool_of_four_is_filled_and_refilled_by_its_own_thread(settings):
    """The default `make run` serves with: LAB_SANDBOX_POOL=4 and the real background thread (the tests above replace
    it). The mistakes: the thread never started, dying on its first build, filling past the size, or a claimed
    sandbox not replaced."""
    from sandboxes import pool

    assert pool.size() == 0 and settings.LAB_SANDBOX_POOL == 0   # securecart.settings.test turns it off...
    settings.LAB_SANDBOX_POOL = 4                                 # ...make run's default (securecart.settings.base)
    first = Client()
    assert b"Preparing your sandbox" in first.get("/", **BROWSER_NAVIGATION).content   # empty pool: a build of its own
    assert _wait_for_pool(4) == 4                                 # the thread filled the pool meanwhile
    waiting = set(Sandbox.objects.filter(pooled=True).values_list("pk", flat=True))
    second = Client()
    r = second.get("/", **BROWSER_NAVIGATION)
    assert r.status_code == 200 and b"Preparing your sandbox" not in r.content
    assert second.session["sandbox_id"] in waiting                # claimed one of the four
    assert _wait_for_pool(4) == 4                                 # and the thread built its replacement
    assert Sandbox.objects.filter(pooled=True).count() == 4       # never more than the size
