"""Pooled learner clients (gateway.client: one botocore client per service and target, shared by the scenario steps,
each call signed with its caller's keys) keep each caller's record of the wire apart and never sign with anyone
else's keys; the policy panels' direct read of
moto's stored policy text answers what IAM's GetRole / GetRolePolicy / GetUserPolicy answer."""
from __future__ import annotations

import json
import threading

import pytest

from gateway.client import ExchangeRecorder, iam_policy_document, learner_client
from gateway_kit import Sandbox, allow, doc, trust


def pooled(sandbox: Sandbox, service: str, creds: dict, recorder: ExchangeRecorder):
    return learner_client(service, recorder=recorder, gateway=sandbox.app, pooled=True, **creds)


def test_pooled_callers_share_one_client_but_each_records_only_its_own_calls(lab_app):
    box = Sandbox(*lab_app)
    alice = box.user("alice", allow("iam:ListRoles"))
    first, second = ExchangeRecorder(), ExchangeRecorder()
    a, b = pooled(box, "sts", alice, first), pooled(box, "sts", alice, second)
    assert a.client is b.client   # built once
    a.get_caller_identity()
    b.get_caller_identity()
    b.get_caller_identity()
    assert [x.operation for x in first.exchanges] == ["GetCallerIdentity"]
    assert [x.operation for x in second.exchanges] == ["GetCallerIdentity", "GetCallerIdentity"]
    # a paginator records into its caller's recorder too
    list(pooled(box, "iam", alice, first).get_paginator("list_roles").paginate())
    assert first.exchanges[-1].operation == "ListRoles" and len(second.exchanges) == 2


def test_pooled_clients_of_different_keys_share_one_client_and_sign_as_their_own_user(lab_app):
    box = Sandbox(*lab_app)
    alice, bob = box.user("alice"), box.user("bob", allow("iam:ListRoles"))
    recorder = ExchangeRecorder()
    a, b = pooled(box, "sts", alice, recorder), pooled(box, "sts", bob, recorder)
    assert a.client is b.client   # one botocore client; the keys ride with each call (CallerCredentials)
    assert a.get_caller_identity()["Arn"].endswith(":user/alice")
    assert b.get_caller_identity()["Arn"].endswith(":user/bob")
    assert a.get_caller_identity()["Arn"].endswith(":user/alice")
    # a paginator's pages are signed with its caller's keys too: bob may list roles, alice may not
    iam_a, iam_b = pooled(box, "iam", alice, recorder), pooled(box, "iam", bob, recorder)
    assert iam_a.client is iam_b.client
    assert list(iam_b.get_paginator("list_roles").paginate())
    with pytest.raises(Exception, match="AccessDenied"):
        list(iam_a.get_paginator("list_roles").paginate())


def test_threads_sharing_one_pooled_client_each_sign_with_their_own_keys(lab_app):
    box = Sandbox(*lab_app)
    users = [box.user(name) for name in ("alice", "bob", "carol", "dave")]
    seen: dict[int, set[str]] = {}

    def work(n: int) -> None:
        client = pooled(box, "sts", users[n], ExchangeRecorder())
        seen[n] = {client.get_caller_identity()["Arn"].rsplit("/", 1)[-1] for _ in range(10)}

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {0: {"alice"}, 1: {"bob"}, 2: {"carol"}, 3: {"dave"}}


def test_the_shared_client_itself_signs_for_nobody(lab_app):
    from botocore.exceptions import NoCredentialsError

    box = Sandbox(*lab_app)
    shared = pooled(box, "sts", box.user("alice"), ExchangeRecorder()).client
    with pytest.raises(NoCredentialsError):
        shared.get_caller_identity()   # outside a LearnerClient call: no caller, no keys


def test_threads_sharing_a_pooled_client_keep_their_records_apart(lab_app):
    box = Sandbox(*lab_app)
    alice = box.user("alice")
    recorders = [ExchangeRecorder() for _ in range(4)]

    def work(recorder: ExchangeRecorder) -> None:
        client = pooled(box, "sts", alice, recorder)
        for _ in range(5):
            client.get_caller_identity()

    threads = [threading.Thread(target=work, args=(r,)) for r in recorders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [len(r.exchanges) for r in recorders] == [5, 5, 5, 5]


def test_an_unpooled_client_is_the_callers_own(lab_app):
    box = Sandbox(*lab_app)
    alice = box.user("alice")
    one, two = box.client("sts", alice), box.client("sts", alice)
    assert one.client is not two.client


def test_direct_policy_read_matches_what_iam_answers(lab_app):
    box = Sandbox(*lab_app)
    box.user("carol", allow("s3:GetObject", "arn:aws:s3:::b/%2A"))
    box.role("Reader", trust({"AWS": f"arn:aws:iam::{box.dev}:root"}, Condition={"StringEquals": {"sts:ExternalId": "x%20y"}}), allow("s3:ListBucket"))
    iam = box.admin("iam")
    assert iam_policy_document(box.dev, "trust", "Reader") == iam.get_role(RoleName="Reader")["Role"][
        "AssumeRolePolicyDocument"]
    assert iam_policy_document(box.dev, "role", "Reader", "inline") == iam.get_role_policy(
        RoleName="Reader", PolicyName="inline")["PolicyDocument"]
    assert iam_policy_document(box.dev, "user", "carol", "inline") == iam.get_user_policy(
        UserName="carol", PolicyName="inline")["PolicyDocument"]
    assert iam_policy_document(box.dev, "user", "carol", "inline") == json.loads(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/%2A")))


@pytest.mark.parametrize("kind,owner,name", [("trust", "Nobody", ""), ("role", "Nobody", "inline"),
                                             ("user", "nobody", "inline")])
def test_direct_policy_read_of_something_missing_says_no_such_entity(lab_app, kind, owner, name):
    box = Sandbox(*lab_app)
    with pytest.raises(LookupError, match="NoSuchEntity"):
        iam_policy_document(box.dev, kind, owner, name)
