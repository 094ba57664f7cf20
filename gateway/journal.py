"""The journal of a sandbox's successful writes: what a learner created or changed through the endpoint.

moto's state lives in memory, so after a restart (or when an idle sandbox is evicted) it is rebuilt from the
database: the world from its template, then the trust edits, then these writes replayed in order
(gateway.worldstate.replay). The gateway hands every successful write it forwarded to moto to the sink the process
installed (`set_sink`); the web layer's sink stores it in the database (sandboxes/journal.py), in the web process
(default mode) or in the gateway process started by `manage.py gateway` (several web processes). With no sink
installed (`python -m gateway` alone) nothing is journaled.

What is recorded is the request as moto saw it: the account, method, path (bucket names already in the sandbox's
namespace), query, the headers moto reads and the body. Never the caller's credentials (the gateway talks to moto
with a fixed placeholder signature) and never session secrets. One secret is kept on purpose: the long-term key a
CreateAccessKey returned, so the replayed call can give the same key back (the brief allows long-term secrets).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Callable

from .runtime import current

log = logging.getLogger(__name__)

# A write larger than this is not journaled (logged instead): the lessons' writes are policies and small objects.
MAX_JOURNALED_BODY = 1024 * 1024

# Read-only operation names start like these (IAM, EC2, Secrets Manager, KMS, ...); everything else changes state.
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "Simulate", "Lookup", "Search", "Generate", "Decode",
                  "Validate", "Check", "Preview", "BatchGet", "Test")
# Headers moto does not need again, or that only describe one transmission.
_DROPPED_HEADERS = frozenset({"x-amz-date", "x-amz-security-token", "user-agent", "host", "content-length", "expect",
                              "connection", "accept-encoding", "amz-sdk-invocation-id", "amz-sdk-request",
                              "x-amz-user-agent"})


@dataclass
class JournaledWrite:
    sandbox_id: str
    service: str
    operation: str
    account_id: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    # CreateAccessKey: {"user_name", "access_key_id", "secret_access_key"} of the key it made
    created_key: dict[str, str] | None = field(default=None)

    def replay_entry(self) -> dict[str, object]:
        """The form gateway.worldstate.replay takes (also what the database row stores)."""
        return {"account_id": self.account_id, "method": self.method, "path": self.path, "query": self.query,
                "headers": self.headers, "body": self.body, "created_key": self.created_key}


Sink = Callable[[JournaledWrite], None]


def set_sink(sink: Sink | None) -> None:
    """Install the process's journal sink (None removes it): the runtime's configuration (gateway.runtime)."""
    current().config.journal_sink = sink


def has_sink() -> bool:
    return current().config.journal_sink is not None


def is_write(service: str, method: str, operation: str) -> bool:
    if service == "s3":
        return method in ("PUT", "POST", "DELETE")
    return bool(operation) and not operation.startswith(_READ_PREFIXES)


_CREATED_KEY = re.compile(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")
_CREATED_SECRET = re.compile(rb"<SecretAccessKey>([^<]+)</SecretAccessKey>")
_CREATED_USER = re.compile(rb"<UserName>([^<]+)</UserName>")


def created_key_id(body: bytes) -> str | None:
    found = _CREATED_KEY.search(body or b"")
    return found.group(1).decode() if found else None


def created_key(body: bytes) -> dict[str, str] | None:
    """The key an IAM CreateAccessKey answer carries (query XML)."""
    key, secret, user = _CREATED_KEY.search(body), _CREATED_SECRET.search(body), _CREATED_USER.search(body)
    if not (key and secret and user):
        return None
    from xml.sax.saxutils import unescape

    return {"access_key_id": key.group(1).decode(), "secret_access_key": unescape(secret.group(1).decode()),
            "user_name": unescape(user.group(1).decode())}


def record(sandbox_id: str | None, service: str, operation: str, account_id: str, method: str, path: str,
           query: str, headers: dict[str, str], body: bytes, response_body: bytes) -> None:
    """Called by the gateway after moto accepted a request; hands writes to the sink."""
    sink = current().config.journal_sink
    if sink is None or not sandbox_id or not is_write(service, method, operation):
        return
    if len(body) > MAX_JOURNALED_BODY:
        log.warning("not journaling %s %s of %s: body of %d bytes", service, operation, sandbox_id, len(body))
        return
    kept = {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS and not k.lower().startswith("amz-sdk")}
    entry = JournaledWrite(sandbox_id, service, operation, account_id, method, path, query, kept, body,
                           created_key(response_body) if (service, operation) == ("iam", "CreateAccessKey") else None)
    try:
        sink(entry)
    except Exception:  # the write happened; a failing journal must not turn it into an error for the learner
        log.exception("could not journal %s %s of %s", service, operation, sandbox_id)
