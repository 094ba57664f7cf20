from __future__ import annotations

from django.urls import path

from . import views

app_name = "classroom"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.open_class, name="open"),
    # students
    path("join/", views.join, name="join"),
    path("me/", views.student_home, name="student_home"),
    path("bar/", views.bar, name="bar"),
    path("bar/following/", views.set_following, name="following"),
    path("bar/poll/<int:poll_id>/vote/", views.cast_vote, name="vote"),
    path("bar/hand/", views.raise_hand, name="hand"),
    path("bar/quiz/", views.join_quiz, name="join_quiz"),
    path("<str:code>/s/<str:token>/", views.rejoin, name="rejoin"),
    # /class/<code>/... : the instructor's dashboard and controls
    path("<str:code>/", views.dashboard, name="dashboard"),
    path("<str:code>/roster/", views.roster, name="roster"),
    path("<str:code>/students/<int:student_id>/", views.student_detail, name="student"),
    path("<str:code>/students/<int:student_id>/remove/", views.remove_student, name="remove"),
    path("<str:code>/students/<int:student_id>/hand/", views.lower_hand, name="lower_hand"),
    path("<str:code>/prepare/", views.prepare, name="prepare"),
    path("<str:code>/end/", views.end_class, name="end"),
    path("<str:code>/follow/", views.follow, name="follow"),
    path("<str:code>/poll/", views.open_poll, name="poll"),
    path("<str:code>/poll/<int:poll_id>/reveal/", views.reveal_poll, name="reveal"),
    path("<str:code>/clock/", views.class_clock, name="clock"),
    path("<str:code>/reset/", views.class_reset, name="reset"),
    path("<str:code>/scenarios/", views.lock_scenario, name="lock"),
    path("<str:code>/export.csv", views.export, name="export"),
    path("<str:code>/quiz/", views.start_quiz, name="quiz"),
]
