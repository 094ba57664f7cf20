"""The request side of evaluation: who is calling (Principal), what they ask (AuthzRequest), and the policies
handed to the authorizer (NamedPolicy)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from .document import PolicyDocument

PRINCIPAL_KINDS = ("user", "root", "assumed-role", "federated-user", "service", "web-identity", "saml",
                   "anonymous")


@dataclass(slots=True)
class Principal:
    """What principal matching needs to know about the caller.

    arn: user ARN, assumed-role *session* ARN, federated-user ARN or root ARN (service/web-identity/saml callers
    may leave it empty). kind: one of PRINCIPAL_KINDS. role_arn: the role (with its path) behind a session.
    service: e.g. "ec2.amazonaws.com" for service principals. federated: the SAML/OIDC provider ARN, or the
    provider host for cognito-identity.amazonaws.com / accounts.google.com / www.amazon.com / graph.facebook.com.
    """
    arn: str
    account: str | None
    kind: str
    role_arn: str | None = None
    service: str | None = None
    federated: str | None = None
    userid: str | None = None
    username: str | None = None
    canonical_user: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in PRINCIPAL_KINDS:
            raise ValueError(f"unknown principal kind `{self.kind}`; expected one of {', '.join(PRINCIPAL_KINDS)}")

    @property
    def display(self) -> str:
        """How AWS names the caller in messages ("User: <this> is not authorized ...")."""
        if self.arn:
            return self.arn
        return self.service or self.federated or "anonymous"

    @property
    def is_iam(self) -> bool:
        """An IAM identity of some account (has identity policies, can be delegated to through its account)."""
        return self.kind in ("user", "root", "assumed-role", "federated-user")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"arn": self.arn, "account": self.account, "kind": self.kind}
        for name in ("role_arn", "service", "federated", "userid", "username", "canonical_user"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


class AuthzRequest:
    """One authorization question: may `principal` perform `action` on `resource`, given `context`.

    context maps condition-key names to a string or a list of strings (multivalued keys); keys are looked up
    case-insensitively (AWS: condition key names are not case-sensitive). Build the context before making the
    request: it is indexed once, here.
    """

    __slots__ = ("action", "resource", "principal", "context", "action_lc", "context_lc")

    def __init__(self, action: str, resource: str, principal: Principal,
                 context: Mapping[str, str | list[str]] | None = None) -> None:
        self.action = action
        self.resource = resource
        self.principal = principal
        self.context: dict[str, str | list[str]] = dict(context or {})
        self.action_lc = action.lower()
        ctx_lc: dict[str, str | list[str]] = {}
        for key, value in self.context.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, (int, float)):
                value = str(value)
            elif isinstance(value, (list, tuple)):
                value = [("true" if v else "false") if isinstance(v, bool) else str(v) for v in value]
            ctx_lc[key.lower()] = value
        self.context_lc = ctx_lc

    def __repr__(self) -> str:
        return f"AuthzRequest({self.action!r}, {self.resource!r}, {self.principal.display!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "resource": self.resource, "principal": self.principal.to_dict(),
                "context": {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in self.context.items()}}


@dataclass(slots=True)
class NamedPolicy:
    """A parsed policy with the name the explanation shows and where it came from.

    source: free text for display, conventionally one of "inline", "managed", "group", "trust", "bucket",
    "boundary", "session", "scp", "rcp". error: why a stored policy could not be read (document is then None);
    the authorizer reports it in Decision.errors and lets the policy allow nothing (cedar's ErrorHandling::Skip).
    """
    name: str
    document: "PolicyDocument | None"
    source: str = "inline"
    error: str | None = None


@dataclass(frozen=True, slots=True)
class GuardrailLevel:
    """One node on an organization's path from the root to an account, with the policies attached there."""
    kind: str                       # root | ou | account
    id: str                         # r-..., ou-..., or the 12-digit account id
    name: str
    policies: tuple[NamedPolicy, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "policies": [p.name for p in self.policies]}


@dataclass(frozen=True, slots=True)
class Guardrails:
    """The organization policies of one type that apply to one side of a request: the SCPs of the principal's
    account, or the RCPs of the resource's account (AWS Organizations User Guide, "Service control policies",
    "Resource control policies"). `levels` run from the root through each OU to the account itself; an allow is
    needed at every level. `exempt` says why the layer is not in play although the account belongs to an
    organization (the management account, a service-linked role, ...)."""
    levels: tuple[GuardrailLevel, ...] = ()
    exempt: str | None = None
