from __future__ import annotations

from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "scenarios"
    verbose_name = "Scenario player"

    def ready(self) -> None:
        from sandboxes import world

        from .library import s5_mfa

        # World changes are world extensions, not step code: scenario 5's on-call engineer is in every sandbox's
        # world from the start (and in the world template, hence moto_only: nothing outside moto to seed or wipe).
        world.register_world_extension("scenario-5-oncall", users=[s5_mfa.ONCALL_USER], moto_only=True)
