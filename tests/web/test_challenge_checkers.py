"""Every challenge's checker: it fails on the seeded state, fails after the documented plausible wrong attempt, and
passes after the documented solution, each applied by typing the commands into the in-page console (the real AWS
CLI against the sandbox). A reset of the challenge then brings the seeded state, and the failure, back."""
from __future__ import annotations

import json
import re

import pytest

from challenges import kept
from challenges.catalog import BY_SLUG, CHALLENGES, DEFENDER, INVOICE_KEY
from challenges.models import ChallengeProgress
from challenges.seeding import LEAKED_SESSION, fill_text, key_of, values_for
from sandboxes import credentials, imdsmount, services

pytestmark = pytest.mark.slow


def console(learner, command: str, identity: str) -> str:
    r = learner.client.post("/challenges/console/run/", {"command": command, "identity": identity},
                            HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content[:500]
    return r.content.decode()


def check(learner, slug: str, answers: dict | None = None) -> dict:
    r = learner.client.post(f"/challenges/{slug}/check/", answers or {}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content[:500]
    return ChallengeProgress.objects.get(sandbox=learner.sandbox, challenge=slug).last_check


def newest_session(learner) -> str:
    return f"session:{kept.sessions(learner.sandbox.id)[0].name}"


def play(learner, slug: str, commands: tuple[str, ...], *, succeed: bool) -> None:
    """Type the documented commands. A step starting "(choose ...)" runs as the session the console kept last; the
    first identity is the challenge's first starting user, as the page preselects it."""
    challenge = BY_SLUG[slug]
    account, user = challenge.start[0]
    identity = f"key:{account}/{user}"
    values = values_for(learner.sandbox, challenge)
    for step in commands:
        if step.startswith("(terminal)"):
            fetch_instance_credentials(learner, "Challenge-InstanceAdmin")
            continue
        if step.startswith("("):
            identity = newest_session(learner)
            step = step[step.index(")") + 1:].strip()
        html = console(learner, fill_text(step, values), identity)
        assert "Not run:" not in html, html[:800]
        if succeed:
            assert "exit code 0" in html, html[:1500]


def fetch_instance_credentials(learner, role: str) -> None:
    """What the learner's curl does against the IMDS mount shown on the Terminal page (IMDSv2)."""
    instance = next(i for i in imdsmount.sandbox_instances(learner.sandbox) if i["instance_profile"] == role)
    base = f"/imds/{imdsmount.sandbox_key(learner.sandbox)}/{instance['instance_id']}"
    token = learner.client.put(f"{base}/latest/api/token", HTTP_X_AWS_EC2_METADATA_TOKEN_TTL_SECONDS="300")
    assert token.status_code == 200, token.content
    creds = learner.client.get(f"{base}/latest/meta-data/iam/security-credentials/{role}",
                               HTTP_X_AWS_EC2_METADATA_TOKEN=token.content.decode())
    assert creds.status_code == 200 and json.loads(creds.content)["Code"] == "Success"


def defender_answers(learner, slug: str, right: bool) -> dict:
    assert learner.client.get(f"/challenges/{slug}/").status_code == 200  # seeds the challenge on first visit
    if slug == "who-read-the-secret":
        iam = console(learner, "aws iam list-access-keys --user-name backup-agent --query "
                               "AccessKeyMetadata[0].AccessKeyId --output text", "key:production/lab-admin")
        key_id = re.search(r"AKIA[0-9A-Z]{16}", iam).group(0)
        other = key_of(learner.sandbox, "metrics-exporter").access_key_id
        return {"access_key_id": key_id, "user_name": "backup-agent"} if right else \
            {"access_key_id": other, "user_name": "metrics-exporter"}
    if slug == "find-the-refused-call":
        return {"action": "s3:DeleteObject", "policy_name": "ProtectInvoices"} if right else \
            {"action": "s3:DeleteObject", "policy_name": "InvoicesCleanup"}
    raise AssertionError(slug)


BUILDER_AND_ATTACKER = [c.slug for c in CHALLENGES if c.track != DEFENDER]


@pytest.mark.parametrize("slug", BUILDER_AND_ATTACKER)
def test_checker_fails_seeded_fails_wrong_attempt_passes_solution(learner, slug):
    challenge = BY_SLUG[slug]
    assert learner.client.get(f"/challenges/{slug}/").status_code == 200
    seeded = check(learner, slug)
    assert not seeded["passed"], seeded

    if slug == "revoke-leaked-sessions":
        services.advance_clock(learner.sandbox, 5)  # the leak happened a little before the fix
    play(learner, slug, challenge.wrong_attempt, succeed=False)
    wrong = check(learner, slug)
    assert not wrong["passed"], wrong

    play(learner, slug, challenge.solution, succeed=True)
    solved = check(learner, slug)
    assert solved["passed"], solved
    assert ChallengeProgress.objects.get(sandbox=learner.sandbox, challenge=slug).solved_at is not None


@pytest.mark.parametrize("slug", [c.slug for c in CHALLENGES if c.track == DEFENDER])
def test_defender_checker_compares_with_the_sandbox(learner, slug):
    assert learner.client.get(f"/challenges/{slug}/").status_code == 200
    empty = learner.client.post(f"/challenges/{slug}/check/", {}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 400 and b"This field is required" in empty.content
    assert not check(learner, slug, defender_answers(learner, slug, right=False))["passed"]
    assert check(learner, slug, defender_answers(learner, slug, right=True))["passed"]


def test_the_secret_reader_answer_follows_the_sandbox_not_a_fixed_string(learner, other_learner):
    mine = defender_answers(learner, "who-read-the-secret", right=True)
    theirs = defender_answers(other_learner, "who-read-the-secret", right=True)
    assert mine["access_key_id"] != theirs["access_key_id"]
    assert not check(learner, "who-read-the-secret", theirs)["passed"]


def test_resetting_a_challenge_restores_its_seed_and_keeps_it_solved(learner):
    slug = "auditors-externalid-and-mfa"
    learner.client.get(f"/challenges/{slug}/")
    play(learner, slug, BY_SLUG[slug].solution, succeed=True)
    assert check(learner, slug)["passed"]
    r = learner.client.post(f"/challenges/{slug}/reset/")
    assert r.status_code == 302
    again = check(learner, slug)
    assert not again["passed"]
    assert ChallengeProgress.objects.get(sandbox=learner.sandbox, challenge=slug).solved_at is not None


def test_reset_of_the_revocation_challenge_leaks_a_new_session(learner):
    slug = "revoke-leaked-sessions"
    learner.client.get(f"/challenges/{slug}/")
    first = credentials.get(learner.sandbox.id, LEAKED_SESSION)
    assert first is not None
    learner.client.post(f"/challenges/{slug}/reset/")
    second = credentials.get(learner.sandbox.id, LEAKED_SESSION)
    assert second is not None and second.access_key_id != first.access_key_id
    page = learner.client.get(f"/challenges/{slug}/").content.decode()
    assert second.access_key_id in page and INVOICE_KEY not in page
