from __future__ import annotations

from django.urls import path

from . import views

app_name = "challenges"

# /challenges/...
urlpatterns = [
    path("", views.challenge_list, name="list"),
    path("console/", views.console_page, name="console"),
    path("console/run/", views.console_run, name="console-run"),
    path("console/editor/", views.editor_apply, name="editor-apply"),
    path("<slug:slug>/", views.challenge_page, name="detail"),
    path("<slug:slug>/hint/", views.challenge_hint, name="hint"),
    path("<slug:slug>/solution/", views.challenge_solution, name="solution"),
    path("<slug:slug>/check/", views.challenge_check, name="check"),
    path("<slug:slug>/reset/", views.challenge_reset, name="reset"),
]
