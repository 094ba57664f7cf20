from __future__ import annotations

from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = "Challenges and the in-page AWS CLI console"

    def ready(self) -> None:
        from sandboxes import world
        from scenarios import recap
        from trail import exclusions

        from . import api, checks, seeding

        # Each challenge's seeded misconfiguration (its own roles and users, never SecureCart's) is part of the
        # sandbox's world, built on the challenge's first use (seeding.ensure_seeded) so that sandboxes nobody uses
        # for challenges cost nothing; rebuilding the world forgets it (seeding.forget_all), a reset wipes it with
        # everything else, and one challenge resets alone (seeding.reset_challenge).
        world.register_world_extension("challenges", seed=seeding.forget_all)
        # Every scenario's recap offers the challenges that practise its idea.
        recap.register_next_steps(api.recap_next_steps)
        # The checker's probes are the lab's, not the learner's: Detections and Defend exercises leave them out.
        exclusions.register(checks.checker_request_ids)
