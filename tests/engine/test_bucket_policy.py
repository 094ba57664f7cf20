"""Bucket policies as S3 validates them on PutBucketPolicy (engine.policy.bucket_policy): each mistake S3 refuses
with MalformedPolicy, in S3's words, and the policies it accepts. Sources are cited in the module's docstring;
the same refusal through the gateway is in tests/gateway/test_wire_answers.py."""
from __future__ import annotations

import json

import pytest

from engine.errors import MalformedPolicy, MalformedPolicyDocument
from engine.policy.bucket_policy import ACTIONS, validate_bucket_policy

BUCKET = "securecart-invoices"
JANE = {"AWS": "arn:aws:iam::987654321098:user/auditor-jane"}


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, **extra) -> dict:
    return {"Effect": "Allow", "Principal": JANE, "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize("document", [
    policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*")),
    policy(allow(["s3:GetObject", "s3:ListBucket"], [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"])),
    policy(allow("s3:ListBucket", f"arn:aws:s3:::{BUCKET}")),
    policy(allow("s3:*", f"arn:aws:s3:::{BUCKET}/2026/*")),
    policy(allow("s3:Get*", f"arn:aws:s3:::{BUCKET}")),           # GetBucketAcl & co. apply to the bucket
    policy(allow("*", f"arn:aws:s3:::{BUCKET}/*")),
    policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    policy({"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
], ids=["object", "both-arns", "list-bucket", "prefix", "get-star-on-bucket", "star-action", "deny-http",
        "notaction-with-s3-key"])
def test_policies_s3_accepts_pass(document) -> None:
    assert validate_bucket_policy(document, bucket=BUCKET).statements


@pytest.mark.parametrize("document, message", [
    (policy(allow("s3:GetObject", "*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", "arn:aws:s3:::securecart-backups/*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}-old/*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", "arn:aws:s3:::securecart-*/*")), "Policy has invalid resource"),
    (policy(allow("s3:GetObject", [f"arn:aws:s3:::{BUCKET}/*", "*"])), "Policy has invalid resource"),
    (policy(allow("s3:ListBucket", f"arn:aws:s3:::{BUCKET}/*")), "Action does not apply to any resource(s)"),
    (policy(allow(["s3:GetObject", "s3:ListBucket"], f"arn:aws:s3:::{BUCKET}/*")),
     "Action does not apply to any resource(s)"),
    (policy(allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}")), "Action does not apply to any resource(s)"),
    (policy(allow("s3:ListAllMyBuckets", f"arn:aws:s3:::{BUCKET}")), "Action does not apply to any resource(s)"),
    (policy(allow("sts:AssumeRole", f"arn:aws:s3:::{BUCKET}")), "Policy has invalid action"),
    (policy(allow("s3:GetObjekt", f"arn:aws:s3:::{BUCKET}/*")), "Policy has invalid action"),
    (policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*",
                  Condition={"StringEquals": {"sts:ExternalId": "x"}})), "Policy has an invalid condition key"),
    (policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}),
     "Missing required field Principal"),
    (policy(allow("s3:GetObject", "securecart-invoices/*")), "must be in ARN format"),
], ids=["star-resource", "other-bucket", "bucket-name-prefix", "bucket-wildcard", "star-among-others",
        "listbucket-on-objects", "listbucket-beside-getobject", "putobject-on-bucket", "account-action",
        "iam-action", "unknown-s3-action", "sts-condition-key", "no-principal", "not-an-arn"])
def test_each_mistake_s3_refuses_is_refused_as_malformed_policy(document, message) -> None:
    with pytest.raises(MalformedPolicy, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        validate_bucket_policy(document, bucket=BUCKET)
    assert caught.value.code == "MalformedPolicy" and caught.value.status == 400
    assert caught.value.path.startswith("Statement")


def test_a_refusal_is_still_a_malformed_policy_document_for_callers_that_catch_iams_error() -> None:
    text = json.dumps(policy(allow("s3:GetObject", "*")), indent=2)
    with pytest.raises(MalformedPolicyDocument):
        validate_bucket_policy(text, bucket=BUCKET)


def test_grammar_errors_keep_their_line_and_column_under_s3s_code() -> None:
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",\n "Resource": 1}]}'
    with pytest.raises(MalformedPolicy) as caught:
        validate_bucket_policy(text, bucket=BUCKET)
    assert caught.value.line is not None and caught.value.code == "MalformedPolicy"


def test_the_action_table_knows_each_action_once_and_its_resource_type() -> None:
    assert ACTIONS["s3:listbucket"] == {"bucket"} and ACTIONS["s3:getobject"] == {"object"}
    assert ACTIONS["s3:listallmybuckets"] == frozenset()
    assert all(name == name.lower() and name.startswith("s3:") for name in ACTIONS)


# S3's own words for each refusal (what PutBucketPolicy answers on the wire), with where each is recorded
def one_statement(**changes) -> dict:
    statement = {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::invoices/*"}
    statement.update(changes)
    return {"Version": "2012-10-17", "Statement": [statement]}


def refused(document, bucket: str = "invoices") -> str:
    """S3's words for the refusal (what the wire answers; .message adds what and where)."""
    with pytest.raises(MalformedPolicy) as info:
        validate_bucket_policy(document if isinstance(document, str) else json.dumps(document), bucket)
    assert (info.value.code, info.value.status) == ("MalformedPolicy", 400)
    assert info.value.message.startswith(info.value.aws_message)
    return info.value.aws_message


def test_a_valid_policy_parses_as_a_resource_policy() -> None:
    document = validate_bucket_policy(json.dumps(one_statement()), "invoices")
    assert document.kind == "resource" and document.statements[0].sid == "Read"


@pytest.mark.parametrize("text", ["policy.json", "", "  [1]", "file://policy.json"])
def test_not_json_at_all(text: str) -> None:
    # observed: aws/aws-cli#2779 (a file name passed without file://), cloud-gov/terraform-provision#574
    assert refused(text) == "Policies must be valid JSON and the first byte must be '{'"


def test_json_that_does_not_parse() -> None:
    assert refused('{"Version": "2012-10-17",}') == "This policy contains invalid Json"


@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::other-bucket/*", "arn:aws:s3:::invoices-2/*",
                                      "arn:aws:iam::111122223333:root", ["arn:aws:s3:::invoices/*", "*"]])
def test_a_resource_outside_the_bucket(resource) -> None:
    # observed: aws-samples/aws-serverless-appsync-app#4; "*" refused: noobaa/noobaa-core#10058
    assert refused(one_statement(Resource=resource)) == "Policy has invalid resource"


def test_a_wildcard_in_the_bucket_name_is_refused() -> None:
    # AWS documents nothing on it: the lab's choice (module docstring), so a policy the lab accepts is one S3 accepts
    assert refused(one_statement(Resource="arn:aws:s3:::invoi*/*")) == "Policy has invalid resource"


@pytest.mark.parametrize("action", ["s3:GetObjects", "iam:PassRole", "s3:Fly*"])
def test_an_action_that_is_no_bucket_or_object_action(action: str) -> None:
    assert refused(one_statement(Action=action)) == "Policy has invalid action"


def test_an_action_on_a_resource_it_cannot_apply_to() -> None:
    # s3:PutObject names objects, the bucket's own ARN is the bucket (as versity/versitygw records S3 answering)
    assert refused(one_statement(Action="s3:PutObject", Resource="arn:aws:s3:::invoices")) == \
        "Action does not apply to any resource(s) in statement"
    validate_bucket_policy(json.dumps(one_statement(Action=["s3:ListBucket", "s3:GetObject"],
                                                    Resource=["arn:aws:s3:::invoices", "arn:aws:s3:::invoices/*"])),
                           "invoices")


@pytest.mark.parametrize("document, message", [
    ({"Version": "2012-10-17"}, "Missing required field Statement"),
    ({"Version": "2012-10-17", "Statement": []}, "Could not parse the policy: Statement is empty!"),
    ({"Version": "2020-01-01", "Statement": one_statement()["Statement"]},
     "The policy must contain a valid version string"),
    (one_statement(Effect="allow"), "Invalid effect: allow"),
    (one_statement(Principal={"AWS": "not-an-account"}), "Invalid principal in policy"),
])
def test_s3s_other_refusals(document: dict, message: str) -> None:
    assert refused(document) == message


def test_no_principal() -> None:
    document = one_statement()
    del document["Statement"][0]["Principal"]
    assert refused(document) == "Missing required field Principal"
