from __future__ import annotations

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
# No background builds racing the tests' transactions; tests that need the pool turn it on and refill it themselves.
LAB_SANDBOX_POOL = 0

WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic needed
WHITENOISE_USE_FINDERS = True

# A file, not SQLite's shared in-memory database: pytest-django's live_server thread then has a connection of its
# own, so a request still in flight when a browser test ends cannot break the teardown's flush on the shared
# connection ("cannot commit - no transaction is active"). pytest-xdist suffixes the name per worker.
(BASE_DIR / "test-artifacts").mkdir(exist_ok=True)  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-artifacts" / "test-db.sqlite3")}  # noqa: F405
MIDDLEWARE = ["tests.inflight.InflightRequestsMiddleware", *MIDDLEWARE]  # noqa: F405
