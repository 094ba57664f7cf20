"""The mock IdPs of the lab and their registration in a learner's sandbox.

One corporate IdP ("SecureCart IdP": SAML 2.0 + OpenID Connect) and one simulated GitHub Actions OIDC issuer, each
with its own signing keys in every sandbox (kept in the database; the metadata is re-registered when it changes,
e.g. after a restart that kept moto's state). In each sandbox, the production account gets:
  - the IAM SAML provider `SecureCartIdP` (CreateSAMLProvider with our metadata),
  - the IAM OIDC providers `token.actions.githubusercontent.com` (client id sts.amazonaws.com) and
    `idp.securecart.example/oidc` (client id securecart-console),
  - the federated roles in ROLE_SPECS.
All three are added to every sandbox's world by apps.py (sandboxes.world.register_world_extension).

JWKS: AWS fetches an OIDC issuer's keys over TLS from its jwks_uri. The lab never leaves the process: our issuers
publish each sandbox's JWKS for that sandbox only (Lab.register_oidc_jwks, engine.federation.registry); the same
JWKS is also served at /federation/oidc/.../jwks.json (the visitor's sandbox's) so learners can look at it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from engine.federation.idp import (GITHUB_ACTIONS_AUDIENCE, GITHUB_ACTIONS_ISSUER, OidcIssuer, SamlIdp,
                                   SamlPerson)
from engine.federation.keys import KeyPool, SigningKey
from engine.federation.registry import normalise_issuer
from sandboxes.world import PRODUCT_IMAGES, PRODUCTION, RoleSpec, policy_doc

from . import people

SAML_PROVIDER_NAME = "SecureCartIdP"
IDP_ENTITY_ID = "https://idp.securecart.example/saml/metadata"
IDP_SSO_URL = "https://idp.securecart.example/saml/sso"
CORP_OIDC_ISSUER = "https://idp.securecart.example/oidc"
CORP_CLIENT_ID = "securecart-console"
GITHUB_REPOSITORY = "securecart/storefront"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"

# Keys each sandbox has of its own (its IdPs are its alone: a token minted for one sandbox never verifies in
# another, engine/federation/registry.py); any other purpose ("attacker") is one key for the whole lab.
SANDBOX_KEY_PURPOSES = ("corporate-idp", "github-actions", "identity-center")
_KEY_CACHE_SIZE = 512

# RSA keys made ahead of need (a sandbox build takes two): engine.federation.keys.KeyPool
KEY_POOL = KeyPool(key_size=settings.LAB_IDP_KEY_BITS)

_lock = threading.Lock()
_keys: "OrderedDict[tuple[str | None, str], SigningKey]" = OrderedDict()


def signing_key(name: str, sandbox_id: str | None = None) -> SigningKey:
    """The signing key for a purpose ("corporate-idp", "github-actions", "identity-center": per sandbox;
    "attacker": lab-wide), made once and kept in the database so every web process signs with the same key."""
    if (name in SANDBOX_KEY_PURPOSES) != (sandbox_id is not None):
        raise ValueError(f"the {name} key is {'per sandbox' if name in SANDBOX_KEY_PURPOSES else 'lab-wide'}")
    with _lock:
        key = _keys.get((sandbox_id, name))
        if key is None:
            key = _keys[(sandbox_id, name)] = _stored_key(name, sandbox_id)
            if len(_keys) > _KEY_CACHE_SIZE:
                _keys.popitem(last=False)
        else:
            _keys.move_to_end((sandbox_id, name))
        return key


def _stored_key(name: str, sandbox_id: str | None) -> SigningKey:
    from django.db import DatabaseError, IntegrityError, transaction

    from .models import SigningKeyRecord

    try:
        record = SigningKeyRecord.objects.filter(purpose=name, sandbox_id=sandbox_id).first()
        if record is not None:
            return SigningKey.from_json(record.key_json)
        key = SigningKey.generate(f"{name}.securecart.example", private_key=KEY_POOL.take())
        try:
            with transaction.atomic():
                SigningKeyRecord.objects.create(purpose=name, sandbox_id=sandbox_id, key_json=key.to_json())
        except IntegrityError:   # another process stored one first: use theirs
            return SigningKey.from_json(SigningKeyRecord.objects.get(purpose=name, sandbox_id=sandbox_id).key_json)
        return key
    except DatabaseError:        # no table yet (e.g. before migrate): a key for this process only
        return SigningKey.generate(f"{name}.securecart.example", key_size=settings.LAB_IDP_KEY_BITS)


def saml_idp(sandbox_id: str) -> SamlIdp:
    """The corporate IdP as this sandbox's learner knows it (its own key; same entity id in every sandbox)."""
    return SamlIdp(IDP_ENTITY_ID, IDP_SSO_URL, signing_key("corporate-idp", sandbox_id))


def corporate_oidc(sandbox_id: str) -> OidcIssuer:
    return OidcIssuer(CORP_OIDC_ISSUER, signing_key("corporate-idp", sandbox_id))


def github_oidc(sandbox_id: str) -> OidcIssuer:
    return OidcIssuer(GITHUB_ACTIONS_ISSUER, signing_key("github-actions", sandbox_id))


def oidc_issuers(sandbox_id: str) -> dict[str, OidcIssuer]:
    """By slug, as used in URLs."""
    return {"securecart": corporate_oidc(sandbox_id), "github": github_oidc(sandbox_id)}


def jwks_for(sandbox_id: str, issuer_url: str) -> dict | None:
    """The JWKS this sandbox's own issuer publishes at `issuer_url` (None for an issuer the lab does not run)."""
    wanted = normalise_issuer(issuer_url)
    issuer = next((i for i in oidc_issuers(sandbox_id).values() if normalise_issuer(i.issuer_url) == wanted), None)
    return issuer.jwks() if issuer is not None else None


SAML_PROVIDER = "arn:aws:iam::{production}:saml-provider/" + SAML_PROVIDER_NAME
GITHUB_PROVIDER = "arn:aws:iam::{production}:oidc-provider/token.actions.githubusercontent.com"
CORP_OIDC_PROVIDER = "arn:aws:iam::{production}:oidc-provider/idp.securecart.example/oidc"
READ_IMAGES = {"Sid": "ReadProductImages", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
               "Resource": [f"arn:aws:s3:::{PRODUCT_IMAGES}", f"arn:aws:s3:::{PRODUCT_IMAGES}/*"]}

ROLE_SPECS: list[RoleSpec] = [
    RoleSpec(
        PRODUCTION, "SecureCart-SAML-Developers",
        "Developers signing in through the SecureCart IdP (SAML): read-only look at product images.",
        trust=policy_doc({"Sid": "TrustSecureCartIdP", "Effect": "Allow", "Principal": {"Federated": SAML_PROVIDER},
                          "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
                          # What the IAM console writes for a SAML role: only assertions addressed to AWS sign-in.
                          "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE}}}),
        policies={"ReadProductImages": policy_doc(READ_IMAGES)},
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-SAML-Operations",
        "Operations engineers through the SecureCart IdP (SAML); only named people may take it.",
        trust=policy_doc({"Sid": "TrustSecureCartIdPForOps", "Effect": "Allow",
                          "Principal": {"Federated": SAML_PROVIDER},
                          "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
                          "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE, "saml:sub": ["bob"]}}}),
        policies={"SeeInstances": policy_doc({"Sid": "SeeInstances", "Effect": "Allow",
                                              "Action": "ec2:DescribeInstances", "Resource": "*"})},
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-GitHubDeploy",
        "GitHub Actions workflows of securecart/storefront on main publish release images (OIDC).",
        trust=policy_doc({"Sid": "TrustStorefrontMainBranch", "Effect": "Allow",
                          "Principal": {"Federated": GITHUB_PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
                          "Condition": {"StringEquals": {
                              "token.actions.githubusercontent.com:aud": GITHUB_ACTIONS_AUDIENCE,
                              "token.actions.githubusercontent.com:sub":
                                  f"repo:{GITHUB_REPOSITORY}:ref:refs/heads/main"}}}),
        policies={"PublishReleaseImages": policy_doc(
            {"Sid": "PublishReleaseImages", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
             "Resource": f"arn:aws:s3:::{PRODUCT_IMAGES}/releases/*"})},
    ),
    RoleSpec(
        PRODUCTION, "SecureCart-OIDC-Analysts",
        "People signing in to the SecureCart console app (OIDC); MFA required by the trust policy.",
        trust=policy_doc({"Sid": "TrustConsoleAppWithMfa", "Effect": "Allow",
                          "Principal": {"Federated": CORP_OIDC_PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
                          "Condition": {"StringEquals": {"idp.securecart.example/oidc:aud": CORP_CLIENT_ID},
                                        "ForAnyValue:StringEquals": {"idp.securecart.example/oidc:amr": "mfa"}}}),
        policies={"ReadProductImages": policy_doc(READ_IMAGES)},
    ),
]
FEDERATED_ROLE_NAMES = {spec.name for spec in ROLE_SPECS}


# ------------------------------------------------------------------------------------------------ per sandbox
@dataclass
class FederationSetup:
    account: str
    saml_provider_arn: str
    github_provider_arn: str
    corporate_provider_arn: str


def _admin_iam(account_id: str) -> Any:
    from sandboxes.operator import OPERATOR

    return OPERATOR.seeding_client("iam", account_id)   # the providers are a world extension's seed


def publish_jwks(sandbox_id: str) -> None:
    """Make this sandbox's issuers' keys resolvable by its STS calls (the lab's in-process stand-in for fetching
    jwks_uri); in-process or at the gateway process alike (Lab.register_oidc_jwks)."""
    from sandboxes.labclient import lab

    the_lab = lab()
    for issuer in oidc_issuers(sandbox_id).values():
        the_lab.register_oidc_jwks(sandbox_id, issuer.issuer_url, issuer.jwks())


def ensure_federation(sandbox: Any) -> FederationSetup:
    """Register the IdPs in the sandbox's production account (idempotent; fixes stale metadata)."""
    return register_providers(sandbox.id, sandbox.account_ids())


def seed_providers(sandbox_id: str, accounts: dict[str, str]) -> None:
    """World-extension seed step (apps.py): a new or reset sandbox has the IdPs from the start. Its accounts were
    just built without any provider (the template holds none), so the three are stored in one step, with nothing
    to look up first (one world-state call instead of three IAM requests; one round trip to a remote gateway)."""
    from sandboxes.labclient import world_state

    account = accounts[PRODUCTION]
    world_state().add_identity_providers(
        account, [{"name": SAML_PROVIDER_NAME, "metadata": saml_idp(sandbox_id).metadata_xml()}],
        [{"url": issuer.issuer_url, "client_ids": [client_id], "thumbprints": ["0" * 40]}
         for issuer, client_id in _oidc_clients(sandbox_id)])
    publish_jwks(sandbox_id)


def _oidc_clients(sandbox_id: str) -> list[tuple[OidcIssuer, str]]:
    return [(github_oidc(sandbox_id), GITHUB_ACTIONS_AUDIENCE), (corporate_oidc(sandbox_id), CORP_CLIENT_ID)]


def register_providers(sandbox_id: str, accounts: dict[str, str]) -> FederationSetup:
    account = accounts[PRODUCTION]
    iam = _admin_iam(account)
    metadata = saml_idp(sandbox_id).metadata_xml()
    saml_arn = f"arn:aws:iam::{account}:saml-provider/{SAML_PROVIDER_NAME}"
    existing = {p["Arn"] for p in iam.list_saml_providers().get("SAMLProviderList", [])}
    if saml_arn not in existing:
        iam.create_saml_provider(Name=SAML_PROVIDER_NAME, SAMLMetadataDocument=metadata)
    elif iam.get_saml_provider(SAMLProviderArn=saml_arn).get("SAMLMetadataDocument") != metadata:
        iam.update_saml_provider(SAMLProviderArn=saml_arn, SAMLMetadataDocument=metadata)
    oidc_existing = {p["Arn"] for p in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])}
    arns = {}
    for issuer, client_id in _oidc_clients(sandbox_id):
        arn = f"arn:aws:iam::{account}:oidc-provider/{issuer.host_path}"
        if arn not in oidc_existing:
            iam.create_open_id_connect_provider(Url=issuer.issuer_url, ClientIDList=[client_id],
                                                ThumbprintList=["0" * 40])
        arns[issuer.issuer_url] = arn
    publish_jwks(sandbox_id)
    return FederationSetup(account, saml_arn, arns[GITHUB_ACTIONS_ISSUER], arns[CORP_OIDC_ISSUER])


def saml_person(person: people.Person, accounts: dict[str, str], *,
                role_pairs: list[tuple[str, str]] | None = None) -> SamlPerson:
    """What the IdP asserts about `person`: its Role pairs with the sandbox's account ids, tags, source identity."""
    pairs = role_pairs if role_pairs is not None else [
        (f"arn:aws:iam::{accounts[account]}:role/{role}",
         f"arn:aws:iam::{accounts[PRODUCTION]}:saml-provider/{SAML_PROVIDER_NAME}")
        for account, role in person.saml_roles]
    return SamlPerson(name_id=person.username, role_pairs=pairs, role_session_name=person.email,
                      session_duration=3600, principal_tags={"Department": person.department},
                      transitive_tag_keys=["Department"], source_identity=person.username,
                      extra_attributes={"urn:oid:0.9.2342.19200300.100.1.3": [person.email]})
