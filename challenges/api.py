"""The public face of challenges for other apps (the classroom: an instructor assigns a challenge and sees who
solved it). Plain data in, plain data out; no views, no templates.

    from challenges import api
    api.catalog()                       # every challenge: slug, title, track, difficulty, minutes, url
    api.get("wildcard-trust")           # one, or None
    api.solved_by("wildcard-trust", users)   # {user id: solved_at} among these users
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from django.urls import reverse

from . import catalog as offered
from .catalog import TRACKS, Challenge
from .models import ChallengeProgress


@dataclass(frozen=True)
class ChallengeInfo:
    slug: str
    title: str
    track: str          # "Builder" | "Attacker" | "Defender"
    difficulty: str     # "easy" | "medium" | "hard"
    minutes: int
    scenario: str       # slug of the scenario that teaches it
    url: str


def _info(challenge: Challenge) -> ChallengeInfo:
    return ChallengeInfo(challenge.slug, challenge.title, TRACKS[challenge.track], challenge.difficulty,
                         challenge.minutes, challenge.scenario, reverse("challenges:detail", args=[challenge.slug]))


def catalog() -> list[ChallengeInfo]:
    return [_info(c) for c in offered.challenges()]


def get(slug: str) -> ChallengeInfo | None:
    challenge = offered.get(slug)
    return _info(challenge) if challenge else None


def page_text(slug: str) -> str | None:
    """What a learner reads on the challenge's page (title, story, objective, hints, reasoning, the solution's
    commands), as one text with its {placeholders} unfilled; None for an unknown slug. The quiz checks that the
    page an item links names the item's topics."""
    challenge = offered.get(slug)
    if challenge is None:
        return None
    steps = [step.run or " ".join((step.report or {}).values()) or (step.imds or "") for step in challenge.solution]
    return " ".join([challenge.title, challenge.story, challenge.objective, *challenge.hints, challenge.reasoning,
                     *steps])


def choices() -> list[tuple[str, str]]:
    """For a Django ChoiceField / model field choices: (slug, "Track · title")."""
    return [(c.slug, f"{TRACKS[c.track]} · {c.title}") for c in offered.challenges()]


def solved_by(slug: str, users: Iterable) -> dict[int, datetime]:
    """When each of these users (signed-in learners: their sandbox is theirs) first solved the challenge."""
    if offered.get(slug) is None:
        raise KeyError(f"no challenge {slug!r}")
    user_ids = [getattr(u, "pk", u) for u in users]
    rows = (ChallengeProgress.objects.filter(challenge=slug, solved_at__isnull=False, sandbox__owner_id__in=user_ids)
            .values_list("sandbox__owner_id", "solved_at"))
    solved: dict[int, datetime] = {}
    for owner_id, solved_at in rows:
        if owner_id not in solved or solved_at < solved[owner_id]:
            solved[owner_id] = solved_at
    return solved


def recap_next_steps(scenario, sandbox) -> list:
    """scenarios.recap next-step source: this scenario's challenges, to do next on one's own."""
    from scenarios.recap import NextStep

    return [NextStep(f"Challenge: {info.title}", info.url, detail=f"{info.track}, {info.difficulty}, about "
                     f"{info.minutes} min", kind="challenge")
            for info in catalog() if info.scenario == scenario.slug]
