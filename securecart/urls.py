from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from sandboxes import urls as sandbox_urls
from sandboxes import views as sandbox_views
from sandboxes.gatewaymount import aws_endpoint
from sandboxes.imdsmount import imds_endpoint
from scenarios import views as scenario_views

from .throttle import throttle_sign_ins

urlpatterns = [
    path("", scenario_views.home, name="home"),
    path("scenarios/", include("scenarios.urls")),
    path("federation/", include("federation.urls")),
    path("quiz/", include("quiz.urls")),
    path("trail/", include("trail.urls")),
    path("challenges/", include("challenges.urls")),
    path("class/", include("classroom.urls")),
    path("docs/", include("manuals.urls")),
    # issue 26: the policy lab (simulator and Access Analyzer checks)
    path("policy-lab/", include("policylab.urls")),
    path("graph/", include("accessgraph.urls")),      # issue 26: who can become whom
    path("sandbox/", include(sandbox_urls.urlpatterns)),
    path("internal/", include(sandbox_urls.internal_urlpatterns)),
    path("accounts/login/", throttle_sign_ins(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", sandbox_views.signup, name="signup"),
    # The AWS endpoint: everything under /aws goes to the gateway (AWS wire protocols, csrf-exempt).
    re_path(r"^aws(?:/.*)?$", aws_endpoint, name="aws"),
    # Instance metadata for the learner's terminal, scoped to their sandbox (sandboxes/imdsmount.py, csrf-exempt).
    re_path(r"^imds/(?P<key>[^/]+)/(?P<instance_id>i-[0-9a-zA-Z]{1,40})(?P<rest>/.*)?$", imds_endpoint, name="imds"),
]

handler404 = "securecart.errors.not_found"
handler500 = "securecart.errors.server_error"
handler400 = "securecart.errors.bad_request"
