"""The database side of the gateway's write journal (gateway/journal.py): store each write, hand them back in order.

Installed by SandboxesConfig.ready() in every process that runs the gateway with Django loaded: the web process in
default mode, `manage.py gateway` with several web processes.
"""
from __future__ import annotations

import logging

from gateway import journal

from .models import JournaledWrite, Sandbox

log = logging.getLogger(__name__)


def store(write: journal.JournaledWrite) -> None:
    if not Sandbox.objects.filter(pk=write.sandbox_id).exists():
        return
    created = write.created_key or {}
    JournaledWrite.objects.create(
        sandbox_id=write.sandbox_id, service=write.service, operation=write.operation[:64],
        account_id=write.account_id, method=write.method, path=write.path, query=write.query, headers=write.headers,
        body=write.body, created_key_id=created.get("access_key_id", ""),
        created_key_user=created.get("user_name", ""), created_key_secret=created.get("secret_access_key", ""))


def entries(sandbox: Sandbox) -> list[dict]:
    return [row.replay_entry() for row in JournaledWrite.objects.filter(sandbox=sandbox).order_by("id")]


def install() -> None:
    journal.set_sink(store)
