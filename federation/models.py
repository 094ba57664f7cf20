"""The mock IdPs' signing keys, shared by every web process (several workers in front of one gateway must sign
with the key whose certificate the sandboxes registered).

Each sandbox has its own keys for the corporate IdP, the GitHub Actions issuer and Identity Center (issue 9: a token
or assertion minted for one sandbox must not verify in another); a key without a sandbox belongs to the whole lab
(the tamper bench's "attacker" key, which nobody trusts).
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q


class SigningKeyRecord(models.Model):
    sandbox = models.ForeignKey("sandboxes.Sandbox", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="signing_keys")
    purpose = models.CharField(max_length=32)                  # corporate-idp | github-actions | identity-center ...
    key_json = models.TextField()                              # engine.federation.keys.SigningKey.to_json()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "purpose"], name="one_key_per_sandbox_and_purpose"),
            models.UniqueConstraint(fields=["purpose"], condition=Q(sandbox__isnull=True),
                                    name="one_lab_wide_key_per_purpose"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.sandbox_id or 'lab-wide'})"
