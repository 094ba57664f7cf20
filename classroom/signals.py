"""Record a class student's runs as Activity, from the scenario player's own progress rows (sandboxes.StepProgress).

The player saves a StepProgress row with the new `last_result` after every run, what-if and credential check; that
save is the hook, so the player needs no knowledge of classes.
"""
from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from sandboxes.models import StepProgress

from .access import NOT_A_STUDENT, request_student
from .models import Activity, Student, classify


@receiver(post_save, sender=StepProgress)
def record_activity(sender: type, instance: StepProgress, **kwargs: Any) -> None:
    known = request_student.get()   # a Run from a scenario page: whose it is was looked up already
    if known is NOT_A_STUDENT:
        return
    student = known if isinstance(known, Student) and known.sandbox_id == instance.sandbox_id else \
        Student.objects.filter(sandbox_id=instance.sandbox_id, removed_at__isnull=True).first()
    if student is None:
        return
    result, _ = instance.stored_result()
    if result is None:
        return
    outcome, code = classify(result)
    Activity.objects.create(student=student, scenario=instance.scenario, step=instance.step,
                            variant=result.variant[:64], outcome=outcome, code=code[:64], succeeded=result.succeeded)
