"""Who can become whom in one sandbox: the access graph, every edge proven by the engine (issue 26, item 3).

Input: a `SandboxPrincipals` snapshot (engine.directory dataclasses: users, roles, groups, instance profiles,
identity providers, kept role sessions, the organizations' memberships). Output: an `AccessGraph` of nodes
(principals) and edges ("can become"), each edge carrying the calls it needs and, for every call, the engine's
Decision for it: the same `engine.policy.authorize` that answers real requests, with identity policies, the
permissions boundary, session policies, SCPs, RCPs and the trust (resource) policy. An edge is drawn only when
every call it needs is allowed; nothing is inferred from reading policies alone.

Escalation methods and their sources (METHODS): DataDog's pathfinding.cloud path ids (data/paths/**, Apache-2.0;
the descriptions here are the lab's own words), Rhino Security Labs' "AWS IAM privilege escalation methods"
(Spencer Gietzen, 2018) and NCC Group's PMapper edge checkers (iam_edges, sts_edges, ec2_edges).

Lab choices where AWS documents nothing (stated, not hidden):
- Admin-equivalent: the principal may perform every IAM action in ADMIN_PROBES on Resource "*" after all layers
  (identity, boundary, session, SCPs). Whoever can do that can grant itself `*:*`, so "iam:* on *" is the bar;
  an SCP that still denies, say, s3 outside the principal's own account does not change it.
- A condition the caller controls (sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity, aws:RequestTag/*, a
  federation claim the identity provider vouches for) is filled from the trust policy's own Allow statement and
  the call evaluated again; the edge then names the context it needs. MFA (aws:MultiFactorAuthPresent / Age) is
  filled only for a user who has an MFA device: a condition the caller cannot meet draws no edge.
- A role as a source means a fresh session of it (no session policies, no MFA); a kept session is its own node
  with its session policies.
- An admin-equivalent principal's own edges are not drawn: it can become anyone, and its edges would hide the
  others. The account root users are not drawn either: a root user may do everything but assume roles, in every account.
"""
from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence

from engine.directory import AccountEntities, GroupInfo, OrgMembership, PolicyText, RoleInfo, UserInfo
from engine.guardrails import guardrails
from engine.policy import AuthzRequest, Decision, NamedPolicy, Principal, authorize
from engine.sts.policies import named_lenient, named_or_error
from engine.sts.rolesession import role_session_arn

__all__ = ["ADMIN_PROBES", "METHODS", "AccessGraph", "Edge", "KeptSession", "Method", "Node", "Proof",
           "SandboxPrincipals", "admin_reachable", "build_graph", "new_edges", "shortest_path"]

REGION = "us-east-1"
# A learner can create principals (IAM allows thousands); the graph's cost grows with principals x roles, and one
# learner's page must not hold the interpreter for seconds. Above this, the page says so and draws no edges.
MAX_PRINCIPALS = 600
# "iam:* on *" (the module docstring's choice): the IAM writes every escalation method below uses, plus creating
# principals. A Deny on any one of them, in any layer, and the principal is not admin-equivalent.
ADMIN_PROBES = ("iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy",
                "iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey", "iam:PassRole",
                "iam:CreateUser", "iam:CreateRole", "iam:DeleteUserPermissionsBoundary",
                "iam:DeleteRolePermissionsBoundary")
ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "GraphAdmin", "Effect": "Allow", "Action": "*", "Resource": "*"}]})
ADMIN_POLICY_CLI = json.dumps(json.loads(ADMIN_POLICY), separators=(",", ":"))
LAUNCH_IMAGE = "ami-12c6146b"           # the image the lab's EC2 accepts (challenges use it too)
EC2 = "ec2.amazonaws.com"

PATHFINDING = "https://pathfinding.cloud/paths/{}"
RHINO = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
PMAPPER = "https://github.com/nccgroup/PMapper"
BISHOPFOX = "https://github.com/BishopFox/iam-vulnerable"
# "Access keys assigned to an IAM user: 2" (IAM User Guide, IAM and AWS STS quotas): with two, CreateAccessKey is
# LimitExceeded until one is deleted.
IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
MAX_ACCESS_KEYS = 2


@dataclass(frozen=True)
class Method:
    """One way of becoming another principal (or of making one admin), with where it is documented."""
    id: str
    title: str
    kind: str               # become | grant
    sources: tuple[tuple[str, str], ...]    # (label, url)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "kind": self.kind,
                "sources": [{"label": label, "url": url} for label, url in self.sources]}


def _pf(path_id: str) -> tuple[str, str]:
    return (f"pathfinding.cloud {path_id}", PATHFINDING.format(path_id))


_RHINO = ("Rhino Security Labs", RHINO)
_PMAPPER = ("PMapper", PMAPPER)
METHODS: dict[str, Method] = {m.id: m for m in [
    Method("assume-role", "sts:AssumeRole (the trust policy and the caller's policies allow it)", "become",
           (_pf("sts-001"), _PMAPPER)),
    Method("federation", "AssumeRoleWithSAML / AssumeRoleWithWebIdentity (the provider vouches for a caller)",
           "become", (_PMAPPER,)),
    Method("service", "an AWS service assumes the role (its trust names the service)", "become", (_PMAPPER,)),
    Method("instance-profile", "an EC2 instance launched with this profile gets the role's credentials (IMDS)",
           "become", (_PMAPPER,)),
    Method("passrole-ec2", "iam:PassRole + ec2:RunInstances: launch an instance with the role, read its "
           "credentials", "become", (_pf("ec2-001"), _RHINO, _PMAPPER)),
    Method("create-access-key", "iam:CreateAccessKey for another user", "become",
           (_pf("iam-002"), _RHINO, _PMAPPER)),
    Method("replace-access-key", "iam:DeleteAccessKey, then iam:CreateAccessKey: the user already has the two "
           "keys IAM allows, so one must go first", "become",
           (_pf("iam-003"), ("IAM quotas: two access keys per user", IAM_QUOTAS))),
    Method("create-login-profile", "iam:CreateLoginProfile: a console password for another user", "become",
           (_pf("iam-004"), _RHINO, _PMAPPER)),
    Method("update-login-profile", "iam:UpdateLoginProfile: change another user's console password", "become",
           (_pf("iam-006"), _RHINO, _PMAPPER)),
    Method("update-trust", "iam:UpdateAssumeRolePolicy, then sts:AssumeRole: trust yourself, then assume", "become",
           (_pf("iam-012"), _RHINO, _PMAPPER)),
    Method("put-user-policy", "iam:PutUserPolicy: write an inline policy allowing everything", "grant",
           (_pf("iam-007"), _RHINO, _PMAPPER)),
    Method("attach-user-policy", "iam:AttachUserPolicy: attach AdministratorAccess", "grant",
           (_pf("iam-008"), _RHINO, _PMAPPER)),
    Method("put-role-policy", "iam:PutRolePolicy: write an inline policy allowing everything", "grant",
           (_pf("iam-005"), _RHINO, _PMAPPER)),
    Method("attach-role-policy", "iam:AttachRolePolicy: attach AdministratorAccess", "grant",
           (_pf("iam-009"), _RHINO, _PMAPPER)),
    Method("put-group-policy", "iam:PutGroupPolicy on a group the principal is in", "grant",
           (_pf("iam-011"), _RHINO, _PMAPPER)),
    Method("attach-group-policy", "iam:AttachGroupPolicy on a group the principal is in", "grant",
           (_pf("iam-010"), _RHINO, _PMAPPER)),
    Method("create-policy-version", "iam:CreatePolicyVersion --set-as-default on a policy attached to it", "grant",
           (_pf("iam-001"), _RHINO, _PMAPPER)),
    Method("set-default-policy-version", "iam:SetDefaultPolicyVersion: put an older, wider version of a policy "
           "attached to it back in force", "grant",
           (_RHINO, ("BishopFox iam-vulnerable privesc2", BISHOPFOX))),
    Method("add-user-to-group", "iam:AddUserToGroup: join a group whose policies make it admin", "grant",
           (_pf("iam-013"), _RHINO, _PMAPPER)),
]}
# Removing (or replacing) a permissions boundary is not a method of its own in those lists; the lab counts it as
# part of a grant: a boundary caps what a written policy can give, unless the writer can also take the cap off.
BOUNDARY_ACTIONS = {"user": ("iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"),
                    "role": ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary")}


# ---- input -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeptSession:
    """A role session the lab issued in this sandbox and that has not expired (no secrets)."""
    arn: str                                # arn:aws:sts::ACCT:assumed-role/ROLE/NAME
    role_arn: str
    account: str
    user_id: str
    session_policies: tuple[PolicyText, ...] = ()
    mfa: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxPrincipals:
    """Everything the graph reads of one sandbox, as snapshots (engine.directory dataclasses)."""
    accounts: dict[str, str]                                 # label -> 12-digit id
    entities: tuple[AccountEntities, ...]
    organizations: dict[str, OrgMembership | None]           # account -> membership
    boundaries: dict[str, str]                               # boundary policy ARN -> document text
    sessions: tuple[KeptSession, ...] = ()
    now: datetime | None = None


# ---- output ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    id: str                     # the principal's ARN (a service's name for services)
    kind: str                   # user | role | session | saml-provider | oidc-provider | instance-profile | service
    account: str
    name: str
    admin: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "account": self.account, "name": self.name, "admin": self.admin}


@dataclass(frozen=True)
class Proof:
    """One call of an edge and the engine's answer to it."""
    action: str
    resource: str
    allowed: bool
    deciding: tuple[dict[str, Any], ...]    # StatementRef.to_dict() of the statements that granted
    decided_by: str                         # the layer that decided (identity, resource, ...)
    context: dict[str, str] = field(default_factory=dict)   # the keys the caller had to supply
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "resource": self.resource, "allowed": self.allowed,
                "deciding": [dict(d) for d in self.deciding], "decided_by": self.decided_by,
                "context": dict(self.context), "note": self.note}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    method: str                 # key of METHODS
    proofs: tuple[Proof, ...]
    needs: dict[str, str] = field(default_factory=dict)      # context the caller must supply (ExternalId, MFA...)
    cli: tuple[str, ...] = ()   # the AWS CLI commands that replay it, signed as `source`

    @property
    def key(self) -> str:
        return f"{self.source}|{self.method}|{self.target}"

    @property
    def kind(self) -> str:
        return METHODS[self.method].kind

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "source": self.source, "target": self.target, "method": self.method,
                "kind": self.kind, "proofs": [p.to_dict() for p in self.proofs], "needs": dict(self.needs),
                "cli": list(self.cli)}


@dataclass
class AccessGraph:
    nodes: dict[str, Node]
    edges: list[Edge]
    evaluations: int = 0        # authorize() calls made (the benchmark's unit)
    too_large: int = 0          # the principals counted when there were more than MAX_PRINCIPALS (no edges then)

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [n.to_dict() for n in self.nodes.values()], "edges": [e.to_dict() for e in self.edges],
                "methods": {k: m.to_dict() for k, m in METHODS.items()}, "evaluations": self.evaluations,
                "too_large": self.too_large, "max_principals": MAX_PRINCIPALS}


# ---- evaluation --------------------------------------------------------------------------------------------------
@dataclass
class _Actor:
    """A principal acting: who it is to the engine, its policies, and the context its requests carry."""
    node: Node
    principal: Principal
    trust_arn: str                          # the ARN a trust policy names to trust it (role ARN for sessions)
    identity: list[NamedPolicy]
    boundary: NamedPolicy | None
    session: list[NamedPolicy]
    context: dict[str, Any]
    mfa_serial: str | None = None           # a user's MFA device (can satisfy MFA conditions)
    cli_identity: str = ""                  # who the console signs as


_CALLER_KEYS = ("sts:externalid", "sts:rolesessionname", "sts:sourceidentity")
_MFA_KEYS = ("aws:multifactorauthpresent", "aws:multifactorauthage")
_NOT_CLAIMS = ("aws:", "sts:", "iam:", "s3:", "ec2:", "kms:", "organizations:")


class _Engine:
    def __init__(self, snapshot: SandboxPrincipals) -> None:
        self.snapshot = snapshot
        self.orgs = snapshot.organizations
        self.evaluations = 0
        self.now = snapshot.now

    def decide(self, actor: _Actor, action: str, resource: str, resource_account: str | None, *,
               resource_policy: NamedPolicy | None = None, required: bool = False,
               extra: dict[str, Any] | None = None, identity: list[NamedPolicy] | None = None,
               boundary: NamedPolicy | None | str = "keep") -> Decision:
        """engine.policy.authorize for one request by `actor`, with the organizations' guardrails, as
        Lab.authorize_call and StsService._authorize put them together."""
        principal = actor.principal
        scps, rcps, org_keys = guardrails(self.orgs.get, principal, actor.node.account, resource_account, action)
        context = dict(actor.context)
        context.update(org_keys)
        if extra:
            context.update(extra)
        self.evaluations += 1
        return authorize(AuthzRequest(action, resource, principal, context),
                         identity=actor.identity if identity is None else identity,
                         resource=resource_policy,
                         boundary=actor.boundary if boundary == "keep" else boundary,   # type: ignore[arg-type]
                         session=actor.session, resource_account=resource_account,
                         resource_policy_required=required, scps=scps, rcps=rcps, trace=False)


def _may_allow(policies: Iterable[NamedPolicy], action: str, resource: str | None = None) -> bool:
    """Whether any statement could allow `action` (on `resource`): an Allow whose Action matches (or a NotAction)
    and whose Resource matches (or a NotResource, or a pattern with a policy variable). A necessary condition for
    an identity-side allow, read without evaluating, so most pairs cost nothing."""
    low = action.lower()
    for policy in policies:
        if policy.document is None:
            continue
        for statement in policy.document.statements:
            if not statement.is_allow:
                continue
            if not statement.action_negated and statement.actions.first_match(low) is None:
                continue
            matcher = statement.resources
            if resource is None or matcher is None or statement.resource_negated or matcher.templates:
                return True
            if matcher.first_match(resource, {})[0] is not None:
                return True
    return False


def _trust_names(trust: NamedPolicy, principal: Principal) -> set[str]:
    """How the trust policy's Allow statements name the principal ("account", "user", "role", "*", ...; "other"
    for NotPrincipal): empty when none does, so no evaluation can allow."""
    found: set[str] = set()
    if trust.document is None:
        return found
    for statement in trust.document.statements:
        if not statement.is_allow:
            continue
        if statement.principal is None or statement.principal_negated:
            found.add("other")
            continue
        matched, how, _ = statement.principal.match(principal)
        if matched:
            found.add(how or "other")
    return found


def _trust_may_name(trust: NamedPolicy, principal: Principal) -> bool:
    return bool(_trust_names(trust, principal))


def _proof(decision: Decision, action: str, resource: str, context: dict[str, str] | None = None,
           note: str = "") -> Proof:
    decided = next((layer.kind for layer in decision.layers if layer.decided), "")
    return Proof(action, resource, decision.allowed, tuple(ref.to_dict() for ref in decision.deciding), decided,
                 dict(context or {}), note)


def _candidate_contexts(trust: NamedPolicy, action: str, actor: _Actor, federated_host: str | None) \
        -> list[dict[str, str]]:
    """Context the caller could supply to meet an Allow statement's conditions (see the module docstring). Only
    keys the caller (or its identity provider) controls; MFA only with a device."""
    found: list[dict[str, str]] = []
    if trust.document is None:
        return found
    low = action.lower()
    for statement in trust.document.statements:
        if not statement.is_allow or not statement.conditions:
            continue
        if not statement.action_negated and statement.actions.first_match(low) is None:
            continue
        filled: dict[str, str] = {}
        possible = True
        for condition in statement.conditions:
            key = condition.key_lc
            controllable = (key in _CALLER_KEYS or key.startswith("aws:requesttag/")
                            or (key in _MFA_KEYS and actor.mfa_serial is not None)
                            or (federated_host is not None and key.startswith(("saml:", federated_host + ":")))
                            or (federated_host is not None and not key.startswith(_NOT_CLAIMS) and ":" in key))
            if condition.op is None:
                continue
            if condition.op.negated:
                continue          # an absent key meets a negated operator
            if not controllable:
                possible = False
                break
            value = _value_meeting(condition.base, condition.values)
            if value is None:
                possible = False
                break
            filled[condition.key] = value
        if possible and filled:
            if any(k.lower() == "aws:multifactorauthpresent" for k in filled) or \
                    any(k.lower() == "aws:multifactorauthage" for k in filled):
                filled.setdefault("aws:MultiFactorAuthPresent", "true")
                filled.setdefault("aws:MultiFactorAuthAge", "0")
            found.append(filled)
    return found


def _value_meeting(operator: str, values: Sequence[str]) -> str | None:
    if not values:
        return None
    value = str(values[0])
    if "${" in value:
        return None               # a policy variable: the value depends on the caller; not guessed
    if operator in ("StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "Bool"):
        return value
    if operator in ("StringLike", "ArnLike"):
        return value.replace("*", "x").replace("?", "x")
    if operator in ("NumericLessThan", "NumericLessThanEquals"):
        return "0"
    if operator in ("NumericEquals",):
        return value
    if operator in ("NumericGreaterThan", "NumericGreaterThanEquals"):
        try:
            return str(int(float(value)) + 1)
        except ValueError:
            return None
    return None


def _needs_label(context: dict[str, str]) -> dict[str, str]:
    needs: dict[str, str] = {}
    for key, value in context.items():
        low = key.lower()
        if low == "aws:multifactorauthage":
            continue
        if low == "aws:multifactorauthpresent":
            needs["MFA"] = "a code from the user's MFA device"
        elif low == "sts:externalid":
            needs["ExternalId"] = value
        else:
            needs[key] = value
    return needs


def _arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# ---- building ------------------------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, snapshot: SandboxPrincipals) -> None:
        self.snapshot = snapshot
        self.engine = _Engine(snapshot)
        self.labels = {account: label for label, account in snapshot.accounts.items()}
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.actors: list[_Actor] = []
        self.users: dict[str, UserInfo] = {}
        self.roles: dict[str, RoleInfo] = {}
        self.groups: list[GroupInfo] = []
        self.trusts: dict[str, NamedPolicy] = {}
        self.profiles: dict[str, list[str]] = {}      # role ARN -> instance profile names
        self.policy_versions: dict[str, list[tuple[str, str]]] = {}   # policy ARN -> [(version id, document)]
        self.ec2_roles: dict[str, Proof] = {}          # role ARN -> the proof that EC2 may assume it
        self.admin_policy = named_or_error("GraphAdmin (written by the attacker)", ADMIN_POLICY, "identity",
                                           "inline")

    # nodes and actors
    def collect(self) -> None:
        now = self.snapshot.now
        for entities in self.snapshot.entities:
            if entities.account not in self.labels:
                continue          # only the sandbox's own accounts
            for user in entities.users:
                self.users[user.arn] = user
                node = self._node(Node(user.arn, "user", user.account, user.name))
                principal = Principal(arn=user.arn, account=user.account, kind="user", userid=user.user_id,
                                      username=user.name, tags=dict(user.tags))
                context = self._base_context(principal, user.arn, "User", now)
                context["aws:username"] = user.name
                self.actors.append(_Actor(
                    node, principal, user.arn, [named_lenient(t, "identity", t.source) for t in user.policies],
                    self._boundary(user.boundary_arn), [], context,
                    mfa_serial=user.mfa_serials[0] if user.mfa_serials else None,
                    cli_identity=f"key:{self.labels[user.account]}/{user.name}"))
            for role in entities.roles:
                self.roles[role.arn] = role
                self.trusts[role.arn] = named_or_error(f"{role.name} trust policy", role.trust_policy, "trust",
                                                      "trust")
                node = self._node(Node(role.arn, "role", role.account, role.name))
                self.actors.append(self._role_actor(node, role, role_session_arn(role, role.arn, "graph"), (), False, {}))
            self.groups.extend(entities.groups)
            for policy_arn, version_id, text in entities.policy_versions:
                self.policy_versions.setdefault(policy_arn, []).append((version_id, text))
            for profile in entities.instance_profiles:
                self._node(Node(profile.arn, "instance-profile", profile.account, profile.name))
                for role_arn in profile.role_arns:
                    self.profiles.setdefault(role_arn, []).append(profile.name)
            for saml in entities.saml_providers:
                self._node(Node(saml.arn, "saml-provider", saml.account, saml.name))
            for oidc in entities.oidc_providers:
                self._node(Node(oidc.arn, "oidc-provider", oidc.account, oidc.url))
        for kept in self.snapshot.sessions:
            held = self.roles.get(kept.role_arn)
            if held is None or kept.account not in self.labels:
                continue
            node = self._node(Node(kept.arn, "session", kept.account, kept.arn.rsplit("/", 2)[-2] + "/"
                                   + kept.arn.rsplit("/", 1)[-1]))
            self.actors.append(self._role_actor(node, held, kept.arn, kept.session_policies, kept.mfa, kept.tags,
                                                user_id=kept.user_id))

    def _node(self, node: Node) -> Node:
        self.nodes[node.id] = node
        return node

    def _role_actor(self, node: Node, role: RoleInfo, session_arn: str, session_policies: Iterable[PolicyText],
                    mfa: bool, tags: dict[str, str], user_id: str | None = None) -> _Actor:
        principal = Principal(arn=session_arn, account=role.account, kind="assumed-role", role_arn=role.arn,
                              userid=user_id or f"{role.role_id}:graph", tags={**role.tags, **tags})
        context = self._base_context(principal, role.arn, "AssumedRole", self.snapshot.now)
        context["aws:MultiFactorAuthPresent"] = "true" if mfa else "false"
        return _Actor(node, principal, role.arn, [named_lenient(t, "identity", t.source) for t in role.policies],
                      self._boundary(role.boundary_arn),
                      [named_lenient(t, "session", "session") for t in session_policies], context,
                      cli_identity="session" if node.kind == "session" else "")

    @staticmethod
    def _base_context(principal: Principal, principal_arn: str, principal_type: str,
                      now: datetime | None) -> dict[str, Any]:
        context: dict[str, Any] = {"aws:SecureTransport": "true", "aws:RequestedRegion": REGION,
                                   "aws:ViaAWSService": "false", "aws:PrincipalIsAWSService": "false",
                                   "aws:PrincipalArn": principal_arn, "aws:PrincipalAccount": principal.account or "",
                                   "aws:PrincipalType": principal_type}
        if principal.userid:
            context["aws:userid"] = principal.userid
        if now is not None:
            context["aws:CurrentTime"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            context["aws:EpochTime"] = str(int(now.timestamp()))
        for key, value in principal.tags.items():
            context[f"aws:PrincipalTag/{key}"] = value
        return context

    def _boundary(self, arn: str | None) -> NamedPolicy | None:
        if not arn:
            return None
        text = self.snapshot.boundaries.get(arn)
        if text is None:
            return None
        policy: NamedPolicy = named_lenient(PolicyText(arn.rsplit("/", 1)[-1], text, arn), "boundary", "boundary")
        return policy

    # admin
    def is_admin(self, actor: _Actor, *, identity: list[NamedPolicy] | None = None,
                 boundary: NamedPolicy | None | str = "keep") -> Decision | None:
        """The last probe's Decision when every ADMIN_PROBES action is allowed on "*", else None."""
        policies = actor.identity if identity is None else identity
        if not _may_allow(policies, ADMIN_PROBES[0]):
            return None
        decision = None
        for action in ADMIN_PROBES:
            decision = self.engine.decide(actor, action, "*", actor.node.account, identity=identity,
                                          boundary=boundary)
            if not decision.allowed:
                return None
        return decision

    def mark_admins(self) -> None:
        for actor in self.actors:
            if self.is_admin(actor) is not None:
                admin = Node(actor.node.id, actor.node.kind, actor.node.account, actor.node.name, True)
                self.nodes[admin.id] = admin
                actor.node = admin

    # edges
    def add(self, edge: Edge) -> None:
        self.edges.append(edge)

    def assume_edges(self, actor: _Actor) -> None:
        may_call = _may_allow(actor.identity, "sts:AssumeRole")
        for role_arn, trust in self.trusts.items():
            if role_arn == actor.trust_arn and actor.node.kind == "role":
                continue
            names = _trust_names(trust, actor.principal)
            if not names:
                continue
            role = self.roles[role_arn]
            # The identity side must allow unless a same-account trust names the caller itself (which grants on
            # its own); skipping here only saves evaluations that could not allow.
            if (role.account != actor.node.account or names <= {"account"}) and not (
                    may_call and _may_allow(actor.identity, "sts:AssumeRole", role_arn)):
                continue
            self._assume(actor, role, trust)

    def _assume(self, actor: _Actor, role: RoleInfo, trust: NamedPolicy) -> None:
        base = {"sts:RoleSessionName": "graph"}
        decision = self.engine.decide(actor, "sts:AssumeRole", role.arn, role.account, resource_policy=trust,
                                      required=True, extra=base)
        supplied: dict[str, str] = {}
        if not decision.allowed:
            for candidate in _candidate_contexts(trust, "sts:AssumeRole", actor, None):
                attempt = self.engine.decide(actor, "sts:AssumeRole", role.arn, role.account,
                                             resource_policy=trust, required=True, extra={**base, **candidate})
                if attempt.allowed:
                    decision, supplied = attempt, candidate
                    break
        if not decision.allowed:
            return
        needs = _needs_label(supplied)
        command = f"aws sts assume-role --role-arn {role.arn} --role-session-name graph"
        if "ExternalId" in needs:
            command += f" --external-id {_quote(needs['ExternalId'])}"
        if "MFA" in needs and actor.mfa_serial:
            command += f" --serial-number {actor.mfa_serial} --token-code CODE"
        self.add(Edge(actor.node.id, role.arn, "assume-role",
                      (_proof(decision, "sts:AssumeRole", role.arn, supplied),), needs, (command,)))

    def federation_edges(self) -> None:
        for node in list(self.nodes.values()):
            if node.kind not in ("saml-provider", "oidc-provider"):
                continue
            saml = node.kind == "saml-provider"
            action = "sts:AssumeRoleWithSAML" if saml else "sts:AssumeRoleWithWebIdentity"
            host = None if saml else node.id.split("oidc-provider/", 1)[-1].split("/", 1)[0]
            principal = Principal(arn="", account=None, kind="saml" if saml else "web-identity", federated=node.id)
            actor = _Actor(node, principal, node.id, [], None, [],
                           {"aws:SecureTransport": "true", "aws:FederatedProvider": node.id})
            for role_arn, trust in self.trusts.items():
                role = self.roles[role_arn]
                if role.account != node.account or not _trust_may_name(trust, principal):
                    continue
                found = self._federated(actor, role, trust, action, host or "saml")
                if found is not None:
                    decision, supplied = found
                    flag = "--saml-assertion ASSERTION" if saml else "--web-identity-token TOKEN"
                    extra = f" --principal-arn {node.id}" if saml else ""
                    verb = "assume-role-with-saml" if saml else "assume-role-with-web-identity"
                    command = f"aws sts {verb} --role-arn {role.arn}{extra} {flag}" + \
                        ("" if saml else " --role-session-name graph")
                    self.add(Edge(node.id, role.arn, "federation", (_proof(decision, action, role.arn, supplied),),
                                  _needs_label(supplied), (command,)))

    def _federated(self, actor: _Actor, role: RoleInfo, trust: NamedPolicy, action: str,
                   host: str) -> tuple[Decision, dict[str, str]] | None:
        decision = self.engine.decide(actor, action, role.arn, role.account, resource_policy=trust, required=True)
        if decision.allowed:
            return decision, {}
        for candidate in _candidate_contexts(trust, action, actor, host):
            attempt = self.engine.decide(actor, action, role.arn, role.account, resource_policy=trust,
                                         required=True, extra=candidate)
            if attempt.allowed:
                return attempt, candidate
        return None

    def service_edges(self) -> None:
        """Services a role trusts (EC2 through an instance profile); a service node per trusted service."""
        for role_arn, trust in self.trusts.items():
            role = self.roles[role_arn]
            if trust.document is None:
                continue
            services = sorted({s for st in trust.document.statements if st.is_allow and st.principal is not None
                               for s in st.principal.services})
            for service in services:
                principal = Principal(arn="", account=None, kind="service", service=service)
                node_id = service
                node = self.nodes.get(node_id) or self._node(Node(node_id, "service", "", service))
                actor = _Actor(node, principal, service, [], None, [],
                               {"aws:SecureTransport": "true", "aws:PrincipalServiceName": service,
                                "aws:PrincipalIsAWSService": "true"})
                decision = self.engine.decide(actor, "sts:AssumeRole", role.arn, role.account,
                                              resource_policy=trust, required=True)
                if not decision.allowed:
                    continue
                proof = _proof(decision, "sts:AssumeRole", role.arn)
                self.add(Edge(node_id, role.arn, "service", (proof,)))
                if service == EC2:
                    self.ec2_roles[role.arn] = proof
                    for profile in self.profiles.get(role.arn, []):
                        profile_arn = f"arn:aws:iam::{role.account}:instance-profile/{profile}"
                        if profile_arn in self.nodes:
                            self.add(Edge(profile_arn, role.arn, "instance-profile", (proof,)))

    def passrole_edges(self, actor: _Actor) -> None:
        if not (_may_allow(actor.identity, "iam:PassRole") and _may_allow(actor.identity, "ec2:RunInstances")):
            return
        account = actor.node.account
        run = self.engine.decide(actor, "ec2:RunInstances", f"arn:aws:ec2:{REGION}:{account}:instance/*", account,
                                 extra={"ec2:Region": REGION})
        if not run.allowed:
            return
        for role_arn, profiles in self.profiles.items():
            role = self.roles.get(role_arn)
            trust_proof = self.ec2_roles.get(role_arn)
            if role is None or role.account != account or trust_proof is None:
                continue
            passed = self.engine.decide(actor, "iam:PassRole", role_arn, account,
                                        extra={"iam:PassedToService": EC2})
            if not passed.allowed:
                continue
            command = (f"aws ec2 run-instances --image-id {LAUNCH_IMAGE} --instance-type t3.micro --count 1 "
                       f"--iam-instance-profile Name={profiles[0]}")
            self.add(Edge(actor.node.id, role_arn, "passrole-ec2",
                          (_proof(run, "ec2:RunInstances", f"arn:aws:ec2:{REGION}:{account}:instance/*"),
                           _proof(passed, "iam:PassRole", role_arn, {"iam:PassedToService": EC2}), trust_proof),
                          {}, (command,)))

    def user_credential_edges(self, actor: _Actor) -> None:
        specs = (("iam:CreateAccessKey", "create-access-key", "aws iam create-access-key --user-name {}"),
                 ("iam:CreateLoginProfile", "create-login-profile",
                  "aws iam create-login-profile --user-name {} --password 'Graph-Lab-Passw0rd!'"),
                 ("iam:UpdateLoginProfile", "update-login-profile",
                  "aws iam update-login-profile --user-name {} --password 'Graph-Lab-Passw0rd!'"))
        for action, method, template in specs:
            if not _may_allow(actor.identity, action):
                continue
            for user in self.users.values():
                if user.arn == actor.node.id or user.account != actor.node.account:
                    continue
                decision = self.engine.decide(actor, action, user.arn, user.account)
                if not decision.allowed:
                    continue
                proofs, commands = [_proof(decision, action, user.arn)], [template.format(user.name)]
                if action == "iam:CreateAccessKey" and user.access_key_count >= MAX_ACCESS_KEYS:
                    # a third key is LimitExceeded, however well authorised: only with a delete first
                    delete = self.engine.decide(actor, "iam:DeleteAccessKey", user.arn, user.account)
                    if not delete.allowed:
                        continue
                    method = "replace-access-key"
                    proofs.insert(0, _proof(delete, "iam:DeleteAccessKey", user.arn,
                                            note=f"{user.name} already has {user.access_key_count} keys"))
                    commands[:0] = [f"aws iam list-access-keys --user-name {user.name}",
                                    f"aws iam delete-access-key --user-name {user.name} --access-key-id KEY_ID"]
                self.add(Edge(actor.node.id, user.arn, method, tuple(proofs), {}, tuple(commands)))

    def trust_edges(self, actor: _Actor) -> None:
        if not _may_allow(actor.identity, "iam:UpdateAssumeRolePolicy"):
            return
        for role in self.roles.values():
            if role.account != actor.node.account or role.arn == actor.trust_arn:
                continue
            edit = self.engine.decide(actor, "iam:UpdateAssumeRolePolicy", role.arn, role.account)
            if not edit.allowed:
                continue
            written = json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": actor.trust_arn}, "Action": "sts:AssumeRole"}]},
                separators=(",", ":"))
            new_trust = named_or_error(f"{role.name} trust policy (as rewritten)", written, "trust", "trust")
            assume = self.engine.decide(actor, "sts:AssumeRole", role.arn, role.account, resource_policy=new_trust,
                                        required=True, extra={"sts:RoleSessionName": "graph"})
            if not assume.allowed:
                continue
            self.add(Edge(actor.node.id, role.arn, "update-trust",
                          (_proof(edit, "iam:UpdateAssumeRolePolicy", role.arn),
                           _proof(assume, "sts:AssumeRole", role.arn, note="against the rewritten trust policy")),
                          {}, (f"aws iam update-assume-role-policy --role-name {role.name} --policy-document "
                               f"{_quote(written)}",
                               f"aws sts assume-role --role-arn {role.arn} --role-session-name graph")))

    def grant_edges(self, actor: _Actor) -> None:
        """Policy writes that make a principal admin-equivalent: on itself, or on a principal it can become."""
        wrote_any = any(_may_allow(actor.identity, action) for action in (
            "iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy",
            "iam:PutGroupPolicy", "iam:AttachGroupPolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
            "iam:AddUserToGroup"))
        if not wrote_any:
            return
        targets = [a for a in self.actors if a.node.kind in ("user", "role") and a.node.account == actor.node.account]
        for target in targets:
            if target.node.admin:
                continue
            self._grant(actor, target)

    def _grant(self, actor: _Actor, target: _Actor) -> None:
        kind = target.node.kind
        name = target.node.name
        arn = target.node.id
        self_target = target.node.id == actor.node.id
        lift: tuple[Proof, str] | None = None
        if target.boundary is not None:
            for action in BOUNDARY_ACTIONS[kind]:
                if not _may_allow(actor.identity, action):
                    continue
                decision = self.engine.decide(actor, action, arn, target.node.account)
                if decision.allowed:
                    verb = "delete" if "Delete" in action else "put"
                    if verb == "delete":
                        command = f"aws iam delete-{kind}-permissions-boundary --{kind}-name {name}"
                    else:
                        command = (f"aws iam put-{kind}-permissions-boundary --{kind}-name {name} "
                                   "--permissions-boundary arn:aws:iam::aws:policy/AdministratorAccess")
                    lift = (_proof(decision, action, arn), command)
                    break
        # after lifting its own boundary, the actor's own writes are no longer capped by it
        writer_boundary: NamedPolicy | None | str = None if (lift and self_target) else "keep"
        after_boundary: NamedPolicy | None | str = None if lift else "keep"
        for method, action, resource, command, extra_policies, replaced in self._writes(target):
            if not _may_allow(actor.identity, action):
                continue
            write = self.engine.decide(actor, action, resource, target.node.account, boundary=writer_boundary)
            if not write.allowed:
                continue
            identity = [p for p in target.identity if not (replaced and p.name == replaced)] + extra_policies
            admin = self.is_admin(target, identity=identity, boundary=after_boundary)
            if admin is None:
                continue
            proofs = ([lift[0]] if lift else []) + [
                _proof(write, action, resource),
                _proof(admin, "iam:* (every admin probe)", "*", note=f"{name} with the new policy"
                       + (" and no boundary" if lift else ""))]
            commands = ([lift[1]] if lift else []) + [command]
            self.add(Edge(actor.node.id, arn, method, tuple(proofs), {}, tuple(commands)))
            return

    def _writes(self, target: _Actor) -> list[tuple[str, str, str, str, list[NamedPolicy], str]]:
        """(method, action, resource, CLI command, the policies the target would then have, the ARN of the policy
        they replace or "") for every way of writing a target's permissions."""
        kind, name, arn, account = target.node.kind, target.node.name, target.node.id, target.node.account
        admin = [self.admin_policy]
        Kind = kind.capitalize()
        writes = [
            (f"put-{kind}-policy", f"iam:Put{Kind}Policy", arn,
             f"aws iam put-{kind}-policy --{kind}-name {name} --policy-name GraphAdmin --policy-document "
             f"{_quote(ADMIN_POLICY_CLI)}", admin, ""),
            (f"attach-{kind}-policy", f"iam:Attach{Kind}Policy", arn,
             f"aws iam attach-{kind}-policy --{kind}-name {name} --policy-arn "
             "arn:aws:iam::aws:policy/AdministratorAccess", admin, "")]
        user = self.users.get(arn) if kind == "user" else None
        role = self.roles.get(arn) if kind == "role" else None
        attached = [t.arn for t in (user.policies if user else role.policies if role else [])
                    if t.arn and ":aws:policy/" not in t.arn]
        for policy_arn in dict.fromkeys(attached):
            writes.append(("create-policy-version", "iam:CreatePolicyVersion", policy_arn,
                           f"aws iam create-policy-version --policy-arn {policy_arn} --set-as-default "
                           f"--policy-document {_quote(ADMIN_POLICY_CLI)}", admin, policy_arn))
            for version_id, text in self.policy_versions.get(policy_arn, []):
                # the version is already on file: the policy becomes it (not the attacker's own document)
                version = named_lenient(PolicyText(f"{policy_arn} ({version_id})", text, None, "managed"),
                                        "identity", "managed")
                writes.append(("set-default-policy-version", "iam:SetDefaultPolicyVersion", policy_arn,
                               f"aws iam set-default-policy-version --policy-arn {policy_arn} --version-id "
                               f"{version_id}", [version], policy_arn))
        if user is not None:
            for group in self.groups:
                if group.account != account:
                    continue
                if user.name in group.members:
                    writes.append(("put-group-policy", "iam:PutGroupPolicy", group.arn,
                                   f"aws iam put-group-policy --group-name {group.name} --policy-name GraphAdmin "
                                   f"--policy-document {_quote(ADMIN_POLICY_CLI)}", admin, ""))
                    writes.append(("attach-group-policy", "iam:AttachGroupPolicy", group.arn,
                                   f"aws iam attach-group-policy --group-name {group.name} --policy-arn "
                                   "arn:aws:iam::aws:policy/AdministratorAccess", admin, ""))
                else:
                    joined = [named_lenient(t, "identity", "group") for t in group.policies]
                    writes.append(("add-user-to-group", "iam:AddUserToGroup", group.arn,
                                   f"aws iam add-user-to-group --group-name {group.name} --user-name {name}", joined,
                                   ""))
        return writes

    def build(self) -> AccessGraph:
        self.collect()
        if len(self.actors) > MAX_PRINCIPALS:
            return AccessGraph({}, [], 0, too_large=len(self.actors))
        self.mark_admins()
        self.service_edges()
        self.federation_edges()
        # An admin-equivalent principal can become anyone; its edges would only hide the others (lab choice).
        acting = [actor for actor in self.actors if not actor.node.admin]
        for actor in acting:
            self.assume_edges(actor)
            self.passrole_edges(actor)
            self.user_credential_edges(actor)
            self.trust_edges(actor)
        # grants last: a target is "reachable" through the edges above (shortest_path combines them)
        for actor in acting:
            self.grant_edges(actor)
        return AccessGraph(self.nodes, self.edges, self.engine.evaluations)


def build_graph(snapshot: SandboxPrincipals) -> AccessGraph:
    """The access graph of one sandbox (see the module docstring)."""
    return _Builder(snapshot).build()


# ---- reading a graph (works on to_dict() output, so a web process reads what lab control shipped) ----------------
def shortest_path(graph: dict[str, Any], start: str, goal: str | None = None) -> list[dict[str, Any]] | None:
    """The fewest edges from `start` to `goal` (a node id), or to admin when `goal` is None: a node that is
    admin-equivalent, or a grant edge that makes a principal admin once the attacker also holds it (the principal
    itself, or one reached on the way). [] when start is already there; None when there is no path."""
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    if start not in nodes:
        return None
    become: dict[str, list[dict[str, Any]]] = {}
    grants: dict[str, list[dict[str, Any]]] = {}
    for edge in graph.get("edges", []):
        (grants if edge.get("kind") == "grant" else become).setdefault(edge["source"], []).append(edge)
    parent: dict[str, dict[str, Any] | None] = {start: None}
    queue = deque([start])
    order: list[str] = []
    while queue:
        current = queue.popleft()
        order.append(current)
        for edge in become.get(current, []):
            if edge["target"] not in parent:
                parent[edge["target"]] = edge
                queue.append(edge["target"])

    def path_to(node: str) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        edge = parent.get(node)
        while edge is not None:
            steps.append(edge)
            edge = parent.get(edge["source"])
        return list(reversed(steps))

    if goal is not None:
        return path_to(goal) if goal in parent else None
    best: list[dict[str, Any]] | None = None
    for node in order:                      # breadth-first: nearest first
        if nodes.get(node, {}).get("admin"):
            candidate = path_to(node)
            if best is None or len(candidate) < len(best):
                best = candidate
        for edge in grants.get(node, []):
            if edge["target"] in parent:
                first = path_to(node)
                then = [e for e in path_to(edge["target"]) if e not in first]
                candidate = first + [edge] + then
                if best is None or len(candidate) < len(best):
                    best = candidate
    return best


def admin_reachable(graph: dict[str, Any], start: str) -> bool:
    return shortest_path(graph, start) is not None


def new_edges(previous: dict[str, Any] | None, current: dict[str, Any]) -> set[str]:
    """Keys of the edges in `current` that `previous` did not have (none when there is no previous graph)."""
    if previous is None:
        return set()
    before = {e["key"] for e in previous.get("edges", [])}
    return {e["key"] for e in current.get("edges", []) if e["key"] not in before}
