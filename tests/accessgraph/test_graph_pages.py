"""The access graph on the SecureCart world as learners have it (the sandbox built by a first visit, challenges
seeded on first use, changes made through the gateway with real signed calls): issue 26's "Done when" for the
graph."""
from __future__ import annotations

import json

from challenges import catalog, probes
from challenges.seeding import ensure_seeded
from engine.graph import shortest_path
from sandboxes.labclient import lab, learner_client


def _arn(ids: dict[str, str], account: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{ids[account]}:{kind}/{name}"


def _admin_iam(learner):
    """lab-admin's IAM client, signed and sent through the gateway as a learner's console is."""
    key = probes.key_of(learner.sandbox, "lab-admin", "production")
    return learner_client("iam", access_key_id=key.access_key_id, secret_access_key=key.secret_access_key)


def _set_boundary(learner, name: str, document: dict) -> None:
    """As lab-admin, through the gateway: the challenge's commands."""
    iam = _admin_iam(learner)
    arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="junior-dev", PermissionsBoundary=arn)


def _attackers() -> list:
    return [c for c in catalog.challenges() if c.track == catalog.ATTACKER]


# The lead's wording of the wrong solution: s3:* on * plus self-management (everything on his own user, removing
# the boundary included). The challenge file's own `all-s3` mistake lets him write policies but not lift the cap.
SELF_MANAGED = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::{production}:user/junior-dev"}]}
ADMIN = None     # the target "admin-equivalent" (engine/graph.py's definition), not one principal
# Each attacker challenge: where it starts, where it must end (a role, a user, or ADMIN when the start escalates
# itself), the methods of the intended path (the challenge file's `solution`); None for a false positive (the
# file's `false_positive`: the scanner's finding is wrong, so the graph must find no path either).
INTENDED = {
    "wildcard-trust": (("auditor", "vendor-contractor"), ("role", "Challenge-LegacyReporting"), ["assume-role"]),
    "update-assume-role-policy": (("production", "ci-deployer"), ("role", "Challenge-BreakGlass"),
                                  ["update-trust"]),
    "passrole-runinstances": (("production", "build-agent"), ("role", "Challenge-InstanceAdmin"), ["passrole-ec2"]),
    "chain-to-root-trust": (("developer", "support-oncall"), ("role", "Challenge-DataExport"),
                            ["assume-role", "assume-role"]),
    "confused-deputy": (("auditor", "reportco-service"), ("role", "Challenge-VendorSync"), ["assume-role"]),
    "create-policy-version": (("production", "release-bot"), ADMIN, ["create-policy-version"]),
    "set-default-policy-version": (("production", "log-shipper"), ADMIN, ["set-default-policy-version"]),
    "attach-user-policy": (("production", "ops-intern"), ADMIN, ["attach-user-policy"]),
    "attach-role-policy": (("production", "report-dev"), ADMIN, ["attach-role-policy", "assume-role"]),
    "put-user-policy": (("production", "metrics-bot"), ADMIN, ["put-user-policy"]),
    "put-role-policy": (("production", "job-scheduler"), ADMIN, ["put-role-policy", "assume-role"]),
    "create-access-key": (("production", "helpdesk-bot"), ("user", "db-admin"), ["create-access-key"]),
    "create-login-profile": (("production", "support-lead"), ("user", "finance-admin"), ["create-login-profile"]),
    "add-user-to-group": (("production", "intern-sasha"), ADMIN, ["add-user-to-group"]),
    "put-group-policy": (("production", "analyst-kim"), ADMIN, ["put-group-policy"]),
    "replace-access-key": (("production", "key-rotator"), ("user", "ci-release"), ["replace-access-key"]),
    "looks-exploitable-mfa": (("production", "audit-bot"), ADMIN, None),              # MFA it cannot have
    "looks-exploitable-boundary": (("production", "deploy-helper"), ADMIN, None),     # a boundary it cannot lift
}


def test_no_world_principal_reaches_admin_and_each_attacker_challenge_has_its_path(learner) -> None:
    graph = lab().access_graph(learner.sandbox.id)
    starts = [n for n in graph["nodes"] if n["kind"] in ("user", "role", "saml-provider", "oidc-provider")
              and not n["admin"]]
    assert len(starts) > 10
    assert [n["id"] for n in starts if shortest_path(graph, n["id"]) is not None] == []
    assert {n["name"] for n in graph["nodes"] if n["admin"]} == {"lab-admin"}

    assert set(INTENDED) == {c.slug for c in _attackers()}
    ids = learner.sandbox.account_ids()
    for challenge in _attackers():
        assert list(challenge.start) == [INTENDED[challenge.slug][0]], challenge.slug
        ensure_seeded(learner.sandbox, challenge)
    graph = lab().access_graph(learner.sandbox.id)
    nodes = {n["id"]: n for n in graph["nodes"]}
    for slug, ((account, user), target, methods) in INTENDED.items():
        start = _arn(ids, account, "user", user)
        goal = None if target is ADMIN else _arn(ids, "production", *target)
        path = shortest_path(graph, start, goal)
        assert (methods is None) is catalog.get(slug).false_positive, slug
        if methods is None:
            assert path is None, slug
            continue
        assert path is not None, slug
        assert [e["method"] for e in path] == methods, slug
        assert all(p["allowed"] for e in path for p in e["proofs"]), slug
        # the challenges that end in a user or a role end where the file says; an admin path ends in the start
        # user made admin, or (attach/put-role-policy) in the role it granted and then assumed
        if goal is not None:
            assert path[-1]["target"] == goal, slug
        else:
            assert path[0]["source"] == start and not nodes[start]["admin"], slug
    # the role that demands an ExternalId is reached only with it; the chain goes through Challenge-Support
    audit = shortest_path(graph, _arn(ids, "auditor", "user", "reportco-service"),
                          _arn(ids, "production", "role", "SecureCart-AuditRole"))
    assert audit is not None and audit[0]["needs"] == {"ExternalId": "SecureCart-Audit-7F3K9Q"}
    chain = shortest_path(graph, _arn(ids, "developer", "user", "support-oncall"),
                          _arn(ids, "production", "role", "Challenge-DataExport"))
    assert chain[0]["target"].endswith("role/Challenge-Support")
    # the challenges that end in another principal reach no admin, unless that principal is one (finance-admin)
    for slug, ((account, user), target, _) in INTENDED.items():
        if target is ADMIN:
            continue
        to_admin = shortest_path(graph, _arn(ids, account, "user", user))
        assert (to_admin is not None) is nodes[_arn(ids, "production", *target)]["admin"], slug
    # a user with two keys is reached only through DeleteAccessKey: the create-access-key challenge's db-admin has
    # one, so helpdesk-bot's plain CreateAccessKey is the edge; ci-release's are two, so key-rotator's is a replace
    replace = shortest_path(graph, _arn(ids, "production", "user", "key-rotator"),
                            _arn(ids, "production", "user", "ci-release"))
    assert [p["action"] for p in replace[0]["proofs"]] == ["iam:DeleteAccessKey", "iam:CreateAccessKey"]


def test_junior_dev_reaches_admin_until_the_right_boundary(learner) -> None:
    spec = catalog.get("boundary-stops-escalation")
    ensure_seeded(learner.sandbox, spec)
    ids = learner.sandbox.account_ids()
    values = probes.placeholder_values(learner.sandbox, spec)

    def document(name: str) -> dict:
        """One of the challenge file's documents, as its commands send it in this sandbox."""
        return probes.document(spec, f"doc:{name}", values)
    junior = _arn(ids, "production", "user", "junior-dev")

    def path() -> list | None:
        return shortest_path(lab().access_graph(learner.sandbox.id), junior)

    seeded = path()      # the seed: PutUserPolicy on himself, nothing caps it
    assert seeded is not None and [e["method"] for e in seeded] == ["put-user-policy"]
    _set_boundary(learner, "Challenge-WideBoundary", document("too-wide"))   # the file's mistake `too-wide`
    assert path() is not None
    # the file's mistake `all-s3`: every bucket, but his policy writes stay capped (no iam:* after the boundary,
    # and he cannot lift it), so the graph, whose bar is iam:* on *, shows no path to admin
    _set_boundary(learner, "Challenge-S3Boundary", document("all-s3"))
    assert path() is None
    _set_boundary(learner, "Challenge-SelfManagedBoundary",                   # s3:* plus self-management
                  json.loads(json.dumps(SELF_MANAGED).replace("{production}", ids["production"])))
    lifted = path()
    assert lifted is not None
    assert lifted[0]["cli"][0] == "aws iam delete-user-permissions-boundary --user-name junior-dev"
    _set_boundary(learner, "Challenge-DeveloperBoundary", document("boundary"))   # the file's solution
    assert path() is None


# ---- the page ----------------------------------------------------------------------------------------------------------
def test_the_page_draws_the_graph_lists_its_edges_and_finds_the_path(learner) -> None:
    ensure_seeded(learner.sandbox, catalog.get("boundary-stops-escalation"))
    ids = learner.sandbox.account_ids()
    page = learner.client.get("/graph/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'class="edge-list"' in html and "SecureCart-DeployPipeline" in html
    start = _arn(ids, "production", "user", "junior-dev")
    found = learner.client.get("/graph/", {"start": start}).content.decode()
    assert "From junior-dev to admin" in found and "No path" not in found
    assert "ManageOwnPolicies" in found                       # the deciding statement, named
    assert "identity=key%3Aproduction%2Fjunior-dev" in found   # the replay signs as junior-dev
    ci = _arn(ids, "developer", "user", "securecart-ci")
    assert "No path" in learner.client.get("/graph/", {"start": ci}).content.decode()
    to_release = learner.client.get("/graph/", {"start": ci, "target": _arn(ids, "production", "role",
                                                                             "SecureCart-ReleaseManager")})
    assert to_release.content.decode().count('class="edge-row on-path"') == 2


def test_another_sandboxs_principals_are_refused_and_never_shown(learner, other_learner) -> None:
    theirs = other_learner.sandbox.account_ids()
    foreign = _arn(theirs, "production", "user", "lab-admin")
    page = learner.client.get("/graph/", {"start": foreign})
    assert page.status_code == 400
    assert "not in your sandbox" in page.content.decode()
    assert all(account not in page.content.decode() for account in theirs.values())
    assert learner.client.get("/graph/", {"start": "x" * 5000}).status_code == 400
    assert learner.client.post("/graph/").status_code == 405


def test_an_edit_turns_the_edge_it_opens_red_until_the_graph_changes_again(learner) -> None:
    ensure_seeded(learner.sandbox, catalog.get("update-assume-role-policy"))
    ids = learner.sandbox.account_ids()
    assert "New since the previous graph" not in learner.client.get("/graph/").content.decode()
    iam = _admin_iam(learner)
    iam.update_assume_role_policy(RoleName="Challenge-BreakGlass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "AWS": _arn(ids, "production", "user", "ci-deployer")}, "Action": "sts:AssumeRole"}]}))
    for _ in range(2):                                        # a reload keeps it
        html = learner.client.get("/graph/").content.decode()
        assert html.count("edge edge-become edge-new") == 1 and "ci-deployer → Challenge-BreakGlass" in html
    iam.update_assume_role_policy(RoleName="Challenge-BreakGlass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    html = learner.client.get("/graph/").content.decode()
    # the edit closed ci-deployer's edge and gave EC2 its own back: that one is what this edit opened
    assert "ci-deployer → Challenge-BreakGlass: assume-role" not in html      # its update-trust edge remains
    assert html.count("edge-new") == 1 and 'edge-new" aria-label="ec2.amazonaws.com → Challenge-BreakGlass' in html
    learner.client.post("/sandbox/reset/")
    from accessgraph.models import GraphMemory
    assert not GraphMemory.objects.filter(sandbox=learner.sandbox).exists()


def test_the_console_opens_with_a_replayed_command_and_ignores_a_bad_one(learner, settings) -> None:
    # The prefill is the page's, whatever runs the commands: the console off skips the jail's start-up probe (up
    # to 30 s on a loaded machine). The browser test opens the console as configured by default.
    settings.LAB_CONSOLE = "off"
    page = learner.client.get("/challenges/console/", {"command": "aws sts get-caller-identity",
                                                        "identity": "key:developer/developer"}).content.decode()
    assert 'value="aws sts get-caller-identity"' in page
    assert '<option value="key:developer/developer" selected>' in page
    # an identity the console does not offer (another sandbox's, made up) is not selected; a bad command not shown
    page = learner.client.get("/challenges/console/", {"command": "aws s3 ls\nrm -rf /",
                                                        "identity": "key:production/mallory"}).content.decode()
    assert "rm -rf" not in page and 'value="aws "' in page and "mallory" not in page


def test_the_instructor_opens_one_students_graph_and_nobody_else_can(signed_in_instructor) -> None:
    from tests.classroom.test_classroom import join

    iris, ivan = signed_in_instructor("iris"), signed_in_instructor("ivan")
    assert iris.post("/class/new/", {"title": "Graphs"}).status_code == 302
    from classroom.models import Classroom
    classroom = Classroom.objects.get(title="Graphs")
    student_client, student = join(classroom, "sam")
    url = f"/graph/class/{classroom.code}/students/{student.id}/"
    page = iris.get(url)
    assert page.status_code == 200 and "sam’s sandbox" in page.content.decode()
    assert "Replay in the console" not in page.content.decode()      # read-only
    assert ivan.get(url).status_code == 404                        # another instructor's class
    assert student_client.get(url).status_code in (302, 403)       # a student is no instructor
    assert iris.get(f"/graph/class/{classroom.code}/students/{student.id + 999}/").status_code == 404
    assert url in iris.get(f"/class/{classroom.code}/students/{student.id}/").content.decode()


def test_attacker_challenges_and_the_guardrails_recap_link_the_graph(learner, settings) -> None:
    settings.LAB_CONSOLE = "off"      # the console's jail probe is not what this test is about (see above)
    ids = learner.sandbox.account_ids()
    attacker = learner.client.get("/challenges/passrole-runinstances/").content.decode()
    start = f"arn%3Aaws%3Aiam%3A%3A{ids['production']}%3Auser%2Fbuild-agent"
    assert f'href="/graph/?start={start}"' in attacker
    builder = learner.client.get("/challenges/boundary-stops-escalation/").content.decode()
    assert "/graph/" not in builder
    recap = learner.client.get("/scenarios/organization-guardrails/recap/").content.decode()
    assert 'href="/graph/"' in recap
    assert 'href="/graph/"' not in learner.client.get("/scenarios/cross-account-auditors/recap/").content.decode()
