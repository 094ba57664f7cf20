"""A seeded request fuzzer for the gateway: properly signed (SigV4, so requests get past authentication and reach
the handlers), shaped from botocore's service models, then broken on purpose (missing members, wrong types,
overlong, control characters, deep nesting, huge numbers, bogus enums, non-XML bodies).

Each generated request is sent to the gateway's WSGI callable in-process (the same path the Django mount and the
HTTP server use). `check_answer` is the property under test: never a 5xx, and an error body that parses in its
content type.
"""
from __future__ import annotations

import io
import json
import random
import string
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote, urlencode, urlsplit
from xml.etree import ElementTree

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import ListShape, MapShape, Shape, StructureShape

from gateway import protocols

HOST = "127.0.0.1:8200"
NASTY_STRINGS = [
    "", " ", "\x00", "a\x00b", "\x01\x02\x1f", "\t\r\n", "x" * 5000, "<x>&amp;</x>", "]]>", "'\"", "☃", "\u202e",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "{}", "[[[", "null", "-1", "1e309",
    "9" * 400, "arn:aws:iam::123456789012:role/x", "arn:aws:iam::x", "arn:", "*", "../..", "%00", "%", "a/b",
    "Stmt", "[" * 20000, '{"Version":"2012-10-17","Statement":[]}', '{"Statement":[{"Effect":"Allow"}]}', "i-", "i-zzz",
]
WELL_FORMED: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "sts": [("GetCallerIdentity", {}), ("GetSessionToken", {"DurationSeconds": 900})],
    "iam": [("ListUsers", {}), ("GetUser", {"UserName": "target"}), ("ListRoles", {})],
    "ec2": [("DescribeInstances", {}), ("DescribeVpcs", {})],
    "secretsmanager": [("ListSecrets", {})],
    "sso-admin": [("ListInstances", {})],
    "identitystore": [("ListUsers", {"IdentityStoreId": "d-1234567890"})],
    "organizations": [("DescribeOrganization", {}), ("ListRoots", {}), ("CreateOrganization", {"FeatureSet": "ALL"}),
                      ("CreatePolicy", {"Name": "p", "Description": "d", "Type": "SERVICE_CONTROL_POLICY",
                                        "Content": '{"Version":"2012-10-17","Statement":[]}'})],
}
SERVICES = ["sts", "iam", "ec2", "secretsmanager", "sso-admin", "identitystore", "organizations", "s3"]
QUERY_VERSIONS = {"sts": "2011-06-15", "iam": "2010-05-08", "ec2": "2016-11-15"}


@dataclass
class FuzzRequest:
    service: str
    label: str          # operation or a short description, for failure reports
    method: str
    path: str           # raw, percent-encoded
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Fuzzer:
    def __init__(self, seed: int, names: dict[str, list[str]]) -> None:
        self.rng = random.Random(seed)
        self.names = names  # realistic values to mix in: user/role/bucket/secret names that exist

    # ------------------------------------------------------------------------------------------- values
    def string(self, shape: Shape | None = None, member: str = "") -> str:
        rng = self.rng
        enum = getattr(shape, "enum", None) if shape is not None else None
        roll = rng.random()
        if enum and roll < 0.5:
            return rng.choice(enum)
        if roll < 0.35:
            return rng.choice(NASTY_STRINGS)
        for hint, pool in self.names.items():
            if hint in member.lower() and pool and roll < 0.7:
                return rng.choice(pool)
        return "".join(rng.choice(string.ascii_letters + string.digits + "-_.") for _ in range(rng.randint(1, 24)))

    def value(self, shape: Shape, member: str = "", depth: int = 0) -> Any:
        rng = self.rng
        if isinstance(shape, StructureShape):
            if depth > 4:
                return {}
            result = {}
            required = set(shape.required_members)
            for name, sub in shape.members.items():
                if (name in required and rng.random() < 0.9) or rng.random() < 0.35:
                    result[name] = self.value(sub, name, depth + 1)
            return result
        if isinstance(shape, ListShape):
            return [self.value(shape.member, member, depth + 1) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        if isinstance(shape, MapShape):
            return {self.string(shape.key): self.value(shape.value, member, depth + 1)
                    for _ in range(rng.choice([0, 1, 2]))}
        kind = shape.type_name
        if kind in ("integer", "long"):
            return rng.choice([0, 1, -1, 900, 3600, 3599, 43201, 10 ** 30, -(10 ** 20), 2 ** 31, 7])
        if kind in ("float", "double"):
            return rng.choice([0.5, -1.0, 1e308, 3.0])
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "timestamp":
            return rng.choice(["2026-01-01T00:00:00Z", "yesterday", 0, 1.5e12])
        if kind == "blob":
            return rng.choice(["aGVsbG8=", "not base64!", ""])
        return self.string(shape, member)

    def wrong_type(self) -> Any:
        return self.rng.choice([123, -5, 1.5, True, None, [], {}, [1, "a"], {"a": {"b": []}}, "text", 10 ** 40])

    def mutate_json(self, params: dict[str, Any]) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            return rng.choice([[], "string", 42, None, [params]])
        if not params or roll < 0.2:
            return {}
        key = rng.choice(list(params))
        if roll < 0.5:
            params[key] = self.wrong_type()
        elif roll < 0.7:
            del params[key]
        elif roll < 0.8:
            params["Unexpected" + key] = self.wrong_type()
        return params

    # ------------------------------------------------------------------------------------------- requests
    def request(self) -> FuzzRequest:
        service = self.rng.choice(SERVICES)
        if service != "s3" and self.rng.random() < 0.08:  # now and then a well-formed call, to reach the handlers
            operation, params = self.rng.choice(WELL_FORMED[service])
            if protocols.PROTOCOLS[service] == "json":
                return self.json_request(service, operation, dict(params), mutate=False)
            return self.query_request(service, operation, dict(params), ec2=service == "ec2", mutate=False)
        if service == "s3":
            return self.s3_request()
        protocol = protocols.PROTOCOLS[service]
        model = protocols.service_model(service)
        operations = list(model.operation_names)
        if self.rng.random() < 0.05:
            operation = self.rng.choice(["NoSuchOperation", "", "Get", "assumerole", "X" * 300])
        else:
            operation = self.rng.choice(operations)
        op = protocols.operation_model(service, operation)
        params = self.value(op.input_shape) if op is not None and op.input_shape is not None else {}
        if protocol == "json":
            return self.json_request(service, operation, params)
        return self.query_request(service, operation, params, ec2=protocol == "ec2")

    def json_request(self, service: str, operation: str, params: dict[str, Any], mutate: bool = True) -> FuzzRequest:
        rng = self.rng
        model = protocols.service_model(service)
        roll = rng.random() if mutate else 1.0
        if roll < 0.04:
            body = b"[" * rng.choice([100, 2000, 20000])
        elif roll < 0.08:
            body = rng.choice([b"{", b"not json", b"\xff\xfe", b'{"a":' + b"1" * 5000 + b"}", b""])
        else:
            body = json.dumps(self.mutate_json(params) if mutate and rng.random() < 0.6 else params).encode()
        prefix = model.metadata.get("targetPrefix", service)
        headers = {"Content-Type": f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}",
                   "X-Amz-Target": f"{prefix}.{operation}"}
        return FuzzRequest(service, operation, "POST", "/", "", headers, body)

    def query_request(self, service: str, operation: str, params: dict[str, Any], *, ec2: bool,
                      mutate: bool = True) -> FuzzRequest:
        rng = self.rng
        flat: dict[str, str] = {"Action": operation, "Version": QUERY_VERSIONS[service]}
        op = protocols.operation_model(service, operation)
        if op is not None and op.input_shape is not None:
            _flatten(op.input_shape, params, "", flat, ec2)
        keys = [k for k in flat if k not in ("Action", "Version")]
        if mutate and keys and rng.random() < 0.5:
            key = rng.choice(keys)
            choice = rng.random()
            if choice < 0.4:
                del flat[key]
            elif choice < 0.8:
                flat[key] = rng.choice(NASTY_STRINGS + ["abc", "true", "1" * 4400])
            else:
                flat[key + ".member.1"] = "x"
        if mutate and rng.random() < 0.05:
            flat["Version"] = rng.choice(["", "1999-01-01"])
        body = urlencode(flat).encode()
        if mutate and rng.random() < 0.03:
            body = rng.choice([b"\xff\xfe=\x00", b"Action=" + operation.encode() + b"&&&==&%zz"])
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return FuzzRequest(service, operation or "(empty)", "POST", "/", "", headers, body)

    def s3_request(self) -> FuzzRequest:
        rng = self.rng
        bucket = rng.choice(self.names.get("bucket", ["fuzz-bucket"]) + ["no-such-bucket-x", "Bad_Bucket", "a"])
        key = rng.choice(["obj.txt", "dir/file", "a b", "ünï", "k\x01", "%", "x" * 1100, ""])
        subresources = ["", "acl", "tagging", "policy", "cors", "lifecycle", "versioning", "encryption", "website",
                        "logging", "notification", "replication", "ownershipControls", "publicAccessBlock",
                        "uploads", "delete", "location", "list-type=2", "versions", "object-lock", "accelerate",
                        "requestPayment", "intelligent-tiering", "analytics", "inventory", "metrics", "retention",
                        "legal-hold", "attributes", "uploadId=nope", "partNumber=1&uploadId=nope", "torrent",
                        "restore", "select&select-type=2"]
        sub = rng.choice(subresources)
        method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD", "GET", "PUT", "OPTIONS", "PATCH"])
        on_object = rng.random() < 0.5 and key
        path = f"/{bucket}" + (f"/{quote(key, safe='/')}" if on_object else "")
        body = rng.choice([b"", b"hello", b"{not xml}", b"<", b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet>"
                           b"</Tagging>", b"<?xml version='1.0'?><Wrong/>",
                           b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", b"<a>" * 3000, b"\x00\xff" * 10,
                           b"<CORSConfiguration><CORSRule></CORSRule></CORSConfiguration>",
                           b"<VersioningConfiguration><Status>Bogus</Status></VersioningConfiguration>",
                           b"<Delete><Object></Object></Delete>", b"<Policy>{}</Policy>", b'{"Version": 1}'])
        headers: dict[str, str] = {}
        if rng.random() < 0.3:
            headers[rng.choice(["x-amz-acl", "x-amz-storage-class", "x-amz-server-side-encryption",
                                "x-amz-object-lock-mode", "x-amz-tagging", "x-amz-copy-source", "Range",
                                "Content-MD5", "x-amz-metadata-directive", "x-amz-grant-read",
                                "x-amz-object-ownership", "x-amz-checksum-algorithm"])] = rng.choice(
                ["bogus", "", "private", "bytes=9-1", "fuzz-bucket/obj.txt", "/no/such", "a\x01b", "STANDARD",
                 "k=v&&=", "zzz=="])
        return FuzzRequest("s3", f"{method} {sub or '-'}", method, path, sub, headers, body)


def _flatten(shape: Shape, value: Any, prefix: str, flat: dict[str, str], ec2: bool) -> None:
    """botocore's query/ec2 serialisation, lenient about wrong value types (the fuzzer breaks them on purpose)."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, sub in shape.members.items():
            if name in value:
                key = protocols.member_key(name, sub, ec2)
                _flatten(sub, value[name], f"{prefix}.{key}" if prefix else key, flat, ec2)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        if not value:
            flat[prefix] = ""
        item = prefix if ec2 or shape.serialization.get("flattened") else (
            f"{prefix}.{shape.member.serialization.get('name', 'member')}")
        for index, entry in enumerate(value, 1):
            _flatten(shape.member, entry, f"{item}.{index}", flat, ec2)
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for index, (k, v) in enumerate(value.items(), 1):
            flat[f"{prefix}.entry.{index}.key"] = str(k)
            _flatten(shape.value, v, f"{prefix}.entry.{index}.value", flat, ec2)
    elif isinstance(value, bool):
        flat[prefix] = "true" if value else "false"
    elif value is not None and not isinstance(value, (dict, list)):
        flat[prefix] = str(value)


# ----------------------------------------------------------------------------------------------- sending
def sign(request: FuzzRequest, credentials: Credentials) -> dict[str, str]:
    url = f"http://{HOST}{request.path}" + (f"?{request.query}" if request.query else "")
    aws = AWSRequest(request.method, url, data=request.body, headers=dict(request.headers))
    signing_name = protocols.service_model(request.service).signing_name
    if request.service == "s3":
        aws.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        S3SigV4Auth(credentials, signing_name, "us-east-1").add_auth(aws)
    else:
        SigV4Auth(credentials, signing_name, "us-east-1").add_auth(aws)
    headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in aws.headers.items()}
    headers["Host"] = urlsplit(aws.url).netloc
    return headers


def send(app: Callable[..., Any], method: str, path: str, query: str, headers: dict[str, str],
         body: bytes) -> Answer:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8200", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "CONTENT_LENGTH": str(len(body)),
        "RAW_URI": path + (f"?{query}" if query else ""),
    }
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "content-type":
            environ["CONTENT_TYPE"] = value
        elif lowered != "content-length":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = {k.lower(): v for k, v in response_headers}

    chunks = app(environ, start_response)
    return Answer(captured["status"], captured["headers"], b"".join(chunks))


def check_answer(answer: Answer, method: str = "GET") -> str | None:
    """None when the answer is acceptable; else what is wrong with it."""
    if answer.status >= 500:
        return f"HTTP {answer.status}: {answer.body[:300]!r}"
    content_type = answer.headers.get("content-type", "")
    if method == "HEAD" or not answer.body:
        return None
    if answer.status < 300 and not ("xml" in content_type or "json" in content_type):
        return None  # an object body, a PNG, ...
    try:
        if "json" in content_type:
            json.loads(answer.body)
        else:
            ElementTree.fromstring(answer.body)
    except (ValueError, ElementTree.ParseError) as error:
        return f"unparseable {content_type} body ({error}): {answer.body[:300]!r}"
    return None
