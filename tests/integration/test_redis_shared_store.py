"""The web processes' shared store in Redis (LAB_REDIS_URL -> django.core.cache.backends.redis.RedisCache), against
a real redis-server (the suite's `redis_url` fixture, tests/conftest.py). Two cache objects stand for two web processes: what one keeps,
the other reads; add() elects one winner; entries expire in Redis; the learner's session credentials
(sandboxes.credentials) round-trip through it. The settings pick the backend from the environment."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.cache.backends.redis import RedisCache

REPO = Path(__file__).resolve().parents[2]


def _process_cache(url: str) -> RedisCache:
    """What one web process builds from CACHES (see securecart/settings/base.py)."""
    return RedisCache(url, {"KEY_PREFIX": "securecart"})


def test_what_one_process_keeps_the_other_reads_and_add_has_one_winner(redis_url: str) -> None:
    first, second = _process_cache(redis_url), _process_cache(redis_url)
    first.clear()
    when = datetime(2026, 12, 2, 1, 30, tzinfo=timezone.utc)
    first.set("creds:sbx-1:auditor", {"AccessKeyId": "ASIAEXAMPLE", "Expiration": when, "n": 3}, timeout=60)
    assert second.get("creds:sbx-1:auditor") == {"AccessKeyId": "ASIAEXAMPLE", "Expiration": when, "n": 3}
    assert second.add("template-lock", "second", timeout=60) is True
    assert first.add("template-lock", "first", timeout=60) is False
    assert first.get("template-lock") == "second"
    second.delete("template-lock")
    assert first.get("template-lock") is None
    first.set("none-is-a-value", None)
    assert second.get("none-is-a-value", "missing") is None
    assert second.get("never-set", "missing") == "missing"


def test_entries_expire_in_redis_itself(redis_url: str) -> None:
    import redis

    cache = _process_cache(redis_url)
    cache.set("short-lived", "x", timeout=30)
    raw = redis.Redis.from_url(redis_url)
    (stored,) = raw.keys("securecart:*short-lived")
    assert 0 < raw.ttl(stored) <= 30    # Redis holds the deadline: any process sees the entry go at once
    cache.set("gone-now", "x", timeout=0)
    assert cache.get("gone-now") is None


@pytest.mark.django_db
def test_session_credentials_survive_a_redis_restart(redis_url: str, settings, learner) -> None:
    # Redis holds only a copy of the secret (keyed by access key); the row says which key, the engine has the
    # secret: after FLUSHALL (a restarted Redis without persistence) the next read fetches it again (issue 23).
    import redis

    from sandboxes import credentials

    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                      "LOCATION": redis_url, "KEY_PREFIX": "securecart"}}
    learner.run("cross-account-auditors", "assume-audit-role")
    issued = credentials.get(learner.sandbox.id, "audit-session")
    assert issued is not None
    raw = redis.Redis.from_url(redis_url)
    assert raw.keys(f"securecart:*session-secret:{issued.access_key_id}")
    raw.flushall()
    assert credentials.get(learner.sandbox.id, "audit-session") == issued
    assert raw.keys(f"securecart:*session-secret:{issued.access_key_id}")      # cached again
    credentials.forget_all(learner.sandbox.id)   # a reset forgets them for every process
    assert credentials.get(learner.sandbox.id, "audit-session") is None


def _settings_of(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k == "LAB_DATA_DIR" or not k.startswith(("LAB_", "DJANGO_", "DATABASE_"))}
    code = ("import django; django.setup(); from django.conf import settings; "
            f"print(repr(({expression})))")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**base, "DJANGO_SETTINGS_MODULE": "securecart.settings.dev", **env})


def test_settings_choose_redis_from_the_environment_and_sharding_requires_it(redis_url: str) -> None:
    chosen = _settings_of({"LAB_REDIS_URL": redis_url, "LAB_CONTROL_TOKEN": "t" * 32,
                           "LAB_GATEWAY_URLS": "http://127.0.0.1:9401, http://127.0.0.1:9402/"},
                          "settings.CACHES['default']['BACKEND'], settings.CACHES['throttle']['LOCATION'], "
                          "settings.LAB_GATEWAY_URLS, settings.LAB_GATEWAY_URL")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == repr(("django.core.cache.backends.redis.RedisCache", redis_url,
                                          ["http://127.0.0.1:9401", "http://127.0.0.1:9402"],
                                          "http://127.0.0.1:9401"))
    refused = _settings_of({"LAB_CONTROL_TOKEN": "t" * 32, "LAB_GATEWAY_URLS": "http://127.0.0.1:9401"}, "1")
    assert refused.returncode != 0 and "LAB_GATEWAY_URLS (several processes) needs LAB_REDIS_URL" in refused.stderr
    # one gateway process and several web processes: their cache must be shared too (no store in the gateway)
    refused = _settings_of({"LAB_CONTROL_TOKEN": "t" * 32, "LAB_GATEWAY_URL": "http://127.0.0.1:9401"}, "1")
    assert refused.returncode != 0 and "LAB_GATEWAY_URL (several processes) needs LAB_REDIS_URL" in refused.stderr
    single = _settings_of({"LAB_REDIS_URL": redis_url, "LAB_CONTROL_TOKEN": "t" * 32,
                           "LAB_GATEWAY_URL": "http://127.0.0.1:9401"}, "settings.CACHES['default']['BACKEND']")
    assert single.stdout.strip() == repr("django.core.cache.backends.redis.RedisCache"), single.stderr
    default = _settings_of({}, "settings.CACHES['default']['BACKEND']")
    assert default.stdout.strip() == repr("django.core.cache.backends.locmem.LocMemCache")
