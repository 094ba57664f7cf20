"""Making recorded calls in a learner's sandbox: the StepContext a scenario step (or a federation page) is given.

scenarios/ (the player) and federation/ (the IdP, viewer and portal pages) both make real calls through the
gateway and show what went over the wire; both use this module, so neither imports the other for it. A context
hands out clients for the sandbox's principals (`Keys`), records every call as a CallRecord (request, response,
outcome, the engine's decision) and ends as a StepResult (sandboxes/results.py). Secrets are masked by the one
redactor (gateway/redact.py): the recorder masks secret fields, and the context masks every secret it knows by
value — the keys it signed with, the credentials calls returned, and whatever a step hands to `add_secret()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from botocore.exceptions import ClientError

from gateway.redact import Redactor, mask_response_data

from . import credentials, services
from .credentials import SessionCredentials
from .labclient import lab, learner_client, new_recorder
from .models import Sandbox
from .results import CallError, CallRecord, ExchangeRecord, StepResult

MAX_BODY = 6000   # characters of a request or response body kept per exchange


class NeedsEarlierStep(Exception):
    """The step uses something an earlier step produces (e.g. session credentials) and it is not there."""

    def __init__(self, message: str, step_slug: str) -> None:
        super().__init__(message)
        self.message = message
        self.step_slug = step_slug


@dataclass
class Keys:
    """Credentials a call is signed with: a seeded user's long-term keys or a session's temporary ones."""
    label: str
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def client_kwargs(self) -> dict[str, Any]:
        return {"access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key,
                "session_token": self.session_token}


def decode_body(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(body)} bytes of binary data)"
    return str(body)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + f"\n… ({len(text) - MAX_BODY} more characters)"


def exchange_record(exchange: Any, redactor: Redactor) -> ExchangeRecord:
    """A recorder Exchange as the HTTP panel shows it: bodies decoded and clipped, known secrets masked once more."""
    # The recorder already masks the Authorization signature, session tokens and secret fields; masking the
    # secrets this step knows about once more catches them anywhere else (e.g. echoed in an error message).
    headers = {str(k): redactor.text(str(v)) for k, v in dict(exchange.headers).items()}
    body = exchange.body
    if isinstance(body, dict):  # form-encoded (query protocol): one "Name=value" per line reads best
        body = "\n".join(f"{k}={v}" for k, v in body.items())
    return ExchangeRecord(
        method=exchange.method, url=exchange.url, headers=headers, body=_clip(redactor.text(decode_body(body))),
        status=exchange.status,
        response_headers={str(k): str(v) for k, v in dict(exchange.response_headers or {}).items()},
        response_body=_clip(redactor.text(decode_body(exchange.response_body))),
        request_id=getattr(exchange, "request_id", None), operation=getattr(exchange, "operation", None))


def json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, bytes):
        return decode_body(value)
    if hasattr(value, "read"):  # S3 StreamingBody
        return decode_body(value.read())
    return value


def decision_of(request_id: str | None, exchanges: list[Any]) -> dict[str, Any] | None:
    """The engine's Decision (as a dict) that answered this request: in-process it came back with the response
    (gateway.client.Exchange.decision); over HTTP the gateway process keeps it by request id."""
    if not request_id:
        return None
    answered = next((x for x in reversed(exchanges) if getattr(x, "request_id", None) == request_id), None)
    if answered is not None and getattr(answered, "local", False):
        decision = answered.decision
    else:
        decision = lab().decision(request_id)
    return decision.to_dict() if decision is not None else None


class StepContext:
    """Handed to a step function: clients for the sandbox's principals, and a record of every call made."""

    def __init__(self, sandbox: Sandbox, *, origin: str = "") -> None:
        self.sandbox = sandbox
        self.origin = origin  # the step page URL, so a credentials card can offer "assume again" there
        self.accounts = sandbox.account_ids()
        self.recorder = new_recorder()
        self.calls: list[CallRecord] = []
        self.sessions: list[str] = []
        self.notes: list[str] = []
        self.redactor = Redactor()
        # The kept sessions this run read or kept, by name: what a later read in the run is given instead of reading
        # the row again (one query each). Every keep in a step goes through keep_session() or keep_credentials(),
        # which replace the entry, so it never holds an older one.
        self.known_sessions: dict[str, SessionCredentials] = {}
        # Only those this run kept: what the page's cards may show without reading again. A session the run merely
        # read may have been replaced (another tab) or forgotten (a reset) since, so a card reads it afresh.
        self.kept_sessions: dict[str, SessionCredentials] = {}

    def add_secret(self, *secrets: str | None) -> None:
        """Mask these values wherever this run's record would show them (HTTP panels, messages, notes' calls)."""
        self.redactor.add(*secrets)

    def add_call(self, record: CallRecord) -> None:
        """Record a call the context did not make itself (e.g. a request to the instance metadata service)."""
        self.calls.append(record)

    # who signs -------------------------------------------------------------------------------------------------
    def user(self, account: str, user_name: str) -> Keys:
        key = services.key_for(self.sandbox, account, user_name)
        self.add_secret(key.secret_access_key)
        return Keys(f"{user_name} ({account} account, long-term key)", key.access_key_id, key.secret_access_key)

    def session(self, name: str, *, made_by: str) -> Keys:
        return self._keys(self.stored_session(name), name, made_by)

    def _keys(self, creds: SessionCredentials | None, name: str, made_by: str) -> Keys:
        if creds is None:
            raise NeedsEarlierStep(f"This step uses the {name} credentials, which an earlier step issues.", made_by)
        self.add_secret(creds.secret_access_key, creds.session_token)
        return Keys(creds.label, creds.access_key_id, creds.secret_access_key, creds.session_token)

    def live_session(self, name: str, *, made_by: str) -> Keys:
        """Like session(), for a step that needs the credentials still valid: once they have expired (the learner
        fast-forwarded), the step sends the learner back to get new ones instead of failing every call."""
        creds = self.stored_session(name)
        if creds is not None and creds.expires_at <= services.sandbox_now(self.sandbox):
            raise NeedsEarlierStep(f"The {creds.label} credentials expired (you moved the sandbox clock past "
                                   f"{creds.expiration[:19]}Z), so every call with them would only answer "
                                   "ExpiredToken. Get new ones first, then come back.", made_by)
        return self._keys(creds, name, made_by)   # the row just read, not a second query for it

    def stored_session(self, name: str) -> SessionCredentials | None:
        creds = self.known_sessions.get(name)
        if creds is None:
            creds = credentials.get(self.sandbox.id, name)
            if creds is not None:
                self.known_sessions[name] = creds
        return creds

    def client(self, service: str, keys: Keys, *, region: str | None = None) -> Any:
        # pooled: a step's clients are only called, so they share botocore clients per credentials (gateway.client)
        return learner_client(service, recorder=self.recorder, pooled=True, region=region, **keys.client_kwargs())

    def role_arn(self, account: str, role_name: str) -> str:
        return f"arn:aws:iam::{self.accounts[account]}:role/{role_name}"

    # calling ---------------------------------------------------------------------------------------------------
    def call(self, label: str, method: Callable[..., Any], *, signer: Keys, expect: str | None = None,
             **params: Any) -> dict[str, Any] | None:
        """Make one real AWS call; record request, response, outcome and the engine's decision.

        expect: the AWS error code this call is meant to produce (a denial the step demonstrates), or None.
        Returns the response, or None when AWS answered with an error.
        """
        before = len(self.recorder.exchanges)
        record = CallRecord(label=label, signer=signer.label, params=json_safe(params), expect=expect)
        response: dict[str, Any] | None = None
        try:
            response = method(**params)
            record.ok = True
            record.request_id = response.get("ResponseMetadata", {}).get("RequestId")
            if "Credentials" in response:
                self.add_secret(response["Credentials"]["SecretAccessKey"], response["Credentials"]["SessionToken"])
            record.response = mask_response_data(json_safe(response))
        except ClientError as error:
            err = error.response.get("Error", {})
            record.error = CallError(err.get("Code", ""), err.get("Message", ""))
            record.request_id = error.response.get("ResponseMetadata", {}).get("RequestId")
        exchanges = self.recorder.exchanges[before:]
        record.exchanges = [exchange_record(x, self.redactor) for x in exchanges]
        if not record.request_id and exchanges:
            record.request_id = getattr(exchanges[-1], "request_id", None)
        record.operation = getattr(exchanges[-1], "operation", None) if exchanges else method.__name__
        record.decision = decision_of(record.request_id, exchanges)
        record.met_expectation = record.expectation_met()
        self.calls.append(record)
        return response

    def keep_session(self, name: str, label: str, response: dict[str, Any] | None, *, issued_by: str = "AssumeRole"
                     ) -> SessionCredentials | None:
        """Remember the credentials an STS call returned, so later steps (and the card's countdown) can use them."""
        if not response or "Credentials" not in response:
            return None
        c = response["Credentials"]
        arn = response.get("AssumedRoleUser", {}).get("Arn") or response.get("FederatedUser", {}).get("Arn", "")
        creds = SessionCredentials(name=name, label=label, arn=arn, access_key_id=c["AccessKeyId"],
                                   secret_access_key=c["SecretAccessKey"], session_token=c["SessionToken"],
                                   expiration=c["Expiration"].astimezone(timezone.utc).isoformat(),
                                   issued_by=issued_by, origin=self.origin)
        self.keep_credentials(creds)
        self.sessions.append(name)
        return creds

    def keep_credentials(self, creds: SessionCredentials) -> None:
        """Keep credentials a step obtained some other way (instance metadata) under their name."""
        credentials.keep(self.sandbox.id, creds)
        self.known_sessions[creds.name] = self.kept_sessions[creds.name] = creds

    def note(self, html: str) -> None:
        self.notes.append(html)

    def result(self, *, variant: str, variant_label: str, explanation: str = "") -> StepResult:
        return StepResult(variant=variant, variant_label=variant_label, explanation=explanation,
                          calls=list(self.calls), sessions=list(self.sessions), notes=list(self.notes),
                          succeeded=StepResult.calls_succeeded(self.calls),
                          ran_at=services.sandbox_now(self.sandbox).isoformat())
