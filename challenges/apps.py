from __future__ import annotations

from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = "Challenges and the in-page AWS CLI console"

    def ready(self) -> None:
        from sandboxes import world

        from . import seeding

        # Every sandbox's world carries each challenge's seeded misconfiguration (its own roles and users, never
        # SecureCart's), so a challenge can be reset alone (seeding.reset_challenge) or with the whole sandbox.
        world.register_world_extension("challenges", roles=seeding.all_roles(), seed=seeding.seed_all)
