"""Decoders for the viewers: a SAML Response or a JWT taken apart, with the parts STS and trust policies read.

Never trusts its input: anything that does not decode gives `error`, never an exception.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from engine.federation.idp import (ATTR_PRINCIPAL_TAG, ATTR_ROLE, ATTR_ROLE_SESSION_NAME, ATTR_SESSION_DURATION,
                                   ATTR_SOURCE_IDENTITY, ATTR_TRANSITIVE_TAG_KEYS, NAMEID_PREFIX, NS_DS, NS_SAML,
                                   NS_SAMLP)

_NS = {"saml": NS_SAML, "samlp": NS_SAMLP, "ds": NS_DS}
MAX_INPUT = 200_000


def saml_xml_from_input(text: str) -> tuple[str | None, str | None]:
    """Accept base64 (what is POSTed / passed to STS) or raw XML. Returns (xml, error)."""
    text = (text or "").strip()
    if not text:
        return None, "Paste a SAMLResponse (base64) or its XML."
    if len(text) > MAX_INPUT:
        return None, f"That is {len(text)} characters; the viewer takes up to {MAX_INPUT}."
    if text.startswith("<"):
        return text, None
    try:
        return base64.b64decode("".join(text.split()), validate=True).decode("utf-8"), None
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None, "This is neither XML nor base64 of XML."


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def describe_saml(xml: str) -> dict[str, Any]:
    try:
        root = etree.fromstring(xml.encode(), parser=_parser())
    except etree.XMLSyntaxError as exc:
        return {"error": f"Not well-formed XML: {exc}"}
    pretty = etree.tostring(root, pretty_print=True, encoding="unicode")
    assertions = root.xpath("//saml:Assertion", namespaces=_NS)
    out: dict[str, Any] = {
        "error": None, "pretty": pretty, "root": etree.QName(root).localname,
        "response_id": root.get("ID"), "destination": root.get("Destination"),
        "issue_instant": root.get("IssueInstant"),
        "issuer": _text(root.find("saml:Issuer", namespaces=_NS)),
        "assertion_count": len(assertions), "signatures": [], "assertions": [],
    }
    for signature in root.xpath("//ds:Signature", namespaces=_NS):
        parent = signature.getparent()
        reference = signature.find(".//ds:Reference", namespaces=_NS)
        uri = reference.get("URI") if reference is not None else None
        out["signatures"].append({
            "on": etree.QName(parent).localname if parent is not None else "?",
            "parent_id": parent.get("ID") if parent is not None else None,
            "reference": uri,
            "reference_matches_parent": bool(uri and parent is not None and uri == "#" + (parent.get("ID") or "")),
            "signature_method": _attr(signature, ".//ds:SignatureMethod", "Algorithm"),
            "digest_method": _attr(signature, ".//ds:DigestMethod", "Algorithm"),
            "digest_value": _text(signature.find(".//ds:DigestValue", namespaces=_NS)),
            "signature_value": (_text(signature.find("ds:SignatureValue", namespaces=_NS)) or "")[:48] + "…",
            "has_certificate": signature.find(".//ds:X509Certificate", namespaces=_NS) is not None,
        })
    for assertion in assertions:
        name_id = assertion.find("saml:Subject/saml:NameID", namespaces=_NS)
        data = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", namespaces=_NS)
        conditions = assertion.find("saml:Conditions", namespaces=_NS)
        authn = assertion.find("saml:AuthnStatement", namespaces=_NS)
        parent = assertion.getparent()
        fmt = name_id.get("Format") if name_id is not None else None
        attributes = []
        for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", namespaces=_NS):
            name = attribute.get("Name") or ""
            values = [(_text(v) or "") for v in attribute.findall("saml:AttributeValue", namespaces=_NS)]
            attributes.append({"name": name, "values": values, "read_as": attribute_meaning(name)})
        out["assertions"].append({
            "id": assertion.get("ID"), "issue_instant": assertion.get("IssueInstant"),
            "location": "inside " + etree.QName(parent).localname if parent is not None else "root",
            "issuer": _text(assertion.find("saml:Issuer", namespaces=_NS)),
            "signed": assertion.find("ds:Signature", namespaces=_NS) is not None,
            "name_id": _text(name_id), "name_id_format": fmt,
            "sub_type": fmt[len(NAMEID_PREFIX):] if fmt and fmt.startswith(NAMEID_PREFIX) else fmt,
            "recipient": data.get("Recipient") if data is not None else None,
            "confirmation_not_on_or_after": data.get("NotOnOrAfter") if data is not None else None,
            "not_before": conditions.get("NotBefore") if conditions is not None else None,
            "not_on_or_after": conditions.get("NotOnOrAfter") if conditions is not None else None,
            "audiences": [_text(a) for a in assertion.findall(
                "saml:Conditions/saml:AudienceRestriction/saml:Audience", namespaces=_NS)],
            "session_not_on_or_after": authn.get("SessionNotOnOrAfter") if authn is not None else None,
            "attributes": attributes,
        })
    return out


def attribute_meaning(name: str) -> str:
    if name == ATTR_ROLE:
        return "role ARN, provider ARN pairs: STS needs the pair (RoleArn, PrincipalArn) of the call here"
    if name == ATTR_ROLE_SESSION_NAME:
        return "the session name in the assumed-role ARN (sts:RoleSessionName)"
    if name == ATTR_SESSION_DURATION:
        return "length of a console session; API sessions use DurationSeconds"
    if name.startswith(ATTR_PRINCIPAL_TAG):
        key = name[len(ATTR_PRINCIPAL_TAG):]
        return f"session tag: aws:RequestTag/{key} in the trust policy (needs sts:TagSession), then aws:PrincipalTag/{key}"
    if name == ATTR_TRANSITIVE_TAG_KEYS:
        return "tags that survive role chaining (sts:TransitiveTagKeys)"
    if name == ATTR_SOURCE_IDENTITY:
        return "source identity: sts:SourceIdentity (needs sts:SetSourceIdentity), then aws:SourceIdentity forever"
    if name == "urn:oid:0.9.2342.19200300.100.1.3":
        return "mail: saml:mail in conditions"
    return "not read by STS"


def _text(element: Any) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _attr(element: Any, path: str, name: str) -> str | None:
    found = element.find(path, namespaces=_NS)
    return found.get(name) if found is not None else None


# ------------------------------------------------------------------------------------------------- JWT
def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def describe_jwt(token: str) -> dict[str, Any]:
    token = (token or "").strip()
    if not token:
        return {"error": "Paste a JWT (three base64url parts separated by dots)."}
    if len(token) > MAX_INPUT:
        return {"error": f"That is {len(token)} characters; the viewer takes up to {MAX_INPUT}."}
    parts = token.split(".")
    if len(parts) != 3:
        return {"error": f"A JWT has three parts separated by dots; this has {len(parts)}."}
    try:
        header, claims = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return {"error": "The header or the claims are not base64url-encoded JSON."}
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return {"error": "The header and the claims must be JSON objects."}
    times = {}
    for claim in ("iat", "nbf", "exp", "auth_time"):
        value = claims.get(claim)
        if isinstance(value, (int, float)):
            times[claim] = datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    iss = claims.get("iss") if isinstance(claims.get("iss"), str) else ""
    host = iss.removeprefix("https://").rstrip("/")
    keys = {}
    if host:
        keys[f"{host}:aud"] = claims.get("aud")
        keys[f"{host}:sub"] = claims.get("sub")
        if "amr" in claims:
            keys[f"{host}:amr"] = claims.get("amr")
    return {"error": None, "header": header, "claims": claims, "times": times,
            "header_json": json.dumps(header, indent=2), "claims_json": json.dumps(claims, indent=2),
            "signature": parts[2][:43] + ("…" if len(parts[2]) > 43 else ""), "signed": bool(parts[2]),
            "condition_keys": keys, "issuer_host": host}


def check_jwt_signature(token: str, jwks_for: Any) -> dict[str, str]:
    """Verify only the signature, as STS would: allow-listed alg, key by kid from the issuer's JWKS."""
    import jwt as pyjwt

    from engine.federation.idp import SUPPORTED_JWT_ALGORITHMS

    described = describe_jwt(token)
    if described.get("error"):
        return {"status": "undecodable", "detail": described["error"]}
    alg = described["header"].get("alg")
    if alg not in SUPPORTED_JWT_ALGORITHMS:
        return {"status": "refused", "detail": f"alg {alg!r} is not one STS accepts (RS256/384/512, ES256/384/512)."}
    iss = described["claims"].get("iss")
    jwks = jwks_for(iss) if isinstance(iss, str) and iss else None
    if not jwks:
        return {"status": "unknown-issuer", "detail": f"No published keys for issuer {iss!r} in this lab."}
    kid = described["header"].get("kid")
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == kid), None)
    if jwk is None:
        return {"status": "unknown-kid", "detail": f"The issuer publishes no key with kid {kid!r}."}
    try:
        key = pyjwt.PyJWK(jwk, algorithm=alg)
        pyjwt.decode(token.strip(), key=key.key, algorithms=[alg],
                     options={"verify_exp": False, "verify_aud": False, "verify_iat": False, "verify_nbf": False})
    except pyjwt.PyJWTError as exc:
        return {"status": "invalid", "detail": f"The signature does not verify with key {kid}: {exc}."}
    return {"status": "valid", "detail": f"Signed by the key {kid} that {iss} publishes."}
