"""The access graph on the SecureCart world as learners have it (the sandbox built by a first visit, challenges
seeded on first use, changes made through the gateway with real signed calls): issue 26's "Done when" for the
graph."""
from __future__ import annotations

import json

import pytest

from challenges.catalog import ATTACKERS, BOUNDARY, BOUNDARY_TOO_WIDE, BY_SLUG
from challenges.seeding import client_for, ensure_seeded, key_of
from engine.graph import shortest_path
from sandboxes.labclient import lab


def _arn(ids: dict[str, str], account: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{ids[account]}:{kind}/{name}"


def test_no_world_principal_reaches_admin(learner) -> None:
    graph = lab().access_graph(learner.sandbox.id)
    starts = [n for n in graph["nodes"] if n["kind"] in ("user", "role", "saml-provider", "oidc-provider")
              and not n["admin"]]
    assert len(starts) > 10
    reaching = [n["id"] for n in starts if shortest_path(graph, n["id"]) is not None]
    assert reaching == []
    admins = {n["name"] for n in graph["nodes"] if n["admin"]}
    assert admins == {"lab-admin"}


def _set_boundary(learner, name: str, document: dict) -> None:
    """As lab-admin, through the gateway: the challenge's commands."""
    iam = client_for("iam", key_of(learner.sandbox, "lab-admin", "production"))
    arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="junior-dev", PermissionsBoundary=arn)


# The lead's wording of the wrong solution: s3:* on * plus self-management (everything on his own user).
SELF_MANAGED = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::{production}:user/junior-dev"}]}


@pytest.mark.parametrize("boundary, reaches_admin", [
    (None, True),                               # the seed: PutUserPolicy on himself, nothing caps it
    (BOUNDARY_TOO_WIDE, True),                  # the challenge's documented wrong attempt
    (SELF_MANAGED, True),                       # s3:* plus self-management: he removes the boundary first
    (BOUNDARY, False),                          # the documented solution
], ids=["seed", "wide-boundary", "s3-plus-self-management", "solution"])
def test_junior_dev_reaches_admin_until_the_right_boundary(learner, boundary, reaches_admin) -> None:
    ensure_seeded(learner.sandbox, BY_SLUG["boundary-stops-escalation"])
    ids = learner.sandbox.account_ids()
    if boundary is not None:
        _set_boundary(learner, "Challenge-Boundary",
                      json.loads(json.dumps(boundary).replace("{production}", ids["production"])))
    graph = lab().access_graph(learner.sandbox.id)
    path = shortest_path(graph, _arn(ids, "production", "user", "junior-dev"))
    assert (path is not None) == reaches_admin
    if boundary is SELF_MANAGED:
        assert path[0]["cli"][0] == "aws iam delete-user-permissions-boundary --user-name junior-dev"


# Each attacker challenge: where it starts, where it must end, the methods of the intended path.
INTENDED = {
    "wildcard-trust": (("auditor", "vendor-contractor"), "Challenge-LegacyReporting", ["assume-role"]),
    "update-assume-role-policy": (("production", "ci-deployer"), "Challenge-BreakGlass", ["update-trust"]),
    "passrole-runinstances": (("production", "build-agent"), "Challenge-InstanceAdmin", ["passrole-ec2"]),
    "chain-to-root-trust": (("developer", "support-oncall"), "Challenge-DataExport", ["assume-role", "assume-role"]),
    "confused-deputy": (("auditor", "reportco-service"), "Challenge-VendorSync", ["assume-role"]),
}


def test_the_graph_finds_each_attacker_challenges_intended_path(learner) -> None:
    assert set(INTENDED) == {c.slug for c in ATTACKERS}
    ids = learner.sandbox.account_ids()
    for challenge in ATTACKERS:
        ensure_seeded(learner.sandbox, challenge)
    graph = lab().access_graph(learner.sandbox.id)
    for slug, ((account, user), role, methods) in INTENDED.items():
        path = shortest_path(graph, _arn(ids, account, "user", user), _arn(ids, "production", "role", role))
        assert path is not None, slug
        assert [e["method"] for e in path] == methods, slug
        assert all(p["allowed"] for e in path for p in e["proofs"])
    # the wrong attempts the catalog documents are refused the same way: no ExternalId, no way into the role
    confused = shortest_path(graph, _arn(ids, "auditor", "user", "reportco-service"),
                             _arn(ids, "production", "role", "SecureCart-AuditRole"))
    assert confused is not None and confused[0]["needs"] == {"ExternalId": "SecureCart-Audit-7F3K9Q"}
    chain = shortest_path(graph, _arn(ids, "developer", "user", "support-oncall"),
                          _arn(ids, "production", "role", "Challenge-DataExport"))
    assert chain[0]["target"].endswith("role/Challenge-Support")
