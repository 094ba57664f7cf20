"""AWS wire protocols: parse requests into typed parameters and write results the way AWS does (gateway.dialects
writes errors and denials, one class per protocol, on top of this module).

Parsing and writing are driven by botocore's service models, so parameter names, list encodings
(`Tags.member.1.Key`, EC2's `InstanceId.1`), integers and booleans come out exactly as the SDKs expect.
- query (STS, IAM): form body `Action=...&Version=...`; answers `<OpResponse xmlns=..><OpResult>..` and errors
  `<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error><RequestId>..`.
- ec2: like query but flattened lists; errors `<Response><Errors><Error>..</Error></Errors><RequestID>..`.
- json (Secrets Manager, SSO Admin, Identity Store, CloudTrail, Organizations): `X-Amz-Target: Prefix.Operation`; errors
  `{"__type": code, "message": ..}` with `x-amzn-ErrorType`.
- rest-json (Access Analyzer): the operation from method and path, a JSON body; errors `{"message": ..}` with
  `x-amzn-ErrorType`.
- rest-xml (S3): errors `<Error><Code>..</Code><Message>..</Message><RequestId>..</RequestId></Error>`.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl
import re
from xml.sax.saxutils import escape as _xml_escape

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from engine.errors import AwsError

# Our name for each service -> the botocore model name. The signing name in a SigV4 scope maps onto these.
SERVICE_MODELS = MappingProxyType({
    "sts": "sts", "iam": "iam", "s3": "s3", "ec2": "ec2", "secretsmanager": "secretsmanager",
    "sso-admin": "sso-admin", "identitystore": "identitystore", "cloudtrail": "cloudtrail",
    "organizations": "organizations", "accessanalyzer": "accessanalyzer",
})
# Credential-scope service -> our service name (SSO Admin signs as "sso": botocore sso-admin signingName).
SIGNING_NAMES = MappingProxyType({
    "sts": "sts", "iam": "iam", "s3": "s3", "ec2": "ec2", "secretsmanager": "secretsmanager",
    "sso": "sso-admin", "identitystore": "identitystore", "cloudtrail": "cloudtrail",
    "organizations": "organizations", "access-analyzer": "accessanalyzer",
})
PROTOCOLS = MappingProxyType({"sts": "query", "iam": "query", "ec2": "ec2", "s3": "rest-xml", "secretsmanager": "json",
                              "sso-admin": "json", "identitystore": "json", "cloudtrail": "json",
                              "organizations": "json", "accessanalyzer": "rest-json"})
JSON_TARGET_PREFIXES = MappingProxyType({"secretsmanager": "secretsmanager", "SWBExternalService": "sso-admin",
                                         "AWSIdentityStore": "identitystore",
                                         "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": "cloudtrail",
                                         "AWSOrganizationsV20161128": "organizations"})
XML_NAMESPACES = MappingProxyType({"sts": "https://sts.amazonaws.com/doc/2011-06-15/",
                                   "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
                                   "ec2": "http://ec2.amazonaws.com/doc/2016-11-15/"})


# Characters XML 1.0 cannot carry even as a character reference (&#0; is not well-formed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NOT_XML_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape(text: str) -> str:
    """XML text. AWS escapes what XML can carry; the control characters it cannot carry are written here as
    \\uXXXX (the lab's choice: readable, and the answer stays well-formed for every SDK's parser)."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group(0)):04x}", _xml_escape(text))


def xml_safe_bytes(body: bytes) -> bytes:
    """The same for an XML body written by moto, which echoes input unescaped."""
    return _NOT_XML_BYTES.sub(lambda m: b"\\u%04x" % m.group(0)[0], body)


@lru_cache(maxsize=1)
def botocore_session() -> botocore.session.Session:
    """One botocore session (and its loaders/model cache) per process: making them costs tens of ms."""
    return botocore.session.get_session()


@lru_cache(maxsize=None)
def service_model(service: str) -> ServiceModel:
    return botocore_session().get_service_model(SERVICE_MODELS[service])


@lru_cache(maxsize=None)
def operation_model(service: str, operation: str) -> OperationModel | None:
    model = service_model(service)
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation)


def header_value(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header `name` (case-insensitive) in a WSGI-style header list."""
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # The Decision that explains the request (Lab.decision), for in-process callers (gateway.client): it travels
    # with the response instead of being looked up by request id. Never written to the wire.
    decision: Any = None

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def set_header(self, name: str, value: str) -> None:
        lowered = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lowered]
        self.headers.append((name, value))


# ---------------------------------------------------------------------------------------------------- parsing
def parse_form(body: bytes, query_string: str) -> dict[str, str]:
    """Flat query-protocol parameters: the query string, then the form body (body wins)."""
    params = dict(parse_qsl(query_string, keep_blank_values=True))
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise AwsError("The request body is not valid UTF-8 form data.", code="MalformedQueryString",
                           status=400, sender_fault=True) from None
        params.update(parse_qsl(text, keep_blank_values=True))
    return params


def parse_query_params(service: str, operation: str, flat: dict[str, str]) -> dict[str, Any]:
    """Typed input from flat query parameters (e.g. Tags.member.1.Key=k -> {"Tags": [{"Key": "k"}]})."""
    op = operation_model(service, operation)
    if op is None or op.input_shape is None:
        return {}
    ec2 = PROTOCOLS[service] == "ec2"
    return _parse_structure(op.input_shape, flat, "", ec2) or {}


def member_key(name: str, shape: Shape, ec2: bool) -> str:
    if ec2:
        if "queryName" in shape.serialization:
            return str(shape.serialization["queryName"])
        if "name" in shape.serialization:
            label = shape.serialization["name"]
            return str(label[0].upper() + label[1:])
        return name
    return str(shape.serialization.get("name", name))


def _parse_value(shape: Shape, flat: dict[str, str], prefix: str, ec2: bool) -> Any:
    if isinstance(shape, StructureShape):
        return _parse_structure(shape, flat, prefix + ".", ec2)
    if isinstance(shape, ListShape):
        return _parse_list(shape, flat, prefix, ec2)
    if isinstance(shape, MapShape):
        return _parse_map(shape, flat, prefix, ec2)
    if prefix not in flat:
        return None
    return _scalar(shape, flat[prefix], prefix)


def _scalar(shape: Shape, text: str, name: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise AwsError(f"1 validation error detected: Value '{text}' at '{_lower_first(name)}' failed to "
                           "satisfy constraint: Member must be a number", code="ValidationError",
                           status=400, sender_fault=True) from None
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            raise AwsError(f"Value '{text}' for parameter {name} is not a number", code="ValidationError",
                           status=400, sender_fault=True) from None
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "blob":
        try:
            return base64.b64decode(text)
        except ValueError:
            return text.encode()
    return text


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _parse_structure(shape: StructureShape, flat: dict[str, str], prefix: str, ec2: bool) -> dict[str, Any] | None:
    result: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = _parse_value(member, flat, prefix + member_key(name, member, ec2), ec2)
        if value is not None:
            result[name] = value
    return result or None


def _parse_list(shape: ListShape, flat: dict[str, str], prefix: str, ec2: bool) -> list[Any] | None:
    if ec2 or shape.serialization.get("flattened"):
        item_prefix = prefix
    else:
        item_prefix = prefix + "." + shape.member.serialization.get("name", "member")
    items = []
    index = 1
    while True:
        value = _parse_value(shape.member, flat, f"{item_prefix}.{index}", ec2)
        if value is None:
            break
        items.append(value)
        index += 1
    if not items and prefix in flat and flat[prefix] == "":
        return []  # "Name=" sends an explicitly empty list
    return items or None


def _parse_map(shape: MapShape, flat: dict[str, str], prefix: str, ec2: bool) -> dict[str, Any] | None:
    entry = prefix if shape.serialization.get("flattened") else prefix + ".entry"
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    result = {}
    index = 1
    while f"{entry}.{index}.{key_name}" in flat:
        value = _parse_value(shape.value, flat, f"{entry}.{index}.{value_name}", ec2)
        result[flat[f"{entry}.{index}.{key_name}"]] = value
        index += 1
    return result or None


def parse_json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: "[" * 20000
        raise AwsError("Start of structure or map found where not expected.", code="SerializationException",
                       status=400, sender_fault=True) from None
    if not isinstance(value, dict):
        raise AwsError("Start of structure or map found where not expected.", code="SerializationException",
                       status=400, sender_fault=True)
    return value


def caller_protocol(signing_name: str | None, headers: dict[str, str], query: dict[str, str], body: bytes) -> str:
    """The wire protocol a client speaks, for a service the lab does not serve: botocore's model of the service its
    credential scope names, else what the request looks like (an X-Amz-Target means the JSON protocol)."""
    model = _known_model(signing_name) if signing_name else None
    if model is not None:
        return str(model.metadata.get("protocol", "query"))
    content_type = headers.get("content-type", "")
    if headers.get("x-amz-target") or "x-amz-json" in content_type:
        return "json"
    if content_type.startswith("application/json"):
        return "rest-json"
    if "Action" in query or (content_type.startswith("application/x-www-form-urlencoded") and b"Action=" in body):
        return "query"
    return "rest-xml"


@lru_cache(maxsize=64)
def _known_model(name: str) -> ServiceModel | None:
    if not re.fullmatch(r"[a-z0-9-]{1,64}", name):
        return None
    loader = botocore_session().get_component("data_loader")
    if name not in loader.list_available_services("service-2"):
        return None
    return botocore_session().get_service_model(name)


def json_operation(target: str | None) -> tuple[str | None, str | None]:
    """X-Amz-Target "secretsmanager.GetSecretValue" -> ("secretsmanager", "GetSecretValue")."""
    if not target or "." not in target:
        return None, None
    prefix, operation = target.rsplit(".", 1)   # CloudTrail's prefix has dots of its own
    return JSON_TARGET_PREFIXES.get(prefix), operation


# ---------------------------------------------------------------------------------------------------- writing
def xml_timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return str(value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _write_value(parts: list[str], shape: Shape, tag: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(shape, StructureShape):
        parts.append(f"<{tag}>")
        for name, member in shape.members.items():
            if name in value:
                _write_value(parts, member, member.serialization.get("name", name), value[name])
        parts.append(f"</{tag}>")
    elif isinstance(shape, ListShape):
        item_tag = shape.member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            for item in value:
                _write_value(parts, shape.member, tag, item)
        else:
            parts.append(f"<{tag}>")
            for item in value:
                _write_value(parts, shape.member, item_tag, item)
            parts.append(f"</{tag}>")
    elif isinstance(shape, MapShape):
        parts.append(f"<{tag}>")
        for key, item in value.items():
            parts.append("<entry>")
            _write_value(parts, shape.key, "key", key)
            _write_value(parts, shape.value, "value", item)
            parts.append("</entry>")
        parts.append(f"</{tag}>")
    else:
        kind = shape.type_name
        if kind == "timestamp":
            text = xml_timestamp(value)
        elif kind == "boolean":
            text = "true" if value else "false"
        elif kind == "blob":
            text = base64.b64encode(value if isinstance(value, bytes) else str(value).encode()).decode()
        else:
            text = escape(str(value))
        parts.append(f"<{tag}>{text}</{tag}>")


def query_result(service: str, operation: str, result: dict[str, Any], request_id: str) -> Response:
    """The query-protocol XML answer for an operation's output dict (STS, IAM)."""
    op = operation_model(service, operation)
    namespace = XML_NAMESPACES[service]
    parts = [f'<{operation}Response xmlns="{namespace}">']
    if op is not None and op.output_shape is not None:
        wrapper = op.output_shape.serialization.get("resultWrapper", f"{operation}Result")
        parts.append(f"<{wrapper}>")
        for name, member in op.output_shape.members.items():
            if name in result:
                _write_value(parts, member, member.serialization.get("name", name), result[name])
        parts.append(f"</{wrapper}>")
    parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>")
    return Response(200, [("Content-Type", "text/xml")], "".join(parts).encode())


def wants_json(headers: dict[str, str]) -> bool:
    """A query-protocol caller asking for JSON, as aws-iam-authenticator asks STS (`Accept: application/json`)."""
    return "application/json" in headers.get("accept", "").lower()


def query_result_json(operation: str, result: dict[str, Any], request_id: str) -> Response:
    """The JSON form of a query-protocol answer, the shape aws-iam-authenticator decodes (pkg/token/token.go,
    getCallerIdentityWrapper): {"GetCallerIdentityResponse": {"GetCallerIdentityResult": {...},
    "ResponseMetadata": {"RequestId": ...}}}."""
    body = {f"{operation}Response": {f"{operation}Result": result, "ResponseMetadata": {"RequestId": request_id}}}
    return Response(200, [("Content-Type", "application/json")], json.dumps(body, default=_json_default).encode())


def rest_json_operation(service: str, method: str, path: str) -> str | None:
    """The operation of a rest-json service that a method and path name (botocore's requestUri; the operations the
    lab serves have no labels in their paths)."""
    for name in service_model(service).operation_names:
        http = service_model(service).operation_model(name).http
        uri = http.get("requestUri", "").split("?", 1)[0]
        if http.get("method") == method and "{" not in uri and uri.rstrip("/") == path.rstrip("/"):
            return str(name)
    return None


def rest_json_query_params(service: str, operation: str, query: dict[str, str]) -> dict[str, Any]:
    """The members a rest-json operation takes in its query string (ValidatePolicy's maxResults and nextToken)."""
    model = service_model(service).operation_model(operation)
    params: dict[str, Any] = {}
    for name, shape in (model.input_shape.members.items() if model.input_shape is not None else ()):
        if shape.serialization.get("location") != "querystring":
            continue
        raw = query.get(shape.serialization.get("name", name))
        if raw is not None:
            params[name] = _scalar(shape, raw, name)
    return params


def rest_json_result(result: dict[str, Any]) -> Response:
    return Response(200, [("Content-Type", "application/json")], json.dumps(result, default=_json_default).encode())


def json_result(result: dict[str, Any], service: str = "secretsmanager") -> Response:
    return Response(200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(result, default=_json_default).encode())


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)
