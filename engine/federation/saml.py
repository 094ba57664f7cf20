"""AssumeRoleWithSAML's validation of a SAML Response, done the way AWS describes it.

Trust comes ONLY from the metadata document registered with CreateSAMLProvider (the `PrincipalArn`): its entityID
is the only accepted Issuer and its signing certificate the only accepted key. A certificate inside the Response's
own KeyInfo is never trusted (python3-saml checks against the metadata certificate).

Order of the checks (each one is recorded so the lab can show which defence caught a forged assertion):
  1. decode        base64, then XML without DTDs/entities (python3-saml's parser forbids them)
  2. issuer        Response/Assertion Issuer == the provider's entityID
  3. signature     python3-saml, non-strict pass: exactly one Assertion, every Signature sits on the Response or
                   the Assertion and references its parent's ID (stops XML signature wrapping), the signature
                   verifies with the metadata certificate
  4. redeem window IssueInstant no more than 5 minutes before the sandbox clock (observed AWS message)
  5. validity      Conditions NotBefore/NotOnOrAfter and SubjectConfirmationData NotOnOrAfter vs the sandbox clock
  6. recipient     a bearer SubjectConfirmation whose Recipient is the AWS SAML endpoint (becomes saml:aud)
  7. audience      AudienceRestriction contains https://signin.aws.amazon.com/saml or urn:amazon:webservices
  8. strict pass   python3-saml strict mode (schema, Destination, Conditions, AuthnStatement, SubjectConfirmation)
                   run against the SANDBOX clock, as defence in depth
  9. attributes    Role pair contains (RoleArn, PrincipalArn); RoleSessionName; SessionDuration; tags; SourceIdentity

Sandbox clock: python3-saml compares times with `OneLogin_Saml2_Utils.now()` (real time). We replace that static
method once, with one that returns the time held in a ContextVar while a validation runs (real time otherwise), so
concurrent validations in different sandboxes each see their own clock.

Sources: awsdocs iam-user-guide id_roles_providers_create_saml_assertions.md (attributes, Recipient, Audience,
RoleSessionName 2-64 [\\w+=,.@-], SessionDuration 900-43200), API_AssumeRoleWithSAML (result fields, NameQualifier,
SessionNotOnOrAfter caps the session), reference_policies_iam-condition-keys.md (saml:* keys).
"""
from __future__ import annotations

import base64
import binascii
import contextvars
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from lxml import etree
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from engine.federation.checks import Check, Recorder
from engine.federation.errors import (ExpiredTokenException, FederationValidationError, InvalidIdentityToken)
from engine.federation.idp import (ATTR_PRINCIPAL_TAG, ATTR_ROLE, ATTR_ROLE_SESSION_NAME, ATTR_SESSION_DURATION,
                                   ATTR_SOURCE_IDENTITY, ATTR_TRANSITIVE_TAG_KEYS, AWS_SAML_AUDIENCES,
                                   AWS_SAML_ENDPOINT, NAMEID_PREFIX, NS_SAML, NS_SAMLP)

REDEEM_WINDOW = timedelta(minutes=5)
SIGNATURE_INVALID = "Response signature invalid"                      # observed: aws-google-auth #270
EXPIRED_REDEEM = "Token must be redeemed within 5 minutes of issuance"  # observed: gimme-aws-creds #251
ISSUER_NOT_IN_PROVIDER = "Issuer not present in specified provider"  # observed: dbeaver/cloudbeaver #3112
ROLE_SESSION_NAME_RULE = "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"  # observed: azure-docs #45025
ROLE_SESSION_NAME_RE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
SOURCE_IDENTITY_RE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
TAG_KEY_RE = re.compile(r"[\w\s.:/=+\-@]{1,128}")
TAG_VALUE_RE = re.compile(r"[\w\s.:/=+\-@]{0,256}")
# Accepted Recipients: the global endpoint and the regional ones (current AWS docs).
RECIPIENT_RE = re.compile(r"https://([a-z]{2}(-gov)?-[a-z]+-\d\.)?signin\.aws\.amazon\.com/saml")

# Common directory attributes that become saml:* condition keys (reference_policies_iam-condition-keys.md).
ATTRIBUTE_CONDITION_KEYS = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "saml:edupersonaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "saml:edupersonprincipalname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "saml:edupersonentitlement",
    "urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
    "urn:oid:2.5.4.3": "saml:cn",
    "urn:oid:2.5.4.11": "saml:ou",
    "urn:oid:0.9.2342.19200300.100.1.1": "saml:uid",
}

_NS = {"saml": NS_SAML, "samlp": NS_SAMLP, "ds": "http://www.w3.org/2000/09/xmldsig#"}

# ---------------------------------------------------------------- python3-saml's clock, made sandbox-aware
_sandbox_now: contextvars.ContextVar[float | None] = contextvars.ContextVar("saml_sandbox_now", default=None)
_real_now = OneLogin_Saml2_Utils.now


def _now_for_python3_saml() -> int:
    moment = _sandbox_now.get()
    return int(moment) if moment is not None else _real_now()


if getattr(OneLogin_Saml2_Utils.now, "__name__", "") != "_now_for_python3_saml":
    OneLogin_Saml2_Utils.now = staticmethod(_now_for_python3_saml)


@contextmanager
def _python3_saml_clock(now: datetime) -> Iterator[None]:
    token = _sandbox_now.set(now.timestamp())
    try:
        yield
    finally:
        _sandbox_now.reset(token)


# ---------------------------------------------------------------- inputs and results
@dataclass(frozen=True)
class SamlProviderRecord:
    """An IAM SAML provider as registered in the role's account (read from moto's IAM backend)."""
    arn: str
    metadata_xml: str

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def name(self) -> str:
        return self.arn.split(":saml-provider/", 1)[-1]


@dataclass
class SamlValidation:
    subject: str
    subject_type: str
    issuer: str
    audience: str                      # the Recipient: AssumeRoleWithSAML's `Audience` result and saml:aud
    name_qualifier: str
    role_arn: str
    provider_arn: str
    role_session_name: str
    issue_instant: datetime
    not_on_or_after: datetime
    console_session_duration: int | None = None     # SessionDuration attribute (console sessions)
    session_not_on_or_after: datetime | None = None  # caps the API session
    principal_tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)
    source_identity: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    condition_context: dict[str, str | list[str]] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def max_session_seconds(self, now: datetime) -> int | None:
        """Seconds left before SessionNotOnOrAfter, which shortens the session (API_AssumeRoleWithSAML)."""
        if self.session_not_on_or_after is None:
            return None
        return max(0, int((self.session_not_on_or_after - now).total_seconds()))

    def result_fields(self) -> dict[str, Any]:
        """The SAML-specific members of the AssumeRoleWithSAML result."""
        fields = {"Subject": self.subject, "SubjectType": self.subject_type, "Issuer": self.issuer,
                  "Audience": self.audience, "NameQualifier": self.name_qualifier}
        if self.source_identity:
            fields["SourceIdentity"] = self.source_identity
        return fields


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    """BASE64(SHA1(Issuer + AccountId + "/" + ProviderName)) -- API_AssumeRoleWithSAML, NameQualifier."""
    digest = hashlib.sha1((issuer + account_id + "/" + provider_name).encode()).digest()
    return base64.b64encode(digest).decode()


def parse_saml_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromtimestamp(OneLogin_Saml2_Utils.parse_SAML_to_time(text), tz=timezone.utc)


def decode_document(assertion_b64: str) -> etree._Element:
    """base64 -> XML element (DTDs and entities refused). Raises InvalidIdentityToken."""
    try:
        raw = base64.b64decode("".join(assertion_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidIdentityToken("Invalid base64 SAMLResponse", defence="decode",
                                   detail="SAMLAssertion must be the base64 of the SAML Response XML.") from None
    try:
        return OneLogin_Saml2_XML.to_etree(raw)
    except Exception as exc:   # lxml syntax errors, DTD/entity refusals
        raise InvalidIdentityToken("Invalid SAML response: not well-formed XML", defence="decode",
                                   detail=f"The decoded assertion is not acceptable XML ({exc}).") from None


def settings_from_metadata(provider: SamlProviderRecord, audience: str, recipient: str, *,
                           strict: bool = True) -> OneLogin_Saml2_Settings:
    """python3-saml settings built ONLY from the registered metadata (strict unless asked otherwise)."""
    try:
        idp = OneLogin_Saml2_IdPMetadataParser.parse(provider.metadata_xml)
    except Exception as exc:
        raise InvalidIdentityToken("Invalid metadata document for the specified provider", defence="metadata",
                                   detail=f"The SAML provider's metadata cannot be read ({exc}).") from None
    if not idp.get("idp", {}).get("entityId") or not (idp["idp"].get("x509cert") or idp["idp"].get("x509certMulti")):
        raise InvalidIdentityToken("Invalid metadata document for the specified provider", defence="metadata",
                                   detail="The provider's metadata has no entityID or no signing certificate.")
    idp["idp"].setdefault("singleSignOnService", {"url": recipient})
    base = {
        "strict": strict,
        "debug": False,
        "sp": {"entityId": audience, "assertionConsumerService": {"url": recipient}},
        "security": {"wantAttributeStatement": False, "wantAssertionsSigned": False, "wantMessagesSigned": False,
                     "rejectDeprecatedAlgorithm": False, "allowRepeatAttributeName": True},
    }
    merged = OneLogin_Saml2_IdPMetadataParser.merge_settings(base, idp)
    try:
        return OneLogin_Saml2_Settings(merged, sp_validation_only=True)
    except Exception as exc:
        raise InvalidIdentityToken("Invalid metadata document for the specified provider", defence="metadata",
                                   detail=f"The provider's metadata is incomplete ({exc}).") from None


def _request_data_for(url: str) -> dict[str, Any]:
    # python3-saml rebuilds "the URL the Response was posted to" from request data (Destination check).
    without_scheme = url.split("://", 1)[1]
    host, _, path = without_scheme.partition("/")
    return {"https": "on", "http_host": host, "script_name": "/" + path, "get_data": {}, "post_data": {}}


def _metadata_entity_id(provider: SamlProviderRecord) -> str:
    try:
        return str(OneLogin_Saml2_IdPMetadataParser.parse(provider.metadata_xml)["idp"]["entityId"])
    except Exception:
        return ""


def validate_saml_response(assertion_b64: str, *, provider: SamlProviderRecord, role_arn: str,
                           now: datetime) -> SamlValidation:
    """Validate `assertion_b64` for AssumeRoleWithSAML(RoleArn=role_arn, PrincipalArn=provider.arn).

    Raises a FederationError (InvalidIdentityToken, ExpiredTokenException, ValidationError) carrying `.defence`
    and `.checks`; returns the validated facts otherwise. `now` is the sandbox clock. The checks run in AWS's order,
    each recorded on the checklist the tamper bench shows, one function each below.
    """
    rec = Recorder()
    document = _decoded_response(rec, assertion_b64)
    entity_id = _checked_issuer(rec, document, provider)
    raw_xml = _checked_signature(rec, document, provider, now)
    assertion = document.find("saml:Assertion", namespaces=_NS)
    assert assertion is not None   # guaranteed by the one-assertion check
    issue_instant = _checked_redeem_window(rec, document, assertion, now)
    not_on_or_after = _checked_validity(rec, assertion, now)
    recipient = _checked_recipient(rec, assertion)
    audience = _checked_audience(rec, assertion)
    attributes = _strict_attributes(rec, raw_xml, provider, audience, recipient, now)
    role_pairs = _role_pairs(attributes.get(ATTR_ROLE, []))
    _check_role_pair(rec, role_pairs, role_arn=role_arn, provider_arn=provider.arn)
    session_name = _checked_session_name(rec, attributes)
    console_duration = _checked_console_duration(rec, attributes)
    tags, transitive = _session_tags(rec, attributes)
    source_identity = _checked_source_identity(rec, attributes)

    name_id = assertion.find("saml:Subject/saml:NameID", namespaces=_NS)
    subject = (name_id.text or "").strip() if name_id is not None else ""
    subject_format = (name_id.get("Format") if name_id is not None else None) or \
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    subject_type = _subject_type(subject_format)
    issuer = entity_id
    qualifier = name_qualifier(issuer, provider.account, provider.name)
    authn = assertion.find("saml:AuthnStatement", namespaces=_NS)
    session_limit = parse_saml_time(authn.get("SessionNotOnOrAfter")) if authn is not None else None

    context: dict[str, str | list[str]] = {
        "saml:aud": recipient, "saml:iss": issuer, "saml:sub": subject, "saml:sub_type": subject_type,
        "saml:namequalifier": qualifier, "saml:doc": f"{provider.account}/{provider.name}",
    }
    for attribute_name, key in ATTRIBUTE_CONDITION_KEYS.items():
        if attributes.get(attribute_name):
            context[key] = attributes[attribute_name]

    return SamlValidation(
        subject=subject, subject_type=subject_type, issuer=issuer, audience=recipient, name_qualifier=qualifier,
        role_arn=role_arn, provider_arn=provider.arn, role_session_name=session_name, issue_instant=issue_instant,
        not_on_or_after=not_on_or_after, console_session_duration=console_duration,
        session_not_on_or_after=session_limit, principal_tags=tags, transitive_tag_keys=transitive,
        source_identity=source_identity, attributes=attributes, condition_context=context, checks=rec.checks,
    )


def _decoded_response(rec: Recorder, assertion_b64: str) -> Any:
    """1. Base64 of well-formed XML without a DTD, whose root is samlp:Response."""
    try:
        document = decode_document(assertion_b64)
    except InvalidIdentityToken as exc:
        raise rec.fail(exc, "decode", "Base64 and well-formed XML, no DTD")
    if document.tag != f"{{{NS_SAMLP}}}Response":
        raise rec.fail(InvalidIdentityToken("Invalid SAML response: root element must be samlp:Response",
                                            defence="decode",
                                            detail=f"The document's root is {document.tag}, not samlp:Response."),
                       "decode", "Base64 and well-formed XML, no DTD")
    rec.passed("decode", "Base64 and well-formed XML, no DTD")
    return document


def _checked_issuer(rec: Recorder, document: Any, provider: SamlProviderRecord) -> str:
    """2. Every Issuer the document states must be the metadata's entityID."""
    entity_id = _metadata_entity_id(provider)
    issuers = [el.text.strip() if el.text else "" for el in
               document.xpath("/samlp:Response/saml:Issuer | /samlp:Response/saml:Assertion/saml:Issuer",
                              namespaces=_NS)]
    if not entity_id:
        settings_from_metadata(provider, AWS_SAML_AUDIENCES[0], AWS_SAML_ENDPOINT)   # raises the metadata error
    if not issuers or any(issuer != entity_id for issuer in issuers):
        bad = next((i for i in issuers if i != entity_id), "(none)")
        raise rec.fail(InvalidIdentityToken(ISSUER_NOT_IN_PROVIDER, defence="issuer", observed=True,
                                            detail=f"The assertion says it comes from `{bad}`, but the provider "
                                                   f"{provider.arn} is registered for `{entity_id}`."),
                       "issuer", "Issuer matches the registered provider's entityID")
    rec.passed("issuer", "Issuer matches the registered provider's entityID", entity_id)
    return entity_id


def _checked_signature(rec: Recorder, document: Any, provider: SamlProviderRecord, now: datetime) -> bytes:
    """3. The signature (a non-strict python3-saml pass: structure, XSW defences, the cryptographic check). This pass
    is about integrity only; the strict pass (_strict_attributes) re-checks everything. Returns the XML checked."""
    settings = settings_from_metadata(provider, AWS_SAML_AUDIENCES[0], AWS_SAML_ENDPOINT, strict=False)
    raw_xml: bytes = etree.tostring(document)
    response = OneLogin_Saml2_Response(settings, base64.b64encode(raw_xml).decode())
    with _python3_saml_clock(now):
        integrity_ok = response.is_valid({"https": "on", "http_host": "signin.aws.amazon.com",
                                          "script_name": "/saml"})
    if not integrity_ok:
        reason = response.get_error() or "signature check failed"
        raise rec.fail(InvalidIdentityToken(SIGNATURE_INVALID, defence=_signature_defence(reason), observed=True,
                                            detail=_signature_detail(reason)),
                       "signature", "Signed with the key in the provider's metadata; one assertion, not wrapped")
    rec.passed("signature", "Signed with the key in the provider's metadata; one assertion, not wrapped",
               "signed: " + ", ".join(sorted({t.split('}')[1] for t in response.process_signed_elements()})))
    return raw_xml


def _checked_redeem_window(rec: Recorder, document: Any, assertion: Any, now: datetime) -> datetime:
    """4. The 5-minute redeem window counts from the Response's IssueInstant."""
    issue_instant = parse_saml_time(document.get("IssueInstant")) or parse_saml_time(assertion.get("IssueInstant"))
    if issue_instant is None:
        raise rec.fail(InvalidIdentityToken("Invalid SAML response: missing IssueInstant", defence="redeem-window"),
                       "redeem-window", "Redeemed within 5 minutes of IssueInstant")
    if now - issue_instant > REDEEM_WINDOW:
        age = int((now - issue_instant).total_seconds())
        raise rec.fail(ExpiredTokenException(EXPIRED_REDEEM, defence="redeem-window", observed=True,
                                             detail=f"The Response was issued at {issue_instant:%H:%M:%S} UTC, "
                                                    f"{age} s before the sandbox clock; STS accepts it for 300 s."),
                       "redeem-window", "Redeemed within 5 minutes of IssueInstant")
    rec.passed("redeem-window", "Redeemed within 5 minutes of IssueInstant",
               f"issued {max(0, int((now - issue_instant).total_seconds()))} s ago")
    return issue_instant


def _checked_validity(rec: Recorder, assertion: Any, now: datetime) -> datetime:
    """5. The assertion's validity window (NotBefore, the earliest NotOnOrAfter) on the sandbox clock."""
    conditions = assertion.find("saml:Conditions", namespaces=_NS)
    confirmations = assertion.findall("saml:Subject/saml:SubjectConfirmation", namespaces=_NS)
    not_before = parse_saml_time(conditions.get("NotBefore")) if conditions is not None else None
    expiries = [t for t in [parse_saml_time(conditions.get("NotOnOrAfter")) if conditions is not None else None,
                            *[parse_saml_time(c.find("saml:SubjectConfirmationData", namespaces=_NS).get(
                                "NotOnOrAfter")) for c in confirmations
                              if c.find("saml:SubjectConfirmationData", namespaces=_NS) is not None]] if t]
    if not expiries:
        raise rec.fail(InvalidIdentityToken("Invalid SAML response: SubjectConfirmationData must have NotOnOrAfter",
                                            defence="validity"),
                       "validity", "Within NotBefore / NotOnOrAfter (sandbox clock)")
    not_on_or_after = min(expiries)
    if now >= not_on_or_after:
        raise rec.fail(ExpiredTokenException("SAML assertion has expired", defence="validity",
                                             detail=f"NotOnOrAfter is {not_on_or_after:%Y-%m-%d %H:%M:%S} UTC and "
                                                    f"the sandbox clock says {now:%Y-%m-%d %H:%M:%S} UTC."),
                       "validity", "Within NotBefore / NotOnOrAfter (sandbox clock)")
    if not_before is not None and now < not_before - timedelta(minutes=5):
        raise rec.fail(InvalidIdentityToken("SAML assertion is not yet valid", defence="validity",
                                            detail=f"NotBefore is {not_before:%H:%M:%S} UTC, later than the "
                                                   f"sandbox clock."),
                       "validity", "Within NotBefore / NotOnOrAfter (sandbox clock)")
    rec.passed("validity", "Within NotBefore / NotOnOrAfter (sandbox clock)",
               f"valid until {not_on_or_after:%H:%M:%S} UTC")
    return not_on_or_after


def _checked_recipient(rec: Recorder, assertion: Any) -> str:
    """6. Exactly one bearer SubjectConfirmation whose Recipient is AWS's SAML endpoint."""
    confirmations = assertion.findall("saml:Subject/saml:SubjectConfirmation", namespaces=_NS)
    recipients = []
    for confirmation in confirmations:
        data = confirmation.find("saml:SubjectConfirmationData", namespaces=_NS)
        if data is not None and data.get("Recipient"):
            recipients.append(data.get("Recipient"))
    if len(confirmations) != 1 or len(recipients) != 1 or not RECIPIENT_RE.fullmatch(recipients[0]):
        seen = ", ".join(recipients) or "(none)"
        raise rec.fail(InvalidIdentityToken("Invalid SAML response: SubjectConfirmationData Recipient must be "
                                            f"{AWS_SAML_ENDPOINT}", defence="recipient",
                                            detail=f"Recipient is {seen}; AWS needs exactly one bearer "
                                                   f"SubjectConfirmation addressed to {AWS_SAML_ENDPOINT}."),
                       "recipient", "Recipient is the AWS sign-in SAML endpoint (saml:aud)")
    recipient: str = recipients[0]
    rec.passed("recipient", "Recipient is the AWS sign-in SAML endpoint (saml:aud)", recipient)
    return recipient


def _checked_audience(rec: Recorder, assertion: Any) -> str:
    """7. An Audience that is AWS."""
    audiences = [a.text.strip() for a in assertion.findall(
        "saml:Conditions/saml:AudienceRestriction/saml:Audience", namespaces=_NS) if a.text]
    accepted = [a for a in audiences if a in AWS_SAML_AUDIENCES]
    if not accepted:
        raise rec.fail(InvalidIdentityToken("Invalid SAML response: Audience must be https://signin.aws.amazon.com/"
                                            "saml or urn:amazon:webservices", defence="audience",
                                            detail=f"AudienceRestriction names {', '.join(audiences) or 'nobody'}; "
                                                   "the assertion was not made for AWS."),
                       "audience", "Audience is AWS (signin.aws.amazon.com/saml or urn:amazon:webservices)")
    audience: str = accepted[0]
    rec.passed("audience", "Audience is AWS (signin.aws.amazon.com/saml or urn:amazon:webservices)", audience)
    return audience


def _strict_attributes(rec: Recorder, raw_xml: bytes, provider: SamlProviderRecord, audience: str, recipient: str,
                       now: datetime) -> dict[str, list[str]]:
    """8. The strict python3-saml pass against the sandbox clock; then the attributes, read through python3-saml
    (from the one signed assertion)."""
    strict_settings = settings_from_metadata(provider, audience, recipient)
    strict_response = OneLogin_Saml2_Response(strict_settings, base64.b64encode(raw_xml).decode())
    with _python3_saml_clock(now):
        strict_ok = strict_response.is_valid(_request_data_for(recipient))
    if not strict_ok:
        reason = strict_response.get_error() or "rejected"
        raise rec.fail(InvalidIdentityToken("Invalid SAML response", defence="saml-strict",
                                            detail=f"SAML 2.0 profile check failed: {reason}"),
                       "saml-strict", "SAML 2.0 web SSO profile rules (schema, Destination, AuthnStatement)")
    rec.passed("saml-strict", "SAML 2.0 web SSO profile rules (schema, Destination, AuthnStatement)")
    return {k: [v for v in vals if isinstance(v, str)] for k, vals in strict_response.get_attributes().items()}


def _checked_session_name(rec: Recorder, attributes: dict[str, list[str]]) -> str:
    """9. Exactly one RoleSessionName attribute of 2-64 allowed characters."""
    values = attributes.get(ATTR_ROLE_SESSION_NAME, [])
    session_name = values[0] if values else ""
    if len(values) != 1 or not ROLE_SESSION_NAME_RE.fullmatch(session_name):
        raise rec.fail(InvalidIdentityToken(ROLE_SESSION_NAME_RULE, defence="role-session-name", observed=True,
                                            detail=f"RoleSessionName attribute is {values or 'missing'}:"
                                                   " 2-64 characters of letters, digits and +=,.@_-, no spaces."),
                       "role-session-name", "RoleSessionName attribute: 2-64 of [\\w+=,.@-]")
    rec.passed("role-session-name", "RoleSessionName attribute: 2-64 of [\\w+=,.@-]", session_name)
    return session_name


def _checked_console_duration(rec: Recorder, attributes: dict[str, list[str]]) -> int | None:
    """The SessionDuration attribute, when present: 900-43200 seconds (the console's session, not the API's)."""
    if ATTR_SESSION_DURATION not in attributes:
        return None
    values = attributes[ATTR_SESSION_DURATION]
    if len(values) != 1 or not values[0].isdigit() or not 900 <= int(values[0]) <= 43200:
        raise rec.fail(InvalidIdentityToken("SessionDuration in AuthnResponse must be an integer between 900 "
                                            "and 43200", defence="session-duration",
                                            detail=f"SessionDuration attribute is {values}."),
                       "session-duration", "SessionDuration attribute: 900-43200 seconds")
    duration = int(values[0])
    rec.passed("session-duration", "SessionDuration attribute: 900-43200 seconds",
               f"{duration} s (console sessions; the API session uses DurationSeconds)")
    return duration


def _checked_source_identity(rec: Recorder, attributes: dict[str, list[str]]) -> str | None:
    """The SourceIdentity attribute, when present: 2-64 allowed characters, not aws:*."""
    if ATTR_SOURCE_IDENTITY not in attributes:
        return None
    values = attributes[ATTR_SOURCE_IDENTITY]
    if len(values) != 1 or not SOURCE_IDENTITY_RE.fullmatch(values[0]) or values[0].lower().startswith("aws:"):
        raise rec.fail(InvalidIdentityToken("SourceIdentity in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
                                            defence="source-identity",
                                            detail=f"SourceIdentity attribute is {values}."),
                       "source-identity", "SourceIdentity attribute: 2-64 of [\\w+=,.@-], not aws:*")
    rec.passed("source-identity", "SourceIdentity attribute: 2-64 of [\\w+=,.@-], not aws:*", values[0])
    return values[0]


def _subject_type(name_id_format: str) -> str:
    # "the urn:oasis:names:tc:SAML:2.0:nameid-format: prefix is removed" (API_AssumeRoleWithSAML, SubjectType)
    if name_id_format.startswith(NAMEID_PREFIX):
        return name_id_format[len(NAMEID_PREFIX):]
    return name_id_format


def _role_pairs(values: list[str]) -> list[tuple[str, str]]:
    """Each value is "roleArn,providerArn"; IdPs may put them in either order, AWS accepts both."""
    pairs = []
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 2:
            continue
        first, second = parts
        if ":saml-provider/" in first and ":role/" in second:
            first, second = second, first
        pairs.append((first, second))
    return pairs


def _check_role_pair(rec: Recorder, pairs: list[tuple[str, str]], *, role_arn: str, provider_arn: str) -> None:
    label = "Role attribute contains the pair (RoleArn, PrincipalArn)"
    role_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    provider_account = provider_arn.split(":")[4] if provider_arn.count(":") >= 5 else ""
    if role_account and provider_account and role_account != provider_account:
        # observed: ruimarinho/gsts #1
        raise rec.fail(FederationValidationError("Principal exists outside the account of the Role being assumed.",
                                                 defence="role-pair", observed=True,
                                                 detail=f"The SAML provider is in {provider_account} but the role "
                                                        f"is in {role_account}."), "role-pair", label)
    if (role_arn, provider_arn) in pairs:
        rec.passed("role-pair", label, f"{role_arn},{provider_arn}")
        return
    listed = "; ".join(f"{r},{p}" for r, p in pairs) or "no Role attribute"
    if not any(p == provider_arn for _, p in pairs):
        # observed (saml2aws #536, aws-google-auth #163): the provider ARN is not paired in the assertion
        raise rec.fail(FederationValidationError("Principal ARN is invalid", defence="role-pair", observed=True,
                                                 detail=f"The assertion's Role attribute lists {listed}; none names "
                                                        f"the provider {provider_arn}."), "role-pair", label)
    # observed wording (physera/onelogin-aws-cli #12) for a RoleArn the assertion does not grant
    raise rec.fail(FederationValidationError("Request ARN is invalid", defence="role-pair", observed=True,
                                             detail=f"The IdP did not grant {role_arn}: the Role attribute lists "
                                                    f"{listed}."), "role-pair", label)


def _session_tags(rec: Recorder, attributes: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    label = "Session tags: PrincipalTag:* (max 50, one value each), TransitiveTagKeys among them"
    tags: dict[str, str] = {}
    for name, values in attributes.items():
        if not name.startswith(ATTR_PRINCIPAL_TAG):
            continue
        key = name[len(ATTR_PRINCIPAL_TAG):]
        if len(values) > 1 or not TAG_KEY_RE.fullmatch(key) or not TAG_VALUE_RE.fullmatch(values[0] if values else ""):
            raise rec.fail(InvalidIdentityToken("Invalid session tag in AuthnResponse", defence="session-tags",
                                                detail=f"PrincipalTag:{key} = {values}: one value, key 1-128 and "
                                                       "value 0-256 characters of letters, digits, spaces and "
                                                       "_.:/=+-@."), "session-tags", label)
        if any(existing.lower() == key.lower() for existing in tags):
            raise rec.fail(InvalidIdentityToken("Duplicate session tag keys in AuthnResponse", defence="session-tags",
                                                detail=f"Tag keys are case-insensitive: {key} appears twice."),
                           "session-tags", label)
        tags[key] = values[0] if values else ""
    if len(tags) > 50:
        raise rec.fail(InvalidIdentityToken("Too many session tags in AuthnResponse", defence="session-tags",
                                            detail=f"{len(tags)} tags; the limit is 50."), "session-tags", label)
    transitive = attributes.get(ATTR_TRANSITIVE_TAG_KEYS, [])
    lower_keys = {k.lower() for k in tags}
    missing = [k for k in transitive if k.lower() not in lower_keys]
    if missing:
        raise rec.fail(InvalidIdentityToken("TransitiveTagKeys must be a subset of the session tags in AuthnResponse",
                                            defence="session-tags",
                                            detail=f"{', '.join(missing)} listed as transitive but not passed as "
                                                   "PrincipalTag."), "session-tags", label)
    if tags or transitive:
        rec.passed("session-tags", label, ", ".join(f"{k}={v}" for k, v in tags.items()))
    return tags, list(transitive)


def _signature_defence(reason: str) -> str:
    text = reason.lower()
    if "assertion" in text and ("must contain 1" in text or "number" in text):
        return "xsw-one-assertion"
    if "no signature" in text:
        return "signature-missing"
    if "signed element" in text or "reference" in text or "duplicated" in text or "unexpected" in text:
        return "xsw-reference"
    return "signature-crypto"


def _signature_detail(reason: str) -> str:
    defence = _signature_defence(reason)
    explanations = {
        "xsw-one-assertion": "The Response must hold exactly one Assertion. A second (forged) Assertion next to or "
                             "wrapped around the signed one is XML Signature Wrapping; it is refused before any "
                             "attribute is read.",
        "signature-missing": "Neither the Response nor the Assertion is signed. STS only accepts assertions signed "
                             "with a key from the provider's metadata.",
        "xsw-reference": "A Signature must sit on the Response or the Assertion and reference that element's own "
                         "ID; this one points elsewhere (signature wrapping).",
        "signature-crypto": "The signature does not verify with the certificate in the provider's metadata: the "
                            "signed content was changed after signing, or another key signed it.",
    }
    return f"{explanations[defence]} (python3-saml: {reason})"
