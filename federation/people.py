"""SecureCart's staff as the mock corporate IdP knows them (the lab's stand-in for Okta / Entra ID / Google).

Passwords are shown on the sign-in page: this IdP exists to be looked inside, not to protect anything.
Role pairs name roles by {account}/name; the sandbox's account ids are filled in at sign-in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "securecart"


@dataclass(frozen=True)
class Person:
    username: str                      # NameID and RoleSessionName
    display_name: str
    email: str
    department: str
    groups: tuple[str, ...]
    saml_roles: tuple[tuple[str, str], ...] = ()      # (account name, role name) the IdP grants over SAML
    mfa: bool = False                  # the IdP says the person used MFA (amr claim)
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)


PEOPLE: tuple[Person, ...] = (
    Person("alice", "Alice Nguyen", "alice@securecart.example", "Engineering", ("Developers",),
           saml_roles=(("production", "SecureCart-SAML-Developers"),), mfa=True,
           notes="Developer: one role in production, read-only."),
    Person("bob", "Bob Martins", "bob@securecart.example", "Operations", ("Developers", "Operations"),
           saml_roles=(("production", "SecureCart-SAML-Developers"), ("production", "SecureCart-SAML-Operations")),
           notes="Operations engineer: two roles, so the IdP lets him pick one."),
    Person("carol", "Carol Diaz", "carol@securecart.example", "Finance", ("Finance",),
           notes="Finance: signs in to the IdP, but has no AWS role at all."),
)

GROUPS: dict[str, str] = {
    "Developers": "Engineers who build the storefront.",
    "Operations": "Engineers who run production.",
    "Finance": "Finance team (no AWS access).",
}


def person(username: str) -> Person | None:
    return next((p for p in PEOPLE if p.username == username), None)


def authenticate(username: str, password: str) -> Person | None:
    found = person(username.strip().lower())
    return found if found is not None and password == DEMO_PASSWORD else None
