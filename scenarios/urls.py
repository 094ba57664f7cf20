from __future__ import annotations

from django.urls import path

from . import views

app_name = "scenarios"

# /scenarios/<slug>/<step>/...
step_urls = [
    path("", views.step_page, name="step"),
    path("run/", views.run_step, name="run"),
    path("clock/", views.fast_forward, name="fast-forward"),
    path("trust/", views.save_trust_policy, name="save-trust"),
    path("trust/restore/", views.restore_trust_policy, name="restore-trust"),
    path("check/<slug:name>/", views.check_session, name="check-session"),
]

urlpatterns = [
    path("<slug:slug>/", views.scenario_start, name="start"),
    path("<slug:slug>/overview/", views.overview, name="overview"),
    path("<slug:slug>/recap/", views.recap, name="recap"),
    *[path("<slug:slug>/<slug:step_slug>/" + str(p.pattern), p.callback, name=p.name) for p in step_urls],
]
