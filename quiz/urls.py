from __future__ import annotations

from django.urls import path

from . import live_views, views

app_name = "quiz"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("generated/", views.start_generated, name="start_generated"),
    path("preset/<slug:slug>/", views.start_preset, name="start_preset"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/resolve/", views.resolve_report, name="resolve_report"),
    path("questions/", views.browse, name="browse"),
    path("progress/", views.progress, name="progress"),
    path("progress/review/", views.start_review, name="start_review"),
    path("questions/<str:qid>/practice/", views.practice_one, name="practice_one"),
    path("questions/<str:qid>/report/", views.report_question, name="report"),
    path("a/<uuid:attempt_id>/", views.resume, name="resume"),
    path("a/<uuid:attempt_id>/q/<int:number>/", views.question, name="question"),
    path("a/<uuid:attempt_id>/q/<int:number>/flag/", views.flag, name="flag"),
    path("a/<uuid:attempt_id>/submit/", views.submit, name="submit"),
    path("a/<uuid:attempt_id>/review/", views.review, name="review"),
    path("a/<uuid:attempt_id>/retry/", views.retry, name="retry"),
    # Live class mode: the instructor hosts, learners join with a code from their phones.
    path("live/", live_views.index, name="live"),
    path("live/host/", live_views.create_room, name="live_create"),
    path("live/join/", live_views.join, name="live_join"),
    path("live/<str:code>/host/", live_views.host, name="live_host"),
    path("live/<str:code>/host/panel/", live_views.host_panel, name="live_host_panel"),
    path("live/<str:code>/screen/", live_views.screen, name="live_screen"),
    path("live/<str:code>/host/action/", live_views.host_action, name="live_host_action"),
    path("live/<str:code>/host/results.csv", live_views.export_csv, name="live_export"),
    path("live/<str:code>/cohost/", live_views.cohost, name="live_cohost"),
    path("live/<str:code>/play/", live_views.play, name="live_play"),
    path("live/<str:code>/play/panel/", live_views.play_panel, name="live_play_panel"),
    path("live/<str:code>/play/answer/", live_views.play_answer, name="live_play_answer"),
    path("live/<str:code>/play/review/", live_views.play_review, name="live_play_review"),
]
