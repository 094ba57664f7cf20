from __future__ import annotations

from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation and single sign-on"

    def ready(self) -> None:
        from . import services

        # Seed every sandbox with the federated roles (the world is data; see services.ROLE_SPECS). The STS
        # operations themselves are installed by engine.lab.get_lab() (engine.sts.federated.install).
        services.register_role_specs()
