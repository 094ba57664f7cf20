"""GetSessionToken, GetFederationToken, GetCallerIdentity, GetAccessKeyInfo, DecodeAuthorizationMessage, and the
model-driven parameter validation (botocore sts 2011-06-15 service-2.json = [STS-MODEL])."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from engine.errors import AccessDenied, AwsError, InvalidClientTokenId, ValidationError
from engine.sts import ids
from engine.sts.validation import params_from_query, validate
from test_sts_world import World, allow, code_now, doc, trust, world  # noqa: F401


# ---- validation messages ------------------------------------------------------------------------------------------

def test_role_session_name_pattern_message_is_aws_wire_text() -> None:
    # [GH:JuliaCloud/AWSCore.jl#38]
    with pytest.raises(ValidationError) as err:
        validate("AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "a:b"})
    assert err.value.message == ("1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy "
                                 "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")


def test_role_session_name_too_long_message() -> None:
    # [GH:youyo/awslogin#20]
    with pytest.raises(ValidationError, match="Member must have length less than or equal to 64$"):
        validate("AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "x" * 65})


def test_several_violations_are_counted_and_joined() -> None:
    with pytest.raises(ValidationError) as err:
        validate("AssumeRole", {"RoleSessionName": "bad name", "TokenCode": "12345"})
    message = err.value.message
    assert message.startswith("3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: "
                              "Member must not be null; ")
    assert "Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or " \
           "equal to 6" in message
    assert "Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular " \
           "expression pattern" in message
    assert message.count("; ") == 2


@pytest.mark.parametrize("external_id, ok", [("a", False), ("ab", True), ("arn:aws:x/y=z", True),
                                             ("has space", False), ("x" * 1224, True), ("x" * 1225, False)])
def test_external_id_rules(external_id: str, ok: bool) -> None:
    # [STS-MODEL] externalIdType: 2-1224, [\w+=,.@:\/-]*
    params = {"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "ok", "ExternalId": external_id}
    if ok:
        assert validate("AssumeRole", params)["ExternalId"] == external_id
    else:
        with pytest.raises(ValidationError, match="'externalId'"):
            validate("AssumeRole", params)


def test_word_characters_are_ascii_only_as_in_java() -> None:
    with pytest.raises(ValidationError):
        validate("AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "jürgen"})


def test_tag_keys_accept_unicode_letters_but_not_symbols() -> None:
    base = {"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "ok"}
    assert validate("AssumeRole", {**base, "Tags": [{"Key": "Abteilung-Größe", "Value": ""}]})
    with pytest.raises(ValidationError, match="'tags.1.member.key'"):
        validate("AssumeRole", {**base, "Tags": [{"Key": "bad!", "Value": "v"}]})
    with pytest.raises(ValidationError, match="'tags' failed to satisfy constraint: Member must have length less "
                                              "than or equal to 50"):
        validate("AssumeRole", {**base, "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]})


def test_duration_from_query_string_is_coerced_and_checked() -> None:
    base = {"RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "ok"}
    assert validate("AssumeRole", {**base, "DurationSeconds": "1800"})["DurationSeconds"] == 1800
    with pytest.raises(ValidationError, match="value less than or equal to 129600"):
        validate("GetSessionToken", {"DurationSeconds": "129601"})


def test_params_from_query_builds_lists() -> None:
    flat = {"Action": "AssumeRole", "RoleArn": "arn:aws:iam::123456789012:role/R", "RoleSessionName": "s1",
            "Tags.member.2.Key": "b", "Tags.member.2.Value": "2", "Tags.member.1.Key": "a", "Tags.member.1.Value": "1",
            "TransitiveTagKeys.member.1": "a", "PolicyArns.member.1.arn": "arn:aws:iam::123456789012:policy/P"}
    params = params_from_query("AssumeRole", flat)
    assert params["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert params["TransitiveTagKeys"] == ["a"]
    assert params["PolicyArns"] == [{"arn": "arn:aws:iam::123456789012:policy/P"}]
    assert "Action" not in params


# ---- ids ----------------------------------------------------------------------------------------------------------

def test_key_ids_encode_their_account() -> None:
    for account in ("123456789012", "987654321098", "000000000001"):
        key = ids.temporary_access_key_id(account)
        assert re.fullmatch(r"ASIA[A-Z2-7]{16}", key)
        assert ids.account_of_key_id(key) == account
    assert ids.account_of_key_id("AKIA") is None


# ---- GetCallerIdentity -----------------------------------------------------------------------------------------------

def test_get_caller_identity_for_a_user(world: World) -> None:
    caller = world.login(world.a, "alice")
    identity = world.sts(caller, "GetCallerIdentity")
    assert identity["Arn"] == f"arn:aws:iam::{world.a}:user/alice" and identity["Account"] == world.a
    assert identity["UserId"].startswith("AIDA")


def test_get_caller_identity_works_under_explicit_deny(world: World) -> None:
    # [STS-MODEL GetCallerIdentity]: works even if an IAM policy explicitly denies it
    caller = world.login(world.a, "denied", doc({"Effect": "Deny", "Action": "*", "Resource": "*"}))
    assert world.sts(caller, "GetCallerIdentity")["Arn"].endswith(":user/denied")


def test_get_caller_identity_for_root(world: World) -> None:
    key_id, _ = world.lab.create_root_access_key(world.sandbox, world.a)
    root = world.lab.authenticate(key_id, None)
    assert world.sts(root, "GetCallerIdentity") == {"UserId": world.a, "Account": world.a,
                                                    "Arn": f"arn:aws:iam::{world.a}:root"}


# ---- GetSessionToken -----------------------------------------------------------------------------------------------

def test_get_session_token_defaults_to_12_hours_for_users(world: World) -> None:
    caller = world.login(world.a, "alice")
    creds = world.sts(caller, "GetSessionToken")["Credentials"]
    assert creds["Expiration"] - world.lab.now(world.sandbox) > timedelta(seconds=43190)
    session = world.lab.authenticate(creds["AccessKeyId"], creds["SessionToken"])
    # same principal as the user
    assert world.sts(session, "GetCallerIdentity")["Arn"] == f"arn:aws:iam::{world.a}:user/alice"
    assert session.mfa is None


def test_get_session_token_for_root_is_capped_at_one_hour(world: World) -> None:
    key_id, _ = world.lab.create_root_access_key(world.sandbox, world.a)
    root = world.lab.authenticate(key_id, None)
    creds = world.sts(root, "GetSessionToken", DurationSeconds=7200)["Credentials"]
    assert creds["Expiration"] - world.lab.now(world.sandbox) <= timedelta(seconds=3600)


def test_get_session_token_refuses_session_credentials(world: World) -> None:
    # [GH:aws/aws-sdk-php#1876]
    caller = world.login(world.a, "alice")
    creds = world.sts(caller, "GetSessionToken")["Credentials"]
    session = world.lab.authenticate(creds["AccessKeyId"], creds["SessionToken"])
    with pytest.raises(AccessDenied) as err:
        world.sts(session, "GetSessionToken")
    assert err.value.message == "Cannot call GetSessionToken with session credentials"


def test_get_session_token_with_mfa_sets_mfa_context_used_by_assume_role(world: World) -> None:
    role_arn = world.role(world.a, "NeedsMfa", trust({"AWS": world.a},
                                                    Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    serial, seed = world.mfa_device(world.a, "alice")
    plain = world.lab.authenticate(**_creds(world.sts(caller, "GetSessionToken")))
    with pytest.raises(AccessDenied):
        world.assume(plain, role_arn)
    mfa_creds = world.sts(caller, "GetSessionToken", SerialNumber=serial, TokenCode=code_now(seed))
    with_mfa = world.lab.authenticate(**_creds(mfa_creds))
    assert with_mfa.mfa is not None
    world.lab.advance_clock(world.sandbox, 120)
    decision = world.lab.authorize_call(with_mfa, "s3:ListAllMyBuckets", "*", None)
    assert decision.request.context["aws:MultiFactorAuthAge"] == "120"
    # GetSessionToken credentials may call AssumeRole; the new session is not a hop of a role chain
    result = world.assume(with_mfa, role_arn)
    assert not world.lab.session(result["Credentials"]["AccessKeyId"]).chained


def test_assume_role_with_session_token_credentials_is_capped_at_one_hour(world: World) -> None:
    # AWS Knowledge Center "iam-role-chaining-limit": GetSessionToken credentials used to assume a role "are limited
    # to 1 hour"; wire text observed in [GH:mmmorris1975/aws-runas#11]. MaxSessionDuration (12 h here) does not help.
    role_arn = world.role(world.a, "LongRole", trust({"AWS": world.a}), max_session=43200)
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    assert world.assume(caller, role_arn, "direct", DurationSeconds=7200)     # long-term keys: role maximum applies
    session = world.lab.authenticate(**_creds(world.sts(caller, "GetSessionToken")))
    with pytest.raises(ValidationError) as err:
        world.assume(session, role_arn, "via-session-token", DurationSeconds=3601)
    assert err.value.message == ("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
                                 "by role chaining.")
    result = world.assume(session, role_arn, "via-session-token", DurationSeconds=3600)
    lifetime = result["Credentials"]["Expiration"] - world.lab.now(world.sandbox)
    assert timedelta(seconds=3598) < lifetime <= timedelta(seconds=3600)


def test_get_session_token_with_wrong_code(world: World) -> None:
    caller = world.login(world.a, "alice")
    serial, seed = world.mfa_device(world.a, "alice")
    wrong = f"{(int(code_now(seed)) + 7) % 1_000_000:06d}"
    with pytest.raises(AccessDenied, match="MultiFactorAuthentication failed with invalid MFA one time pass code."):
        world.sts(caller, "GetSessionToken", SerialNumber=serial, TokenCode=wrong)
    assert len(world.lab.store) == 0


def test_session_token_credentials_without_mfa_cannot_call_iam(world: World) -> None:
    # [STS-MODEL GetSessionToken]: "cannot call IAM API operations unless MFA information is included"
    caller = world.login(world.a, "alice", doc(allow("iam:*")))
    session = world.lab.authenticate(**_creds(world.sts(caller, "GetSessionToken")))
    with pytest.raises(InvalidClientTokenId):
        world.lab.authorize_call(session, "iam:ListUsers", "*", world.a)
    assert world.lab.authorize_call(caller, "iam:ListUsers", "*", world.a).allowed


def test_session_token_credentials_cannot_call_other_sts_operations(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:*")))
    session = world.lab.authenticate(**_creds(world.sts(caller, "GetSessionToken")))
    with pytest.raises(AccessDenied):
        world.sts(session, "GetAccessKeyInfo", AccessKeyId=caller.access_key_id)
    with pytest.raises(AccessDenied, match="Cannot call GetFederationToken with session credentials"):
        world.sts(session, "GetFederationToken", Name="bob")


def _creds(result: dict) -> dict:
    return {"access_key_id": result["Credentials"]["AccessKeyId"],
            "session_token": result["Credentials"]["SessionToken"]}


# ---- GetFederationToken -------------------------------------------------------------------------------------------

def test_get_federation_token_needs_permission(world: World) -> None:
    caller = world.login(world.a, "broker")
    with pytest.raises(AccessDenied) as err:
        world.sts(caller, "GetFederationToken", Name="bob")
    assert err.value.message == (f"User: arn:aws:iam::{world.a}:user/broker is not authorized to perform: "
                                 f"sts:GetFederationToken on resource: arn:aws:sts::{world.a}:federated-user/bob")


def test_get_federation_token_shape_and_permissions(world: World) -> None:
    caller = world.login(world.a, "broker", doc(allow(["sts:GetFederationToken", "s3:GetObject", "s3:PutObject"])))
    result = world.sts(caller, "GetFederationToken", Name="bob", Policy=doc(allow("s3:GetObject")))
    # [STS-EX] FederatedUser shape
    assert result["FederatedUser"] == {"FederatedUserId": f"{world.a}:bob",
                                       "Arn": f"arn:aws:sts::{world.a}:federated-user/bob"}
    assert result["Credentials"]["Expiration"] - world.lab.now(world.sandbox) > timedelta(seconds=43190)
    assert 0 < result["PackedPolicySize"] <= 100
    bob = world.lab.authenticate(**_creds(result))
    assert world.sts(bob, "GetCallerIdentity")["Arn"] == f"arn:aws:sts::{world.a}:federated-user/bob"
    assert world.lab.authorize_call(bob, "s3:GetObject", "arn:aws:s3:::b/k", None).allowed
    assert not world.lab.authorize_call(bob, "s3:PutObject", "arn:aws:s3:::b/k", None).allowed
    # federated users may call no STS operation but GetCallerIdentity
    with pytest.raises(AccessDenied):
        world.sts(bob, "DecodeAuthorizationMessage", EncodedMessage="x")


def test_get_federation_token_without_policy_grants_nothing(world: World) -> None:
    # [STS-MODEL GetFederationToken]: no session policy -> no permissions
    caller = world.login(world.a, "broker", doc(allow(["sts:GetFederationToken", "s3:*"])))
    bob = world.lab.authenticate(**_creds(world.sts(caller, "GetFederationToken", Name="bob")))
    assert not world.lab.authorize_call(bob, "s3:GetObject", "arn:aws:s3:::b/k", None).allowed


def test_get_federation_token_name_rules(world: World) -> None:
    caller = world.login(world.a, "broker", doc(allow("sts:GetFederationToken")))
    with pytest.raises(ValidationError, match="at 'name' failed to satisfy constraint: Member must have length "
                                              "less than or equal to 32"):
        world.sts(caller, "GetFederationToken", Name="x" * 33)


# ---- GetAccessKeyInfo ------------------------------------------------------------------------------------------------

def test_get_access_key_info_for_long_term_and_temporary_keys(world: World) -> None:
    alice_key, _ = world.user(world.b, "alice-b")
    caller = world.login(world.a, "alice", doc(allow(["sts:GetAccessKeyInfo", "sts:AssumeRole"])))
    assert world.sts(caller, "GetAccessKeyInfo", AccessKeyId=alice_key) == {"Account": world.b}
    role_arn = world.role(world.b, "R", trust({"AWS": world.a}))
    temp = world.assume(caller, role_arn)["Credentials"]["AccessKeyId"]
    assert world.sts(caller, "GetAccessKeyInfo", AccessKeyId=temp) == {"Account": world.b}
    # an unknown but well-formed id answers with the account it encodes, as AWS does
    assert world.sts(caller, "GetAccessKeyInfo", AccessKeyId=ids.long_term_access_key_id("123456789012")) == \
        {"Account": "123456789012"}


def test_get_access_key_info_validates_the_id(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:GetAccessKeyInfo")))
    with pytest.raises(ValidationError, match="'accessKeyId'"):
        world.sts(caller, "GetAccessKeyInfo", AccessKeyId="short")


# ---- DecodeAuthorizationMessage --------------------------------------------------------------------------------------

def test_decode_authorization_message_round_trip(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:DecodeAuthorizationMessage")))
    decision = world.lab.authorize_call(caller, "ec2:RunInstances", f"arn:aws:ec2:us-east-1:{world.a}:instance/*",
                                        world.a)
    assert not decision.allowed
    token = world.lab.encode_authorization_failure(caller, decision)
    decoded = json.loads(world.sts(caller, "DecodeAuthorizationMessage", EncodedMessage=token)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["action"] == "ec2:RunInstances"
    assert decoded["context"]["principal"]["arn"] == f"arn:aws:iam::{world.a}:user/alice"
    assert "matchedStatements" in decoded


def test_decode_authorization_message_reports_explicit_deny(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:DecodeAuthorizationMessage"),
                                               {"Sid": "NoEc2", "Effect": "Deny", "Action": "ec2:*",
                                                "Resource": "*"}))
    decision = world.lab.authorize_call(caller, "ec2:RunInstances", "*", world.a)
    token = world.lab.encode_authorization_failure(caller, decision)
    decoded = json.loads(world.sts(caller, "DecodeAuthorizationMessage", EncodedMessage=token)["DecodedMessage"])
    assert decoded["explicitDeny"] is True
    statement = decoded["matchedStatements"]["items"][0]
    assert statement["statementId"] == "NoEc2" and statement["effect"] == "DENY"
    assert decoded["context"]["principal"]["name"] == "alice"


def test_decode_needs_permission_and_refuses_bad_or_foreign_tokens(world: World) -> None:
    allowed = world.login(world.a, "alice", doc(allow("sts:DecodeAuthorizationMessage")))
    with pytest.raises(AccessDenied, match="sts:DecodeAuthorizationMessage"):
        world.sts(world.login(world.a, "nobody"), "DecodeAuthorizationMessage", EncodedMessage="abc")
    with pytest.raises(AwsError) as err:
        world.sts(allowed, "DecodeAuthorizationMessage", EncodedMessage="not-a-real-token")
    assert err.value.code == "InvalidAuthorizationMessageException" and err.value.status == 400
    outsider = world.login(world.c, "outsider", doc(allow("*")))
    decision = world.lab.authorize_call(outsider, "ec2:RunInstances", "*", world.c)
    foreign = world.lab.encode_authorization_failure(outsider, decision)
    with pytest.raises(AwsError, match="invalid"):
        world.sts(allowed, "DecodeAuthorizationMessage", EncodedMessage=foreign)


def test_assume_root_is_refused_as_without_centralized_root_access(world: World) -> None:
    # STS API Reference, AssumeRoot: only an Organizations management account or delegated administrator, with
    # centralized root access enabled, may call it. The lab's accounts are in no organization.
    task = {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}
    caller = world.login(world.a, "alice")
    with pytest.raises(AwsError) as err:
        world.sts(caller, "AssumeRoot", TargetPrincipal=world.b, TaskPolicyArn=task)
    assert err.value.code == "AccessDenied" and err.value.message == (
        f"User: arn:aws:iam::{world.a}:user/alice is not authorized to perform: sts:AssumeRoot on resource: "
        f"arn:aws:iam::{world.b}:root")
    admin = world.login(world.a, "rootops", doc(allow("sts:AssumeRoot")))
    with pytest.raises(AwsError) as err:
        world.sts(admin, "AssumeRoot", TargetPrincipal=f"arn:aws:iam::{world.b}:root", TaskPolicyArn=task)
    assert err.value.code == "AccessDenied" and "centralized root access" in err.value.message


def test_operations_outside_the_lab_get_a_clear_error(world: World) -> None:
    caller = world.login(world.a, "alice")
    with pytest.raises(AwsError) as err:
        world.sts(caller, "DoSomething")
    assert err.value.code == "InvalidAction"
