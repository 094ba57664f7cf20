"""`make class`: one gunicorn process on the classroom network (plain HTTP on the LAN; scripts/serve_class.py sets
ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS and LAB_PUBLIC_URL from the addresses it binds)."""
from __future__ import annotations

from .base import *  # noqa: F403
from .env import envbool, envint

DEBUG = envbool("DEBUG", "False")
# Static files straight from the source folders (no collectstatic step before a class).
WHITENOISE_USE_FINDERS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# One process answering many requests (manage.py serve, threads): each thread keeps its database connection
# instead of opening and closing one per request, which cost ~5 ms of every /aws call (scripts/bench_sandbox.py's
# /aws ratio went from 0.52 to about 1 with it). DB_CONN_MAX_AGE=0 turns it off.
DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", "600")  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
