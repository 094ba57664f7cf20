"""CloudTrail for the lab: every answered AWS call becomes an event in AWS's record format, on the sandbox clock.

Sources (cited by the tests in tests/engine/test_cloudtrail_records.py):
- [CT-RECORD] CloudTrail User Guide, "CloudTrail record contents" (cloudtrail-event-reference-record-contents).
- [CT-USERID] CloudTrail User Guide, "CloudTrail userIdentity element" (types, sessionContext, sessionIssuer,
  webIdFederationData, "Values for AWS STS APIs with SAML and web identity federation").
- [IAM-CT] IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail" (cloudtrail-integration): the
  example events for cross-account AssumeRole (one event per account, a shared `sharedEventID`), role chaining,
  AssumeRoleWithSAML and AssumeRoleWithWebIdentity; which identity each account sees.
- [CT-LOOKUP] CloudTrail API Reference, LookupEvents, and botocore's cloudtrail/2013-11-01 model.

The pieces:
- `ApiCall`: what the gateway knows about one answered call (caller, operation, parameters, result or error).
- `build_records(call, ...)`: the CloudTrail record(s) for it (two for a cross-account AssumeRole).
- `Trail`: per-process recorder. Records go to a pending buffer that web processes drain into the database
  (`drain`), and to an `EventStore` that answers LookupEvents. The default store is `MemoryEventStore` (the gateway's
  own, bounded per sandbox); the web layer plugs its database store in with `use_store` when it runs in-process.
  `engine.ports.TrailPort` is what web processes may call on a remote gateway's Trail.
- `parse_lookup(params)`: LookupEvents' parameters checked the way CloudTrail does, as a `LookupQuery`.
- `trace(...)` and `detect(...)`: pure functions over records (trace a session back; detections).
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Protocol

from engine.errors import AwsError

EVENT_VERSION = "1.08"
# The gateway keeps this many recent events per sandbox for LookupEvents when it has no database behind it
# (remote mode); the web layer's database keeps more (trail.models.RETENTION_PER_SANDBOX).
MEMORY_RETENTION_PER_SANDBOX = 5_000
# Events recorded but not yet persisted by a web process; beyond this the oldest are dropped (and counted).
PENDING_LIMIT = 50_000
MAX_LOOKUP_RESULTS = 50
# CloudTrail's Event history covers the last 90 days [CT-LOOKUP].
LOOKUP_WINDOW = timedelta(days=90)

EVENT_SOURCES = {
    "sts": "sts.amazonaws.com", "iam": "iam.amazonaws.com", "s3": "s3.amazonaws.com", "ec2": "ec2.amazonaws.com",
    "secretsmanager": "secretsmanager.amazonaws.com", "sso-admin": "sso.amazonaws.com",
    "identitystore": "identitystore.amazonaws.com", "cloudtrail": "cloudtrail.amazonaws.com",
    "signin": "signin.amazonaws.com",
}
# S3 object-level operations are data events [CT-RECORD "eventCategory"; CloudTrail UG "Logging data events"].
S3_DATA_OPERATIONS = {
    "GetObject", "PutObject", "DeleteObject", "DeleteObjects", "HeadObject", "CopyObject", "GetObjectAcl",
    "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAttributes",
    "ListObjects", "ListObjectsV2", "ListObjectVersions", "CreateMultipartUpload", "UploadPart",
    "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "RestoreObject", "SelectObjectContent",
}
# Parameters never written to a record: credentials and one-time codes. The SAML assertion is replaced by its ID,
# as AWS logs `sAMLAssertionID` [IAM-CT SAML example]; the web identity token is not logged [IAM-CT web identity
# example]; the MFA code is a lab choice (AWS documents no example with it).
_SECRET_PARAMS = {"SAMLAssertion", "WebIdentityToken", "TokenCode", "SecretAccessKey", "SecretString",
                  "SecretBinary", "Password", "OldPassword", "NewPassword", "AuthenticationCode1",
                  "AuthenticationCode2", "Body", "ProviderId"}
# maps whose keys are data (tag keys), not member names: written as they came [IAM-CT SAML example principalTags]
_MAP_PARAMS = {"PrincipalTags", "IncomingTransitiveTags"}
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "Decode")
LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId")


# ------------------------------------------------------------------------------------------------ the call
@dataclass
class ApiCall:
    """One answered call, as the gateway saw it. `caller` is an engine.sts.caller.Caller (None when unsigned)."""
    service: str
    operation: str
    sandbox_id: str | None
    caller: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None     # STS result members (responseElements come from them)
    error_code: str | None = None
    error_message: str | None = None
    region: str = "us-east-1"
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    request_id: str = ""
    # resources the call touched: [(type, arn-or-name, account)] e.g. ("AWS::IAM::Role", arn, account)
    resources: list[tuple[str, str, str | None]] = field(default_factory=list)
    recipient_account: str | None = None     # the account whose trail gets the event (default: the caller's)
    additional: dict[str, Any] | None = None  # additionalEventData
    identity: dict[str, Any] | None = None    # a ready userIdentity (AWS service / federation / sign-in events)
    event_type: str = "AwsApiCall"
    event_source: str | None = None


@dataclass
class StoredEvent:
    """A record plus the columns lookups filter on. JSON-safe through to_dict/from_dict (it crosses processes)."""
    sandbox_id: str
    account_id: str
    seq: int
    event_id: str
    event_time: datetime
    event_name: str
    event_source: str
    username: str
    access_key_id: str
    read_only: bool
    error_code: str
    category: str                           # "Management" | "Data"
    resources: list[dict[str, str]]          # [{"ResourceType", "ResourceName"}]
    record: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"sandbox_id": self.sandbox_id, "account_id": self.account_id, "seq": self.seq,
                "event_id": self.event_id, "event_time": iso(self.event_time), "event_name": self.event_name,
                "event_source": self.event_source, "username": self.username, "access_key_id": self.access_key_id,
                "read_only": self.read_only, "error_code": self.error_code, "category": self.category,
                "resources": self.resources, "record": self.record}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StoredEvent":
        values = dict(data)
        values["event_time"] = parse_iso(values["event_time"])
        return cls(**{k: values[k] for k in cls.__dataclass_fields__})

    def lookup_view(self) -> dict[str, Any]:
        """LookupEvents' Event shape [CT-LOOKUP]: CloudTrailEvent is the record as a JSON string."""
        view: dict[str, Any] = {"EventId": self.event_id, "EventName": self.event_name,
                                "ReadOnly": "true" if self.read_only else "false", "EventTime": self.event_time,
                                "EventSource": self.event_source, "Resources": list(self.resources),
                                "CloudTrailEvent": json.dumps(self.record)}
        if self.access_key_id:
            view["AccessKeyId"] = self.access_key_id
        if self.username:
            view["Username"] = self.username
        return view


# ------------------------------------------------------------------------------------------------ formatting
def iso(when: datetime) -> str:
    if when.utcoffset():
        when = when.astimezone(timezone.utc)
    # formatted by hand: this runs for every recorded call, and strftime is several times slower
    return (f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:"
            f"{when.second:02d}Z")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def console_date(when: datetime) -> str:
    """STS credentials' `expiration` as CloudTrail writes it: "Oct 2, 2019 11:12:29 PM" [IAM-CT]."""
    when = when.astimezone(timezone.utc)
    hour = when.hour % 12 or 12
    return (f"{_MONTHS[when.month - 1]} {when.day}, {when.year} {hour}:{when.minute:02d}:{when.second:02d} "
            f"{'AM' if when.hour < 12 else 'PM'}")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=4096)
def lower_camel(name: str) -> str:
    """CloudTrail writes API member names with a lower-case first letter (RoleArn -> roleArn, SAMLAssertionID ->
    sAMLAssertionID) [IAM-CT]."""
    return name[:1].lower() + name[1:]


def _camel_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {lower_camel(str(k)): _camel_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_camel_value(v) for v in value]
    if isinstance(value, datetime):
        return console_date(value)
    if isinstance(value, (bytes, bytearray)):
        return None
    return value


def request_parameters(params: dict[str, Any]) -> dict[str, Any] | None:
    if not params:
        return None
    out = {lower_camel(k): (dict(v) if k in _MAP_PARAMS else _camel_value(v))
           for k, v in params.items() if k not in _SECRET_PARAMS and v is not None}
    return out or None


def is_read_only(service: str, operation: str) -> bool:
    # STS calls issue credentials but change no resource: AWS records them readOnly true (lab reading of AWS's
    # recorded events; [CT-RECORD] defines readOnly only by example).
    if service == "sts":
        return True
    return operation.startswith(_READ_PREFIXES)


# ------------------------------------------------------------------------------------------------ userIdentity
def identity_of(caller: Any) -> dict[str, Any]:
    """The userIdentity element for an authenticated caller [CT-USERID]."""
    principal = caller.principal
    session = getattr(caller, "session", None)
    account = caller.account
    if principal.kind == "root":
        identity = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                    "accountId": account, "accessKeyId": caller.access_key_id}
        if session is not None:
            identity["sessionContext"] = _session_attributes(session)
        return identity
    if principal.kind == "user":
        identity = {"type": "IAMUser", "principalId": principal.userid, "arn": principal.arn, "accountId": account,
                    "accessKeyId": caller.access_key_id, "userName": caller.user_name or principal.username}
        if session is not None:   # GetSessionToken credentials: the user's identity with a session [IAM-CT table]
            identity["sessionContext"] = _session_attributes(session)
        return identity
    if principal.kind == "federated-user" and session is not None:
        issuer_type = "Root" if session.is_root else "IAMUser"
        issuer_arn = f"arn:aws:iam::{account}:root" if session.is_root else \
            f"arn:aws:iam::{account}:user/{session.user_name}"
        return {"type": "FederatedUser", "principalId": principal.userid, "arn": principal.arn, "accountId": account,
                "accessKeyId": caller.access_key_id,
                "sessionContext": {"sessionIssuer": {"type": issuer_type, "principalId": account if session.is_root
                                                     else (session.extra.get("issuer_user_id") or ""),
                                                     "arn": issuer_arn, "accountId": account,
                                                     "userName": session.user_name or "root"},
                                   "attributes": _session_attributes(session)["attributes"]}}
    # role sessions (AssumeRole, AssumeRoleWithSAML / WebIdentity, instance roles)
    context: dict[str, Any] = {}
    if session is not None:
        context["sessionIssuer"] = {"type": "Role", "principalId": session.role_id, "arn": session.role_arn,
                                    "accountId": session.account, "userName": session.role_name}
        if session.origin == "AssumeRoleWithWebIdentity":
            context["webIdFederationData"] = {"federatedProvider": session.federated_provider or "",
                                              "attributes": {}}
        else:
            context["webIdFederationData"] = {}
        context["attributes"] = _session_attributes(session)["attributes"]
        if session.source_identity:
            context["sourceIdentity"] = session.source_identity
        if session.service == "ec2.amazonaws.com":
            # AWS writes 1.0 / 2.0 for credentials delivered through IMDSv1 / IMDSv2; the lab serves IMDSv2 only
            context["ec2RoleDelivery"] = "2.0"
    return {"type": "AssumedRole", "principalId": principal.userid, "arn": principal.arn, "accountId": account,
            "accessKeyId": caller.access_key_id, "sessionContext": context}


def _session_attributes(session: Any) -> dict[str, Any]:
    return {"attributes": {"creationDate": iso(session.issued_at),
                           "mfaAuthenticated": "true" if session.mfa_authenticated_at else "false"}}


def _username(identity: dict[str, Any], record: dict[str, Any]) -> str:
    """LookupEvents' Username: the user name, or the session name for a role session (lab reading of the console)."""
    kind = identity.get("type")
    if kind in ("IAMUser", "SAMLUser", "WebIdentityUser"):
        return identity.get("userName") or ""
    if kind == "Root":
        return "root"
    if kind in ("AssumedRole", "FederatedUser"):
        return (identity.get("arn") or "").rsplit("/", 1)[-1]
    if kind == "AWSService":   # the service's own session: its name (the instance id for EC2)
        return ((record.get("requestParameters") or {}).get("roleSessionName") or identity.get("invokedBy") or "")
    return identity.get("userName") or ""


# ------------------------------------------------------------------------------------------------ records
def _sts_response(operation: str, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """responseElements for STS [IAM-CT examples]: never the secret key; credentials with expiration as a date."""
    if not result:
        return None
    if operation in ("GetCallerIdentity", "GetAccessKeyInfo", "DecodeAuthorizationMessage"):
        return None
    out: dict[str, Any] = {}
    creds = result.get("Credentials")
    if creds:
        out["credentials"] = {"accessKeyId": creds.get("AccessKeyId"), "sessionToken": creds.get("SessionToken"),
                              "expiration": console_date(creds["Expiration"]) if isinstance(
                                  creds.get("Expiration"), datetime) else creds.get("Expiration")}
    for key, value in result.items():
        if key == "Credentials" or value is None:
            continue
        out[lower_camel(key)] = _camel_value(value)
    return out or None


def _iam_response(operation: str, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """responseElements for IAM: CreateAccessKey names the key it made, never its secret (what a defender follows
    from an attacker's new key to its use); the lab records none for the other IAM calls."""
    if operation != "CreateAccessKey" or not result:
        return None
    created = result.get("CreateDate")
    return {"accessKey": {"accessKeyId": result.get("AccessKeyId"), "status": result.get("Status"),
                          "userName": result.get("UserName"),
                          "createDate": console_date(created) if isinstance(created, datetime) else created}}


def _saml_assertion_id(assertion: str | None) -> str | None:
    if not assertion:
        return None
    try:
        xml = base64.b64decode(assertion, validate=False).decode("utf-8", "replace")
    except (ValueError, TypeError):
        return None
    match = re.search(r"<(?:\w+:)?Assertion\b[^>]*\bID=\"([^\"]+)\"", xml)
    return match.group(1) if match else None


def build_records(call: ApiCall, *, now: datetime, session_of: Callable[[str], Any] | None = None,
                  role_account: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """[(recipient account, record)] for one call: one record, or two for a successful cross-account AssumeRole
    (the caller's account sees the caller; the role's account sees type AWSAccount) with a shared event id
    [IAM-CT "Example cross-account AWS STS API events"; CT-RECORD sharedEventID]."""
    service, operation = call.service, call.operation
    record: dict[str, Any] = {"eventVersion": EVENT_VERSION}
    identity = call.identity
    issued = None
    if call.result and isinstance(call.result.get("Credentials"), dict) and session_of is not None:
        issued = session_of(call.result["Credentials"].get("AccessKeyId") or "")
    params = dict(call.params or {})
    if identity is None and call.caller is None and operation == "AssumeRoleWithSAML":
        result = call.result or {}
        qualifier = result.get("NameQualifier") or ""
        subject = result.get("Subject") or ""
        identity = {"type": "SAMLUser", "principalId": f"{qualifier}:{subject}", "userName": subject,
                    "identityProvider": qualifier}
    elif identity is None and call.caller is None and operation == "AssumeRoleWithWebIdentity":
        result = call.result or {}
        provider = result.get("Provider") or ""
        subject = result.get("SubjectFromWebIdentityToken") or ""
        identity = {"type": "WebIdentityUser", "principalId": f"{provider}:{result.get('Audience') or ''}:{subject}",
                    "userName": subject, "identityProvider": provider}
    elif identity is None and call.caller is not None:
        identity = identity_of(call.caller)
    if identity is None:
        identity = {"type": "Unknown"}
    record["userIdentity"] = identity
    record["eventTime"] = iso(now)
    record["eventSource"] = call.event_source or EVENT_SOURCES.get(service, f"{service}.amazonaws.com")
    record["eventName"] = operation
    record["awsRegion"] = call.region or "us-east-1"
    record["sourceIPAddress"] = call.source_ip
    record["userAgent"] = call.user_agent
    if call.error_code:
        record["errorCode"] = call.error_code
        record["errorMessage"] = call.error_message or ""
    if operation == "AssumeRoleWithSAML":
        assertion_id = _saml_assertion_id(params.get("SAMLAssertion"))
        if assertion_id:
            params = {"SAMLAssertionID": assertion_id, **params}
    if issued is not None and operation in ("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"):
        # what the assertion / token carried, as AWS logs it [IAM-CT SAML and web identity examples]
        params.setdefault("RoleSessionName", issued.session_name)
        if issued.session_tags:
            params["PrincipalTags"] = dict(issued.session_tags)
        if issued.transitive_tag_keys:
            params["TransitiveTagKeys"] = [k for k in issued.session_tags if k.lower() in issued.transitive_tag_keys]
        if issued.source_identity:
            params["SourceIdentity"] = issued.source_identity
        params.setdefault("DurationSeconds", int((issued.expires_at - issued.issued_at).total_seconds()))
    elif issued is not None and operation == "AssumeRole" and issued.chained:
        inherited = {k: v for k, v in issued.principal_tags.items()
                     if k.lower() in issued.transitive_tag_keys and k not in issued.session_tags}
        if inherited:
            params["IncomingTransitiveTags"] = inherited
    if isinstance(params.get("Tags"), list) and service == "sts":
        params["Tags"] = [{"key": t.get("Key"), "value": t.get("Value")} for t in params["Tags"]]
    record["requestParameters"] = request_parameters(params)
    record["responseElements"] = (_sts_response(operation, call.result) if service == "sts" else
                                  _iam_response(operation, call.result) if service == "iam" else None)
    if call.additional:
        record["additionalEventData"] = call.additional
    record["requestID"] = call.request_id
    record["eventID"] = str(uuid.uuid4())
    record["readOnly"] = is_read_only(service, operation)
    resources = [({"accountId": account} if account else {}) | {"type": kind, "ARN": arn}
                 for kind, arn, account in call.resources]
    if resources:
        record["resources"] = resources
    record["eventType"] = call.event_type
    data_event = service == "s3" and operation in S3_DATA_OPERATIONS
    record["managementEvent"] = not data_event
    caller_account = identity.get("accountId") or (call.caller.account if call.caller is not None else None)
    recipient = call.recipient_account or caller_account or role_account or ""
    record["recipientAccountId"] = recipient
    record["eventCategory"] = "Data" if data_event else "Management"
    records = [(recipient, record)]
    if (operation == "AssumeRole" and role_account and call.caller is not None and not call.error_code
            and role_account != recipient):
        shared = str(uuid.uuid4())
        record["sharedEventID"] = shared
        other = dict(record)      # the nested parts are shared: records are never changed once built
        other["userIdentity"] = {"type": "AWSAccount", "principalId": identity.get("principalId"),
                                 "accountId": caller_account}
        other["eventID"] = str(uuid.uuid4())
        other["recipientAccountId"] = role_account
        records.append((role_account, other))
    return records


def stored(sandbox_id: str, account: str, record: dict[str, Any], seq: int,
           event_time: datetime | None = None) -> StoredEvent:
    identity = record.get("userIdentity") or {}
    resources = [{"ResourceType": r["type"], "ResourceName": r["ARN"]} for r in record.get("resources") or []]
    return StoredEvent(
        sandbox_id=sandbox_id, account_id=account, seq=seq, event_id=record["eventID"],
        event_time=event_time or parse_iso(record["eventTime"]), event_name=record["eventName"],
        event_source=record["eventSource"], username=_username(identity, record),
        access_key_id=identity.get("accessKeyId") or "", read_only=bool(record.get("readOnly")),
        error_code=record.get("errorCode") or "", category=record.get("eventCategory") or "Management",
        resources=resources, record=record)


# ------------------------------------------------------------------------------------------------ lookups
class InvalidLookupAttributes(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidLookupAttributesException", status=400)


class InvalidTimeRange(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidTimeRangeException", status=400)


class InvalidMaxResults(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidMaxResultsException", status=400)


class InvalidNextToken(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidNextTokenException", status=400)


class InvalidEventCategory(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidEventCategoryException", status=400)


@dataclass(frozen=True)
class LookupQuery:
    """LookupEvents' filters. `attribute` is (key, value) or None; CloudTrail takes at most one [CT-LOOKUP]."""
    attribute: tuple[str, str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    category: str | None = None            # "insight" or None (management events)
    max_results: int = MAX_LOOKUP_RESULTS
    after: tuple[str, int] | None = None   # (event_time iso, seq) of the last event of the previous page
    include_data: bool = False              # the lab's event history page shows data events too

    def fingerprint(self) -> str:
        text = json.dumps([self.attribute, self.start and iso(self.start), self.end and iso(self.end),
                           self.category, self.include_data])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def matches(self, event: StoredEvent) -> bool:
        if not self.include_data and event.category != "Management":
            return False
        if self.start is not None and event.event_time < self.start:
            return False
        if self.end is not None and event.event_time > self.end:
            return False
        if self.after is not None and (event.event_time, event.seq) >= (parse_iso(self.after[0]), self.after[1]):
            return False
        if self.attribute is None:
            return True
        key, value = self.attribute
        if key == "EventId":
            return event.event_id == value
        if key == "EventName":
            return event.event_name == value
        if key == "ReadOnly":
            return event.read_only == (value == "true")
        if key == "Username":
            return event.username == value
        if key == "EventSource":
            return event.event_source == value
        if key == "AccessKeyId":
            return event.access_key_id == value
        if key == "ResourceType":
            return any(r["ResourceType"] == value for r in event.resources)
        if key == "ResourceName":
            return any(r["ResourceName"] == value for r in event.resources)
        return False


def parse_lookup(params: dict[str, Any], *, include_data: bool = False) -> LookupQuery:
    """LookupEvents parameters -> LookupQuery, with CloudTrail's errors [CT-LOOKUP, botocore model]."""
    attributes = params.get("LookupAttributes") or []
    if not isinstance(attributes, list):
        raise InvalidLookupAttributes("LookupAttributes must be a list.")
    if len(attributes) > 1:
        # the API reference: "Currently the list can contain only one item"
        raise InvalidLookupAttributes("You cannot specify more than one lookup attribute.")
    attribute = None
    if attributes:
        item = attributes[0] if isinstance(attributes[0], dict) else {}
        key, value = item.get("AttributeKey"), item.get("AttributeValue")
        if key not in LOOKUP_KEYS:
            raise InvalidLookupAttributes(f"Lookup attribute key {key!r} is not valid. Valid keys are: "
                                          + ", ".join(LOOKUP_KEYS) + ".")
        if not isinstance(value, str) or not (1 <= len(value) <= 2000):
            raise InvalidLookupAttributes("The lookup attribute value must be 1 to 2000 characters.")
        if key == "ReadOnly" and value not in ("true", "false"):
            raise InvalidLookupAttributes("The ReadOnly lookup attribute value must be true or false.")
        attribute = (key, value)
    start, end = _as_time(params.get("StartTime")), _as_time(params.get("EndTime"))
    if start is not None and end is not None and start > end:
        raise InvalidTimeRange("Start time must be before end time.")
    category = params.get("EventCategory")
    if category is not None and category != "insight":
        raise InvalidEventCategory(f"Event category {category!r} is not valid. The only valid value is insight.")
    max_results = params.get("MaxResults")
    if max_results is None:
        max_results = MAX_LOOKUP_RESULTS
    if not isinstance(max_results, int) or isinstance(max_results, bool) or not 1 <= max_results <= MAX_LOOKUP_RESULTS:
        raise InvalidMaxResults(f"Value {max_results} for MaxResults is not valid. MaxResults must be between 1 "
                                f"and {MAX_LOOKUP_RESULTS}.")
    query = LookupQuery(attribute, start, end, category, max_results, None, include_data)
    token = params.get("NextToken")
    if token:
        query = LookupQuery(attribute, start, end, category, max_results, _decode_token(token, query), include_data)
    return query


def _as_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), timezone.utc)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        try:
            return datetime.fromtimestamp(float(value), timezone.utc)
        except ValueError:
            pass
    raise InvalidTimeRange(f"The time {value!r} is not valid.")


def next_token(query: LookupQuery, last: StoredEvent) -> str:
    raw = json.dumps({"t": iso(last.event_time), "s": last.seq, "q": query.fingerprint()})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: Any, query: LookupQuery) -> tuple[str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()).decode())
        after = (str(data["t"]), int(data["s"]))
        parse_iso(after[0])
        fingerprint = data["q"]
    except (ValueError, KeyError, TypeError):
        raise InvalidNextToken("The next token is not valid.") from None
    if fingerprint != query.fingerprint():
        # "a token that was previously used in a request with different parameters" [botocore model]
        raise InvalidNextToken("The next token was issued for a request with different parameters.")
    return after


def newest_first(event: StoredEvent) -> tuple[datetime, int]:
    return (event.event_time, event.seq)


class EventStore(Protocol):
    """Where LookupEvents reads from: `lookup` returns (events newest first, NextToken or None)."""

    def lookup(self, sandbox_id: str, account_id: str | None, query: LookupQuery
               ) -> tuple[list[StoredEvent], str | None]: ...


class MemoryEventStore:
    """The gateway's own store: the newest MEMORY_RETENTION_PER_SANDBOX events of each sandbox."""

    def __init__(self, retention: int = MEMORY_RETENTION_PER_SANDBOX) -> None:
        self.retention = retention
        self._events: dict[str, deque[StoredEvent]] = {}
        self._lock = threading.Lock()

    def add(self, events: list[StoredEvent]) -> None:
        with self._lock:
            for event in events:
                kept = self._events.get(event.sandbox_id)
                if kept is None:
                    kept = self._events[event.sandbox_id] = deque(maxlen=self.retention)
                kept.append(event)

    def forget(self, sandbox_id: str) -> None:
        with self._lock:
            self._events.pop(sandbox_id, None)

    def lookup(self, sandbox_id: str, account_id: str | None, query: LookupQuery
               ) -> tuple[list[StoredEvent], str | None]:
        if query.category == "insight":     # the lab produces no Insights events
            return [], None
        with self._lock:
            events = list(self._events.get(sandbox_id, ()))
        found = []
        for event in sorted(events, key=newest_first, reverse=True):
            if account_id is not None and event.account_id != account_id:
                continue
            if query.matches(event):
                found.append(event)
                if len(found) > query.max_results:
                    break
        return page(found, query)


def page(found: list[StoredEvent], query: LookupQuery) -> tuple[list[StoredEvent], str | None]:
    """Cut `found` (newest first, at most max_results + 1 long) into a page and its NextToken."""
    if len(found) > query.max_results:
        kept = found[:query.max_results]
        return kept, next_token(query, kept[-1])
    return found, None


# ------------------------------------------------------------------------------------------------ the recorder
class Trail:
    """Records events, buffers them for the web layer, and answers lookups through its EventStore."""

    # What a web process may call on a remote gateway's Trail is engine.ports.TrailPort (typed; lab control serves
    # and calls it from the Protocol): a new remotely callable method is a method here and its line there.

    def __init__(self, *, session_of: Callable[[str], Any] | None = None,
                 pending_limit: int = PENDING_LIMIT) -> None:
        self._session_of = session_of
        self._lock = threading.Lock()
        self._pending: deque[StoredEvent] = deque()
        self._pending_limit = pending_limit
        self.dropped = 0
        self.memory = MemoryEventStore()
        self._store: EventStore = self.memory
        self._seq = 0
        self.enabled = True

    # ---- stores
    def use_store(self, store: EventStore) -> None:
        """The web layer's database store, when the web layer runs in this process."""
        self._store = store

    @property
    def store(self) -> EventStore:
        return self._store

    # ---- recording
    def next_seq(self) -> int:
        with self._lock:
            self._seq = max(self._seq + 1, time.time_ns() // 1000)
            return self._seq

    def record(self, call: ApiCall, *, now: datetime, role_account: str | None = None) -> list[StoredEvent]:
        """Build and keep the record(s) of one call. Returns them (the gateway ignores the value)."""
        if not self.enabled or not call.sandbox_id:
            return []
        when = now.replace(microsecond=0)
        events = [stored(call.sandbox_id, account, record, self.next_seq(), when)
                  for account, record in build_records(call, now=now, session_of=self._session_of,
                                                       role_account=role_account)]
        self._keep(events)
        return events

    def record_event(self, sandbox_id: str, account_id: str, record: dict[str, Any]) -> str:
        """Keep a record built elsewhere (sign-in events of the web layer's portals). Returns its event id."""
        record = dict(record)
        record.setdefault("eventVersion", EVENT_VERSION)
        record.setdefault("eventID", str(uuid.uuid4()))
        record.setdefault("recipientAccountId", account_id)
        for key in ("eventTime", "eventSource", "eventName"):
            if not isinstance(record.get(key), str):
                raise ValueError(f"a record needs `{key}`")
        parse_iso(record["eventTime"])
        self._keep([stored(sandbox_id, account_id, record, self.next_seq())])
        return str(record["eventID"])

    def _keep(self, events: list[StoredEvent]) -> None:
        with self._lock:
            for event in events:
                if len(self._pending) >= self._pending_limit:
                    self._pending.popleft()
                    self.dropped += 1
                self._pending.append(event)
        if self._store is self.memory:
            self.memory.add(events)

    # ---- for the web layer (also remote)
    def drain(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Take up to `limit` pending events (oldest first) for persisting; each is taken once."""
        taken: list[StoredEvent] = []
        with self._lock:
            while self._pending and len(taken) < limit:
                taken.append(self._pending.popleft())
        return [event.to_dict() for event in taken]

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def forget(self, sandbox_id: str) -> None:
        """Reset: drop a sandbox's pending and kept events."""
        with self._lock:
            self._pending = deque(e for e in self._pending if e.sandbox_id != sandbox_id)
        self.memory.forget(sandbox_id)
        # a plugged-in store (the web layer's database) is cleared by its owner on reset

    def lookup(self, sandbox_id: str, account_id: str | None, params: dict[str, Any]
               ) -> tuple[list[StoredEvent], str | None]:
        """LookupEvents for one account of a sandbox; raises the Invalid*Exception AwsErrors."""
        return self._store.lookup(sandbox_id, account_id, parse_lookup(params))

    def lookup_dicts(self, sandbox_id: str, account_id: str | None, params: dict[str, Any]) -> dict[str, Any]:
        events, token = self.lookup(sandbox_id, account_id, params)
        return {"events": [e.to_dict() for e in events], "next_token": token}


# ------------------------------------------------------------------------------------------------ trace
@dataclass
class Hop:
    """One link of a traced chain: the event that used credentials and the event that issued them."""
    event: dict[str, Any]                  # the record
    principal: str                         # who acted (ARN or description)
    account: str
    access_key_id: str
    kind: str                              # userIdentity.type
    link: str                              # how this hop was found from the one below (the linking field)
    expires: str | None = None


def issued_key(record: dict[str, Any]) -> str | None:
    creds = (record.get("responseElements") or {}).get("credentials") or {}
    return creds.get("accessKeyId")


def trace(start: dict[str, Any], records: Iterable[dict[str, Any]]) -> list[Hop]:
    """Follow `userIdentity.accessKeyId` back to the event whose responseElements issued that key, and on up to the
    long-term key, SAML/OIDC sign-in or AWS service that started the chain [IAM-CT: "map calls back to the
    originating ... caller"; CT-USERID accessKeyId]. Returns the hops from `start` upwards."""
    issuers: dict[str, dict[str, Any]] = {}
    for record in records:
        key = issued_key(record)
        if key and not record.get("errorCode"):
            # the issuing account's copy of a cross-account AssumeRole names only the account: prefer the caller's
            if key not in issuers or issuers[key].get("userIdentity", {}).get("type") == "AWSAccount":
                issuers[key] = record
    hops: list[Hop] = []
    current: dict[str, Any] | None = start
    link = "the event you started from"
    seen: set[str] = set()
    while current is not None and current.get("eventID") not in seen:
        seen.add(current.get("eventID") or "")
        identity = current.get("userIdentity") or {}
        expires = ((current.get("responseElements") or {}).get("credentials") or {}).get("expiration")
        hops.append(Hop(current, describe_identity(identity), identity.get("accountId") or
                        current.get("recipientAccountId") or "", identity.get("accessKeyId") or "",
                        identity.get("type") or "", link, expires))
        key = identity.get("accessKeyId") or ""
        if identity.get("type") in ("AssumedRole", "FederatedUser") or (
                identity.get("sessionContext") and identity.get("type") in ("IAMUser", "Root")):
            current = issuers.get(key)
            link = f"responseElements.credentials.accessKeyId = {key}"
        else:
            current = None
    return hops


def describe_identity(identity: dict[str, Any]) -> str:
    kind = identity.get("type")
    if kind == "AWSService":
        return f"AWS service {identity.get('invokedBy')}"
    if kind in ("SAMLUser", "WebIdentityUser"):
        return f"{identity.get('userName')} (via {identity.get('identityProvider')})"
    if kind == "AWSAccount":
        return f"account {identity.get('accountId')}"
    return identity.get("arn") or identity.get("userName") or identity.get("principalId") or "unknown"


def origin(hops: list[Hop]) -> dict[str, Any]:
    """Who started the chain: {"kind", "name", "arn"}; name is the user name / SAML or OIDC subject / instance."""
    top = hops[-1].event if hops else {}
    identity = top.get("userIdentity") or {}
    kind = identity.get("type") or ""
    if kind == "AWSService":
        name = (top.get("requestParameters") or {}).get("roleSessionName") or ""
        return {"kind": kind, "name": name, "arn": identity.get("invokedBy") or ""}
    if kind == "Root":
        return {"kind": kind, "name": "root", "arn": identity.get("arn") or ""}
    return {"kind": kind, "name": identity.get("userName") or "", "arn": identity.get("arn") or
            identity.get("identityProvider") or ""}


# ------------------------------------------------------------------------------------------------ detections
@dataclass
class Finding:
    rule: str
    title: str
    severity: str
    detail: str
    source: str                            # the AWS documentation the rule follows
    event_ids: list[str]
    first_seen: str
    last_seen: str


REPEATED_DENIALS = 3   # AccessDenied AssumeRole calls by one principal within DENIAL_WINDOW
DENIAL_WINDOW = timedelta(minutes=10)


def detect(records: list[dict[str, Any]]) -> list[Finding]:
    """Detections over a sandbox's records (oldest first or any order). Each cites what it follows."""
    ordered = sorted(records, key=lambda r: r.get("eventTime") or "")
    findings: list[Finding] = []
    findings += _repeated_assume_role_denials(ordered)
    findings += _simple(ordered, "trust-policy-changed", "A role's trust policy was changed", "medium",
                        lambda r: r.get("eventName") == "UpdateAssumeRolePolicy" and not r.get("errorCode"),
                        lambda r: f"{describe_identity(r.get('userIdentity') or {})} changed who may assume "
                                  f"{(r.get('requestParameters') or {}).get('roleName')}",
                        "IAM UG, \"Logging IAM and AWS STS API calls with AWS CloudTrail\" (UpdateAssumeRolePolicy is "
                        "an IAM API event); CIS AWS Foundations 4.4 \"IAM policy changes\" metric filter")
    findings += _simple(ordered, "root-used", "Root user credentials were used", "high",
                        lambda r: (r.get("userIdentity") or {}).get("type") == "Root"
                        and r.get("eventType") != "AwsServiceEvent",
                        lambda r: f"root of account {(r.get('userIdentity') or {}).get('accountId')} called "
                                  f"{r.get('eventName')}",
                        "CloudTrail UG, userIdentity type Root; IAM UG \"Root user best practices\"; "
                        "CIS AWS Foundations 4.3 \"usage of root account\" metric filter")
    findings += _instance_credential_exfiltration(ordered)
    findings += _simple(ordered, "signin-without-mfa", "Console-style sign-in without MFA", "medium",
                        lambda r: r.get("eventName") == "ConsoleLogin"
                        and (r.get("additionalEventData") or {}).get("MFAUsed") == "No"
                        and (r.get("responseElements") or {}).get("ConsoleLogin") == "Success",
                        lambda r: f"{describe_identity(r.get('userIdentity') or {})} signed in without MFA",
                        "IAM UG, \"Example sign-in events in CloudTrail log\" (additionalEventData.MFAUsed); "
                        "CIS AWS Foundations 4.2 \"console sign-in without MFA\" metric filter")
    return findings


def _simple(records: list[dict[str, Any]], rule: str, title: str, severity: str,
            test: Callable[[dict[str, Any]], bool], text: Callable[[dict[str, Any]], str], source: str
            ) -> list[Finding]:
    hits = [r for r in records if test(r)]
    if not hits:
        return []
    details = sorted({text(r) for r in hits})
    return [Finding(rule, title, severity, "; ".join(details[:5]) + (" …" if len(details) > 5 else ""), source,
                    [str(r.get("eventID")) for r in hits], str(hits[0].get("eventTime")),
                    str(hits[-1].get("eventTime")))]


def _repeated_assume_role_denials(records: list[dict[str, Any]]) -> list[Finding]:
    by_principal: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.get("eventName", "").startswith("AssumeRole") and record.get("errorCode") == "AccessDenied":
            who = describe_identity(record.get("userIdentity") or {})
            by_principal.setdefault(who, []).append(record)
    findings = []
    for who, denials in by_principal.items():
        for i in range(len(denials) - REPEATED_DENIALS + 1):
            window = denials[i:i + REPEATED_DENIALS]
            if parse_iso(window[-1]["eventTime"]) - parse_iso(window[0]["eventTime"]) <= DENIAL_WINDOW:
                roles = sorted({(r.get("requestParameters") or {}).get("roleArn") or "" for r in denials})
                findings.append(Finding(
                    "repeated-assume-role-denied", "Repeated AccessDenied on AssumeRole", "medium",
                    f"{who} was refused {len(denials)} times ({', '.join(roles)}): someone probing which roles "
                    "trust them", "IAM UG, \"Logging IAM and AWS STS API calls with AWS CloudTrail\" (errorCode on "
                    "STS events); CIS AWS Foundations 4.1 \"unauthorized API calls\" metric filter",
                    [str(r.get("eventID")) for r in denials], denials[0]["eventTime"], denials[-1]["eventTime"]))
                break
    return findings


def _instance_credential_exfiltration(records: list[dict[str, Any]]) -> list[Finding]:
    """GuardDuty's UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration: credentials created for an instance
    through its launch role are used from another address. The lab cannot see networks, so the instance's address
    is the first one that used its credentials (a lab choice; GuardDuty compares with the instance's own IPs)."""
    instance_keys: dict[str, str] = {}
    for record in records:
        if (record.get("userIdentity") or {}).get("type") == "AWSService" and issued_key(record):
            instance_keys[issued_key(record) or ""] = (record.get("requestParameters") or {}).get(
                "roleSessionName") or ""
    first_ip: dict[str, str] = {}
    hits: list[dict[str, Any]] = []
    for record in records:
        key = (record.get("userIdentity") or {}).get("accessKeyId")
        if key not in instance_keys:
            continue
        ip = record.get("sourceIPAddress") or ""
        if key not in first_ip:
            first_ip[key] = ip
        elif ip != first_ip[key]:
            hits.append(record)
    if not hits:
        return []
    details = sorted({f"credentials of {instance_keys[r['userIdentity']['accessKeyId']]} used from "
                      f"{r.get('sourceIPAddress')} (the instance used {first_ip[r['userIdentity']['accessKeyId']]})"
                      for r in hits})
    return [Finding("instance-credential-exfiltration", "Instance credentials used outside their instance", "high",
                    "; ".join(details), "GuardDuty UG, finding type "
                    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS / .InsideAWS",
                    [str(r.get("eventID")) for r in hits], hits[0]["eventTime"], hits[-1]["eventTime"])]


__all__ = ["ApiCall", "StoredEvent", "Trail", "EventStore", "MemoryEventStore", "LookupQuery", "parse_lookup",
           "build_records", "identity_of", "trace", "origin", "detect", "Finding", "Hop", "console_date", "iso",
           "parse_iso", "page", "newest_first", "EVENT_SOURCES", "LOOKUP_KEYS", "MAX_LOOKUP_RESULTS"]
