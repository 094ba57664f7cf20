from __future__ import annotations

from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "quiz"
    verbose_name = "SAA exam-prep quiz"
    default_auto_field = "django.db.models.BigAutoField"
