from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AccessGraphConfig(AppConfig):
    name = "accessgraph"
    verbose_name = "Who can become whom (the access graph)"

    def ready(self) -> None:
        from sandboxes.signals import sandbox_reset
        from scenarios import recap

        from .models import forget_on_reset

        sandbox_reset.connect(forget_on_reset, dispatch_uid="accessgraph-forget-on-reset")
        recap.register_next_steps(recap_next_steps)


GUARDRAILS_SCENARIO = "organization-guardrails"      # scenario 10


def recap_next_steps(scenario: Any, sandbox: Any) -> list[Any]:
    """scenarios.recap next-step source: after the guardrails scenario, the graph (every edge is evaluated with the
    organization's SCPs and RCPs, so an SCP that removes a path removes its edge)."""
    from django.urls import reverse

    from scenarios.recap import NextStep

    if scenario.slug != GUARDRAILS_SCENARIO:
        return []
    return [NextStep("Who can become whom in your sandbox", reverse("accessgraph:graph"),
                     detail="the access graph: every edge evaluated with your organization's SCPs and RCPs")]
