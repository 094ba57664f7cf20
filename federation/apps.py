from __future__ import annotations

from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation and single sign-on"

    def ready(self) -> None:
        from sandboxes import world

        from . import services

        # Every sandbox's world gets the federated roles (services.ROLE_SPECS) and the IdPs they trust. No wipe step:
        # Identity Center's data lives in moto's sso-admin and identitystore backends, which a rebuild or a reset
        # drops with the rest of the accounts' moto state (gateway.worldstate.drop_accounts). The STS operations themselves
        # are installed with every Lab (engine.sts.federated.install). Not moto-only: each sandbox's IdPs
        # sign with keys of their own (a token minted for one sandbox is refused by every other), so the providers'
        # metadata and the published JWKS are per sandbox and cannot come from the world template.
        world.register_world_extension("federation", roles=services.ROLE_SPECS, seed=services.seed_providers)
