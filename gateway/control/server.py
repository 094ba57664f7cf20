"""Lab control, server side: `LabControlApp` wraps the gateway's WSGI app and answers `POST /_lab/v1/<namespace>.<method>`
(JSON in, JSON out) with every method of the Protocols gateway.control.registry.PORTS names, each served by
`registry.expose` with its arguments checked by their types: the Lab's ports, its Trail, the world (moto's accounts
and named admin calls for seeding), the instance metadata service and `control.ping`. Every other path goes to the
gateway untouched. The token rules are in gateway/control/__init__.py."""
from __future__ import annotations

import base64
import hmac
import json
import logging
import os
from typing import Any, Callable, Iterable

from ..ports import Ping
from .registry import LAB_PORTS, PORTS, BadArguments, Handler, expose
from .wire import API_PATH, CONTROL_PREFIX, MAX_CONTROL_BODY, MIN_TOKEN_LENGTH, TOKEN_ENV, env_token, from_wire

log = logging.getLogger(__name__)

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
        self.handlers: dict[str, Handler] = {}
        if self._token is not None:   # disabled: nothing is served, so nothing needs building
            for namespace, implementation in self.implementations().items():
                self.handlers.update(expose(PORTS[namespace], implementation, namespace))

    def implementations(self) -> dict[str, Any]:
        """namespace (registry.PORTS) -> the object in this process that serves that Protocol."""
        from ..imds import ImdsApp  # noqa: PLC0415 (per-lab instance registry: every ImdsApp(lab) shares it)
        from ..worldstate import WorldState  # noqa: PLC0415 (moto-level account operations)

        # every LAB_PORTS Protocol is served by the Lab itself: a new one there needs no line here
        return {**dict.fromkeys(LAB_PORTS, self.lab), "trail": self.lab.trail, "world": WorldState(self.moto),
                "imds": ImdsApp(self.lab), "control": self}

    def ping(self) -> Ping:
        return Ping(ok=True, instance=_INSTANCE)

    @property
    def enabled(self) -> bool:
        return self._token is not None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if not (path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")):
            answer: Iterable[bytes] = self.app(environ, start_response)
            return answer
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
        handler = self.handlers.get(name)
        if handler is None:
            return 404, _error("NotFound", f"the lab has no remote method `{name}`"), []
        if environ.get("REQUEST_METHOD") != "POST":
            return 405, _error("MethodNotAllowed", "lab control calls are POST requests"), [("Allow", "POST")]
        try:
            args = self._read_json(environ)
        except BadArguments as error:
            status = 413 if "too large" in str(error) else 400
            return status, _error("ValueError", str(error)), []
        try:
            return 200, {"result": handler(args)}, []
        except KeyError as error:
            return 404, _error("KeyError", str(error.args[0]) if error.args else "not found"), []
        except ValueError as error:   # BadArguments included
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
            raise BadArguments("bad Content-Length") from None
        if length > MAX_CONTROL_BODY:
            raise BadArguments(f"request body too large ({length} bytes; the limit is {MAX_CONTROL_BODY})")
        if length > 0:
            raw = environ["wsgi.input"].read(length)
        elif environ.get("wsgi.input_terminated"):   # chunked: no length, the server's input ends with the body
            raw = environ["wsgi.input"].read(MAX_CONTROL_BODY + 1)
            if len(raw) > MAX_CONTROL_BODY:
                raise BadArguments(f"request body too large (the limit is {MAX_CONTROL_BODY} bytes)")
        else:
            raw = b""
        if not raw:
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BadArguments("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadArguments("the body must be a JSON object of named arguments")
        arguments: dict[str, Any] = from_wire(data)
        return arguments


def with_lab_control(app: Any, token: str | None = None) -> LabControlApp:
    """Wrap the gateway app for `python -m gateway`: the token comes from LAB_CONTROL_TOKEN(_FILE) unless given."""
    token = token if token is not None else env_token()
    wrapped = LabControlApp(app, token=token)
    if not wrapped.enabled:
        log.warning("lab control API (/_lab/) is disabled: set %s to let web processes use this gateway",
                    TOKEN_ENV)
    return wrapped
