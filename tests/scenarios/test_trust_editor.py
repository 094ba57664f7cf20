"""The trust-policy editor: engine validation with line/column, never losing the learner's text, real effect."""
from __future__ import annotations

import json

from sandboxes.models import TrustPolicyEdit

S1 = "cross-account-auditors"
STEP = "assume-audit-role"

BROKEN = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::200000000000:root"}
      "Action": "sts:AssumeRole"
    }
  ]
}"""


def _save(learner, text: str, htmx: bool = True):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return learner.client.post(learner.step_url(S1, STEP, "trust"), {"document": text}, **extra)


def test_malformed_json_shows_line_and_column_and_keeps_the_text(learner):
    r = _save(learner, BROKEN)
    html = r.content.decode()
    assert r.status_code == 200
    assert "MalformedPolicyDocument" in html and "line 7, column" in html
    assert "arn:aws:iam::200000000000:root&quot;}\n      &quot;Action&quot;" in html  # the textarea kept every byte
    assert not TrustPolicyEdit.objects.filter(sandbox=learner.sandbox).exists()


def test_malformed_without_htmx_is_a_400_page_with_the_text(learner):
    r = _save(learner, BROKEN, htmx=False)
    assert r.status_code == 400
    assert "line 7" in r.content.decode() and "200000000000:root" in r.content.decode()


def test_trust_policy_with_resource_element_is_refused(learner):
    # The SecureCart notes' own mistake: a trust policy takes no Resource (IAM: "Has prohibited field Resource").
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                   "Principal": {"AWS": "arn:aws:iam::200000000000:root"},
                                                   "Resource": "*"}]}
    html = _save(learner, json.dumps(doc, indent=2)).content.decode()
    assert "Resource" in html and "MalformedPolicyDocument" in html


def test_empty_and_oversized_policies_get_clear_messages(learner):
    assert "The policy is empty" in _save(learner, "   ").content.decode()
    assert "the editor accepts up to" in _save(learner, "{" + " " * 11000 + "}").content.decode()


def test_a_valid_edit_is_saved_applied_and_the_step_reruns_against_it(learner):
    accounts = learner.sandbox.account_ids()
    # Change the agreed external ID: the auditor's call (with the old one) must now be refused.
    doc = {"Version": "2012-10-17", "Statement": [{
        "Sid": "TrustAuditorAccount", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{accounts['auditor']}:root"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "Rotated-2025"}}}]}
    r = _save(learner, json.dumps(doc, indent=2))
    html = r.content.decode()
    assert "Saved to your sandbox" in html
    assert TrustPolicyEdit.objects.get(sandbox=learner.sandbox, role_name="SecureCart-AuditRole")
    call = learner.last_result(S1, STEP)["calls"][0]
    assert call["error"]["code"] == "AccessDenied"
    assert "Rotated-2025" in learner.client.get(learner.step_url(S1, STEP)).content.decode()

    r = learner.client.post(learner.step_url(S1, STEP, "trust/restore"))
    assert r.status_code == 302
    learner.run(S1, STEP)
    assert learner.last_result(S1, STEP)["calls"][0]["ok"]
