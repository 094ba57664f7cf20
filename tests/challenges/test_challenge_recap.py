"""Each scenario's recap offers the challenges that practise its idea (challenges.api.recap_next_steps)."""
from __future__ import annotations

from django.utils.html import escape

from challenges import api


def test_the_recap_of_scenario_1_lists_its_challenges(learner):
    page = learner.client.get("/scenarios/cross-account-auditors/recap/").content.decode()
    own = [c for c in api.catalog() if c.scenario == "cross-account-auditors"]
    assert own, "scenario 1 teaches at least one challenge's idea"
    for challenge in own:
        assert f'href="{challenge.url}"' in page and escape(challenge.title) in page
    others = [c for c in api.catalog() if c.scenario != "cross-account-auditors"]
    assert not any(f'href="{c.url}"' in page for c in others)
