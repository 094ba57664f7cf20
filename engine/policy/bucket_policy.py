"""S3 bucket policies, checked the way S3 checks them on PutBucketPolicy (the gateway runs this before moto stores
the policy, gateway/validation.py; the quiz checks its bucket-policy exhibits with it).

A bucket policy is a resource-based policy, so it first passes the grammar every resource policy passes
(`parse_policy(kind="resource")`: Principal required, actions with a service prefix, ARNs or "*" as resources).
S3 then refuses, with the error code `MalformedPolicy` (not IAM's `MalformedPolicyDocument`) and words of its own
(MalformedPolicy.aws_message; .message adds what and where):

- text that is not JSON at all (does not start with `{`): "Policies must be valid JSON and the first byte must be
  '{'" (observed: aws/aws-cli#2779, a file name passed without file://; cloud-gov/terraform-provision#574); JSON
  that does not parse: "This policy contains invalid Json" (versity/versitygw answers as S3 does);
- no Statement: "Missing required field Statement"; an empty one: "Could not parse the policy: Statement is
  empty!"; a bad Version: "The policy must contain a valid version string"; a bad Effect: "Invalid effect: <value>";
  no Principal: "Missing required field Principal"; a principal that is none: "Invalid principal in policy" (S3
  does not repeat the principal, IAM does) (versity/versitygw records each of these as S3's answers);
- "Policy has invalid resource": a Resource (or NotResource) that is not this bucket or an object in it, and
  `"Resource": "*"` too (observed answers: aws-samples/aws-serverless-appsync-app#4, hashicorp/terraform#23570,
  noobaa/noobaa-core#10058 "in AWS it is not allowed"; S3 User Guide, "Policy resources for Amazon S3": a bucket
  policy's resources are the bucket `arn:aws:s3:::bucket` and its objects `arn:aws:s3:::bucket/key`). A wildcard
  in the bucket name (`arn:aws:s3:::bucket-*/*`) is refused too: AWS documents nothing on it, the lab's choice;
- "Policy has invalid action": an action that is not an S3 action (versitygw#650 reproduces AWS's answer);
- "Action does not apply to any resource(s) in statement": an action whose resource type (bucket or object, S3
  User Guide "Policy actions for Amazon S3") matches none of the statement's resources, e.g. `s3:ListBucket` with
  only `arn:aws:s3:::bucket/*`, or `s3:GetObject` with only `arn:aws:s3:::bucket` (versitygw#645; the same answer
  from AWS in wandb/terraform-aws-wandb#156 and ministryofjustice/modernisation-platform#8252); account-level
  actions such as `s3:ListAllMyBuckets` apply to no bucket or object, so to no resource a bucket policy can name;
- "Policy has an invalid condition key": a condition key outside the `aws:` and `s3:` families.

ACTIONS is an allow-list of S3 actions with the resource types they apply to (engine.policy.catalog, from the
Service Authorization Reference). An S3 action missing from it is refused as invalid: the lab's choice, so a
policy it accepts is one S3 accepts (extend the table when a real action is missing). Wildcards (`s3:*`,
`s3:Get*`) are matched against the table.

    validate_bucket_policy(text_or_dict, bucket="securecart-invoices") -> PolicyDocument   # or raises
"""
from __future__ import annotations

import json
import re
from typing import Any

from engine.errors import MalformedPolicy

from .catalog import S3_ACCOUNT_ACTIONS, S3_BUCKET_ACTIONS, S3_OBJECT_ACTIONS
from .document import PolicyDocument, PolicyError, parse_policy
from .patterns import glob

BUCKET, OBJECT = "bucket", "object"
ACTIONS: dict[str, frozenset[str]] = {
    **{f"s3:{a}".lower(): frozenset({OBJECT}) for a in S3_OBJECT_ACTIONS},
    **{f"s3:{a}".lower(): frozenset({BUCKET}) for a in S3_BUCKET_ACTIONS},
    **{f"s3:{a}".lower(): frozenset() for a in S3_ACCOUNT_ACTIONS},
}
CONDITION_KEY_PREFIXES = ("aws:", "s3:")


FIRST_BYTE = "Policies must be valid JSON and the first byte must be '{'"


def _fail(message: str, detail: str, path: str) -> MalformedPolicy:
    return MalformedPolicy(f"{message}. {detail}" if detail else message, aws_message=message, path=path)


def _in_s3s_words(error: PolicyError, text: str) -> MalformedPolicy:
    """The grammar's refusal under S3's code and in S3's words (the module docstring), keeping where it is."""
    words = error.aws_message
    if error.path == "$" and "`Statement`" in error.detail:
        words = "Missing required field Statement"
    elif error.path == "Statement" and "at least one" in error.detail:
        words = "Could not parse the policy: Statement is empty!"
    elif error.path == "Version":
        words = "The policy must contain a valid version string"
    elif (error.path or "").endswith(".Effect"):
        words = f"Invalid effect: {_effect_at(text, error.path or '')}"
    elif words.startswith("Invalid principal in policy"):
        words = "Invalid principal in policy"
    if words == error.aws_message:
        message = error.message
    else:
        where = f" (at line {error.line}, column {error.column})" if error.line is not None else ""
        message = f"{words}. {error.detail}{where}" if error.detail else f"{words}{where}"
    return MalformedPolicy(message, aws_message=words, path=error.path, line=error.line, column=error.column)


def _effect_at(text: str, path: str) -> str:
    """The Effect the statement at `path` ("Statement[2].Effect" or "Statement.Effect") holds, as S3 repeats it."""
    statements = json.loads(text).get("Statement")
    index = re.match(r"Statement\[(\d+)\]", path)
    statement = statements[int(index.group(1))] if index and isinstance(statements, list) else statements
    effect = statement.get("Effect") if isinstance(statement, dict) else None
    return effect if isinstance(effect, str) else json.dumps(effect)


def _resource_type(pattern: str, bucket: str) -> str | None:
    """BUCKET or OBJECT for an ARN inside `bucket`, None for anything else (another bucket, "*", other ARNs)."""
    prefix = f"arn:aws:s3:::{bucket}"
    if pattern == prefix:
        return BUCKET
    if pattern.startswith(prefix + "/"):
        return OBJECT
    return None


def _actions_matching(pattern: str) -> list[str]:
    if pattern == "*":
        return list(ACTIONS)
    matcher = glob(pattern.lower())
    return [name for name in ACTIONS if matcher.match(name)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_keys(block: Any) -> list[str]:
    keys: list[str] = []
    if isinstance(block, dict):
        for entries in block.values():
            if isinstance(entries, dict):
                keys.extend(str(k) for k in entries)
    return keys


def validate_bucket_policy(text: str | dict[str, Any], bucket: str) -> PolicyDocument:
    """The parsed policy if S3 would accept it as the policy of `bucket` (its name as policies name it); raises
    MalformedPolicy otherwise, .aws_message in S3's words."""
    if isinstance(text, str) and not text.lstrip().startswith("{"):
        raise MalformedPolicy(f"{FIRST_BYTE}. A bucket policy is a JSON object: pass the document itself (with the "
                              "CLI, file://policy.json), not a file name.", aws_message=FIRST_BYTE, path="$")
    source = text if isinstance(text, str) else json.dumps(text)
    try:
        document = parse_policy(source, kind="resource")
    except PolicyError as exc:
        raise _in_s3s_words(exc, source) from None
    for st in document.statements:
        where = st.path
        raw = st.raw
        r_field = "Resource" if "Resource" in raw else "NotResource"
        types = set()
        for pattern in _as_list(raw[r_field]):
            kind = _resource_type(pattern, bucket)
            if kind is None:
                raise _fail("Policy has invalid resource",
                            f"`{pattern}` is not the bucket `arn:aws:s3:::{bucket}` or an object in it; a bucket "
                            "policy can only speak about its own bucket, and `*` is not accepted.",
                            f"{where}.{r_field}")
            types.add(kind)
        a_field = "Action" if "Action" in raw else "NotAction"
        for pattern in _as_list(raw[a_field]):
            matched = _actions_matching(pattern)
            if not matched:
                raise _fail("Policy has invalid action", f"`{pattern}` is not an Amazon S3 action.",
                            f"{where}.{a_field}")
            if a_field == "Action" and r_field == "Resource" and \
                    not any(ACTIONS[name] & types for name in matched):
                needs = " or ".join(sorted(set().union(*(ACTIONS[n] for n in matched)))) or "no bucket or object"
                raise _fail("Action does not apply to any resource(s) in statement",
                            f"`{pattern}` applies to {needs} ARNs, and this statement names only "
                            f"{' and '.join(sorted(types))} ARNs (the bucket is `arn:aws:s3:::{bucket}`, its "
                            f"objects `arn:aws:s3:::{bucket}/*`).", f"{where}.{a_field}")
        for key in _condition_keys(raw.get("Condition")):
            if not key.lower().startswith(CONDITION_KEY_PREFIXES):
                raise _fail("Policy has an invalid condition key",
                            f"`{key}` is not an `aws:` or `s3:` condition key.", f"{where}.Condition")
    return document
