"""engine.ports.SandboxPort's contract, run against the in-process Lab and RemoteLab over lab control (the `ports`
fixture, tests/gateway/conftest.py): the sandbox registry and its clocks answer alike in both modes (issue 24)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest

from gateway_kit import new_account


def sandbox_id() -> str:
    return "ct-" + secrets.token_hex(4)


def test_registered_accounts_belong_to_their_sandbox(ports) -> None:
    sandbox, dev, prod = sandbox_id(), new_account(), new_account()
    ports.lab.register_sandbox(sandbox, {"dev": dev, "prod": prod})
    assert ports.lab.sandbox_of_account(prod) == sandbox and ports.lab.accounts_of(sandbox) == {"dev": dev, "prod": prod}
    assert ports.lab.sandbox_of_account(new_account()) is None and ports.lab.accounts_of("no-such-sandbox") == {}
    other = new_account()
    ports.lab.register_sandbox(sandbox, {"dev": other})          # re-registering replaces the accounts
    assert ports.lab.sandbox_of_account(dev) is None and ports.lab.sandbox_of_account(other) == sandbox
    ports.lab.forget_sandbox(sandbox)
    assert ports.lab.sandbox_of_account(other) is None and ports.lab.accounts_of(sandbox) == {}


def test_an_account_belongs_to_one_sandbox_and_has_twelve_digits(ports) -> None:
    account = new_account()
    ports.lab.register_sandbox(sandbox_id(), {"main": account})
    with pytest.raises(ValueError, match="already belongs to sandbox"):
        ports.lab.register_sandbox(sandbox_id(), {"main": account})
    with pytest.raises(ValueError, match="12-digit"):
        ports.lab.register_sandbox(sandbox_id(), {"dev": "12345"})


def test_clocks_move_forward_per_sandbox_and_come_back_as_aware_datetimes(ports) -> None:
    sandbox, account = sandbox_id(), new_account()
    ports.lab.register_sandbox(sandbox, {"main": account}, clock_offset=3600)
    before = ports.lab.now(sandbox)
    assert isinstance(before, datetime) and before.tzinfo is not None
    assert before - datetime.now(timezone.utc) > timedelta(minutes=59)
    after = ports.lab.advance_clock(sandbox, 901)
    assert isinstance(after, datetime) and timedelta(seconds=900) < after - before < timedelta(seconds=960)
    assert ports.lab.mfa_clock(sandbox) - ports.lab.mfa_clock(None) > 3600 + 900
    ports.lab.set_clock_offset(sandbox, 0)                          # absolute
    assert abs(ports.lab.now(sandbox) - datetime.now(timezone.utc)) < timedelta(seconds=30)
    assert abs(ports.lab.now(None) - datetime.now(timezone.utc)) < timedelta(seconds=30)


def test_a_clock_refuses_unknown_sandboxes_and_numbers_that_are_not_finite(ports) -> None:
    with pytest.raises(KeyError, match="unknown sandbox"):
        ports.lab.set_clock_offset("no-such-sandbox", 10)
    with pytest.raises(KeyError, match="unknown sandbox"):
        ports.lab.advance_clock("no-such-sandbox", 10)
    sandbox = sandbox_id()
    ports.lab.register_sandbox(sandbox, {"main": new_account()})
    for seconds in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="finite"):
            ports.lab.advance_clock(sandbox, seconds)
        with pytest.raises(ValueError, match="finite"):
            ports.lab.set_clock_offset(sandbox, seconds)


def test_root_access_keys_are_made_for_the_sandboxs_own_accounts_only(ports) -> None:
    sandbox, account = sandbox_id(), new_account()
    ports.lab.register_sandbox(sandbox, {"main": account})
    key_id, secret = ports.lab.create_root_access_key(sandbox, account)
    assert key_id.startswith("AKIA") and len(secret) == 40
    arn = ports.client("sts", access_key_id=key_id, secret_access_key=secret).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:iam::{account}:root"
    with pytest.raises(ValueError, match="not part of sandbox"):
        ports.lab.create_root_access_key(sandbox_id(), account)
