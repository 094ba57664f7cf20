from __future__ import annotations

import atexit

from django.apps import AppConfig


class TrailConfig(AppConfig):
    name = "trail"
    verbose_name = "CloudTrail event history"

    def ready(self) -> None:
        from django.conf import settings

        from sandboxes.signals import sandbox_reset

        from . import store

        sandbox_reset.connect(store.clear_on_reset, dispatch_uid="trail-clear-on-reset")
        if not settings.LAB_GATEWAY_URL:
            # In one process the gateway's LookupEvents reads the database (a restart loses nothing); with a remote
            # gateway, the gateway answers from its own bounded memory and web processes persist what it buffers.
            from gateway.runtime import current

            current().on_new_lab(lambda lab: lab.trail.use_store(store.DatabaseEventStore()))
            # The AWS endpoint's events wait up to a second before they are stored (middleware.py); a server that
            # stops normally stores them on its way out.
            atexit.register(store.persist_pending)
