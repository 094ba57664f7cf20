"""engine.graph: every edge the access graph draws is one the engine allows, and each wrong edge a graph could draw
is refused here: a trust policy that denies, a boundary, an SCP or an RCP that removes it, a condition the caller
cannot meet, a session policy that narrows a session, another sandbox's principals. Snapshots are built by hand
(engine.directory dataclasses), so these tests need no moto and run in milliseconds; the last ones go through a
Lab reading moto, as the product does."""
from __future__ import annotations

import json
from typing import Any

from engine.directory import (AccountEntities, GroupInfo, InstanceProfileInfo, OrgLevel, OrgMembership,
                              OrgPolicyText, PolicyText, RoleInfo, UserInfo)
from test_sts_world import World, trust, world  # noqa: F401  (fixture)

from engine.graph import (ADMIN_PROBES, METHODS, KeptSession, SandboxPrincipals, build_graph, new_edges,
                          shortest_path)

A, B, OUT = "111111111111", "222222222222", "333333333333"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trusts(principal: Any, action: str = "sts:AssumeRole", effect: str = "Allow", **extra: Any) -> str:
    return doc({"Effect": effect, "Principal": principal, "Action": action, **extra})


def user(account: str, name: str, *policies: str, boundary: str | None = None, mfa: bool = False,
         managed: tuple[tuple[str, str], ...] = ()) -> UserInfo:
    texts = [PolicyText(f"p{i}", text) for i, text in enumerate(policies)]
    texts += [PolicyText(arn.rsplit("/", 1)[-1], text, arn, "managed") for arn, text in managed]
    return UserInfo(account, name, f"arn:aws:iam::{account}:user/{name}", "AIDA" + name.upper()[:10].ljust(10, "X"),
                    "/", {}, texts, boundary, mfa_serials=[f"arn:aws:iam::{account}:mfa/{name}"] if mfa else [])


def role(account: str, name: str, trust: str, *policies: str, boundary: str | None = None) -> RoleInfo:
    return RoleInfo(account, name, f"arn:aws:iam::{account}:role/{name}", "AROA" + name.upper()[:10].ljust(10, "X"),
                    "/", trust, {}, 3600, [PolicyText(f"r{i}", text) for i, text in enumerate(policies)], boundary)


def uarn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def rarn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def snapshot(*entities: AccountEntities, boundaries: dict[str, str] | None = None,
             organizations: dict[str, OrgMembership | None] | None = None,
             sessions: tuple[KeptSession, ...] = ()) -> SandboxPrincipals:
    return SandboxPrincipals({"production": A, "developer": B}, tuple(entities), organizations or {},
                             boundaries or {}, sessions)


def graph(*entities: AccountEntities, **kwargs: Any) -> dict[str, Any]:
    return build_graph(snapshot(*entities, **kwargs)).to_dict()


def edges(g: dict[str, Any], method: str | None = None) -> set[tuple[str, str]]:
    return {(e["source"], e["target"]) for e in g["edges"] if method is None or e["method"] == method}


def edge(g: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    return next(e for e in g["edges"] if e["source"] == source and e["target"] == target)


ASSUME_ANY = doc(allow("sts:AssumeRole"))
READ = doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))
EVERYTHING = doc(allow("*"))


# ---- assume role ---------------------------------------------------------------------------------------------
def test_an_edge_is_drawn_when_trust_and_identity_allow_and_names_its_deciding_statements() -> None:
    g = graph(AccountEntities(B, users=(user(B, "dev", ASSUME_ANY),)),
              AccountEntities(A, roles=(role(A, "Target", trusts({"AWS": f"arn:aws:iam::{B}:root"}), READ),)))
    e = edge(g, uarn(B, "dev"), rarn(A, "Target"))
    assert e["method"] == "assume-role" and e["needs"] == {}
    roles_deciding = {d["role"] for d in e["proofs"][0]["deciding"]}
    assert roles_deciding == {"identity", "resource"}     # cross-account: both sides granted
    assert e["cli"] == [f"aws sts assume-role --role-arn {rarn(A, 'Target')} --role-session-name graph"]


def test_no_edge_when_the_trust_policy_denies_even_though_it_also_allows() -> None:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": uarn(B, "dev")}, "Action": "sts:AssumeRole"})
    g = graph(AccountEntities(B, users=(user(B, "dev", ASSUME_ANY), user(B, "ops", ASSUME_ANY))),
              AccountEntities(A, roles=(role(A, "Target", trust),)))
    assert (uarn(B, "dev"), rarn(A, "Target")) not in edges(g)
    assert (uarn(B, "ops"), rarn(A, "Target")) in edges(g)


def test_no_cross_account_edge_when_only_the_trust_allows() -> None:
    """A trust naming the account delegates to the account's own policies: without sts:AssumeRole, no edge."""
    g = graph(AccountEntities(B, users=(user(B, "dev", READ),)),
              AccountEntities(A, roles=(role(A, "Target", trusts({"AWS": f"arn:aws:iam::{B}:root"})),)))
    assert edges(g) == set()


def test_an_identity_resource_with_a_policy_variable_still_draws_its_edge() -> None:
    """The graph skips pairs whose identity policy cannot allow without evaluating them; a Resource with a policy
    variable is never skipped that way (its value depends on the caller)."""
    named = doc(allow("sts:AssumeRole", "arn:aws:iam::*:role/${aws:username}-role"))
    g = graph(AccountEntities(B, users=(user(B, "dev", named), user(B, "ops", named))),
              AccountEntities(A, roles=(role(A, "dev-role", trusts({"AWS": f"arn:aws:iam::{B}:root"})),)))
    assert edges(g) == {(uarn(B, "dev"), rarn(A, "dev-role"))}


def test_a_same_account_trust_naming_the_user_grants_on_its_own() -> None:
    g = graph(AccountEntities(A, users=(user(A, "dev", READ),),
                              roles=(role(A, "Target", trusts({"AWS": uarn(A, "dev")})),)))
    assert (uarn(A, "dev"), rarn(A, "Target")) in edges(g, "assume-role")


def test_a_boundary_removes_the_edge_its_identity_policy_grants() -> None:
    boundary = f"arn:aws:iam::{B}:policy/ReadOnly"
    target = AccountEntities(A, roles=(role(A, "Target", trusts({"AWS": f"arn:aws:iam::{B}:root"})),))
    g = graph(AccountEntities(B, users=(user(B, "dev", ASSUME_ANY, boundary=boundary),)), target,
              boundaries={boundary: READ})
    assert edges(g) == set()
    assert edges(graph(AccountEntities(B, users=(user(B, "dev", ASSUME_ANY),)), target)) != set()


FULL_SCP = OrgPolicyText("p-FullAWSAccess", "FullAWSAccess", "SERVICE_CONTROL_POLICY", EVERYTHING, True)
FULL_RCP = OrgPolicyText("p-RCPFullAWSAccess", "RCPFullAWSAccess", "RESOURCE_CONTROL_POLICY",
                         doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}), True)


def _org(account: str, policies: tuple[OrgPolicyText, ...], management: str = "999999999999") -> OrgMembership:
    """An account of organization o-example, directly under the root (FullAWSAccess and RCPFullAWSAccess there)."""
    levels = (OrgLevel("root", "r-root", "Root", (FULL_SCP, FULL_RCP)), OrgLevel("account", account, account, policies))
    return OrgMembership("o-example", management, account, levels,
                         frozenset({"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}))


def test_an_scp_removes_the_edge_and_the_management_account_is_exempt() -> None:
    scp = OrgPolicyText("p-noassume", "NoAssume", "SERVICE_CONTROL_POLICY", doc(deny("sts:AssumeRole")), False)
    full = FULL_SCP
    entities = (AccountEntities(B, users=(user(B, "dev", ASSUME_ANY),)),
                AccountEntities(A, roles=(role(A, "Target", trusts({"AWS": f"arn:aws:iam::{B}:root"})),)))
    member = graph(*entities, organizations={B: _org(B, (full, scp))})
    assert edges(member) == set()
    manager = graph(*entities, organizations={B: _org(B, (full, scp), management=B)})
    assert (uarn(B, "dev"), rarn(A, "Target")) in edges(manager)


def test_an_rcp_on_the_roles_account_removes_the_edge() -> None:
    rcp = OrgPolicyText("p-rcp", "OnlyOurOrg", "RESOURCE_CONTROL_POLICY", doc({
        "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"}}}), False)
    full = FULL_RCP
    entities = (AccountEntities(B, users=(user(B, "dev", ASSUME_ANY),)),
                AccountEntities(A, roles=(role(A, "Target", trusts({"AWS": f"arn:aws:iam::{B}:root"})),)))
    assert edges(graph(*entities, organizations={A: _org(A, (full, rcp))})) == set()
    assert edges(graph(*entities, organizations={A: _org(A, (full,))})) != set()     # the RCP is what removes it
    # the same RCP lets a principal of the organization through
    inside = graph(*entities, organizations={A: _org(A, (full, rcp)), B: _org(B, (FULL_SCP,))})
    assert (uarn(B, "dev"), rarn(A, "Target")) in edges(inside)


# ---- conditions ----------------------------------------------------------------------------------------------------
def test_an_external_id_the_trust_names_is_supplied_and_shown_as_needed() -> None:
    trust = trusts({"AWS": f"arn:aws:iam::{B}:root"}, Condition={"StringEquals": {"sts:ExternalId": "Audit-42"}})
    g = graph(AccountEntities(B, users=(user(B, "dev", ASSUME_ANY),)),
              AccountEntities(A, roles=(role(A, "Target", trust),)))
    e = edge(g, uarn(B, "dev"), rarn(A, "Target"))
    assert e["needs"] == {"ExternalId": "Audit-42"}
    assert "--external-id 'Audit-42'" in e["cli"][0]
    assert e["proofs"][0]["context"] == {"sts:ExternalId": "Audit-42"}


def test_an_mfa_condition_draws_an_edge_only_for_a_user_with_a_device() -> None:
    trust = trusts({"AWS": f"arn:aws:iam::{B}:root"}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    g = graph(AccountEntities(B, users=(user(B, "nodevice", ASSUME_ANY), user(B, "phone", ASSUME_ANY, mfa=True))),
              AccountEntities(A, roles=(role(A, "Ops", trust),)))
    assert edges(g) == {(uarn(B, "phone"), rarn(A, "Ops"))}
    assert "MFA" in edge(g, uarn(B, "phone"), rarn(A, "Ops"))["needs"]


def test_conditions_the_caller_does_not_control_draw_no_edge() -> None:
    for condition in ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                      {"StringEquals": {"aws:PrincipalTag/team": "ops"}},
                      {"StringEquals": {"sts:SourceIdentity": "${aws:username}"}}):
        trust = trusts({"AWS": f"arn:aws:iam::{B}:root"}, Condition=condition)
        g = graph(AccountEntities(B, users=(user(B, "dev", ASSUME_ANY),)),
                  AccountEntities(A, roles=(role(A, "Target", trust),)))
        assert edges(g) == set(), condition


def test_a_kept_sessions_policy_narrows_what_the_session_can_become() -> None:
    target = role(A, "Target", trusts({"AWS": f"arn:aws:iam::{A}:root"}))
    hop = role(A, "Hop", trusts({"AWS": f"arn:aws:iam::{B}:root"}), ASSUME_ANY)
    narrow = KeptSession(f"arn:aws:sts::{A}:assumed-role/Hop/narrow", hop.arn, A, "AROAHOP:narrow",
                         (PolicyText("session", READ, None, "session"),))
    wide = KeptSession(f"arn:aws:sts::{A}:assumed-role/Hop/wide", hop.arn, A, "AROAHOP:wide")
    g = graph(AccountEntities(A, roles=(target, hop)), sessions=(narrow, wide))
    assert (hop.arn, target.arn) in edges(g)
    assert (wide.arn, target.arn) in edges(g)
    assert (narrow.arn, target.arn) not in edges(g)


# ---- admin-equivalent and grants ---------------------------------------------------------------------------------
def test_admin_equivalent_means_every_iam_probe_allowed_on_star() -> None:
    g = graph(AccountEntities(A, users=(
        user(A, "admin", EVERYTHING), user(A, "iamadmin", doc(allow("iam:*"))),
        user(A, "almost", EVERYTHING, doc(deny("iam:CreateUser"))),
        user(A, "capped", EVERYTHING, boundary=f"arn:aws:iam::{A}:policy/S3"),
        user(A, "onearn", doc(allow("iam:*", f"arn:aws:iam::{A}:user/*"))))),
        boundaries={f"arn:aws:iam::{A}:policy/S3": doc(allow("s3:*"))})
    admins = {n["name"] for n in g["nodes"] if n["admin"]}
    assert admins == {"admin", "iamadmin"}
    assert len(ADMIN_PROBES) > 5 and all(p.startswith("iam:") for p in ADMIN_PROBES)


SELF_MANAGE = doc(allow(["iam:PutUserPolicy", "iam:DeleteUserPermissionsBoundary"], uarn(A, "junior")))


def test_self_management_is_a_path_to_admin_unless_a_boundary_caps_it() -> None:
    start = uarn(A, "junior")
    open_path = shortest_path(graph(AccountEntities(A, users=(user(A, "junior", SELF_MANAGE),))), start)
    assert open_path and [e["method"] for e in open_path] == ["put-user-policy"]

    tight = f"arn:aws:iam::{A}:policy/Tight"
    capped = graph(AccountEntities(A, users=(user(A, "junior", SELF_MANAGE, boundary=tight),)),
                   boundaries={tight: READ})
    assert shortest_path(capped, start) is None

    # a boundary that allows writing policies but not removing itself still caps what they grant
    writes_only = doc(allow("s3:*"), allow("iam:PutUserPolicy", uarn(A, "junior")))
    assert shortest_path(graph(AccountEntities(A, users=(user(A, "junior", SELF_MANAGE, boundary=tight),)),
                               boundaries={tight: writes_only}), start) is None

    # ... and one that also lets him remove it does not
    self_managed = doc(allow("s3:*"), allow("iam:*", uarn(A, "junior")))
    path = shortest_path(graph(AccountEntities(A, users=(user(A, "junior", SELF_MANAGE, boundary=tight),)),
                               boundaries={tight: self_managed}), start)
    assert path is not None
    assert [p["action"] for p in path[0]["proofs"]][:2] == ["iam:DeleteUserPermissionsBoundary",
                                                          "iam:PutUserPolicy"]
    assert path[0]["cli"][0] == "aws iam delete-user-permissions-boundary --user-name junior"


def test_a_grant_on_a_role_counts_only_with_a_way_into_that_role() -> None:
    writer = doc(allow("iam:PutRolePolicy", rarn(A, "Worker")))
    no_way_in = graph(AccountEntities(A, users=(user(A, "dev", writer),),
                                      roles=(role(A, "Worker", trusts({"Service": "ec2.amazonaws.com"})),)))
    assert edges(no_way_in, "put-role-policy") == {(uarn(A, "dev"), rarn(A, "Worker"))}
    assert shortest_path(no_way_in, uarn(A, "dev")) is None
    way_in = graph(AccountEntities(A, users=(user(A, "dev", writer),),
                                   roles=(role(A, "Worker", trusts({"AWS": uarn(A, "dev")})),)))
    path = shortest_path(way_in, uarn(A, "dev"))
    assert path is not None and {e["method"] for e in path} == {"put-role-policy", "assume-role"}


def test_create_policy_version_and_add_user_to_group_grants() -> None:
    policy = f"arn:aws:iam::{A}:policy/DevTools"
    versioner = user(A, "dev", doc(allow("iam:CreatePolicyVersion", policy)), managed=((policy, READ),))
    joiner = user(A, "joiner", doc(allow("iam:AddUserToGroup", f"arn:aws:iam::{A}:group/Admins")))
    admins = GroupInfo(A, "Admins", f"arn:aws:iam::{A}:group/Admins", (PolicyText("all", EVERYTHING),), ())
    readers = GroupInfo(A, "Readers", f"arn:aws:iam::{A}:group/Readers", (PolicyText("read", READ),), ())
    g = graph(AccountEntities(A, users=(versioner, joiner), groups=(admins, readers)))
    assert [e["method"] for e in shortest_path(g, uarn(A, "dev")) or []] == ["create-policy-version"]
    path = shortest_path(g, uarn(A, "joiner"))
    assert path is not None and path[0]["method"] == "add-user-to-group" and "Admins" in path[0]["cli"][0]


# ---- other methods ---------------------------------------------------------------------------------------------------
EC2_TRUST = trusts({"Service": "ec2.amazonaws.com"})
PROFILE = InstanceProfileInfo(A, "Box", f"arn:aws:iam::{A}:instance-profile/Box", "AIPBOX", (rarn(A, "Box"),))


def _launcher(*extra: dict[str, Any]) -> UserInfo:
    return user(A, "builder", doc(allow("ec2:RunInstances"), *extra))


def test_passrole_with_run_instances_reaches_a_role_ec2_may_assume_through_its_profile() -> None:
    passes = allow("iam:PassRole", rarn(A, "Box"))
    g = graph(AccountEntities(A, users=(_launcher(passes),), roles=(role(A, "Box", EC2_TRUST),),
                              instance_profiles=(PROFILE,)))
    e = edge(g, uarn(A, "builder"), rarn(A, "Box"))
    assert e["method"] == "passrole-ec2" and "Name=Box" in e["cli"][0]
    assert [p["action"] for p in e["proofs"]] == ["ec2:RunInstances", "iam:PassRole", "sts:AssumeRole"]
    # wrong edges: no profile, a trust that does not name EC2, PassRole only to another service
    assert edges(graph(AccountEntities(A, users=(_launcher(passes),), roles=(role(A, "Box", EC2_TRUST),))),
                 "passrole-ec2") == set()
    lambda_trust = trusts({"Service": "lambda.amazonaws.com"})
    assert edges(graph(AccountEntities(A, users=(_launcher(passes),), roles=(role(A, "Box", lambda_trust),),
                                       instance_profiles=(PROFILE,))), "passrole-ec2") == set()
    only_lambda = allow("iam:PassRole", rarn(A, "Box"),
                        Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})
    assert edges(graph(AccountEntities(A, users=(_launcher(only_lambda),), roles=(role(A, "Box", EC2_TRUST),),
                                       instance_profiles=(PROFILE,))), "passrole-ec2") == set()


def test_update_trust_and_create_access_key_edges() -> None:
    editor = user(A, "ci", doc(allow("iam:UpdateAssumeRolePolicy", rarn(A, "Glass"))))
    keymaker = user(A, "helpdesk", doc(allow("iam:CreateAccessKey", uarn(A, "ci"))))
    g = graph(AccountEntities(A, users=(editor, keymaker), roles=(role(A, "Glass", EC2_TRUST),)))
    e = edge(g, uarn(A, "ci"), rarn(A, "Glass"))
    assert e["method"] == "update-trust" and e["cli"][0].startswith("aws iam update-assume-role-policy")
    path = shortest_path(g, uarn(A, "helpdesk"), rarn(A, "Glass"))
    assert [x["method"] for x in path or []] == ["create-access-key", "update-trust"]
    # the key maker may not make keys for anyone else: no edge to itself or other users
    assert edges(g, "create-access-key") == {(uarn(A, "helpdesk"), uarn(A, "ci"))}


def test_a_user_with_two_keys_is_reached_only_by_who_may_also_delete_one() -> None:
    """IAM allows two access keys per user (IAM quotas): a third CreateAccessKey is LimitExceeded, however well
    authorised. The mistake: an edge from CreateAccessKey alone to a user who already has two (pathfinding.cloud
    iam-003 needs DeleteAccessKey first)."""
    victim = user(A, "release", READ)
    victim.access_key_count = 2
    creates = user(A, "creator", doc(allow("iam:CreateAccessKey", uarn(A, "release"))))
    rotates = user(A, "rotator", doc(allow(["iam:CreateAccessKey", "iam:DeleteAccessKey"], uarn(A, "release"))))
    g = graph(AccountEntities(A, users=(victim, creates, rotates)))
    assert edges(g, "create-access-key") == set()
    e = edge(g, uarn(A, "rotator"), uarn(A, "release"))
    assert e["method"] == "replace-access-key" and (uarn(A, "creator"), uarn(A, "release")) not in edges(g)
    assert [p["action"] for p in e["proofs"]] == ["iam:DeleteAccessKey", "iam:CreateAccessKey"]
    assert e["cli"][1].startswith("aws iam delete-access-key --user-name release")
    assert e["cli"][2] == "aws iam create-access-key --user-name release"
    # with one key, CreateAccessKey alone is the way in, for both
    victim.access_key_count = 1
    assert edges(graph(AccountEntities(A, users=(victim, creates, rotates))), "create-access-key") == {
        (uarn(A, "creator"), uarn(A, "release")), (uarn(A, "rotator"), uarn(A, "release"))}


def test_set_default_policy_version_grants_only_when_a_version_on_file_is_admin() -> None:
    """SetDefaultPolicyVersion writes nothing new: it puts a version already on file in force. The mistakes: an
    edge when no stored version is wider (treating it as CreatePolicyVersion), and keeping the old default's Deny
    once the policy has become another version."""
    policy = f"arn:aws:iam::{A}:policy/Shipping"
    def versions(*texts: str) -> tuple[tuple[str, str, str], ...]:
        return tuple((policy, f"v{i + 2}", text) for i, text in enumerate(texts))

    # its default version lets it set versions and denies creating users: the Deny goes with the old version
    shipper = user(A, "shipper", managed=((policy, doc(allow("iam:SetDefaultPolicyVersion", policy),
                                                      deny("iam:CreateUser"))),))
    wide = graph(AccountEntities(A, users=(shipper,), policy_versions=versions(READ, EVERYTHING)))
    path = shortest_path(wide, uarn(A, "shipper"))
    assert [e["method"] for e in path or []] == ["set-default-policy-version"]
    assert path[0]["cli"] == [f"aws iam set-default-policy-version --policy-arn {policy} --version-id v3"]
    assert shortest_path(graph(AccountEntities(A, users=(shipper,), policy_versions=versions(READ))),
                         uarn(A, "shipper")) is None
    # the version is another policy's, or the user may not set it: no edge
    other = ((f"arn:aws:iam::{A}:policy/Other", "v2", EVERYTHING),)
    assert shortest_path(graph(AccountEntities(A, users=(shipper,), policy_versions=other)),
                         uarn(A, "shipper")) is None
    reader = user(A, "shipper", managed=((policy, READ),))
    assert shortest_path(graph(AccountEntities(A, users=(reader,), policy_versions=versions(EVERYTHING))),
                         uarn(A, "shipper")) is None

def test_federated_providers_reach_the_roles_that_trust_them_with_the_claims_needed() -> None:
    provider = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
    trust = trusts({"Federated": provider}, "sts:AssumeRoleWithWebIdentity", Condition={"StringEquals": {
        "token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"}})
    from engine.directory import OidcProviderInfo
    oidc = OidcProviderInfo(A, provider, "token.actions.githubusercontent.com", ("sts.amazonaws.com",), ())
    g = graph(AccountEntities(A, roles=(role(A, "Deploy", trust), role(A, "Other", ASSUME_ANY and EC2_TRUST)),
                              oidc_providers=(oidc,)))
    assert edges(g, "federation") == {(provider, rarn(A, "Deploy"))}
    assert edge(g, provider, rarn(A, "Deploy"))["needs"] == {
        "token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"}


def test_only_the_sandboxes_own_accounts_are_drawn() -> None:
    outsider = AccountEntities(OUT, users=(user(OUT, "mallory", ASSUME_ANY),),
                               roles=(role(OUT, "Theirs", trusts({"AWS": "*"})),))
    g = graph(outsider, AccountEntities(A, roles=(role(A, "Open", trusts({"AWS": "*"})),)))
    assert {n["account"] for n in g["nodes"]} == {A}


def test_new_edges_are_those_the_previous_graph_lacked() -> None:
    before = graph(AccountEntities(A, users=(user(A, "dev", READ),), roles=(role(A, "T", EC2_TRUST),)))
    after = graph(AccountEntities(A, users=(user(A, "dev", READ),), roles=(role(A, "T", trusts({"AWS": uarn(A, "dev")})),)))
    assert new_edges(before, after) == {f"{uarn(A, 'dev')}|assume-role|{rarn(A, 'T')}"}
    assert new_edges(None, after) == set() and new_edges(after, after) == set()


def test_a_sandbox_with_too_many_principals_is_not_evaluated() -> None:
    """A learner can create thousands of principals; the graph refuses to spend seconds of one process on them."""
    from engine.graph import MAX_PRINCIPALS
    many = tuple(user(A, f"u{i}", ASSUME_ANY) for i in range(MAX_PRINCIPALS + 1))
    g = build_graph(snapshot(AccountEntities(A, users=many, roles=(role(A, "T", trusts({"AWS": "*"})),))))
    assert g.too_large == MAX_PRINCIPALS + 2 and g.edges == [] and g.evaluations == 0
    assert g.to_dict()["too_large"] == MAX_PRINCIPALS + 2


def test_every_method_cites_a_source() -> None:
    for method in METHODS.values():
        assert method.sources and all(url.startswith("https://") for _, url in method.sources)


# ---- through a Lab reading moto, as the product does ------------------------------------------------------------------
def test_the_lab_draws_its_sandbox_only_with_its_kept_sessions_and_updates_after_an_edit(world: World) -> None:
    dev = world.login(world.a, "dev", doc(allow("sts:AssumeRole")))
    hop = world.role(world.b, "Hop", trust({"AWS": f"arn:aws:iam::{world.a}:root"}), doc(allow("sts:AssumeRole")))
    locked = world.role(world.b, "Locked", trust({"Service": "ec2.amazonaws.com"}))
    # another sandbox's account: its role trusts everybody, its user may assume anything; neither is drawn
    world.role(world.c, "Theirs", trust({"AWS": "*"}))
    world.user(world.c, "mallory", doc(allow("sts:AssumeRole")))
    session = world.session_caller(world.assume(dev, hop, "kept"))
    before = world.lab.access_graph(world.sandbox)
    assert world.lab.access_graph(world.sandbox) is before      # unchanged sandbox: the graph already built
    assert {n["account"] for n in before["nodes"]} <= {world.a, world.b, ""}
    assert session.arn in {n["id"] for n in before["nodes"] if n["kind"] == "session"}
    assert shortest_path(before, dev.arn, hop) is not None
    assert shortest_path(before, dev.arn, locked) is None
    world.iam(world.b).update_assume_role_policy("Locked", trust({"AWS": hop}))
    after = world.lab.access_graph(world.sandbox)
    assert new_edges(before, after) == {f"{hop}|assume-role|{locked}", f"{session.arn}|assume-role|{locked}"}
    assert [e["method"] for e in shortest_path(after, dev.arn, locked) or []] == ["assume-role", "assume-role"]
