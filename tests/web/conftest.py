"""Web-layer fixtures: learners with their own sandboxes, driven through Django's test client."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
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


def _new_learner() -> Learner:
    client = Client()
    # The first visit only starts the session (sandboxes.services.SandboxNotStarted); the next request builds.
    assert b"Preparing your sandbox" in client.get("/").content
    response = client.get("/")
    assert response.status_code == 200
    sandbox = Sandbox.objects.get(pk=client.session["sandbox_id"])
    return Learner(client, sandbox)


@pytest.fixture(autouse=True)
def fresh_throttle_counters():
    """Every test starts with no failed sign-ins or room joins counted (securecart/throttle.py)."""
    from django.core.cache import caches
    caches["throttle"].clear()


@pytest.fixture
def learner(db) -> Learner:
    """Alice: a visitor whose first visit built her sandbox (the SecureCart world in three accounts)."""
    return _new_learner()


@pytest.fixture
def other_learner(db) -> Learner:
    """Bob: another visitor with a sandbox of his own; he must never reach Alice's accounts, nor she his."""
    return _new_learner()


@pytest.fixture
def signed_in_instructor(db):
    """Makes a browser signed in as a new instructor, granted by `manage.py instructor` as make instructor does."""
    import io

    from django.contrib.auth.models import User
    from django.core.management import call_command

    def make(username: str) -> Client:
        user = User.objects.create_user(username, password="a-long-classroom-password")
        call_command("instructor", username, stdout=io.StringIO())
        client = Client()
        client.force_login(user)
        return client
    return make
