"""What a scenario is: an ordered list of steps, each a Python function that makes real calls through the gateway.

A scenario module (scenarios/library/sN_*.py) declares `SCENARIO = Scenario(...)`. The player (views.py) shows a
step's narrative, diagram and policies, runs its function (or a "what if" variation) with a StepContext, and
renders what the context recorded: every HTTP exchange, the AWS outcome, the engine's decision and any
credentials issued. Nothing is canned: the page shows what the calls returned. See scenarios/README.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from botocore.exceptions import ClientError
from django.utils.html import format_html, format_html_join

from sandboxes import credentials, services
from sandboxes.credentials import SessionCredentials
from sandboxes.labclient import lab, learner_client, new_recorder
from sandboxes.models import Sandbox

from .highlight import code_ticks


# ----------------------------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Node:
    label: str
    detail: str = ""            # e.g. the account, "AWS STS", "S3 bucket"
    kind: str = "principal"     # principal | sts | role | resource (picks the icon colour)


@dataclass(frozen=True)
class Diagram:
    """Who calls whom, left to right; `active` is the index of the node the current hop reaches (lit)."""
    nodes: tuple[Node, ...]
    active: int = 0


@dataclass(frozen=True)
class PolicyRef:
    """A policy shown on the step page, read live from the sandbox (so learner edits show up)."""
    kind: str                   # "trust" | "identity"
    account: str                # world account name: production | developer | auditor
    role: str = ""
    user: str = ""
    name: str = ""              # inline policy name (identity policies)
    title: str = ""

    @property
    def key(self) -> str:
        owner = f"role/{self.role}" if self.role else f"user/{self.user}"
        return f"{self.account}:{owner}:{self.kind}:{self.name}"


@dataclass(frozen=True)
class WhatIf:
    slug: str
    label: str                  # the button text: "Wrong ExternalId"
    explanation: str            # HTML shown with the result: why AWS answers this way
    run: Callable[["StepContext"], None]


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    narrative: str              # HTML (trusted, written by us)
    run: Callable[["StepContext"], None]
    diagram: Diagram
    run_label: str = "Run this step"
    lesson: str = ""            # HTML shown after a successful run: what just happened
    policies: tuple[PolicyRef, ...] = ()
    editable_trust: PolicyRef | None = None
    what_ifs: tuple[WhatIf, ...] = ()
    # Names of session credentials whose card (with countdown and fast-forward) this step shows.
    shows_sessions: tuple[str, ...] = ()
    # The lesson is expiry: besides the step's own run, proving an expired session is refused ("Make a call with
    # them" on the card) completes it. Nothing else does (not "assume again").
    teaches_expiry: bool = False

    def what_if(self, slug: str) -> WhatIf | None:
        return next((w for w in self.what_ifs if w.slug == slug), None)


@dataclass(frozen=True)
class AwsRule:
    """One rule of AWS's the scenario made the learner meet, with the AWS page that states it (the recap lists them)."""
    text: str
    url: str


LEVELS = ("Beginner", "Intermediate", "Advanced")


@dataclass(frozen=True)
class Scenario:
    number: int
    slug: str
    title: str
    summary: str
    sts_call: str
    steps: tuple[Step, ...]
    # The overview page (before step 1) and the recap page (after the last step) read these.
    objective: str = ""                       # HTML: what the learner will be able to do afterwards
    prerequisites: tuple[str, ...] = ()       # HTML items
    minutes: int = 0                          # a newcomer's time for every step and a few what-ifs
    level: str = ""                           # one of LEVELS
    rules: tuple[AwsRule, ...] = ()
    quiz_domains: tuple[str, ...] = ()        # quiz.bank DOMAINS whose questions practise the same ideas
    # "scenario" (a lesson of its own), "use-case" (a short case that adds something; `adds` says what) or
    # "variation" (a short path through another scenario's lesson, shown inside that scenario, `variation_of`).
    kind: str = "scenario"
    variation_of: str = ""
    adds: str = ""                            # HTML: what this use case or variation adds over the scenarios

    def step(self, slug: str) -> Step | None:
        return next((s for s in self.steps if s.slug == slug), None)

    def index_of(self, step: Step) -> int:
        return self.steps.index(step)


# ----------------------------------------------------------------------------------------------- running a step
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


_SECRET_XML = re.compile(r"<(SecretAccessKey|SessionToken)>([^<]+)</\1>")


_ALREADY_MASKED = re.compile(r"…\((\d+ characters, )?hidden\)$")


def mask_secret(value: str) -> str:
    if not value or _ALREADY_MASKED.search(value):  # the gateway's recorder masked it first, with the true length
        return value
    return value[:4] + "…" + f"({len(value)} characters, hidden)"


def shorten_token(value: str) -> str:
    return value if len(value) <= 24 else f"{value[:12]}…{value[-8:]}"


def mask_text(text: str, secrets: list[str]) -> str:
    text = _SECRET_XML.sub(lambda m: f"<{m.group(1)}>{mask_secret(m.group(2))}</{m.group(1)}>", text)
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, mask_secret(secret))
    return text


def _decode(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(body)} bytes of binary data)"
    return str(body)


_MAX_BODY = 6000


def exchange_to_dict(exchange: Any, secrets: list[str]) -> dict[str, Any]:
    def clip(text: str) -> str:
        return text if len(text) <= _MAX_BODY else text[:_MAX_BODY] + f"\n… ({len(text) - _MAX_BODY} more characters)"

    # The recorder already masks the Authorization signature, session tokens and secret fields; masking the
    # secrets this step knows about once more catches them anywhere else (e.g. echoed in an error message).
    headers = {str(k): mask_text(str(v), secrets) for k, v in dict(exchange.headers).items()}
    body = exchange.body
    if isinstance(body, dict):  # form-encoded (query protocol): one "Name=value" per line reads best
        body = "\n".join(f"{k}={v}" for k, v in body.items())
    return {
        "method": exchange.method, "url": exchange.url, "headers": headers,
        "body": clip(mask_text(_decode(body), secrets)),
        "status": exchange.status,
        "response_headers": {str(k): str(v) for k, v in dict(exchange.response_headers or {}).items()},
        "response_body": clip(mask_text(_decode(exchange.response_body), secrets)),
        "request_id": getattr(exchange, "request_id", None), "operation": getattr(exchange, "operation", None),
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, bytes):
        return _decode(value)
    if hasattr(value, "read"):  # S3 StreamingBody
        return _decode(value.read())
    return value


class StepContext:
    """Handed to a step function: clients for the sandbox's principals, and a record of every call made."""

    def __init__(self, sandbox: Sandbox, *, origin: str = "") -> None:
        self.sandbox = sandbox
        self.origin = origin  # the step page URL, so a credentials card can offer "assume again" there
        self.accounts = sandbox.account_ids()
        self.recorder = new_recorder()
        self.calls: list[dict[str, Any]] = []
        self.sessions: list[str] = []
        self.notes: list[str] = []
        self._secrets: list[str] = []

    # who signs -------------------------------------------------------------------------------------------------
    def user(self, account: str, user_name: str) -> Keys:
        key = services.key_for(self.sandbox, account, user_name)
        self._secrets.append(key.secret_access_key)
        return Keys(f"{user_name} ({account} account, long-term key)", key.access_key_id, key.secret_access_key)

    def session(self, name: str, *, made_by: str) -> Keys:
        creds = credentials.get(self.sandbox.id, name)
        if creds is None:
            raise NeedsEarlierStep(f"This step uses the {name} credentials, which an earlier step issues.", made_by)
        self._secrets += [creds.secret_access_key, creds.session_token]
        return Keys(creds.label, creds.access_key_id, creds.secret_access_key, creds.session_token)

    def live_session(self, name: str, *, made_by: str) -> Keys:
        """Like session(), for a step that needs the credentials still valid: once they have expired (the learner
        fast-forwarded), the step sends the learner back to get new ones instead of failing every call."""
        creds = credentials.get(self.sandbox.id, name)
        if creds is not None and creds.expires_at <= services.sandbox_now(self.sandbox):
            raise NeedsEarlierStep(f"The {creds.label} credentials expired (you moved the sandbox clock past "
                                   f"{creds.expiration[:19]}Z), so every call with them would only answer "
                                   "ExpiredToken. Get new ones first, then come back.", made_by)
        return self.session(name, made_by=made_by)

    def stored_session(self, name: str) -> SessionCredentials | None:
        return credentials.get(self.sandbox.id, name)

    def client(self, service: str, keys: Keys) -> Any:
        # pooled: a step's clients are only called, so they share botocore clients per credentials (gateway.client)
        return learner_client(service, recorder=self.recorder, pooled=True, **keys.client_kwargs())

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
        record: dict[str, Any] = {"label": label, "signer": signer.label, "params": _json_safe(params),
                                  "expect": expect}
        response: dict[str, Any] | None = None
        try:
            response = method(**params)
            record.update(ok=True, error=None, request_id=response.get("ResponseMetadata", {}).get("RequestId"))
            if "Credentials" in response:
                self._secrets += [response["Credentials"]["SecretAccessKey"], response["Credentials"]["SessionToken"]]
            record["response"] = _mask_response(_json_safe(response))
        except ClientError as error:
            err = error.response.get("Error", {})
            record.update(ok=False, error={"code": err.get("Code", ""), "message": err.get("Message", "")},
                          request_id=error.response.get("ResponseMetadata", {}).get("RequestId"), response=None)
        exchanges = self.recorder.exchanges[before:]
        record["exchanges"] = [exchange_to_dict(x, self._secrets) for x in exchanges]
        if not record.get("request_id") and exchanges:
            record["request_id"] = getattr(exchanges[-1], "request_id", None)
        record["operation"] = getattr(exchanges[-1], "operation", None) if exchanges else method.__name__
        record["decision"] = self._decision(record.get("request_id"))
        record["met_expectation"] = (record["ok"] and expect is None) or (
            not record["ok"] and expect is not None and record["error"]["code"] == expect)
        self.calls.append(record)
        return response

    def _decision(self, request_id: str | None) -> dict[str, Any] | None:
        if not request_id:
            return None
        decision = lab().decision(request_id)
        return decision.to_dict() if decision is not None else None

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
        credentials.keep(self.sandbox.id, creds)
        self.sessions.append(name)
        return creds

    def note(self, html: str) -> None:
        self.notes.append(html)

    def result(self, *, variant: str, variant_label: str, explanation: str = "") -> dict[str, Any]:
        succeeded = bool(self.calls) and all(call["met_expectation"] for call in self.calls)
        return {"variant": variant, "variant_label": variant_label, "explanation": explanation,
                "calls": self.calls, "sessions": self.sessions, "notes": self.notes, "succeeded": succeeded,
                "ran_at": services.sandbox_now(self.sandbox).isoformat()}


def _mask_response(response: Any) -> Any:
    if isinstance(response, dict):
        out = {}
        for key, value in response.items():
            if key == "SecretAccessKey" and isinstance(value, str):
                out[key] = mask_secret(value)
            elif key == "SessionToken" and isinstance(value, str):
                out[key] = shorten_token(value)
            else:
                out[key] = _mask_response(value)
        return out
    if isinstance(response, list):
        return [_mask_response(v) for v in response]
    return response


def different_outcome(calls: list[dict[str, Any]], *, edited: bool) -> str:
    """The explanation for a what-if whose calls did not end the way its written explanation assumes: what AWS
    answered and why, taken from the recorded calls and the engine's decision, never from the lesson's text."""
    items = []
    for call in calls:
        if call["met_expectation"]:
            continue
        got = "succeeded (200 OK)" if call["ok"] else f"was refused with {call['error']['code']}"
        wanted = f"a refusal with {call['expect']}" if call["expect"] else "success"
        reason = (call.get("decision") or {}).get("reason", "")
        items.append((call["label"], got, wanted, reason))
    if not items:
        return ""
    cause = ("because you edited the trust policy: the engine evaluated your version" if edited else
             "because the sandbox is not in the state this what-if assumes")
    rows = format_html_join("", "<li>{} {}, where SecureCart's usual setup gives {}.{}</li>",
                            ((label, got, wanted, format_html(" The engine: {}", code_ticks(reason)) if reason else "")
                             for label, got, wanted, reason in items))
    return format_html('<p data-different-outcome><strong>This time the outcome is different</strong>, {}.</p>'
                       '<ul>{}</ul><p>The decision below shows which statement decided.{}</p>', cause, rows,
                       " Restore SecureCart's original trust policy in the editor to see the usual lesson."
                       if edited else "")
