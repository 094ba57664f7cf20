"""What one run of a step (or a federation page's call) recorded, typed: a StepResult of CallRecords.

The player stores `StepResult.to_json()` on the learner's StepProgress row (a JSONField) and reads it back with
`StepResult.from_json()`; templates read the attributes. The stored form carries `version`: results stored before
this module existed have none (version 1, the same keys as an untyped dict) and are converted on load; a payload
that cannot be read (not a result at all, or written by a newer lab) raises StoredResultError, whose message the
page shows instead of the result — the learner runs the step again, nothing else is lost.

Plain Python (no Django, no sandbox imports): scenarios/, federation/, classroom/ and the models all use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 2   # 1: the untyped dicts stored before typed results (no "version" key)

DROPPED_MESSAGE = ("Your last run of this step was stored in a form this version of the lab cannot read, so it is "
                   "not shown. Run the step again to see what AWS answers.")


class StoredResultError(ValueError):
    """A stored result that cannot be loaded; `message` says so in words a learner understands."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.message = DROPPED_MESSAGE


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StoredResultError(f"{what} is {type(value).__name__}, not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StoredResultError(f"{what} is {type(value).__name__}, not a list")
    return value


@dataclass
class ExchangeRecord:
    """One HTTP request/response pair of a call, secrets already masked (what the HTTP panel shows)."""
    method: str
    url: str
    headers: dict[str, str]
    body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    request_id: str | None = None
    operation: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "headers": dict(self.headers), "body": self.body,
                "status": self.status, "response_headers": dict(self.response_headers),
                "response_body": self.response_body, "request_id": self.request_id, "operation": self.operation}

    @classmethod
    def from_json(cls, data: Any) -> ExchangeRecord:
        data = _dict(data, "an exchange")
        return cls(method=str(data.get("method", "")), url=str(data.get("url", "")),
                   headers=dict(_dict(data.get("headers") or {}, "exchange headers")), body=str(data.get("body", "")),
                   status=data.get("status"),
                   response_headers=dict(_dict(data.get("response_headers") or {}, "response headers")),
                   response_body=str(data.get("response_body", "")), request_id=data.get("request_id"),
                   operation=data.get("operation"))


@dataclass
class CallError:
    """The AWS error a call was answered with."""
    code: str
    message: str = ""

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class CallRecord:
    """One real AWS call a step made: who signed, what was sent, what AWS answered, what the engine decided."""
    label: str
    signer: str
    params: dict[str, Any] = field(default_factory=dict)
    expect: str | None = None          # the AWS error code the lesson means this call to get, or None (success)
    ok: bool = False
    error: CallError | None = None
    request_id: str | None = None
    response: Any = None               # the parsed answer, secrets masked (None when AWS answered with an error)
    exchanges: list[ExchangeRecord] = field(default_factory=list)
    operation: str | None = None
    decision: dict[str, Any] | None = None   # engine Decision.to_dict() (the panels mark policies from it)
    met_expectation: bool = False

    def expectation_met(self) -> bool:
        """Succeeded when success was expected, or refused with exactly the expected code."""
        return (self.ok and self.expect is None) or (
            not self.ok and self.expect is not None and self.error is not None and self.error.code == self.expect)

    @property
    def error_code(self) -> str:
        return self.error.code if self.error else ""

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "signer": self.signer, "params": self.params, "expect": self.expect,
                "ok": self.ok, "error": self.error.to_json() if self.error else None, "request_id": self.request_id,
                "response": self.response, "exchanges": [x.to_json() for x in self.exchanges],
                "operation": self.operation, "decision": self.decision, "met_expectation": self.met_expectation}

    @classmethod
    def from_json(cls, data: Any) -> CallRecord:
        data = _dict(data, "a call")
        error = data.get("error")
        if error is not None:
            error = _dict(error, "a call's error")
            error = CallError(str(error.get("code", "")), str(error.get("message", "")))
        decision = data.get("decision")
        record = cls(label=str(data.get("label", "")), signer=str(data.get("signer", "")),
                     params=dict(_dict(data.get("params") or {}, "a call's parameters")), expect=data.get("expect"),
                     ok=bool(data.get("ok")), error=error, request_id=data.get("request_id"),
                     response=data.get("response"),
                     exchanges=[ExchangeRecord.from_json(x) for x in _list(data.get("exchanges"), "exchanges")],
                     operation=data.get("operation"),
                     decision=_dict(decision, "a decision") if decision is not None else None)
        # Results stored before what-ifs were judged by their outcome have no met_expectation: work it out.
        met = data.get("met_expectation")
        record.met_expectation = record.expectation_met() if met is None else bool(met)
        return record


@dataclass
class Needs:
    """The step needs something an earlier step makes: where to go first."""
    message: str
    step_title: str
    url: str = ""

    def to_json(self) -> dict[str, str]:
        return {"message": self.message, "step_title": self.step_title, "url": self.url}


@dataclass
class StepResult:
    """One run: the calls in order, the sessions kept, the notes (trusted HTML) and whether the lesson happened."""
    variant: str = ""                  # "" for the step's own run, a what-if's slug, or "check:<session>"
    variant_label: str = ""
    explanation: str = ""              # HTML (ours): why AWS answered this way
    calls: list[CallRecord] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    succeeded: bool = False
    ran_at: str = ""                   # sandbox time, ISO 8601
    needs: Needs | None = None
    free_play: bool = False            # a federation page, not a lesson: no outcome is "unexpected"
    report: dict[str, Any] | None = None   # the federation validation checklist of the last call, if any
    version: int = SCHEMA_VERSION

    @staticmethod
    def calls_succeeded(calls: list[CallRecord]) -> bool:
        return bool(calls) and all(call.met_expectation for call in calls)

    def decisions(self) -> list[dict[str, Any]]:
        return [call.decision for call in self.calls if call.decision]

    def to_json(self) -> dict[str, Any]:
        return {"version": SCHEMA_VERSION, "variant": self.variant, "variant_label": self.variant_label,
                "explanation": self.explanation, "calls": [call.to_json() for call in self.calls],
                "sessions": list(self.sessions), "notes": list(self.notes), "succeeded": self.succeeded,
                "ran_at": self.ran_at, "needs": self.needs.to_json() if self.needs else None,
                "free_play": self.free_play, "report": self.report}

    @classmethod
    def from_json(cls, data: Any) -> StepResult:
        """A stored result, current or legacy (version 1, no "version" key); StoredResultError if unreadable."""
        data = _dict(data, "the stored result")
        version = data.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= SCHEMA_VERSION:
            raise StoredResultError(f"stored result version {version!r}; this lab reads 1 to {SCHEMA_VERSION}")
        needs = data.get("needs")
        if needs is not None:
            needs = _dict(needs, "needs")
            needs = Needs(str(needs.get("message", "")), str(needs.get("step_title", "")), str(needs.get("url", "")))
        report = data.get("report")
        return cls(variant=str(data.get("variant", "")), variant_label=str(data.get("variant_label", "")),
                   explanation=str(data.get("explanation", "")),
                   calls=[CallRecord.from_json(c) for c in _list(data.get("calls"), "calls")],
                   sessions=[str(s) for s in _list(data.get("sessions"), "sessions")],
                   notes=[str(n) for n in _list(data.get("notes"), "notes")], succeeded=bool(data.get("succeeded")),
                   ran_at=str(data.get("ran_at", "")), needs=needs, free_play=bool(data.get("free_play")),
                   report=_dict(report, "report") if report is not None else None, version=SCHEMA_VERSION)


def load_stored(data: Any) -> tuple[StepResult | None, str]:
    """(result, "") for a stored payload, (None, "") when nothing is stored, (None, message) when it is unreadable."""
    if not data:   # nothing stored (None, or the empty object a reset may leave)
        return None, ""
    try:
        return StepResult.from_json(data), ""
    except StoredResultError as error:
        return None, error.message
