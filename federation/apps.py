from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation and single sign-on"

    def ready(self) -> None:
        from . import services

        # Seed every sandbox with the federated roles (the world is data; see services.ROLE_SPECS).
        services.register_role_specs()
        if not getattr(settings, "LAB_GATEWAY_URL", ""):
            # In-process mode: this process answers STS, so it must know AssumeRoleWithSAML/WithWebIdentity.
            from engine.lab import get_lab
            from engine.sts.federated import install

            install(get_lab())
