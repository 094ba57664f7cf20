"""{% challenge_list %} for the home page and {% challenges_for_scenario slug %} for scenario pages: small, additive
inclusions so the pages other apps own need one line each."""
from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .. import catalog
from ..catalog import TRACKS

register = template.Library()


@register.inclusion_tag("challenges/_home_list.html", takes_context=True)
def challenge_list(context) -> dict:
    from ..views import challenge_rows

    sandbox = context.get("sandbox")
    return {"rows": challenge_rows(sandbox) if sandbox is not None else
            [{"challenge": c, "track": TRACKS[c.track], "solved_at": None} for c in catalog.challenges()]}


@register.inclusion_tag("challenges/_for_scenario.html")
def challenges_for_scenario(scenario_slug: str) -> dict:
    return {"challenges": catalog.for_scenario(scenario_slug)}


_TICKS = re.compile(r"`([^`]+)`")


@register.filter
def codeticks(text: str) -> str:
    """Challenge prose marks commands and values with backticks, as the catalog's source does: show them as code."""
    return mark_safe(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))
