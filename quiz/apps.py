from __future__ import annotations

from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "quiz"
    verbose_name = "SAA exam-prep quiz"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import generator  # noqa: F401  registers the engine-made questions ("gen-...") with the bank
        from . import paths  # noqa: F401  and "which path leads to admin?" from a seeded access graph ("genpath-")
