"""Settings shared by every environment. Each value reads the environment, with a local-development default."""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from securecart.datadir import DataDirInsideCode, data_dir

from .env import envbool, envint, envlist, envstr, install_secret

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# The install's own state (secret key, class secret, SQLite file) lives outside the code tree (securecart/datadir.py).
try:
    LAB_DATA_DIR = data_dir()
except DataDirInsideCode as error:
    raise ImproperlyConfigured(str(error)) from None

# SECRET_KEY signs sessions, the /imds/ keys and the /internal/ tokens of `manage.py sandbox`. Without one in the
# environment, each install makes its own random key on first run (never a key that is public in the repository).
SECRET_KEY_PATH = Path(envstr("SECRET_KEY_PATH", str(LAB_DATA_DIR / "secret_key")))
SECRET_KEY = envstr("SECRET_KEY", "") or install_secret(SECRET_KEY_PATH)
DEBUG = envbool("DEBUG", "False")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "template_partials",
    "sandboxes",
    "scenarios",
    "federation",
    "quiz",
    "trail",
    "challenges",
    "classroom",
    "manuals",
    # issue 26: the policy lab (simulator and Access Analyzer checks)
    "policylab",
    "accessgraph",      # issue 26: who can become whom (/graph/)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sandboxes.middleware.LabUnavailableMiddleware",
    "sandboxes.shards.RoutingMiddleware",
    "trail.middleware.PersistEventsMiddleware",
    "classroom.middleware.LockedScenarioMiddleware",
]

# Content-Security-Policy (django-csp): scripts and styles only from this site, plus inline ones carrying the
# request's nonce (templates/base.html: `nonce="{{ request.csp_nonce }}"`). No inline event handlers or style
# attributes anywhere (static/js/lab.js does data-confirm and data-bar-percent); htmx runs with
# includeIndicatorStyles and allowEval off (its indicator styles are in lab.css). QR codes are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "securecart.urls"
WSGI_APPLICATION = "securecart.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sandboxes.context_processors.lab",
                "classroom.context_processors.class_bar",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{LAB_DATA_DIR / 'db.sqlite3'}", conn_max_age=envint("DB_CONN_MAX_AGE", "0")
    )
}
if DATABASES["default"].get("ENGINE") == "django.db.backends.sqlite3":
    # Several processes on one SQLite file (gunicorn -w 2): take the write lock when a transaction begins and wait
    # for it, instead of failing with "database is locked" when a read transaction tries to become a write one.
    # WAL with synchronous=NORMAL: readers never wait for the writer, and a commit is not an fsync (SQLite's docs,
    # "Write-Ahead Logging" and PRAGMA synchronous: durable against application crashes; a power cut may lose the
    # last commits, never corrupt the file). A sandbox build makes a dozen small commits.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE", "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Keep requests small: a trust policy is at most a few KB (IAM caps it at 2048/4096 characters), so nothing the
# lab accepts needs more than this. Oversized bodies get a 400 page, not a 500.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", str(64 * 1024))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30  # a visitor keeps their sandbox for a month on the same browser

# Multi-process mode: when set, boto3 clients and lab-control calls go to `python -m gateway` at this URL, with
# this shared secret (the gateway is started with the same LAB_CONTROL_TOKEN or LAB_CONTROL_TOKEN_FILE).
LAB_GATEWAY_URL = envstr("LAB_GATEWAY_URL", "")
# Sandboxes sharded across several gateway processes (sandboxes/shards.py): their URLs, comma-separated. The
# sandbox -> gateway assignment is in the database; LAB_GATEWAY_URL then defaults to the first.
LAB_GATEWAY_URLS = [url.strip().rstrip("/") for url in envstr("LAB_GATEWAY_URLS", "").split(",") if url.strip()]
if LAB_GATEWAY_URLS and not LAB_GATEWAY_URL:
    LAB_GATEWAY_URL = LAB_GATEWAY_URLS[0]
LAB_CONTROL_TOKEN = envstr("LAB_CONTROL_TOKEN", "")
# The web processes' shared store (the Django cache) in Redis, e.g. redis://127.0.0.1:6379/0: required whenever
# several processes serve the lab (LAB_GATEWAY_URL or LAB_GATEWAY_URLS), optional otherwise (process memory).
LAB_REDIS_URL = envstr("LAB_REDIS_URL", "")
if (LAB_GATEWAY_URL or LAB_GATEWAY_URLS) and not LAB_REDIS_URL:
    raise ImproperlyConfigured(
        f"{'LAB_GATEWAY_URLS' if LAB_GATEWAY_URLS else 'LAB_GATEWAY_URL'} (several processes) needs LAB_REDIS_URL, "
        "e.g. redis://127.0.0.1:6379/0: the web processes share the learners' current credentials, throttles and "
        "locks through Django's cache, which one process's memory cannot be (apt-get install redis-server)")
if LAB_GATEWAY_URL and not LAB_CONTROL_TOKEN:
    raise ImproperlyConfigured("LAB_GATEWAY_URL is set but LAB_CONTROL_TOKEN (or LAB_CONTROL_TOKEN_FILE) is not: "
                               "set it to the token the gateway was started with")

# The cache holds nothing that cannot be rebuilt (issue 23): the learners' current credentials are rows naming a key
# plus a cached copy of its secret, fetched again from the engine on a miss (sandboxes/credentials.py); throttles,
# locks and flags start over. With several web processes every process must see the same ones: Redis (entries
# expire in Redis itself). Redis unreachable: pages answer the 503 page and /aws AWS's ServiceUnavailable
# (securecart/errors.py), never a hang: a connection or a command that takes longer than these gives up.
if LAB_REDIS_URL:   # Django's own Redis backend (the `redis` package)
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": LAB_REDIS_URL,
                          "KEY_PREFIX": "securecart",
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "securecart"}}
# Failed sign-ins and room joins per address (securecart/throttle.py), the console's run slots and the new-sandbox
# rate (challenges/console.py, sandboxes/services.py): shared by every process like "default".
# (its own LocMem LOCATION: LocMem caches with one LOCATION share one store, and clearing one would clear both; a
# cap far above what it holds, so no counter or slot is culled by Django's default MAX_ENTRIES of 300)
CACHES["throttle"] = {**CACHES["default"], "KEY_PREFIX": "throttle"}
if not LAB_REDIS_URL:
    CACHES["throttle"]["LOCATION"] = "securecart-throttle"
    CACHES["throttle"]["OPTIONS"] = {"MAX_ENTRIES": 100_000}
    # One process (make run, make class): sessions read from memory, written through to the database, so a page,
    # a Run or a class-bar poll skips one query (cached_db falls back to the database on a miss, so a culled entry
    # costs nothing but that query). Its own store: session entries never push the learners' credentials out.
    CACHES["sessions"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                          "LOCATION": "securecart-sessions", "OPTIONS": {"MAX_ENTRIES": 5000}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
LAB_REGION = envstr("LAB_REGION", "us-east-1")
# The mock identity providers' RSA keys (federation/services.py KEY_POOL; two per sandbox): 2048 bits, the minimum
# NIST SP 800-131A recommends (PyJWT warns below it). A code constant, not an operator's setting.
LAB_IDP_KEY_BITS = 2048
# Sandboxes kept built ahead of time, so a new learner's first page only claims one (sandboxes/pool.py); 0 = off.
LAB_SANDBOX_POOL = envint("LAB_SANDBOX_POOL", "4")
# `manage.py serve` frees the memory of sandboxes unused this long (rebuilt from the DB on next use); 0 = never.
# Sandboxes one address may start by visiting in an hour (sandboxes/services.py): a room behind one NAT stays under
# it (a class's students join by code, which is not counted); a bot faking a browser's headers does not.
LAB_NEW_SANDBOXES_PER_ADDRESS = envint("LAB_NEW_SANDBOXES_PER_ADDRESS", "60")
LAB_EVICT_IDLE_SECONDS = envint("LAB_EVICT_IDLE_SECONDS", "21600")
# Where `manage.py sandbox create` reaches the running server (make run).
LAB_SERVER_URL = envstr("LAB_SERVER_URL", "http://127.0.0.1:8000")
# Where securecart/aws_root.py (the AWS endpoint at the root of its own port, and IMDS by host name) is served, as
# learners reach it, e.g. http://127.0.0.1:8001; empty: not served, the terminal page says so.
LAB_AWS_ROOT_URL = envstr("LAB_AWS_ROOT_URL", "")
# The address other devices reach this server at (make class sets it); join links and QR codes use it.
LAB_PUBLIC_URL = envstr("LAB_PUBLIC_URL", "")
# The in-browser AWS CLI console (challenges/console.py): "bubblewrap" runs each command in a bubblewrap sandbox (the
# console stays off, saying why, where bwrap is missing or cannot start); "unsandboxed" accepts the weaker mode (a
# plain child process with the allow-list and an audit-hook file fence only); "off" turns the console off.
LAB_CONSOLE = envstr("LAB_CONSOLE", "bubblewrap")
if LAB_CONSOLE not in ("bubblewrap", "unsandboxed", "off"):
    raise ImproperlyConfigured(f"LAB_CONSOLE must be bubblewrap, unsandboxed or off, not {LAB_CONSOLE!r}")
# Folders of challenge packs (challenges/packs.py): each sub-folder is a pack of YAML challenge files. SecureCart's
# own pack ships in the code tree; an instructor's packs go in the data directory (or LAB_CHALLENGE_PACKS, a list of
# folders separated by the OS path separator). An invalid pack is refused with its reasons, never breaking the site.
LAB_CHALLENGE_PACKS = [Path(p) for p in envstr("LAB_CHALLENGE_PACKS", os.pathsep.join(
    [str(BASE_DIR / "challenge_packs"), str(LAB_DATA_DIR / "challenge-packs")])).split(os.pathsep) if p]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}
