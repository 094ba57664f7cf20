from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from gateway.server import share_the_interpreter_fairly

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securecart.settings.dev")
application = get_wsgi_application()
share_the_interpreter_fairly()   # the in-process gateway serves every learner from this process's threads
