"""Every STS operation the engine answers, through the gateway, in-process and over real HTTP: boto3 must get the
result members and the ClientError (code, message, HTTP status) AWS would give. Facts: aws-sts-facts.md."""
from __future__ import annotations

import time

import pyotp
import pytest
from botocore.exceptions import ClientError

from gateway_kit import Sandbox, allow, deny, doc, trust


def error_of(info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_get_caller_identity_of_a_user(sbx: Sandbox) -> None:
    alice = sbx.user("alice")
    answer = sbx.client("sts", alice).get_caller_identity()
    assert answer["Arn"] == f"arn:aws:iam::{sbx.dev}:user/alice"
    assert answer["Account"] == sbx.dev and answer["UserId"].startswith("AIDA")
    assert answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == answer["ResponseMetadata"]["RequestId"]


def test_get_caller_identity_works_despite_an_explicit_deny(sbx: Sandbox) -> None:
    # aws-sts-facts 1.7: GetCallerIdentity needs no permission and cannot be denied
    mallory = sbx.user("mallory", deny("sts:GetCallerIdentity"))
    assert sbx.client("sts", mallory).get_caller_identity()["Arn"].endswith(":user/mallory")


def test_assume_role_passes_every_list_parameter_and_returns_every_member(sbx: Sandbox) -> None:
    sbx.admin("iam").create_policy(PolicyName="ReadOnly", PolicyDocument=doc(allow("s3:Get*")))
    role = sbx.role("Auditor", trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"},
                                     ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                                     Condition={"StringEquals": {"sts:ExternalId": "ext-123"}}),
                    allow("s3:*"))
    alice = sbx.user("alice", allow(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]))
    answer = sbx.client("sts", alice).assume_role(
        RoleArn=role, RoleSessionName="audit-2024", DurationSeconds=900, ExternalId="ext-123",
        SourceIdentity="alice", Tags=[{"Key": "Project", "Value": "checkout"}, {"Key": "Team", "Value": "sec"}],
        TransitiveTagKeys=["Project"], PolicyArns=[{"arn": f"arn:aws:iam::{sbx.dev}:policy/ReadOnly"}],
        Policy=doc(allow("s3:GetObject")))
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{sbx.dev}:assumed-role/Auditor/audit-2024"
    assert answer["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert answer["SourceIdentity"] == "alice"
    assert 0 < answer["PackedPolicySize"] <= 100
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert 850 <= (credentials["Expiration"].timestamp() - time.time()) <= 905
    session = sbx.lab.session(credentials["AccessKeyId"])
    assert session.principal_tags == {"Project": "checkout", "Team": "sec"}
    assert [k.lower() for k in session.transitive_tag_keys] == ["project"]


def test_assume_role_denied_by_trust_is_access_denied_403(sbx: Sandbox) -> None:
    role = sbx.role("Locked", trust({"AWS": f"arn:aws:iam::{sbx.dev}:user/somebody-else"}))
    alice = sbx.user("alice", allow("sts:AssumeRole"))
    with pytest.raises(ClientError) as info:
        sbx.client("sts", alice).assume_role(RoleArn=role, RoleSessionName="s1")
    assert error_of(info) == ("AccessDenied", f"User: arn:aws:iam::{sbx.dev}:user/alice is not authorized to "
                              f"perform: sts:AssumeRole on resource: {role}", 403)
    request_id = info.value.response["ResponseMetadata"]["RequestId"]
    decision = sbx.lab.decision(request_id)
    assert decision is not None and not decision.allowed


def test_validation_errors_come_back_as_aws_words_them(sbx: Sandbox) -> None:
    role = sbx.role("Short", trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"}))
    alice = sbx.user("alice", allow("sts:AssumeRole"))
    sts = sbx.client("sts", alice)
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=role, RoleSessionName="has space")
    code, message, status = error_of(info)
    assert (code, status) == ("ValidationError", 400)
    assert "Member must satisfy regular expression pattern: [\\w+=,.@-]*" in message
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=role, RoleSessionName="s1", DurationSeconds=7200)
    assert error_of(info) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set "
                              "for this role.", 400)


def test_role_chaining_over_one_hour_is_refused(sbx: Sandbox) -> None:
    first = sbx.role("First", trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"}), allow("sts:AssumeRole"),
                     max_session=43200)
    second = sbx.role("Second", trust({"AWS": first}), max_session=43200)
    alice = sbx.user("alice", allow("sts:AssumeRole"))
    hop = sbx.assume(alice, first)
    with pytest.raises(ClientError) as info:
        sbx.client("sts", hop).assume_role(RoleArn=second, RoleSessionName="hop2", DurationSeconds=7200)
    assert error_of(info) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                              "for roles assumed by role chaining.", 400)
    answer = sbx.client("sts", hop).assume_role(RoleArn=second, RoleSessionName="hop2")
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Second/hop2")


def test_session_credentials_expire_on_the_sandbox_clock(sbx: Sandbox) -> None:
    role = sbx.role("Short", trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"}), allow("s3:ListAllMyBuckets"))
    alice = sbx.user("alice", allow("sts:AssumeRole"))
    session = sbx.assume(alice, role, DurationSeconds=900)
    assert sbx.client("sts", session).get_caller_identity()["Arn"].endswith("/Short/s1")
    sbx.lab.advance_clock(sbx.id, 901)
    with pytest.raises(ClientError) as info:
        sbx.client("sts", session).get_caller_identity()
    assert error_of(info) == ("ExpiredToken", "The security token included in the request is expired", 403)
    # each service words it its own way
    with pytest.raises(ClientError) as info:
        sbx.client("s3", session).list_buckets()
    assert error_of(info) == ("ExpiredToken", "The provided token has expired.", 400)
    with pytest.raises(ClientError) as info:
        sbx.client("secretsmanager", session).list_secrets()
    assert error_of(info) == ("ExpiredTokenException", "The security token included in the request is expired", 400)


def test_get_session_token_with_mfa_and_with_a_wrong_code(sbx: Sandbox) -> None:
    alice = sbx.user("alice")
    iam = sbx.admin("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"], AuthenticationCode1="000000",
                          AuthenticationCode2="000000")
    sts = sbx.client("sts", alice)
    wrong = f"{(int(pyotp.TOTP(seed).now()) + 1) % 1000000:06d}"
    with pytest.raises(ClientError) as info:
        sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode=wrong)
    code, message, status = error_of(info)
    assert (code, status) == ("AccessDenied", 403) and message.startswith("MultiFactorAuthentication failed")
    answer = sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode=pyotp.TOTP(seed).now(),
                                   DurationSeconds=3600)
    credentials = answer["Credentials"]
    session = {"access_key_id": credentials["AccessKeyId"], "secret_access_key": credentials["SecretAccessKey"],
               "session_token": credentials["SessionToken"]}
    assert sbx.client("sts", session).get_caller_identity()["Arn"] == f"arn:aws:iam::{sbx.dev}:user/alice"
    with pytest.raises(ClientError) as info:
        sbx.client("sts", session).get_session_token()
    assert error_of(info) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_get_federation_token_and_its_caller_identity(sbx: Sandbox) -> None:
    alice = sbx.user("alice", allow("sts:GetFederationToken"))
    answer = sbx.client("sts", alice).get_federation_token(Name="partner", Policy=doc(allow("s3:ListAllMyBuckets")),
                                                           DurationSeconds=900)
    assert answer["FederatedUser"]["Arn"] == f"arn:aws:sts::{sbx.dev}:federated-user/partner"
    assert answer["FederatedUser"]["FederatedUserId"] == f"{sbx.dev}:partner"
    c = answer["Credentials"]
    federated = {"access_key_id": c["AccessKeyId"], "secret_access_key": c["SecretAccessKey"],
                 "session_token": c["SessionToken"]}
    assert sbx.client("sts", federated).get_caller_identity()["Arn"].endswith(":federated-user/partner")
    bob = sbx.user("bob")
    with pytest.raises(ClientError) as info:
        sbx.client("sts", bob).get_federation_token(Name="partner")
    assert error_of(info)[0] == "AccessDenied"


def test_get_access_key_info_names_the_owning_account(sbx: Sandbox) -> None:
    alice = sbx.user("alice")
    bob = sbx.user("bob", account=sbx.prod)
    answer = sbx.client("sts", alice).get_access_key_info(AccessKeyId=bob["access_key_id"])
    assert answer["Account"] == sbx.prod


def test_decode_authorization_message_reads_ec2_denials(sbx: Sandbox) -> None:
    alice = sbx.user("alice", allow(["ec2:RunInstances", "ec2:DescribeInstances", "sts:DecodeAuthorizationMessage"]))
    ec2 = sbx.client("ec2", alice)
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as info:
        ec2.terminate_instances(InstanceIds=[instance])
    code, message, status = error_of(info)
    assert (code, status) == ("UnauthorizedOperation", 403)
    resource = f"arn:aws:ec2:us-east-1:{sbx.dev}:instance/{instance}"
    assert message.startswith(f"You are not authorized to perform this operation. User: arn:aws:iam::{sbx.dev}:"
                              f"user/alice is not authorized to perform: ec2:TerminateInstances on resource: "
                              f"{resource} because no identity-based policy allows the ec2:TerminateInstances action. "
                              "Encoded authorization failure message: ")
    token = message.rsplit(" ", 1)[-1]
    decoded = sbx.client("sts", alice).decode_authorization_message(EncodedMessage=token)["DecodedMessage"]
    assert "ec2:TerminateInstances" in decoded and instance in decoded
    states = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert states == "running"   # the denied call changed nothing


def test_unsigned_federation_calls_are_routed_to_sts_and_others_are_not(sbx: Sandbox) -> None:
    with pytest.raises(ClientError) as info:
        sbx.unsigned("sts").get_caller_identity()
    assert error_of(info) == ("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    with pytest.raises(ClientError) as info:
        sbx.unsigned("sts").assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{sbx.dev}:role/Nobody",
                                                          RoleSessionName="x1", WebIdentityToken="not-a-jwt-token")
    assert error_of(info)[0] in ("InvalidIdentityToken", "IDPRejectedClaim", "AccessDenied")


def test_unknown_key_and_wrong_secret(sbx: Sandbox) -> None:
    alice = sbx.user("alice")
    with pytest.raises(ClientError) as info:
        sbx.client("sts", {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "x" * 40})\
            .get_caller_identity()
    assert error_of(info) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    with pytest.raises(ClientError) as info:
        sbx.client("sts", {**alice, "secret_access_key": "wrong" + alice["secret_access_key"][5:]})\
            .get_caller_identity()
    assert error_of(info) == ("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                              "signature you provided. Check your AWS Secret Access Key and signing method. Consult "
                              "the service documentation for details.", 403)


def test_operation_sts_does_not_have(local: Sandbox) -> None:
    from gateway.app import IncomingRequest

    response = local.app.handle(IncomingRequest("POST", "/", "/", "", {
        "content-type": "application/x-www-form-urlencoded"}, b"Action=StealEverything&Version=2011-06-15"))
    assert response.status == 400 and b"<Code>InvalidAction</Code>" in response.body
    assert b"Could not find operation StealEverything for version 2011-06-15" in response.body
