"""Scenario 4 through the gateway: an EC2 instance (moto RunInstances with IamInstanceProfile) reads its role's
credentials from ITS metadata service (gateway/imds.py) and uses them against S3 through the gateway.

AWS facts checked: IMDSv2 token flow and IMDSv1 refusal when HttpTokens=required (EC2 User Guide, instance metadata);
credentials issued per instance for the role in its instance profile, to the service principal ec2.amazonaws.com;
rotation "at least five minutes before the expiration of the old credentials" with old and new overlapping; a
detached profile serves no new credentials (404)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from gateway_kit import Sandbox, allow, trust
from gateway.imds import ImdsApp

EC2_TRUST = {"Service": "ec2.amazonaws.com"}


def launch(sbx: Sandbox, profile: str | None, *, tokens: str = "required") -> str:
    ec2 = sbx.admin("ec2", sbx.prod)
    kwargs = {"IamInstanceProfile": {"Name": profile}} if profile else {}
    reservation = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                    MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"}, **kwargs)
    return reservation["Instances"][0]["InstanceId"]


def web_tier(sbx: Sandbox, role_name: str = "WebTier", trust_policy: str | None = None) -> str:
    sbx.role(role_name, trust_policy or trust(EC2_TRUST),
             allow("s3:GetObject", "arn:aws:s3:::securecart-product-images/*"), account=sbx.prod)
    iam = sbx.admin("iam", sbx.prod)
    iam.create_instance_profile(InstanceProfileName=role_name)
    iam.add_role_to_instance_profile(InstanceProfileName=role_name, RoleName=role_name)
    return role_name


def imds(sbx: Sandbox) -> ImdsApp:
    return ImdsApp(sbx.lab)


def token(app: ImdsApp, instance: str, ttl: str = "300") -> str:
    answer = app.handle("PUT", f"/{instance}/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
    assert answer.status == 200, answer.body
    return answer.body


def credentials(app: ImdsApp, instance: str, role: str) -> dict:
    answer = app.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/{role}",
                        {"X-aws-ec2-metadata-token": token(app, instance)})
    assert answer.status == 200, answer.body
    return answer.json()


def as_creds(doc: dict) -> dict:
    return {"access_key_id": doc["AccessKeyId"], "secret_access_key": doc["SecretAccessKey"],
            "session_token": doc["Token"]}


def test_imdsv2_token_flow_and_imdsv1_refused_when_required(local: Sandbox) -> None:
    role = web_tier(local)
    instance = launch(local, role, tokens="required")
    app = imds(local)
    assert app.handle("GET", f"/{instance}/latest/meta-data/instance-id", {}).status == 401  # IMDSv1
    assert app.handle("GET", f"/{instance}/latest/api/token", {}).status == 405
    for bad_ttl in ("0", "21601", "abc", ""):
        assert app.handle("PUT", f"/{instance}/latest/api/token",
                          {"X-aws-ec2-metadata-token-ttl-seconds": bad_ttl}).status == 400
    assert app.handle("PUT", f"/{instance}/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60",
                                                               "X-Forwarded-For": "203.0.113.9"}).status == 403
    t = token(app, instance, "60")
    assert app.handle("GET", f"/{instance}/latest/meta-data/instance-id",
                      {"X-aws-ec2-metadata-token": t}).body == instance
    assert app.handle("GET", f"/{instance}/latest/meta-data/instance-id",
                      {"X-aws-ec2-metadata-token": "forged"}).status == 401
    listing = app.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/",
                         {"X-aws-ec2-metadata-token": t})
    assert (listing.status, listing.body) == (200, role)
    info = app.handle("GET", f"/{instance}/latest/meta-data/iam/info", {"X-aws-ec2-metadata-token": t}).json()
    assert info["Code"] == "Success" and info["InstanceProfileArn"].endswith(f":instance-profile/{role}")
    # The token lives on the sandbox clock: after its TTL it is refused.
    local.lab.advance_clock(local.id, 61)
    assert app.handle("GET", f"/{instance}/latest/meta-data/instance-id",
                      {"X-aws-ec2-metadata-token": t}).status == 401


def test_imdsv1_allowed_while_tokens_optional_and_after_modify_required_it_is_not(local: Sandbox) -> None:
    role = web_tier(local)
    instance = launch(local, role, tokens="optional")
    app = imds(local)
    assert app.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/", {}).body == role
    local.admin("ec2", local.prod).modify_instance_metadata_options(InstanceId=instance, HttpTokens="required")
    assert app.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/", {}).status == 401


def test_a_token_of_one_instance_does_not_work_on_another(local: Sandbox) -> None:
    role = web_tier(local)
    a, b = launch(local, role), launch(local, role)
    app = imds(local)
    assert app.handle("GET", f"/{b}/latest/meta-data/instance-id",
                      {"X-aws-ec2-metadata-token": token(app, a)}).status == 401


def test_each_instance_gets_its_own_session_for_the_role_and_uses_it_through_the_gateway(sbx: Sandbox) -> None:
    s3 = sbx.admin("s3", sbx.prod)
    for bucket, key in [("securecart-product-images", "images/hero.jpg"), ("securecart-invoices", "INV-1.pdf")]:
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=b"data")
    role = web_tier(sbx)
    a, b = launch(sbx, role), launch(sbx, role)
    app = imds(sbx)
    doc_a, doc_b = credentials(app, a, role), credentials(app, b, role)
    assert set(doc_a) == {"Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert doc_a["Code"] == "Success" and doc_a["Type"] == "AWS-HMAC"
    assert doc_a["AccessKeyId"] != doc_b["AccessKeyId"]
    identity = sbx.client("sts", as_creds(doc_a)).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{sbx.prod}:assumed-role/{role}/{a}"   # session name = instance id
    app_s3 = sbx.client("s3", as_creds(doc_a))
    assert app_s3.get_object(Bucket="securecart-product-images", Key="images/hero.jpg")["Body"].read() == b"data"
    with pytest.raises(ClientError) as info:
        app_s3.get_object(Bucket="securecart-invoices", Key="INV-1.pdf")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    decision = sbx.lab.decision(info.value.response["ResponseMetadata"]["RequestId"])
    assert decision is not None and not decision.allowed   # the engine's explanation is there for the page


def test_a_role_that_does_not_trust_ec2_is_refused_in_the_credentials_document(local: Sandbox) -> None:
    role = web_tier(local, "NotForEc2", trust({"AWS": f"arn:aws:iam::{local.prod}:root"}))
    instance = launch(local, role)
    doc = credentials(imds(local), instance, role)
    assert doc["Code"] == "AssumeRoleUnauthorizedAccess" and "AccessKeyId" not in doc


def test_a_user_cannot_assume_the_ec2_service_role(local: Sandbox) -> None:
    role = web_tier(local)
    admin = local.user("admin", allow("sts:AssumeRole"), account=local.prod)
    with pytest.raises(ClientError) as info:
        local.assume(admin, f"arn:aws:iam::{local.prod}:role/{role}")
    assert info.value.response["Error"]["Code"] == "AccessDenied"


def test_rotation_overlap_and_expiry_on_the_sandbox_clock(local: Sandbox) -> None:
    role = web_tier(local)
    instance = launch(local, role)
    app = imds(local)
    first = credentials(app, instance, role)
    local.lab.advance_clock(local.id, 30 * 60)
    assert credentials(app, instance, role)["AccessKeyId"] == first["AccessKeyId"]   # not due yet
    local.lab.advance_clock(local.id, 31 * 60)                                       # 61 min: refreshed
    second = credentials(app, instance, role)
    assert second["AccessKeyId"] != first["AccessKeyId"]
    assert second["Expiration"] > first["Expiration"]
    # Both generations work now.
    for doc in (first, second):
        assert local.client("sts", as_creds(doc)).get_caller_identity()["Arn"].endswith(f"/{role}/{instance}")
    timeline = app.timeline(instance)
    assert [(row["number"], row["state"]) for row in timeline] == [(1, "still-valid"), (2, "served")]
    # Whatever the served generation, it is never within 5 minutes of expiry.
    for _ in range(8):
        local.lab.advance_clock(local.id, 50 * 60)
        served = credentials(app, instance, role)
        now = local.lab.now(local.id)
        latest = app.registry.existing(local.id, instance).credentials.latest
        assert served["AccessKeyId"] == latest.credentials.access_key_id
        assert latest.expires_at - now > timedelta(minutes=5)
    # The first generation is long expired: the gateway refuses it.
    with pytest.raises(ClientError) as info:
        local.client("sts", as_creds(first)).get_caller_identity()
    assert info.value.response["Error"]["Code"] == "ExpiredToken"


def test_detaching_the_profile_stops_new_credentials(local: Sandbox) -> None:
    role = web_tier(local)
    instance = launch(local, role)
    app = imds(local)
    served = credentials(app, instance, role)
    ec2 = local.admin("ec2", local.prod)
    association = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance]}])["IamInstanceProfileAssociations"][0]
    ec2.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])
    t = token(app, instance)
    assert app.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/",
                      {"X-aws-ec2-metadata-token": t}).status == 404
    assert app.handle("GET", f"/{instance}/latest/meta-data/iam/security-credentials/{role}",
                      {"X-aws-ec2-metadata-token": t}).status == 404
    # Already-issued credentials are not revoked: they work until they expire.
    assert local.client("sts", as_creds(served)).get_caller_identity()["Arn"].endswith(f"/{instance}")
    assert [e.kind for e in app.events(instance)][-1] == "detached"


def test_unknown_or_foreign_instances_and_bad_paths_are_404(local: Sandbox) -> None:
    app = imds(local)
    assert app.handle("GET", "/i-0000000000000000/latest/meta-data/instance-id", {}).status == 404
    assert app.handle("GET", "/not-an-instance/latest/meta-data/", {}).status == 404
    assert app.handle("GET", "/", {}).status == 404
    instance = launch(local, None, tokens="optional")
    assert app.handle("GET", f"/{instance}/latest/meta-data/iam/", {}).status == 404        # no profile
    assert app.handle("GET", f"/{instance}/latest/meta-data/nope", {}).status == 404
    assert app.handle("POST", f"/{instance}/latest/meta-data/", {}).status == 405


def test_wsgi_interface(local: Sandbox) -> None:
    role = web_tier(local)
    instance = launch(local, role, tokens="optional")
    app = imds(local)
    captured = {}

    def start_response(status, headers):
        captured["status"] = status

    body = b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": f"/{instance}/latest/meta-data/iam/security-credentials/"},
                        start_response))
    assert captured["status"].startswith("200") and body.decode() == role


def test_modify_metadata_options_through_the_gateway_keeps_options_not_named(local: Sandbox) -> None:
    import gateway.ec2_overrides  # noqa: F401
    role = web_tier(local)
    instance = launch(local, role, tokens="optional")
    ops = local.user("ops", allow(["ec2:ModifyInstanceMetadataOptions", "ec2:DescribeInstances"]), account=local.prod)
    ec2 = local.client("ec2", ops)
    ec2.modify_instance_metadata_options(InstanceId=instance, HttpTokens="required")
    ec2.modify_instance_metadata_options(InstanceId=instance, HttpPutResponseHopLimit=2)   # HttpTokens not named
    app = imds(local)
    assert app.handle("GET", f"/{instance}/latest/meta-data/instance-id", {}).status == 401  # still required
    ec2.modify_instance_metadata_options(InstanceId=instance, HttpEndpoint="disabled")
    assert app.handle("PUT", f"/{instance}/latest/api/token",
                      {"X-aws-ec2-metadata-token-ttl-seconds": "60"}).status == 403


def test_botocore_reads_the_instance_credentials_from_our_imds_over_http(local: Sandbox) -> None:
    """The application on the instance uses the SDK's own IMDS credential provider: no keys in its code."""
    from botocore.credentials import InstanceMetadataProvider
    from botocore.utils import InstanceMetadataFetcher

    from gateway.server import serve_in_thread

    role = web_tier(local)
    instance = launch(local, role, tokens="required")
    server, thread = serve_in_thread("127.0.0.1", 0, imds(local))
    try:
        fetcher = InstanceMetadataFetcher(timeout=2, num_attempts=1,
                                          base_url=f"http://127.0.0.1:{server.server_port}/{instance}")
        provider = InstanceMetadataProvider(iam_role_fetcher=fetcher)
        credentials = provider.load()
        assert credentials is not None and credentials.method == "iam-role"
        frozen = credentials.get_frozen_credentials()
        identity = local.client("sts", {"access_key_id": frozen.access_key, "secret_access_key": frozen.secret_key,
                                        "session_token": frozen.token}).get_caller_identity()
        assert identity["Arn"] == f"arn:aws:sts::{local.prod}:assumed-role/{role}/{instance}"
    finally:
        server.shutdown()
        thread.join(5)


def test_with_imds_mounts_the_metadata_service_beside_the_gateway_over_http(local: Sandbox) -> None:
    import urllib.request

    from gateway.imds import with_imds
    from gateway.server import serve_in_thread

    role = web_tier(local)
    instance = launch(local, role, tokens="required")
    server, thread = serve_in_thread("127.0.0.1", 0, with_imds(local.app, local.lab))
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        put = urllib.request.Request(f"{base}/imds/{instance}/latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        imds_token = urllib.request.urlopen(put, timeout=5).read().decode()
        get = urllib.request.Request(f"{base}/imds/{instance}/latest/meta-data/iam/security-credentials/",
                                     headers={"X-aws-ec2-metadata-token": imds_token})
        assert urllib.request.urlopen(get, timeout=5).read().decode() == role
        # Everything else still reaches the gateway (an unsigned request: AWS's MissingAuthenticationToken family).
        try:
            urllib.request.urlopen(f"{base}/?Action=GetCallerIdentity&Version=2011-06-15", timeout=5)
            raise AssertionError("an unsigned STS call must be refused")
        except urllib.error.HTTPError as error:
            assert error.code in (400, 403)
    finally:
        server.shutdown()
        thread.join(5)
