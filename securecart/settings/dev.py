from __future__ import annotations

from .base import *  # noqa: F403
from .env import envbool

DEBUG = envbool("DEBUG", "True")

WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic needed
WHITENOISE_USE_FINDERS = True
