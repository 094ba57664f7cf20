"""The previous graph, kept per sandbox, so the page can say which edges an edit opened (drawn in red)."""
from __future__ import annotations

from typing import Any

from django.db import models

from sandboxes.models import Sandbox


class GraphMemory(models.Model):
    """The edge keys of the last graph the learner saw, and of the one before it when they differ. Keys only: the
    graph itself is computed again from the sandbox on every view."""
    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="graph_memory")
    edges = models.JSONField(default=list)
    previous = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def opened(cls, sandbox: Sandbox, keys: set[str], *, remember: bool = True) -> set[str]:
        """The edges of `keys` that the previous graph lacked. With `remember`, a changed graph becomes the last
        one seen (and the last one the previous), so reloading the page keeps showing what the edit opened; the
        first graph a sandbox has opens nothing. An instructor looking on does not remember (the student's red
        edges stay the student's)."""
        memory = cls.objects.filter(sandbox=sandbox).first()
        if memory is None:
            if remember:
                cls.objects.create(sandbox=sandbox, edges=sorted(keys))
            return set()
        last = set(memory.edges)
        if keys != last and remember:
            memory.previous, memory.edges = sorted(last), sorted(keys)
            memory.save(update_fields=["previous", "edges", "updated_at"])
        before = last if keys != last else set(memory.previous or last)
        return keys - before


def forget_on_reset(sender: Any, sandbox: Sandbox, **kwargs: Any) -> None:
    """A reset brings the seed back: the next graph starts a fresh comparison."""
    GraphMemory.objects.filter(sandbox=sandbox).delete()
