"""Pure builders for the lab's mock identity providers (no Django, no network).

SAML: IdP metadata (what a learner uploads to CreateSAMLProvider) and signed SAML Responses carrying AWS's
attributes (`https://aws.amazon.com/SAML/Attributes/Role`, RoleSessionName, SessionDuration, PrincipalTag:*,
TransitiveTagKeys, SourceIdentity) -- see awsdocs iam-user-guide `id_roles_providers_create_saml_assertions.md`.

OIDC: a discovery document, a JWKS and RS256 ID tokens with iss/sub/aud/exp/iat/amr and a `kid` header. A
"GitHub Actions"-style issuer produces the claims GitHub's runners send (`repo:ORG/REPO:ref:refs/heads/BRANCH`,
aud `sts.amazonaws.com`).

Every XML element is built with lxml (values are escaped, never pasted into strings). The assertion is signed as a
standalone document and then inserted into the Response: python3-saml's `add_sign` signs whichever element holds
the first `saml:Issuer`, so signing the whole Response would sign the Response, not the Assertion.
"""
from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import jwt
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from engine.federation.keys import SigningKey

NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_XS = "http://www.w3.org/2001/XMLSchema"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

AWS_SAML_ENDPOINT = "https://signin.aws.amazon.com/saml"   # Recipient, Destination and (usually) Audience
AWS_SAML_AUDIENCES = (AWS_SAML_ENDPOINT, "urn:amazon:webservices")
AWS_ATTR = "https://aws.amazon.com/SAML/Attributes/"
ATTR_ROLE = AWS_ATTR + "Role"
ATTR_ROLE_SESSION_NAME = AWS_ATTR + "RoleSessionName"
ATTR_SESSION_DURATION = AWS_ATTR + "SessionDuration"
ATTR_PRINCIPAL_TAG = AWS_ATTR + "PrincipalTag:"
ATTR_TRANSITIVE_TAG_KEYS = AWS_ATTR + "TransitiveTagKeys"
ATTR_SOURCE_IDENTITY = AWS_ATTR + "SourceIdentity"
NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
ATTRNAME_FORMAT_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"


def saml_time(moment: datetime) -> str:
    """SAML's xs:dateTime in UTC with a Z (python3-saml parses both with and without fractions)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def new_saml_id() -> str:
    # An xs:ID must not start with a digit.
    return "_" + uuid.uuid4().hex


@dataclass
class SamlPerson:
    """Who signs in at the IdP and what the IdP says about them to AWS."""
    name_id: str
    role_pairs: list[tuple[str, str]] = field(default_factory=list)   # (role ARN, SAML provider ARN)
    name_id_format: str = "persistent"          # persistent | transient | emailAddress | unspecified | full URN
    role_session_name: str | None = None
    session_duration: int | str | None = None    # the console session length (seconds)
    principal_tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)
    source_identity: str | None = None
    extra_attributes: dict[str, list[str]] = field(default_factory=dict)   # name -> values

    @property
    def name_id_format_urn(self) -> str:
        if self.name_id_format.startswith("urn:"):
            return self.name_id_format
        if self.name_id_format in ("emailAddress", "unspecified"):
            return "urn:oasis:names:tc:SAML:1.1:nameid-format:" + self.name_id_format
        return NAMEID_PREFIX + self.name_id_format

    def attributes(self) -> list[tuple[str, list[str]]]:
        attrs: list[tuple[str, list[str]]] = []
        if self.role_pairs:
            attrs.append((ATTR_ROLE, [f"{role},{provider}" for role, provider in self.role_pairs]))
        if self.role_session_name is not None:
            attrs.append((ATTR_ROLE_SESSION_NAME, [self.role_session_name]))
        if self.session_duration is not None:
            attrs.append((ATTR_SESSION_DURATION, [str(self.session_duration)]))
        for key, value in self.principal_tags.items():
            attrs.append((ATTR_PRINCIPAL_TAG + key, [value]))
        if self.transitive_tag_keys:
            attrs.append((ATTR_TRANSITIVE_TAG_KEYS, list(self.transitive_tag_keys)))
        if self.source_identity is not None:
            attrs.append((ATTR_SOURCE_IDENTITY, [self.source_identity]))
        attrs.extend((name, list(values)) for name, values in self.extra_attributes.items())
        return attrs


class SamlIdp:
    """A SAML 2.0 identity provider that signs with `key` and calls itself `entity_id`."""

    def __init__(self, entity_id: str, sso_url: str, key: SigningKey) -> None:
        self.entity_id = entity_id
        self.sso_url = sso_url
        self.key = key

    def metadata_xml(self) -> str:
        """The EntityDescriptor to upload with `aws iam create-saml-provider --saml-metadata-document`."""
        root = etree.Element(_q(NS_MD, "EntityDescriptor"), nsmap={"md": NS_MD, "ds": NS_DS})
        root.set("entityID", self.entity_id)
        idp = etree.SubElement(root, _q(NS_MD, "IDPSSODescriptor"))
        idp.set("WantAuthnRequestsSigned", "false")
        idp.set("protocolSupportEnumeration", "urn:oasis:names:tc:SAML:2.0:protocol")
        key_descriptor = etree.SubElement(idp, _q(NS_MD, "KeyDescriptor"))
        key_descriptor.set("use", "signing")
        key_info = etree.SubElement(key_descriptor, _q(NS_DS, "KeyInfo"))
        x509_data = etree.SubElement(key_info, _q(NS_DS, "X509Data"))
        etree.SubElement(x509_data, _q(NS_DS, "X509Certificate")).text = self.key.cert_b64
        for fmt in ("persistent", "transient"):
            etree.SubElement(idp, _q(NS_MD, "NameIDFormat")).text = NAMEID_PREFIX + fmt
        for binding in (C.BINDING_HTTP_REDIRECT, C.BINDING_HTTP_POST):
            sso = etree.SubElement(idp, _q(NS_MD, "SingleSignOnService"))
            sso.set("Binding", binding)
            sso.set("Location", self.sso_url)
        return str(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode())

    def build_assertion(self, person: SamlPerson, *, now: datetime, lifetime_seconds: int = 300,
                        recipient: str = AWS_SAML_ENDPOINT, audience: str = AWS_SAML_AUDIENCES[0],
                        session_not_on_or_after: datetime | None = None,
                        issuer: str | None = None) -> etree._Element:
        """An unsigned <saml:Assertion> element (IssueInstant = `now`, valid for `lifetime_seconds`)."""
        expires = now + timedelta(seconds=lifetime_seconds)
        assertion = etree.Element(_q(NS_SAML, "Assertion"),
                                  nsmap={"saml": NS_SAML, "xs": NS_XS, "xsi": NS_XSI})
        assertion.set("ID", new_saml_id())
        assertion.set("Version", "2.0")
        assertion.set("IssueInstant", saml_time(now))
        etree.SubElement(assertion, _q(NS_SAML, "Issuer")).text = issuer or self.entity_id
        subject = etree.SubElement(assertion, _q(NS_SAML, "Subject"))
        name_id = etree.SubElement(subject, _q(NS_SAML, "NameID"))
        name_id.set("Format", person.name_id_format_urn)
        name_id.text = person.name_id
        confirmation = etree.SubElement(subject, _q(NS_SAML, "SubjectConfirmation"))
        confirmation.set("Method", C.CM_BEARER)
        confirmation_data = etree.SubElement(confirmation, _q(NS_SAML, "SubjectConfirmationData"))
        confirmation_data.set("NotOnOrAfter", saml_time(expires))
        confirmation_data.set("Recipient", recipient)
        conditions = etree.SubElement(assertion, _q(NS_SAML, "Conditions"))
        conditions.set("NotBefore", saml_time(now - timedelta(seconds=5)))
        conditions.set("NotOnOrAfter", saml_time(expires))
        restriction = etree.SubElement(conditions, _q(NS_SAML, "AudienceRestriction"))
        etree.SubElement(restriction, _q(NS_SAML, "Audience")).text = audience
        authn = etree.SubElement(assertion, _q(NS_SAML, "AuthnStatement"))
        authn.set("AuthnInstant", saml_time(now))
        authn.set("SessionIndex", new_saml_id())
        if session_not_on_or_after is not None:
            authn.set("SessionNotOnOrAfter", saml_time(session_not_on_or_after))
        context = etree.SubElement(authn, _q(NS_SAML, "AuthnContext"))
        etree.SubElement(context, _q(NS_SAML, "AuthnContextClassRef")).text = \
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        attributes = person.attributes()
        if attributes:
            statement = etree.SubElement(assertion, _q(NS_SAML, "AttributeStatement"))
            for name, values in attributes:
                attribute = etree.SubElement(statement, _q(NS_SAML, "Attribute"))
                attribute.set("Name", name)
                attribute.set("NameFormat", ATTRNAME_FORMAT_URI)
                for value in values:
                    value_el = etree.SubElement(attribute, _q(NS_SAML, "AttributeValue"))
                    value_el.set(_q(NS_XSI, "type"), "xs:string")
                    value_el.text = value
        return assertion

    def sign_element(self, element: etree._Element, key: SigningKey | None = None) -> etree._Element:
        """Enveloped RSA-SHA256 signature over `element` (exclusive c14n), placed after its Issuer."""
        signing_key = key or self.key
        signed = OneLogin_Saml2_Utils.add_sign(etree.tostring(element), signing_key.private_key_pem,
                                               signing_key.cert_pem, sign_algorithm=C.RSA_SHA256,
                                               digest_algorithm=C.SHA256)
        return etree.fromstring(signed)

    def build_response(self, person: SamlPerson, *, now: datetime, sign: str = "assertion",
                       destination: str = AWS_SAML_ENDPOINT, signing_key: SigningKey | None = None,
                       **assertion_options: Any) -> str:
        """A samlp:Response as XML text. `sign`: assertion | response | both | none."""
        if sign not in ("assertion", "response", "both", "none"):
            raise ValueError(f"sign must be assertion, response, both or none, not {sign!r}")
        assertion = self.build_assertion(person, now=now, **assertion_options)
        if sign in ("assertion", "both"):
            assertion = self.sign_element(assertion, signing_key)
        response = etree.Element(_q(NS_SAMLP, "Response"), nsmap={"samlp": NS_SAMLP, "saml": NS_SAML})
        response.set("ID", new_saml_id())
        response.set("Version", "2.0")
        response.set("IssueInstant", saml_time(now))
        response.set("Destination", destination)
        etree.SubElement(response, _q(NS_SAML, "Issuer")).text = assertion_options.get("issuer") or self.entity_id
        status = etree.SubElement(response, _q(NS_SAMLP, "Status"))
        etree.SubElement(status, _q(NS_SAMLP, "StatusCode")).set("Value", C.STATUS_SUCCESS)
        response.append(assertion)
        if sign in ("response", "both"):
            response = self.sign_element(response, signing_key)
        return str(etree.tostring(response, encoding="unicode"))


def encode_saml_response(xml: str | bytes) -> str:
    """The base64 form that is POSTed as SAMLResponse and passed to AssumeRoleWithSAML as SAMLAssertion."""
    raw = xml.encode() if isinstance(xml, str) else xml
    return base64.b64encode(raw).decode()


def decode_saml_response(b64: str) -> str:
    return base64.b64decode(b64.encode(), validate=False).decode("utf-8", errors="replace")


# --------------------------------------------------------------------------------------------- OIDC
SUPPORTED_JWT_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")   # AssumeRoleWithWebIdentity


class OidcIssuer:
    """An OpenID Connect issuer: discovery document, JWKS and signed ID tokens."""

    def __init__(self, issuer_url: str, key: SigningKey, *, alg: str = "RS256",
                 extra_keys: Iterable[SigningKey] = ()) -> None:
        if not issuer_url.startswith("https://"):
            raise ValueError("an OIDC issuer URL must start with https://")
        self.issuer_url = issuer_url.rstrip("/")
        self.key = key
        self.alg = alg
        self.extra_keys = list(extra_keys)   # published too, e.g. during a key rotation

    @property
    def host_path(self) -> str:
        """The provider id IAM uses: the URL without https:// (also the prefix of the condition keys)."""
        return self.issuer_url[len("https://"):]

    def discovery_document(self, jwks_uri: str | None = None) -> dict[str, Any]:
        return {
            "issuer": self.issuer_url,
            "jwks_uri": jwks_uri or self.issuer_url + "/.well-known/jwks",
            "authorization_endpoint": self.issuer_url + "/authorize",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.alg],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "amr", "jti"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk(self.alg) for k in [self.key, *self.extra_keys]]}

    def issue_token(self, *, sub: str, aud: str | list[str], now: datetime, lifetime_seconds: int = 3600,
                    amr: list[str] | None = None, extra_claims: dict[str, Any] | None = None,
                    signing_key: SigningKey | None = None, issuer: str | None = None) -> str:
        """An RS256 ID token with the claims STS reads. `signing_key` lets the tamper bench sign with its own key
        while keeping our `kid` (the 'own key' attack)."""
        issued = int(now.timestamp())
        claims: dict[str, Any] = {"iss": issuer or self.issuer_url, "sub": sub, "aud": aud, "iat": issued, "nbf": issued,
                        "exp": issued + lifetime_seconds, "jti": uuid.uuid4().hex}
        if amr:
            claims["amr"] = list(amr)
        claims.update(extra_claims or {})
        return jwt.encode(claims, (signing_key or self.key).private_key, algorithm=self.alg,
                          headers={"kid": self.key.kid, "typ": "JWT"})


GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_ACTIONS_AUDIENCE = "sts.amazonaws.com"


def github_actions_claims(repository: str, *, ref: str = "refs/heads/main", event_name: str = "push",
                          environment: str | None = None) -> tuple[str, dict[str, Any]]:
    """(sub, extra claims) shaped like a GitHub Actions OIDC token for `repository` ("org/repo").

    GitHub builds `sub` as `repo:ORG/REPO:environment:NAME` for jobs with an environment, else
    `repo:ORG/REPO:ref:REF` (docs.github.com, "About security hardening with OpenID Connect").
    """
    owner = repository.split("/", 1)[0]
    sub = f"repo:{repository}:environment:{environment}" if environment else f"repo:{repository}:ref:{ref}"
    claims = {"repository": repository, "repository_owner": owner, "ref": ref, "event_name": event_name,
              "workflow": "deploy", "job_workflow_ref": f"{repository}/.github/workflows/deploy.yml@{ref}"}
    if environment:
        claims["environment"] = environment
    return sub, claims
