"""Every place the lab explains a decision shows the typed decision's layers (its waterfall) from Decision.to_dict():
a step's result, an event of the event history, a command of the console; the trust editor and the console add IAM
Access Analyzer's "Invalid action ... Did you mean" advice. Nothing of one learner's decisions reaches another's."""
from __future__ import annotations

import json
import re

from sandboxes.explain import sandbox_decision
from trail import store
from trail.models import TrailEvent

S1 = "cross-account-auditors"


def layers_shown(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-layer="([a-z]+)" data-verdict="([a-z-]+)"', html))


def test_a_step_result_shows_every_layer_and_which_decided(learner):
    learner.run(S1, "assume-audit-role", "wrong-external-id")
    html = learner.client.get(f"/scenarios/{S1}/assume-audit-role/").content.decode()
    shown = layers_shown(html)
    assert list(shown) == ["rcp", "scp", "resource", "identity", "boundary", "session"]
    # the trust policy (resource layer) allowed nothing; the auditor's own identity policy allowed the call
    assert shown["resource"] == "silent" and shown["identity"] == "allow"
    decided = re.search(r'class="layer verdict-silent decided" data-layer="resource"', html)
    assert decided, "the trust policy's layer is marked as the one that decided"
    # production is a member account of SecureCart's organization with RCPs enabled: RCPFullAWSAccess lets it through
    assert shown["rcp"] == "allow"
    # the auditor's account is the management account of its own organization: SCPs do not apply to it
    assert shown["scp"] == "not-in-play" and "SCPs do not affect users or roles in the management account" in html


def test_an_event_of_the_event_history_shows_its_decision(learner):
    learner.run(S1, "assume-audit-role", "wrong-external-id")
    store.persist()
    event = TrailEvent.objects.filter(sandbox=learner.sandbox, event_name="AssumeRole").exclude(error_code="").first()
    html = learner.client.get(f"/trail/events/{event.event_id}/").content.decode()
    assert "Why AWS answered this way" in html and layers_shown(html)["resource"] == "silent"


def test_another_learners_request_id_explains_nothing(learner, other_learner):
    learner.run(S1, "assume-audit-role", "wrong-external-id")
    call = learner.last_result(S1, "assume-audit-role")["calls"][0]
    assert sandbox_decision(learner.sandbox, call["request_id"]) is not None
    assert sandbox_decision(other_learner.sandbox, call["request_id"]) is None
    assert sandbox_decision(learner.sandbox, "not-a-request-id") is None


def console(learner, command: str, identity: str = "key:production/lab-admin") -> str:
    r = learner.client.post("/challenges/console/run/", {"command": command, "identity": identity},
                            HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    return r.content.decode()


def test_the_console_explains_a_refusal_layer_by_layer(learner):
    html = console(learner, "aws s3 ls s3://securecart-security-logs", identity="key:auditor/audit-intern")
    assert "AccessDenied" in html and "Why AWS refused it" in html
    shown = layers_shown(html)
    assert shown["identity"] == "silent" and shown["resource"] == "not-in-play"


def test_the_console_gives_access_analyzers_advice_on_a_policy_it_passes(learner):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObjects", "Resource": "*"}]})
    html = console(learner, f"aws iam put-user-policy --user-name lab-admin --policy-name typo "
                            f"--policy-document '{policy}'")
    assert "exit code 0" in html      # IAM saves it
    assert "The action s3:GetObjects does not exist. Did you mean s3:GetObject?" in html


def test_the_trust_editor_suggests_the_action_a_typo_meant(learner):
    auditor = learner.sandbox.account_ids()["auditor"]
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{auditor}:root"}, "Action": "sts:AssumeRol"}]})
    html = learner.client.post(f"/scenarios/{S1}/assume-audit-role/trust/", {"document": document},
                               HTTP_HX_REQUEST="true").content.decode()
    assert "did you mean `sts:AssumeRole`?" in html.replace("&#x27;", "'").replace("&quot;", '"')


def test_the_trust_editor_says_what_a_saved_policy_misses(learner):
    auditor = learner.sandbox.account_ids()["auditor"]
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{auditor}:root"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"ExternalId": "SecureCart-Audit-7F3K9Q"}}}]}, indent=2)
    html = learner.client.post(f"/scenarios/{S1}/assume-audit-role/trust/", {"document": document},
                               HTTP_HX_REQUEST="true").content.decode()
    assert "data-editor-advice" in html and "`ExternalId` has no service prefix" in html.replace("&#x60;", "`")


def test_a_challenge_verdict_names_the_layer_that_refused(learner):
    from challenges import catalog, checks, seeding

    challenge = catalog.get("require-source-identity")
    seeding.ensure_seeded(learner.sandbox, challenge)
    whys = [f.why for f in checks.check(learner.sandbox, challenge, {}).findings]
    # the seeded trust policy does not allow sts:SetSourceIdentity yet: the role's trust policy refused
    assert any("decided by the resource-based policy" in why for why in whys), whys
