"""Finds the scenarios: every module in scenarios/library that defines SCENARIO, ordered by number.

The home page lists all six lessons; a number without a module yet shows as "coming" with the title below.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache

from .framework import Scenario

# The six STS use cases SecureCart's course covers (the README's table; docs/learners.md).
PLANNED: dict[int, tuple[str, str, str]] = {
    1: ("Cross-account access for auditors", "AssumeRole",
        "An outside audit firm reads SecureCart's security logs from its own AWS account."),
    2: ("Signing in through IAM Identity Center", "AssumeRole (by Identity Center)",
        "Staff sign in once and Identity Center fetches role credentials for the accounts they may use."),
    3: ("Federation with an external identity provider", "AssumeRoleWithSAML / AssumeRoleWithWebIdentity",
        "A SAML assertion or an OIDC token from the company IdP is traded for role credentials."),
    4: ("Service roles for EC2", "AssumeRole (by the service)",
        "The web tier reads product images through its instance role; no keys stored anywhere."),
    5: ("MFA for sensitive operations", "GetSessionToken",
        "Operations prove MFA before they may touch production."),
    6: ("Role chaining in the release pipeline", "AssumeRole, twice",
        "The CI pipeline assumes one role, and from it a second one; each hop has its own clock."),
}


@dataclass(frozen=True)
class Listing:
    number: int
    title: str
    sts_call: str
    summary: str
    scenario: Scenario | None  # None: "coming"


@lru_cache(maxsize=1)
def all_scenarios() -> dict[str, Scenario]:
    from . import library

    found: list[Scenario] = []
    for module_info in pkgutil.iter_modules(library.__path__):
        module = importlib.import_module(f"{library.__name__}.{module_info.name}")
        scenario = getattr(module, "SCENARIO", None)
        if isinstance(scenario, Scenario):
            found.append(scenario)
    found.sort(key=lambda s: s.number)
    return {scenario.slug: scenario for scenario in found}


def get(slug: str) -> Scenario | None:
    return all_scenarios().get(slug) if slug else None


def listings() -> list[Listing]:
    by_number = {s.number: s for s in all_scenarios().values()}
    numbers = sorted(set(PLANNED) | set(by_number))
    out = []
    for number in numbers:
        scenario = by_number.get(number)
        if scenario is not None:
            out.append(Listing(number, scenario.title, scenario.sts_call, scenario.summary, scenario))
        else:
            title, call, summary = PLANNED[number]
            out.append(Listing(number, title, call, summary, None))
    return out


def variations_of(slug: str) -> list[Scenario]:
    """Short paths through a scenario's lesson (kind "variation"), shown inside that scenario."""
    return [s for s in all_scenarios().values() if s.kind == "variation" and s.variation_of == slug]
