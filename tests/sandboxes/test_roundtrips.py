"""One Run of a step, in-process: one gateway call per AWS call it shows, the decisions come back with the responses
(no look-up by request id), and the policy panels show the documents the engine just evaluated instead of reading
them from moto again, exactly as a fresh read of the sandbox would show them (issue 8; scripts/bench_roundtrips.py
counts the same figures in both modes)."""
from __future__ import annotations

import re

import pytest

from gateway.client import default_gateway
from sandboxes.labclient import lab
from sandboxes.operator import OPERATOR

S1, ASSUME = "cross-account-auditors", "assume-audit-role"
S5, LONG_TERM = "mfa-protected-access", "long-term-keys-denied"
READS = ("role_trust_policy", "role_policy", "user_policy")


def _policies_section(html: str) -> str:
    found = re.search(r'<section id="policies".*?</section>', html, re.S)
    assert found, "the page shows no policies"
    return found.group(0)


@pytest.fixture
def counted(monkeypatch):
    """Counts the operator's policy reads, the web layer's decision look-ups and the gateway's calls."""
    counts = {"reads": 0, "lookups": 0, "gateway": 0}
    for name in READS:
        original = getattr(OPERATOR, name)

        def read(*args, _original=original, **kwargs):
            counts["reads"] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(OPERATOR, name, read)
    app = default_gateway()
    handle, the_lab = app.handle, lab()
    decision = the_lab.decision
    inside = {"gateway": False}

    def handled(request):
        counts["gateway"] += 1
        inside["gateway"] = True
        try:
            return handle(request)
        finally:
            inside["gateway"] = False

    def looked_up(request_id):
        if not inside["gateway"]:
            counts["lookups"] += 1
        return decision(request_id)
    monkeypatch.setattr(app, "handle", handled)
    monkeypatch.setattr(the_lab, "decision", looked_up)
    return counts


def test_a_run_makes_one_gateway_call_per_call_shown_and_reads_no_policy_again(learner, counted):
    response = learner.run(S1, ASSUME, htmx=True)
    assert response.status_code == 200
    result = learner.last_result(S1, ASSUME)
    assert [call["operation"] for call in result["calls"]] == ["AssumeRole", "GetCallerIdentity"]
    assert counted == {"reads": 0, "lookups": 0, "gateway": 2}
    # The decision travelled back with the response, complete (the panels' marks come from it).
    assume = result["calls"][0]["decision"]
    assert assume["allowed"] and assume["deciding"][0]["sid"] == "TrustAuditorAccount"
    assert result["calls"][1]["decision"] is None      # GetCallerIdentity needs no permission: nothing decided
    # What the panels show is what a fresh read of the sandbox shows (the step page reads it: 2 policies).
    page = learner.client.get(learner.step_url(S1, ASSUME))
    assert counted["reads"] == 2
    assert _policies_section(response.content.decode()) == _policies_section(page.content.decode())


def test_a_policy_changed_from_the_terminal_shows_as_the_engine_evaluated_it(learner, counted):
    from sandboxes.labclient import learner_client
    from sandboxes.services import key_for

    admin = key_for(learner.sandbox, "auditor", "lab-admin")
    iam = learner_client("iam", access_key_id=admin.access_key_id, secret_access_key=admin.secret_access_key)
    iam.put_user_policy(UserName="securecart-auditor", PolicyName="AssumeSecureCartAuditRole", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Sid": "EditedInTheTerminal", "Effect": "Allow", '
        '"Action": "sts:AssumeRole", "Resource": "*"}]}'))
    response = learner.run(S1, ASSUME, htmx=True).content.decode()
    assert counted["reads"] == 0
    assert "EditedInTheTerminal" in _policies_section(response)
    assert _policies_section(response) == _policies_section(
        learner.client.get(learner.step_url(S1, ASSUME)).content.decode())


def test_a_what_if_that_swaps_a_policy_in_and_back_shows_the_policy_the_sandbox_holds(learner, counted):
    """The BoolIfExists what-if evaluates a policy it then restores: the panel reads the restored one, as before."""
    response = learner.run(S5, LONG_TERM, variant="bool-if-exists", htmx=True).content.decode()
    assert learner.last_result(S5, LONG_TERM)["calls"][0]["ok"]       # BoolIfExists let the long-term key in
    assert counted["reads"] >= 1
    section = _policies_section(response)
    assert "NumericLessThan" in section and "BoolIfExists" not in section
    assert section == _policies_section(learner.client.get(learner.step_url(S5, LONG_TERM)).content.decode())
