"""Input validation against the botocore service model of each operation, before anything reaches the engine or moto.

AWS's front ends check every request against the same model the SDKs are generated from: required members, types,
lengths, numeric ranges, enums and patterns. botocore's own ParamValidator checks only required members, types and
minimums ("max is enforced server-side"), so the server side lives here, and the answer is each service's own:

- query services (IAM, STS) and the JSON services (Secrets Manager, SSO Admin, Identity Store) answer like AWS's
  Coral front end: `ValidationError` (query) / `ValidationException` (JSON), "N validation error(s) detected: Value
  'x' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
  (observed for Secrets Manager: aws/aws-sdk-kotlin#1469 "Value null at 'secretId' failed to satisfy constraint:
  Member must not be null"; IAM: the same sentence shape in the IAM API reference's ValidationError examples).
- a JSON member of the wrong type is `SerializationException` (Coral refuses the document before validating it).
- EC2 does not speak Coral: a missing member is `MissingParameter` "The request must contain the parameter X", a
  bad value `InvalidParameterValue` (EC2 API reference, "Error codes").

Patterns are Java regular expressions matched against the whole value; the `regex` module understands their `\\p{L}`
classes, and a time limit keeps a pathological pattern from holding a thread.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import regex
from botocore.model import ListShape, MapShape, Shape, StructureShape

from engine.errors import AwsError, MalformedPolicy
from engine.policy.bucket_policy import validate_bucket_policy

from . import protocols

log = logging.getLogger(__name__)

MAX_REPORTED = 10          # Coral lists every violation; the lab keeps the message readable
# A guard against a pathological match, in wall-clock seconds (the regex module has no CPU-time limit). The model's
# patterns are character classes, linear in the value, so only a stalled thread hits it: at 0.05 s, 6 of ~16,000
# valid AssumeRole calls on a busy 2-core machine were refused ("Value 'arn:aws:iam::…:role/Bench' at 'roleArn' failed
# to satisfy constraint", scripts/bench_shards.py). AWS never refuses a valid value for being busy, so a check that
# times out is not enforced.
PATTERN_TIMEOUT_SECONDS = 1.0


@dataclass
class Violation:
    path: str       # Coral's member path: 'userName', 'tags.1.member.key'
    value: Any
    constraint: str


class _TypeMismatch(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate(service: str, operation: str, params: Any) -> None:
    """Raise the service's validation error when `params` do not satisfy the operation's input shape."""
    op = protocols.operation_model(service, operation)
    if op is None or op.input_shape is None:
        return
    protocol = protocols.PROTOCOLS.get(service, "query")
    json_protocol = protocol in ("json", "rest-json")
    if json_protocol and not isinstance(params, dict):
        raise _serialization("Start of structure or map found where not expected.")
    violations: list[Violation] = []
    try:
        _check_structure(op.input_shape, params, "", violations, json_types=json_protocol)
    except _TypeMismatch as mismatch:
        raise _serialization(mismatch.message) from None
    except RecursionError:
        raise _serialization("The request is nested too deeply.") from None
    if not violations:
        return
    if protocol == "ec2":
        raise _ec2_error(violations[0])
    shown = violations[:MAX_REPORTED]
    count = len(violations)
    text = (f"{count} validation error{'s' if count > 1 else ''} detected: "
            + "; ".join(_sentence(v) for v in shown))
    code = "ValidationException" if json_protocol else "ValidationError"
    raise AwsError(text, code=code, status=400, sender_fault=True)


# --------------------------------------------------------------------------------------------------- walking
def _check_structure(shape: StructureShape, value: Any, path: str, out: list[Violation], *, json_types: bool) -> None:
    if json_types and not isinstance(value, dict):
        raise _TypeMismatch(_mismatch_text(value, shape))
    for name in shape.required_members:
        if value.get(name) is None:
            out.append(Violation(_join(path, name), None, "Member must not be null"))
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            _check(member, value[name], _join(path, name), out, json_types=json_types)


def _check(shape: Shape, value: Any, path: str, out: list[Violation], *, json_types: bool) -> None:
    if isinstance(shape, StructureShape):
        _check_structure(shape, value, path, out, json_types=json_types)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise _TypeMismatch(_mismatch_text(value, shape))
        _check_size(shape, value, len(value), path, out)
        for index, item in enumerate(value, 1):
            if item is None:
                continue
            _check(shape.member, item, f"{path}.{index}.member", out, json_types=json_types)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise _TypeMismatch(_mismatch_text(value, shape))
        _check_size(shape, value, len(value), path, out)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", out, json_types=json_types)
            if item is not None:
                _check(shape.value, item, f"{path}.{key}.value", out, json_types=json_types)
    else:
        _check_scalar(shape, value, path, out, json_types=json_types)


def _check_scalar(shape: Shape, value: Any, path: str, out: list[Violation], *, json_types: bool) -> None:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            raise _TypeMismatch(_mismatch_text(value, shape))
        _check_size(shape, value, len(value), path, out)
        enum = shape.enum
        if enum and value not in enum:
            out.append(Violation(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
        pattern = shape.metadata.get("pattern")
        if pattern and not _matches(pattern, value):
            out.append(Violation(path, value, f"Member must satisfy regular expression pattern: {pattern}"))
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            if json_types and isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise _TypeMismatch(_mismatch_text(value, shape))
        _check_range(shape, value, path, out)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise _TypeMismatch(_mismatch_text(value, shape))
        _check_range(shape, value, path, out)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _TypeMismatch(_mismatch_text(value, shape))
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _TypeMismatch(_mismatch_text(value, shape))
    elif kind == "blob":
        if not isinstance(value, (str, bytes)):
            raise _TypeMismatch(_mismatch_text(value, shape))
        _check_size(shape, value, len(value), path, out)


def _check_size(shape: Shape, value: Any, size: int, path: str, out: list[Violation]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        out.append(Violation(path, value, f"Member must have length greater than or equal to {low}"))
    elif high is not None and size > high:
        out.append(Violation(path, value, f"Member must have length less than or equal to {high}"))


def _check_range(shape: Shape, value: float, path: str, out: list[Violation]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        out.append(Violation(path, value, f"Member must have value greater than or equal to {low}"))
    elif high is not None and value > high:
        out.append(Violation(path, value, f"Member must have value less than or equal to {high}"))


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    try:
        return regex.compile(pattern, regex.DOTALL)
    except regex.error:
        return None  # a pattern the module cannot read is not enforced (none in the lab's models today)


def _matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    if compiled is None:
        return True
    try:
        return compiled.fullmatch(value, timeout=PATTERN_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        log.warning("pattern check of a %d-character value timed out; not enforced", len(value))
        return True


# --------------------------------------------------------------------------------------------------- wording
def _join(path: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sentence(violation: Violation) -> str:
    if violation.value is None:
        return f"Value null at '{violation.path}' failed to satisfy constraint: {violation.constraint}"
    return (f"Value '{_shown(violation.value)}' at '{violation.path}' failed to satisfy constraint: "
            f"{violation.constraint}")


def _ec2_error(violation: Violation) -> AwsError:
    # EC2 names the wire parameter: "InstanceId", not Coral's 'instanceId'
    wire = ".".join(part[:1].upper() + part[1:] for part in violation.path.split(".") if part != "member")
    if violation.value is None:
        return AwsError(f"The request must contain the parameter {wire}", code="MissingParameter", status=400,
                        sender_fault=True)
    return AwsError(f"Value ({_shown(violation.value)}) for parameter {wire} is invalid. {violation.constraint}",
                    code="InvalidParameterValue", status=400, sender_fault=True)


_JAVA_TYPES = MappingProxyType({"string": "String", "integer": "Integer", "long": "Long", "boolean": "Boolean",
                                "double": "Double", "float": "Float", "timestamp": "Date", "blob": "ByteBuffer"})


def _mismatch_text(value: Any, shape: Shape) -> str:
    """Coral's SerializationException wording for a JSON value of the wrong type (observed in SDK issue reports,
    e.g. "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String")."""
    if isinstance(value, dict):
        return "Start of structure or map found where not expected."
    if isinstance(value, list):
        return "Start of list found where not expected"
    target = _JAVA_TYPES.get(shape.type_name)
    if target is None:  # a scalar where a structure, list or map belongs
        return f"Unexpected value type in payload: expected {shape.type_name}"
    article = "an" if target[0] in "AEIOU" or target == "String" else "a"
    if isinstance(value, bool):
        source = "class java.lang.Boolean"
    elif isinstance(value, (int, float)):
        source = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber"
    else:
        source = "STRING_VALUE"
    return f"{source} can not be converted to {article} {target}"


def _serialization(message: str) -> AwsError:
    return AwsError(message, code="SerializationException", status=400, sender_fault=True)


# --------------------------------------------------------------------------------------------------- S3 (rest-xml)
_S3_XML_METHODS = ("PUT", "POST")


def validate_s3(operation: str, method: str, headers: dict[str, str], body: bytes, *, bucket: str | None = None) -> None:
    """S3's checks on what the model says of a rest-xml request: enum-valued headers and the XML payload; and S3's own
    checks of a bucket policy (engine.policy.bucket_policy.validate_bucket_policy: MalformedPolicy in S3's words).

    - a header outside its enum is `InvalidArgument` with an empty Message and ArgumentName/ArgumentValue, as S3
      answers `x-amz-acl: privatee` (observed: versity/versitygw#1379); the storage class has its own code,
      `InvalidStorageClass` (S3 API Reference, "Error codes").
    - an XML payload that is not well-formed, carries a DTD, or has the wrong root element is `MalformedXML`
      "The XML you provided was not well-formed or did not validate against our published schema" (same list).
    """
    if operation == "PutBucketPolicy" and bucket:
        try:
            validate_bucket_policy(body.decode("utf-8", "replace"), bucket)
        except MalformedPolicy as refusal:       # the wire carries S3's words only, as S3 answers
            raise AwsError(refusal.aws_message, code="MalformedPolicy", status=400, sender_fault=True) from None
    op = protocols.operation_model("s3", operation)
    if op is None or op.input_shape is None:
        return
    shape = op.input_shape
    for member in shape.members.values():
        if member.serialization.get("location") != "header":
            continue
        enum = getattr(member, "enum", None)
        header = member.serialization.get("name", "").lower()
        value = headers.get(header)
        if not enum or value is None or value in enum:
            continue
        if header == "x-amz-storage-class":
            raise AwsError("The storage class you specified is not valid", code="InvalidStorageClass", status=400,
                           sender_fault=True)
        error = AwsError("", code="InvalidArgument", status=400, sender_fault=True)
        error.extra = {"ArgumentName": header, "ArgumentValue": value}
        raise error
    payload = shape.serialization.get("payload")
    if not payload or method not in _S3_XML_METHODS:
        return
    member = shape.members[payload]
    if not isinstance(member, StructureShape):
        return  # a blob payload (PutObject, UploadPart): any bytes
    if not body.strip():
        if payload in shape.required_members:
            raise malformed_xml()
        if operation in ("PutBucketAcl", "PutObjectAcl") and not any(
                name == "x-amz-acl" or name.startswith("x-amz-grant-") for name in headers):
            error = AwsError("Your request was missing a required header", code="MissingSecurityHeader",
                             status=400, sender_fault=True)
            error.extra = {"MissingHeaderName": "x-amz-acl"}
            raise error
        return
    root = xml_root_name(body)
    if root != member.serialization.get("name", payload):
        raise malformed_xml()


_S3_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
_S3_OBJECT_POSTS = ("uploads", "uploadId", "restore", "select")


def validate_s3_method(method: str, key: str | None, query: dict[str, str], headers: dict[str, str]) -> None:
    """What S3 answers before it looks at the resource: a method it does not serve for the resource, and a bucket
    POST that is not an HTML-form upload (S3 API Reference, "Error codes": MethodNotAllowed, PreconditionFailed)."""
    resource = "OBJECT" if key else "BUCKET"
    if method not in _S3_METHODS or (method == "POST" and key and not any(q in query for q in _S3_OBJECT_POSTS)):
        error = AwsError("The specified method is not allowed against this resource.", code="MethodNotAllowed",
                         status=405, sender_fault=True)
        error.extra = {"Method": method, "ResourceType": resource}
        raise error
    if method == "POST" and not key and "delete" not in query:
        if not headers.get("content-type", "").startswith("multipart/form-data"):
            error = AwsError("At least one of the pre-conditions you specified did not hold", code="PreconditionFailed",
                             status=412, sender_fault=True)
            error.extra = {"Condition": "Bucket POST must be of the enclosure-type multipart/form-data"}
            raise error
        # an HTML-form upload: the lab's lessons sign requests, they do not post forms (lab's choice)
        raise AwsError("The lab's endpoint does not accept browser-based (POST policy) uploads; use PutObject.",
                       code="InvalidRequest", status=400, sender_fault=True)


def xml_root_name(body: bytes) -> str | None:
    """The local name of the document element, or None when `body` is not one well-formed XML document without a
    DTD (S3 accepts no DTD; refusing it also keeps entity expansion out)."""
    from xml.etree import ElementTree

    head = body[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in body.lower():
        return None
    try:
        element = ElementTree.fromstring(body)
    except (ElementTree.ParseError, RecursionError, ValueError):
        return None
    return element.tag.rsplit("}", 1)[-1]


def malformed_xml() -> AwsError:
    return AwsError("The XML you provided was not well-formed or did not validate against our published schema",
                    code="MalformedXML", status=400, sender_fault=True)
