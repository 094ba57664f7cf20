"""IAM, S3, EC2, Secrets Manager and SSO Admin through the gateway: authorised by the engine, forwarded to moto in
the caller's account, denied with each service's own code and message, and a denied call leaves nothing behind."""
from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from gateway_kit import Sandbox, allow, deny, doc, trust
from test_gateway_sts import error_of


def reader_role(sbx: Sandbox, bucket: str = "securecart-product-images") -> str:
    return sbx.role("ImageReader", trust({"AWS": f"arn:aws:iam::{sbx.dev}:root"}),
                    allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"),
                    allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"))


# ------------------------------------------------------------------------------------------------------- IAM
def test_iam_denial_message_and_no_state_left_behind(sbx: Sandbox) -> None:
    bob = sbx.user("bob", allow("iam:ListUsers"))
    with pytest.raises(ClientError) as info:
        sbx.client("iam", bob).create_user(UserName="intruder")
    assert error_of(info) == ("AccessDenied", f"User: arn:aws:iam::{sbx.dev}:user/bob is not authorized to perform: "
                              f"iam:CreateUser on resource: arn:aws:iam::{sbx.dev}:user/intruder because no "
                              "identity-based policy allows the iam:CreateUser action", 403)
    names = [u["UserName"] for u in sbx.client("iam", bob).list_users()["Users"]]
    assert "intruder" not in names and "bob" in names


def test_iam_explicit_deny_wording_and_list_resource(sbx: Sandbox) -> None:
    carol = sbx.user("carol", allow("iam:*"), deny("iam:ListRoles"))
    with pytest.raises(ClientError) as info:
        sbx.client("iam", carol).list_roles()
    # observed wording for ListRoles: "... on resource: arn:aws:iam::ACCT:role/ ..." (path-prefix resource)
    assert error_of(info)[1] == (f"User: arn:aws:iam::{sbx.dev}:user/carol is not authorized to perform: "
                                 f"iam:ListRoles on resource: arn:aws:iam::{sbx.dev}:role/ with an explicit deny in "
                                 "an identity-based policy")


def test_user_permissions_boundary_is_stored_shown_and_enforced(local: Sandbox) -> None:
    iam = local.admin("iam")
    boundary = iam.create_policy(PolicyName="OnlyS3", PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
    admin = local.user("admin", allow("iam:*"))
    dave = local.user("dave", allow(["iam:*", "s3:*"]))
    client = local.client("iam", admin)
    client.put_user_permissions_boundary(UserName="dave", PermissionsBoundary=boundary)
    shown = client.get_user(UserName="dave")["User"]["PermissionsBoundary"]
    assert shown == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}
    with pytest.raises(ClientError) as info:
        local.client("iam", dave).list_users()
    assert error_of(info)[1].endswith("because no permissions boundary allows the iam:ListUsers action")
    client.delete_user_permissions_boundary(UserName="dave")
    assert "PermissionsBoundary" not in client.get_user(UserName="dave")["User"]
    assert local.client("iam", dave).list_users()["Users"]
    with pytest.raises(ClientError) as info:
        client.put_user_permissions_boundary(UserName="ghost", PermissionsBoundary=boundary)
    assert error_of(info) == ("NoSuchEntity", "The user with name ghost cannot be found.", 404)


def test_get_user_without_name_is_the_caller_and_refused_to_roles(local: Sandbox) -> None:
    erin = local.user("erin", allow(["iam:GetUser", "sts:AssumeRole"]))
    assert local.client("iam", erin).get_user()["User"]["Arn"] == f"arn:aws:iam::{local.dev}:user/erin"
    role = local.role("Helper", trust({"AWS": f"arn:aws:iam::{local.dev}:root"}), allow("iam:GetUser"))
    with pytest.raises(ClientError) as info:
        local.client("iam", local.assume(erin, role)).get_user()
    assert error_of(info) == ("ValidationError", "Must specify userName when calling with non-User credentials", 400)


# ------------------------------------------------------------------------------------------------------- S3
def test_assumed_role_reads_but_cannot_write(sbx: Sandbox) -> None:
    s3admin = sbx.admin("s3")
    s3admin.create_bucket(Bucket="securecart-product-images")
    s3admin.put_object(Bucket="securecart-product-images", Key="shoes/red shoe+1.jpg", Body=b"JPEG")
    alice = sbx.user("alice", allow("sts:AssumeRole"))
    s3 = sbx.client("s3", sbx.assume(alice, reader_role(sbx)))
    assert s3.get_object(Bucket="securecart-product-images", Key="shoes/red shoe+1.jpg")["Body"].read() == b"JPEG"
    listing = s3.list_objects_v2(Bucket="securecart-product-images")
    assert listing["Name"] == "securecart-product-images"
    assert [o["Key"] for o in listing["Contents"]] == ["shoes/red shoe+1.jpg"]
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket="securecart-product-images", Key="evil.txt", Body=b"x")
    assert error_of(info) == ("AccessDenied", f"User: arn:aws:sts::{sbx.dev}:assumed-role/ImageReader/s1 is not "
                              "authorized to perform: s3:PutObject on resource: "
                              "arn:aws:s3:::securecart-product-images/evil.txt because no identity-based policy "
                              "allows the s3:PutObject action", 403)
    assert info.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    keys = [o["Key"] for o in s3admin.list_objects_v2(Bucket="securecart-product-images")["Contents"]]
    assert keys == ["shoes/red shoe+1.jpg"]


def test_bucket_names_are_per_sandbox_and_rewritten_both_ways(lab_app) -> None:
    first, second = Sandbox(*lab_app), Sandbox(*lab_app)
    for sandbox in (first, second):
        owner = sandbox.user("owner", allow("s3:*"))
        s3 = sandbox.client("s3", owner)
        s3.create_bucket(Bucket="securecart-invoices")   # the same familiar name in two sandboxes
        s3.put_object(Bucket="securecart-invoices", Key="inv.txt", Body=sandbox.id.encode())
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["securecart-invoices"]
        assert s3.get_object(Bucket="securecart-invoices", Key="inv.txt")["Body"].read() == sandbox.id.encode()
        with pytest.raises(ClientError) as info:
            s3.get_object(Bucket="securecart-missing", Key="x")
        assert info.value.response["Error"]["Code"] == "NoSuchBucket"
        assert info.value.response["Error"]["BucketName"] == "securecart-missing"
    from gateway.client import admin_client
    stored = [b["Name"] for b in admin_client("s3", first.dev).list_buckets()["Buckets"]]
    assert f"sbx{first.id}-securecart-invoices" in stored



def test_another_sandboxs_stored_bucket_name_is_no_such_bucket_even_when_public(lab_app) -> None:
    # Naming another sandbox's bucket the way moto stores it must not reach it: the name is prefixed again, so it is
    # a bucket that does not exist. A public bucket policy makes sure the authoriser alone would not stop it.
    alice_box, bob_box = Sandbox(*lab_app), Sandbox(*lab_app)
    bob_s3 = bob_box.admin("s3")
    bob_s3.create_bucket(Bucket="securecart-public")
    bob_s3.put_object(Bucket="securecart-public", Key="hello.txt", Body=b"bob's")
    bob_s3.put_bucket_policy(Bucket="securecart-public", Policy=doc({
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::securecart-public/*"}))
    bobs_stored = f"sbx{bob_box.id}-securecart-public"
    from gateway.client import admin_client
    assert bobs_stored in [b["Name"] for b in admin_client("s3", bob_box.dev).list_buckets()["Buckets"]]
    alice = alice_box.user("alice", allow("s3:*"))
    with pytest.raises(ClientError) as info:
        alice_box.client("s3", alice).get_object(Bucket=bobs_stored, Key="hello.txt")
    assert info.value.response["Error"]["Code"] == "NoSuchBucket"
    assert info.value.response["Error"]["BucketName"] == bobs_stored


def test_cross_account_bucket_needs_the_bucket_policy(sbx: Sandbox) -> None:
    prod_s3 = sbx.admin("s3", sbx.prod)
    prod_s3.create_bucket(Bucket="securecart-reports")
    prod_s3.put_object(Bucket="securecart-reports", Key="q1.csv", Body=b"1,2")
    analyst = sbx.user("analyst", allow("s3:GetObject", "arn:aws:s3:::securecart-reports/*"))
    s3 = sbx.client("s3", analyst)
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="securecart-reports", Key="q1.csv")
    # cross-account S3 denials carry no reason (S3 UG, troubleshoot 403: extra context only for the same account)
    assert error_of(info) == ("AccessDenied", "Access Denied", 403)
    prod_s3.put_bucket_policy(Bucket="securecart-reports", Policy=doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{sbx.dev}:user/analyst"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::securecart-reports/*"}))
    assert s3.get_object(Bucket="securecart-reports", Key="q1.csv")["Body"].read() == b"1,2"


def test_copy_and_batch_delete_are_authorised_per_object(local: Sandbox) -> None:
    local.admin("s3").create_bucket(Bucket="src-bucket")
    local.admin("s3").create_bucket(Bucket="dst-bucket")
    local.admin("s3").put_object(Bucket="src-bucket", Key="a.txt", Body=b"A")
    mover = local.user("mover", allow(["s3:PutObject", "s3:DeleteObject"], "arn:aws:s3:::dst-bucket/*"))
    s3 = local.client("s3", mover)
    with pytest.raises(ClientError) as info:
        s3.copy_object(Bucket="dst-bucket", Key="b.txt", CopySource={"Bucket": "src-bucket", "Key": "a.txt"})
    assert "s3:GetObject on resource: arn:aws:s3:::src-bucket/a.txt" in error_of(info)[1]
    local.admin("iam").put_user_policy(UserName="mover", PolicyName="read", PolicyDocument=doc(
        allow("s3:GetObject", "arn:aws:s3:::src-bucket/*")))
    s3.copy_object(Bucket="dst-bucket", Key="b.txt", CopySource={"Bucket": "src-bucket", "Key": "a.txt"})
    assert local.admin("s3").get_object(Bucket="dst-bucket", Key="b.txt")["Body"].read() == b"A"
    result = s3.delete_objects(Bucket="dst-bucket", Delete={"Objects": [{"Key": "b.txt"}]})
    assert [d["Key"] for d in result["Deleted"]] == ["b.txt"]


def test_presigned_url_and_virtual_host_style_over_http(lab_app, http_endpoint: str) -> None:
    sandbox = Sandbox(*lab_app, endpoint=http_endpoint)
    sandbox.admin("s3").create_bucket(Bucket="securecart-product-images")
    sandbox.admin("s3").put_object(Bucket="securecart-product-images", Key="logo.png", Body=b"PNG")
    alice = sandbox.user("alice", allow("s3:GetObject"))
    url = sandbox.client("s3", alice).generate_presigned_url(
        "get_object", Params={"Bucket": "securecart-product-images", "Key": "logo.png"}, ExpiresIn=60)
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"PNG"
    broken = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(broken)
    assert info.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in info.value.read()
    # virtual-host style: the bucket in the Host header (sent by hand: bucket.localhost does not resolve everywhere)
    port = http_endpoint.rsplit(":", 1)[1]
    signed = _signed_virtual_host_get(alice, port)
    with urllib.request.urlopen(signed) as response:
        assert response.read() == b"PNG"


def _signed_virtual_host_get(creds: dict, port: str) -> urllib.request.Request:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"securecart-product-images.localhost:{port}"
    request = AWSRequest("GET", f"http://{host}/logo.png", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    S3SigV4Auth(Credentials(creds["access_key_id"], creds["secret_access_key"]), "s3", "us-east-1").add_auth(request)
    return urllib.request.Request(f"http://127.0.0.1:{port}/logo.png",
                                  headers={**dict(request.headers.items()), "Host": host})


def test_anonymous_and_unknown_key_s3_errors(local: Sandbox, http_endpoint: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{http_endpoint}/securecart-product-images/logo.png")
    assert info.value.code == 403 and b"<Code>AccessDenied</Code><Message>Access Denied</Message>" in \
        info.value.read()
    with pytest.raises(ClientError) as info:
        local.client("s3", {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "x" * 40}).list_buckets()
    assert error_of(info) == ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our "
                              "records.", 403)


# ------------------------------------------------------------------------------------------------ Secrets Manager
def test_secret_value_allowed_denied_and_resource_policy(sbx: Sandbox) -> None:
    arn = sbx.admin("secretsmanager").create_secret(Name="DBPassword", SecretString="hunter2")["ARN"]
    app = sbx.user("app", allow("secretsmanager:GetSecretValue", arn))
    other = sbx.user("other", allow("secretsmanager:ListSecrets"))
    assert sbx.client("secretsmanager", app).get_secret_value(SecretId="DBPassword")["SecretString"] == "hunter2"
    with pytest.raises(ClientError) as info:
        sbx.client("secretsmanager", other).get_secret_value(SecretId="DBPassword")
    # Secrets Manager echoes the SecretId as sent in its message
    assert error_of(info) == ("AccessDeniedException", f"User: arn:aws:iam::{sbx.dev}:user/other is not authorized "
                              "to perform: secretsmanager:GetSecretValue on resource: DBPassword because no "
                              "identity-based policy allows the secretsmanager:GetSecretValue action", 400)
    sbx.admin("secretsmanager").put_resource_policy(SecretId="DBPassword", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"},
                                               "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    with pytest.raises(ClientError) as info:
        sbx.client("secretsmanager", app).get_secret_value(SecretId="DBPassword")
    assert error_of(info)[1].endswith("with an explicit deny in a resource-based policy")


# ------------------------------------------------------------------------------------------------------- EC2, SSO
def test_ec2_describe_allowed_run_denied(local: Sandbox) -> None:
    viewer = local.user("viewer", allow("ec2:Describe*"))
    ec2 = local.client("ec2", viewer)
    assert ec2.describe_instances()["Reservations"] == []
    with pytest.raises(ClientError) as info:
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    assert error_of(info)[0] == "UnauthorizedOperation"
    assert ec2.describe_instances()["Reservations"] == []


def test_run_instances_with_a_profile_needs_pass_role(local: Sandbox) -> None:
    iam = local.admin("iam")
    local.role("WebServer", trust({"Service": "ec2.amazonaws.com"}), allow("s3:GetObject"))
    iam.create_instance_profile(InstanceProfileName="WebServer")
    iam.add_role_to_instance_profile(InstanceProfileName="WebServer", RoleName="WebServer")
    ops = local.user("ops", allow("ec2:RunInstances"))
    with pytest.raises(ClientError) as info:
        local.client("ec2", ops).run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                                               IamInstanceProfile={"Name": "WebServer"})
    assert f"iam:PassRole on resource: arn:aws:iam::{local.dev}:role/WebServer" in error_of(info)[1]


def test_run_instances_stays_within_the_instance_quota(local: Sandbox) -> None:
    """MaxCount is "between 1 and the quota for the specified instance type" (EC2 API Reference, RunInstances):
    AWS launches as many as fit above MinCount and refuses a MinCount beyond the quota with InstanceLimitExceeded.
    Without the cap one learner's `--count 30000` held every sandbox's moto for minutes (issue 22)."""
    from gateway.ec2_overrides import INSTANCE_QUOTA

    ops = local.user("launcher", allow("ec2:*"))
    ec2 = local.client("ec2", ops)
    with pytest.raises(ClientError) as info:
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=30000, MaxCount=30000)
    code, message = error_of(info)[0:2]
    assert code == "InstanceLimitExceeded" and f"current instance limit of {INSTANCE_QUOTA}" in message
    launched = ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=500)["Instances"]
    assert len(launched) == INSTANCE_QUOTA
    with pytest.raises(ClientError) as full:
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    assert error_of(full)[0] == "InstanceLimitExceeded"
    running = sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"])
    assert running == INSTANCE_QUOTA


def test_sso_admin_uses_the_sso_prefix(local: Sandbox) -> None:
    admin = local.user("ssoadmin", allow("sso:ListInstances"))
    instances = local.client("sso-admin", admin).list_instances()["Instances"]
    assert instances and instances[0]["InstanceArn"].startswith("arn:aws:sso:::instance/")
    nobody = local.user("nobody")
    with pytest.raises(ClientError) as info:
        local.client("sso-admin", nobody).list_instances()
    assert error_of(info)[0:2] == ("AccessDeniedException", f"User: arn:aws:iam::{local.dev}:user/nobody is not "
                                   "authorized to perform: sso:ListInstances on resource: * because no "
                                   "identity-based policy allows the sso:ListInstances action")


# ------------------------------------------------------------------------------------------------------- plumbing
def test_overrides_run_after_authorisation(local: Sandbox) -> None:
    # Overrides are a registry passed to GatewayApp (gateway.operation); this app's registry, not a global one.
    from gateway.app import GatewayApp
    from gateway.builtin_overrides import default_overrides

    calls = []

    def fake_list_account_aliases(call):
        calls.append(call.caller.principal.arn)
        return call.result({"AccountAliases": ["securecart-dev"], "IsTruncated": False})

    registry = default_overrides()
    registry.register("iam", "ListAccountAliases", fake_list_account_aliases)
    overridden = Sandbox(local.lab, GatewayApp(local.lab, local.app.moto, overrides=registry))
    allowed = overridden.user("aliasreader", allow("iam:ListAccountAliases"))
    assert overridden.client("iam", allowed).list_account_aliases()["AccountAliases"] == ["securecart-dev"]
    with pytest.raises(ClientError):
        overridden.client("iam", overridden.user("stranger")).list_account_aliases()
    assert calls == [f"arn:aws:iam::{overridden.dev}:user/aliasreader"]
    # the other apps keep their own registries: the shared fixture's app still asks moto
    assert ("iam", "ListAccountAliases") not in local.app.overrides
    assert local.client("iam", local.user("aliasreader", allow("iam:ListAccountAliases"))).list_account_aliases()[
        "AccountAliases"] == []
    assert len(calls) == 1


def test_recorder_masks_secrets(local: Sandbox) -> None:
    alice = local.user("alice", allow("sts:AssumeRole"))
    role = local.role("Any", trust({"AWS": f"arn:aws:iam::{local.dev}:root"}))
    local.assume(alice, role)
    exchange = local.recorder.last
    assert exchange.operation == "AssumeRole" and exchange.status == 200
    assert exchange.body["RoleArn"] == role
    assert exchange.headers["Authorization"].endswith("…")
    assert "<SecretAccessKey>" in exchange.response_body and "(40 characters, hidden)</SecretAccessKey>" in exchange.response_body
    session = local.lab.session(exchange.response_body.split("<AccessKeyId>")[1].split("<")[0])
    assert session.secret_access_key not in exchange.response_body
    assert exchange.request_id and local.lab.decision(exchange.request_id).allowed


def test_forwarded_answers_carry_the_gateway_request_id(local: Sandbox) -> None:
    reader = local.user("reader", allow("iam:ListUsers"))
    answer = local.client("iam", reader).list_users()
    request_id = answer["ResponseMetadata"]["RequestId"]
    # moto's own id in the XML body is replaced, so the SDK's RequestId is the key of the Lab's Decision
    assert answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == request_id
    decision = local.lab.decision(request_id)
    assert decision is not None and decision.allowed and decision.request.action == "iam:ListUsers"


def test_attaching_a_policy_carries_iam_policy_arn_so_a_policy_can_allow_approved_ones_only(local: Sandbox) -> None:
    """Service Authorization Reference, IAM: AttachUserPolicy (and Attach/Detach of roles and groups) have the
    iam:PolicyARN condition key: the pattern for "may attach these policies, no others"."""
    iam = local.admin("iam")
    approved = iam.create_policy(PolicyName="ReadImages", PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    admin = iam.create_policy(PolicyName="Everything", PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
    erin = local.user("erin", allow(["iam:AttachUserPolicy", "iam:DetachUserPolicy"],
                                    f"arn:aws:iam::{local.dev}:user/erin",
                                    Condition={"ArnEquals": {"iam:PolicyARN": approved}}))
    client = local.client("iam", erin)
    client.attach_user_policy(UserName="erin", PolicyArn=approved)
    with pytest.raises(ClientError) as info:
        client.attach_user_policy(UserName="erin", PolicyArn=admin)
    assert error_of(info)[0] == "AccessDenied"
    client.detach_user_policy(UserName="erin", PolicyArn=approved)
    attached = iam.list_attached_user_policies(UserName="erin")["AttachedPolicies"]
    assert attached == []
