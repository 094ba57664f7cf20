"""Lab control over HTTP, for deployments with several web processes (docs/architecture.md, "Modes").

moto is not safe to share between processes, and the engine's state (sandbox registry and clocks, issued sessions,
MFA replay memory, recent Decisions) lives in memory. So one `python -m gateway` process owns both, and every web
process points LAB_GATEWAY_URL at it: learner boto3 clients already go there over HTTP (gateway.client); this module
carries the rest.

Server side: `LabControlApp` wraps the gateway's WSGI app and answers `POST /_lab/v1/<method>` (JSON in, JSON out)
with the Lab methods the web layer uses (LAB_METHODS: sandboxes, clocks, decisions, sessions, JWKS, plus the few
reads of lab.directory / lab.mfa / federation reports / IMDS that scenarios make), and `POST /_lab/v1/admin`, which
hands one raw AWS request straight to moto in a given account (the remote twin of gateway.client.admin_client:
seeding, no authentication, no authorization). Every other path goes to the gateway untouched.

Client side: `RemoteLab` (same method names and return types as engine.lab.Lab for those methods; Decisions come
back as `RemoteDecision`, built from Decision.to_dict(); `.directory.mfa_device`, `.mfa.last_used_step /
verify_enable`, `.federation_reports.get`, `.imds_app()` mirror the engine objects the web layer reaches into),
`remote_lab(url)` and `remote_admin_client(...)`. gateway.client.admin_client returns a remote admin client by itself
when LAB_GATEWAY_URL is set, as learner_client already did.

Security. `/_lab/` gives full control over every sandbox, so it needs a shared secret: the gateway reads
LAB_CONTROL_TOKEN (at least 16 characters) and the caller sends it as `Authorization: Bearer <token>`; the compare is
constant-time. Without the variable the control API is off (403) and the gateway still serves AWS requests. There is
deliberately no "loopback needs no token" exception: a reverse proxy on the same host makes every outside request
come from 127.0.0.1, and on a shared machine any local user could reach the port. `/_lab/` exists only at the root of
the `python -m gateway` server: Django's /aws/ mount serves the bare GatewayApp, where `/aws/_lab/...` is just an
(unroutable) AWS request.

Wire format: JSON; datetimes travel as {"$datetime": ISO 8601} and bytes as {"$bytes": base64}, so they round-trip.
Errors travel as {"error": {"type", "message", ...}} and are raised again on the client as the same kind:
KeyError (unknown sandbox), ValueError (bad arguments), engine.errors.AwsError (code/status kept); anything about
the transport or the token is a LabControlError.
"""
from __future__ import annotations

import base64
import copy
import hmac
import inspect
import json
import logging
import math
import os
import re
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from engine.cloudtrail import Trail

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_lab"
API_PATH = "/_lab/v1/"
TOKEN_ENV = "LAB_CONTROL_TOKEN"
MIN_TOKEN_LENGTH = 16
MAX_CONTROL_BODY = 32 * 1024 * 1024      # admin calls carry S3 seed objects; far above what the world needs
ADMIN_METHOD = "admin"

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"}


class LabControlError(RuntimeError):
    """The control call could not be made or was refused (transport, token, server fault): not a Lab answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------------------------------------ wire encoding
def to_wire(value: Any) -> Any:
    """JSON-safe form; datetimes and bytes are tagged so `from_wire` restores them."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number: JSON cannot carry it")
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_wire(item) for item in value), key=str)
    if hasattr(value, "to_dict"):
        return to_wire(value.to_dict())
    return str(value)


def from_wire(value: Any) -> Any:
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            if isinstance(value.get("$datetime"), str):
                return datetime.fromisoformat(value["$datetime"])
            if isinstance(value.get("$bytes"), str):
                return base64.b64decode(value["$bytes"])
        return {key: from_wire(item) for key, item in value.items()}
    return value


# ------------------------------------------------------------------------------------------------ Decisions
class RemoteDecision:
    """What the web layer reads from an engine Decision, rebuilt from Decision.to_dict() on the other side.

    Offers .allowed, .effect, .reason, .deciding, .cross_account, .denied_by, .steps, .request, .trace (the
    "policies" explanation), .explicit_deny and .to_dict() (a copy of what the gateway sent).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or "allowed" not in data:
            raise LabControlError("the gateway sent a malformed decision")
        self._data = data

    allowed = property(lambda self: bool(self._data.get("allowed")))
    effect = property(lambda self: self._data.get("effect"))
    reason = property(lambda self: self._data.get("reason", ""))
    deciding = property(lambda self: list(self._data.get("deciding") or []))
    cross_account = property(lambda self: bool(self._data.get("cross_account")))
    denied_by = property(lambda self: self._data.get("denied_by"))
    steps = property(lambda self: list(self._data.get("steps") or []))
    request = property(lambda self: dict(self._data.get("request") or {}))
    trace = property(lambda self: list(self._data.get("policies") or []))

    @property
    def explicit_deny(self) -> bool:
        return self.effect == "ExplicitDeny"

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def __repr__(self) -> str:
        return f"RemoteDecision({self.effect}: {self.reason})"


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


def _accounts(args: dict[str, Any]) -> dict[str, str]:
    accounts = _arg(args, "accounts", (dict,))
    for label, account in accounts.items():
        if not isinstance(account, str):
            raise _BadArguments(f"account `{label}` must be a string")
    return accounts


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
    from .imds import ImdsApp  # noqa: PLC0415 (per-lab instance registry: every ImdsApp(lab) shares it)

    return ImdsApp(lab)


def _imds_handle(lab: Any, args: dict[str, Any]) -> dict[str, Any]:
    headers = _arg(args, "headers", (dict,), required=False, default={})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise _BadArguments("`headers` must map strings to strings")
    method = _text(args, "method", limit=16)
    answer = _imds(lab).handle(method, _text(args, "path", limit=4096), headers)
    return {"status": answer.status, "body": answer.body, "content_type": answer.content_type,
            "headers": dict(answer.headers)}


def _mfa_device(lab: Any, args: dict[str, Any]) -> dict[str, Any] | None:
    device = lab.directory.mfa_device(_text(args, "serial_number"))
    return None if device is None else {"serial_number": device.serial_number, "account": device.account,
                                        "seed": device.seed, "user_name": device.user_name}


def _mfa_verify_enable(lab: Any, args: dict[str, Any]) -> dict[str, Any]:
    at = _arg(args, "at", (int, float), required=False, nullable=True)
    proof = lab.mfa.verify_enable(_text(args, "serial"), _text(args, "seed"), _text(args, "code1", limit=16),
                                  _text(args, "code2", limit=16), at=at)
    return {"serial": proof.serial, "step": proof.step, "verified_at": proof.verified_at}


def _federation_report(lab: Any, request_id: str) -> dict[str, Any] | None:
    from engine.federation.reports import REPORTS  # noqa: PLC0415 (where engine.sts.federated records them)

    return (getattr(lab, "federation_reports", None) or REPORTS).get(request_id)


class KeyValueStore:
    """Small shared memory for the web processes (a Django cache backend can sit on it): the learner's current
    session credentials belong here, next to the sessions themselves, not in the database. Gone on restart, like
    the sessions. Bounded (oldest entries go first); values are JSON-safe; timeouts in seconds (None = no expiry)."""

    MAX_ENTRIES = 20000
    MAX_VALUE_BYTES = 256 * 1024

    def __init__(self, now: Callable[[], float] | None = None) -> None:
        import time  # noqa: PLC0415

        self._now = now or time.monotonic
        self._lock = threading.Lock()
        self._items: "OrderedDict[str, tuple[Any, float | None]]" = OrderedDict()

    def _live(self, key: str) -> tuple[Any, float | None] | None:
        entry = self._items.get(key)
        if entry is not None and entry[1] is not None and entry[1] <= self._now():
            del self._items[key]
            return None
        return entry

    def _deadline(self, timeout: float | None) -> float | None:
        return None if timeout is None else self._now() + timeout

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._live(key)
            return entry[0] if entry is not None else None

    def _check_size(self, value: Any) -> None:
        if len(json.dumps(to_wire(value))) > self.MAX_VALUE_BYTES:
            raise ValueError(f"value too large for the lab's shared store (limit {self.MAX_VALUE_BYTES} bytes)")

    def _store(self, key: str, value: Any, timeout: float | None) -> None:
        # caller holds the lock
        if timeout is not None and timeout <= 0:
            self._items.pop(key, None)
            return
        self._items[key] = (value, self._deadline(timeout))
        self._items.move_to_end(key)
        while len(self._items) > self.MAX_ENTRIES:
            self._items.popitem(last=False)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._check_size(value)
        with self._lock:
            self._store(key, value, timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        """Store only if absent; check and store under one lock, so two processes racing cannot both win."""
        self._check_size(value)
        with self._lock:
            if self._live(key) is not None:
                return False
            self._store(key, value, timeout)
            return True

    def touch(self, key: str, timeout: float | None = None) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return False
            self._items[key] = (entry[0], self._deadline(timeout))
            return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._items.pop(key, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _timeout(args: dict[str, Any]) -> float | None:
    value = _arg(args, "timeout", (int, float), required=False, nullable=True)
    if value is not None and not math.isfinite(value):
        raise _BadArguments("`timeout` must be a finite number of seconds or null")
    return None if value is None else float(value)


def _decision_dict(decision: Any) -> dict[str, Any] | None:
    return decision.to_dict() if decision is not None else None


# name -> (allowed argument names, call(lab, args) -> result). Exactly what the web layer needs; nothing that takes
# or returns engine objects (Caller, IssuedSession), which stay inside the gateway process.
LAB_METHODS: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "ping": ((), lambda lab, a: {"ok": True, "instance": _INSTANCE}),
    "register_sandbox": (("sandbox_id", "accounts", "clock_offset"), lambda lab, a: lab.register_sandbox(
        _text(a, "sandbox_id"), _accounts(a), _seconds(a, "clock_offset", required=False))),
    "forget_sandbox": (("sandbox_id",), lambda lab, a: lab.forget_sandbox(_text(a, "sandbox_id"))),
    "set_clock_offset": (("sandbox_id", "seconds"), lambda lab, a: lab.set_clock_offset(
        _text(a, "sandbox_id"), _seconds(a, "seconds"))),
    "advance_clock": (("sandbox_id", "seconds"), lambda lab, a: lab.advance_clock(
        _text(a, "sandbox_id"), _seconds(a, "seconds"))),
    "now": (("sandbox_id",), lambda lab, a: lab.now(_text(a, "sandbox_id", nullable=True))),
    "mfa_clock": (("sandbox_id",), lambda lab, a: lab.mfa_clock(_text(a, "sandbox_id", nullable=True))),
    "sandbox_of_account": (("account_id",), lambda lab, a: lab.sandbox_of_account(_text(a, "account_id"))),
    "accounts_of": (("sandbox_id",), lambda lab, a: lab.accounts_of(_text(a, "sandbox_id"))),
    # sharded gateways (sandboxes/shards.py): which sandbox an issued session key belongs to, None if not here
    "sandbox_of_key": (("access_key_id",), lambda lab, a: getattr(
        lab.session(_text(a, "access_key_id", limit=128)), "sandbox_id", None)),
    "decision": (("request_id",), lambda lab, a: _decision_dict(lab.decision(_text(a, "request_id")))),
    "decisions": (("request_id",), lambda lab, a: [d.to_dict() for d in lab.decisions(_text(a, "request_id"))]),
    "sessions": (("sandbox_id", "include_expired"), lambda lab, a: lab.sessions(
        _text(a, "sandbox_id"), include_expired=bool(_arg(a, "include_expired", (bool,), required=False,
                                                          default=False)))),
    "create_root_access_key": (("sandbox_id", "account"), lambda lab, a: list(lab.create_root_access_key(
        _text(a, "sandbox_id"), _text(a, "account")))),
    "register_oidc_jwks": (("sandbox_id", "issuer_url", "jwks"), lambda lab, a: lab.register_oidc_jwks(
        _text(a, "sandbox_id"), _text(a, "issuer_url"), _arg(a, "jwks", (dict,)))),
    "oidc_jwks": (("sandbox_id", "issuer_url"), lambda lab, a: lab.oidc_jwks(
        _text(a, "sandbox_id"), _text(a, "issuer_url"))),
    # lab.directory / lab.mfa / federation reports: the few reads and writes scenarios 5, 9 and the tamper bench make
    "directory.mfa_device": (("serial_number",), _mfa_device),
    "mfa.last_used_step": (("serial", "seed"), lambda lab, a: lab.mfa.last_used_step(
        _text(a, "serial"), _text(a, "seed"))),
    "mfa.verify_enable": (("serial", "seed", "code1", "code2", "at"), _mfa_verify_enable),
    "federation_report": (("request_id",), lambda lab, a: _federation_report(lab, _text(a, "request_id"))),
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
        from .worldstate import WorldState  # noqa: PLC0415 (moto-level account operations)

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
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
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
        from .admin import local_admin_client  # noqa: PLC0415

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
        from .botocore_glue import boto3_session  # noqa: PLC0415

        _services_cache.update(boto3_session().get_available_services())
    return _services_cache


def env_token() -> str:
    """LAB_CONTROL_TOKEN, or the content of the file LAB_CONTROL_TOKEN_FILE names (a secret mounted as a file wins,
    as for the Django settings' other secrets)."""
    path = os.environ.get(TOKEN_ENV + "_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as error:
            raise LabControlError(f"cannot read {TOKEN_ENV}_FILE={path!r}: {error.strerror}") from None
    return os.environ.get(TOKEN_ENV, "")


def with_lab_control(app: Any, token: str | None = None) -> LabControlApp:
    """Wrap the gateway app for `python -m gateway`: the token comes from LAB_CONTROL_TOKEN(_FILE) unless given."""
    token = token if token is not None else env_token()
    wrapped = LabControlApp(app, token=token)
    if not wrapped.enabled:
        log.warning("lab control API (/_lab/) is disabled: set %s to let web processes use this gateway",
                    TOKEN_ENV)
    return wrapped


# ------------------------------------------------------------------------------------------------ client
class _Transport:
    """JSON POSTs to one gateway over a small pool of keep-alive connections (thread-safe)."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        import urllib3  # noqa: PLC0415 (botocore's own HTTP library)

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"LAB_GATEWAY_URL must be an http(s) URL like http://127.0.0.1:4566, got {url!r}")
        if not token:
            raise LabControlError(f"LAB_GATEWAY_URL is set but {TOKEN_ENV} is not: the web processes need the same "
                                  "control token the gateway was started with")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                         "Accept": "application/json"}
        # Connection errors are retried (the request never left); anything after sending is not, since some calls
        # (advance_clock, admin CreateUser) must not run twice. urllib3 drops pooled connections the server closed.
        self._pool = urllib3.PoolManager(
            num_pools=2, maxsize=16, timeout=urllib3.Timeout(connect=5.0, read=timeout),
            retries=urllib3.Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0, backoff_factor=0.2))

    def post(self, name: str, args: dict[str, Any]) -> Any:
        import urllib3  # noqa: PLC0415

        url = f"{self.base}{API_PATH}{name}"
        try:
            response = self._pool.request("POST", url, body=json.dumps(to_wire(args)).encode("utf-8"),
                                          headers=self._headers)
        except urllib3.exceptions.HTTPError as error:
            raise LabControlError(f"could not reach the lab gateway at {self.base}: {error}") from None
        try:
            payload = json.loads(response.data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        if not isinstance(payload, dict):
            raise LabControlError(f"the lab gateway at {self.base} answered {name} with HTTP {response.status} "
                                  "and no lab-control JSON (is LAB_GATEWAY_URL the `python -m gateway` root?)",
                                  response.status)
        if response.status == 200 and "result" in payload:
            return from_wire(payload["result"])
        _raise(payload.get("error") or {}, response.status, self.base, name)


def _raise(error: dict[str, Any], status: int, base: str, name: str) -> None:
    kind, message = error.get("type", ""), str(error.get("message", ""))
    if kind == "KeyError":
        raise KeyError(message)
    if kind == "ValueError":
        raise ValueError(message)
    if kind == "AwsError":
        from engine.errors import AwsError  # noqa: PLC0415

        raised = AwsError(message, code=str(error.get("code", "InternalFailure")),
                          status=int(error.get("status", 400)), sender_fault=bool(error.get("sender_fault", True)))
        for name in ("reason", "detail"):   # engine.mfa's refusals say which check failed
            if isinstance(error.get(name), str):
                setattr(raised, name, error[name])
        raise raised
    if status in (401, 403):
        raise LabControlError(f"the lab gateway at {base} refused the control call {name} ({status}): {message}",
                              status)
    raise LabControlError(f"lab control call {name} failed at {base} (HTTP {status}): {message}", status)


class RemoteLab:
    """The web layer's view of engine.lab.Lab when the Lab lives in a `python -m gateway` process."""

    is_remote = True

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self._token = token if token is not None else env_token()
        self._transport = _Transport(self.url, self._token, timeout)

    def _call(self, name: str, **args: Any) -> Any:
        return self._transport.post(name, args)

    def call(self, name: str, **args: Any) -> Any:
        """One lab-control method by name (LAB_METHODS), for the façades below that mirror engine objects."""
        return self._transport.post(name, args)

    # ---- the Lab contract (engine.lab.Lab), for what the web layer uses
    def ping(self) -> dict[str, Any]:
        """{"ok": True, "instance": <changes on every gateway start>}."""
        return self._call("ping")

    def register_sandbox(self, sandbox_id: str, accounts: dict[str, str], clock_offset: float = 0.0) -> None:
        self._call("register_sandbox", sandbox_id=sandbox_id, accounts=dict(accounts), clock_offset=clock_offset)

    def forget_sandbox(self, sandbox_id: str) -> None:
        self._call("forget_sandbox", sandbox_id=sandbox_id)

    def set_clock_offset(self, sandbox_id: str, seconds: float) -> None:
        self._call("set_clock_offset", sandbox_id=sandbox_id, seconds=seconds)

    def advance_clock(self, sandbox_id: str, seconds: float) -> datetime:
        return self._call("advance_clock", sandbox_id=sandbox_id, seconds=seconds)

    def now(self, sandbox_id: str | None) -> datetime:
        return self._call("now", sandbox_id=sandbox_id)

    def mfa_clock(self, sandbox_id: str | None) -> float:
        return self._call("mfa_clock", sandbox_id=sandbox_id)

    def sandbox_of_account(self, account_id: str) -> str | None:
        return self._call("sandbox_of_account", account_id=account_id)

    def accounts_of(self, sandbox_id: str) -> dict[str, str]:
        return self._call("accounts_of", sandbox_id=sandbox_id)

    def decision(self, request_id: str) -> RemoteDecision | None:
        data = self._call("decision", request_id=request_id)
        return RemoteDecision(data) if data is not None else None

    def decisions(self, request_id: str) -> list[RemoteDecision]:
        return [RemoteDecision(item) for item in self._call("decisions", request_id=request_id)]

    def sessions(self, sandbox_id: str, *, include_expired: bool = False) -> list[dict[str, Any]]:
        return self._call("sessions", sandbox_id=sandbox_id, include_expired=include_expired)

    def create_root_access_key(self, sandbox_id: str, account: str) -> tuple[str, str]:
        key_id, secret = self._call("create_root_access_key", sandbox_id=sandbox_id, account=account)
        return key_id, secret

    def register_oidc_jwks(self, sandbox_id: str, issuer_url: str, jwks: dict[str, Any]) -> None:
        """Publish a mock issuer's JWKS for one sandbox where the gateway's STS resolves keys
        (federation.services.publish_jwks)."""
        self._call("register_oidc_jwks", sandbox_id=sandbox_id, issuer_url=issuer_url, jwks=jwks)

    def oidc_jwks(self, sandbox_id: str, issuer_url: str) -> dict[str, Any] | None:
        return self._call("oidc_jwks", sandbox_id=sandbox_id, issuer_url=issuer_url)

    @property
    def directory(self) -> "RemoteDirectory":
        """engine.directory.Directory reads the web layer makes (mfa_device only)."""
        return RemoteDirectory(self)

    @property
    def mfa(self) -> "RemoteMfa":
        """engine.mfa.MfaVerifier calls the web layer makes (last_used_step, verify_enable)."""
        return RemoteMfa(self)

    @property
    def federation_reports(self) -> "RemoteFederationReports":
        """Validation checklists of federation calls by request id (`.get(request_id)`, as engine REPORTS)."""
        return RemoteFederationReports(self)

    @property
    def trail(self) -> "RemoteTrail":
        """engine.cloudtrail.Trail's REMOTE_METHODS, called on the gateway (keyword arguments)."""
        return RemoteTrail(self._call)

    @property
    def kv(self) -> "RemoteKeyValueStore":
        """The gateway's KeyValueStore, shared by every web process (e.g. behind a Django cache backend)."""
        return RemoteKeyValueStore(self)

    @property
    def world(self) -> "RemoteWorldState":
        """gateway.worldstate.WorldState's methods, run in the gateway process (which owns moto)."""
        return RemoteWorldState(self)

    def imds_app(self) -> "RemoteImdsApp":
        """Stand-in for gateway.imds.ImdsApp(lab): handle() and timeline() run in the gateway process."""
        return RemoteImdsApp(self)

    # ---- seeding
    def admin_client(self, service: str, account_id: str, *, sandbox_id: str | None = None,
                     region: str = "us-east-1") -> Any:
        return remote_admin_client(self.url, service, account_id, sandbox_id=sandbox_id, region=region,
                                   transport=self._transport)

    def __repr__(self) -> str:
        return f"RemoteLab({self.url})"


class RemoteDirectory:
    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def mfa_device(self, serial_number: str) -> Any:
        from engine.directory import MfaDeviceInfo  # noqa: PLC0415 (a plain dataclass; no moto import)

        data = self.lab._call("directory.mfa_device", serial_number=serial_number)
        return MfaDeviceInfo(**data) if data is not None else None


class RemoteMfa:
    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def last_used_step(self, serial: str, seed: str) -> int | None:
        return self.lab._call("mfa.last_used_step", serial=serial, seed=seed)

    def verify_enable(self, serial: str, seed: str, code1: str, code2: str, *, at: float | None = None) -> Any:
        from engine.mfa import MfaProof  # noqa: PLC0415

        data = self.lab._call("mfa.verify_enable", serial=serial, seed=seed, code1=code1, code2=code2, at=at)
        return MfaProof(**data)


class RemoteFederationReports:
    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def get(self, request_id: str) -> dict[str, Any] | None:
        return self.lab._call("federation_report", request_id=request_id)


class RemoteTrail:
    """The gateway's Trail seen from a web process: exactly Trail.REMOTE_METHODS, with keyword arguments."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self._remote_call = call

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in Trail.REMOTE_METHODS:
            raise AttributeError(f"the remote Trail has no method `{name}`")
        return lambda **args: self._remote_call(f"trail.{name}", **args)


class RemoteKeyValueStore:
    """KeyValueStore's methods, answered by the gateway process."""

    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def get(self, key: str) -> Any:
        return self.lab._call("kv.get", key=key)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self.lab._call("kv.set", key=key, value=value, timeout=timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return self.lab._call("kv.add", key=key, value=value, timeout=timeout)

    def touch(self, key: str, timeout: float | None = None) -> bool:
        return self.lab._call("kv.touch", key=key, timeout=timeout)

    def delete(self, key: str) -> bool:
        return self.lab._call("kv.delete", key=key)

    def clear(self) -> None:
        self.lab._call("kv.clear")


class RemoteWorldState:
    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def account_loaded(self, account_id: str) -> bool:
        return self.lab.call("world.account_loaded", account_id=account_id)

    def drop_accounts(self, account_ids: list[str]) -> None:
        self.lab.call("world.drop_accounts", account_ids=list(account_ids))

    def clone_accounts(self, pairs: dict[str, str], replacements: dict[str, str]) -> None:
        self.lab.call("world.clone_accounts", pairs=dict(pairs), replacements=dict(replacements))

    def set_access_keys(self, entries: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
        return self.lab.call("world.set_access_keys", entries=entries)

    def replay(self, entries: list[dict[str, Any]]) -> int:
        return self.lab.call("world.replay", entries=entries)


class RemoteImdsApp:
    """gateway.imds.ImdsApp's page-facing methods, answered by the gateway process (which owns the instances)."""

    def __init__(self, lab: RemoteLab) -> None:
        self.lab = lab

    def handle(self, method: str, path: str, headers: dict[str, str]) -> Any:
        from .imds import ImdsResponse  # noqa: PLC0415

        answer = self.lab._call("imds_handle", method=method, path=path, headers=dict(headers))
        return ImdsResponse(int(answer["status"]), answer["body"], answer["content_type"], dict(answer["headers"]))

    def timeline(self, instance_id: str) -> list[dict[str, Any]]:
        return self.lab._call("imds_timeline", instance_id=instance_id)


_remote_labs: dict[tuple[str, str], RemoteLab] = {}
_remote_lock = threading.Lock()


def remote_lab(url: str, token: str | None = None) -> RemoteLab:
    """The RemoteLab for this gateway URL (one per process and URL, so its connection pool is reused)."""
    token = token if token is not None else env_token()
    key = (url.rstrip("/"), token)
    with _remote_lock:
        lab = _remote_labs.get(key)
        if lab is None:
            lab = _remote_labs[key] = RemoteLab(url, token)
        return lab


def remote_admin_client(url: str, service: str, account_id: str, *, sandbox_id: str | None = None,
                        region: str = "us-east-1", token: str | None = None, transport: _Transport | None = None
                        ) -> Any:
    """The remote twin of gateway.client.admin_client: a real boto3 client whose requests the gateway process hands
    straight to moto in `account_id` (S3 names moved into `sandbox_id`'s namespace). For seeding only."""
    from botocore.awsrequest import AWSPreparedRequest  # noqa: PLC0415

    from .botocore_glue import (BOTO3_SERVICE, aws_response, body_bytes, boto3_session,  # noqa: PLC0415
                                client_config, install_sender)

    link = transport or remote_lab(url, token)._transport
    client = boto3_session().client(
        BOTO3_SERVICE.get(service, service), region_name=region, endpoint_url="http://localhost",
        aws_access_key_id="AKIAADMINSEEDING0000", aws_secret_access_key="admin-seeding-not-checked",
        config=client_config(service=service))

    def send(request: AWSPreparedRequest, _: str) -> Any:
        parts = urlsplit(request.url)
        headers = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
        answer = link.post(ADMIN_METHOD, {
            "service": service, "account_id": account_id, "sandbox_id": sandbox_id, "region": region,
            "method": request.method, "path": parts.path or "/", "query": parts.query, "headers": headers,
            "body": body_bytes(request)})
        return aws_response(request.url, int(answer["status"]), [tuple(h) for h in answer["headers"]],
                             answer["body"])

    return install_sender(client, send)
