"""The challenges on offer: every challenge of every pack that loaded (challenges/packs.py), in pack and file order.

A challenge is a `ChallengeSpec` (challenges/schema.py), read from its YAML file; nothing about a challenge lives in
Python any more. Other modules ask here, never the packs directly.
"""
from __future__ import annotations

from . import packs
from .schema import TRACK_NAMES, ChallengeSpec

BUILDER, ATTACKER, DEFENDER = "builder", "attacker", "defender"
TRACKS = TRACK_NAMES
Challenge = ChallengeSpec


def challenges() -> list[ChallengeSpec]:
    """Builders, then attackers each followed by its defence, then the other defender challenges."""
    loaded = packs.current().challenges
    defences: dict[str, list[ChallengeSpec]] = {}
    for spec in loaded:
        if spec.follows:
            defences.setdefault(spec.follows, []).append(spec)
    ordered = [s for s in loaded if s.track == BUILDER]
    for spec in (s for s in loaded if s.track == ATTACKER):
        ordered += [spec, *defences.pop(spec.slug, [])]
    ordered += [s for s in loaded if s.track == DEFENDER and not s.follows]
    return ordered + [s for rest in defences.values() for s in rest]


def get(slug: str) -> ChallengeSpec | None:
    return packs.current().by_slug.get(slug)


def for_scenario(scenario_slug: str) -> list[ChallengeSpec]:
    return [c for c in challenges() if c.scenario == scenario_slug]


def defences_of(slug: str) -> list[ChallengeSpec]:
    return [c for c in challenges() if c.follows == slug]


def refused_packs() -> list[packs.RefusedPack]:
    return packs.current().refused
