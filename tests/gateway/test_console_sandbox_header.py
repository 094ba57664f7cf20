"""The in-page console marks every request with its sandbox (X-Lab-Console-Sandbox, challenges/cli_child.py); the
gateway then refuses keys of any other sandbox, signed or unsigned (federation) calls alike. Without the header
nothing changes: the header only ever narrows."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from gateway_kit import Sandbox, allow, trust


def mark(client, sandbox_id: str):
    def add_header(request, **kwargs):
        request.headers["X-Lab-Console-Sandbox"] = sandbox_id

    client.meta.events.register("before-sign.*.*", add_header)
    return client


def test_own_sandbox_passes_and_another_is_refused(lab_app):
    mine, theirs = Sandbox(*lab_app), Sandbox(*lab_app)
    alice = mine.user("alice", allow("s3:ListAllMyBuckets"))
    assert mark(mine.client("sts", alice), mine.id).get_caller_identity()["Arn"].endswith(":user/alice")
    for service, call in (("sts", "get_caller_identity"), ("s3", "list_buckets"), ("iam", "list_roles")):
        with pytest.raises(ClientError) as refused:
            getattr(mark(mine.client(service, alice), theirs.id), call)()
        assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
        assert "belong to another sandbox" in refused.value.response["Error"]["Message"]
    # no header: an ordinary client (the learner's own terminal) is unaffected
    assert mine.client("sts", alice).get_caller_identity()["Account"] == mine.dev


def test_unsigned_federation_calls_must_name_a_role_of_the_console_sandbox(lab_app):
    mine, theirs = Sandbox(*lab_app), Sandbox(*lab_app)
    role = theirs.role("Web", trust({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity"))
    with pytest.raises(ClientError) as refused:
        mark(mine.unsigned("sts"), mine.id).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="s1", WebIdentityToken="x" * 20)
    assert "belong to another sandbox" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as other:
        mark(theirs.unsigned("sts"), theirs.id).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="s1", WebIdentityToken="x" * 20)
    assert "another sandbox" not in other.value.response["Error"]["Message"]
