"""Web hardening (issue 9, item 6): a per-install secret key, a Content-Security-Policy every page passes, no-store on
pages that show secrets, and throttled room joins and sign-ins."""
from __future__ import annotations

import re
import stat
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

from securecart.settings.env import install_secret

# The key every install used to sign with when SECRET_KEY was unset; it is in the repository's history.
OLD_PUBLIC_DEV_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


# ------------------------------------------------------------------------------------------------ SECRET_KEY
def test_an_install_makes_its_own_secret_once_readable_only_by_its_owner(tmp_path):
    path = tmp_path / ".secret_key"
    first = install_secret(path)
    assert len(first) >= 50 and first != OLD_PUBLIC_DEV_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert install_secret(path) == first                       # every process of the install reads the same one
    assert install_secret(tmp_path / "another-install") != first


def test_the_secret_file_is_kept_out_of_git():
    gitignore = (Path(settings.BASE_DIR) / ".gitignore").read_text().splitlines()
    assert "/.secret_key" in gitignore
    assert settings.SECRET_KEY != OLD_PUBLIC_DEV_KEY


def test_a_token_forged_with_the_old_public_dev_key_is_refused(db):
    from sandboxes.views import INTERNAL_SALT, internal_token

    forged = signing.dumps("sandbox-admin", key=OLD_PUBLIC_DEV_KEY, salt=INTERNAL_SALT)
    r = Client().post("/internal/sandboxes/sbx-0000000000/clock/", {"seconds": 60}, content_type="application/json",
                      HTTP_X_LAB_TOKEN=forged)
    assert r.status_code == 403
    genuine = Client().post("/internal/sandboxes/sbx-0000000000/clock/", {"seconds": 60},
                            content_type="application/json", HTTP_X_LAB_TOKEN=internal_token())
    assert genuine.status_code == 404                         # past the token check: that sandbox does not exist


# ------------------------------------------------------------------------------------------------ CSP
def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/scenarios/cross-account-auditors/assume-audit-role/", "/federation/",
                                  "/quiz/", "/sandbox/terminal/", "/sandbox/", "/no-such-page/"])
def test_every_page_carries_a_policy_without_unsafe_inline(learner, path):
    r = learner.client.get(path)
    directives = _csp(r)
    assert directives["default-src"] == "default-src 'self'"
    assert directives["script-src"].startswith("script-src 'self'")
    assert directives["style-src"].startswith("style-src 'self'")
    assert directives["object-src"] == "object-src 'none'" and directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in r["Content-Security-Policy"] and "unsafe-eval" not in r["Content-Security-Policy"]


def test_no_template_has_inline_script_style_or_handlers_without_a_nonce():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
    inline_style = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I)
    attributes = re.compile(r"\s(on[a-z]+|style)\s*=\s*[\"']", re.I)   # an HTML attribute, not {% if only == %}
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = re.sub(r"{%.*?%}|{{.*?}}", "", template.read_text())
        for pattern in (inline_script, inline_style, attributes):
            found += [f"{template.relative_to(TEMPLATES)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert found == []


def test_htmx_is_told_not_to_inject_its_own_styles_or_eval(learner):
    html = learner.client.get("/").content.decode()
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


# ------------------------------------------------------------------------------------------------ no-store
@pytest.mark.parametrize("path", ["/sandbox/terminal/", "/sandbox/",
                                  "/scenarios/cross-account-auditors/assume-audit-role/", "/federation/oidc/token/",
                                  "/federation/portal/", "/federation/tamper/"])
def test_pages_that_show_secrets_are_not_stored(learner, path):
    r = learner.client.get(path)
    assert r.status_code == 200
    assert "no-store" in r["Cache-Control"] and "private" in r["Cache-Control"]


def test_a_step_run_showing_credentials_is_not_stored(learner):
    r = learner.run("cross-account-auditors", "assume-audit-role", htmx=True)
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]


def test_the_scenario_list_may_be_cached(learner):
    assert "no-store" not in learner.client.get("/").get("Cache-Control", "")


# ------------------------------------------------------------------------------------------------ throttling
def test_guessing_room_codes_is_throttled_with_a_clear_page(db, monkeypatch):
    from securecart import throttle
    from securecart.throttle import JOIN_GUESS_LIMITS

    # the limits count in fixed windows of real time; held still here, so a minute's boundary passing during the
    # loop cannot start a fresh window before the last guess (it did, once in a full run on a loaded machine)
    held = float(int(time.time()) // 3600 * 3600 + 1)   # the start of an hour: every window starts there
    monkeypatch.setattr(throttle, "_now", lambda: held)
    guesser = Client()
    per_minute = JOIN_GUESS_LIMITS[0]
    for n in range(per_minute.count):
        r = guesser.post("/quiz/live/join/", {"code": f"ZZZ{n:03d}", "nickname": "guess"})
        assert r.status_code == 404
    r = guesser.post("/quiz/live/join/", {"code": "ZZZ999", "nickname": "guess"})
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    html = r.content.decode()
    assert "Too many attempts" in html and "unsuccessful attempts to join with a code" in html
    assert guesser.get("/quiz/live/").status_code == 200       # only the guessing is paused


def test_a_class_joining_one_room_from_one_address_is_never_throttled(db):
    from quiz.models import Room

    host = Client()
    host.post("/quiz/live/host/", {"count": 3})
    room = Room.objects.order_by("-id").first()
    assert room is not None
    for n in range(30):                                      # 30 phones behind one school address
        r = Client().post("/quiz/live/join/", {"code": room.code, "nickname": f"student{n}"})
        assert r.status_code == 302, n


def test_wrong_passwords_are_throttled(db):
    from django.contrib.auth.models import User

    User.objects.create_user("ada", password="a-long-passphrase-1")
    client = Client()
    for _ in range(10):
        assert client.post("/accounts/login/", {"username": "ada", "password": "guess"}).status_code == 200
    r = client.post("/accounts/login/", {"username": "ada", "password": "a-long-passphrase-1"})
    assert r.status_code == 429 and "unsuccessful sign-in attempts" in r.content.decode()
    assert client.get("/accounts/login/").status_code == 200


def test_a_right_password_after_a_few_wrong_ones_signs_in(db):
    from django.contrib.auth.models import User

    User.objects.create_user("bea", password="a-long-passphrase-2")
    client = Client()
    for _ in range(3):
        client.post("/accounts/login/", {"username": "bea", "password": "guess"})
    assert client.post("/accounts/login/", {"username": "bea", "password": "a-long-passphrase-2"}).status_code == 302
