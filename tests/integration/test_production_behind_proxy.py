"""Production settings behind a TLS-terminating proxy (issue 24, item 7).

`securecart.settings.production` turns SECURE_SSL_REDIRECT on. Behind the proxy deploy/compose.yaml prescribes, the
proxy speaks plain HTTP to gunicorn and says `X-Forwarded-Proto: https`; unless Django is told to believe that header
(BEHIND_PROXY=True -> SECURE_PROXY_SSL_HEADER), every request looks like plain HTTP and answers `301 https://<same
URL>`: the browser follows it through the proxy and gets the same 301 for ever. Django's docs, "SECURE_PROXY_SSL_HEADER":
set it only when the proxy strips the header from what clients send, which the compose file's comment says.

The settings module is executed here with the environment a deployment gives it (in-process, no subprocess), and its
security settings are applied to the test client's requests: the real SecurityMiddleware answers.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from django.test import Client, override_settings

REPO = Path(__file__).resolve().parents[2]
SECURITY_SETTINGS = ("SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
                     "CSRF_COOKIE_SECURE")


def production_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """securecart/settings/production.py run as a fresh module with this environment (and nothing else of ours)."""
    for name in ("BEHIND_PROXY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
                 "CSRF_COOKIE_SECURE", "LAB_GATEWAY_URL", "LAB_GATEWAY_URLS", "LAB_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "behind-proxy-test-" + "k" * 40)
    monkeypatch.setenv("ALLOWED_HOSTS", "lab.example.com")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("securecart.settings.production_under_test",
                                                  REPO / "securecart/settings/production.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "securecart.settings"
    spec.loader.exec_module(module)
    return module


def security_of(module: ModuleType) -> dict[str, Any]:
    values = {name: getattr(module, name, None) for name in SECURITY_SETTINGS}
    return {**values, "ALLOWED_HOSTS": ["lab.example.com"]}


def first_page(headers: dict[str, str]) -> Any:
    # The home page's first visit: a light page that only starts the session (no sandbox is built).
    return Client().get("/", HTTP_HOST="lab.example.com", **headers)


@pytest.mark.django_db
def test_behind_the_proxy_https_requests_answer_200_not_a_redirect_to_themselves(monkeypatch) -> None:
    settings = production_settings(monkeypatch, BEHIND_PROXY="True")
    assert settings.SECURE_SSL_REDIRECT is True          # production's default stays on
    with override_settings(**security_of(settings)):
        answer = first_page({"HTTP_X_FORWARDED_PROTO": "https"})
        assert answer.status_code == 200, answer.get("Location")
        assert answer["Strict-Transport-Security"].startswith("max-age=31536000")
        # a plain-HTTP request that reached the proxy's backend without the header is still sent to HTTPS
        plain = first_page({})
        assert plain.status_code == 301 and plain["Location"] == "https://lab.example.com/"


@pytest.mark.django_db
def test_without_behind_proxy_the_same_request_loops_on_a_redirect_to_itself(monkeypatch) -> None:
    """The mistake the setting fixes (issue 24, item 7): the https request redirected to its own URL."""
    settings = production_settings(monkeypatch)
    assert settings.SECURE_PROXY_SSL_HEADER is None
    with override_settings(**security_of(settings)):
        answer = first_page({"HTTP_X_FORWARDED_PROTO": "https"})
    assert answer.status_code == 301 and answer["Location"] == "https://lab.example.com/"


def test_behind_proxy_reads_like_every_other_boolean(monkeypatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="BEHIND_PROXY must be True or False"):
        production_settings(monkeypatch, BEHIND_PROXY="yes")
    assert production_settings(monkeypatch, BEHIND_PROXY="False").SECURE_PROXY_SSL_HEADER is None
    assert production_settings(monkeypatch, BEHIND_PROXY="True").SECURE_PROXY_SSL_HEADER == (
        "HTTP_X_FORWARDED_PROTO", "https")


def test_the_compose_file_tells_the_web_service_it_is_behind_the_proxy() -> None:
    compose = yaml.safe_load((REPO / "deploy/compose.yaml").read_text())
    web = compose["services"]["web"]["environment"]
    assert web["BEHIND_PROXY"] == "True"
    assert web["DJANGO_SETTINGS_MODULE"] == "securecart.settings.production"
    # the gateways speak plain HTTP on the private network: no proxy header is theirs to trust
    assert "BEHIND_PROXY" not in compose["services"]["gateway-1"]["environment"]
