"""gateway.ports.WorldPort's and ImdsPort's contracts, in-process and over lab control (the `ports` fixture): whole
accounts loaded, dropped and keyed, identity providers stored at once, named admin calls (`world.call`, how another
process seeds: a named operation and its parameters, never a raw HTTP request), and an instance's metadata service
(issue 24)."""
from __future__ import annotations

import secrets

import pytest
from botocore.exceptions import ClientError

from gateway.ports import AwsAnswer, AwsCall
from gateway_kit import new_account, trust


def test_accounts_are_loaded_keyed_and_dropped(ports) -> None:
    account = new_account()
    assert ports.world.account_loaded(account) is False
    ports.admin("iam", account).create_user(UserName="builder")
    assert ports.world.account_loaded(account) is True
    [[made], [kept]] = ports.world.set_access_keys([
        {"account_id": account, "user_name": "builder", "keys": [{}]},
        {"account_id": account, "user_name": "builder",
         "keys": [{"access_key_id": "AKIA" + "Q" * 16, "secret_access_key": "s" * 40}]}])
    assert made["access_key_id"].startswith("AKIA") and made["status"] == "Active"
    assert kept == {"access_key_id": "AKIA" + "Q" * 16, "secret_access_key": "s" * 40, "status": "Active"}
    listed = ports.admin("iam", account).list_access_keys(UserName="builder")["AccessKeyMetadata"]
    assert [key["AccessKeyId"] for key in listed] == ["AKIA" + "Q" * 16]      # the last call's keys are the user's
    ports.world.drop_accounts([account])
    assert ports.world.account_loaded(account) is False
    assert ports.world.replay([]) == 0


def test_identity_providers_are_stored_in_one_step_and_checked(ports) -> None:
    account = new_account()
    ports.world.add_identity_providers(account, [], [
        {"url": "https://token.example.com", "client_ids": ["app"], "thumbprints": ["0" * 40]}])
    providers = ports.admin("iam", account).list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in providers] == [f"arn:aws:iam::{account}:oidc-provider/token.example.com"]
    with pytest.raises(ValueError, match="needs a name and a metadata document"):
        ports.world.add_identity_providers(account, [{"name": "IdP"}], [])


def test_a_named_admin_call_answers_as_botocore_parsed_it(ports) -> None:
    account = new_account()
    ports.admin("iam", account).create_user(UserName="listed")
    answer = ports.world.call(AwsCall("iam", "ListUsers", account))
    assert isinstance(answer, AwsAnswer) and answer.status == 200
    assert [user["UserName"] for user in answer.parsed["Users"]] == ["listed"]
    assert answer.parsed["Users"][0]["CreateDate"].tzinfo is not None         # a datetime, not its text
    missing = ports.world.call(AwsCall("iam", "GetRole", account, {"RoleName": "nobody"}))
    assert missing.status == 404 and missing.parsed["Error"]["Code"] == "NoSuchEntity"


@pytest.mark.parametrize("call, message", [
    (AwsCall("no-such-service", "ListUsers", "111122223333"), "unknown AWS service"),
    (AwsCall("iam", "DeleteEverything", "111122223333"), "iam has no operation `DeleteEverything`"),
    (AwsCall("iam", "GetRole", "111122223333", {"RoleName": 7}), "Invalid type for parameter RoleName"),
    (AwsCall("iam", "ListUsers", "12345"), "12-digit"),
    (AwsCall("iam", "ListUsers", "111122223333", region="../etc"), "not an AWS region"),
], ids=["service", "operation", "parameter", "account", "region"])
def test_a_named_admin_call_outside_the_models_is_refused(ports, call: AwsCall, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ports.world.call(call)


def test_admin_clients_seed_s3_in_the_sandboxs_namespace_and_raise_modelled_errors(ports) -> None:
    sandbox, account = "ct" + secrets.token_hex(4), new_account()
    s3 = ports.admin("s3", account, sandbox)
    s3.create_bucket(Bucket="audit-logs")
    s3.put_object(Bucket="audit-logs", Key="2024/events.json", Body=b'{"eventSource": "s3"}')
    assert "audit-logs" in [b["Name"] for b in s3.list_buckets()["Buckets"]]   # the familiar name comes back
    assert s3.get_object(Bucket="audit-logs", Key="2024/events.json")["Body"].read() == b'{"eventSource": "s3"}'
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="audit-logs"))
    assert [item["Key"] for page in pages for item in page["Contents"]] == ["2024/events.json"]
    stored = ports.world.call(AwsCall("s3", "ListBuckets", account)).parsed["Buckets"]
    assert any(b["Name"].endswith("-audit-logs") and b["Name"] != "audit-logs" for b in stored)  # moto's name
    iam = ports.admin("iam", account)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="does-not-exist")
    with pytest.raises(ClientError) as no_bucket:
        s3.head_bucket(Bucket="never-made")
    assert no_bucket.value.response["Error"]["Code"] in ("404", "NoSuchBucket")


def test_an_instances_metadata_service(ports) -> None:
    """Scenario 4: the instance, its role session and its IMDS tokens live where the Lab is."""
    sandbox, account = "ct-" + secrets.token_hex(4), new_account()
    ports.lab.register_sandbox(sandbox, {"prod": account})
    iam = ports.admin("iam", account)
    iam.create_role(RoleName="WebTier", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.create_instance_profile(InstanceProfileName="WebTier")
    iam.add_role_to_instance_profile(InstanceProfileName="WebTier", RoleName="WebTier")
    instance = ports.admin("ec2", account).run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
        IamInstanceProfile={"Name": "WebTier"}, MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    imds = ports.imds
    assert imds.handle("GET", f"/{instance}/latest/meta-data/instance-id", {}).status == 401   # IMDSv1 refused
    token = imds.handle("PUT", f"/{instance}/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert token.status == 200 and token.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "60"
    answer = imds.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/WebTier",
                         {"X-aws-ec2-metadata-token": token.body})
    assert answer.status == 200 and answer.content_type == "application/json"
    document = answer.json()
    arn = ports.client("sts", access_key_id=document["AccessKeyId"], secret_access_key=document["SecretAccessKey"],
                       session_token=document["Token"]).get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{account}:assumed-role/WebTier/{instance}"
    [generation] = imds.timeline(instance)
    assert generation["access_key_id"] == document["AccessKeyId"] and generation["state"] == "served"
    assert imds.handle("GET", "/i-0000000000000000/latest/meta-data/", {}).status == 404
    assert imds.timeline("i-0000000000000000") == []
