"""GatewayApp: the WSGI app every AWS request of the lab goes through.

authenticate (Lab) -> verify SigV4 -> parse the operation -> authorise it (Lab.authorize_call, the engine decides)
-> STS: answered by Lab.sts and written as STS's query XML; everything else: forwarded to moto in the caller's
account, with S3 bucket names moved into the sandbox's namespace. Every answer carries `x-amzn-RequestId` (S3 also
`x-amz-request-id`), the key under which the Lab keeps the request's authorisation Decision.
"""
from __future__ import annotations

import base64
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlencode

from engine.errors import AwsError
from engine.policy import Decision
from engine.ports import InProcessLabPort
from engine.sts.caller import Caller, RequestMeta

from . import actions, dialects, journal, protocols, s3names, sigv4, trailhook, validation
from .builtin_overrides import default_overrides
from .dialects import aws_error as _error
from .moto_backend import MotoBackend, MotoLookups, MotoRequest
from .operation import OperationCall, OverrideRegistry
from .protocols import Response

log = logging.getLogger(__name__)

# boto3 sends these two unsigned (their model says auth "none"): the assertion/token is the credential.
UNSIGNED_STS_OPERATIONS = frozenset({"AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})
_PRESIGN_PARAMS = frozenset({"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                             "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"})
_MOTO_REQUEST_ID = re.compile(rb"<(RequestId|requestId|RequestID)>[^<]*</\1>")
# Set by the lab's in-page AWS CLI console (challenges/cli_child.py) on every request it signs: the sandbox the
# console belongs to. A key of any other sandbox is refused, so a learner cannot use the console with keys
# copied from someone else. The header only ever narrows what a request may do.
CONSOLE_SANDBOX_HEADER = "x-lab-console-sandbox"


# ------------------------------------------------------------------------------------------------- request
@dataclass
class IncomingRequest:
    method: str
    path: str                      # decoded, relative to the mount point ("/bucket/key")
    raw_path: str                  # as sent and signed, percent-encoded, including the mount prefix
    query_string: str              # raw
    headers: dict[str, str]        # lower-case names
    body: bytes
    source_ip: str = "127.0.0.1"
    secure: bool = False
    # what the handlers learn about the call, for its CloudTrail record (gateway/trailhook.py)
    trail: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @classmethod
    def from_environ(cls, environ: dict[str, Any], mount_path: str = "") -> IncomingRequest:
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].replace("_", "-").lower()] = value
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        if environ.get("CONTENT_LENGTH"):
            headers["content-length"] = environ["CONTENT_LENGTH"]
        body = _read_body(environ)
        script_name = _wsgi_text(environ.get("SCRIPT_NAME", ""))
        path = _wsgi_text(environ.get("PATH_INFO", "")) or "/"
        if mount_path and not script_name and (path == mount_path or path.startswith(mount_path.rstrip("/") + "/")):
            script_name, path = mount_path.rstrip("/"), path[len(mount_path.rstrip("/")):] or "/"
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw_uri:
            raw_path = raw_uri.split("?", 1)[0]
            if "://" in raw_path:  # absolute-form request target
                raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        else:
            raw_path = quote((script_name + path).encode("utf-8"), safe="/~")
        return cls(method=environ.get("REQUEST_METHOD", "GET").upper(), path=path, raw_path=raw_path,
                   query_string=environ.get("QUERY_STRING", ""), headers=headers, body=body,
                   source_ip=environ.get("REMOTE_ADDR", "") or "127.0.0.1",
                   secure=environ.get("wsgi.url_scheme") == "https")


def _wsgi_text(value: str) -> str:
    # PEP 3333 strings are latin-1 decoded bytes; paths are UTF-8 on the wire.
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            return bytes(stream.read(int(length)))
        except ValueError:
            return b""
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


# ------------------------------------------------------------------------------------------------- errors
def unrecognized_service(request: IncomingRequest, protocol: str) -> AwsError:
    """A service the lab does not serve, in the caller's protocol. AWS has no such answer (every service has its
    own endpoint), so the code is the lab's choice: the one each protocol uses for an operation it does not know."""
    scope = sigv4.credential_scope_service(request.headers.get("authorization"), request.query)
    served = ", ".join(sorted(protocols.SERVICE_MODELS))
    message = (f"The lab's AWS endpoint does not serve {scope or 'this service'}; it serves {served}.")
    return _error(dialects.for_protocol(protocol).unknown_service_code, message, 400)


# ------------------------------------------------------------------------------------------------- the app
class GatewayApp:
    """`overrides`: the operations answered by the gateway itself instead of moto (gateway.operation); by default
    a fresh gateway.builtin_overrides.default_overrides(), so adding a handler to one app leaves the others alone."""

    def __init__(self, lab: InProcessLabPort, moto: MotoBackend | None = None, *, lookups: MotoLookups | None = None,
                 mount_path: str = "", now: Callable[[], datetime] | None = None,
                 overrides: OverrideRegistry | None = None) -> None:
        self.lab = lab
        self.moto = moto or MotoBackend()
        self.lookups = lookups or MotoLookups()
        self.overrides = overrides if overrides is not None else default_overrides()
        self.mount_path = mount_path
        self._now = now or (lambda: datetime.now(timezone.utc))

    # WSGI entry point
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        request = IncomingRequest.from_environ(environ, self.mount_path)
        response = self.handle(request)
        status = f"{response.status} {_phrase(response.status)}"
        headers = list(response.headers)
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(len(response.body))))
        start_response(status, headers)
        return [b"" if request.method == "HEAD" else response.body]

    def handle(self, request: IncomingRequest) -> Response:
        service: str | None = None
        # the protocol to answer in when it is not the service's own: a service the lab does not serve (the caller's
        # protocol), or STS asked for JSON
        foreign: str | None = None
        request_id = str(uuid.uuid4())
        try:
            service = self.identify_service(request)
            if service is None:
                foreign = self.caller_protocol(request)
                raise unrecognized_service(request, foreign)
            if service == "s3":
                request_id = uuid.uuid4().hex[:16].upper()  # S3 request ids are 16 hex characters
            if service == "sts":
                if protocols.wants_json(request.headers):
                    foreign = "query-json"
                response = self._sts(request, request_id)
            else:
                response = self._service(service, request, request_id)
        except AwsError as error:
            request.trail["error"] = error
            response = dialects.error_response(service, error, request_id, protocol=foreign)
        except Exception:  # a bug or a moto crash must still answer like AWS, never with a traceback
            log.exception("gateway failure")
            response = dialects.error_response(service, _error("InternalFailure", "The request processing has "
                                                "failed because of an unknown error, exception or failure.", 500),
                                                request_id, protocol=foreign)
        if service is not None:
            trailhook.record(self.lab, request, service, response, request_id)
        response.set_header("x-amzn-RequestId", request_id)
        if service == "s3":
            response.set_header("x-amz-request-id", request_id)
            response.set_header("x-amz-id-2", base64.b64encode(request_id.encode()).decode())
        if service is not None:
            response.decision = self.lab.decision(request_id)
        return response

    # ----------------------------------------------------------------------------------------- routing
    @staticmethod
    def caller_protocol(request: IncomingRequest) -> str:
        query = request.query
        scope_service = sigv4.credential_scope_service(request.headers.get("authorization"), query)
        return protocols.caller_protocol(scope_service, request.headers, query, request.body)

    @staticmethod
    def identify_service(request: IncomingRequest) -> str | None:
        query = request.query
        scope_service = sigv4.credential_scope_service(request.headers.get("authorization"), query)
        if scope_service:
            return protocols.SIGNING_NAMES.get(scope_service)
        if request.headers.get("x-amz-target") and protocols.json_operation(request.headers["x-amz-target"])[0] is None:
            return None  # an unsigned JSON call for a service the lab lacks
        target_service, _ = protocols.json_operation(request.headers.get("x-amz-target"))
        if target_service:
            return target_service
        if "Action" in query:
            return "sts"
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            if b"Action=" in request.body:
                return "sts"  # unsigned query calls: STS federation (or a caller who forgot to sign)
        return "s3"  # anything else unsigned is an anonymous S3 request

    def _meta(self, request: IncomingRequest, request_id: str, region: str | None = None) -> RequestMeta:
        meta = RequestMeta(source_ip=request.source_ip, secure_transport=request.secure, request_id=request_id,
                           user_agent=request.headers.get("user-agent", ""))
        if region:
            meta.region = region
        return meta

    # ----------------------------------------------------------------------------------------- authentication
    def authenticate(self, service: str, request: IncomingRequest, auth: sigv4.SigV4Auth, body: bytes) -> Caller:
        s3 = service == "s3"
        try:
            sigv4.check_time(auth, self._now(), s3=s3)
            caller = self.lab.authenticate(auth.access_key_id, auth.session_token)
            sigv4.verify(auth, caller.secret_access_key, method=request.method, raw_path=request.raw_path,
                         raw_query=request.query_string, headers=request.headers, body=body, s3=s3,
                         now=self._now())
            if auth.presigned:
                # X-Amz-Date has whole seconds: a URL stamped in the second of a fast-forward counts as signed after
                # it (the clock's offset is looked up at the end of that second)
                sandbox = caller.sandbox_id
                second = timedelta(seconds=1)
                signed_at = self.lab.time_at(sandbox, auth.signed_at() + second) - second
                sigv4.check_presigned_on_sandbox_clock(auth, signed_at=signed_at, now=self.lab.now(sandbox), s3=s3)
        except AwsError as error:
            raise dialects.for_service(service).auth_error(error) from None
        self._check_console_sandbox(request, caller.sandbox_id)
        return caller  # type: ignore[no-any-return]  # InProcessLabPort.authenticate answers the engine's Caller as Any

    def _check_console_sandbox(self, request: IncomingRequest, sandbox_id: str | None) -> None:
        console_sandbox = request.headers.get(CONSOLE_SANDBOX_HEADER)
        if console_sandbox is not None and sandbox_id != console_sandbox:
            # The lab's own choice of code and words: AWS has no console tied to a sandbox.
            raise _error("InvalidClientTokenId", "The security token included in the request is invalid: these "
                         "credentials belong to another sandbox, and the lab console only uses your own.", 403)

    # ----------------------------------------------------------------------------------------- STS
    def _sts(self, request: IncomingRequest, request_id: str) -> Response:
        dialect = dialects.QUERY_JSON if protocols.wants_json(request.headers) else dialects.QUERY
        operation, flat = dialect.operation("sts", request)
        auth = sigv4.parse_authorization(request.headers, request.query)
        caller = None
        if auth is None:
            if operation not in UNSIGNED_STS_OPERATIONS:
                raise dialect.missing_authentication()
        else:
            caller = self.authenticate("sts", request, auth, request.body)
        params = protocols.parse_query_params("sts", operation, flat)
        validation.validate("sts", operation, params)
        request.trail.update(operation=operation, caller=caller, params=params,
                             region=(auth.region if auth else None) or "us-east-1")
        if caller is None and request.headers.get(CONSOLE_SANDBOX_HEADER) is not None:
            # unsigned federation calls from the console: the role must be one of the console's sandbox
            role_account = str(params.get("RoleArn", "")).split(":")[4:5]
            owner = self.lab.sandbox_of_account(role_account[0]) if role_account else None
            self._check_console_sandbox(request, owner)
        meta = self._meta(request, request_id, auth.region if auth else None)
        members = self.lab.sts(operation, caller, params, meta).members()   # the result as the model names it
        request.trail["result"] = members             # what CloudTrail's responseElements are made from
        return dialect.result("sts", operation, members, request_id)

    # ----------------------------------------------------------------------------------------- other services
    def _service(self, service: str, request: IncomingRequest, request_id: str) -> Response:
        if service == "s3" and (request.headers.get("authorization", "").startswith("AWS ")
                                or ("AWSAccessKeyId" in request.query and "Signature" in request.query)):
            # Signature Version 2: what S3 answers in the regions that accept only SigV4
            raise _error("InvalidRequest", "The authorization mechanism you have provided is not supported. "
                         "Please use AWS4-HMAC-SHA256.", 400)
        dialect = dialects.for_service(service)
        auth = sigv4.parse_authorization(request.headers, request.query)
        body = request.body
        if auth is None:
            raise dialect.missing_authentication()
        if service == "s3":
            body = self._s3_payload(request)
        caller = self.authenticate(service, request, auth, request.body)
        meta = self._meta(request, request_id, auth.region)
        if service == "s3":
            return self._s3(request, caller, auth, body, meta)
        parsed = dialect.parse(service, request)
        operation, params = parsed.operation, parsed.params
        validation.validate(service, operation, params)
        region = auth.region or "us-east-1"
        caller_account = caller.account
        request.trail.update(operation=operation, caller=caller, params=params, region=region)
        targets = self._targets(service, operation, params, caller, region)
        self._authorize(service, caller, targets, meta, display=self._display_resource(service, params))
        account = targets[0].resource_account if service == "secretsmanager" and targets else caller_account
        account = account or caller_account

        forward_body = request.body
        if service == "iam" and operation in actions.SELF_USER_OPERATIONS and not params.get("UserName"):
            user_name = caller.user_name
            if user_name is None or caller.principal.kind != "user":
                # AWS: GetUser & co. without UserName only work for IAM users
                raise _error("ValidationError", "Must specify userName when calling with non-User credentials", 400)
            # moto would look the user up by access key; name him explicitly instead
            forward_body = request.body + b"&UserName=" + quote(user_name, safe="").encode()
            params["UserName"] = user_name

        if service == "ec2" and request.body:
            forward_body = ec2_without_valueless_filters(request.body, parsed.flat)

        def forward(body: bytes | None = None) -> Response:
            return self._forward(service, request, account, request_id, body=forward_body if body is None else body)

        handler = self.overrides.get(service, operation)
        if handler is not None:
            return handler(OperationCall(self.lab, self.lookups, service, operation, params, caller, account, region,
                                         request_id, forward, forward_body))
        return forward()

    def _targets(self, service: str, operation: str, params: dict[str, Any], caller: Caller,
                 region: str) -> list[actions.AuthzTarget]:
        account = caller.account
        if service == "iam":
            user_arn = caller.principal.arn if caller.principal.kind == "user" else None
            return actions.iam_targets(operation, params, account=account, caller_user_arn=user_arn,
                                       lookups=self.lookups)
        if service == "ec2":
            return actions.ec2_targets(operation, params, account=account, region=region, lookups=self.lookups)
        if service == "secretsmanager":
            return actions.secretsmanager_targets(operation, params, account=account, region=region,
                                                  lookups=self.lookups)
        prefix = actions.ACTION_PREFIXES.get(service, service)
        return [actions.AuthzTarget(f"{prefix}:{operation}", "*", account)]

    @staticmethod
    def _display_resource(service: str, params: dict[str, Any]) -> str | None:
        # Secrets Manager echoes the SecretId as sent ("... on resource: simple_bank because ..."), observed in
        # public error logs; the policy is still evaluated against the secret's ARN.
        if service == "secretsmanager" and params.get("SecretId"):
            return str(params["SecretId"])
        return None

    def _authorize(self, service: str, caller: Caller, targets: list[actions.AuthzTarget], meta: RequestMeta, *,
                   display: str | None = None) -> None:
        for target in targets:
            decision = self.lab.authorize_call(caller, target.action, target.resource, target.resource_account,
                                               resource_policy=target.resource_policy,
                                               extra_context=target.context or None, request_meta=meta)
            # (the Lab records each Decision under meta.request_id itself)
            if not decision.allowed:
                raise self.access_denied(service, caller, target, decision, meta.request_id, display=display)

    def encoded_failure_message(self, caller: Caller, request_id: str, decision: Decision) -> str:
        """EC2's opaque "Encoded authorization failure message"; sts:DecodeAuthorizationMessage reads it back."""
        return self.lab.encode_authorization_failure(caller, decision)

    def access_denied(self, service: str, caller: Caller, target: actions.AuthzTarget, decision: Decision,
                      request_id: str, *, display: str | None = None) -> AwsError:
        """The service's access denial: AWS's sentence with its reason (IAM UG, "Access denied error messages"), as
        the Decision words it, naming `display` instead of the evaluated resource when the service echoes what the
        caller sent."""
        sentence = decision.access_denied_message(with_reason=True)
        if display is not None:
            sentence = sentence.replace(f" on resource: {decision.request.resource}", f" on resource: {display}", 1)
        # S3 explains a refusal to callers of the same account or the same organization (S3 User Guide, "Troubleshoot
        # access denied (403 Forbidden) errors"): only a caller from elsewhere gets the bare words
        context = decision.request.context
        same_org = bool(context.get("aws:PrincipalOrgID")) and \
            context.get("aws:PrincipalOrgID") == context.get("aws:ResourceOrgID")
        cross_account = bool(target.resource_account) and target.resource_account != caller.account and not same_org
        return dialects.for_service(service).access_denied(
            sentence, cross_account=cross_account,
            encoded=lambda: self.encoded_failure_message(caller, request_id, decision))

    # ----------------------------------------------------------------------------------------- S3
    @staticmethod
    def _s3_payload(request: IncomingRequest) -> bytes:
        encoding = request.headers.get("content-encoding", "")
        declared = request.headers.get("x-amz-content-sha256", "")
        if "aws-chunked" in encoding or declared.startswith("STREAMING-"):
            payload, _ = sigv4.decode_aws_chunked(request.body)
            return payload
        return request.body

    def _s3(self, request: IncomingRequest, caller: Caller, auth: sigv4.SigV4Auth, payload: bytes,
            meta: RequestMeta) -> Response:
        sandbox = caller.sandbox_id
        host_bucket = s3names.bucket_from_host(request.headers.get("host"))
        bucket: str | None
        if host_bucket:
            bucket, key = host_bucket, (request.path[1:] or None)
        else:
            bucket, key = s3names.split_path(request.path)   # (None, None) for the service root
        query = request.query
        call = actions.classify_s3(request.method, bucket, key, query, request.headers)
        if bucket:
            validation.validate_s3_method(request.method, key, query, request.headers)
        request.trail.update(operation=call.operation, caller=caller, region=auth.region or "us-east-1",
                             s3=(bucket, key))
        stored = s3names.stored_name(sandbox, bucket) if bucket else None
        found = self.lookups.bucket(stored) if stored else None
        owner, policy = found if found else (None, None)
        headers, copy_source = s3names.stored_headers(sandbox, request.headers)
        copy_owner = self.lookups.bucket(s3names.stored_name(sandbox, copy_source[0])) if copy_source else None
        targets = actions.s3_targets(call, caller_account=caller.account, owner=owner, policy=policy, query=query,
                                     headers=headers, body=payload, copy_source=copy_source,
                                     copy_source_owner=copy_owner)
        self._authorize("s3", caller, targets, meta)
        validation.validate_s3(call.operation, request.method, request.headers, payload, bucket=bucket)
        path = s3names.stored_path(sandbox, bucket, key)
        response = self._forward("s3", request, owner or caller.account, meta.request_id, body=payload, path=path,
                                 headers=headers)
        return self._restore_s3(sandbox, call, response)

    @staticmethod
    def _restore_s3(sandbox: str | None, call: actions.S3Call, response: Response) -> Response:
        response.headers, response.body = s3names.restore_response(sandbox, call.operation, response.status,
                                                                   response.headers, response.body)
        if (call.operation != "GetObject" or response.status >= 300) and "xml" in (response.header("Content-Type")
                                                                                 or "xml"):
            # S3 writes a key's control characters as &#x1; references, which XML 1.0 parsers refuse (S3 UG,
            # "Object key naming guidelines": "XML related object key constraints"); the lab keeps the listing
            # parseable instead (EncodingType=url still gives the exact key).
            response.body = protocols.xml_safe_bytes(response.body)
        if call.operation != "HeadObject":
            response.headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        return response

    # ----------------------------------------------------------------------------------------- forwarding
    def _forward(self, service: str, request: IncomingRequest, account: str, request_id: str, *, body: bytes,
                 path: str | None = None, headers: dict[str, str] | None = None) -> Response:
        headers = dict(headers or request.headers)
        query_string = request.query_string
        if "X-Amz-Signature" in query_string:
            query_string = "&".join(p for p in query_string.split("&") if p.split("=", 1)[0] not in _PRESIGN_PARAMS)
        if service == "s3" and ("aws-chunked" in headers.get("content-encoding", "")
                                or headers.get("x-amz-content-sha256", "").startswith("STREAMING-")):
            _, trailers = sigv4.decode_aws_chunked(request.body)
            encodings = [e for e in headers.get("content-encoding", "").split(",") if e.strip() not in ("aws-chunked", "")]
            headers.pop("content-encoding", None)
            if encodings:
                headers["content-encoding"] = ",".join(encodings)
            for name in ("x-amz-decoded-content-length", "x-amz-trailer"):
                headers.pop(name, None)
            headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
            headers.update({k: v for k, v in trailers.items() if k.startswith("x-amz-checksum-")})
        # moto picks its backend from the credential scope; presigned requests have no Authorization header.
        signing = protocols.service_model(service).signing_name
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential=LAB/20000101/us-east-1/{signing}/aws4_request, "
                                    "SignedHeaders=host, Signature=0")
        headers.pop("x-amz-security-token", None)
        try:
            moto_response = self.moto.call(MotoRequest(request.method, path or request.path, query_string, headers,
                                                       body), account)
        except NotImplementedError:
            raise dialects.for_service(service).not_implemented(request.method) from None
        except Exception as crash:  # noqa: BLE001 - only moto runs inside this try
            # Input that passed the model's validation but that moto cannot read (it checks less than AWS and
            # assumes well-formed members). Lab's choice: a sender error naming the problem, never a 500.
            log.warning("moto could not process %s %s: %r", service, request.method, crash)
            missing = crash.args[0] if isinstance(crash, KeyError) and crash.args else None
            if isinstance(missing, str) and missing and missing.encode() in body + request.raw_path.encode():
                raise dialects.for_service(service).not_found(service, missing) from None
            raise dialects.for_service(service).refused(body) from None
        response = Response(moto_response.status, [
            (k, v) for k, v in moto_response.headers
            if k.lower() not in ("x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "content-length", "server",
                                 "date", "access-control-allow-origin")
            or (k.lower() == "content-length" and request.method == "HEAD")
        ], moto_response.body)
        dialect = dialects.for_service(service)
        dialect.tidy_forwarded(response)
        if service != "s3" and moto_response.status == 404 and b"Not yet implemented" in moto_response.body:
            raise _error("InvalidAction", "The lab's AWS emulator does not implement this operation.", 400)
        if service != "s3" and "xml" in (response.header("Content-Type") or "xml"):
            response.body = protocols.xml_safe_bytes(response.body)
        if moto_response.status < 300 and journal.has_sink():
            journal.record(self.lab.sandbox_of_account(account), service, dialect.forwarded_operation(
                           headers, body, query_string), account, request.method, path or request.path, query_string, headers, body,
                           moto_response.body)
        if service != "s3":
            response.body = _MOTO_REQUEST_ID.sub(lambda m: b"<%s>%s</%s>" % (m.group(1), request_id.encode(),
                                                                               m.group(1)), response.body)
        return response


def ec2_without_valueless_filters(body: bytes, flat: dict[str, str]) -> bytes:
    """EC2 accepts a filter with a Name and no Values ("the attribute has some value", aws/aws-cli#1735); moto
    crashes on it. Every resource in the lab's world has the attributes such a filter names, so the lab drops the
    filter before moto sees it (a choice: tag filters without values then match untagged resources too)."""
    valueless = {key[:-len(".Name")] for key in flat
                 if key.startswith("Filter.") and key.endswith(".Name") and f"{key[:-len('.Name')]}.Value.1" not in flat}
    if not valueless:
        return body
    kept: dict[str, str] = {}
    numbers: dict[str, int] = {}  # moto reads Filter.1, Filter.2, ... until the first gap: renumber
    for key, value in flat.items():
        if not key.startswith("Filter."):
            kept[key] = value
            continue
        index, _, rest = key[len("Filter."):].partition(".")
        if f"Filter.{index}" in valueless:
            continue
        number = numbers.setdefault(index, len(numbers) + 1)
        kept[f"Filter.{number}.{rest}" if rest else f"Filter.{number}"] = value
    return urlencode(kept).encode()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
