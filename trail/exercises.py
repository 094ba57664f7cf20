"""The Defend exercise of each scenario: a question about the sandbox's own events, whose answer is worked out from
those events (never stored): the trace of a session back to its origin, or the refused call.

What a defender looks for follows the IAM User Guide ("Logging IAM and AWS STS API calls with AWS CloudTrail": map
a role session's calls back through accessKeyId, sourceIdentity and sessionIssuer to the originating caller) and
the CloudTrail userIdentity element.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.cloudtrail import origin, trace
from sandboxes.models import Sandbox

from . import exclusions
from .models import TrailEvent

# How far back the newest matching event is looked for, past the lab's own probes.
SUBJECT_WINDOW = 500


@dataclass(frozen=True)
class Exercise:
    number: int                       # the scenario's number
    question: str
    kind: str                         # "origin": who started the chain behind the event; "refused": its eventName
    event_names: tuple[str, ...] = ()
    bucket: str | None = None
    looks_for: tuple[str, ...] = field(default_factory=tuple)   # what a defender checks, one point each (HTML)
    hint: str = ""


EXERCISES = {
    1: Exercise(1, "Which IAM user of the auditor account is behind the most recent read of the security logs?",
                "origin", ("GetObject", "ListObjects", "ListObjectsV2"), "securecart-security-logs",
                ("<code>userIdentity.type</code> is <code>AssumedRole</code>: the session, not the person.",
                 "The production account's copy of the AssumeRole names only the auditor <em>account</em> "
                 "(<code>AWSAccount</code>); the auditor account's copy, with the same <code>sharedEventID</code>, "
                 "names the user.",
                 "<code>requestParameters.externalId</code> shows the third-party guard was used."),
                "Follow the session's accessKeyId to the AssumeRole that issued it."),
    2: Exercise(2, "Which person (the SAML subject) is behind the most recent DescribeInstances in the developer "
                "account?", "origin", ("DescribeInstances",),
                looks_for=("Identity Center's role sessions are <code>AssumedRole</code> sessions of an "
                           "<code>AWSReservedSSO_…</code> role.",
                           "The issuing <code>AssumeRoleWithSAML</code> has <code>userIdentity.type</code> "
                           "<code>SAMLUser</code>: its <code>userName</code> is the person.",
                           "<code>sessionContext.attributes.mfaAuthenticated</code>: did the person use MFA?"),
                hint="Trace the DescribeInstances event: the top of the chain is the SAML sign-in."),
    3: Exercise(3, "Who (the identity provider's subject) is behind the most recent read or write of the product "
                "images with federated credentials?", "origin",
                ("GetObject", "PutObject", "ListObjects", "ListObjectsV2"), "securecart-product-images",
                ("<code>AssumeRoleWithSAML</code> and <code>AssumeRoleWithWebIdentity</code> are unsigned: the "
                 "event's <code>userIdentity</code> is <code>SAMLUser</code> or <code>WebIdentityUser</code>.",
                 "<code>identityProvider</code> names the IdP; <code>sourceIdentity</code>, when set, follows the "
                 "session through every later hop.",
                 "Refused federation calls carry <code>errorCode</code>: forged or replayed assertions show up "
                 "here."),
                "Trace the S3 data event back to the federation call."),
    4: Exercise(4, "Which EC2 instance's credentials made the most recent read of the product images?", "origin",
                ("GetObject",), "securecart-product-images",
                ("Instance credentials come from an <code>AssumeRole</code> with <code>userIdentity.type</code> "
                 "<code>AWSService</code>, <code>invokedBy</code> <code>ec2.amazonaws.com</code>.",
                 "The role session name is the instance id: the principal ARN ends in <code>/i-…</code>.",
                 "GuardDuty's <em>InstanceCredentialExfiltration</em>: the same credentials used from somewhere "
                 "else than the instance."),
                "The issuing event's roleSessionName is the instance id."),
    5: Exercise(5, "Which call (its eventName) was refused most recently, and so needed MFA?", "refused",
                looks_for=("<code>errorCode</code> <code>AccessDenied</code> with an <code>errorMessage</code> "
                           "naming the action.",
                           "<code>GetSessionToken</code>'s <code>requestParameters.serialNumber</code>: MFA was "
                           "offered.",
                           "On the session's later calls, <code>sessionContext.attributes.mfaAuthenticated</code> "
                           "is <code>true</code>."),
                hint="Filter the event history to refused calls."),
    6: Exercise(6, "Which IAM user is behind the release manifest's PutObject?", "origin", ("PutObject",),
                "securecart-product-images",
                ("Each hop is its own <code>AssumedRole</code> session: the PutObject names only role B's session.",
                 "<code>sessionContext.sessionIssuer.arn</code> is the role; <code>accessKeyId</code> links the "
                 "session to the <code>AssumeRole</code> that issued it, whose caller is role A's session.",
                 "Role chaining shows as an <code>AssumeRole</code> whose caller is itself an "
                 "<code>AssumedRole</code>."),
                "Trace the PutObject: two hops lead back to a long-term key."),
    10: Exercise(10, "Which call (its eventName) was refused most recently?", "refused",
                 looks_for=("A guardrail's refusal: <code>errorCode</code> <code>AccessDenied</code> (or "
                            "<code>AccessDeniedException</code>) and an <code>errorMessage</code> ending <em>with an "
                            "explicit deny in a service control policy</em> or <em>resource control policy</em>.",
                            "<code>awsRegion</code>: a call the region guardrail kept out shows where it was "
                            "aimed.",
                            "<code>recipientAccountId</code>: the member account whose guardrail applied, never the "
                            "management account."),
                 hint="Filter the event history to refused calls."),
}


def subject_event(sandbox: Sandbox, exercise: Exercise) -> TrailEvent | None:
    """The event the question is about: the newest matching one the learner made (never the lab's own probes)."""
    events = TrailEvent.objects.filter(sandbox=sandbox).newest_first()
    if exercise.kind == "refused":
        events = events.exclude(error_code="")
    else:
        events = events.filter(event_name__in=exercise.event_names, error_code="", access_key_id__startswith="ASIA")
        if exercise.bucket:
            events = events.filter(resources_text__contains=f"arn:aws:s3:::{exercise.bucket}")
    hidden = exclusions.hidden_request_ids(sandbox)
    for event in events[:SUBJECT_WINDOW].iterator():
        if event.record.get("requestID") not in hidden:
            return event
    return None


def chain_for(sandbox: Sandbox, event: TrailEvent) -> list:
    """The trace of an event through the sandbox's issuing events (only those can be links)."""
    issuers = TrailEvent.objects.filter(sandbox=sandbox).exclude(issued_key="").values_list("record", flat=True)
    return trace(event.record, issuers)


def expected_answers(sandbox: Sandbox, exercise: Exercise) -> tuple[TrailEvent | None, set[str]]:
    event = subject_event(sandbox, exercise)
    if event is None:
        return None, set()
    if exercise.kind == "refused":
        return event, {event.event_name.lower()}
    top = origin(chain_for(sandbox, event))
    return event, {value.lower() for value in (top["name"], top["arn"]) if value}


def check(sandbox: Sandbox, exercise: Exercise, answer: str) -> tuple[bool | None, TrailEvent | None]:
    """(True/False, the event), or (None, None) while the sandbox has no event to ask about."""
    event, accepted = expected_answers(sandbox, exercise)
    if event is None:
        return None, None
    return answer.strip().lower() in accepted, event
