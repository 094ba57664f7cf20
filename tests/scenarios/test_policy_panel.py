"""The "policies in play" panel's code lines, joined in Python (PolicyPanel.code_html) rather than a template loop:
every line numbered in order, the engine's marks on the right lines, and a learner's text escaped."""
from __future__ import annotations

import json
import re

S1 = "cross-account-auditors"
STEP = "assume-audit-role"

HOSTILE = "</code></pre><script>alert(1)</script><img src=x onerror=alert(2)>"


def _panel_lines(html: str) -> list[tuple[str, str, str]]:
    """(css, number, text) of each line of the first policy panel's <code>."""
    code = re.search(r'<pre class="code policy-code"[^>]*><code>(.*?)</code></pre>', html, re.S).group(1)
    return [(css, number, re.sub(r"<[^>]+>", "", body)) for css, number, body in
            re.findall(r'<span class="line ([^"]*)"><span class="ln" aria-hidden="true">(\d+)</span>(.*?)</span>'
                       r'(?=<span class="line |$)', code, re.S)]


def test_every_line_of_the_trust_policy_is_numbered_in_order_and_the_deciding_statement_marked(learner):
    learner.run(S1, "meet-the-auditor")
    html = learner.run(S1, STEP, htmx=True).content.decode()
    lines = _panel_lines(html)
    assert [int(number) for _, number, _ in lines] == list(range(1, len(lines) + 1)) and len(lines) > 5
    marked = [text for css, _, text in lines if "deciding" in css.split()]
    # The statement that let the auditor in (and only its lines) carries "allow deciding".
    assert any("TrustAuditorAccount" in text for text in marked)
    assert all("allow" in css.split() for css, _, text in lines if "deciding" in css.split())
    assert not any("deciding" in css.split() for css, _, text in lines[:2])   # `{` and "Version" decide nothing


def test_a_learners_trust_policy_text_is_escaped_in_the_panel(learner):
    """The mistake: joining the lines in Python without the highlighter's escaping would let a learner's saved
    policy put markup (a script, an event handler) into their own page."""
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "Auditors", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::200000000000:root"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": HOSTILE}}}]}
    saved = learner.client.post(learner.step_url(S1, STEP, "trust"), {"document": json.dumps(policy, indent=2)},
                                HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    html = learner.client.get(learner.step_url(S1, STEP)).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    texts = [text for _, _, text in _panel_lines(html)]
    assert any("&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text for text in texts)
