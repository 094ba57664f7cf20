from __future__ import annotations

from django.urls import path

from . import views

app_name = "policylab"

# /policy-lab/...
urlpatterns = [
    path("", views.lab_page, name="lab"),
    path("simulate/", views.simulate, name="simulate"),
    path("check/", views.check, name="check"),
]
