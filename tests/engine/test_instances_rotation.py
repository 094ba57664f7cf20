"""Instance-role credential rotation (engine/instances.py), checked against AWS's documented rule:
"We make new credentials available at least five minutes before the expiration of the old credentials."
(Amazon EC2 User Guide, Retrieve security credentials from instance metadata)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.instances import (ImdsTokens, InstanceCredentials, InstanceRegistry, IssuedCredentials, RotationPolicy,
                              iso_z)

T0 = datetime(2026, 11, 28, 9, 0, 0, tzinfo=timezone.utc)
ROLE = "arn:aws:iam::123456789012:role/SecureCart-WebTier-Role"
OTHER_ROLE = "arn:aws:iam::123456789012:role/SecureCart-Other"


class FakeSts:
    """Stands in for the engine's STS hook: counts issues, hands out distinct keys."""

    def __init__(self, clock: list[datetime]) -> None:
        self.clock = clock
        self.calls: list[tuple[str, int]] = []

    def __call__(self, role_arn: str, duration: int) -> dict:
        self.calls.append((role_arn, duration))
        n = len(self.calls)
        return {"Credentials": {"AccessKeyId": f"ASIAGEN{n:013d}", "SecretAccessKey": f"secret-{n}",
                                "SessionToken": f"token-{n}",
                                "Expiration": self.clock[0] + timedelta(seconds=duration)}}


def make(policy: RotationPolicy | None = None):
    clock = [T0]
    return InstanceCredentials("i-0123456789abcdef0", policy), FakeSts(clock), clock


def test_first_request_issues_generation_one_for_the_attached_role():
    creds, sts, clock = make()
    generation = creds.serve(clock[0], ROLE, sts)
    assert generation.number == 1 and generation.role_name == "SecureCart-WebTier-Role"
    assert sts.calls == [(ROLE, 6 * 3600)]
    doc = generation.imds_document()
    assert doc["Code"] == "Success" and doc["Type"] == "AWS-HMAC"
    assert doc["Expiration"] == iso_z(T0 + timedelta(hours=6)) == "2026-11-28T15:00:00Z"
    assert doc["LastUpdated"] == "2026-11-28T09:00:00Z"
    assert set(doc) == {"Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}


def test_same_credentials_until_refresh_then_old_and_new_overlap():
    creds, sts, clock = make()
    first = creds.serve(clock[0], ROLE, sts)
    clock[0] = T0 + timedelta(minutes=59)
    assert creds.serve(clock[0], ROLE, sts) is first and len(sts.calls) == 1
    clock[0] = T0 + timedelta(hours=1)
    second = creds.serve(clock[0], ROLE, sts)
    assert second.number == 2 and second.credentials.access_key_id != first.credentials.access_key_id
    # Both are valid at the same time: the old one is not revoked.
    assert [g.number for g in creds.valid_generations(clock[0])] == [1, 2]
    states = {row["number"]: row["state"] for row in creds.timeline(clock[0])}
    assert states == {1: "still-valid", 2: "served"}
    # Generation 1 expires at its own time, generation 2 lives on.
    after_first_expiry = T0 + timedelta(hours=6)
    assert [g.number for g in creds.valid_generations(after_first_expiry)] == [2]


def test_new_credentials_always_at_least_five_minutes_before_expiry():
    # Walk the clock minute by minute for a day: whenever the served generation is within 5 minutes of expiry, a
    # newer one must already exist (and be served).
    policy = RotationPolicy(lifetime_seconds=3600, refresh_every_seconds=3300, min_lead_seconds=300)
    creds, sts, clock = make(policy)
    for minute in range(0, 24 * 60):
        clock[0] = T0 + timedelta(minutes=minute)
        served = creds.serve(clock[0], ROLE, sts)
        assert served.expires_at - clock[0] > timedelta(minutes=5), minute


def test_a_lead_shorter_than_five_minutes_is_refused():
    with pytest.raises(ValueError):
        RotationPolicy(lifetime_seconds=3600, refresh_every_seconds=3500, min_lead_seconds=100)
    with pytest.raises(ValueError):
        RotationPolicy(lifetime_seconds=3600, refresh_every_seconds=3500, min_lead_seconds=300)


def test_long_fast_forward_issues_on_next_request_and_shows_expired_generations():
    creds, sts, clock = make()
    creds.serve(clock[0], ROLE, sts)
    clock[0] = T0 + timedelta(hours=7)
    generation = creds.serve(clock[0], ROLE, sts)
    assert generation.number == 2 and generation.issued_at == clock[0]
    assert [row["state"] for row in creds.timeline(clock[0])] == ["expired", "served"]


def test_role_change_issues_new_generation_for_the_new_role():
    creds, sts, clock = make()
    creds.serve(clock[0], ROLE, sts)
    clock[0] = T0 + timedelta(minutes=10)
    generation = creds.serve(clock[0], OTHER_ROLE, sts)
    assert generation.number == 2 and generation.role_arn == OTHER_ROLE


def test_detach_is_recorded_and_nothing_is_served_anymore():
    creds, sts, clock = make()
    creds.serve(clock[0], ROLE, sts)
    creds.note_role(T0 + timedelta(minutes=5), None)
    assert creds.events[-1].kind == "detached"
    assert [row["state"] for row in creds.timeline(T0 + timedelta(minutes=5))] == ["still-valid"]


def test_issued_credentials_accepts_several_shapes():
    exp = T0 + timedelta(hours=1)
    a = IssuedCredentials.from_any({"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T",
                                    "Expiration": "2026-11-28T10:00:00Z"})
    assert a.expiration == exp

    class Obj:
        access_key_id, secret_access_key, session_token, expiration = "A", "S", "T", exp
    assert IssuedCredentials.from_any(Obj()) == a
    with pytest.raises(TypeError):
        IssuedCredentials.from_any(42)


def test_imds_tokens_ttl_bounds_expiry_and_instance_binding():
    tokens = ImdsTokens()
    for bad in (0, 21601, -5):
        with pytest.raises(ValueError):
            tokens.issue("i-a", bad, T0)
    token = tokens.issue("i-a", 60, T0)
    assert tokens.check("i-a", token.value, T0 + timedelta(seconds=59)) == "ok"
    assert tokens.check("i-a", token.value, T0 + timedelta(seconds=60)) == "expired"
    assert tokens.check("i-b", token.value, T0) == "other-instance"
    assert tokens.check("i-a", "made-up", T0) == "unknown"
    assert tokens.issue("i-a", 21600, T0).expires_at == T0 + timedelta(hours=6)


def test_registry_is_per_sandbox_and_instance():
    registry = InstanceRegistry()
    a = registry.state("sb1", "i-a")
    assert registry.state("sb1", "i-a") is a
    assert registry.state("sb2", "i-a") is not a
    registry.forget_sandbox("sb1")
    assert registry.existing("sb1", "i-a") is None and registry.existing("sb2", "i-a") is not None
