"""A busy sandbox or an unreachable gateway is a clear 503 with a retry hint, never a 500."""
from __future__ import annotations

from unittest import mock

import pytest

from gateway.control.wire import LabControlError
from sandboxes.models import SandboxBusy


@pytest.mark.django_db
@pytest.mark.parametrize("error, text", [
    (SandboxBusy("sandbox 1 is still being built"), "still being prepared"),
    (LabControlError("connection refused"), "gateway is not answering"),
])
def test_it_answers_503_and_keeps_the_learner_informed(client, error, text) -> None:
    with mock.patch("sandboxes.services.sandbox_for_request", side_effect=error):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert text in body
    assert "Nothing is lost" in body
