"""The Defend step that closes every scenario: what CloudTrail recorded, read with a real LookupEvents call, and a
link to the scenario's exercise (trail/exercises.py) whose answer is checked against the sandbox's own events."""
from __future__ import annotations

from typing import Iterable

from sandboxes.world import ADMIN_USER

from .framework import Diagram, Node, Step, StepContext

CLOUDTRAIL_NODE = Node("AWS CloudTrail", "cloudtrail.amazonaws.com · event history", "resource")


def defend_step(number: int, lookups: Iterable[tuple[str, str]], *, looks_for: str) -> Step:
    """lookups: (account name, eventName) pairs to read with cloudtrail:LookupEvents as that account's lab-admin.
    looks_for: HTML, what a defender checks in those events."""
    lookups = tuple(lookups)

    def run(ctx: StepContext) -> None:
        for account, event_name in lookups:
            admin = ctx.user(account, ADMIN_USER)
            ctx.call(f"{event_name} events in the {account} account (cloudtrail LookupEvents)",
                     ctx.client("cloudtrail", admin).lookup_events, signer=admin, MaxResults=5,
                     LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}])

    accounts = sorted({account for account, _ in lookups})
    return Step(
        slug="defend",
        title="Defend: what CloudTrail saw",
        narrative=f"""
<p>Every call of this scenario was recorded as a CloudTrail event in the account that received it. A defender
reads them to tie each action to a session, and each session to the person or system that started it.</p>
{looks_for}
<p>Look the events up the way you would in AWS (<code>aws cloudtrail lookup-events</code>), then open the
<a href="/trail/">event history</a> and answer the <a href="/trail/defend/{number}/">Defend exercise</a>.</p>""",
        run=run,
        run_label="Look up the events",
        lesson=f"<p>Each <code>CloudTrailEvent</code> is the record as AWS writes it. Now answer the "
               f"<a href=\"/trail/defend/{number}/\">Defend exercise</a>: the lab checks your answer against "
               "these events.</p>",
        diagram=Diagram((Node(ADMIN_USER, " · ".join(accounts) + " account", "principal"), CLOUDTRAIL_NODE),
                        active=1),
    )
