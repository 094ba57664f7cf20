"""Forgeries for the tamper bench and the tests: each takes a REAL signed artefact and breaks it the way an
attacker would. Nothing here validates anything; STS (engine.federation.saml / .oidc) must refuse every output.

SAML:  change an attribute after signing, stretch the expiry, strip the signature, re-sign with another key, and
       three XML Signature Wrapping (XSW) layouts that keep the genuine signed assertion somewhere in the document
       while a forged one sits where a naive reader looks.
JWT:   change claims but keep the signature, `alg: none`, sign with your own key under the issuer's `kid`, and
       HS256 "key confusion" (HMAC keyed with the issuer's public key PEM).
"""
from __future__ import annotations

from typing import Any

import base64
import copy
import hashlib
import hmac
import json
from datetime import datetime, timedelta

import jwt
from lxml import etree

from engine.federation.idp import (ATTR_ROLE, NS_DS, NS_SAML, NS_SAMLP, SamlIdp, new_saml_id, saml_time)
from engine.federation.keys import SigningKey
from engine.federation.saml import parse_saml_time

_NS = {"saml": NS_SAML, "samlp": NS_SAMLP, "ds": NS_DS}


_SAFE_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def _parse(xml: str) -> etree._Element:
    """Parse a (learner-edited) document without DTDs or entities: no XXE through the tamper bench."""
    raw = xml.encode() if isinstance(xml, str) else xml
    root = etree.fromstring(raw, parser=_SAFE_PARSER)
    if root.getroottree().docinfo.doctype:
        raise ValueError("documents with a DOCTYPE are refused (STS refuses them too)")
    return root


def _text(root: etree._Element) -> str:
    return str(etree.tostring(root, encoding="unicode"))


def _assertion(root: etree._Element) -> etree._Element:
    found = root.find("saml:Assertion", namespaces=_NS)
    if found is None:
        raise ValueError("the Response has no Assertion to tamper with")
    return found


def set_attribute(xml: str, name: str, values: list[str], *, assertion: etree._Element | None = None) -> str:
    """Replace (or add) an attribute's values in the (first) assertion, leaving every signature untouched."""
    root = _parse(xml)
    target = assertion if assertion is not None else _assertion(root)
    _set_attribute_on(target, name, values)
    return _text(root)


def _set_attribute_on(assertion: etree._Element, name: str, values: list[str]) -> None:
    statement = assertion.find("saml:AttributeStatement", namespaces=_NS)
    if statement is None:
        statement = etree.SubElement(assertion, f"{{{NS_SAML}}}AttributeStatement")
    attribute = next((a for a in statement.findall("saml:Attribute", namespaces=_NS) if a.get("Name") == name), None)
    if attribute is None:
        attribute = etree.SubElement(statement, f"{{{NS_SAML}}}Attribute")
        attribute.set("Name", name)
    for old in list(attribute):
        attribute.remove(old)
    for value in values:
        etree.SubElement(attribute, f"{{{NS_SAML}}}AttributeValue").text = value


def change_role(xml: str, role_arn: str, provider_arn: str) -> str:
    """Grant yourself another role by editing the signed Role attribute."""
    return set_attribute(xml, ATTR_ROLE, [f"{role_arn},{provider_arn}"])


def stretch_expiry(xml: str, seconds: int, *, refresh_issue_instant: datetime | None = None) -> str:
    """Push every NotOnOrAfter `seconds` later (and optionally rewrite IssueInstant), without re-signing."""
    root = _parse(xml)
    for element in root.iter():
        value = element.get("NotOnOrAfter")
        if value:
            moment = parse_saml_time(value)
            if moment is not None:
                element.set("NotOnOrAfter", saml_time(moment + timedelta(seconds=seconds)))
        if refresh_issue_instant is not None and element.get("IssueInstant"):
            element.set("IssueInstant", saml_time(refresh_issue_instant))
    return _text(root)


def strip_signature(xml: str) -> str:
    """Remove every ds:Signature -- and edit nothing else."""
    root = _parse(xml)
    for signature in root.xpath("//ds:Signature", namespaces=_NS):
        signature.getparent().remove(signature)
    return _text(root)


def resign_with_key(xml: str, idp: SamlIdp, attacker_key: SigningKey, *, role_arn: str | None = None,
                    provider_arn: str | None = None) -> str:
    """Edit the assertion (optionally its Role) and sign it again with a key that is NOT in the metadata."""
    root = _parse(xml)
    assertion = _assertion(root)
    for signature in assertion.findall("ds:Signature", namespaces=_NS):
        assertion.remove(signature)
    if role_arn and provider_arn:
        _set_attribute_on(assertion, ATTR_ROLE, [f"{role_arn},{provider_arn}"])
    signed = idp.sign_element(copy.deepcopy(assertion), attacker_key)
    root.replace(assertion, signed)
    return _text(root)


def _forged_copy(genuine: etree._Element, role_arn: str, provider_arn: str) -> etree._Element:
    evil = copy.deepcopy(genuine)
    evil.set("ID", new_saml_id())
    for signature in evil.findall("ds:Signature", namespaces=_NS):
        evil.remove(signature)
    _set_attribute_on(evil, ATTR_ROLE, [f"{role_arn},{provider_arn}"])
    return evil


def xsw_sibling(xml: str, role_arn: str, provider_arn: str) -> str:
    """XSW: a forged unsigned assertion placed before the genuine signed one (a naive reader takes the first)."""
    root = _parse(xml)
    genuine = _assertion(root)
    genuine.addprevious(_forged_copy(genuine, role_arn, provider_arn))
    return _text(root)


def xsw_wrap_in_object(xml: str, role_arn: str, provider_arn: str) -> str:
    """XSW: the forged assertion replaces the genuine one, which hides inside the forged one's
    ds:Signature/ds:Object so that its signature still verifies by ID reference."""
    root = _parse(xml)
    genuine = _assertion(root)
    evil = _forged_copy(genuine, role_arn, provider_arn)
    signature = etree.Element(f"{{{NS_DS}}}Signature")
    obj = etree.SubElement(signature, f"{{{NS_DS}}}Object")
    root.replace(genuine, evil)
    obj.append(genuine)
    issuer = evil.find("saml:Issuer", namespaces=_NS)
    issuer.addnext(signature)
    return _text(root)


def xsw_in_extensions(xml: str, role_arn: str, provider_arn: str) -> str:
    """XSW: the genuine signed assertion moves into samlp:Extensions; the forged one takes its place."""
    root = _parse(xml)
    genuine = _assertion(root)
    evil = _forged_copy(genuine, role_arn, provider_arn)
    root.replace(genuine, evil)
    extensions = etree.Element(f"{{{NS_SAMLP}}}Extensions")
    extensions.append(genuine)
    root.find("saml:Issuer", namespaces=_NS).addnext(extensions)
    return _text(root)


def set_recipient(xml: str, recipient: str) -> str:
    root = _parse(xml)
    for data in root.xpath("//saml:SubjectConfirmationData", namespaces=_NS):
        data.set("Recipient", recipient)
    return _text(root)


# --------------------------------------------------------------------------------------------- JWT
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header_b64, payload_b64, signature = token.split(".")

    def load(part: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return loaded
    return load(header_b64), load(payload_b64), signature


def jwt_with_claims_keep_signature(token: str, **changes: Any) -> str:
    """Edit claims (e.g. aud, sub, exp) and keep the original signature."""
    header, claims, signature = jwt_parts(token)
    claims.update(changes)
    return f"{_b64url_json(header)}.{_b64url_json(claims)}.{signature}"


def jwt_alg_none(token: str, **changes: Any) -> str:
    """`alg: none` and no signature (RFC 7519 'unsecured JWT')."""
    header, claims, _ = jwt_parts(token)
    header["alg"] = "none"
    claims.update(changes)
    return f"{_b64url_json(header)}.{_b64url_json(claims)}."


def jwt_signed_with_own_key(token: str, attacker_key: SigningKey, **changes: Any) -> str:
    """Re-sign (RS256) with the attacker's key but keep the issuer's kid in the header."""
    header, claims, _ = jwt_parts(token)
    claims.update(changes)
    return jwt.encode(claims, attacker_key.private_key, algorithm="RS256",
                      headers={"kid": header.get("kid"), "typ": "JWT"})


def jwt_hs256_key_confusion(token: str, public_key_pem: str, **changes: Any) -> str:
    """HS256 with the issuer's PUBLIC key PEM as the HMAC secret: a verifier that lets the header pick the
    algorithm and hands it 'the key' would accept it. (PyJWT refuses to make these, so HMAC is done by hand.)"""
    header, claims, _ = jwt_parts(token)
    header["alg"] = "HS256"
    claims.update(changes)
    signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}"
    mac = hmac.new(public_key_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(mac)}"
