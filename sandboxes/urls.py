from __future__ import annotations

from django.urls import path

from . import views

# /sandbox/...
urlpatterns = [
    path("", views.sandbox_page, name="sandbox"),
    path("reset/", views.reset, name="sandbox-reset"),
    path("clock/", views.clock, name="sandbox-clock"),
    path("clock/next-mfa-code/", views.next_mfa_code, name="sandbox-next-mfa-code"),
    path("terminal/", views.terminal, name="terminal"),
]

# /internal/... (token-protected; used by manage.py sandbox)
internal_urlpatterns = [
    path("sandboxes/", views.internal_create, name="internal-sandbox-create"),
    path("sandboxes/<slug:sandbox_id>/clock/", views.internal_clock, name="internal-sandbox-clock"),
]
