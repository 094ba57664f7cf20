"""How a step's recorded result reads on the page (templates/scenarios/_result.html)."""
from __future__ import annotations

import html

S1 = "cross-account-auditors"


def test_returned_data_shows_masked_secrets_with_a_real_ellipsis(learner):
    learner.run(S1, "assume-audit-role")
    page = html.unescape(learner.client.get(learner.step_url(S1, "assume-audit-role")).content.decode())
    data = page.split("Returned data", 1)[1]
    # json.dumps escapes non-ASCII by default; the learner must see "…", not a literal \u2026.
    assert "\\u2026" not in page
    assert '"SecretAccessKey": "' in data and "…(40 characters, hidden)" in data
