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
from types import MappingProxyType
from typing import Callable
from xml.sax.saxutils import unescape

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


# IAM's CreateAccessKey answer (query XML): <AccessKey><UserName/><AccessKeyId/><Status/><SecretAccessKey/>
# <CreateDate/></AccessKey> (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html)
_ACCESS_KEY_FIELDS = MappingProxyType({name: re.compile(rb"<%s>([^<]+)</%s>" % (name.encode(), name.encode()))
                                       for name in ("AccessKeyId", "SecretAccessKey", "UserName", "Status",
                                                    "CreateDate")})


def created_access_key(body: bytes) -> dict[str, str]:
    """The fields of an IAM CreateAccessKey answer, XML entities unescaped; {} when it carries no key id. Read by
    the journal (to give the same key back on a replay) and by CloudTrail (the key and user as the event's
    resources; never the secret)."""
    found = {name: pattern.search(body or b"") for name, pattern in _ACCESS_KEY_FIELDS.items()}
    if not found["AccessKeyId"]:
        return {}
    return {name: unescape(match.group(1).decode("utf-8", "replace")) for name, match in found.items() if match}


def created_key_id(body: bytes) -> str | None:
    return created_access_key(body).get("AccessKeyId")


def created_key(body: bytes) -> dict[str, str] | None:
    """The key a CreateAccessKey answer made, as the journal keeps it (key id, secret and user), or None."""
    found = created_access_key(body)
    if not all(found.get(name) for name in ("AccessKeyId", "SecretAccessKey", "UserName")):
        return None
    return {"access_key_id": found["AccessKeyId"], "secret_access_key": found["SecretAccessKey"],
            "user_name": found["UserName"]}


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
