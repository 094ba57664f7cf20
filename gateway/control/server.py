"""Lab control, server side: `LabControlApp` wraps the gateway's WSGI app and answers `POST /_lab/v1/<method>`
(JSON in, JSON out) with the Lab methods the web layer uses (LAB_METHODS: every engine.ports.LabPort method, derived
from the Protocol, plus CloudTrail, the shared store, world building and IMDS), and
`POST /_lab/v1/admin`, which hands one raw AWS request straight to moto in a given account (the remote twin of
gateway.admin.local_admin_client: seeding, no authentication, no authorization). Every other path goes to the
gateway untouched. The token rules are in gateway/control/__init__.py."""
from __future__ import annotations

import base64
import hmac
import inspect
import json
import logging
import math
import os
import re
import threading
from typing import Any, Callable, Iterable

from engine.cloudtrail import Trail
from engine.ports import LabPort, port_methods

from .store import KeyValueStore
from .wire import (ADMIN_METHOD, API_PATH, CONTROL_PREFIX, MAX_CONTROL_BODY, MIN_TOKEN_LENGTH, TOKEN_ENV, env_token,
                   from_wire, to_wire)

log = logging.getLogger(__name__)

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"}


# ------------------------------------------------------------------------------------------------ argument checks
class _BadArguments(ValueError):
    pass


def _arg(args: dict[str, Any], name: str, kinds: tuple[type, ...], *, required: bool = True,
         default: Any = None, nullable: bool = False) -> Any:
    if name not in args:
        if required:
            raise _BadArguments(f"missing argument `{name}`")
        return default
    value = args[name]
    if value is None and nullable:
        return None
    # bool is an int to Python, never a number or an id here
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise _BadArguments(f"argument `{name}` must be {names}, got {type(value).__name__}")
    return value


def _text(args: dict[str, Any], name: str, *, nullable: bool = False, limit: int = 2048) -> str | None:
    value = _arg(args, name, (str,), nullable=nullable)
    if value is not None and not (0 < len(value) <= limit):
        raise _BadArguments(f"argument `{name}` must be 1 to {limit} characters")
    return value


def _seconds(args: dict[str, Any], name: str, *, required: bool = True, default: float = 0.0) -> float:
    value = float(_arg(args, name, (int, float), required=required, default=default))
    if not math.isfinite(value):
        raise _BadArguments(f"argument `{name}` must be a finite number of seconds")
    return value


def _strings(args: dict[str, Any], name: str) -> list[str]:
    value = _arg(args, name, (list,))
    if not all(isinstance(item, str) for item in value):
        raise _BadArguments(f"`{name}` must be a list of strings")
    return value


def _string_map(args: dict[str, Any], name: str) -> dict[str, str]:
    value = _arg(args, name, (dict,))
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _BadArguments(f"`{name}` must map strings to strings")
    return value


def _check_args(args: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise _BadArguments(f"unexpected argument(s): {', '.join(unknown)}")


# ------------------------------------------------------------------------------------------------ server: Lab methods
def _imds(lab: Any) -> Any:
    from ..imds import ImdsApp  # noqa: PLC0415 (per-lab instance registry: every ImdsApp(lab) shares it)

    return ImdsApp(lab)


def _imds_handle(lab: Any, args: dict[str, Any]) -> dict[str, Any]:
    headers = _arg(args, "headers", (dict,), required=False, default={})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise _BadArguments("`headers` must map strings to strings")
    method = _text(args, "method", limit=16)
    answer = _imds(lab).handle(method, _text(args, "path", limit=4096), headers)
    return {"status": answer.status, "body": answer.body, "content_type": answer.content_type,
            "headers": dict(answer.headers)}


def _timeout(args: dict[str, Any]) -> float | None:
    value = _arg(args, "timeout", (int, float), required=False, nullable=True)
    if value is not None and not math.isfinite(value):
        raise _BadArguments("`timeout` must be a finite number of seconds or null")
    return None if value is None else float(value)


# name -> (allowed argument names, call(lab, args) -> result). Exactly what the web layer needs; nothing that takes
# or returns engine objects (Caller, IssuedSession), which stay inside the gateway process.
LAB_METHODS: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "ping": ((), lambda lab, a: {"ok": True, "instance": _INSTANCE}),
    # sharded gateways (sandboxes/shards.py): which sandbox an issued session key belongs to, None if not here
    "sandbox_of_key": (("access_key_id",), lambda lab, a: getattr(
        lab.session(_text(a, "access_key_id", limit=128)), "sandbox_id", None)),
    # The web processes' shared memory (KeyValueStore); the store is the LabControlApp's, passed as `store`.
    "kv.get": (("key",), lambda lab, a, store: store.get(_text(a, "key", limit=512))),
    "kv.set": (("key", "value", "timeout"), lambda lab, a, store: store.set(
        _text(a, "key", limit=512), a.get("value"), _timeout(a))),
    "kv.add": (("key", "value", "timeout"), lambda lab, a, store: store.add(
        _text(a, "key", limit=512), a.get("value"), _timeout(a))),
    "kv.touch": (("key", "timeout"), lambda lab, a, store: store.touch(_text(a, "key", limit=512), _timeout(a))),
    "kv.delete": (("key",), lambda lab, a, store: store.delete(_text(a, "key", limit=512))),
    "kv.clear": ((), lambda lab, a, store: store.clear()),
    # Sandbox builds: whole-account copies, drops, access keys and journal replay (gateway/worldstate.py); the
    # WorldState is the LabControlApp's (bound to its moto), passed as `store`.
    "world.account_loaded": (("account_id",), lambda lab, a, world: world.account_loaded(_text(a, "account_id"))),
    "world.drop_accounts": (("account_ids",), lambda lab, a, world: world.drop_accounts(
        _strings(a, "account_ids"))),
    "world.clone_accounts": (("pairs", "replacements"), lambda lab, a, world: world.clone_accounts(
        _string_map(a, "pairs"), _string_map(a, "replacements"))),
    "world.set_access_keys": (("entries",), lambda lab, a, world: world.set_access_keys(
        _arg(a, "entries", (list,)))),
    "world.add_identity_providers": (("account_id", "saml", "oidc"), lambda lab, a, world: world.add_identity_providers(
        _text(a, "account_id"), _arg(a, "saml", (list,)), _arg(a, "oidc", (list,)))),
    "world.replay": (("entries",), lambda lab, a, world: world.replay(_arg(a, "entries", (list,)))),
    # Scenario 4: an instance's metadata service (gateway/imds.py) runs where the instances and sessions are.
    "imds_handle": (("method", "path", "headers"), _imds_handle),
    "imds_timeline": (("instance_id",), lambda lab, a: _imds(lab).timeline(_text(a, "instance_id", limit=64))),
}


def _trail_methods() -> dict[str, tuple[tuple[str, ...], Callable[..., Any]]]:
    """`trail.<name>` for every name in engine.cloudtrail.Trail.REMOTE_METHODS (that list is the one place)."""
    methods: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {}
    for name in Trail.REMOTE_METHODS:
        parameters = tuple(p for p in inspect.signature(getattr(Trail, name)).parameters if p != "self")

        def call(lab: Any, args: dict[str, Any], _name: str = name, _parameters: tuple[str, ...] = parameters) -> Any:
            missing = [p for p in _parameters if p not in args and
                       inspect.signature(getattr(Trail, _name)).parameters[p].default is inspect.Parameter.empty]
            if missing:
                raise _BadArguments(f"`{missing[0]}` is required")
            return getattr(lab.trail, _name)(**args)

        methods[f"trail.{name}"] = (parameters, call)
    return methods


LAB_METHODS.update(_trail_methods())


# ------------------------------------------------------------------------------------------------ server: LabPort
# Every engine.ports.LabPort method is served under its own name, its arguments checked by their annotations:
# adding engine state that web processes reach is a method on the Protocol (and Lab), nothing here. An argument
# type without a check below fails at import, so nothing crosses lab control unchecked.
_LIMITS = {"code1": 16, "code2": 16}   # an MFA code is six digits; a longer text is never one


def _number_or_none(args: dict[str, Any], name: str) -> float | None:
    return None if args.get(name) is None else _seconds(args, name)


_ARGUMENT_CHECKS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "str": lambda a, n: _text(a, n, limit=_LIMITS.get(n, 2048)),
    "str | None": lambda a, n: _text(a, n, nullable=True, limit=_LIMITS.get(n, 2048)),
    "float": _seconds,
    "float | None": _number_or_none,
    "bool": lambda a, n: _arg(a, n, (bool,)),
    "dict[str, str]": _string_map,
    "dict[str, Any]": lambda a, n: _arg(a, n, (dict,)),
    "list[str]": _strings,
    "list[str] | None": lambda a, n: None if a.get(n) is None else _strings(a, n),
}


def port_call(name: str, signature: inspect.Signature) -> tuple[tuple[str, ...], Callable[..., Any]]:
    checks: dict[str, Callable[[dict[str, Any], str], Any]] = {}
    for parameter in signature.parameters.values():
        annotation = str(parameter.annotation)
        if annotation not in _ARGUMENT_CHECKS:
            raise TypeError(f"LabPort.{name}: lab control has no check for an argument of type {annotation} "
                            f"(`{parameter.name}`); use a JSON-safe type or add one to _ARGUMENT_CHECKS")
        checks[parameter.name] = _ARGUMENT_CHECKS[annotation]
    required = [p.name for p in signature.parameters.values() if p.default is inspect.Parameter.empty]

    def call(lab: Any, args: dict[str, Any]) -> Any:
        missing = [p for p in required if p not in args]
        if missing:
            raise _BadArguments(f"missing argument `{missing[0]}`")
        return getattr(lab, name)(**{p: check(args, p) for p, check in checks.items() if p in args})

    return tuple(signature.parameters), call


LAB_METHODS.update({name: port_call(name, signature) for name, signature in port_methods(LabPort).items()})

# Changes on every gateway start: a web process can tell that the gateway restarted (and lost its memory).
_INSTANCE = base64.b32encode(os.urandom(10)).decode("ascii").lower()


# ------------------------------------------------------------------------------------------------ server: WSGI
def _json_response(start_response: Callable[..., Any], status: int, payload: dict[str, Any],
                   extra_headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    body = json.dumps(payload).encode("utf-8")
    phrases = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 411: "Length Required", 413: "Content Too Large",
               500: "Internal Server Error"}
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
               ("Cache-Control", "no-store"), *extra_headers]
    start_response(f"{status} {phrases.get(status, 'Error')}", headers)
    return [body]


def _error(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **extra}}


class LabControlApp:
    """WSGI wrapper: `/_lab/...` is lab control (token required), everything else goes to the gateway app."""

    def __init__(self, app: Any, *, token: str | None, lab: Any = None, moto: Any = None) -> None:
        token = token or None
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"{TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters (it guards full control "
                             "over every sandbox); use e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`")
        self.app = app
        self.lab = lab if lab is not None else app.lab
        self.moto = moto if moto is not None else app.moto
        self._token = token.encode("utf-8") if token else None
        self.store = KeyValueStore()
        from ..worldstate import WorldState  # noqa: PLC0415 (moto-level account operations)

        self.world = WorldState(self.moto)
        self._admin_clients: dict[tuple[str, str, str | None, str], Any] = {}
        self._admin_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._token is not None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if not (path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")):
            return self.app(environ, start_response)
        status, payload, headers = self._control(environ, path)
        return _json_response(start_response, status, payload, headers)

    # ---- one control request
    def _control(self, environ: dict[str, Any], path: str) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        if self._token is None:
            return 403, _error("Disabled", f"lab control is disabled on this gateway: start it with {TOKEN_ENV} "
                                           "set (the web processes send the same value)"), []
        if not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return 401, _error("Unauthorized", "missing or wrong lab control token"), [
                ("WWW-Authenticate", 'Bearer realm="securecart-lab-control"')]
        if not path.startswith(API_PATH) or "/" in path[len(API_PATH):]:
            return 404, _error("NotFound", f"no such lab control endpoint: {path}"), []
        name = path[len(API_PATH):]
        if name != ADMIN_METHOD and name not in LAB_METHODS:
            return 404, _error("NotFound", f"the lab has no remote method `{name}`"), []
        if environ.get("REQUEST_METHOD") != "POST":
            return 405, _error("MethodNotAllowed", "lab control calls are POST requests"), [("Allow", "POST")]
        try:
            args = self._read_json(environ)
        except _BadArguments as error:
            status = 413 if "too large" in str(error) else 400
            return status, _error("ValueError", str(error)), []
        try:
            if name == ADMIN_METHOD:
                return 200, {"result": self._admin_call(args)}, []
            allowed, call = LAB_METHODS[name]
            _check_args(args, allowed)
            if name.startswith("kv."):
                result = call(self.lab, args, self.store)
            elif name.startswith("world."):
                result = call(self.lab, args, self.world)
            else:
                result = call(self.lab, args)
            return 200, {"result": to_wire(result)}, []
        except _BadArguments as error:
            return 400, _error("ValueError", str(error)), []
        except KeyError as error:
            return 404, _error("KeyError", str(error.args[0]) if error.args else "not found"), []
        except ValueError as error:
            return 400, _error("ValueError", str(error)), []
        except Exception as error:  # noqa: BLE001 (an AwsError keeps its code; anything else is our fault)
            from engine.errors import AwsError  # noqa: PLC0415

            if isinstance(error, AwsError):
                extra = {k: getattr(error, k) for k in ("reason", "detail") if isinstance(getattr(error, k, None), str)}
                return 400, _error("AwsError", error.message, code=error.code, status=error.status,
                                   sender_fault=error.sender_fault, **extra), []
            log.exception("lab control call %s failed", name)
            return 500, _error("InternalError", f"the gateway failed to run `{name}` (see its log)"), []

    def _authorized(self, header: str) -> bool:
        scheme, _, presented = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            # still compare, so a missing header costs the same as a wrong one
            hmac.compare_digest(b"", self._token or b"")
            return False
        return hmac.compare_digest(presented.strip().encode("utf-8"), self._token or b"")

    @staticmethod
    def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _BadArguments("bad Content-Length") from None
        if length > MAX_CONTROL_BODY:
            raise _BadArguments(f"request body too large ({length} bytes; the limit is {MAX_CONTROL_BODY})")
        if length > 0:
            raw = environ["wsgi.input"].read(length)
        elif environ.get("wsgi.input_terminated"):   # chunked: no length, the server's input ends with the body
            raw = environ["wsgi.input"].read(MAX_CONTROL_BODY + 1)
            if len(raw) > MAX_CONTROL_BODY:
                raise _BadArguments(f"request body too large (the limit is {MAX_CONTROL_BODY} bytes)")
        else:
            raw = b""
        if not raw:
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _BadArguments("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise _BadArguments("the body must be a JSON object of named arguments")
        return from_wire(data)

    # ---- admin: one raw AWS request straight to moto, as gateway.client.admin_client does in-process
    def _admin_call(self, args: dict[str, Any]) -> dict[str, Any]:
        from botocore.awsrequest import AWSPreparedRequest  # noqa: PLC0415

        _check_args(args, ("service", "account_id", "sandbox_id", "region", "method", "path", "query",
                           "headers", "body"))
        service = _text(args, "service", limit=64)
        if service not in _known_services():
            raise _BadArguments(f"unknown AWS service `{service}`")
        account_id = _text(args, "account_id")
        if not _ACCOUNT_RE.match(account_id):
            raise _BadArguments("`account_id` must be a 12-digit AWS account id")
        sandbox_id = _text(args, "sandbox_id", nullable=True) if "sandbox_id" in args else None
        region = _text(args, "region", limit=32)
        if not _REGION_RE.match(region):
            raise _BadArguments(f"`region` {region!r} is not an AWS region name")
        method = _text(args, "method", limit=8)
        if method not in _HTTP_METHODS:
            raise _BadArguments(f"unsupported HTTP method {method!r}")
        path = _text(args, "path", limit=8192)
        if not path.startswith("/"):
            raise _BadArguments("`path` must start with /")
        query = _arg(args, "query", (str,), required=False, default="")
        headers = _arg(args, "headers", (dict,))
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise _BadArguments("`headers` must map strings to strings")
        body = _arg(args, "body", (bytes,), required=False, default=b"")
        client = self._admin_client(service, account_id, sandbox_id, region)
        url = "http://localhost" + path + (f"?{query}" if query else "")
        prepared = AWSPreparedRequest(method, url, headers, body, stream_output=False)
        # The admin client's own `before-send` handler (gateway.client.admin_client) answers from moto; going
        # through it keeps one implementation of the S3 namespace rewriting for both modes.
        with client.aimed() as raw:
            _, response = raw.meta.events.emit_until_response(f"before-send.{service}.LabAdmin", request=prepared)
        if response is None:
            raise RuntimeError("the admin client did not answer")
        return {"status": response.status_code, "headers": [[k, v] for k, v in response.headers.items()],
                "body": {"$bytes": base64.b64encode(response.content or b"").decode("ascii")}}

    def _admin_client(self, service: str, account_id: str, sandbox_id: str | None, region: str) -> Any:
        from ..admin import local_admin_client  # noqa: PLC0415

        key = (service, account_id, sandbox_id, region)
        with self._admin_lock:
            client = self._admin_clients.get(key)
            if client is None:
                if len(self._admin_clients) >= 512:      # bounded: a long-lived gateway sees many sandboxes
                    self._admin_clients.clear()
                client = local_admin_client(service, account_id, sandbox_id=sandbox_id, region=region, moto=self.moto)
                self._admin_clients[key] = client
            return client


_services_cache: set[str] = set()


def _known_services() -> set[str]:
    if not _services_cache:
        from ..botocore_glue import boto3_session  # noqa: PLC0415

        _services_cache.update(boto3_session().get_available_services())
    return _services_cache


def with_lab_control(app: Any, token: str | None = None) -> LabControlApp:
    """Wrap the gateway app for `python -m gateway`: the token comes from LAB_CONTROL_TOKEN(_FILE) unless given."""
    token = token if token is not None else env_token()
    wrapped = LabControlApp(app, token=token)
    if not wrapped.enabled:
        log.warning("lab control API (/_lab/) is disabled: set %s to let web processes use this gateway",
                    TOKEN_ENV)
    return wrapped
