"""`make class`: one gunicorn process on the classroom network (plain HTTP on the LAN; scripts/serve_class.py sets
ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS and LAB_PUBLIC_URL from the addresses it binds)."""
from __future__ import annotations

from .base import *  # noqa: F403
from .env import envbool

DEBUG = envbool("DEBUG", "False")
# Static files straight from the source folders (no collectstatic step before a class).
WHITENOISE_USE_FINDERS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
