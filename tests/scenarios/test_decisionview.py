"""The decision block built in Python (scenarios/decisionview.py) instead of template loops: it must escape what the
template's autoescape escaped, render what a missing template variable rendered (nothing), and keep the template's
conditions (the "Policies allowed this call" line, the deny level's statements, the plural)."""
from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from sandboxes.results import CallError, CallRecord
from scenarios.decisionview import decision_html, waterfall_html

HOSTILE = '<img src=x onerror="alert(1)">'


def a_decision(**changes) -> dict:
    decision = {
        "allowed": False, "reason": "No statement of `SecureCart-AuditRole` allows it.", "steps": ["read `a<b>`"],
        "layers": [
            {"kind": "scp", "title": "Service control policies", "verdict": "deny", "verdict_label": "denied",
             "decided": True, "levels": [
                 {"kind": "OU", "name": HOSTILE, "verdict": "deny", "verdict_label": "denied", "policies": [HOSTILE],
                  "deciding": [{"policy": "NoWrites", "sid": "", "index": 2}]}]},
            {"kind": "identity", "title": "Identity-based policies", "verdict": "allow", "verdict_label": "allowed",
             "decided": False, "deciding": [{"policy": HOSTILE, "sid": "ReadLogs", "index": 0, "effect": "Allow"}]},
            {"kind": "resource", "title": "Resource-based policies", "verdict": "silent",
             "verdict_label": "said nothing", "decided": False, "policies": ["bucket policy"], "note": HOSTILE},
        ],
        "errors": [{"policy": HOSTILE, "layer": "rcp", "message": "unreadable"}],
        "policies": [{"name": HOSTILE, "role": "identity", "source": "inline", "outcome": "allow", "statements": [
            {"sid": HOSTILE, "index": 0, "effect": "Allow", "applies": True, "lines": [3, 9],
             "summary": f"`{HOSTILE}`", "action": {"matched": True, "element": "Action", "reason": "`s3:*` <"},
             "conditions": [{"outcome": False, "operator": "StringEquals", "key": HOSTILE, "reason": "no"}]}]}],
    }
    decision.update(changes)
    return decision


def test_every_value_from_a_learners_policy_is_escaped():
    # the mistake: an f-string that drops a Sid, policy name or condition key into the page as markup
    html = decision_html(a_decision())
    assert "<img" not in html and html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 8
    assert "<code>&lt;img" in html, "`quoted` names still become <code>, with their content escaped"


def test_a_safe_string_is_not_escaped_twice_as_conditional_escape_leaves_it():
    html = decision_html(a_decision(reason=mark_safe("<em>kept</em>")))
    assert "&lt;em&gt;kept" in html, "the reason goes through code_ticks, which escapes even safe strings"
    html = waterfall_html(a_decision(layers=[{"kind": "identity", "title": mark_safe("<em>t</em>"), "verdict": "allow",
                                              "verdict_label": "allowed", "decided": False}]))
    assert '<span class="layer-title"><em>t</em></span>' in html


def test_a_missing_key_renders_nothing_not_none():
    # the mistake: dict.get() printing "None" where the template printed nothing
    html = decision_html({"allowed": True, "layers": [{"kind": "identity", "verdict": "allow"}],
                          "policies": [{"statements": [{"index": 4}]}]})
    assert "None" not in html
    assert 'data-layer="identity" data-verdict="allow"' in html and "statement #4" in html
    assert "Full evaluation (1 policy)" in html and decision_html({}).count("Full evaluation (0 policies)") == 1
    assert waterfall_html({}) == "" and "waterfall" not in decision_html({"layers": []})


def test_the_deny_level_names_its_statement_by_sid_or_number():
    html = waterfall_html(a_decision())
    assert "— <code>NoWrites</code> statement <code>#2</code>" in html
    assert 'class="layer verdict-deny decided" data-layer="scp"' in html
    assert "<code>ReadLogs</code> (Allow)" in html, "a layer without levels lists the statements that decided"
    assert '<span class="muted">bucket policy</span>' in html
    assert "Policies the lab could not evaluate" in html


def test_policies_that_allowed_a_call_sts_refused_say_so_only_then():
    refused = CallRecord(label="AssumeRole", signer="auditor", params={}, ok=False,
                         error=CallError("AccessDenied", "MFA required"))
    allowed = a_decision(allowed=True)
    assert "Policies allowed this call" in decision_html(allowed, refused)
    assert "<strong>Policy evaluation:</strong>" in decision_html(allowed, refused)
    refused.ok = True
    assert "Policies allowed this call" not in decision_html(allowed, refused)
    assert "Policies allowed this call" not in decision_html(allowed)
    assert "Policies allowed this call" not in decision_html(a_decision(), CallRecord(label="x", signer="y", params={}))


def test_the_included_templates_still_render_it_with_the_call_in_context():
    refused = CallRecord(label="AssumeRole", signer="auditor", params={}, ok=False)
    html = render_to_string("scenarios/_decision.html", {"decision": a_decision(allowed=True), "call": refused})
    assert "Policies allowed this call" in html and 'data-layer="scp"' in html
    assert render_to_string("scenarios/_waterfall.html", {"decision": a_decision()}).strip() == waterfall_html(
        a_decision()).strip()
