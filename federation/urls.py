from __future__ import annotations

from django.urls import path

from . import views

app_name = "federation"

urlpatterns = [
    path("", views.index, name="index"),
    path("idp/metadata.xml", views.idp_metadata, name="idp-metadata"),
    path("idp/login/", views.idp_login, name="idp-login"),
    path("idp/saml-response/", views.saml_response, name="saml-response"),
    path("oidc/<slug:slug>/.well-known/openid-configuration", views.oidc_discovery, name="oidc-discovery"),
    path("oidc/<slug:slug>/jwks.json", views.oidc_jwks, name="oidc-jwks"),
    path("oidc/token/", views.oidc_token, name="oidc-token"),
    path("inspect/saml/", views.inspect_saml, name="inspect-saml"),
    path("inspect/jwt/", views.inspect_jwt, name="inspect-jwt"),
    path("tamper/", views.tamper_bench, name="tamper"),
    path("portal/", views.portal, name="portal"),
    path("portal/sign-out/", views.portal_signout, name="portal-signout"),
    path("portal/credentials/", views.portal_credentials, name="portal-credentials"),
]
