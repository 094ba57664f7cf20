from __future__ import annotations

from django.apps import AppConfig


class PolicylabConfig(AppConfig):
    name = "policylab"
    verbose_name = "The policy lab: IAM's policy simulator and Access Analyzer's checks on the learner's sandbox"
