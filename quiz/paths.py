"""Engine-made questions: "which path leads to admin?", from a seeded access graph (issue 26, item 4).

A seed composes a small sandbox (dana, the starting user; erin, another user; the roles Deploy and Admin; an EC2
instance profile) out of escalation ingredients: trust policies, sts:AssumeRole, iam:PassRole + ec2:RunInstances,
iam:CreateAccessKey, iam:UpdateAssumeRolePolicy, iam:PutUserPolicy on herself, a permissions boundary, an MFA
condition. engine.graph builds the access graph, every edge evaluated by the engine; the right option is the
engine's shortest path from dana to an admin-equivalent principal (or "no path" when there is none). The wrong
options are candidate paths over the same principals that the graph refutes: a hop it does not have, or an end
that is not admin-equivalent; each says which.

Ids are `genpath-<seed>`; the same id always builds the same question (random.Random seeded with the id).
"""
from __future__ import annotations

import json
import random
import re
from functools import lru_cache
from typing import Any

from engine.directory import AccountEntities, InstanceProfileInfo, PolicyText, RoleInfo, UserInfo
from engine.graph import METHODS, SandboxPrincipals, build_graph, shortest_path

from .bank import EngineCheck, Exhibit, Option, Question, register_source

ID_RE = re.compile(r"^genpath-(\d{1,9})$")
MAX_SEED = 999_999_999
PREFIX = "genpath-"
PROD = "123456789012"
ARN = {"dana": f"arn:aws:iam::{PROD}:user/dana", "erin": f"arn:aws:iam::{PROD}:user/erin",
       "Deploy": f"arn:aws:iam::{PROD}:role/Deploy", "Admin": f"arn:aws:iam::{PROD}:role/Admin"}
NAME = {arn: name for name, arn in ARN.items()}
BOUNDARY_ARN = f"arn:aws:iam::{PROD}:policy/DanaBoundary"
NO_PATH = "No sequence of calls gets dana to admin-equivalent access."
# Candidate paths (hops of (source, method, target); "admin" ends a grant): the options are drawn from these.
CANDIDATES: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (("dana", "assume-role", "Admin"),),
    (("dana", "assume-role", "Deploy"), ("Deploy", "assume-role", "Admin")),
    (("dana", "assume-role", "Deploy"), ("Deploy", "update-trust", "Admin")),
    (("dana", "assume-role", "Deploy"), ("Deploy", "passrole-ec2", "Admin")),
    (("dana", "passrole-ec2", "Admin"),),
    (("dana", "create-access-key", "erin"), ("erin", "assume-role", "Admin")),
    (("dana", "create-access-key", "erin"), ("erin", "update-trust", "Admin")),
    (("dana", "put-user-policy", "dana"),),
    (("dana", "update-trust", "Admin"),),
    (("dana", "assume-role", "Deploy"), ("Deploy", "put-role-policy", "Deploy")),
)
HOP_WORDS = {"assume-role": "assumes {t}", "update-trust": "rewrites {t}'s trust policy to trust itself, then "
             "assumes {t}", "passrole-ec2": "launches an EC2 instance with {t}'s instance profile and reads its "
             "credentials", "create-access-key": "creates an access key for {t} and signs as {t}",
             "put-user-policy": "writes an inline policy allowing everything on the user {t}",
             "put-role-policy": "writes an inline policy allowing everything on the role {t}"}


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: Any, resource: Any, sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


def _trust(principal: dict[str, str], sid: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


def _compose(rng: random.Random) -> dict[str, Any]:
    """The policies of one seeded sandbox: a few of the ingredients, each present or not."""
    dana: list[dict[str, Any]] = []
    erin: list[dict[str, Any]] = [_allow("s3:GetObject", "arn:aws:s3:::securecart-reports/*", "ReadReports")]
    deploy: list[dict[str, Any]] = [_allow("s3:PutObject", "arn:aws:s3:::securecart-releases/*", "PublishReleases")]
    if rng.random() < 0.6:
        dana.append(_allow("sts:AssumeRole", ARN["Deploy"] if rng.random() < 0.7 else "*", "AssumeDeploy"))
    if rng.random() < 0.35:
        dana.append(_allow("iam:CreateAccessKey", ARN["erin"], "RotateErinsKeys"))
    if rng.random() < 0.3:
        dana.append(_allow(["iam:PutUserPolicy", "iam:GetUserPolicy"], ARN["dana"], "ManageOwnPolicies"))
    if rng.random() < 0.2:
        dana.append(_allow(["iam:PassRole", "ec2:RunInstances"], "*", "LaunchBuilds"))
    if not dana:
        dana.append(_allow("s3:GetObject", "arn:aws:s3:::securecart-reports/*", "ReadReports"))
    boundary = None
    if rng.random() < 0.35:
        boundary = _doc(_allow(["s3:*", "sts:AssumeRole"] + (["iam:PutUserPolicy"] if rng.random() < 0.5 else []),
                               "*", "DanaBoundary"))
    which = rng.randrange(4)
    if which == 0:
        deploy.append(_allow("sts:AssumeRole", ARN["Admin"], "AssumeAdmin"))
    elif which == 1:
        deploy.append(_allow(["iam:PassRole", "ec2:RunInstances"], "*", "LaunchBuilds"))
    elif which == 2:
        deploy.append(_allow("iam:UpdateAssumeRolePolicy", ARN["Admin"], "RotateAdminTrust"))
    else:
        deploy.append(_allow("iam:PutRolePolicy", ARN["Deploy"], "ManageOwnPolicies"))
    if rng.random() < 0.4:
        erin.append(_allow("sts:AssumeRole", ARN["Admin"], "BreakGlass"))
    deploy_trust = rng.choice([_trust({"AWS": ARN["dana"]}, "TrustDana"),
                               _trust({"AWS": f"arn:aws:iam::{PROD}:root"}, "TrustAccount"),
                               _trust({"AWS": f"arn:aws:iam::{PROD}:root"}, "TrustAccountWithMFA",
                                      {"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                               _trust({"AWS": ARN["erin"]}, "TrustErin")])
    admin_trust = rng.choice([_trust({"Service": "ec2.amazonaws.com"}, "EC2Only"),
                              _trust({"AWS": ARN["Deploy"]}, "TrustDeploy"),
                              _trust({"AWS": ARN["erin"]}, "TrustErin"),
                              _trust({"AWS": f"arn:aws:iam::{PROD}:root"}, "TrustAccountWithMFA",
                                     {"Bool": {"aws:MultiFactorAuthPresent": "true"}})])
    return {"dana": _doc(*dana), "erin": _doc(*erin), "Deploy": _doc(*deploy),
            "Deploy trust": deploy_trust, "Admin trust": admin_trust, "boundary": boundary}


def _snapshot(policies: dict[str, Any]) -> SandboxPrincipals:
    def text(name: str) -> PolicyText:
        return PolicyText(name, json.dumps(policies[name]))

    users = (UserInfo(PROD, "dana", ARN["dana"], "AIDADANAEXAMPLE00001", "/", {}, [text("dana")],
                      BOUNDARY_ARN if policies["boundary"] else None),
             UserInfo(PROD, "erin", ARN["erin"], "AIDAERINEXAMPLE00001", "/", {}, [text("erin")], None))
    admin_policy = PolicyText("AdministratorAccess", json.dumps(_doc(_allow("*", "*", "Everything"))))
    roles = (RoleInfo(PROD, "Deploy", ARN["Deploy"], "AROADEPLOYEXAMPLE001", "/",
                      json.dumps(policies["Deploy trust"]), {}, 3600, [text("Deploy")], None),
             RoleInfo(PROD, "Admin", ARN["Admin"], "AROAADMINEXAMPLE0001", "/",
                      json.dumps(policies["Admin trust"]), {}, 3600, [admin_policy], None))
    profile = InstanceProfileInfo(PROD, "Admin", f"arn:aws:iam::{PROD}:instance-profile/Admin", "AIPAADMIN",
                                  (ARN["Admin"],))
    boundaries = {BOUNDARY_ARN: json.dumps(policies["boundary"])} if policies["boundary"] else {}
    return SandboxPrincipals({"production": PROD}, (AccountEntities(PROD, users, roles, (), (profile,)),), {},
                             boundaries)


def _hops_text(hops: tuple[tuple[str, str, str], ...]) -> str:
    return "; then ".join(f"{s} {HOP_WORDS[m].format(t=t)}" for s, m, t in hops)


def _refutation(graph: dict[str, Any], hops: tuple[tuple[str, str, str], ...]) -> str | None:
    """Why the graph refutes a candidate path, or None when it is a path to admin."""
    keys = {e["key"]: e for e in graph["edges"]}
    admins = {n["id"] for n in graph["nodes"] if n["admin"]}
    for source, method, target in hops:
        if f"{ARN[source]}|{method}|{ARN[target]}" not in keys:
            return (f"the engine does not allow {source} to reach {target} this way "
                    f"({METHODS[method].title}): not every call it needs is allowed")
    last = keys[f"{ARN[hops[-1][0]]}|{hops[-1][1]}|{ARN[hops[-1][2]]}"]
    if last["kind"] != "grant" and last["target"] not in admins:
        return f"every hop works, but {hops[-1][2]} is not admin-equivalent"
    return None


def _path_hops(path: list[dict[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((NAME[e["source"]], e["method"], NAME[e["target"]]) for e in path)


def build(seed: int) -> Question:
    """The question for `seed`; the same seed always gives the same question."""
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"no generated path question for seed {seed!r}")
    qid = f"{PREFIX}{seed}"
    rng = random.Random(qid)
    for _ in range(200):       # compose again until three refuted candidates remain for the wrong options
        policies = _compose(rng)
        graph = build_graph(_snapshot(policies)).to_dict()
        path = shortest_path(graph, ARN["dana"])
        if path and any(e["source"] not in NAME or e["target"] not in NAME for e in path):
            continue            # not drawn from these four principals (does not happen with these ingredients)
        right = _path_hops(path) if path else None
        refuted = [(c, why) for c in CANDIDATES if c != right and (why := _refutation(graph, c)) is not None]
        if len(refuted) >= 3:
            break
    else:  # pragma: no cover - sized so this does not happen (the test walks many seeds)
        raise RuntimeError(f"could not compose {qid}")
    wrong = rng.sample(refuted, 3)
    texts: list[tuple[str, bool, str]] = []
    if right is None:
        texts.append((NO_PATH, True, "Right. The engine allows no chain of calls from dana to an admin-equivalent "
                                     "principal."))
    else:
        texts.append((_hops_text(right), True, "Right: the engine allows every call of this path, and it is the "
                                               "shortest."))
    for hops, why in wrong[: 3 if right is None else 2]:
        texts.append((_hops_text(hops), False, f"Not this one: {why}."))
    if right is not None:
        texts.append((NO_PATH, False, "There is a path: the engine allows every call of the right option."))
    rng.shuffle(texts)
    options = tuple(Option(key="abcd"[i], text=t[0][0].upper() + t[0][1:], correct=t[1], why=t[2])
                    for i, t in enumerate(texts))
    exhibits = [Exhibit(name="dana", title="Identity policy of the IAM user dana", text=json.dumps(policies["dana"],
                                                                                                   indent=2),
                        policy=policies["dana"], policy_kind="identity")]
    if policies["boundary"]:
        exhibits.append(Exhibit(name="boundary", title="dana's permissions boundary",
                                text=json.dumps(policies["boundary"], indent=2), policy=policies["boundary"],
                                policy_kind="boundary"))
    for name, title, kind in (("erin", "Identity policy of the IAM user erin", "identity"),
                              ("Deploy", "Permissions of the role Deploy", "identity"),
                              ("Deploy trust", "Trust policy of the role Deploy", "trust"),
                              ("Admin trust", "Trust policy of the role Admin (which allows everything; it has an "
                                              "EC2 instance profile)", "trust")):
        exhibits.append(Exhibit(name=name, title=title, text=json.dumps(policies[name], indent=2),
                                policy=policies[name], policy_kind=kind))
    steps = "; ".join(f"{NAME[e['source']]} → {NAME[e['target']]}: " + ", ".join(
        f"{p['action']} allowed by " + (", ".join(f"{d['policy']} {d['sid'] or '#' + str(d['index'])}"
                                                   for d in p["deciding"]) or "the engine")
        for p in e["proofs"]) for e in path or [])
    explanation = ("The lab built the access graph of exactly these principals with engine.graph: every edge's "
                   "calls were evaluated by the policy engine (identity policy, boundary, trust policy). "
                   + (f"The shortest path: {steps}." if path else "No edge chain reaches an admin-equivalent "
                      "principal (dana has no MFA device, so MFA conditions are not met)."))
    return Question(
        id=qid, domain="guardrails", difficulty="hard", style="which-path", multi=False,
        stem=("dana is an IAM user in SecureCart's production account, signing with her own access keys (no MFA "
              "device). Admin is a role that allows everything. Using only the policies shown, which sequence of "
              "calls gives dana admin-equivalent access?"),
        options=options, explanation=explanation,
        citation_title="pathfinding.cloud: AWS IAM privilege escalation paths",
        citation_url="https://pathfinding.cloud", exhibits=tuple(exhibits),
        engine=EngineCheck(check="graph", spec={"start": "dana"}),
        tags=("engine-made", "access-graph"), task="1.1", teaches="", generated=True)


def graph_of_exhibits(question: Question) -> dict[str, Any]:
    """The access graph of what the learner sees (the exhibits' JSON), built afresh: quiz.proof's "graph" check."""
    shown = {exhibit.name: json.loads(exhibit.text) for exhibit in question.exhibits}
    policies = {name: shown.get(name) for name in ("dana", "erin", "Deploy", "Deploy trust", "Admin trust",
                                                   "boundary")}
    return build_graph(_snapshot(policies)).to_dict()


def answer_of_graph(graph: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    """(the option text the graph makes right, the path) for dana."""
    path = shortest_path(graph, ARN["dana"])
    if path is None:
        return NO_PATH, None
    text = _hops_text(_path_hops(path))
    return text[0].upper() + text[1:], path


@lru_cache(maxsize=1024)
def resolve(qid: str) -> Question | None:
    match = ID_RE.match(qid)
    return build(int(match.group(1))) if match else None


def new_ids(count: int, rng: random.Random | None = None) -> list[str]:
    rng = rng or random.SystemRandom()
    return [f"{PREFIX}{rng.randint(0, MAX_SEED)}" for _ in range(count)]


register_source(PREFIX, resolve)
