"""engine.ports.DecisionPort's and SessionPort's contracts, in-process and over lab control (the `ports` fixture): a
request's Decision is found by its request id with its explanation, the issued sessions are listed without secrets,
and a printed set of credentials is recognised only when all three parts are the ones STS issued (issue 24)."""
from __future__ import annotations

import json
import secrets

import pytest
from botocore.exceptions import ClientError

from gateway_kit import allow, doc, new_account


@pytest.fixture
def world(ports):
    """A sandbox with an auditor (dev) allowed to assume AuditRole (prod), which reads audit-logs."""
    sandbox, dev, prod = "ct-" + secrets.token_hex(4), new_account(), new_account()
    ports.lab.register_sandbox(sandbox, {"dev": dev, "prod": prod})
    iam_dev = ports.admin("iam", dev)
    iam_dev.create_user(UserName="auditor")
    iam_dev.put_user_policy(UserName="auditor", PolicyName="may-assume",
                            PolicyDocument=doc(allow("sts:AssumeRole", f"arn:aws:iam::{prod}:role/*")))
    key = iam_dev.create_access_key(UserName="auditor")["AccessKey"]
    role = ports.admin("iam", prod).create_role(RoleName="AuditRole", AssumeRolePolicyDocument=doc(
        {"Sid": "TrustDevAccount", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
         "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    creds = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
    return ports, sandbox, prod, role, creds


def test_a_decision_is_found_by_request_id_with_its_explanation(world) -> None:
    ports, sandbox, prod, role, creds = world
    answer = ports.client("sts", **creds).assume_role(RoleArn=role, RoleSessionName="q3-review", DurationSeconds=900)
    request_id = answer["ResponseMetadata"]["RequestId"]
    decision = ports.lab.decision(request_id)
    assert decision is not None and decision.allowed
    as_dict = decision.to_dict()
    assert "TrustDevAccount" in [statement["sid"] for statement in as_dict["deciding"]]
    assert as_dict["allowed"] is True and as_dict["request"]["action"] == "sts:AssumeRole" and as_dict["policies"]
    json.dumps(as_dict)                                  # what a page renders, in both modes
    assert [d.allowed for d in ports.lab.decisions(request_id)] == [True]
    assert ports.lab.decision("no-such-request") is None and ports.lab.decisions("no-such-request") == []
    assert ports.lab.federation_report("no-such-request") is None


def test_a_denial_is_explained_as_a_denial(world) -> None:
    ports, sandbox, prod, role, creds = world
    with pytest.raises(ClientError) as denied:
        ports.client("sts", **creds).assume_role(RoleArn=role.replace("AuditRole", "Missing"), RoleSessionName="missing-role")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    decision = ports.lab.decision(denied.value.response["ResponseMetadata"]["RequestId"])
    assert decision is not None and not decision.allowed and decision.to_dict()["effect"] == "ImplicitDeny"


def test_sessions_are_listed_without_secrets_and_expire_with_the_clock(world) -> None:
    ports, sandbox, prod, role, creds = world
    issued = ports.client("sts", **creds).assume_role(RoleArn=role, RoleSessionName="q3-review",
                                                      DurationSeconds=900)["Credentials"]
    [summary] = ports.lab.sessions(sandbox)
    assert summary["arn"] == f"arn:aws:sts::{prod}:assumed-role/AuditRole/q3-review" and not summary["expired"]
    assert issued["SecretAccessKey"] not in json.dumps(summary) and issued["SessionToken"] not in json.dumps(summary)
    assert ports.lab.sandbox_of_key(issued["AccessKeyId"]) == sandbox
    assert ports.lab.sandbox_of_key("ASIA" + "Z" * 16) is None
    ports.lab.advance_clock(sandbox, 901)
    assert ports.lab.sessions(sandbox) == [] and ports.lab.sessions(sandbox, include_expired=True)[0]["expired"]


def test_printed_credentials_are_recognised_only_when_every_part_is_stss(world) -> None:
    ports, sandbox, prod, role, creds = world
    issued = ports.client("sts", **creds).assume_role(RoleArn=role, RoleSessionName="printed")["Credentials"]
    parts = (issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    summary = ports.lab.issued_session(sandbox, *parts)
    assert summary is not None and summary["arn"].endswith("/AuditRole/printed")
    # one character changed (never to itself: a secret ending in "x" made this test fail one run in 64)
    forged = parts[1][:-1] + ("y" if parts[1].endswith("x") else "x")
    assert ports.lab.issued_session(sandbox, parts[0], forged, parts[2]) is None                 # forged secret
    assert ports.lab.issued_session(sandbox, parts[0], parts[1], parts[2] + "x") is None        # altered token
    assert ports.lab.issued_session("ct-another-sandbox", *parts) is None                        # not theirs


def test_a_sessions_secret_is_given_back_by_key_to_its_own_sandbox_only(world) -> None:
    # sandboxes/credentials.py keeps only which key a learner's session is; its cached secret comes back from here
    # after an eviction or a Redis restart (issue 23). Another sandbox's key, an unknown one: nothing.
    ports, sandbox, prod, role, creds = world
    issued = ports.client("sts", **creds).assume_role(RoleArn=role, RoleSessionName="rebuilt")["Credentials"]
    secret = ports.lab.session_secret(sandbox, issued["AccessKeyId"])
    assert secret is not None
    assert (secret.access_key_id, secret.secret_access_key, secret.session_token) == (
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    assert secret.expires_at == issued["Expiration"]
    assert ports.lab.session_secret("ct-another-sandbox", issued["AccessKeyId"]) is None
    assert ports.lab.session_secret(sandbox, "ASIA" + "Z" * 16) is None
    ports.lab.forget_sandbox(sandbox)
    assert ports.lab.session_secret(sandbox, issued["AccessKeyId"]) is None
