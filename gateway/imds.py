"""The instance metadata service, one per EC2 instance, as an instance sees it at 169.254.169.254 (scenario 4).

Mounted by the lab under a prefix with the instance id first, e.g. `/imds/i-0abc.../latest/meta-data/instance-id`
(the WSGI app reads PATH_INFO `/<instance-id>/latest/...`); `ImdsApp.handle(...)` is the same thing as a plain call.

What it does, as EC2 does it (Amazon EC2 User Guide, "Use the Instance Metadata Service to access instance metadata"
and "Retrieve security credentials from instance metadata"):
- IMDSv2: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1-21600) returns a session token; later
  requests send it as `X-aws-ec2-metadata-token`. A token works only on the instance that issued it, until its TTL.
  A PUT carrying `X-Forwarded-For` is refused (the guard against open reverse proxies).
- IMDSv1 (no token) is answered only while the instance's HttpTokens is `optional`; with `required` it gets 401.
  An invalid or expired token gets 401. HttpEndpoint `disabled` gets 403 for everything.
- `iam/security-credentials/` lists the role of the instance profile; `iam/security-credentials/<role>` returns
  {"Code":"Success","LastUpdated","Type":"AWS-HMAC","AccessKeyId","SecretAccessKey","Token","Expiration"} for a
  session the engine issued to `ec2.amazonaws.com` for THAT role (the role's trust policy is evaluated for the service
  principal; if it does not trust EC2 the document says "Code":"AssumeRoleUnauthorizedAccess", as the IAM User
  Guide's "Troubleshoot IAM roles for EC2" describes). No instance profile (or a detached one) -> 404.
- Rotation and overlap: engine/instances.py.

Error statuses (EC2 User Guide, IMDS "Error codes"): 400 missing or invalid PUT parameters, 401 invalid/missing token
where one is required, 403 not allowed / IMDS turned off, 404 no such item, 405 other methods.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Callable, Iterable

from engine.instances import ImdsTokens, InstanceRegistry, InstanceState, iso_z

EC2_SERVICE = "ec2.amazonaws.com"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
UNAUTHORIZED_DOC_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_iam-ec2.html"

META_DATA_INDEX = ("ami-id", "hostname", "iam/", "instance-id", "instance-type", "local-ipv4", "placement/",
                   "security-groups")


@dataclass
class ImdsResponse:
    status: int
    body: str
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class InstanceView:
    """What the metadata service needs to know about an instance, read from moto's EC2 and IAM backends."""
    instance_id: str
    account: str
    region: str
    state: str
    http_tokens: str
    http_endpoint: str
    instance_type: str
    image_id: str
    private_ip: str
    availability_zone: str
    profile_arn: str | None
    profile_id: str | None
    role_arns: tuple[str, ...]
    security_groups: tuple[str, ...]


def find_instance(instance_id: str, accounts: Iterable[str] | None = None) -> InstanceView | None:
    """Look the instance up in moto (every account/region moto has loaded, or only `accounts`)."""
    from engine.directory import moto_lock

    if not instance_id.startswith("i-") or len(instance_id) > 40:
        return None
    with moto_lock:
        from moto.ec2.models import ec2_backends
        from moto.iam.models import iam_backends

        wanted = set(accounts) if accounts is not None else None
        for account, regions in list(ec2_backends.items()):
            if wanted is not None and account not in wanted:
                continue
            for region, backend in list(regions.items()):
                instance = None
                for reservation in backend.reservations.values():
                    for candidate in reservation.instances:
                        if candidate.id == instance_id:
                            instance = candidate
                if instance is None:
                    continue
                profile = getattr(instance, "iam_instance_profile", None) or None
                profile_arn = profile.get("Arn") if isinstance(profile, dict) else None
                profile_id = None
                role_arns: tuple[str, ...] = ()
                if profile_arn:
                    iam = iam_backends[account]["global"]
                    for iam_profile in iam.instance_profiles.values():
                        if iam_profile.arn == profile_arn:
                            profile_id = iam_profile.id
                            role_arns = tuple(role.arn for role in iam_profile.roles)
                options = instance.metadata_options
                return InstanceView(
                    instance_id=instance_id, account=account, region=region, state=instance.state,
                    http_tokens=options.http_tokens or "optional", http_endpoint=options.http_endpoint or "enabled",
                    instance_type=instance.instance_type, image_id=instance.image_id,
                    private_ip=instance.private_ip or "", availability_zone=instance.placement.zone or "",
                    profile_arn=profile_arn, profile_id=profile_id, role_arns=role_arns,
                    security_groups=tuple(group.name for group in instance.security_groups),
                )
    return None


def instance_registry(lab: Any) -> InstanceRegistry:
    """The Lab's InstanceRegistry (it owns the sessions; the registry owns which generation each instance is on)."""
    registry: InstanceRegistry = lab.instance_registry()
    return registry


class ServiceRoleRefused(Exception):
    """The role's trust policy does not let the service assume it (the engine's decision rides along)."""

    def __init__(self, message: str, decision: Any = None) -> None:
        super().__init__(message)
        self.decision = decision


def issue_for_instance(lab: Any, sandbox_id: str, instance_id: str, role_arn: str, duration_seconds: int) -> Any:
    """Ask the engine for a service-role session for EC2 on behalf of `instance_id` (session name = instance id)."""
    from engine.errors import AwsError

    try:
        return lab.issue_service_role_session(sandbox_id, role_arn, service=EC2_SERVICE, session_name=instance_id,
                                              duration_seconds=duration_seconds)
    except AwsError as error:
        raise ServiceRoleRefused(error.message, getattr(error, "decision", None)) from error


class ImdsApp:
    """WSGI app + plain `handle()`; one object serves every instance (the instance id is in the path)."""

    def __init__(self, lab: Any, *, registry: InstanceRegistry | None = None,
                 lookup: Callable[[str], InstanceView | None] | None = None) -> None:
        self.lab = lab
        self.registry = registry or instance_registry(lab)
        self._lookup = lookup or self._default_lookup

    # ---- plumbing ---------------------------------------------------------------------------------------------
    def _default_lookup(self, instance_id: str) -> InstanceView | None:
        view = find_instance(instance_id)
        if view is None or self._sandbox_of(view) is None:
            return None
        return view

    def _sandbox_of(self, view: InstanceView) -> str | None:
        sandbox_id: str | None = self.lab.sandbox_of_account(view.account)
        return sandbox_id

    def _now(self, sandbox_id: str) -> datetime:
        now: datetime = self.lab.now(sandbox_id)
        return now

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        raw_path = environ.get("PATH_INFO", "") or "/"
        path = raw_path.encode("latin-1").decode("utf-8", "replace")
        response = self.handle(environ.get("REQUEST_METHOD", "GET"), path, headers)
        body = response.body.encode("utf-8")
        out = [("Content-Type", response.content_type), ("Content-Length", str(len(body))),
               ("Server", "EC2ws")] + list(response.headers.items())
        start_response(f"{response.status} {_REASONS.get(response.status, 'Error')}", out)
        return [body]

    # ---- the service ------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str]) -> ImdsResponse:
        """`path` is `/<instance-id>/latest/...`; header names are matched case-insensitively."""
        headers = {k.lower(): v for k, v in headers.items()}
        parts = path.lstrip("/").split("/", 1)
        instance_id = parts[0]
        rest = "/" + (parts[1] if len(parts) > 1 else "")
        view = self._lookup(instance_id) if instance_id else None
        if view is None:
            return _error(404, "Not Found")
        if view.state not in ("running", "pending"):
            # A stopped or terminated instance has no metadata service to talk to.
            return _error(404, "Not Found")
        sandbox_id = self._sandbox_of(view) or ""
        if view.http_endpoint != "enabled":
            return _error(403, "Forbidden")
        with self.registry.lock:
            state = self.registry.state(sandbox_id, instance_id)
            now = self._now(sandbox_id)
            if rest == "/latest/api/token":
                return self._token(method, headers, state, now)
            if method not in ("GET", "HEAD"):
                return _error(405, "Method Not Allowed", {"Allow": "GET, HEAD, PUT"})
            auth = self._check_token(headers, view, state.tokens, now)
            if auth is not None:
                return auth
            return self._metadata(rest, view, state, sandbox_id, now)

    def _token(self, method: str, headers: dict[str, str], state: InstanceState, now: datetime) -> ImdsResponse:
        if method != "PUT":
            return _error(405, "Method Not Allowed", {"Allow": "PUT"})
        if "x-forwarded-for" in headers:
            return _error(403, "Forbidden")
        ttl_text = headers.get(TTL_HEADER, "").strip()
        if not ttl_text.isdigit() or not 1 <= int(ttl_text) <= 21600:
            return _error(400, "Bad Request")
        token = state.tokens.issue(state.instance_id, int(ttl_text), now)
        return ImdsResponse(200, token.value, headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl_text})

    @staticmethod
    def _check_token(headers: dict[str, str], view: InstanceView, tokens: ImdsTokens,
                     now: datetime) -> ImdsResponse | None:
        token = headers.get(TOKEN_HEADER)
        if token is None:
            # IMDSv1 only while HttpTokens is optional.
            return None if view.http_tokens == "optional" else _error(401, "Unauthorized")
        if tokens.check(view.instance_id, token, now) != "ok":
            return _error(401, "Unauthorized")
        return None

    def _metadata(self, rest: str, view: InstanceView, state: InstanceState, sandbox_id: str,
                  now: datetime) -> ImdsResponse:
        if rest in ("/latest", "/latest/"):
            return ImdsResponse(200, "dynamic\nmeta-data")
        if not rest.startswith("/latest/meta-data"):
            return _error(404, "Not Found")
        item = rest[len("/latest/meta-data"):].lstrip("/")
        simple = {
            "ami-id": view.image_id, "instance-id": view.instance_id, "instance-type": view.instance_type,
            "local-ipv4": view.private_ip, "hostname": f"ip-{view.private_ip.replace('.', '-')}.ec2.internal",
            "placement/availability-zone": view.availability_zone, "placement/region": view.region,
            "security-groups": "\n".join(view.security_groups),
        }
        if item == "":
            return ImdsResponse(200, "\n".join(META_DATA_INDEX))
        if item in ("placement", "placement/"):
            return ImdsResponse(200, "availability-zone\nregion")
        if item in simple:
            return ImdsResponse(200, simple[item])
        if item == "iam" or item.startswith("iam/"):
            return self._iam(item, view, state, sandbox_id, now)
        return _error(404, "Not Found")

    def _iam(self, item: str, view: InstanceView, state: InstanceState, sandbox_id: str,
             now: datetime) -> ImdsResponse:
        role_arn = view.role_arns[0] if view.profile_arn and view.role_arns else None
        state.credentials.note_role(now, role_arn)
        if view.profile_arn is None:
            return _error(404, "Not Found")
        if item in ("iam", "iam/"):
            return ImdsResponse(200, "info\nsecurity-credentials/")
        if item == "iam/info":
            body = {"Code": "Success", "LastUpdated": iso_z(now), "InstanceProfileArn": view.profile_arn,
                    "InstanceProfileId": view.profile_id or ""}
            return ImdsResponse(200, json.dumps(body, indent=2), "application/json")
        if role_arn is None:  # a profile with no role in it: nothing to hand out
            return _error(404, "Not Found")
        role_name = role_arn.rsplit("/", 1)[-1]
        if item in ("iam/security-credentials", "iam/security-credentials/"):
            return ImdsResponse(200, role_name)
        if item.startswith("iam/security-credentials/"):
            asked = item[len("iam/security-credentials/"):].rstrip("/")
            if asked != role_name:
                return _error(404, "Not Found")
            try:
                generation = state.credentials.serve(
                    now, role_arn,
                    lambda arn, duration: issue_for_instance(self.lab, sandbox_id, view.instance_id, arn, duration))
            except ServiceRoleRefused:
                body = {"Code": "AssumeRoleUnauthorizedAccess",
                        "Message": f"EC2 cannot assume the role {role_name}.  Please see documentation at "
                                   f"{UNAUTHORIZED_DOC_URL}.",
                        "LastUpdated": iso_z(now)}
                return ImdsResponse(200, json.dumps(body, indent=2), "application/json")
            return ImdsResponse(200, json.dumps(generation.imds_document(), indent=2), "application/json")
        return _error(404, "Not Found")

    # ---- for pages ----------------------------------------------------------------------------------------------
    def timeline(self, instance_id: str) -> list[dict[str, Any]]:
        """The credential generations of an instance at its sandbox's current time (what IMDS has handed out)."""
        view = self._lookup(instance_id)
        if view is None:
            return []
        sandbox_id = self._sandbox_of(view) or ""
        with self.registry.lock:
            state = self.registry.state(sandbox_id, instance_id)
            now = self._now(sandbox_id)
            state.credentials.note_role(now, view.role_arns[0] if view.profile_arn and view.role_arns else None)
            return state.credentials.timeline(now)

    def events(self, instance_id: str) -> list[Any]:
        view = self._lookup(instance_id)
        if view is None:
            return []
        state = self.registry.existing(self._sandbox_of(view) or "", instance_id)
        return list(state.credentials.events) if state else []


_REASONS = MappingProxyType({200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                             405: "Method Not Allowed"})


def _error(status: int, text: str, headers: dict[str, str] | None = None) -> ImdsResponse:
    # IMDS answers errors with a small HTML page; a plain text line is enough for SDKs, which only read the status.
    return ImdsResponse(status, text, "text/plain", headers or {})


def with_imds(app: Callable[..., Any], lab: Any, prefix: str = "/imds") -> Callable[..., Any]:
    """Wrap a WSGI app so `<prefix>/<instance-id>/latest/...` reaches the metadata service and the rest reaches `app`.

    For `python -m gateway` (and any single-process mount): `curl -X PUT http://127.0.0.1:4566/imds/i-.../latest/
    api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300'`. In the lab whoever knows the instance id acts as code
    on that instance (on EC2 only the instance reaches 169.254.169.254); ids are random and sandboxes are private.
    """
    imds = ImdsApp(lab)
    prefix = "/" + prefix.strip("/")

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "") or "/"
        if path == prefix or path.startswith(prefix + "/"):
            inner = dict(environ)
            inner["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            inner["PATH_INFO"] = path[len(prefix):] or "/"
            return imds(inner, start_response)
        return app(environ, start_response)

    dispatch.imds = imds  # type: ignore[attr-defined]
    return dispatch
