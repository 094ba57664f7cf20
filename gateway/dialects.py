"""One class per AWS wire protocol the lab speaks: how a request names its operation and parameters, how a result,
an error and an access denial are written. GatewayApp asks `for_service(service)` (or `for_protocol(name)`, for a
caller of a service the lab does not serve) instead of branching on protocol names.

- `QueryDialect` ("query": STS, IAM): Action=... form parameters, <OperationResponse> XML, <ErrorResponse>.
- `Ec2Dialect` ("ec2"): the query protocol with EC2's own list members, error envelope and auth codes.
- `QueryJsonDialect` ("query-json"): a query API answering in JSON (STS with `Accept: application/json`).
- `RestXmlDialect` ("rest-xml": S3): the operation from method, path and query; moto writes the results.
- `JsonDialect` ("json": Secrets Manager, SSO Admin, Identity Store, CloudTrail): X-Amz-Target and a JSON body.
- `RestJsonDialect` ("rest-json": Access Analyzer): the operation from method and path, a JSON body; also the error
  shape for callers of a rest-json service the lab does not serve.

The codes and wordings are AWS's where the comments cite a source, the lab's choice where they say so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from engine.errors import AwsError
from engine.sts.results import StsResult

from . import protocols, sigv4
from .protocols import Response, escape


def members(result: dict[str, Any] | StsResult) -> dict[str, Any]:
    return result.members() if isinstance(result, StsResult) else result


def aws_error(code: str, message: str, status: int) -> AwsError:
    return AwsError(message, code=code, status=status, sender_fault=status < 500)


@dataclass
class ParsedOperation:
    """What a request names: the operation and its typed parameters (`flat` keeps the query form's raw pairs)."""
    operation: str
    params: dict[str, Any]
    flat: dict[str, str] = field(default_factory=dict)


_NOT_IMPLEMENTED = "The lab's AWS emulator does not implement this operation."
_EMULATOR_REFUSED = "The lab's AWS emulator could not process the parameters of this request."


class Dialect:
    """The query protocol's answers are the defaults; each other protocol overrides what it says differently."""

    name = "query"
    # a service the lab does not serve, in this protocol: the code each uses for an operation it does not know
    unknown_service_code = "InvalidAction"

    # ---- requests
    def operation(self, service: str, request: Any) -> tuple[str, dict[str, str]]:
        """The operation a request names (refused when the service's model lacks it) and its raw parameters."""
        flat = protocols.parse_form(request.body, request.query_string)
        operation = flat.get("Action", "")
        if protocols.operation_model(service, operation) is None:
            raise self.unknown_operation(service, operation, flat)
        return operation, flat

    def parse(self, service: str, request: Any) -> ParsedOperation:
        operation, flat = self.operation(service, request)
        return ParsedOperation(operation, protocols.parse_query_params(service, operation, flat), flat)

    def unknown_operation(self, service: str, operation: str, flat: dict[str, str]) -> AwsError:
        version = flat.get("Version", "2011-06-15" if service == "sts" else "")
        return aws_error("InvalidAction", f"Could not find operation {operation} for version {version}", 400)

    # ---- answers
    def result(self, service: str, operation: str, result: dict[str, Any] | StsResult, request_id: str) -> Response:
        """An operation's answer: an override's members, or an STS result (engine.sts.results), written from its
        members."""
        return protocols.query_result(service, operation, members(result), request_id)

    def forwarded_operation(self, headers: dict[str, str], body: bytes, query_string: str) -> str:
        """The operation a request forwarded to moto names, for the journal (S3: "", its method is enough)."""
        return protocols.parse_form(body, query_string).get("Action", "")

    def tidy_forwarded(self, response: Response) -> None:
        """Put right what moto writes differently from this protocol in a forwarded answer."""

    def error(self, service: str | None, error: AwsError, request_id: str, *, foreign: bool = False) -> Response:
        namespace = protocols.XML_NAMESPACES.get(service or "sts", protocols.XML_NAMESPACES["sts"])
        kind = "Sender" if error.sender_fault else "Receiver"
        opening = "<ErrorResponse>" if foreign else f'<ErrorResponse xmlns="{namespace}">'
        body = (f'{opening}<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>'
                f"<Message>{escape(error.message)}</Message></Error><RequestId>{request_id}</RequestId>"
                "</ErrorResponse>")
        return Response(error.status, [("Content-Type", "text/xml")], body.encode())

    def access_denied(self, sentence: str, *, cross_account: bool, encoded: Any = None) -> AwsError:
        """`sentence` is Decision.access_denied_message(with_reason=True); `encoded()` EC2's encoded message."""
        return aws_error("AccessDenied", sentence, 403)

    # ---- the errors each protocol names its own way
    def auth_error(self, error: AwsError) -> AwsError:
        """Each service names authentication failures its own way; the Lab speaks STS/IAM's dialect."""
        return error

    def missing_authentication(self) -> AwsError:
        return aws_error("MissingAuthenticationToken", "Request is missing Authentication Token", 403)

    def not_implemented(self, method: str) -> AwsError:
        """An operation moto does not implement. AWS implements them all; the wording is the lab's."""
        return aws_error("InvalidAction", _NOT_IMPLEMENTED, 400)

    def not_found(self, service: str, name: str) -> AwsError:
        """moto looked up a name or id from the request and did not find it (a KeyError it does not catch). The
        codes are each service's not-found codes; the wording is the lab's, except Secrets Manager's (AWS's own)."""
        return aws_error("NoSuchEntity", f"The entity {name} cannot be found.", 404)

    def refused(self, body: bytes) -> AwsError:
        return aws_error("ValidationError", _EMULATOR_REFUSED, 400)


class QueryDialect(Dialect):
    name = "query"


class QueryJsonDialect(QueryDialect):
    """A query API's answers in JSON, as aws-iam-authenticator asks STS for them (`Accept: application/json`)."""

    name = "query-json"

    def result(self, service: str, operation: str, result: dict[str, Any] | StsResult, request_id: str) -> Response:
        return protocols.query_result_json(operation, members(result), request_id)

    def error(self, service: str | None, error: AwsError, request_id: str, *, foreign: bool = False) -> Response:
        # a query API's error in JSON, as STS sends it (observed: double-break/spapi-php#44)
        kind = "Sender" if error.sender_fault else "Receiver"
        body = json.dumps({"Error": {"Code": error.code, "Message": error.message, "Type": kind},
                           "RequestId": request_id})
        return Response(error.status, [("Content-Type", "application/json")], body.encode())


class Ec2Dialect(QueryDialect):
    name = "ec2"

    def unknown_operation(self, service: str, operation: str, flat: dict[str, str]) -> AwsError:
        return aws_error("InvalidAction", f"The action {operation} is not valid for this web service.", 400)

    def error(self, service: str | None, error: AwsError, request_id: str, *, foreign: bool = False) -> Response:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(error.code)}</Code>'
                f"<Message>{escape(error.message)}</Message></Error></Errors><RequestID>{request_id}</RequestID>"
                "</Response>")
        return Response(error.status, [("Content-Type", "text/xml;charset=UTF-8")], body.encode())

    def access_denied(self, sentence: str, *, cross_account: bool, encoded: Any = None) -> AwsError:
        return aws_error("UnauthorizedOperation", "You are not authorized to perform this operation. "
                         f"{sentence}. Encoded authorization failure message: {encoded()}", 403)

    def auth_error(self, error: AwsError) -> AwsError:
        if error.code in ("InvalidClientTokenId", "SignatureDoesNotMatch"):
            return aws_error("AuthFailure", "AWS was not able to validate the provided access credentials", 401)
        if error.code == "ExpiredToken":  # observed: hellofresh/eks-rolling-update#103
            return aws_error("RequestExpired", "Request has expired.", 400)
        return error

    def not_found(self, service: str, name: str) -> AwsError:
        return aws_error("InvalidParameterValue", f"The resource '{name}' does not exist.", 400)

    def refused(self, body: bytes) -> AwsError:
        return aws_error("InvalidParameterValue", _EMULATOR_REFUSED, 400)


class RestXmlDialect(Dialect):
    """S3. The operation comes from method, bucket, key and query (gateway.actions.classify_s3, in GatewayApp._s3);
    the results are moto's own XML."""

    name = "rest-xml"
    unknown_service_code = "InvalidRequest"

    def operation(self, service: str, request: Any) -> tuple[str, dict[str, str]]:
        raise NotImplementedError("S3 names its operation by method, bucket, key and query (actions.classify_s3)")

    def result(self, service: str, operation: str, result: dict[str, Any] | StsResult, request_id: str) -> Response:
        raise NotImplementedError("S3's answers are moto's own XML")

    def forwarded_operation(self, headers: dict[str, str], body: bytes, query_string: str) -> str:
        return ""

    def error(self, service: str | None, error: AwsError, request_id: str, *, foreign: bool = False) -> Response:
        extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in (error.extra or {}).items())
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(error.code)}</Code>'
                f"<Message>{escape(error.message)}</Message>{extra}<RequestId>{request_id}</RequestId>"
                f"<HostId>{request_id}</HostId></Error>")
        return Response(error.status, [("Content-Type", "application/xml")], body.encode())

    def access_denied(self, sentence: str, *, cross_account: bool, encoded: Any = None) -> AwsError:
        # S3 adds the reason only for requests from the bucket owner's account (same account or organisation);
        # cross-account denials stay "Access Denied" (S3 UG, "Troubleshoot access denied (403 Forbidden) errors").
        return aws_error("AccessDenied", "Access Denied" if cross_account else sentence, 403)

    def auth_error(self, error: AwsError) -> AwsError:
        code = error.code
        if code == "InvalidClientTokenId":
            return aws_error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
                             403)
        if code == "ExpiredToken":  # S3 wording, observed: romange/helio#15
            return aws_error("ExpiredToken", "The provided token has expired.", 400)
        if code == "SignatureDoesNotMatch":
            return aws_error("SignatureDoesNotMatch", sigv4.S3_SIGNATURE_MISMATCH
                             if error.message == sigv4.SIGNATURE_MISMATCH else error.message, 403)
        if code in ("InvalidToken", "InvalidClientToken"):
            return aws_error("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)
        return error

    def missing_authentication(self) -> AwsError:
        return aws_error("AccessDenied", "Access Denied", 403)

    def not_implemented(self, method: str) -> AwsError:
        if method not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
            # S3's answer to a method it does not support (S3 API Reference, "Error codes": MethodNotAllowed)
            return aws_error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        return aws_error("NotImplemented", _NOT_IMPLEMENTED, 400)

    def not_found(self, service: str, name: str) -> AwsError:
        return aws_error("NoSuchKey", "The specified key does not exist.", 404)

    def refused(self, body: bytes) -> AwsError:
        if body:
            return aws_error("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                             "our published schema", 400)
        return aws_error("InvalidRequest", _EMULATOR_REFUSED, 400)


class JsonDialect(Dialect):
    name = "json"
    unknown_service_code = "UnknownOperationException"

    def operation(self, service: str, request: Any) -> tuple[str, dict[str, str]]:
        _, operation = protocols.json_operation(request.headers.get("x-amz-target"))
        operation = operation or ""
        if protocols.operation_model(service, operation) is None:
            raise unknown_json_operation(operation)
        return operation, {}

    def parse(self, service: str, request: Any) -> ParsedOperation:
        operation, _ = self.operation(service, request)
        return ParsedOperation(operation, protocols.parse_json_body(request.body))

    def result(self, service: str, operation: str, result: dict[str, Any] | StsResult, request_id: str) -> Response:
        return protocols.json_result(members(result))

    def forwarded_operation(self, headers: dict[str, str], body: bytes, query_string: str) -> str:
        return protocols.json_operation(headers.get("x-amz-target"))[1] or ""

    def tidy_forwarded(self, response: Response) -> None:
        if not (response.header("Content-Type") or "").startswith("application/x-amz-json"):
            response.set_header("Content-Type", "application/x-amz-json-1.1")  # moto says text/html for some

    def error(self, service: str | None, error: AwsError, request_id: str, *, foreign: bool = False) -> Response:
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        return Response(error.status, [("Content-Type", "application/x-amz-json-1.1"),
                                       ("x-amzn-ErrorType", error.code)], body)

    def access_denied(self, sentence: str, *, cross_account: bool, encoded: Any = None) -> AwsError:
        return aws_error("AccessDeniedException", sentence, 400)

    def auth_error(self, error: AwsError) -> AwsError:
        code = error.code
        if code in ("InvalidClientTokenId", "InvalidToken", "InvalidClientToken"):
            return aws_error("UnrecognizedClientException", "The security token included in the request is invalid.",
                             400)
        if code == "ExpiredToken":
            return aws_error("ExpiredTokenException", "The security token included in the request is expired", 400)
        if code == "SignatureDoesNotMatch":
            return aws_error("InvalidSignatureException", error.message, 400)
        return error

    def missing_authentication(self) -> AwsError:
        return aws_error("MissingAuthenticationTokenException", "Missing Authentication Token", 403)

    def not_implemented(self, method: str) -> AwsError:
        return aws_error("UnknownOperationException", _NOT_IMPLEMENTED, 400)

    def not_found(self, service: str, name: str) -> AwsError:
        if service == "secretsmanager":
            return aws_error("ResourceNotFoundException", "Secrets Manager can't find the specified secret.", 400)
        return aws_error("ResourceNotFoundException", f"The resource {name} does not exist.", 400)

    def refused(self, body: bytes) -> AwsError:
        return aws_error("ValidationException", _EMULATOR_REFUSED, 400)


class RestJsonDialect(JsonDialect):
    """Access Analyzer (its policy checks, answered by gateway.policy_tools), and the error shape for callers of a
    rest-json service the lab does not serve."""

    name = "rest-json"

    def operation(self, service: str, request: Any) -> tuple[str, dict[str, str]]:
        operation = protocols.rest_json_operation(service, request.method, request.path)
        if operation is None:
            raise aws_error("UnknownOperationException", f"The lab's AWS endpoint does not serve {request.method} "
                            f"{request.path} for {service}.", 404)
        return operation, {}

    def parse(self, service: str, request: Any) -> ParsedOperation:
        operation, _ = self.operation(service, request)
        params = protocols.parse_json_body(request.body)
        params.update(protocols.rest_json_query_params(service, operation, request.query))
        return ParsedOperation(operation, params)

    def result(self, service: str, operation: str, result: dict[str, Any] | StsResult, request_id: str) -> Response:
        return protocols.rest_json_result(members(result))

    def forwarded_operation(self, headers: dict[str, str], body: bytes, query_string: str) -> str:
        return ""

    def access_denied(self, sentence: str, *, cross_account: bool, encoded: Any = None) -> AwsError:
        # Access Analyzer's AccessDeniedException is a 403 (botocore's model: error httpStatusCode 403)
        return aws_error("AccessDeniedException", sentence, 403)

    def error(self, service: str | None, error: AwsError, request_id: str, *, foreign: bool = False) -> Response:
        body = json.dumps({"message": error.message}).encode()
        return Response(error.status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.code)], body)


def unknown_json_operation(operation: str) -> AwsError:
    # What AWS's JSON front end answers for an X-Amz-Target it does not know (no message of its own).
    return aws_error("UnknownOperationException",
                     f"The operation {operation or '(none)'} is not known to this service.", 400)


QUERY, QUERY_JSON, EC2, REST_XML, JSON, REST_JSON = (QueryDialect(), QueryJsonDialect(), Ec2Dialect(),
                                                     RestXmlDialect(), JsonDialect(), RestJsonDialect())
DIALECTS: Mapping[str, Dialect] = MappingProxyType({d.name: d for d in (QUERY, QUERY_JSON, EC2, REST_XML, JSON,
                                                                         REST_JSON)})


def for_protocol(name: str | None) -> Dialect:
    """The dialect of a protocol name (botocore's metadata names); anything else speaks the query protocol."""
    return DIALECTS.get(name or "query", QUERY)


def for_service(service: str | None) -> Dialect:
    """The dialect of a service the lab serves (gateway.protocols.PROTOCOLS); an unknown one speaks query."""
    return for_protocol(protocols.PROTOCOLS.get(service or "", "query"))


def error_response(service: str | None, error: AwsError, request_id: str, *, protocol: str | None = None) -> Response:
    """`error` in the shape of `service`'s protocol, or of `protocol` when the service is not one the lab serves."""
    if protocol is not None:
        return for_protocol(protocol).error(service, error, request_id, foreign=True)
    return for_service(service).error(service, error, request_id)
