"""Federation pages: the mock IdP (SAML + OIDC), the assertion and JWT viewers, the tamper bench and the IAM
Identity Center access portal. Every STS call here is real: unsigned, through the gateway, recorded."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any, Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engine.federation import tamper
from engine.federation.idp import GITHUB_ACTIONS_AUDIENCE, decode_saml_response, encode_saml_response, \
    github_actions_claims
from engine.federation.keys import SigningKey
from sandboxes import services as sandbox_services
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.world import PRODUCTION
from sandboxes.results import StepResult
from sandboxes.steps import StepContext
from trail import signin

from . import calls, identity_center, inspect, people, services
from .forms import (IdpLoginForm, JwtInspectForm, OidcTokenForm, PortalCredentialsForm, SamlInspectForm,
                    SamlRedeemForm, TamperForm, page_data)

SESSION_SAML = "federation_saml_b64"
SESSION_TOKEN = "federation_jwt"
SESSION_PORTAL = "federation_portal"

SAML_FORGERIES = {
    "change-role": "Change the Role attribute to an admin role (after signing)",
    "stretch-expiry": "Stretch the expiry by 8 hours and refresh IssueInstant",
    "strip-signature": "Strip the signature",
    "xsw-sibling": "Wrap: forged assertion before the signed one (XSW)",
    "xsw-object": "Wrap: genuine assertion hidden in the forged one's Signature/Object (XSW)",
    "xsw-extensions": "Wrap: genuine assertion moved to samlp:Extensions (XSW)",
    "own-key": "Change the Role and re-sign with your own key",
}
JWT_FORGERIES = {
    "alg-none": "Set alg to none and drop the signature",
    "other-audience": "Change aud (keep the signature)",
    "other-sub": "Change sub to another branch (keep the signature)",
    "own-key": "Re-sign with your own key under the issuer's kid",
    "hs256": "HS256 signed with the issuer's public key (key confusion)",
}
DEFENCES = {
    "decode": "The assertion or token must decode (base64/XML without DTDs, or three base64url JSON parts).",
    "issuer": "The Issuer must be the entityID in the metadata registered with CreateSAMLProvider.",
    "signature-missing": "STS requires a signature made with a key from the provider's metadata.",
    "signature-crypto": "The XML signature covers the signed element byte for byte (after canonicalisation): any "
                        "edit, or another key, makes it fail.",
    "xsw-one-assertion": "Exactly one Assertion is allowed, and it must be the signed one: wrapping a forged "
                         "assertion around or beside the genuine one (XML Signature Wrapping) is refused.",
    "xsw-reference": "Each Signature must reference its own parent element's ID.",
    "redeem-window": "STS only accepts an assertion within 5 minutes of its IssueInstant.",
    "validity": "NotBefore / NotOnOrAfter are checked against the (sandbox) clock.",
    "recipient": "The SubjectConfirmation must be addressed to https://signin.aws.amazon.com/saml.",
    "audience": "The Audience must be AWS.",
    "role-pair": "The Role attribute must contain exactly the (RoleArn, PrincipalArn) pair of the call.",
    "algorithm": "Only RS256/384/512 and ES256/384/512 are accepted: no `none`, no HMAC.",
    "provider": "The token's iss must match an IAM OIDC provider in the role's account.",
    "kid": "The key is taken from the issuer's JWKS by kid; an unknown kid has no key.",
    "jwks": "STS fetches the issuer's JWKS; an unreachable issuer cannot be verified.",
    "client-id": "aud must be one of the IAM OIDC provider's client ids (its audience list).",
    "signature": "The JWT signature must verify with the issuer's published key for that kid: edited claims or "
                 "another key fail.",
    "subject": "The token must name its subject (sub).",
    "metadata": "The SAML provider's metadata must hold the IdP's entityID and signing certificate.",
    "saml-strict": "The SAML 2.0 web SSO profile rules (schema, Destination, AuthnStatement) must hold.",
    "role-session-name": "The RoleSessionName attribute must be 2-64 characters of letters, digits and +=,.@_-.",
    "session-duration": "The SessionDuration attribute must be 900-43200 seconds.",
    "session-tags": "PrincipalTag attributes must be valid tags; TransitiveTagKeys must name some of them.",
    "source-identity": "The SourceIdentity attribute must be 2-64 characters and not start with aws:.",
    "expiry": "exp must be in the future of the sandbox clock.",
}


def with_federation(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """@with_sandbox, and the sandbox's federation (SAML and OIDC providers, federated roles) set up."""
    @wraps(view)
    @with_sandbox
    def wrapper(request: SandboxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        services.ensure_federation(request.sandbox)
        return view(request, *args, **kwargs)
    return wrapper


def _sandbox(request: HttpRequest) -> Any:
    sandbox = sandbox_services.sandbox_for_request(request)
    services.ensure_federation(sandbox)
    return sandbox


def _now(sandbox: Any) -> datetime:
    return sandbox_services.sandbox_now(sandbox).astimezone(timezone.utc).replace(microsecond=0)


def _saml_roles(sandbox: Any) -> list[dict[str, str]]:
    accounts = sandbox.account_ids()
    provider = f"arn:aws:iam::{accounts[PRODUCTION]}:saml-provider/{services.SAML_PROVIDER_NAME}"
    return [{"name": spec.name, "arn": f"arn:aws:iam::{accounts[spec.account]}:role/{spec.name}",
             "provider": provider} for spec in services.ROLE_SPECS if "SAML" in spec.name]


def _result(ctx: StepContext, label: str) -> StepResult:
    result = ctx.result(variant="", variant_label=label)
    result.free_play = True   # these pages are not lessons: no outcome is "expected", so none is "unexpected"
    report = calls.last_report(ctx)
    if report and report.get("error"):
        report["error"]["why"] = DEFENCES.get(report["error"]["defence"], "")
    result.report = report
    return result


# ------------------------------------------------------------------------------------------------ overview, IdP
@require_GET
@with_federation
def index(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    setup = services.ensure_federation(sandbox)
    return render(request, "federation/index.html", {
        "sandbox": sandbox, "setup": setup, "people": people.PEOPLE, "password": people.DEMO_PASSWORD,
        "roles": services.ROLE_SPECS, "accounts": sandbox.account_ids(), "issuers": services.oidc_issuers(sandbox.id)})


@require_GET
@with_federation
def idp_metadata(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    response = HttpResponse(services.saml_idp(sandbox.id).metadata_xml(), content_type="application/samlmetadata+xml")
    response["Content-Disposition"] = 'attachment; filename="securecart-idp-metadata.xml"'
    return response


@require_http_methods(["GET", "POST"])
def idp_login(request: HttpRequest) -> HttpResponse:
    """The IdP's sign-in page. next=aws (default): SAML to AWS; next=portal: sign in to Identity Center."""
    form = IdpLoginForm(page_data(request))
    # `next` is never an error (an unknown one is "aws"); the user name and password count only when posted
    credentials_readable = form.is_valid()
    target, error, status = form.cleaned_data["next"], "", 200
    if request.method == "POST":
        person = people.authenticate(form.cleaned_data["username"],
                                     form.cleaned_data["password"]) if credentials_readable else None
        if not credentials_readable:
            error, status = form.first_error(), 400
        elif person is None:
            error, status = "Unknown user or wrong password.", 401
        else:
            sandbox = _sandbox(request)   # only after a good sign-in: the sign-in page itself builds nothing
            if target == "portal":
                request.session[SESSION_PORTAL] = {"username": person.username,
                                                   "signed_in_at": _now(sandbox).isoformat()}
                signin.record_portal_signin(sandbox, username=person.username, mfa=person.mfa, when=_now(sandbox),
                                            source_ip=request.META.get("REMOTE_ADDR", ""),
                                            user_agent=request.META.get("HTTP_USER_AGENT", ""),
                                            portal_url=request.build_absolute_uri(reverse("federation:portal")))
                return redirect("federation:portal")
            xml = services.saml_idp(sandbox.id).build_response(services.saml_person(person, sandbox.account_ids()),
                                                     now=_now(sandbox))
            request.session[SESSION_SAML] = encode_saml_response(xml)
            return redirect("federation:saml-response")
    return render(request, "federation/idp_login.html", {
        "people": people.PEOPLE, "password": people.DEMO_PASSWORD, "next": target, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_federation
def saml_response(request: SandboxRequest) -> HttpResponse:
    """What the browser would POST to https://signin.aws.amazon.com/saml: the signed assertion, its anatomy, and a
    button that redeems it with STS through the gateway."""
    sandbox = request.sandbox
    blob = request.session.get(SESSION_SAML)
    if not blob:
        return redirect(reverse("federation:idp-login") + "?next=aws")
    described = inspect.describe_saml(decode_saml_response(blob))
    roles = []
    for assertion in described.get("assertions", []):
        for attribute in assertion["attributes"]:
            if attribute["name"].endswith("/Role"):
                roles += [v.split(",", 1) for v in attribute["values"] if "," in v]
    result = None
    if request.method == "POST":
        form = SamlRedeemForm(request.POST)
        choice = form.cleaned_data["role"] if form.is_valid() else ""
        pair = next((r for r in roles if r[0] == choice), None)
        if pair is None:
            return HttpResponse("Pick one of the roles the IdP offered.", status=400)
        ctx = StepContext(sandbox, origin=request.path)
        response = calls.assume_role_with_saml(ctx, role_arn=pair[0], provider_arn=pair[1], assertion_b64=blob)
        if response:
            ctx.keep_session("saml-session", f"{pair[0].rsplit('/', 1)[-1]} (SAML)", response,
                             issued_by="AssumeRoleWithSAML")
        result = _result(ctx, "AssumeRoleWithSAML with the IdP's assertion")
    return render(request, "federation/saml_response.html", {
        "sandbox": sandbox, "blob": blob, "described": described, "roles": roles, "result": result,
        "now": _now(sandbox)})


# ------------------------------------------------------------------------------------------------ OIDC
def _issuer(request: SandboxRequest, slug: str) -> Any:
    """The visitor's sandbox's issuer (each sandbox runs its own, with its own keys)."""
    issuer = services.oidc_issuers(request.sandbox.id).get(slug)
    if issuer is None:
        raise Http404("No such issuer in this lab.")
    return issuer


@require_GET
@with_federation
def oidc_discovery(request: SandboxRequest, slug: str) -> JsonResponse:
    issuer = _issuer(request, slug)
    jwks_uri = request.build_absolute_uri(reverse("federation:oidc-jwks", args=[slug]))
    return JsonResponse(issuer.discovery_document(jwks_uri=jwks_uri))


@require_GET
@with_federation
def oidc_jwks(request: SandboxRequest, slug: str) -> JsonResponse:
    return JsonResponse(_issuer(request, slug).jwks())


def _web_identity_roles(sandbox: Any) -> dict[str, str]:
    accounts = sandbox.account_ids()
    return {"github": f"arn:aws:iam::{accounts[PRODUCTION]}:role/SecureCart-GitHubDeploy",
            "securecart": f"arn:aws:iam::{accounts[PRODUCTION]}:role/SecureCart-OIDC-Analysts"}


def _issue_token(sandbox: Any, slug: str, post: dict[str, Any]) -> str:
    now = _now(sandbox)
    if slug == "github":
        branch = (post.get("branch") or "main").strip()[:100] or "main"
        sub, extra = github_actions_claims(services.GITHUB_REPOSITORY, ref=f"refs/heads/{branch}")
        return services.github_oidc(sandbox.id).issue_token(sub=sub, aud=GITHUB_ACTIONS_AUDIENCE, now=now, lifetime_seconds=300,
                                                  extra_claims=extra)
    person = people.person(post.get("username", "alice")) or people.PEOPLE[0]
    amr = ["pwd", "mfa"] if person.mfa else ["pwd"]
    return services.corporate_oidc(sandbox.id).issue_token(sub=person.username, aud=services.CORP_CLIENT_ID, now=now,
                                                 amr=amr, extra_claims={"email": person.email})


@require_http_methods(["GET", "POST"])
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_federation
def oidc_token(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    form = OidcTokenForm(page_data(request))
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(e for errors in form.errors.values() for e in errors))
    slug = form.cleaned_data["issuer"]
    token = request.session.get(SESSION_TOKEN, "")
    result = None
    action = form.cleaned_data["action"] if request.method == "POST" else ""
    if action == "issue":
        token = _issue_token(sandbox, slug, form.cleaned_data)
        request.session[SESSION_TOKEN] = token
    elif action == "exchange":
        if not token:
            return HttpResponse("Issue a token first.", status=400)
        role_arn = _web_identity_roles(sandbox)[slug]
        ctx = StepContext(sandbox, origin=request.path)
        response = calls.assume_role_with_web_identity(ctx, role_arn=role_arn, token=token,
                                                       session_name="oidc-" + slug)
        if response:
            ctx.keep_session("oidc-session", f"{role_arn.rsplit('/', 1)[-1]} (OIDC)", response,
                             issued_by="AssumeRoleWithWebIdentity")
        result = _result(ctx, "AssumeRoleWithWebIdentity with the ID token")
    return render(request, "federation/oidc_token.html", {
        "sandbox": sandbox, "issuer_slug": slug, "issuers": services.oidc_issuers(sandbox.id), "token": token,
        "described": inspect.describe_jwt(token) if token else None, "people": people.PEOPLE,
        "roles": _web_identity_roles(sandbox), "result": result})


# ------------------------------------------------------------------------------------------------ viewers
@require_http_methods(["GET", "POST"])
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_federation
def inspect_saml(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    form = SamlInspectForm(request.POST)
    if request.method == "POST" and not form.is_valid():
        return render(request, "federation/inspect_saml.html", {"text": "", "described": None, "check": None,
                                                                "error": form.errors["assertion"][0]}, status=400)
    text = form.cleaned_data["assertion"] if request.method == "POST" else request.session.get(SESSION_SAML, "")
    described, check, error = None, None, None
    if text:
        xml, error = inspect.saml_xml_from_input(text)
        if xml is not None:
            described = inspect.describe_saml(xml)
            error = described.get("error")
            role_arn = _first_role(xml)
            if not error:
                setup = services.ensure_federation(sandbox)
                checked_role = role_arn or _default_saml_role(sandbox)
                check = calls.dry_check_saml(encode_saml_response(xml), provider_arn=setup.saml_provider_arn,
                                             metadata=services.saml_idp(sandbox.id).metadata_xml(),
                                             role_arn=checked_role, now=_now(sandbox))
                check["role_arn"], check["role_from_assertion"] = checked_role, bool(role_arn)
    return render(request, "federation/inspect_saml.html", {"text": text, "described": described, "check": check,
                                                            "error": error})


def _default_saml_role(sandbox: Any) -> str:
    # An assertion without a Role attribute (carol's) grants nothing; check it against a real role of the
    # sandbox, in the provider's own account, so the diagnosis is "no role granted", not an account mismatch.
    return f"arn:aws:iam::{sandbox.account_ids()[PRODUCTION]}:role/SecureCart-SAML-Developers"


@require_http_methods(["GET", "POST"])
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_federation
def inspect_jwt(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    form = JwtInspectForm(request.POST)
    if request.method == "POST" and not form.is_valid():
        return render(request, "federation/inspect_jwt.html", {
            "token": "", "described": {"error": form.errors["token"][0]}, "signature": None}, status=400)
    token = form.cleaned_data["token"] if request.method == "POST" else request.session.get(SESSION_TOKEN, "")
    described = inspect.describe_jwt(token) if token else None
    signature = None
    if described and not described.get("error"):
        signature = inspect.check_jwt_signature(token, lambda issuer: services.jwks_for(sandbox.id, issuer))
    return render(request, "federation/inspect_jwt.html", {"token": token, "described": described,
                                                           "signature": signature})


# ------------------------------------------------------------------------------------------------ tamper bench
def _attacker_key() -> SigningKey:
    return services.signing_key("attacker")


def _forge_saml(sandbox: Any, xml: str, forgery: str) -> str:
    accounts = sandbox.account_ids()
    admin_role = f"arn:aws:iam::{accounts[PRODUCTION]}:role/SecureCart-SAML-Operations"
    provider = f"arn:aws:iam::{accounts[PRODUCTION]}:saml-provider/{services.SAML_PROVIDER_NAME}"
    if forgery == "change-role":
        return tamper.change_role(xml, admin_role, provider)
    if forgery == "stretch-expiry":
        return tamper.stretch_expiry(xml, 8 * 3600, refresh_issue_instant=_now(sandbox))
    if forgery == "strip-signature":
        return tamper.strip_signature(xml)
    if forgery == "xsw-sibling":
        return tamper.xsw_sibling(xml, admin_role, provider)
    if forgery == "xsw-object":
        return tamper.xsw_wrap_in_object(xml, admin_role, provider)
    if forgery == "xsw-extensions":
        return tamper.xsw_in_extensions(xml, admin_role, provider)
    if forgery == "own-key":
        return tamper.resign_with_key(xml, services.saml_idp(sandbox.id), _attacker_key(), role_arn=admin_role,
                                      provider_arn=provider)
    raise ValueError(f"unknown forgery {forgery}")


def _forge_jwt(sandbox: Any, token: str, forgery: str) -> str:
    if forgery == "alg-none":
        return tamper.jwt_alg_none(token)
    if forgery == "other-audience":
        return tamper.jwt_with_claims_keep_signature(token, aud="sts.amazon.com")
    if forgery == "other-sub":
        return tamper.jwt_with_claims_keep_signature(
            token, sub=f"repo:{services.GITHUB_REPOSITORY}:ref:refs/heads/feature-x")
    if forgery == "own-key":
        return tamper.jwt_signed_with_own_key(token, _attacker_key())
    if forgery == "hs256":
        return tamper.jwt_hs256_key_confusion(token, services.github_oidc(sandbox.id).key.public_key_pem)
    raise ValueError(f"unknown forgery {forgery}")


def _fresh_saml(sandbox: Any) -> str:
    person = people.person("alice")
    return services.saml_idp(sandbox.id).build_response(services.saml_person(person, sandbox.account_ids()),
                                                   now=_now(sandbox))


def _fresh_token(sandbox: Any) -> str:
    return _issue_token(sandbox, "github", {"branch": "main"})


def _first_role(xml: str) -> str:
    described = inspect.describe_saml(xml)
    for assertion in described.get("assertions", []):
        for attribute in assertion["attributes"]:
            if attribute["name"].endswith("/Role"):
                for value in attribute["values"]:
                    if "," in value:
                        return value.split(",", 1)[0].strip()
    return ""


@require_http_methods(["GET", "POST"])
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_federation
def tamper_bench(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    form = TamperForm(page_data(request))
    valid, error, status = form.is_valid(), "", 200
    kind = form.cleaned_data["kind"]
    if valid:
        action, role_arn = form.cleaned_data["action"], form.cleaned_data["role_arn"]
        xml, token = form.cleaned_data["xml"], form.cleaned_data["token"]
    else:  # refused: nothing is done, and what the learner typed comes back (cut to the limits) with the reason
        error, status, action, role_arn = form.first_error(), 400, "", form.shown("role_arn")
        xml, token = form.shown("xml"), form.shown("token").strip()
    if request.method != "POST":
        action, xml, token = "", "", ""
    xml, token = (xml, "") if kind == "saml" else ("", token)
    result, applied = None, ""
    if action == "fresh" or (kind == "saml" and not xml) :
        xml = _fresh_saml(sandbox)
    if action == "fresh" or (kind == "jwt" and not token):
        token = _fresh_token(sandbox)
    if action.startswith("forge:"):
        forgery = action.removeprefix("forge:")
        try:
            if kind == "saml" and forgery in SAML_FORGERIES:
                xml, applied = _forge_saml(sandbox, xml, forgery), SAML_FORGERIES[forgery]
            elif kind == "jwt" and forgery in JWT_FORGERIES:
                token, applied = _forge_jwt(sandbox, token, forgery), JWT_FORGERIES[forgery]
            else:
                error = "Unknown forgery."
        except Exception as exc:   # a learner's hand-edited document may not have what the forgery needs
            error = f"Could not apply that to the current document: {exc}"
    elif action == "submit":
        ctx = StepContext(sandbox, origin=request.path)
        if kind == "saml":
            accounts = sandbox.account_ids()
            provider = f"arn:aws:iam::{accounts[PRODUCTION]}:saml-provider/{services.SAML_PROVIDER_NAME}"
            role_arn = role_arn or _first_role(xml) or \
                f"arn:aws:iam::{accounts[PRODUCTION]}:role/SecureCart-SAML-Developers"
            calls.assume_role_with_saml(ctx, role_arn=role_arn, provider_arn=provider,
                                        assertion_b64=encode_saml_response(xml))
        else:
            calls.assume_role_with_web_identity(ctx, role_arn=_web_identity_roles(sandbox)["github"], token=token,
                                                session_name="tamper-bench")
        result = _result(ctx, "Submitted to STS for real")
    return render(request, "federation/tamper.html", {
        "sandbox": sandbox, "kind": kind, "kind_what": "assertion" if kind == "saml" else "token", "xml": xml,
        "token": token, "result": result, "applied": applied,
        "error": error, "saml_forgeries": SAML_FORGERIES, "jwt_forgeries": JWT_FORGERIES,
        "role_arn": form.shown("role_arn"), "roles": _saml_roles(sandbox)}, status=status)


# ------------------------------------------------------------------------------------------------ access portal
def _portal_person(request: HttpRequest, sandbox: Any) -> tuple[people.Person | None, datetime | None, bool]:
    """(person, signed-in time, expired) for the access-portal session kept in the browser session."""
    state = request.session.get(SESSION_PORTAL) or {}
    person = people.person(state.get("username", ""))
    try:
        signed_in = datetime.fromisoformat(state["signed_in_at"])
    except (KeyError, TypeError, ValueError):
        signed_in = None
    if person is None:
        return None, None, False
    return person, signed_in, identity_center.portal_expired(signed_in, _now(sandbox))


@require_GET
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_federation
def portal(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    identity_center.ensure_identity_center(sandbox)
    person, signed_in, expired = _portal_person(request, sandbox)
    roles = identity_center.entitlements(sandbox, person.username) if person and not expired else []
    ends = signed_in + timedelta(seconds=identity_center.PORTAL_SESSION_SECONDS) if signed_in else None
    return render(request, "federation/portal.html", {
        "sandbox": sandbox, "person": person if not expired else None, "expired_person": person if expired else None,
        "roles": roles, "session_ends": ends, "now": _now(sandbox),
        "portal_hours": identity_center.PORTAL_SESSION_SECONDS // 3600})


@require_POST
def portal_signout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_PORTAL, None)
    return redirect("federation:portal")


@require_POST
@never_cache   # shows credentials: never kept by a browser or proxy cache
@with_federation
def portal_credentials(request: SandboxRequest) -> HttpResponse:
    sandbox = request.sandbox
    person, _, expired = _portal_person(request, sandbox)
    if person is None or expired:
        return redirect("federation:portal")
    form = PortalCredentialsForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose one of the accounts and permission sets the portal lists.")
    inst, _ = identity_center.ensure_identity_center(sandbox)
    wanted = (form.cleaned_data["account_id"], form.cleaned_data["permission_set"])
    role = next((r for r in identity_center.entitlements(sandbox, person.username)
                 if (r.account_id, r.permission_set) == wanted), None)
    if role is None:
        return HttpResponse("You have no assignment for that account and permission set.", status=403)
    ctx = StepContext(sandbox, origin=request.path)
    now = _now(sandbox)
    assertion = identity_center.portal_assertion(inst, person, role, now, sandbox.id)
    response = calls.assume_role_with_saml(
        ctx, role_arn=role.role_arn, provider_arn=role.provider_arn, assertion_b64=encode_saml_response(assertion),
        label=f"Identity Center redeems its own assertion for {role.role_name} (AssumeRoleWithSAML)",
        DurationSeconds=role.session_seconds)
    if response:
        ctx.keep_session("portal-session", f"{role.permission_set} in {role.account_name} (Identity Center)",
                         response, issued_by="AssumeRoleWithSAML")
    result = _result(ctx, "Get credentials from the access portal")
    return render(request, "federation/portal_credentials.html", {
        "sandbox": sandbox, "person": person, "role": role, "result": result, "response": response,
        "assertion": inspect.describe_saml(assertion), "trust": json.dumps(
            identity_center.reserved_role_trust(role.account_id, inst.instance_arn), indent=2), "now": now})
