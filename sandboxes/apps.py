from __future__ import annotations

from django.apps import AppConfig


class SandboxesConfig(AppConfig):
    name = "sandboxes"
    verbose_name = "Learner sandboxes"

    def ready(self) -> None:
        from . import journal

        # Learners' writes through the endpoint go to the database, so a rebuilt sandbox gets them back.
        journal.install()
