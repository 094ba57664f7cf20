"""Production: fails loudly without a real SECRET_KEY; HTTPS everywhere unless the environment says otherwise."""
from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import envbool, envint

DEBUG = envbool("DEBUG", "False")
# Several hosts must share one key, so production names it; the per-install file of base.py is for one machine.
if not (os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE")):
    raise ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value in production")

SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "True")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "True")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "True")
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", "True")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# TLS ends at a proxy in front (deploy/compose.yaml): believe its X-Forwarded-Proto, or the SSL redirect above sends
# every proxied https request to itself. Only behind a proxy that replaces the header a client sent (Django's docs).
BEHIND_PROXY = envbool("BEHIND_PROXY", "False")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
