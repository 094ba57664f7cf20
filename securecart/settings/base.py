"""Settings shared by every environment. Each value reads the environment, with a local-development default."""
from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = envstr("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
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
    "template_partials",
    "sandboxes",
    "scenarios",
    "federation",
    "quiz",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sandboxes.middleware.LabUnavailableMiddleware",
]

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=envint("DB_CONN_MAX_AGE", "0")
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
LAB_CONTROL_TOKEN = envstr("LAB_CONTROL_TOKEN", "")
if LAB_GATEWAY_URL and not LAB_CONTROL_TOKEN:
    raise ImproperlyConfigured("LAB_GATEWAY_URL is set but LAB_CONTROL_TOKEN (or LAB_CONTROL_TOKEN_FILE) is not: "
                               "set it to the token the gateway was started with")

# Issued session credentials live only in memory (like the engine's credential store); the cache holds the
# learner's current credentials per scenario so a page can show them and use them again. With several web
# processes, every process must see the same ones: the cache is then the gateway's shared store (memory too).
if LAB_GATEWAY_URL:
    CACHES = {"default": {"BACKEND": "sandboxes.labcache.GatewayCache", "LOCATION": LAB_GATEWAY_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "securecart"}}
LAB_REGION = envstr("LAB_REGION", "us-east-1")
# Sandboxes kept built ahead of time, so a new learner's first page only claims one (sandboxes/pool.py); 0 = off.
LAB_SANDBOX_POOL = envint("LAB_SANDBOX_POOL", "4")
# `manage.py serve` frees the memory of sandboxes unused this long (rebuilt from the DB on next use); 0 = never.
LAB_EVICT_IDLE_SECONDS = envint("LAB_EVICT_IDLE_SECONDS", "21600")
# Where `manage.py sandbox create` reaches the running server (make run).
LAB_SERVER_URL = envstr("LAB_SERVER_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}
