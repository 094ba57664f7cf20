"""Each challenge declares the classic mistakes it teaches against, each with a wrong solution: applied to the
seeded challenge, it is refused, and the verdict names the probe that caught it, what that probe saw, and the
engine's reason (the deciding statement and condition). Issue 29 found seven such wrong solutions accepted on
main; they are pinned one by one below, then every mistake of every challenge the same way."""
from __future__ import annotations

import pytest

from challenges import catalog

from tests.challenges.challengeplay import check, failures, in_process_console, play

pytestmark = pytest.mark.slow

# (challenge, mistake) -> (words of the probe that must catch it, words of the engine's reason it must give)
ISSUE_29_WRONG_SOLUTIONS = {
    # StringLike sts:ExternalId "*" with MFA: any ExternalId, the confused deputy is back
    ("auditors-externalid-and-mfa", "any-external-id"):
        ("a wrong ExternalId", "StringLike on `sts:ExternalId`: request value `another-customers-id` matches policy "
                               "value `*`"),
    # "Principal": {"AWS": "*"} with both conditions: any account that learns the ExternalId gets in
    ("auditors-externalid-and-mfa", "any-principal"):
        ("a principal of another account", "statement `Trust` of the trust policy `Challenge-AuditReview` allows it"),
    # sub repo:securecart/storefront:ref:refs/heads/main* admits branch main-x
    ("github-oidc-main-branch", "branch-prefix"):
        ("branch main-x", "StringLike on `token.actions.githubusercontent.com:sub`"),
    # sub repo:securecart/*:ref:refs/heads/main: any repository of the org
    ("github-oidc-main-branch", "any-repository"):
        ("another repository of the organisation", "repo:securecart/*:ref:refs/heads/main"),
    # s3:GetObject on securecart-invoices/* passes "INV-100231 and nothing else" when the bucket holds one object
    ("session-policy-one-task", "whole-bucket"):
        ("another customer's invoice", "session policy"),
    # a boundary of s3:* on * plus IAM self-management: junior-dev lists invoices, deletes the security logs
    ("boundary-stops-escalation", "all-s3"):
        ("lists the invoices", "Challenge-S3Boundary` allows it"),
    # a hard-coded "sts:SourceIdentity": "dev-alex"
    ("require-source-identity", "hard-coded"):
        ("dev-sam", "StringEquals on `sts:SourceIdentity`"),
}


@pytest.fixture
def player(transactional_db, learner, monkeypatch):
    # the console's loopback server answers in another thread (console.endpoint): it must see this thread's rows
    in_process_console(monkeypatch)
    return learner


def refused(player, slug: str, mistake_id: str) -> list[dict]:
    """The mistake made on the seeded challenge (a defence's on top of its attack, done as the solution says);
    a wrong report is sent as the answers."""
    spec = catalog.get(slug)
    mistake = next(m for m in spec.mistakes if m.id == mistake_id)
    assert player.client.get(f"/challenges/{slug}/").status_code == 200
    if spec.follows:
        play(player.client, player.sandbox, spec.follows, catalog.get(spec.follows).solution)
    report = play(player.client, player.sandbox, slug, mistake.attempt, succeed=False)
    answers = report or {a.name: "x" if not a.choices else a.choices[0][0] for a in spec.answers}
    result = check(player.client, player.sandbox, slug, answers)
    assert not result["passed"], f"{slug}: the mistake {mistake_id} was accepted"
    caught = [f for f in failures(result) if mistake.says in f["mistakes"]]
    assert caught, f"{slug}: {mistake_id} was refused, but no failing probe names it: {failures(result)}"
    return caught


@pytest.mark.parametrize("slug,mistake_id", sorted(ISSUE_29_WRONG_SOLUTIONS))
def test_issue_29s_wrong_solutions_are_refused_with_the_probe_and_the_reason(player, slug, mistake_id):
    probe_words, reason_words = ISSUE_29_WRONG_SOLUTIONS[slug, mistake_id]
    caught = refused(player, slug, mistake_id)
    assert any(probe_words in f["text"] and reason_words in f["why"] for f in caught), caught


def every_mistake() -> list[tuple[str, str]]:
    return [(c.slug, m.id) for c in catalog.challenges() for m in c.mistakes
            if (c.slug, m.id) not in ISSUE_29_WRONG_SOLUTIONS]


def test_every_challenge_declares_the_mistakes_it_teaches_against():
    # (that each mistake has a check that catches it, the pack loader refuses otherwise: schema._cross_check)
    assert [c.slug for c in catalog.challenges() if not c.mistakes] == []


def test_every_other_mistake_is_refused_and_named(player):
    """Each mistake on a freshly reset challenge: one sandbox, reset between (which also drops the sessions the
    previous attempt kept, or a kept session would pass the next check). A finding that catches a mistake says what
    it saw: the engine's reason for a probe, or what CloudTrail, the sessions or IAM showed."""
    for slug, mistake_id in every_mistake():
        assert player.client.post(f"/challenges/{slug}/reset/").status_code == 302
        caught = refused(player, slug, mistake_id)
        assert all(f["why"] or ": " in f["text"] for f in caught), caught


# Correct solutions written differently from the official one: the checker judges behaviour, so each passes (issue 29
# found 8 such accepted on main; keep that property while refusing the mistakes).
def _doc(*statements) -> str:
    import json

    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":"))


CORRECT_BUT_DIFFERENT = {
    # MFA asked through its age instead of Bool (aws:MultiFactorAuthAge exists only with MFA), principal as an id
    "auditors-externalid-and-mfa": lambda a: [
        "aws iam update-assume-role-policy --role-name Challenge-AuditReview --policy-document '" + _doc(
            {"Effect": "Allow", "Principal": {"AWS": a["auditor"]}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "SecureCart-Audit-7F3K9Q"},
                           "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}) + "'"],
    # StringLike with no wildcard is an exact match
    "github-oidc-main-branch": lambda a: [
        "aws iam update-assume-role-policy --role-name Challenge-GitHubRelease --policy-document '" + _doc(
            {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{a['production']}:oidc-provider/"
                                                           "token.actions.githubusercontent.com"},
             "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub":
                                          "repo:securecart/storefront:ref:refs/heads/main"},
                           "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}) + "'"],
    # the bucket's objects allowed, every other object denied
    "session-policy-one-task": lambda a: [
        f"aws sts assume-role --role-arn arn:aws:iam::{a['production']}:role/Challenge-DataSupport "
        "--role-session-name one --policy '" + _doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::securecart-invoices/*"},
            {"Effect": "Deny", "Action": "s3:GetObject",
             "NotResource": "arn:aws:s3:::securecart-invoices/2024/10/INV-100231.pdf"}) + "'"],
    # StringLike against the variable
    "require-source-identity": lambda a: [
        "aws iam update-assume-role-policy --role-name Challenge-Deployer --policy-document '" + _doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{a['developer']}:root"},
             "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
             "Condition": {"StringLike": {"sts:SourceIdentity": "${aws:username}"}}}) + "'"],
    # a boundary that lets junior-dev write policies, but caps what they can grant
    "boundary-stops-escalation": lambda a: [
        "aws iam create-policy --policy-name Challenge-DeveloperBoundary --policy-document '" + _doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::securecart-product-images/*"},
            {"Effect": "Allow", "Action": ["iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:ListUserPolicies"],
             "Resource": f"arn:aws:iam::{a['production']}:user/junior-dev"}) + "'",
        "aws iam put-user-permissions-boundary --user-name junior-dev --permissions-boundary "
        f"arn:aws:iam::{a['production']}:policy/Challenge-DeveloperBoundary"],
}


@pytest.mark.parametrize("slug", sorted(CORRECT_BUT_DIFFERENT))
def test_a_correct_solution_written_differently_passes(player, slug):
    from challenges import schema

    assert player.client.get(f"/challenges/{slug}/").status_code == 200
    steps = [schema.Step.model_validate(s) for s in CORRECT_BUT_DIFFERENT[slug](player.sandbox.account_ids())]
    play(player.client, player.sandbox, slug, steps)
    result = check(player.client, player.sandbox, slug)
    assert result["passed"], failures(result)
