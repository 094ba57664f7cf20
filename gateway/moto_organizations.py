"""AWS Organizations in moto, patched once per process (`install()`, called by gateway/moto_backend.py) so that a
journaled write replayed after a restart does what it did the first time; gateway/organizations.py has the rest.

- CreateAccount makes a member account whose id follows from the management account and the e-mail address
  (`member_account_id`): the same request gives the same account after a rebuild, so the learner's later writes
  in that account replay where they belong. moto picks a random id.
- The new account's OrganizationAccountAccessRole has AdministratorAccess attached, as AWS creates it
  (Organizations User Guide, "Accessing a member account that has a management account access role": the role
  "grants full administrative permissions in the member account"); moto makes the role with no permission.
- Enabling a policy type attaches its AWS-managed default (FullAWSAccess, RCPFullAWSAccess) to the root, every OU
  and every account; disabling it detaches every policy of that type (Organizations User Guide, "Service control
  policies": "When you disable the SCP policy type in a root, all SCPs are automatically detached ... If you
  reenable SCPs in a root, that root reverts to only the default FullAWSAccess policy").
"""
from __future__ import annotations

import hashlib
import json
from types import MappingProxyType
from typing import Any

from engine.directory import moto_lock

from .motopatch import is_lab_patch, lab_patch

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ACCESS_ROLE = "OrganizationAccountAccessRole"
DEFAULT_POLICIES = MappingProxyType({"SERVICE_CONTROL_POLICY": "p-FullAWSAccess",
                                     "RESOURCE_CONTROL_POLICY": "p-RCPFullAWSAccess"})
# Member accounts the lab creates have ids starting with 3: sandbox accounts (sandboxes.models.ACCOUNT_ID_BASE, 2...)
# and the world template's (1...) never do.
MEMBER_ACCOUNT_DIGIT = "3"
_PLACEHOLDER_ACCOUNT = "000000000000"


def member_account_id(management_account: str, email: str) -> str:
    """The id of the account CreateAccount makes for this e-mail in this management account's organization."""
    digest = hashlib.sha256(f"{management_account}\0{email.strip().lower()}".encode()).digest()
    return MEMBER_ACCOUNT_DIGIT + f"{int.from_bytes(digest[:8], 'big') % 10**11:011d}"


class Handshake:
    """An invitation of an existing account into an organization (InviteAccountToOrganization, AcceptHandshake),
    which moto lacks: Organizations User Guide, "Inviting an AWS account to join your organization"."""

    def __init__(self, organization: Any, account: str, notes: str | None) -> None:
        import secrets
        from datetime import datetime, timedelta, timezone

        self.id = "h-" + secrets.token_hex(5)
        self.organization_id = organization.id
        self.management = organization.master_account_id
        self.account = account
        self.notes = notes
        self.state = "OPEN"
        self.requested = datetime.now(timezone.utc)
        self.expires = self.requested + timedelta(days=15)    # "invitations expire after 15 days"

    def describe(self) -> dict[str, Any]:
        resources = [{"Value": self.organization_id, "Type": "ORGANIZATION"}]
        if self.notes:
            resources.append({"Value": self.notes, "Type": "NOTES"})
        return {"Id": self.id,
                "Arn": f"arn:aws:organizations::{self.management}:handshake/{self.organization_id}/invite/{self.id}",
                "Parties": [{"Id": self.organization_id, "Type": "ORGANIZATION"},
                            {"Id": self.account, "Type": "ACCOUNT"}],
                "State": self.state, "RequestedTimestamp": self.requested.timestamp(),
                "ExpirationTimestamp": self.expires.timestamp(), "Action": "INVITE", "Resources": resources}


def handshakes(registry: Any) -> dict[str, Handshake]:
    """The open and answered invitations of the process (moto keeps its cross-account state on the BackendDict)."""
    if not hasattr(registry, "handshakes"):
        registry.handshakes = {}
    found: dict[str, Handshake] = registry.handshakes
    return found


def install() -> None:
    from moto.iam.models import iam_backends
    from moto.organizations import exceptions as org_exceptions
    from moto.organizations import models as org_models
    from moto.organizations import responses as org_responses
    from moto.organizations import utils as org_utils

    if is_lab_patch(org_models.OrganizationsBackend.create_organization):     # patched once per process
        return
    pending: list[str] = []
    creating_organization: list[bool] = []
    joining: list[str] = []              # the existing account AcceptHandshake is adding
    random_account_id = org_utils.make_random_account_id

    def make_account_id() -> str:
        return pending.pop() if pending else random_account_id()

    original_account_init = org_models.FakeAccount.__init__

    def account_init(self: Any, organization: Any, **kwargs: Any) -> None:
        placeholder = bool(creating_organization)
        invited = joining[-1] if joining else None
        if placeholder:
            # moto makes the management account's entry as an account of its own (and gives it the access role)
            # before renaming it: let that stand-in land on an account nobody uses, and drop what it made there.
            pending[:] = [_PLACEHOLDER_ACCOUNT]
        elif invited:
            pending[:] = [invited]
            had_role = any(role.name == ACCESS_ROLE for role in iam_backends[invited]["global"].roles.values())
        else:
            pending[:] = [member_account_id(organization.master_account_id, kwargs.get("Email", ""))]
        try:
            original_account_init(self, organization, **kwargs)
        finally:
            pending.clear()
        if placeholder:
            if dict.__contains__(iam_backends, _PLACEHOLDER_ACCOUNT):
                dict.__delitem__(iam_backends, _PLACEHOLDER_ACCOUNT)
            return
        iam = iam_backends[self.id]["global"]
        if invited:
            # An invited account gets no access role: "If you invited an existing account ... you must create the
            # role yourself" (Organizations User Guide, "Accessing member accounts"). moto made one: take it away.
            if not had_role:
                iam.delete_role(ACCESS_ROLE)
            self.joined_method = "INVITED"
            return
        role_name = kwargs.get("RoleName") or ACCESS_ROLE
        if not any(role.name == role_name and role.managed_policies for role in iam.roles.values()):
            iam.attach_role_policy(ADMINISTRATOR_ACCESS, role_name)

    original_create_organization = org_models.OrganizationsBackend.create_organization

    def create_organization(self: Any, region: str, **kwargs: Any) -> dict[str, Any]:
        creating_organization.append(True)
        try:
            return original_create_organization(self, region, **kwargs)
        finally:
            creating_organization.pop()

    original_enable = org_models.OrganizationsBackend.enable_policy_type
    original_disable = org_models.OrganizationsBackend.disable_policy_type

    def enable_policy_type(self: Any, **kwargs: Any) -> dict[str, Any]:
        answer = original_enable(self, **kwargs)
        default = DEFAULT_POLICIES.get(kwargs.get("PolicyType", ""))
        if default and any(p.id == default for p in self.policies):
            for target in [*self.ou, *self.accounts]:
                self.attach_policy(PolicyId=default, TargetId=target.id)
        return answer

    def disable_policy_type(self: Any, **kwargs: Any) -> dict[str, Any]:
        answer = original_disable(self, **kwargs)
        policy_type = kwargs.get("PolicyType", "")
        for target in [*self.ou, *self.accounts]:
            for policy in [p for p in target.attached_policies if p.type == policy_type]:
                target.attached_policies.remove(policy)
                policy.attachments.remove(target)
        return answer

    def invite_account_to_organization(self: Any, **kwargs: Any) -> dict[str, Any]:
        if self.org is None:
            raise org_exceptions.AWSOrganizationsNotInUseException
        target = kwargs.get("Target") or {}
        if target.get("Type") != "ACCOUNT" or not str(target.get("Id", "")).isdigit():
            raise org_exceptions.InvalidInputException("You provided a value that does not match the required "
                                                       "pattern.")
        if any(account.id == target["Id"] for account in self.accounts):
            raise org_exceptions.OrganizationsClientError(
                "DuplicateAccountException", "That account is already present in the specified organization.")
        handshake = Handshake(self.org, target["Id"], kwargs.get("Notes"))
        handshakes(org_models.organizations_backends)[handshake.id] = handshake
        return {"Handshake": handshake.describe()}

    def accept_handshake(self: Any, **kwargs: Any) -> dict[str, Any]:
        registry = org_models.organizations_backends
        handshake = handshakes(registry).get(kwargs.get("HandshakeId", ""))
        if handshake is None or handshake.account != self.account_id:
            raise org_exceptions.OrganizationsClientError(
                "HandshakeNotFoundException", "We can't find a handshake with the HandshakeId that you specified.")
        if handshake.state != "OPEN":
            raise org_exceptions.OrganizationsClientError(
                "InvalidHandshakeTransitionException", "You can't perform the operation on the handshake in its "
                "current state.")
        if self.org is not None or self.account_id in registry.master_accounts:
            raise org_exceptions.OrganizationsClientError(
                "HandshakeConstraintViolationException", "The requested operation would violate the constraint "
                "identified in the reason code. (ALREADY_IN_AN_ORGANIZATION)")
        management = registry[handshake.management]["aws"]
        aliases = iam_backends[self.account_id]["global"].account_aliases
        name = aliases[0] if aliases else self.account_id
        joining.append(self.account_id)
        try:
            organization: Any = management.org
            member = org_models.FakeAccount(organization, AccountName=name, Email=f"{name}@example.com")
        finally:
            joining.pop()
        management.accounts.append(member)
        for policy_id in DEFAULT_POLICIES.values():
            if any(p.id == policy_id for p in management.policies):
                management.attach_policy(PolicyId=policy_id, TargetId=member.id)
        registry.master_accounts[self.account_id] = (handshake.management, "aws")
        handshake.state = "ACCEPTED"
        return {"Handshake": handshake.describe()}

    def describe_handshake(self: Any, **kwargs: Any) -> dict[str, Any]:
        handshake = handshakes(org_models.organizations_backends).get(kwargs.get("HandshakeId", ""))
        if handshake is None or self.account_id not in (handshake.account, handshake.management):
            raise org_exceptions.OrganizationsClientError(
                "HandshakeNotFoundException", "We can't find a handshake with the HandshakeId that you specified.")
        return {"Handshake": handshake.describe()}

    def list_handshakes_for_account(self: Any, **kwargs: Any) -> dict[str, Any]:
        return {"Handshakes": [h.describe() for h in handshakes(org_models.organizations_backends).values()
                               if h.account == self.account_id]}

    for name, method in (("invite_account_to_organization", invite_account_to_organization),
                         ("accept_handshake", accept_handshake), ("describe_handshake", describe_handshake),
                         ("list_handshakes_for_account", list_handshakes_for_account)):
        setattr(org_models.OrganizationsBackend, name, method)

        def respond(self: Any, _name: str = name) -> str:
            return json.dumps(getattr(self.organizations_backend, _name)(**self.request_params), default=str)

        setattr(org_responses.OrganizationsResponse, name, respond)

    org_utils.make_random_account_id = make_account_id
    setattr(org_models.FakeAccount, "__init__", account_init)
    setattr(org_models.OrganizationsBackend, "create_organization", lab_patch(create_organization))
    setattr(org_models.OrganizationsBackend, "enable_policy_type", enable_policy_type)
    setattr(org_models.OrganizationsBackend, "disable_policy_type", disable_policy_type)


def backend(account: str) -> Any:
    """moto's Organizations backend of an account (the management account holds its organization)."""
    from moto.organizations.models import organizations_backends

    return organizations_backends[account]["aws"]


def management_of(account: str) -> str | None:
    """The management account of the organization `account` belongs to, or None."""
    from moto.organizations.models import organizations_backends

    with moto_lock:
        if dict.__contains__(organizations_backends, account) and backend(account).org is not None:
            return account
        found = organizations_backends.master_accounts.get(account)
        return found[0] if found else None
