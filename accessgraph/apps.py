from __future__ import annotations

from django.apps import AppConfig


class AccessGraphConfig(AppConfig):
    name = "accessgraph"
    verbose_name = "Who can become whom (the access graph)"

    def ready(self) -> None:
        from sandboxes.signals import sandbox_reset

        from .models import forget_on_reset

        sandbox_reset.connect(forget_on_reset, dispatch_uid="accessgraph-forget-on-reset")
