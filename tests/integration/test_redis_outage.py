"""Redis is a cache, not a single point of failure (issue 23): while it is unreachable, pages answer the lab's 503
page and the AWS endpoint AWS's 503 ServiceUnavailable in the caller's protocol (never a 500 "Something broke");
when it is back, service resumes by itself and the learner's credentials are still there (rebuilt from the engine).
Against a real redis-server of the test's own, stopped and started again on the same port."""
from __future__ import annotations

import json
from unittest import mock

import pytest
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from sandboxes import credentials
from scripts.labserver import start_redis, stop_process

S1 = "cross-account-auditors"


def _redis_caches(url: str) -> dict:
    shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
              "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5}}
    return {"default": {**shared, "KEY_PREFIX": "securecart"}, "throttle": {**shared, "KEY_PREFIX": "throttle"},
            "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "outage-sessions"}}


@pytest.mark.django_db
def test_pages_answer_503_while_redis_is_down_and_recover_with_nothing_lost(learner, settings, tmp_path) -> None:
    from scripts.labserver import free_port

    port = free_port()
    for run in ("one", "two"):
        (tmp_path / run).mkdir()
    redis_process, url = start_redis(tmp_path / "one", port)
    settings.CACHES = _redis_caches(url)
    browser = Client(raise_request_exception=False)          # as a browser sees it: the handler's answer
    browser.cookies = learner.client.cookies
    learner.run(S1, "assume-audit-role")
    issued = credentials.get(learner.sandbox.id, "audit-session")
    assert issued is not None
    step_page = learner.step_url(S1, "read-security-logs")
    try:
        stop_process(redis_process)                         # Redis gone
        down = browser.get(step_page)
        assert down.status_code == 503 and down["Retry-After"] == "5"
        assert "shared store (Redis) is not answering" in down.content.decode()
        assert "Something broke" not in down.content.decode()
        sign_in = browser.post("/accounts/login/", {"username": "ada", "password": "guess"})
        assert sign_in.status_code == 503                   # the throttle's counters are in Redis too

        redis_process, _ = start_redis(tmp_path / "two", port)   # back, empty (no persistence)
        assert browser.get(step_page).status_code == 200
        answer = browser.post(learner.step_url(S1, "read-security-logs", "run"), HTTP_HX_REQUEST="true")
        assert answer.status_code == 200
        result = learner.last_result(S1, "read-security-logs")
        assert result["succeeded"] and not result.get("needs"), json.dumps(result)[:500]
        assert credentials.get(learner.sandbox.id, "audit-session") == issued
    finally:
        stop_process(redis_process)


@pytest.mark.django_db
@pytest.mark.parametrize("headers, body, shape", [
    ({"HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261207/us-east-1/sts/aws4_request, "
                            "SignedHeaders=host, Signature=00"},
     "Action=GetCallerIdentity&Version=2011-06-15", "<Code>ServiceUnavailable</Code>"),
    ({"HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261207/us-east-1/secretsmanager/aws4_request, "
                            "SignedHeaders=host, Signature=00", "HTTP_X_AMZ_TARGET": "secretsmanager.GetSecretValue"},
     '{"SecretId": "x"}', '"ServiceUnavailable"'),
])
def test_the_aws_endpoint_answers_awss_503_in_the_callers_protocol(db, headers, body, shape) -> None:
    # the mount's first use of the shared store fails as a dead Redis makes it fail
    caller = Client(raise_request_exception=False)
    with mock.patch("sandboxes.gatewaymount.wakeup.wake_sandbox_for",
                    side_effect=RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")):
        answer = caller.post("/aws", body, content_type="application/x-www-form-urlencoded", **headers)
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert shape in answer.content.decode() and answer["x-amzn-RequestId"]
