"""Shared factories for tests: learners with their own sandboxes, driven through Django's test client."""
from __future__ import annotations

from dataclasses import dataclass

from django.test import Client

from sandboxes.models import Sandbox


@dataclass
class Learner:
    client: Client
    sandbox: Sandbox

    def step_url(self, scenario: str, step: str, action: str = "") -> str:
        return f"/scenarios/{scenario}/{step}/" + (f"{action}/" if action else "")

    def run(self, scenario: str, step: str, variant: str = "", htmx: bool = False):
        data = {"variant": variant} if variant else {}
        extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        return self.client.post(self.step_url(scenario, step, "run"), data, **extra)

    def last_result(self, scenario: str, step: str) -> dict:
        return self.sandbox.progress.get(scenario=scenario, step=step).last_result


def new_learner() -> Learner:
    client = Client()
    # The first visit only starts the session (sandboxes.services.SandboxNotStarted); the next request builds.
    assert b"Preparing your sandbox" in client.get("/").content
    response = client.get("/")
    assert response.status_code == 200
    sandbox = Sandbox.objects.get(pk=client.session["sandbox_id"])
    return Learner(client, sandbox)
