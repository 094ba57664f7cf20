"""The lab page that teaches a question: a scenario step or a challenge, named by Question.teaches.

Questions link a page only where the lab really practises their topic (tests/web/test_quiz_bank.py checks that the
page names every term in the question's `tags`); VPC, network and many data-protection items link nothing, because
the lab has no such page.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .bank import Question


@dataclass(frozen=True)
class TeachingLink:
    kind: str    # "step" | "challenge"
    title: str   # the page's own title, shown as the link text
    url: str


def link_for(question: Question) -> TeachingLink | None:
    """The link to show under the explanation, or None (no page, or one that no longer exists)."""
    if question.teaches_challenge:
        from challenges import api

        info = api.get(question.teaches_challenge)
        return TeachingLink("challenge", info.title, info.url) if info else None
    step_ref = question.teaches_step
    if step_ref is None:
        return None
    from scenarios import registry

    scenario = registry.get(step_ref[0])
    step = next((s for s in scenario.steps if s.slug == step_ref[1]), None) if scenario else None
    if step is None:
        return None
    return TeachingLink("step", f"{scenario.title}: {step.title}", reverse("scenarios:step", args=list(step_ref)))


def page_text(ref: str) -> str | None:
    """Everything a learner reads on the page `ref` names (story, lesson, what-ifs, hints, reasoning), as plain
    text; None when the page does not exist."""
    import html
    import re

    if ref.startswith("challenge:"):
        from challenges import api

        text = api.page_text(ref.split(":", 1)[1])
        if text is None:
            return None
        parts = [text]
    else:
        from scenarios import registry

        slug, _, step_slug = ref.partition("/")
        scenario = registry.get(slug)
        step = next((s for s in scenario.steps if s.slug == step_slug), None) if scenario else None
        if step is None:
            return None
        parts = [step.title, step.narrative, step.lesson] + [f"{w.label} {w.explanation}" for w in step.what_ifs]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", p)) for p in parts)


def missing_topics(question: Question) -> list[str]:
    """The question's topics (its tags) that the page it links never names; ["<page missing>"] for a dead link.
    Empty when the link teaches the topic, or when the question links no page."""
    if not question.teaches:
        return []
    text = page_text(question.teaches)
    if text is None:
        return ["<page missing>"]
    lowered = " ".join(text.split()).lower()
    return [tag for tag in question.tags if tag.lower() not in lowered]
