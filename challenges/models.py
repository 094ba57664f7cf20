"""What the database keeps for challenges: each learner's progress (hints seen, attempts, solved) and the long-term
keys of the users the challenges seed (mock keys that open nothing outside the lab, like sandboxes.AccessKey)."""
from __future__ import annotations

from django.db import models

from sandboxes.models import Sandbox


class ChallengeProgress(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="challenge_progress")
    challenge = models.SlugField(max_length=64)
    hints_shown = models.PositiveSmallIntegerField(default=0)
    solution_shown = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    solved_at = models.DateTimeField(null=True, blank=True)
    last_check = models.JSONField(null=True, blank=True)  # the checker's findings, as shown on the page
    # How it was solved: the hints seen and whether the solution was open at the first successful check (for the
    # learner's record and a class's instructor, challenges.api.progress_of).
    hints_when_solved = models.PositiveSmallIntegerField(null=True, blank=True)
    solution_seen_when_solved = models.BooleanField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "challenge"], name="one_progress_per_challenge")]

    @property
    def solved(self) -> bool:
        return self.solved_at is not None


class ChallengeKey(models.Model):
    """Long-term key of a user a challenge seeds; rewritten whenever that challenge is (re)seeded."""
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="challenge_keys")
    challenge = models.SlugField(max_length=64)
    account_name = models.CharField(max_length=32)
    user_name = models.CharField(max_length=64)
    arn = models.CharField(max_length=200)
    access_key_id = models.CharField(max_length=128)
    secret_access_key = models.CharField(max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "account_name", "user_name"],
                                               name="one_key_per_challenge_user")]


class ChallengeSeed(models.Model):
    """This challenge's part of the sandbox (its roles, users, and seed calls such as a leaked session) exists for the
    current build of the sandbox's world. Seeded on first use; a rebuild or reset of the world clears these rows."""
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="challenge_seeds")
    challenge = models.SlugField(max_length=64)
    seeded_at = models.DateTimeField(auto_now_add=True)
    # The sandbox clock when it was seeded: sessions and events of the challenge count from here (an attack made
    # before a reset is not the attack of this round).
    sandbox_time = models.DateTimeField(null=True, blank=True)
    # What the seed's live calls really did (who signed, which action, which policy refused): defenders' ground truth.
    facts = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "challenge"], name="one_seed_per_challenge")]


class CheckerCall(models.Model):
    """A request the challenge checker made in a sandbox (by request id): CloudTrail records it, marked as the lab's
    checker, and the Detections and defender exercises leave it out (trail.exclusions). Only the lab writes these
    rows, so a learner who copies the checker's userAgent hides nothing."""
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="checker_calls")
    request_id = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["sandbox", "request_id"], name="checker_call_request")]
