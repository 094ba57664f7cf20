"""S3's own checks of a bucket policy (PutBucketPolicy), stricter than IAM's grammar: S3 answers MalformedPolicy with
words of its own. The lab's gateway runs them before moto stores the policy (gateway/validation.py).

What S3 answers, with where it is recorded:
- not JSON at all (text that does not start with `{`): "Policies must be valid JSON and the first byte must be '{'"
  (observed: aws/aws-cli#2779, cloud-gov/terraform-provision#574); JSON that does not parse: "This policy contains
  invalid Json" (as versity/versitygw answers it, mirroring S3);
- a Resource that is not this bucket or an object in it, `*` included: "Policy has invalid resource" (observed:
  aws-samples/aws-serverless-appsync-app#4; `*`: noobaa/noobaa-core#10058);
- an action that is not one of S3's bucket or object actions (Service Authorization Reference, Amazon S3): "Policy
  has invalid action"; an action that applies to none of the statement's resources (s3:PutObject on the bucket's
  own ARN): "Action does not apply to any resource(s) in statement" (both as versity/versitygw records S3);
- a missing or empty Statement: "Missing required field Statement", "Could not parse the policy: Statement is
  empty!"; a bad Version: "The policy must contain a valid version string"; a bad Effect: "Invalid effect: <value>";
  no Principal: "Missing required field Principal"; a principal that is not one: "Invalid principal in policy".
- anything else the IAM grammar refuses, in IAM's words (engine.policy.parse_policy, kind "resource").
"""
from __future__ import annotations

import json
from typing import Any

from engine.errors import AwsError, MalformedPolicyDocument

from .catalog import S3_BUCKET_ACTIONS, S3_OBJECT_ACTIONS
from .document import VERSIONS, PolicyDocument, parse_policy
from .patterns import glob


class MalformedPolicy(AwsError):
    code = "MalformedPolicy"
    status = 400
    sender_fault = True


FIRST_BYTE = "Policies must be valid JSON and the first byte must be '{'"
INVALID_JSON = "This policy contains invalid Json"
INVALID_RESOURCE = "Policy has invalid resource"
INVALID_ACTION = "Policy has invalid action"
ACTION_DOES_NOT_APPLY = "Action does not apply to any resource(s) in statement"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _actions_matching(pattern: str) -> tuple[set[str], set[str]]:
    """(bucket actions, object actions) an S3 action pattern names."""
    if pattern == "*":
        return set(S3_BUCKET_ACTIONS), set(S3_OBJECT_ACTIONS)
    prefix, _, name = pattern.partition(":")
    if prefix.lower() != "s3" or not name:
        return set(), set()
    matcher = glob(name.lower())
    return ({a for a in S3_BUCKET_ACTIONS if matcher.match(a.lower())},
            {a for a in S3_OBJECT_ACTIONS if matcher.match(a.lower())})


def _resource_kinds(resource: str, bucket: str) -> set[str] | None:
    """Which kinds a Resource of this bucket's policy names ("bucket", "object"), or None when it names none of
    this bucket's (another bucket, `*`, another service)."""
    prefix = "arn:aws:s3:::"
    if not resource.startswith(prefix):
        return None
    rest = resource[len(prefix):]
    name, slash, _ = rest.partition("/")
    if not glob(name).match(bucket):
        return None
    return {"object"} if slash else {"bucket"}


def validate_bucket_policy(document: str, bucket: str) -> PolicyDocument:
    """The parsed policy, or MalformedPolicy in S3's words (see the module docstring). `bucket`: the bucket's name as
    the learner knows it (the one policies name)."""
    text = document if isinstance(document, str) else ""
    if not text.lstrip().startswith("{"):
        raise MalformedPolicy(FIRST_BYTE)
    try:
        root = json.loads(text)
    except ValueError:
        raise MalformedPolicy(INVALID_JSON) from None
    if "Statement" not in root:
        raise MalformedPolicy("Missing required field Statement")
    statements = root["Statement"] if isinstance(root["Statement"], list) else [root["Statement"]]
    if not statements:
        raise MalformedPolicy("Could not parse the policy: Statement is empty!")
    if "Version" in root and root["Version"] not in VERSIONS:
        raise MalformedPolicy("The policy must contain a valid version string")
    for statement in statements:
        if not isinstance(statement, dict):
            raise MalformedPolicy(INVALID_JSON)
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise MalformedPolicy(f"Invalid effect: {effect}")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicy("Missing required field Principal")
        bucket_actions: set[str] = set()
        object_actions: set[str] = set()
        for action in _strings(statement.get("Action", statement.get("NotAction"))):
            on_bucket, on_objects = _actions_matching(action)
            if not on_bucket and not on_objects:
                raise MalformedPolicy(INVALID_ACTION)
            bucket_actions |= on_bucket
            object_actions |= on_objects
        kinds: set[str] = set()
        for resource in _strings(statement.get("Resource", statement.get("NotResource"))):
            named = _resource_kinds(resource, bucket)
            if named is None:
                raise MalformedPolicy(INVALID_RESOURCE)
            kinds |= named
        if "Action" in statement and "Resource" in statement and not (
                (bucket_actions and "bucket" in kinds) or (object_actions and "object" in kinds)):
            raise MalformedPolicy(ACTION_DOES_NOT_APPLY)
    try:
        return parse_policy(text, kind="resource")
    except MalformedPolicyDocument as error:
        words = getattr(error, "aws_message", None) or error.message
        if words.startswith("Invalid principal in policy"):
            words = "Invalid principal in policy"       # S3 names no principal (IAM does)
        raise MalformedPolicy(words) from None
