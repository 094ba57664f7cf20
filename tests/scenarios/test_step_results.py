"""A step's result is typed and versioned (sandboxes/results.py): what the player stores loads back the same, a result
stored before the version field existed is converted, an unreadable one is dropped with a message, never a 500.
Secrets go through the one redactor (gateway/redact.py), fed by the public StepContext.add_secret()."""
from __future__ import annotations

import re

import pytest

from gateway.redact import Redactor, mask_secret, shorten_token
from sandboxes.models import StepProgress
from sandboxes.results import DROPPED_MESSAGE, SCHEMA_VERSION, CallError, CallRecord, ExchangeRecord, Needs, \
    StepResult, StoredResultError, load_stored
from sandboxes.steps import StepContext

S1 = "cross-account-auditors"
STEP = "assume-audit-role"

# What the player stored before typed results (no "version"), and before met_expectation existed (2ea7b3f):
# one refused AssumeRole the lesson expected, with its HTTP exchange.
LEGACY = {
    "variant": "wrong-external-id", "variant_label": "Wrong ExternalId", "explanation": "<p>Why.</p>",
    "calls": [{"label": "Assume SecureCart-Audit with the wrong ExternalId", "signer": "auditor (long-term key)",
               "params": {"RoleArn": "arn:aws:iam::200000000001:role/SecureCart-Audit"}, "expect": "AccessDenied",
               "ok": False, "error": {"code": "AccessDenied", "message": "User is not authorized"},
               "request_id": "req-legacy-1", "response": None, "operation": "AssumeRole", "decision": None,
               "exchanges": [{"method": "POST", "url": "http://127.0.0.1:8000/aws", "headers": {"X-Amz-Date": "x"},
                              "body": "Action=AssumeRole", "status": 403, "response_headers": {},
                              "response_body": "<ErrorResponse/>", "request_id": "req-legacy-1",
                              "operation": "AssumeRole"}]}],
    "sessions": [], "notes": ["<p>legacy note</p>"], "succeeded": True, "ran_at": "2026-01-01T00:00:00+00:00",
}


def _current() -> StepResult:
    call = CallRecord(label="Who am I?", signer="auditor", params={"a": 1}, ok=True, request_id="r1",
                      response={"Arn": "arn:aws:sts::1:assumed-role/R/s"}, operation="GetCallerIdentity",
                      exchanges=[ExchangeRecord("POST", "http://x/aws", {"H": "v"}, "Action=GetCallerIdentity", 200,
                                                {"Content-Type": "text/xml"}, "<ok/>", "r1", "GetCallerIdentity")],
                      decision={"allowed": True, "reason": "an Allow statement matched"})
    call.met_expectation = call.expectation_met()
    refused = CallRecord(label="Write", signer="auditor", expect="AccessDenied", ok=False,
                         error=CallError("AccessDenied", "no"), operation="PutObject")
    refused.met_expectation = refused.expectation_met()
    return StepResult(variant="", variant_label="Run this step", calls=[call, refused], sessions=["audit"],
                      notes=["<p>n</p>"], succeeded=True, ran_at="2026-01-01T00:00:00+00:00",
                      needs=Needs("Do step 1 first", "Step 1", "/scenarios/x/one/"), free_play=True,
                      report={"error": None})


def test_a_current_result_round_trips_through_its_stored_form() -> None:
    result = _current()
    stored = result.to_json()
    assert stored["version"] == SCHEMA_VERSION
    assert StepResult.from_json(stored) == result
    # The stored form keeps the keys templates, tests and the classroom read as they always were.
    assert stored["calls"][1]["error"] == {"code": "AccessDenied", "message": "no"}
    assert stored["calls"][0]["exchanges"][0]["status"] == 200 and stored["needs"]["url"] == "/scenarios/x/one/"


def test_a_legacy_result_without_version_is_converted_on_load() -> None:
    result = StepResult.from_json(LEGACY)
    assert result.version == SCHEMA_VERSION and result.variant == "wrong-external-id" and result.succeeded
    (call,) = result.calls
    assert call.error == CallError("AccessDenied", "User is not authorized")
    # met_expectation was not stored then: worked out from expect and the error code
    assert call.met_expectation is True
    assert call.exchanges[0].status == 403 and result.needs is None and result.free_play is False
    assert result.to_json()["version"] == SCHEMA_VERSION


@pytest.mark.parametrize("payload", [
    {"version": SCHEMA_VERSION + 1, "calls": []},          # written by a newer lab
    {"version": "two"},
    {"calls": "not a list"},
    {"calls": [{"label": "x", "error": "AccessDenied"}]},   # error must be an object
    ["not", "an", "object"],
])
def test_an_unreadable_stored_result_is_dropped_with_a_clear_message(payload) -> None:
    with pytest.raises(StoredResultError):
        StepResult.from_json(payload)
    assert load_stored(payload) == (None, DROPPED_MESSAGE)
    assert load_stored(None) == (None, "") and load_stored({}) == (None, "")


def test_the_step_page_shows_a_legacy_stored_result(learner) -> None:
    StepProgress.objects.create(sandbox=learner.sandbox, scenario=S1, step=STEP, last_result=LEGACY)
    page = learner.client.get(learner.step_url(S1, STEP))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Assume SecureCart-Audit with the wrong ExternalId" in html and "legacy note" in html
    assert "This is the refusal the lesson is about." in html and "data-result-dropped" not in html


def test_the_step_page_drops_an_unreadable_stored_result_with_a_message(learner) -> None:
    StepProgress.objects.create(sandbox=learner.sandbox, scenario=S1, step=STEP,
                                last_result={"version": SCHEMA_VERSION + 1, "calls": "?"})
    page = learner.client.get(learner.step_url(S1, STEP))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-result-dropped" in html and "cannot read" in html
    # ...and running the step again replaces it with a result of the current version
    learner.run(S1, STEP)
    assert learner.last_result(S1, STEP)["version"] == SCHEMA_VERSION and learner.last_result(S1, STEP)["succeeded"]
    assert "data-result-dropped" not in learner.client.get(learner.step_url(S1, STEP)).content.decode()


def test_the_recap_reads_a_legacy_result(learner) -> None:
    StepProgress.objects.create(sandbox=learner.sandbox, scenario=S1, step=STEP, last_result=LEGACY)
    page = learner.client.get(f"/scenarios/{S1}/recap/")
    assert page.status_code == 200 and "Assume SecureCart-Audit with the wrong ExternalId" in page.content.decode()


# ------------------------------------------------------------------------------------------------ one redactor
def test_masking_keeps_the_true_length_and_is_idempotent() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    masked = mask_secret(secret)
    assert masked == "wJal…(40 characters, hidden)" and mask_secret(masked) == masked
    assert mask_secret("abc") == "…(hidden)"
    assert shorten_token("A" * 12 + "B" * 30 + "C" * 8) == "A" * 12 + "…" + "C" * 8 and shorten_token("short") == "short"


def test_a_redactor_masks_known_secrets_anywhere_in_text() -> None:
    redactor = Redactor()
    redactor.add("s3cr3t-value-123", None, "")
    text = redactor.text("echoed s3cr3t-value-123 and <SessionToken>IQoJtokenvalue</SessionToken>")
    assert "s3cr3t-value-123" not in text and "s3cr…(16 characters, hidden)" in text
    assert "<SessionToken>IQoJ…(14 characters, hidden)</SessionToken>" in text
    assert redactor.known == ("s3cr3t-value-123",)


def test_add_secret_masks_a_value_in_the_calls_the_context_records(learner) -> None:
    """A step hands a secret it learned outside a call (IMDS, a raw response) to ctx.add_secret(); a call that
    carries that value (here as a parameter echoed in the request body) shows it masked."""
    ctx = StepContext(learner.sandbox, origin="/")
    keys = ctx.user("production", "lab-admin")
    planted = "planted-secret-value-0123456789"
    ctx.add_secret(planted)
    ctx.call("List users with a marker", ctx.client("iam", keys).list_users, signer=keys, PathPrefix=f"/{planted}/")
    (call,) = ctx.calls
    assert planted not in call.exchanges[0].body and "plan…(31 characters, hidden)" in call.exchanges[0].body
    assert ctx.result(variant="", variant_label="x").calls == [call]


def test_a_step_page_shows_its_own_stored_result_and_every_done_step(learner) -> None:
    # The page reads only the shown step's stored result (scenarios/views._progress_showing); the mistake it must
    # not make: showing another step's result (a CASE on the wrong row), none, or losing the others' done marks.
    def headline(html: str) -> str | None:
        shown = re.search(r'<p class="result-headline[^"]*">.*?<strong>(.*?)</strong>', html, re.S)
        return shown.group(1) if shown else None

    learner.run(S1, "meet-the-auditor")
    learner.run(S1, STEP)
    page = learner.client.get(learner.step_url(S1, "meet-the-auditor")).content.decode()
    assert headline(page) == "Call GetCallerIdentity"
    assert page.count('<span class="visually-hidden"> (done)</span>') == 2
    assert headline(learner.run(S1, STEP, htmx=True).content.decode()) == "Call AssumeRole"
    fresh = learner.client.get(learner.step_url(S1, "read-security-logs")).content.decode()
    assert headline(fresh) is None and "Nothing run yet" in fresh
    assert fresh.count('<span class="visually-hidden"> (done)</span>') == 2


def test_a_rerun_of_a_done_step_keeps_its_first_completion_and_stores_the_new_result(learner) -> None:
    # record_run skips the completion UPDATE once the row it read is complete (nothing clears a completion); the
    # mistake: a later run, or a refused what-if, moving or clearing the first completion's time.
    learner.run(S1, STEP)
    first = learner.sandbox.progress.get(scenario=S1, step=STEP).completed_at
    learner.run(S1, STEP, variant="wrong-external-id")
    row = learner.sandbox.progress.get(scenario=S1, step=STEP)
    assert row.completed_at == first and row.last_result["variant"] == "wrong-external-id"
    learner.run(S1, STEP)
    row = learner.sandbox.progress.get(scenario=S1, step=STEP)
    assert row.completed_at == first and row.last_result["variant"] == "" and row.last_result["succeeded"]


def test_the_card_after_a_run_shows_the_credentials_that_run_kept(learner) -> None:
    # The card is built from what the run kept (StepContext.known_sessions), not read again: the mistake is showing
    # the previous run's key (a stale entry) or none (a missed one).
    from sandboxes import credentials

    learner.run(S1, STEP)
    first = credentials.get(learner.sandbox.id, "audit-session").access_key_id
    workspace = learner.run(S1, STEP, htmx=True).content.decode()
    kept = credentials.get(learner.sandbox.id, "audit-session")
    assert kept.access_key_id != first
    card = re.search(r'<article class="creds-card.*?</article>', workspace, re.S).group(0)
    assert f"<code>{kept.access_key_id}</code>" in card and first not in card and kept.arn in card
    shown = learner.run(S1, "read-security-logs", htmx=True).content.decode()   # read, not kept, by this run
    assert f"<code>{kept.access_key_id}</code>" in re.search(r'<article class="creds-card.*?</article>', shown,
                                                            re.S).group(0)
