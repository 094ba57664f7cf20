"""The CloudTrail records the gateway writes for real calls, compared field by field with AWS's documented examples.

Sources (the examples' field names and types are restated below; values differ by nature: ids, times, accounts):
- [IAM-CT] IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail" (cloudtrail-integration):
  "Example cross-account AWS STS API events" (the caller's and the role account's entries, sharedEventID),
  "Example AWS STS role chaining API event", "Example SAML AWS STS API event", "Example web identity AWS STS API
  event", and the table "Logging sign-in events for temporary credentials".
- [CT-USERID] CloudTrail User Guide, "CloudTrail userIdentity element": IAMUser and AssumedRole examples, the
  AWSService / AWSAccount types, sessionContext attributes (creationDate, mfaAuthenticated as "true"/"false").
- [CT-RECORD] CloudTrail User Guide, "CloudTrail record contents": errorCode / errorMessage on refusals,
  responseElements absent (null) for calls that change nothing, eventType AwsApiCall, readOnly, managementEvent.
"""
from __future__ import annotations

import json
import re
import secrets
import time

import pyotp
import pytest
from botocore.exceptions import ClientError
from moto.iam.models import iam_backends

import gateway.mfa_overrides  # noqa: F401  (CreateVirtualMFADevice / EnableMFADevice)
from engine.federation.idp import (GITHUB_ACTIONS_AUDIENCE, OidcIssuer, SamlIdp, SamlPerson, encode_saml_response,
                                   github_actions_claims)
from engine.federation.keys import SigningKey
from engine.federation.registry import JwksRegistry
from engine.lab import Lab
from engine.sts.federated import install
from gateway.app import GatewayApp
from gateway.client import default_moto, unsigned_client
from gateway.imds import ImdsApp
from gateway_kit import Sandbox, allow, trust

# The top-level fields every management API event of [IAM-CT]'s STS examples carries, in eventVersion 1.05+
# (sharedEventID only for cross-account; errorCode/errorMessage only on refusals [CT-RECORD]).
COMMON = {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
          "userAgent", "requestParameters", "responseElements", "requestID", "eventID", "eventType",
          "recipientAccountId"}
# Fields of eventVersion 1.06+ the older examples predate; the lab writes 1.08 [CT-RECORD].
NEWER = {"readOnly", "managementEvent", "eventCategory"}
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CONSOLE_DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d (AM|PM)$")   # "Jul 18, 2014 4:07:39 PM"
STS_ACTIONS = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def records(lab: Lab, sandbox_id: str, name: str) -> list[dict]:
    found = [e.record for e in lab.trail.memory.lookup(sandbox_id, None, _everything())[0] if e.event_name == name]
    return list(reversed(found))   # oldest first


def _everything():
    from engine.cloudtrail import LookupQuery

    return LookupQuery(max_results=10_000, include_data=True)


def check_common(record: dict, *, error: bool = False, shared: bool = False) -> None:
    expected = COMMON | NEWER | ({"errorCode", "errorMessage"} if error else set()) | (
        {"sharedEventID"} if shared else set())
    assert expected <= set(record), expected - set(record)
    assert record["eventVersion"] == "1.08"
    assert EVENT_TIME.match(record["eventTime"])
    assert record["eventType"] == "AwsApiCall"
    assert UUID.match(record["eventID"])
    assert isinstance(record["readOnly"], bool) and isinstance(record["managementEvent"], bool)
    assert "secretAccessKey" not in json.dumps(record)


def check_credentials(response: dict, issued: dict) -> None:
    # [IAM-CT]: credentials {accessKeyId, sessionToken, expiration "Mon D, YYYY h:mm:ss AM"}, never the secret
    assert set(response["credentials"]) == {"accessKeyId", "sessionToken", "expiration"}
    assert response["credentials"]["accessKeyId"] == issued["AccessKeyId"]
    assert CONSOLE_DATE.match(response["credentials"]["expiration"])


# ------------------------------------------------------------------------------------------------ AssumeRole
def test_same_account_assume_role_matches_the_documented_chaining_event(local: Sandbox) -> None:
    alice = local.user("alice", allow(STS_ACTIONS))
    role1 = local.role("JohnRole1", trust({"AWS": f"arn:aws:iam::{local.dev}:user/alice"}, STS_ACTIONS),
                       allow(STS_ACTIONS), account=local.dev)
    role2 = local.role("JohnRole2", trust({"AWS": f"arn:aws:iam::{local.dev}:root"}, STS_ACTIONS), account=local.dev)
    first = local.assume(alice, role1, "JohnRole1", SourceIdentity="alice")
    raw = local.client("sts", first).assume_role(RoleArn=role2, RoleSessionName="Role2WithTags", DurationSeconds=900,
                                                 Tags=[{"Key": "CostCenter", "Value": "12345"}],
                                                 TransitiveTagKeys=["CostCenter"])
    hop1, hop2 = records(local.lab, local.id, "AssumeRole")
    for record in (hop1, hop2):
        check_common(record)
        assert "sharedEventID" not in record      # same account: one event only [CT-RECORD sharedEventID]
        assert record["eventSource"] == "sts.amazonaws.com" and record["readOnly"] is True
        assert record["recipientAccountId"] == local.dev
    # hop 1: an IAM user with a long-term key, no sessionContext ([IAM-CT] cross-account example, caller side)
    assert set(hop1["userIdentity"]) == {"type", "principalId", "arn", "accountId", "accessKeyId", "userName"}
    assert hop1["userIdentity"]["type"] == "IAMUser" and hop1["userIdentity"]["userName"] == "alice"
    assert hop1["userIdentity"]["principalId"].startswith("AIDA")
    # hop 2 is [IAM-CT]'s role chaining example: AssumedRole caller with sessionContext and sourceIdentity
    identity = hop2["userIdentity"]
    assert set(identity) == {"type", "principalId", "arn", "accountId", "accessKeyId", "sessionContext"}
    assert identity["type"] == "AssumedRole" and identity["accessKeyId"] == first["access_key_id"]
    assert identity["principalId"].startswith("AROA") and identity["principalId"].endswith(":JohnRole1")
    assert identity["arn"] == f"arn:aws:sts::{local.dev}:assumed-role/JohnRole1/JohnRole1"
    context = identity["sessionContext"]
    assert set(context) >= {"attributes", "sessionIssuer", "sourceIdentity"}
    assert context["sourceIdentity"] == "alice"
    assert context["attributes"]["mfaAuthenticated"] == "false" and EVENT_TIME.match(
        context["attributes"]["creationDate"])
    assert context["sessionIssuer"] == {"type": "Role", "principalId": identity["principalId"].split(":")[0],
                                        "arn": role1, "accountId": local.dev, "userName": "JohnRole1"}
    params = hop2["requestParameters"]
    assert params["roleArn"] == role2 and params["roleSessionName"] == "Role2WithTags"
    assert params["durationSeconds"] == 900 and params["transitiveTagKeys"] == ["CostCenter"]
    assert params["tags"] == [{"key": "CostCenter", "value": "12345"}]   # lower-case key/value as in [IAM-CT]
    response = hop2["responseElements"]
    check_credentials(response, raw["Credentials"])
    assert response["assumedRoleUser"] == {"assumedRoleId": raw["AssumedRoleUser"]["AssumedRoleId"],
                                           "arn": raw["AssumedRoleUser"]["Arn"]}
    assert response["sourceIdentity"] == "alice"   # persists through the chain [IAM-CT]
    assert hop2["resources"] == [{"ARN": role2, "accountId": local.dev, "type": "AWS::IAM::Role"}]


def test_cross_account_assume_role_is_recorded_in_both_accounts_with_a_shared_event_id(local: Sandbox) -> None:
    john = local.user("JohnDoe", allow(STS_ACTIONS))
    role = local.role("EC2-dev", trust({"AWS": f"arn:aws:iam::{local.dev}:user/JohnDoe"}, STS_ACTIONS),
                      account=local.prod)
    local.client("sts", john).assume_role(RoleArn=role, RoleSessionName="JohnDoe-EC2-dev", SourceIdentity="JohnDoe")
    caller_side, role_side = records(local.lab, local.id, "AssumeRole")
    check_common(caller_side, shared=True)
    check_common(role_side, shared=True)
    assert caller_side["sharedEventID"] == role_side["sharedEventID"]
    assert caller_side["eventID"] != role_side["eventID"] and caller_side["requestID"] == role_side["requestID"]
    # The caller's account sees the IAM user. ([IAM-CT]'s first example prints recipientAccountId 111122223333, the
    # role's account, in the caller's entry; per [CT-RECORD] the recipient is the account that received the event.)
    assert caller_side["userIdentity"]["type"] == "IAMUser"
    assert caller_side["recipientAccountId"] == local.dev
    # The role's account sees only the calling account and principal id [IAM-CT second example; CT-USERID AWSAccount]
    assert role_side["userIdentity"] == {"type": "AWSAccount",
                                         "principalId": caller_side["userIdentity"]["principalId"],
                                         "accountId": local.dev}
    assert role_side["recipientAccountId"] == local.prod
    assert role_side["requestParameters"] == caller_side["requestParameters"] == {
        "roleArn": role, "roleSessionName": "JohnDoe-EC2-dev", "sourceIdentity": "JohnDoe"}
    assert role_side["responseElements"]["sourceIdentity"] == "JohnDoe"
    assert role_side["responseElements"]["assumedRoleUser"]["arn"] == (
        f"arn:aws:sts::{local.prod}:assumed-role/EC2-dev/JohnDoe-EC2-dev")


def test_refused_assume_role_has_error_code_and_message_and_no_response(local: Sandbox) -> None:
    mallory = local.user("mallory", allow("sts:AssumeRole"))
    role = local.role("Locked", trust({"AWS": f"arn:aws:iam::{local.prod}:root"}), account=local.prod)
    with pytest.raises(ClientError) as info:
        local.client("sts", mallory).assume_role(RoleArn=role, RoleSessionName="try")
    (record,) = records(local.lab, local.id, "AssumeRole")
    check_common(record, error=True)
    assert record["errorCode"] == "AccessDenied" == info.value.response["Error"]["Code"]
    assert record["errorMessage"] == info.value.response["Error"]["Message"]
    assert record["responseElements"] is None
    assert "sharedEventID" not in record    # a refused call is logged in the caller's account only (lab choice)


def test_refused_s3_call_is_a_data_event_with_the_s3_denial(local: Sandbox) -> None:
    admin = local.user("admin", allow("*"), account=local.prod)
    local.client("s3", admin).create_bucket(Bucket="ct-records-bucket")
    reader = local.user("reader", allow("s3:GetObject"), account=local.prod)
    with pytest.raises(ClientError):
        local.client("s3", reader).put_object(Bucket="ct-records-bucket", Key="a.txt", Body=b"x")
    (record,) = records(local.lab, local.id, "PutObject")
    check_common(record, error=True)
    assert record["errorCode"] == "AccessDenied" and "s3:PutObject" in record["errorMessage"]
    assert record["eventCategory"] == "Data" and record["managementEvent"] is False and record["readOnly"] is False
    assert record["requestParameters"]["bucketName"] == "ct-records-bucket"
    assert record["requestParameters"]["key"] == "a.txt"
    assert [(r["type"], r["ARN"]) for r in record["resources"]] == [
        ("AWS::S3::Object", "arn:aws:s3:::ct-records-bucket/a.txt"),
        ("AWS::S3::Bucket", "arn:aws:s3:::ct-records-bucket")]


# ------------------------------------------------------------------------------------------------ GetSessionToken
def test_get_session_token_with_mfa_and_the_session_it_issued(local: Sandbox) -> None:
    alice = local.user("alice", allow(["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"]))
    iam = local.client("iam", alice)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    code = totp.at(now + 30)
    raw = local.client("sts", alice).get_session_token(SerialNumber=device["SerialNumber"], TokenCode=code,
                                                       DurationSeconds=900)["Credentials"]
    (record,) = records(local.lab, local.id, "GetSessionToken")
    check_common(record)
    assert record["userIdentity"]["type"] == "IAMUser" and "sessionContext" not in record["userIdentity"]
    # serialNumber is logged as in [IAM-CT]'s AssumeRole examples; the one-time code never is (lab choice)
    assert record["requestParameters"] == {"serialNumber": device["SerialNumber"], "durationSeconds": 900}
    assert code not in json.dumps(record)
    assert set(record["responseElements"]) == {"credentials"}
    check_credentials(record["responseElements"], raw)
    # The session's own calls: the IAM user's identity with a session, mfaAuthenticated "true" [IAM-CT table;
    # CT-USERID sessionContext]
    session = {"access_key_id": raw["AccessKeyId"], "secret_access_key": raw["SecretAccessKey"],
               "session_token": raw["SessionToken"]}
    local.client("sts", session).get_caller_identity()
    (whoami,) = records(local.lab, local.id, "GetCallerIdentity")
    identity = whoami["userIdentity"]
    assert identity["type"] == "IAMUser" and identity["accessKeyId"] == raw["AccessKeyId"]
    assert identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "true"
    assert whoami["responseElements"] is None      # a read changes nothing [CT-RECORD]


# ------------------------------------------------------------------------------------------------ instance role
def test_instance_role_delivery_is_an_assume_role_by_the_ec2_service(local: Sandbox) -> None:
    local.role("WebTierCT", trust({"Service": "ec2.amazonaws.com"}), allow("s3:GetObject"), account=local.prod)
    iam = local.admin("iam", local.prod)
    iam.create_instance_profile(InstanceProfileName="WebTierCT")
    iam.add_role_to_instance_profile(InstanceProfileName="WebTierCT", RoleName="WebTierCT")
    instance = local.admin("ec2", local.prod).run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
        IamInstanceProfile={"Name": "WebTierCT"},
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"})["Instances"][0]["InstanceId"]
    app = ImdsApp(local.lab)
    token = app.handle("PUT", f"/{instance}/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"}).body
    creds = app.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/WebTierCT",
                       {"X-aws-ec2-metadata-token": token}).json()
    (record,) = records(local.lab, local.id, "AssumeRole")
    check_common(record)
    # [CT-USERID]: "AWSService – The request was made by an AWS account that belongs to an AWS service"
    assert record["userIdentity"] == {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    assert record["sourceIPAddress"] == "ec2.amazonaws.com" == record["userAgent"]   # "only the DNS name"
    assert record["requestParameters"] == {"roleArn": f"arn:aws:iam::{local.prod}:role/WebTierCT",
                                           "roleSessionName": instance}
    assert record["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    assert record["recipientAccountId"] == local.prod
    assert record["resources"][0]["type"] == "AWS::IAM::Role"


# ------------------------------------------------------------------------------------------------ federation
KEY = SigningKey.generate("idp.ct.example")
IDP = SamlIdp("https://idp.ct.example/saml/metadata", "https://idp.ct.example/saml/sso", KEY)
GH = OidcIssuer("https://token.actions.githubusercontent.com", KEY)


@pytest.fixture
def federation():
    lab = Lab()
    install(lab)
    lab.jwks_registry = JwksRegistry()
    account = "7" + "".join(secrets.choice("0123456789") for _ in range(11))
    sandbox = "sb-" + secrets.token_hex(4)
    lab.jwks_registry.register(sandbox, GH.issuer_url, GH.jwks())  # the issuer's keys are this sandbox's alone
    lab.register_sandbox(sandbox, {"production": account})
    iam = iam_backends[account]["global"]
    provider = iam.create_saml_provider("Shibboleth", IDP.metadata_xml()).arn
    oidc = iam.create_open_id_connect_provider(GH.issuer_url, [], [GITHUB_ACTIONS_AUDIENCE], [])
    saml_role = iam.create_role("SAMLTestRoleShibboleth", json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}]}), "/", None, "", [], None).arn
    web_role = iam.create_role("FederatedWebIdentityRole", json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": oidc.arn}, "Action": "sts:AssumeRoleWithWebIdentity"}]}),
        "/", None, "", [], None).arn
    yield lab, GatewayApp(lab, default_moto()), sandbox, account, provider, saml_role, web_role
    iam_backends.pop(account, None)


def test_assume_role_with_saml_matches_the_documented_saml_event(federation) -> None:
    lab, app, sandbox, account, provider, role, _ = federation
    person = SamlPerson("SamlExample", role_pairs=[(role, provider)], role_session_name="MyAssignedRoleSessionName",
                        principal_tags={"CostCenter": "987654"})
    xml = IDP.build_response(person, now=lab.now(sandbox))
    raw = unsigned_client("sts", gateway=app).assume_role_with_saml(RoleArn=role, PrincipalArn=provider,
                                                                     SAMLAssertion=encode_saml_response(xml))
    (record,) = records(lab, sandbox, "AssumeRoleWithSAML")
    check_common(record)
    identity = record["userIdentity"]
    # [CT-USERID] "Values for AWS STS APIs with SAML": principalId = namequalifier:sub, userName = sub,
    # identityProvider = namequalifier; no arn / accountId / accessKeyId (the call is unsigned)
    assert set(identity) == {"type", "principalId", "userName", "identityProvider"}
    assert identity == {"type": "SAMLUser", "principalId": f"{raw['NameQualifier']}:SamlExample",
                        "userName": "SamlExample", "identityProvider": raw["NameQualifier"]}
    params = record["requestParameters"]
    assert set(params) >= {"sAMLAssertionID", "roleSessionName", "principalTags", "durationSeconds", "roleArn",
                           "principalArn"}
    assert "sAMLAssertion" not in params and params["sAMLAssertionID"] in xml
    assert params["roleSessionName"] == "MyAssignedRoleSessionName" and params["principalTags"] == {
        "CostCenter": "987654"}
    response = record["responseElements"]
    assert set(response) >= {"subjectType", "issuer", "credentials", "nameQualifier", "assumedRoleUser", "subject",
                             "audience"}
    assert response["subject"] == "SamlExample" and response["audience"] == "https://signin.aws.amazon.com/saml"
    check_credentials(response, raw["Credentials"])
    assert {r["type"] for r in record["resources"]} == {"AWS::IAM::Role", "AWS::IAM::SAMLProvider"}
    assert record["recipientAccountId"] == account


def test_assume_role_with_web_identity_matches_the_documented_event(federation) -> None:
    lab, app, sandbox, account, _, _, role = federation
    sub, extra = github_actions_claims("securecart/storefront", ref="refs/heads/main")
    token = GH.issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=lab.now(sandbox), extra_claims=extra)
    raw = unsigned_client("sts", gateway=app).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="MyAssignedRoleSessionName", WebIdentityToken=token, DurationSeconds=3600)
    (record,) = records(lab, sandbox, "AssumeRoleWithWebIdentity")
    check_common(record)
    identity = record["userIdentity"]
    # [CT-USERID]: principalId = issuer:application id:user id; userName = the user id
    assert identity == {"type": "WebIdentityUser", "principalId": f"{raw['Provider']}:sts.amazonaws.com:{sub}",
                        "userName": sub, "identityProvider": raw["Provider"]}
    params = record["requestParameters"]
    assert params["roleArn"] == role and params["roleSessionName"] == "MyAssignedRoleSessionName"
    assert params["durationSeconds"] == 3600 and "webIdentityToken" not in params and token not in json.dumps(record)
    response = record["responseElements"]
    assert set(response) >= {"provider", "subjectFromWebIdentityToken", "audience", "credentials",
                             "assumedRoleUser"}
    assert response["subjectFromWebIdentityToken"] == sub and response["audience"] == "sts.amazonaws.com"
    check_credentials(response, raw["Credentials"])
    # the session's own calls name the provider in webIdFederationData [CT-USERID]
    creds = raw["Credentials"]
    from gateway.client import learner_client

    learner_client("sts", access_key_id=creds["AccessKeyId"], secret_access_key=creds["SecretAccessKey"],
                   session_token=creds["SessionToken"], gateway=app).get_caller_identity()
    (whoami,) = records(lab, sandbox, "GetCallerIdentity")
    assert whoami["userIdentity"]["sessionContext"]["webIdFederationData"]["federatedProvider"]


# ------------------------------------------------------------------------------------------------ IAM
def test_create_access_key_names_the_key_it_made_never_its_secret(local: Sandbox) -> None:
    """A defender follows an attacker's new key from the CreateAccessKey that made it to its use: AWS records the key
    in responseElements.accessKey (accessKeyId, status, userName, createDate), without the secret."""
    admin = local.user("keymaker", allow("iam:*"), account=local.prod)
    local.admin("iam", local.prod).create_user(UserName="victim")
    made = local.client("iam", admin).create_access_key(UserName="victim")["AccessKey"]
    (record,) = records(local.lab, local.id, "CreateAccessKey")
    check_common(record)
    key = record["responseElements"]["accessKey"]
    assert key["accessKeyId"] == made["AccessKeyId"] and key["userName"] == "victim" and key["status"] == "Active"
    assert CONSOLE_DATE.match(key["createDate"])
    assert made["SecretAccessKey"] not in json.dumps(record)
    assert record["requestParameters"] == {"userName": "victim"}
    assert [(r["type"], r["ARN"]) for r in record["resources"]] == [("AWS::IAM::AccessKey", made["AccessKeyId"]),
                                                                    ("AWS::IAM::User", "victim")]
    # other IAM calls carry none, as before
    local.client("iam", admin).list_users()
    (listing,) = records(local.lab, local.id, "ListUsers")
    assert listing["responseElements"] is None
