"""Instance metadata through Django (/imds/<sandbox key>/<instance-id>/...): the learner's terminal acts as code on
their instance (IMDSv2 token, then the role's credentials), and only for their own sandbox's instances."""
from __future__ import annotations

import html
import re

import boto3

from sandboxes import imdsmount
from sandboxes.labclient import learner_client

S4 = "service-roles"
TTL = {"HTTP_X_AWS_EC2_METADATA_TOKEN_TTL_SECONDS": "300"}


def _launch(learner) -> str:
    learner.run(S4, "launch-instance")
    assert learner.last_result(S4, "launch-instance")["succeeded"]
    [instance] = imdsmount.sandbox_instances(learner.sandbox)
    return instance["instance_id"]


def _imds_base(learner, instance_id: str) -> str:
    """The address the terminal page shows for this instance (path only)."""
    page = html.unescape(learner.client.get("/sandbox/terminal/").content.decode())
    match = re.search(r"IMDS=http://testserver(/imds/\S+/" + instance_id + ")\n", page)
    assert match, "the terminal page shows the instance's IMDS address"
    return match.group(1)


def test_token_then_credentials_as_on_the_instance(learner):
    instance_id = _launch(learner)
    base = _imds_base(learner, instance_id)

    # IMDSv2 is required on the web tier: no token, no answer.
    assert learner.client.get(f"{base}/latest/meta-data/instance-id").status_code == 401
    r = learner.client.put(f"{base}/latest/api/token", **TTL)
    assert r.status_code == 200 and r["Server"] == "EC2ws"
    token = r.content.decode()
    auth = {"HTTP_X_AWS_EC2_METADATA_TOKEN": token}
    assert learner.client.get(f"{base}/latest/meta-data/instance-id", **auth).content.decode() == instance_id
    role = learner.client.get(f"{base}/latest/meta-data/iam/security-credentials/", **auth).content.decode()
    assert role == "SecureCart-WebTier-Role"
    document = learner.client.get(f"{base}/latest/meta-data/iam/security-credentials/{role}", **auth).json()
    assert document["Code"] == "Success" and document["Type"] == "AWS-HMAC"

    # The credentials are real: STS says who they are.
    sts = learner_client("sts", access_key_id=document["AccessKeyId"], secret_access_key=document["SecretAccessKey"],
                         session_token=document["Token"])
    production = learner.sandbox.account_ids()["production"]
    assert sts.get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{production}:assumed-role/SecureCart-WebTier-Role/{instance_id}")
    # A POST is not CSRF-checked (it is IMDS's own 405, not Django's 403).
    assert learner.client.post(f"{base}/latest/meta-data/instance-id", **auth).status_code == 405


def test_another_learner_cannot_reach_my_instance(learner, other_learner):
    instance_id = _launch(learner)
    my_base = _imds_base(learner, instance_id)
    other_key = imdsmount.sandbox_key(other_learner.sandbox)
    # Bob knows Alice's instance id but only his own sandbox key: for him the instance does not exist.
    assert other_learner.client.put(f"/imds/{other_key}/{instance_id}/latest/api/token", **TTL).status_code == 404
    # A made-up key, or Alice's sandbox id without its signature, is no key at all.
    forged = f"{learner.sandbox.id}:not-the-signature"
    assert other_learner.client.put(f"/imds/{forged}/{instance_id}/latest/api/token", **TTL).status_code == 404
    assert other_learner.client.put(f"/imds/{learner.sandbox.id}/{instance_id}/latest/api/token",
                                    **TTL).status_code == 404
    # Alice's address works from any client (her terminal has no session cookie).
    from django.test import Client
    assert Client().put(f"{my_base}/latest/api/token", **TTL).status_code == 200


def test_terminal_page_without_an_instance_points_to_scenario_4(learner):
    page = learner.client.get("/sandbox/terminal/").content.decode()
    assert 'id="instance-metadata"' in page and "/scenarios/service-roles/" in page and "IMDS=" not in page


def test_an_sdk_picks_up_instance_credentials_from_the_mount(learner, live_server, monkeypatch):
    """botocore's own IMDS credential provider, pointed at the mount, as the terminal page's CLI example does."""
    instance_id = _launch(learner)
    base = live_server.url + _imds_base(learner, instance_id)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", base + "/")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_METADATA_SERVICE_TIMEOUT", "10")
    credentials = boto3.Session(region_name="us-east-1").get_credentials()
    assert credentials is not None and credentials.method == "iam-role"
    frozen = credentials.get_frozen_credentials()
    assert frozen.access_key.startswith("ASIA") and frozen.token
