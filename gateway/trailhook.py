"""The gateway's CloudTrail hook: after every answered call, hand what the gateway learnt to the Lab's Trail.

GatewayApp's handlers note the operation, caller, parameters and (for STS) the result in `request.trail`; this module
turns that and the response into an engine.cloudtrail.ApiCall. Which calls are recorded follows the IAM User Guide
("Logging IAM and AWS STS API calls with AWS CloudTrail"): authenticated calls, plus the unsigned
AssumeRoleWithSAML / AssumeRoleWithWebIdentity. A request that never authenticated names no account and is not
recorded (AWS logs no event for an unknown access key either).
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

from engine.cloudtrail import ApiCall

from .journal import created_access_key

log = logging.getLogger(__name__)

_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")
_ROLE_ACCOUNT = re.compile(r"^arn:aws:iam::(\d{12}):role/")
UNSIGNED_STS = ("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity")


def record(lab: Any, request: Any, service: str, response: Any, request_id: str) -> None:
    trail = getattr(lab, "trail", None)
    note = request.trail
    operation = note.get("operation")
    if trail is None or not operation:
        return
    try:
        _record(lab, trail, request, service, response, request_id, note, operation)
    except Exception:  # recording must never change the answer the caller gets
        log.exception("could not record a CloudTrail event for %s:%s", service, operation)


def _record(lab: Any, trail: Any, request: Any, service: str, response: Any, request_id: str, note: dict[str, Any],
            operation: str) -> None:
    caller = note.get("caller")
    params = dict(note.get("params") or {})
    role_account = None
    match = _ROLE_ACCOUNT.match(str(params.get("RoleArn") or ""))
    if match:
        role_account = match.group(1)
    role_sandbox = lab.sandbox_of_account(role_account) if role_account else None
    if caller is not None:
        sandbox_id = caller.sandbox_id
    elif operation in UNSIGNED_STS and role_account:
        sandbox_id = role_sandbox
    else:
        return
    if not sandbox_id:
        return
    if role_account is not None and role_sandbox != sandbox_id:
        role_account = None   # never write into another sandbox's accounts
    error = note.get("error")
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    if error is None and response.status >= 400:
        code, message = _error_of(response.body)
    resources: list[tuple[str, str, str | None]] = []
    if operation.startswith("AssumeRole") and params.get("RoleArn"):
        resources.append(("AWS::IAM::Role", str(params["RoleArn"]), role_account))
    if operation == "AssumeRoleWithSAML" and params.get("PrincipalArn"):
        resources.append(("AWS::IAM::SAMLProvider", str(params["PrincipalArn"]), role_account))
    if service == "s3":
        bucket, key = note.get("s3") or (None, None)
        params = {"bucketName": bucket, "Host": request.headers.get("host", "")}
        if key:
            params["key"] = key
            resources.append(("AWS::S3::Object", f"arn:aws:s3:::{bucket}/{key}", None))
        if bucket:
            resources.append(("AWS::S3::Bucket", f"arn:aws:s3:::{bucket}", None))
    recipient = None
    if caller is None and role_account:
        recipient = role_account   # federation: the role's account receives the event [IAM-CT table]
    result = note.get("result")
    if result is None and service == "iam" and operation == "CreateAccessKey" and response.status < 400:
        result = _created_key(response.body)
        # LookupEvents lists the key and its user among the event's Resources, as CloudTrail does; the lab derives
        # those from the record's resources, so the record carries them too (the key id in place of an ARN)
        if result:
            resources.append(("AWS::IAM::AccessKey", result["AccessKeyId"], None))
            if result.get("UserName"):
                resources.append(("AWS::IAM::User", result["UserName"], None))
    call = ApiCall(service=service, operation=operation, sandbox_id=sandbox_id, caller=caller, params=params,
                   result=result, error_code=code, error_message=message,
                   region=note.get("region") or "us-east-1", source_ip=request.source_ip,
                   user_agent=request.headers.get("user-agent", ""), request_id=request_id, resources=resources,
                   recipient_account=recipient)
    trail.record(call, now=lab.now(sandbox_id), role_account=role_account)


def _created_key(body: bytes) -> dict[str, Any] | None:
    """What moto's CreateAccessKey answer says about the key it made (its secret never leaves this function)."""
    found = created_access_key(body)
    if not found:
        return None
    result: dict[str, Any] = {name: value for name, value in found.items() if name != "SecretAccessKey"}
    if result.get("CreateDate"):
        try:
            result["CreateDate"] = datetime.fromisoformat(result["CreateDate"].replace("Z", "+00:00"))
        except ValueError:
            pass
    return result


def _error_of(body: bytes) -> tuple[str | None, str | None]:
    """The error code and message of an answer from moto (XML or JSON)."""
    code = _XML_CODE.search(body or b"")
    if code:
        message = _XML_MESSAGE.search(body)
        return code.group(1).decode("utf-8", "replace"), (message.group(1).decode("utf-8", "replace")
                                                          if message else "")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return "InternalFailure", ""
    if isinstance(data, dict):
        return str(data.get("__type", "")).rsplit("#", 1)[-1] or None, str(data.get("message") or
                                                                           data.get("Message") or "")
    return None, None
