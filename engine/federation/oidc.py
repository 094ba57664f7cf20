"""AssumeRoleWithWebIdentity's validation of an OIDC ID token (a JWT), done the way AWS describes it.

  1. decode     three base64url parts, a JSON header with `alg` and a JSON payload
  2. algorithm  header `alg` in STS's allow-list RS256/384/512, ES256/384/512 (API_AssumeRoleWithWebIdentity);
                `none` and HS* are refused before any key is looked at (no alg-none, no HMAC key confusion)
  3. provider   `iss` names an IAM OIDC provider in the role's account: the provider's URL (stored without
                https://) equals iss without https:// -- "No OpenIDConnect provider found in your account for <iss>"
  4. key        the key whose `kid` matches, from the provider's JWKS. AWS fetches the JWKS over TLS from the
                issuer's jwks_uri; the lab never touches the network, so the JWKS comes from the lab's in-process
                registry of issuers (engine.federation.registry), keyed by issuer URL. A kid that is not there fails.
  5. signature  PyJWT verifies with that key and ONLY the header's (allow-listed) algorithm, which must match the
                key type
  6. audience   `aud` (string or list) contains one of the provider's client ids -- "Incorrect token audience"
  7. times      `exp` in the future, `iat`/`nbf` not in the future, against the SANDBOX clock
  8. subject    `sub` present
The answer's SubjectFromWebIdentityToken = sub, Provider = iss, Audience = the matching client id. Condition keys:
`<host/path>:aud`, `<host/path>:sub`, `<host/path>:amr` (multi-valued), `<host/path>:oaud`/`azp` where present.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

import jwt
from jwt import PyJWK

from engine.federation.errors import ExpiredTokenException, InvalidIdentityToken
from engine.federation.idp import SUPPORTED_JWT_ALGORITHMS
from engine.federation.checks import Check, Recorder

NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
AUDIENCE_WRONG = "Incorrect token audience"                       # observed: awslabs/amazon-eks-irsa-cfn #18
NO_VERIFICATION_KEY = ("Couldn't retrieve verification key from your identity provider,  please reference "
                       "AssumeRoleWithWebIdentity documentation for requirements")   # two spaces: aws-sdk-rust#827


def no_provider_message(issuer: str) -> str:
    # observed: aws-actions/configure-aws-credentials #280
    return f"No OpenIDConnect provider found in your account for {issuer}"


@dataclass(frozen=True)
class OidcProviderRecord:
    """An IAM OIDC provider as moto stores it: url without https://, the client-id list, thumbprints."""
    arn: str
    url: str
    client_ids: tuple[str, ...] = ()

    @property
    def host_path(self) -> str:
        return self.url.removeprefix("https://").rstrip("/")


JwksResolver = Callable[[str], "dict[str, Any] | None"]   # issuer URL -> JWKS dict, or None when unreachable


@dataclass
class OidcValidation:
    subject: str
    issuer: str
    audience: str
    provider_arn: str
    claims: dict[str, Any]
    header: dict[str, Any]
    expires: datetime
    condition_context: dict[str, str | list[str]] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def result_fields(self) -> dict[str, Any]:
        """The web-identity members of the AssumeRoleWithWebIdentity result."""
        # API_AssumeRoleWithWebIdentity: Provider "contains the value of the iss field" for OIDC ID tokens.
        return {"SubjectFromWebIdentityToken": self.subject, "Provider": self.issuer, "Audience": self.audience}


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) without any verification -- for display and routing only."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False, "verify_aud": False,
                                        "verify_iat": False, "verify_nbf": False, "verify_iss": False})
    return header, claims


ProviderLookup = Callable[[str], "OidcProviderRecord | None"]   # issuer URL -> IAM OIDC provider in the account


def validate_web_identity_token(token: str, *, find_provider: ProviderLookup, role_account: str,
                                jwks_for: JwksResolver, now: datetime) -> OidcValidation:
    """Validate `token` for AssumeRoleWithWebIdentity into a role of `role_account`.

    `find_provider(iss)` returns the IAM OIDC provider of that account whose URL equals iss (or None). Raises
    FederationError subclasses with `.defence` and `.checks`; `now` is the sandbox clock.
    """
    rec = Recorder()
    label = "Three base64url parts: JSON header and claims"
    try:
        header, claims = unverified_parts(token.strip())
    except (jwt.PyJWTError, ValueError, TypeError, json.JSONDecodeError):
        raise rec.fail(InvalidIdentityToken(NOT_A_JWT, defence="decode",
                                            detail="WebIdentityToken must be a signed JWT (an OIDC ID token)."),
                       "decode", label) from None
    if not isinstance(claims, dict) or not isinstance(header, dict):
        raise rec.fail(InvalidIdentityToken(NOT_A_JWT, defence="decode", detail="The claims are not a JSON object."),
                       "decode", label)
    rec.passed("decode", label)

    alg = header.get("alg")
    label = "Signing algorithm allowed by STS (RS256/384/512, ES256/384/512)"
    if alg not in SUPPORTED_JWT_ALGORITHMS:
        detail = {"none": "alg `none` means 'not signed at all'; STS only accepts asymmetric signatures.",
                  }.get(str(alg).lower(), f"alg `{alg}` is not accepted. HS256/384/512 would make the public key a "
                                           "shared secret (key confusion), so STS only accepts RSA and EC signatures.")
        raise rec.fail(InvalidIdentityToken("Unsupported signing algorithm in the web identity token",
                                            defence="algorithm", detail=detail), "algorithm", label)
    rec.passed("algorithm", label, alg)

    issuer = claims.get("iss")
    label = "iss names an IAM OIDC provider in the role's account"
    if not isinstance(issuer, str) or not issuer:
        raise rec.fail(InvalidIdentityToken(NOT_A_JWT, defence="provider", detail="The token has no `iss` claim."),
                       "provider", label)
    provider = find_provider(issuer) if issuer.startswith("https://") else None
    if provider is None:
        raise rec.fail(InvalidIdentityToken(no_provider_message(issuer), defence="provider", observed=True,
                                            detail=f"Account {role_account} has no IAM OIDC provider whose URL is "
                                                   f"{issuer}. Create one (CreateOpenIDConnectProvider) whose URL "
                                                   "equals the token's iss, with the token's aud as a client id."),
                       "provider", label)
    rec.passed("provider", label, provider.arn)

    label = "Key found by kid in the issuer's JWKS"
    jwks = jwks_for(issuer.rstrip("/"))
    if not jwks or not isinstance(jwks.get("keys"), list):
        raise rec.fail(InvalidIdentityToken(NO_VERIFICATION_KEY, defence="jwks", observed=True,
                                            detail=f"STS could not fetch the JWKS of {issuer}. (AWS fetches it over "
                                                   "TLS from the discovery document's jwks_uri; the lab resolves "
                                                   "its own mock issuers in-process.)"), "jwks", label)
    kid = header.get("kid")
    jwk_dict = next((k for k in jwks["keys"] if isinstance(k, dict) and k.get("kid") == kid), None)
    if jwk_dict is None and kid is None and len(jwks["keys"]) == 1:
        jwk_dict = jwks["keys"][0]   # a single-key JWKS needs no kid
    if jwk_dict is None:
        known = ", ".join(str(k.get("kid")) for k in jwks["keys"] if isinstance(k, dict))
        raise rec.fail(InvalidIdentityToken(NO_VERIFICATION_KEY, defence="kid", observed=True,
                                            detail=f"The token's kid `{kid}` is not in the issuer's JWKS "
                                                   f"(known: {known})."), "kid", label)
    try:
        key = PyJWK(jwk_dict, algorithm=alg)
    except jwt.PyJWTError as exc:
        raise rec.fail(InvalidIdentityToken(NO_VERIFICATION_KEY, defence="kid",
                                            detail=f"The JWKS key `{kid}` cannot be used with {alg} ({exc})."),
                       "kid", label) from None
    rec.passed("kid", label, str(kid))

    label = "Signature verifies with that key"
    try:
        jwt.decode(token.strip(), key=key.key, algorithms=[alg],
                   options={"verify_exp": False, "verify_aud": False, "verify_iat": False, "verify_nbf": False,
                            "verify_iss": False})
    except jwt.InvalidSignatureError:
        raise rec.fail(InvalidIdentityToken("Invalid token signature", defence="signature",
                                            detail="The signature does not verify with the issuer's published key: "
                                                   "the claims were changed after signing or another key signed."),
                       "signature", label) from None
    except jwt.PyJWTError as exc:
        raise rec.fail(InvalidIdentityToken("Invalid token signature", defence="signature",
                                            detail=f"The token cannot be verified ({exc})."),
                       "signature", label) from None
    rec.passed("signature", label)

    label = "aud is one of the provider's client ids"
    audiences = claims.get("aud")
    audience_list = [audiences] if isinstance(audiences, str) else \
        [a for a in audiences if isinstance(a, str)] if isinstance(audiences, list) else []
    matched = next((a for a in audience_list if a in provider.client_ids), None)
    if matched is None:
        raise rec.fail(InvalidIdentityToken(AUDIENCE_WRONG, defence="client-id", observed=True,
                                            detail=f"aud is {audience_list or 'missing'}; the provider accepts "
                                                   f"{list(provider.client_ids) or 'no client ids'}."),
                       "client-id", label)
    rec.passed("client-id", label, matched)

    label = "exp in the future, iat/nbf not in the future (sandbox clock)"
    now_ts = now.timestamp()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        raise rec.fail(InvalidIdentityToken(NOT_A_JWT, defence="expiry", detail="The token has no numeric exp."),
                       "expiry", label)
    if now_ts >= exp:
        raise rec.fail(ExpiredTokenException(
            f"Token expired: current date/time {int(now_ts)} must be before the expiration date/time {int(exp)}",
            defence="expiry", detail=f"exp is {datetime.fromtimestamp(exp, timezone.utc):%H:%M:%S} UTC; the sandbox "
                                     f"clock says {now:%H:%M:%S} UTC."), "expiry", label)
    for claim in ("iat", "nbf"):
        value = claims.get(claim)
        if claim == "iat" and not isinstance(value, (int, float)):
            raise rec.fail(InvalidIdentityToken(NOT_A_JWT, defence="expiry", detail="The token has no numeric iat."),
                           "expiry", label)
        if isinstance(value, (int, float)) and value > now_ts + 300:
            raise rec.fail(InvalidIdentityToken("Token used before issued", defence="expiry",
                                                detail=f"{claim} lies in the future of the sandbox clock."),
                           "expiry", label)
    rec.passed("expiry", label, f"expires {datetime.fromtimestamp(exp, timezone.utc):%H:%M:%S} UTC")

    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise rec.fail(InvalidIdentityToken(NOT_A_JWT, defence="subject", detail="The token has no sub claim."),
                       "subject", "sub present")
    rec.passed("subject", "sub present", sub)

    prefix = provider.host_path
    context: dict[str, str | list[str]] = {f"{prefix}:aud": matched, f"{prefix}:sub": sub}
    amr = claims.get("amr")
    if isinstance(amr, list):
        context[f"{prefix}:amr"] = [str(a) for a in amr]
    elif isinstance(amr, str):
        context[f"{prefix}:amr"] = [amr]
    if isinstance(claims.get("azp"), str):
        context[f"{prefix}:azp"] = claims["azp"]
        # accounts.google.com:aud maps to azp when azp is present; :oaud is the real aud
        if prefix == "accounts.google.com":
            context[f"{prefix}:aud"] = claims["azp"]
            context[f"{prefix}:oaud"] = matched
    return OidcValidation(subject=sub, issuer=issuer, audience=matched, provider_arn=provider.arn, claims=claims,
                          header=header, expires=datetime.fromtimestamp(exp, timezone.utc),
                          condition_context=context, checks=rec.checks)
