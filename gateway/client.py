"""boto3 clients that reach the lab's gateway: in-process by default, over HTTP when told to.

learner_client(...) signs with the learner's credentials and hands the signed request to the process's GatewayApp
through botocore's `before-send` event (no socket, no moto.mock_aws()); with `endpoint=` or LAB_GATEWAY_URL set it
sends it over HTTP instead. An ExchangeRecorder keeps each request/response pair, secrets masked, for the pages
that show learners what went over the wire. admin_client(...) goes straight to moto for seeding, bypassing auth;
it exists only inside the process and is never reachable over HTTP.
"""
from __future__ import annotations

import contextvars
import json
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import boto3
import botocore.session
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import NoCredentialsError

from . import protocols, routing
from .admin import local_admin_client
from .botocore_glue import (BOTO3_SERVICE, ScopedClient, aws_response, body_bytes, boto3_session, botocore_session,
                            client_config, install_sender)
from .moto_backend import MotoBackend, MotoLookups
from .redact import mask_form, mask_headers, mask_json_fields, mask_response_text
from .runtime import current

if TYPE_CHECKING:
    from engine.lab import Lab

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000/aws"   # how in-process requests are addressed (and shown to learners)


# ------------------------------------------------------------------------------------------------ the process's own
def default_lab() -> Lab:
    """The runtime's Lab (gateway.runtime), built on first use with the setups the apps registered."""
    def build() -> Lab:
        from engine.lab import Lab  # noqa: PLC0415 (engine.lab imports moto; load it only when needed)

        lab = Lab()
        for setup in list(current().config.lab_setups):
            setup(lab)
        return lab

    return current().once("lab", build)


def default_moto() -> MotoBackend:
    """The runtime's moto backend (gateway.runtime)."""
    return current().once("moto", MotoBackend)


def set_default_gateway(app: Any) -> None:
    current().put("gateway", app)


def default_gateway() -> Any:
    """The runtime's GatewayApp, built on first use around its Lab and moto."""
    from .app import GatewayApp  # noqa: PLC0415

    return current().once("gateway", lambda: GatewayApp(default_lab(), default_moto()))


def _http_session() -> Any:
    from botocore.httpsession import URLLib3Session  # noqa: PLC0415

    return current().once("http_session", URLLib3Session)


# ------------------------------------------------------------------------------------------------ recording
# What the recorder keeps is masked by the one redactor, gateway/redact.py.


@dataclass
class Exchange:
    operation: str
    method: str
    url: str
    headers: dict[str, str]
    body: str | dict[str, str]
    status: int
    response_headers: dict[str, str]
    response_body: str
    request_id: str | None
    # Answered by this process's GatewayApp: `decision` is then the Decision that explains the request (or None when
    # none was made), handed back with the response, so nobody needs to look it up by request id.
    local: bool = False
    decision: Any = None

    @property
    def ok(self) -> bool:
        return self.status < 400


@dataclass
class ExchangeRecorder:
    """Collects the Exchanges of the clients it is given to (thread-safe; keeps at most `limit`)."""
    limit: int = 200
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)
            del self.exchanges[: max(0, len(self.exchanges) - self.limit)]

    @property
    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()


def _printable_body(headers: dict[str, str], body: bytes) -> str | dict[str, str]:
    content_type = headers.get("Content-Type", headers.get("content-type", ""))
    if content_type.startswith("application/x-www-form-urlencoded"):
        return mask_form(body.decode("utf-8", "replace"))
    if not body:
        return ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes of binary data>"
    if "json" in content_type:
        try:
            data = json.loads(text)
            return json.dumps(mask_json_fields(data), indent=1)
        except ValueError:
            pass
    return text if len(text) <= 20000 else text[:20000] + "…"


def _record(recorder: ExchangeRecorder | None, operation: str, request: AWSPreparedRequest, body: bytes,
            status: int, headers: dict[str, str], response_body: bytes, *, local: bool = False,
            decision: Any = None) -> None:
    if recorder is None:
        return
    request_headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
    text = response_body.decode("utf-8", "replace") if len(response_body) < 200000 else \
        f"<{len(response_body)} bytes>"
    recorder.record(Exchange(
        operation=operation, method=request.method, url=request.url, headers=mask_headers(request_headers),
        body=_printable_body(request_headers, body), status=status, response_headers=dict(headers),
        response_body=mask_response_text(text),
        request_id=headers.get("x-amzn-RequestId") or headers.get("x-amz-request-id"), local=local,
        decision=decision))


# ------------------------------------------------------------------------------------------------ transport
def _incoming_from_prepared(request: AWSPreparedRequest, body: bytes, base_path: str, source_ip: str) -> Any:
    from .app import IncomingRequest  # noqa: PLC0415

    parts = urlsplit(request.url)
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
    headers.setdefault("host", parts.netloc)
    path = unquote(parts.path)
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path):] or "/"
    return IncomingRequest(method=request.method, path=path or "/", raw_path=parts.path or "/",
                           query_string=parts.query, headers=headers, body=body, source_ip=source_ip,
                           secure=parts.scheme == "https")


# One boto3 client per service and target, shared by every caller (a learner's Run makes 2-4 clients, mostly for
# session credentials it has just been issued, and building one costs 1.4 ms (STS) to 6.3 ms (S3) of CPU in botocore:
# a large share of a step's own work). Botocore's low-level clients are thread safe (boto3 guide, "Multithreading or
# multiprocessing with resources/clients"); what differs per caller, the credentials it signs with, its
# ExchangeRecorder and the operation being recorded, rides in context variables that LearnerClient sets per call.
_POOL_SIZE = 128   # ~136 KiB each (tracemalloc); one per service, region and target in practice
_call_scope: contextvars.ContextVar[tuple[ExchangeRecorder | None, dict[str, str]]] = contextvars.ContextVar(
    "learner_call_scope")
_signing_keys: contextvars.ContextVar[ReadOnlyCredentials | None] = contextvars.ContextVar(
    "learner_signing_keys", default=None)


class CallerCredentials(Credentials):  # type: ignore[misc]  # botocore has no types
    """What a pooled client signs with: the credentials of the LearnerClient making the call, for the length of that
    call. botocore's signer asks `get_frozen_credentials()` at every signature (RequestSigner.get_auth_instance);
    outside a call there are none, as for a client that has no credentials."""

    def __init__(self) -> None:
        super().__init__("", "", method="lab-caller")

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        keys = _signing_keys.get()
        if keys is None:
            raise NoCredentialsError()
        return keys


class _CallerCredentialResolver:
    """botocore's `credential_provider` component for the pooled clients' session: always CallerCredentials."""

    def __init__(self) -> None:
        self.credentials = CallerCredentials()

    def load_credentials(self) -> Credentials:
        return self.credentials


def _caller_signed_session() -> Any:
    """The boto3 session whose clients sign with the calling LearnerClient's credentials (a session of its own: the
    shared one must keep the ordinary credential chain for every other client), reading the service models through
    the shared session's loader (its cache: no second copy of each model)."""
    def build() -> Any:
        core = botocore_session()
        core.register_component("credential_provider", _CallerCredentialResolver())
        return boto3.session.Session(botocore_session=core)

    return current().once("caller_signed_session", build)


def _scope() -> tuple[ExchangeRecorder | None, dict[str, str]]:
    """This call's recorder and operation holder; none outside a LearnerClient call (e.g. a waiter's own calls)."""
    return _call_scope.get((None, {}))


def _operation_hook(client: Any) -> None:
    def remember(model: Any, **kwargs: Any) -> None:
        _scope()[1]["operation"] = model.name

    client.meta.events.register("before-call", remember)


class LearnerClient(ScopedClient):
    """What learner_client returns: the pooled boto3 client for these credentials, recording into this caller's
    recorder. Attributes and methods are the boto3 client's; paginators keep the recorder while they iterate."""

    def __init__(self, client: Any, recorder: ExchangeRecorder | None,
                 signing_keys: ReadOnlyCredentials | None = None) -> None:
        super().__init__(client)
        self.recorder = recorder
        self.signing_keys = signing_keys   # for a pooled client: this caller's keys (CallerCredentials)

    def enter_scope(self) -> Any:
        return _call_scope.set((self.recorder, {})), _signing_keys.set(self.signing_keys)

    def leave_scope(self, token: Any) -> None:
        scope, keys = token
        _signing_keys.reset(keys)
        _call_scope.reset(scope)


def _pooled_client(key: tuple[Any, ...], build: Any) -> Any:
    runtime = current()
    pool = runtime.learner_clients
    with runtime.lock:
        client = pool.get(key)
        if client is not None:
            pool.move_to_end(key)
            return client
    client = build()
    with runtime.lock:
        client = pool.setdefault(key, client)
        pool.move_to_end(key)
        while len(pool) > _POOL_SIZE:
            pool.popitem(last=False)
    return client


def _make_client(service: str, *, access_key_id: str | None, secret_access_key: str | None,
                 session_token: str | None, region: str, endpoint: str | None, recorder: ExchangeRecorder | None,
                 unsigned: bool, source_ip: str, gateway: Any = None, pooled: bool = False) -> Any:
    remote = endpoint or routing.gateway_url()
    endpoint_url = (remote or os.environ.get("LAB_PUBLIC_AWS_URL") or DEFAULT_PUBLIC_URL).rstrip("/")

    def build() -> Any:
        return _build_client(service, access_key_id=access_key_id, secret_access_key=secret_access_key,
                             session_token=session_token, region=region, endpoint_url=endpoint_url,
                             remote=bool(remote), unsigned=unsigned, source_ip=source_ip, gateway=gateway)

    if not pooled or unsigned or not access_key_id or not secret_access_key:
        return LearnerClient(build(), recorder)   # a client of the caller's own (it may register event handlers)

    def build_shared() -> Any:   # signs with whichever LearnerClient calls it (CallerCredentials)
        return _build_client(service, access_key_id=None, secret_access_key=None, session_token=None, region=region,
                             endpoint_url=endpoint_url, remote=bool(remote), unsigned=False, source_ip=source_ip,
                             gateway=gateway, session=_caller_signed_session())

    key = (service, region, endpoint_url, bool(remote), source_ip, gateway)
    keys = ReadOnlyCredentials(access_key_id, secret_access_key, session_token)
    return LearnerClient(_pooled_client(key, build_shared), recorder, keys)


def _build_client(service: str, *, access_key_id: str | None, secret_access_key: str | None,
                  session_token: str | None, region: str, endpoint_url: str, remote: bool, unsigned: bool,
                  source_ip: str, gateway: Any, session: Any = None) -> Any:
    client = (session or boto3_session()).client(
        BOTO3_SERVICE.get(service, service), region_name=region, endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, aws_session_token=session_token,
        # No client-side validation: what a learner typed reaches the gateway, which answers as AWS does
        # (ValidationError and its message) instead of botocore's local ParamValidationError.
        config=client_config(unsigned, service, validate=False))
    _operation_hook(client)
    base_path = urlsplit(endpoint_url).path.rstrip("/")

    def send(request: AWSPreparedRequest, _: str) -> AWSResponse:
        recorder, holder = _scope()
        body = body_bytes(request)
        decision = None
        if remote:
            request.body = body
            http_response = _http_session().send(request)
            response_body = http_response.content
            status, headers = http_response.status_code, dict(http_response.headers.items())
        else:
            app = gateway or default_gateway()
            result = app.handle(_incoming_from_prepared(request, body, base_path, source_ip))
            status, headers, response_body, decision = result.status, dict(result.headers), result.body, result.decision
        _record(recorder, holder.get("operation", ""), request, body, status, headers, response_body,
                local=not remote, decision=decision)
        return aws_response(request.url, status, headers, response_body)

    return install_sender(client, send)


def learner_client(service: str, *, access_key_id: str, secret_access_key: str, session_token: str | None = None,
                   recorder: ExchangeRecorder | None = None, region: str = "us-east-1", endpoint: str | None = None,
                   source_ip: str = "127.0.0.1", gateway: Any = None, pooled: bool = False) -> Any:
    """A boto3 client signing as the learner; in-process to the gateway unless `endpoint`/LAB_GATEWAY_URL is set.

    pooled: share one client per credentials and target with every other pooled caller (see LearnerClient); the
    caller must not register event handlers on it."""
    return _make_client(service, access_key_id=access_key_id, secret_access_key=secret_access_key,
                        session_token=session_token, region=region, endpoint=endpoint, recorder=recorder,
                        unsigned=False, source_ip=source_ip, gateway=gateway, pooled=pooled)


def unsigned_client(service: str = "sts", *, recorder: ExchangeRecorder | None = None, region: str = "us-east-1",
                    endpoint: str | None = None, source_ip: str = "127.0.0.1", gateway: Any = None) -> Any:
    """An unsigned client, for AssumeRoleWithSAML / AssumeRoleWithWebIdentity (the token is the credential)."""
    return _make_client(service, access_key_id=None, secret_access_key=None, session_token=None, region=region,
                        endpoint=endpoint, recorder=recorder, unsigned=True, source_ip=source_ip, gateway=gateway)


def iam_policy_document(account_id: str, kind: str, owner: str, name: str = "") -> dict[str, Any]:
    """A policy document as IAM returns it: the trust policy of role `owner` (kind "trust"), or inline policy `name`
    of role or user `owner` (kind "role" / "user"). Read straight from this process's moto when moto lives here
    (the same stored text GetRole / GetRolePolicy / GetUserPolicy answer with), else through the admin client."""
    if routing.gateway_url():
        iam = admin_client("iam", account_id)
        if kind == "trust":
            document = iam.get_role(RoleName=owner)["Role"]["AssumeRolePolicyDocument"]
        elif kind == "role":
            document = iam.get_role_policy(RoleName=owner, PolicyName=name)["PolicyDocument"]
        else:
            document = iam.get_user_policy(UserName=owner, PolicyName=name)["PolicyDocument"]
    else:
        document = MotoLookups().iam_policy_text(account_id, kind, owner, name)
    if isinstance(document, str):  # IAM returns URL-encoded JSON; botocore usually decodes it already
        document = json.loads(unquote(document)) if document.lstrip().startswith("%") else json.loads(document)
    return dict(document)


LIVE_STATES = ("pending", "running")


def instances(account_id: str, states: tuple[str, ...] = LIVE_STATES, region: str = "us-east-1") -> list[dict[str, Any]]:
    """The account's instances in one of `states` (DescribeInstances' Instances: InstanceId, Tags,
    IamInstanceProfile), read straight from this process's moto when moto lives here, else through the admin
    client."""
    if routing.gateway_url():
        reservations = admin_client("ec2", account_id, region=region).describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": list(states)}])["Reservations"]
        return [instance for reservation in reservations for instance in reservation["Instances"]]
    return MotoLookups().instances(account_id, region, states)


def admin_client(service: str, account_id: str, *, sandbox_id: str | None = None, region: str = "us-east-1",
                 moto: MotoBackend | None = None) -> Any:
    """Straight to moto in `account_id`, no authentication: for seeding only.

    With `sandbox_id`, S3 bucket names are moved into that sandbox's namespace exactly as the gateway does for its
    learners, so seeding can use the familiar names.
    """
    remote = routing.gateway_url() if moto is None else None
    if remote:  # several web processes: moto lives in the `python -m gateway` process (gateway/control/)
        return _remote_admin(remote, service, account_id, sandbox_id, region)
    return local_admin_client(service, account_id, sandbox_id=sandbox_id, region=region, moto=moto or default_moto())


# Remote admin clients, kept (runtime.remote_admins): a boto3 client costs ~2 ms on a quiet machine and 40-60 ms on a
# loaded one, and a page makes several (its policy panels); botocore clients are safe to share between threads.
# Bounded (oldest go first).
MAX_REMOTE_ADMINS = 256


def _remote_admin(remote: str, service: str, account_id: str, sandbox_id: str | None, region: str) -> Any:
    from .control.client import remote_admin_client  # noqa: PLC0415
    from .control.wire import env_token  # noqa: PLC0415

    runtime = current()
    kept = runtime.remote_admins
    key = (remote, service, account_id, sandbox_id, region, env_token())
    with runtime.lock:
        client = kept.get(key)
        if client is not None:
            kept.move_to_end(key)
            return client
    client = remote_admin_client(remote, service, account_id, sandbox_id=sandbox_id, region=region)
    with runtime.lock:
        kept[key] = client
        while len(kept) > MAX_REMOTE_ADMINS:
            kept.popitem(last=False)
    return client
