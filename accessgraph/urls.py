from __future__ import annotations

from django.urls import path

from . import views

app_name = "accessgraph"

# /graph/...
urlpatterns = [
    path("", views.graph_page, name="graph"),
    path("class/<str:code>/students/<int:student_id>/", views.student_graph, name="student"),
]
