from __future__ import annotations

from django.urls import path

from . import views

app_name = "trail"

urlpatterns = [
    # /trail/
    path("", views.history, name="history"),
    path("events/<uuid:event_id>/", views.event_detail, name="event"),
    path("events/<uuid:event_id>/trace/", views.trace_view, name="trace"),
    path("findings/", views.findings, name="findings"),
    path("defend/<int:number>/", views.defend, name="defend"),
]
