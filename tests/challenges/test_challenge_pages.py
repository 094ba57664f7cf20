"""Challenge pages: the home page lists them with difficulty and time, hints come one at a time and the solution
last, progress is kept in the database, challenges and scenarios link to each other, and the public API an
instructor's class uses lists who solved what."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from challenges import api, catalog
from challenges.catalog import ATTACKER, BUILDER, DEFENDER
from challenges.models import ChallengeProgress
from sandboxes.models import Sandbox


ISSUE_22_ATTACKERS = {"wildcard-trust", "update-assume-role-policy", "passrole-runinstances", "chain-to-root-trust",
                      "confused-deputy"}


def test_there_are_challenges_on_every_track():
    challenges = catalog.challenges()
    tracks = [c.track for c in challenges]
    assert len(challenges) >= 23
    assert tracks.count(BUILDER) >= 6 and tracks.count(ATTACKER) >= 15 and tracks.count(DEFENDER) >= 12
    for challenge in challenges:
        assert challenge.hints and challenge.solution and challenge.reasoning and challenge.start
        assert challenge.track == DEFENDER or challenge.mistakes, challenge.slug


def test_every_new_attack_cites_its_source_has_a_technique_and_is_followed_by_its_defence():
    """Issue 29: at least 10 new attacker challenges from documented IAM/STS paths, each with its source, an ATT&CK
    technique and "defend what you just did"; at least two false-positive cases where the learner says why."""
    attackers = [c for c in catalog.challenges() if c.track == ATTACKER]
    new = [c for c in attackers if c.slug not in ISSUE_22_ATTACKERS and not c.false_positive]
    assert len(new) >= 10
    for attack in attackers:
        assert attack.attack.sources and attack.attack.technique.id.startswith("T"), attack.slug
    for attack in new:
        assert any("pathfinding.cloud" in s.title or "Rhino" in s.title for s in attack.attack.sources), attack.slug
        assert attack.attack.path, attack.slug      # the calls its defence replays
        [defence] = catalog.defences_of(attack.slug)
        assert any(c.replay == attack.slug for c in defence.checks if hasattr(c, "replay")), defence.slug
    positives = [c for c in attackers if c.false_positive]
    assert len(positives) >= 2 and all(c.answers for c in positives)


def test_an_attacker_page_cites_its_source_and_technique_and_leads_to_its_defence(learner):
    html = learner.client.get("/challenges/create-policy-version/").content.decode()
    assert 'href="https://pathfinding.cloud/paths/iam-001"' in html and "(Apache-2.0)" in html
    assert 'href="https://attack.mitre.org/techniques/T1098/003/"' in html
    assert 'href="/challenges/defend-create-policy-version/"' in html
    defence = learner.client.get("/challenges/defend-create-policy-version/").content.decode()
    assert "Defend what you just did" in defence and 'href="/challenges/create-policy-version/"' in defence


def test_the_home_page_lists_challenges_with_difficulty_and_time(learner):
    r = learner.client.get("/")
    html = r.content.decode()
    for challenge in catalog.challenges():
        assert f'href="/challenges/{challenge.slug}/"' in html
    assert "Builder · easy · about 10 min" in html and "Attacker · hard · about 20 min" in html


def test_a_solved_challenge_shows_as_solved_on_the_home_page_and_the_list(learner):
    from django.utils import timezone

    ChallengeProgress.objects.create(sandbox=learner.sandbox, challenge="wildcard-trust", solved_at=timezone.now())
    home = learner.client.get("/").content.decode()
    card = home.split('href="/challenges/wildcard-trust/"', 1)[1].split("</li>", 1)[0]
    assert "Solved" in card
    listing = learner.client.get("/challenges/").content.decode()
    row = listing.split('href="/challenges/wildcard-trust/"', 1)[1].split("</tr>", 1)[0]
    assert "Solved" in row


def test_the_challenge_page_has_story_objective_start_tools_and_the_console(learner):
    r = learner.client.get("/challenges/wildcard-trust/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "Objective" in html and "vendor-contractor" in html and "AWS CLI console" in html
    assert 'src="/static/js/console.js"' in html and "<script>" not in html.split("<body", 1)[1]
    assert 'href="/scenarios/cross-account-auditors/"' in html
    assert "Show the solution" in html and "--role-session-name contractor" not in html


def test_hints_come_one_at_a_time_then_the_solution(learner):
    slug = "auditors-externalid-and-mfa"
    hints = catalog.get(slug).hints
    assert hints[0] not in learner.client.get(f"/challenges/{slug}/").content.decode()
    r = learner.client.post(f"/challenges/{slug}/hint/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="challenge-help"' in r.content.decode()
    html = r.content.decode()
    assert "get-role --role-name Challenge-AuditReview" in html and "aws:MultiFactorAuthPresent" not in html
    learner.client.post(f"/challenges/{slug}/hint/")
    page = learner.client.get(f"/challenges/{slug}/").content.decode()
    assert "aws:MultiFactorAuthPresent" in page and "<h2>Solution</h2>" not in page
    r = learner.client.post(f"/challenges/{slug}/solution/")
    assert r.status_code == 302
    page = learner.client.get(f"/challenges/{slug}/").content.decode()
    assert "<strong>Why:</strong>" in page
    assert learner.sandbox.account_ids()["auditor"] in page.split("<h2>Solution</h2>", 1)[1]
    progress = ChallengeProgress.objects.get(sandbox=learner.sandbox, challenge=slug)
    assert progress.solution_shown and progress.hints_shown == len(hints)


def test_scenario_pages_link_their_challenges(learner):
    r = learner.client.get("/scenarios/cross-account-auditors/meet-the-auditor/")
    html = r.content.decode()
    for challenge in catalog.challenges():
        linked = f'href="/challenges/{challenge.slug}/"' in html
        assert linked == (challenge.scenario == "cross-account-auditors"), challenge.slug


def test_every_challenge_names_a_scenario_that_exists():
    from scenarios import registry

    for challenge in catalog.challenges():
        assert registry.get(challenge.scenario) is not None, challenge.slug


def test_unknown_challenge_is_a_404(learner):
    assert learner.client.get("/challenges/no-such-thing/").status_code == 404
    assert learner.client.post("/challenges/no-such-thing/check/").status_code == 404


def test_the_console_page_and_its_plain_post(learner):
    assert learner.client.get("/challenges/console/").status_code == 200
    r = learner.client.post("/challenges/console/run/", {"command": "aws sts get-caller-identity",
                                                         "identity": "key:production/lab-admin"})
    assert r.status_code == 200 and b"<html" in r.content and b"exit code 0" in r.content
    r = learner.client.post("/challenges/console/run/", {"command": "", "identity": "x"})
    assert r.status_code == 400 and b"type an AWS CLI command" in r.content
    assert learner.client.get("/challenges/console/run/").status_code == 405


def test_an_obtained_session_is_offered_as_credentials(learner):
    role = f"arn:aws:iam::{learner.sandbox.account_ids()['production']}:role/Challenge-LegacyReporting"
    learner.client.get("/challenges/wildcard-trust/")
    r = learner.client.post("/challenges/console/run/", {
        "command": f"aws sts assume-role --role-arn {role} --role-session-name me",
        "identity": "key:auditor/vendor-contractor", "challenge": "wildcard-trust"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "Kept:" in html and 'hx-swap-oob="true"' in html and "Challenge-LegacyReporting/me" in html


@pytest.mark.django_db
def test_the_class_api_lists_who_solved_a_challenge():
    from django.utils import timezone

    alice, bob, carol = (User.objects.create_user(name) for name in ("alice", "bob", "carol"))
    for user, solved in ((alice, True), (bob, False)):
        sandbox = Sandbox.objects.create(owner=user)
        ChallengeProgress.objects.create(sandbox=sandbox, challenge="wildcard-trust",
                                         solved_at=timezone.now() if solved else None)
    solved = api.solved_by("wildcard-trust", [alice, bob, carol])
    assert list(solved) == [alice.pk]
    assert api.get("wildcard-trust").url == "/challenges/wildcard-trust/"
    assert [c.slug for c in api.catalog()] == [c.slug for c in catalog.challenges()]
    assert ("wildcard-trust", "Attacker · A role that trusts everybody") in api.choices()
    with pytest.raises(KeyError):
        api.solved_by("no-such-challenge", [alice])


def test_without_javascript_a_console_command_comes_back_on_the_challenge_page(learner):
    learner.client.get("/challenges/wildcard-trust/")
    r = learner.client.post("/challenges/console/run/", {"command": "aws sts get-caller-identity --query Arn",
                                                         "identity": "key:auditor/vendor-contractor",
                                                         "challenge": "wildcard-trust"})
    html = r.content.decode()
    assert r.status_code == 200 and "Objective" in html and "user/vendor-contractor" in html
    assert 'value="key:auditor/vendor-contractor" selected' in html
