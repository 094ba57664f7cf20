"""engine.decisions.DecisionLog: one bounded LRU by request id for policy Decisions and federation reports; and a
plain Lab() is complete (federation, JWKS, instances, decision log wired by the constructor) -- issue 8."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.decisions import DECISION_LRU_SIZE, DecisionLog
from engine.errors import AwsError
from engine.lab import Lab


@dataclass
class Verdict:          # what DecisionLog reads of a Decision: .allowed
    allowed: bool
    name: str


def test_the_denying_decision_explains_a_request_and_all_are_kept_in_order() -> None:
    log = DecisionLog()
    log.record("r1", Verdict(True, "AssumeRole"))
    log.record("r1", Verdict(False, "TagSession"))
    assert log.decision("r1").name == "TagSession"
    assert [d.name for d in log.decisions("r1")] == ["AssumeRole", "TagSession"]
    log.record("r2", Verdict(True, "GetObject"))
    assert log.decision("r2").name == "GetObject"
    assert log.decision("unknown") is None and log.decisions("unknown") == [] and log.report("unknown") is None


def test_no_request_id_keeps_nothing() -> None:
    log = DecisionLog()
    log.record("", Verdict(False, "x"))
    log.record(None, Verdict(False, "x"))
    log.record_report(None, {"error": None, "checks": []})
    assert len(log) == 0


def test_a_report_and_the_decisions_of_one_request_share_one_entry() -> None:
    log = DecisionLog(size=2)
    log.record_report("saml-1", {"error": None, "checks": [{"name": "signature"}]})
    log.record("saml-1", Verdict(False, "AssumeRoleWithSAML"))
    assert len(log) == 1
    assert log.report("saml-1")["checks"] == [{"name": "signature"}]
    assert log.decision("saml-1").name == "AssumeRoleWithSAML"


def test_one_lru_bounds_reports_and_decisions_and_a_touched_request_stays() -> None:
    log = DecisionLog(size=2)
    log.record_report("a", {"error": None, "checks": []})
    log.record("b", Verdict(True, "b"))
    log.record("a", Verdict(True, "a"))          # touching a makes b the oldest
    log.record("c", Verdict(True, "c"))
    assert log.decision("b") is None
    assert log.report("a") == {"error": None, "checks": []} and log.decision("c").name == "c"
    assert len(log) == 2


def test_the_lab_uses_the_documented_bound() -> None:
    assert Lab().decision_log.size == DECISION_LRU_SIZE


@pytest.mark.parametrize("operation", ["AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"])
def test_a_plain_lab_answers_the_federation_operations(operation: str) -> None:
    """Before issue 8 a Lab() without install(lab) answered these with InvalidAction; now the constructor wires
    them, so a call with no parameters gets STS's own ValidationError."""
    with pytest.raises(AwsError) as error:
        Lab().sts(operation, None, {})
    assert error.value.code == "ValidationError"


def test_two_labs_keep_their_own_federation_reports_and_instances() -> None:
    first, second = Lab(), Lab()
    first.record_federation_report("req", {"error": {"defence": "signature"}, "checks": []})
    assert first.federation_report("req")["error"]["defence"] == "signature"
    assert second.federation_report("req") is None
    assert first.instance_registry() is not second.instance_registry()
    first.instance_registry().state("sb-1", "i-0123456789abcdef0")
    first.forget_sandbox("sb-1")
    assert first.instance_registry().existing("sb-1", "i-0123456789abcdef0") is None
