"""The decision block and the HTTP exchange built in Python (scenarios/decisionview.py, exchangeview.py) instead of template loops: it must escape what the
template's autoescape escaped, render what a missing template variable rendered (nothing), and keep the template's
conditions (the "Policies allowed this call" line, the deny level's statements, the plural)."""
from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from sandboxes.results import CallError, CallRecord, ExchangeRecord
from scenarios.decisionview import decision_html, waterfall_html
from scenarios.exchangeview import exchange_html

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


def an_exchange(**changes) -> ExchangeRecord:
    exchange = ExchangeRecord("GET", "http://127.0.0.1:8000/aws/securecart-security-logs?list-type=2",
                              {"X-Amz-Date": "20261207T120000Z", "Authorization": "AWS4-HMAC-SHA256 ****"}, "",
                              200, {"Content-Type": "application/xml"}, f"<Key>{HOSTILE}</Key>", "r1", "ListObjectsV2")
    for name, value in changes.items():
        setattr(exchange, name, value)
    return exchange


def test_an_exchange_escapes_what_came_over_the_wire_and_keeps_one_header_a_line():
    # the mistakes: an object key or error message echoed into the page as markup; headers run together in <pre>
    html = exchange_html(an_exchange())
    assert "<img" not in html and "&lt;Key&gt;&lt;img src=x" in html
    assert ('<span class="h-name">X-Amz-Date</span>: 20261207T120000Z\n<span class="h-name">Authorization</span>: '
            'AWS4-HMAC-SHA256 ****\n\n</pre>') in html
    assert '— ListObjectsV2 <span class="status status-2xx">200</span>' in html


def test_an_exchange_explains_x_amz_date_against_a_moved_clock_only_when_signed_with_it():
    assert "ahead\n      because you fast-forwarded it" in exchange_html(an_exchange(), "1 h 2 min 5 s")
    moved = render_to_string("scenarios/_http_exchange.html", {"exchange": an_exchange(), "clock_offset": 3725})
    assert "Your sandbox clock is 1 h 2 min 5 s ahead" in moved
    assert "runs with real\n      time until you fast-forward it" in exchange_html(an_exchange())
    unsigned = exchange_html(an_exchange(headers={"Host": "x"}, status=None, operation=None))
    assert "data-amz-date-note" not in unsigned and 'status-Nxx">None</span>' in unsigned
    assert "HTTP request and response <span" in unsigned
