from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from gateway.server import collect_garbage_in_batches, share_the_interpreter_fairly

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securecart.settings.dev")
application = get_wsgi_application()
share_the_interpreter_fairly()   # the in-process gateway serves every learner from this process's threads
collect_garbage_in_batches()   # ... and holds every sandbox's moto and engine state: a large heap to walk
