"""The mock IdPs' signing keys, shared by every web process (several workers in front of one gateway must sign
with the key whose certificate the sandboxes registered)."""
from __future__ import annotations

from django.db import models


class SigningKeyRecord(models.Model):
    purpose = models.CharField(max_length=32, unique=True)    # corporate-idp | github-actions | identity-center ...
    key_json = models.TextField()                              # engine.federation.keys.SigningKey.to_json()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.purpose
