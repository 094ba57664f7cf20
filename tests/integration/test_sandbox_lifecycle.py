"""Sandboxes: reset, rebuild from the database after a restart, signed-in learners across devices, the CLI."""
from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from gateway.client import admin_client
from sandboxes import credentials, world
from sandboxes.labclient import lab, learner_client
from sandboxes.models import Sandbox

S1 = "cross-account-auditors"


def _admin_iam(learner, account="production"):
    key = learner.sandbox.access_keys.get(account_name=account, user_name=world.ADMIN_USER)
    return learner_client("iam", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)


def test_reset_wipes_learner_changes_sessions_and_clock_and_restores_the_seed(learner):
    _admin_iam(learner).create_user(UserName="left-behind")
    learner.run(S1, "assume-audit-role")
    learner.client.post(learner.step_url(S1, "assume-audit-role", "clock"), {"by": "15m"})
    old_session = credentials.get(learner.sandbox.id, "audit-session")

    assert learner.client.post("/sandbox/reset/").status_code == 302

    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds == 0
    assert credentials.get(learner.sandbox.id, "audit-session") is None
    iam = _admin_iam(learner)  # new keys after the rebuild
    users = {u["UserName"] for u in iam.list_users()["Users"]}
    assert "left-behind" not in users and "lab-admin" in users
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} >= {"SecureCart-AuditRole", "SecureCart-WebTier-Role"}
    # The engine forgot the old session: its keys no longer authenticate.
    sts = learner_client("sts", access_key_id=old_session.access_key_id,
                         secret_access_key=old_session.secret_access_key, session_token=old_session.session_token)
    with pytest.raises(ClientError):
        sts.get_caller_identity()
    # Completed steps survive a reset.
    assert learner.sandbox.progress.get(scenario=S1, step="assume-audit-role").completed_at is not None


def test_after_a_restart_the_world_is_rebuilt_from_the_db_with_the_learners_edits(learner):
    accounts = learner.sandbox.account_ids()
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "OnlyWithNewId", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{accounts['auditor']}:root"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "Edited-Id"}}}]}
    learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {"document": json.dumps(doc)})
    # Simulate a restart: the engine forgets the sandbox and moto loses its state.
    lab().forget_sandbox(learner.sandbox.id)
    for account_id in accounts.values():
        world.wipe_account(learner.sandbox.id, account_id)

    assert learner.client.get("/").status_code == 200  # first use rebuilds
    role = admin_client("iam", accounts["production"]).get_role(RoleName="SecureCart-AuditRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Sid"] == "OnlyWithNewId"
    learner.run(S1, "meet-the-auditor")  # the auditor's (new) keys work at once
    assert learner.last_result(S1, "meet-the-auditor")["calls"][0]["ok"]


def test_signed_in_learner_keeps_the_sandbox_on_another_device(learner):
    User.objects.create_user("alice", password="a-long-passphrase-1")
    assert learner.client.login(username="alice", password="a-long-passphrase-1")
    learner.client.get("/")  # claims the visitor's sandbox for alice
    phone = Client()
    phone.login(username="alice", password="a-long-passphrase-1")
    phone.get("/")
    assert phone.session["sandbox_id"] == learner.sandbox.id
    assert Sandbox.objects.get(pk=learner.sandbox.id).owner.username == "alice"


def test_signup_carries_the_visitors_sandbox_over(learner):
    r = learner.client.post("/accounts/signup/", {"username": "carol", "password1": "Another-long-pass-42",
                                                  "password2": "Another-long-pass-42"})
    assert r.status_code == 302
    assert Sandbox.objects.get(pk=learner.sandbox.id).owner.username == "carol"


@pytest.mark.django_db(transaction=True)
def test_sandbox_create_command_prints_keys_that_work_against_the_running_server(live_server):
    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "create", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["endpoint_url"] == f"{live_server.url}/aws" and data["region"] == "us-east-1"
    assert [a["name"] for a in data["accounts"]] == ["production", "developer", "auditor", "management"]
    admin = data["accounts"][0]["admin"]
    sts = boto3.client("sts", endpoint_url=data["endpoint_url"], region_name="us-east-1",
                       aws_access_key_id=admin["access_key_id"], aws_secret_access_key=admin["secret_access_key"])
    assert sts.get_caller_identity()["Arn"] == admin["arn"] == f"arn:aws:iam::{data['accounts'][0]['id']}:user/lab-admin"

    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "create", "--json", "--accounts", "2", stdout=out)
    bare = json.loads(out.getvalue())
    assert [a["name"] for a in bare["accounts"]] == ["account-1", "account-2"]
    key = bare["accounts"][1]["admin"]
    iam = boto3.client("iam", endpoint_url=bare["endpoint_url"], region_name="us-east-1",
                       aws_access_key_id=key["access_key_id"], aws_secret_access_key=key["secret_access_key"])
    iam.create_role(RoleName="MyOwnRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{bare['accounts'][0]['id']}:root"}}]}))

    out = io.StringIO()
    call_command("sandbox", "--server", live_server.url, "advance-clock", bare["sandbox"], "900", stdout=out)
    assert json.loads(out.getvalue())["clock_offset_seconds"] == 900


def test_a_warm_page_does_not_rewrite_the_session_but_a_new_day_does(learner, monkeypatch):
    """sandboxes.services.note_in_session: the session row is written when the sandbox in it changes or once a
    day (SESSION_COOKIE_AGE then still counts from the last visit), not on every page."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert learner.client.get("/").status_code == 200
    key = learner.client.session.session_key
    before = Session.objects.get(session_key=key)
    assert learner.client.get(f"/scenarios/{S1}/").status_code == 302
    assert learner.client.get("/").status_code == 200
    unchanged = Session.objects.get(session_key=key)
    assert (unchanged.session_data, unchanged.expire_date) == (before.session_data, before.expire_date)

    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert learner.client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date > before.expire_date
    assert learner.client.session["sandbox_id"] == learner.sandbox.id
