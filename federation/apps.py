from __future__ import annotations

from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation and single sign-on"

    def ready(self) -> None:
        from sandboxes import world

        from . import identity_center, services

        # Every sandbox's world gets the federated roles (services.ROLE_SPECS) and the IdPs they trust; a reset
        # also forgets Identity Center's data, which moto keeps apart from IAM. The STS operations themselves
        # are installed by engine.lab.get_lab() (engine.sts.federated.install). Not moto-only: each sandbox's IdPs
        # sign with keys of their own (a token minted for one sandbox is refused by every other), so the providers'
        # metadata and the published JWKS are per sandbox and cannot come from the world template.
        world.register_world_extension("federation", roles=services.ROLE_SPECS, seed=services.seed_providers,
                                       wipe=identity_center.wipe_for_reset)
