"""A busy sandbox or an unreachable gateway is a clear 503 with a retry hint, never a 500."""
from __future__ import annotations

from unittest import mock

import pytest

from gateway.control.wire import LabControlError
from sandboxes.services import SandboxBusy


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


def test_forgetting_credentials_drops_every_kept_card_without_an_index() -> None:
    # Reset calls forget_all; two web processes keeping cards at once must not lose any (no shared name list).
    from sandboxes import credentials

    def card(name: str) -> credentials.SessionCredentials:
        return credentials.SessionCredentials(name=name, label=name, arn="arn:aws:sts::1:assumed-role/R/s",
                                              access_key_id="ASIA" + "X" * 16, secret_access_key="s" * 40,
                                              session_token="t", expiration="2026-11-28T05:00:00+00:00")

    credentials.keep("sbx-forget", card("a"))
    credentials.keep("sbx-forget", card("b"))
    credentials.keep("sbx-other", card("a"))
    assert credentials.get("sbx-forget", "b").name == "b"
    credentials.forget_all("sbx-forget")
    assert credentials.get("sbx-forget", "a") is None
    assert credentials.get("sbx-forget", "b") is None
    assert credentials.get("sbx-other", "a") is not None
