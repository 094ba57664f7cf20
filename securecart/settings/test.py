from __future__ import annotations

import os
import tempfile

# The install's data directory (secret key, SQLite file) for tests: a temporary one per test worker, never the
# developer's own (securecart/datadir.py), and outside the code tree as in every install. Set before base reads it;
# subprocesses the tests start inherit it.
os.environ.setdefault("LAB_DATA_DIR", os.path.join(tempfile.gettempdir(), "securecart-test-data",
                                                   os.environ.get("PYTEST_XDIST_WORKER", "main")))

from .base import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
# No background builds racing the tests' transactions; tests that need the pool turn it on and refill it themselves.
LAB_SANDBOX_POOL = 0
# Smaller IdP keys, as PASSWORD_HASHERS above: every sandbox a test builds makes two RSA keys, ~42 ms of CPU each at
# 2048 bits against ~9 ms at 1024, about 6 % of the suite's CPU. They still sign and verify for real (SAML, JWT); the
# 2048-bit default is tested in tests/federation/test_signing_keys.py. (PyJWT's InsecureKeyLengthWarning for them
# is ignored in pytest.ini.)
LAB_IDP_KEY_BITS = 1024

WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic needed
WHITENOISE_USE_FINDERS = True

# A file, not SQLite's shared in-memory database: pytest-django's live_server thread then has a connection of its
# own, so a request still in flight when a browser test ends cannot break the teardown's flush on the shared
# connection ("cannot commit - no transaction is active"). pytest-xdist suffixes the name per worker.
(BASE_DIR / "test-artifacts").mkdir(exist_ok=True)  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-artifacts" / "test-db.sqlite3")}  # noqa: F405
MIDDLEWARE = ["tests.inflight.InflightRequestsMiddleware", *MIDDLEWARE]  # noqa: F405
