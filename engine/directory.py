"""Directory: a read-only view of IAM (and a few other) entities, read straight from moto's in-process backends.

moto is not thread-safe, so every read here happens under `moto_lock`, the same RLock the gateway holds while it
calls moto's WSGI app. Entities come back as small snapshots (plain dataclasses), never moto objects, so callers
can use them after the lock is released.

moto stores policy documents as the raw JSON text it was given (sometimes URL-encoded, sometimes a dict from
CloudFormation); `normalise_policy_text` turns all of those into JSON text.

moto has no PutUserPermissionsBoundary (NotImplementedError), so user boundaries set through the gateway live in a
side table here (`set_user_boundary`). Role boundaries are held by moto (CreateRole PermissionsBoundary /
PutRolePermissionsBoundary set `Role.permissions_boundary_arn`).
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import unquote

# Shared with the gateway: hold it around every call into moto (its backends are plain dicts, not thread-safe).
moto_lock = threading.RLock()
MEMBERSHIPS_KEPT = 4096     # organization memberships remembered (an account's is re-read when its organization changes)

DEFAULT_MAX_SESSION_DURATION = 3600  # IAM-MODEL CreateRole MaxSessionDuration default


def normalise_policy_text(document: Any) -> str:
    """JSON text of a policy document however moto stored it (str, URL-encoded str, bytes, dict)."""
    if document is None:
        return ""
    if isinstance(document, bytes):
        document = document.decode("utf-8")
    if isinstance(document, (dict, list)):
        return json.dumps(document)
    text = str(document)
    stripped = text.lstrip()
    if stripped.startswith("%7B") or stripped.startswith("%7b"):
        return unquote(text)
    return text


def tags_to_dict(tags: Iterable[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in (tags or [])}


@dataclass(frozen=True)
class PolicyText:
    """One policy document with a name the explanation panel can show (inline name or managed ARN)."""
    name: str
    text: str
    arn: str | None = None          # managed policies only
    source: str = "inline"          # inline | managed | group-inline | group-managed


@dataclass(frozen=True)
class EntityPolicies:
    inline: dict[str, str]          # policy name -> document
    managed_arns: tuple[str, ...]
    group_count: int = 0


@dataclass
class UserInfo:
    account: str
    name: str
    arn: str
    user_id: str                    # AIDA-style unique id (aws:userid)
    path: str
    tags: dict[str, str]
    policies: list[PolicyText]      # inline + attached + groups' inline/attached
    boundary_arn: str | None
    groups: list[str] = field(default_factory=list)
    mfa_serials: list[str] = field(default_factory=list)
    access_key_count: int = 0       # IAM allows two per user: a third CreateAccessKey is LimitExceeded


@dataclass
class RoleInfo:
    account: str
    name: str
    arn: str
    role_id: str                    # AROA...
    path: str
    trust_policy: str
    tags: dict[str, str]
    max_session_duration: int
    policies: list[PolicyText]
    boundary_arn: str | None


@dataclass(frozen=True)
class AccessKeyInfo:
    access_key_id: str
    secret_access_key: str
    status: str                     # Active | Inactive
    account: str
    user_name: str | None           # None for root keys
    is_root: bool = False


@dataclass(frozen=True)
class MfaDeviceInfo:
    serial_number: str
    account: str
    seed: str | None                # base32 TOTP seed (virtual devices only)
    user_name: str | None           # the user it is enabled for, if any


@dataclass(frozen=True)
class InstanceProfileInfo:
    account: str
    name: str
    arn: str
    profile_id: str
    role_arns: tuple[str, ...]


@dataclass(frozen=True)
class SamlProviderInfo:
    account: str
    name: str
    arn: str
    metadata: str


@dataclass(frozen=True)
class OidcProviderInfo:
    account: str
    arn: str
    url: str                        # host + path, no scheme (as IAM stores it)
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]


@dataclass(frozen=True)
class GroupInfo:
    account: str
    name: str
    arn: str
    policies: tuple[PolicyText, ...]    # inline + attached
    members: tuple[str, ...]            # user names


@dataclass(frozen=True)
class AccountEntities:
    """Every principal-bearing entity of one account (engine.graph reads these): snapshots, not moto objects."""
    account: str
    users: tuple[UserInfo, ...] = ()
    roles: tuple[RoleInfo, ...] = ()
    groups: tuple[GroupInfo, ...] = ()
    instance_profiles: tuple[InstanceProfileInfo, ...] = ()
    saml_providers: tuple[SamlProviderInfo, ...] = ()
    oidc_providers: tuple[OidcProviderInfo, ...] = ()
    # (policy ARN, version id, document) of every non-default version of the account's customer managed policies:
    # iam:SetDefaultPolicyVersion can put any of them in force
    policy_versions: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class OrgPolicyText:
    """An organization policy (SCP or RCP) attached at one level, as stored."""
    id: str
    name: str
    type: str                       # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    text: str
    aws_managed: bool


@dataclass(frozen=True)
class OrgLevel:
    """One node on an account's path in its organization: the root, an OU, or the account itself."""
    kind: str                       # root | ou | account
    id: str
    name: str
    policies: tuple[OrgPolicyText, ...]


@dataclass(frozen=True)
class OrgMembership:
    """Where an account sits in its organization, and what is attached on the way (moto's Organizations data)."""
    org_id: str
    management_account: str
    account: str
    levels: tuple[OrgLevel, ...]    # root, OUs, account
    enabled_types: frozenset[str]   # policy types enabled in the root
    # what engine.guardrails derived from this membership (parsed policies by type); a membership is reused for as
    # long as moto's organization is unchanged (Directory.organization_of), so its policies are parsed once
    derived: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def path(self) -> str:
        """aws:PrincipalOrgPaths / aws:ResourceOrgPaths form: o-.../r-.../ou-.../ (the account itself not included)."""
        return "/".join([self.org_id] + [level.id for level in self.levels if level.kind != "account"]) + "/"

    @property
    def is_management(self) -> bool:
        return self.account == self.management_account


def user_unique_id(moto_user_id: str) -> str:
    """AWS user ids look like AIDA + 17 chars; moto makes 20 random lowercase chars. Keep a seeded AIDA id as is."""
    if moto_user_id.startswith("AIDA"):
        return moto_user_id
    return "AIDA" + moto_user_id.upper()[:17]


class Directory:
    """Reads moto's backends. Every public method takes `moto_lock`."""

    def __init__(self) -> None:
        # account -> user name -> boundary ARN (moto cannot hold user boundaries)
        self._user_boundaries: dict[str, dict[str, str]] = {}
        # root access keys the lab hands out for the "root cannot assume roles" lesson (moto has none)
        self._root_keys: dict[str, AccessKeyInfo] = {}
        # account -> (what its membership was read from, the membership): see organization_of
        self._memberships: OrderedDict[str, tuple[list[Any], OrgMembership]] = OrderedDict()

    # ---- moto access -------------------------------------------------------------------------------------------
    @staticmethod
    def _iam(account: str, *, create: bool = False) -> Any:
        from moto.iam.models import iam_backends
        if not create and account not in iam_backends:
            return None
        return iam_backends[account]["global"]

    @staticmethod
    def _iam_accounts() -> list[str]:
        from moto.iam.models import iam_backends
        return list(iam_backends.keys())

    # ---- Organizations -------------------------------------------------------------------------------------------
    @staticmethod
    def _org_backend(account: str) -> Any:
        # dict's own lookups: moto's BackendDict.__getitem__ lists every account on each access (O(accounts)), and
        # this runs on every authorized call
        per_account = dict.get(_organizations_backends(), account)
        if per_account is None:
            return None
        backend = dict.get(per_account, "aws")
        return backend if backend is not None else per_account["aws"]

    def organization_master(self, account: str) -> str | None:
        """The management account of the organization `account` belongs to (itself when it manages one), or None."""
        with moto_lock:
            backend = self._org_backend(account)
            if backend is not None and backend.org is not None:
                return account
            found = _organizations_backends().master_accounts.get(account)
            return found[0] if found else None

    def organization_of(self, account: str) -> OrgMembership | None:
        """The account's organization, its path from the root and the SCPs/RCPs attached on it, or None."""
        with moto_lock:
            master = self.organization_master(account)
            backend = self._org_backend(master) if master else None
            if master is None or backend is None or backend.org is None:
                return None
            member = None
            for candidate in backend.accounts:
                if candidate.id == account:
                    member = candidate
                    break
            if member is None:
                return None
            by_id = {ou.id: ou for ou in backend.ou}
            chain: list[Any] = []
            parent = by_id.get(member.parent_id)
            while parent is not None and len(chain) < 16:   # nesting is at most 5 deep in AWS
                chain.append(parent)
                parent = by_id.get(parent.parent_id) if getattr(parent, "type", "") != "ROOT" else None
            chain.reverse()
            root = chain[0] if chain and getattr(chain[0], "type", "") == "ROOT" else next(
                (ou for ou in backend.ou if getattr(ou, "type", "") == "ROOT"), None)
            enabled = frozenset([t["Type"] for t in (root.policy_types if root is not None else ())
                                 if t.get("Status") == "ENABLED"])
            # Everything the membership is built from, compared by identity (moto's objects) and value (names,
            # texts): an unchanged organization gives back the same membership, so its policies are not read and
            # parsed again on every call; any change (a policy edited, attached or detached, an account moved, an OU
            # renamed, a type enabled, the organization replaced) is a different key. No invalidation to forget.
            chain.append(member)
            source = [backend.org.id, master, enabled]
            for node in chain:
                source.append(node)
                source.append(node.name)
                policies = node.attached_policies
                source.append(len(policies))
                for policy in policies:
                    source.append(policy)
                    source.append(policy.name)
                    source.append(policy.content)
            chain.pop()
            cached = self._memberships.get(account)
            if cached is not None and cached[0] == source:
                self._memberships.move_to_end(account)
                return cached[1]
            levels = [_org_level("root" if getattr(node, "type", "") == "ROOT" else "ou", node) for node in chain]
            levels.append(_org_level("account", member))
            membership = OrgMembership(backend.org.id, master, account, tuple(levels), enabled)
            self._memberships[account] = (source, membership)
            while len(self._memberships) > MEMBERSHIPS_KEPT:
                self._memberships.popitem(last=False)
            return membership

    # ---- managed policies ----------------------------------------------------------------------------------------
    def managed_policy_text(self, policy_arn: str) -> str | None:
        """Default version's document of a managed policy, or None if it does not exist."""
        with moto_lock:
            account = _arn_account(policy_arn)
            accounts = [account] if account and account != "aws" else self._iam_accounts()
            for acct in accounts:
                backend = self._iam(acct)
                if backend is None:
                    continue
                policy = backend.managed_policies.get(policy_arn)
                if policy is not None:
                    return _default_version_text(policy)
            return None

    # ---- what an entity holds, for IAM's quotas ------------------------------------------------------------------
    def entity_policies(self, account: str, kind: str, name: str) -> EntityPolicies | None:
        """Inline documents, attached managed policy ARNs and (users) group count of a user, role or group."""
        with moto_lock:
            backend = self._iam(account)
            if backend is None:
                return None
            store = {"user": backend.users, "role": backend.roles, "group": backend.groups}[kind]
            if kind == "role":
                entity = next((r for r in store.values() if r.name == name), None)
            else:
                entity = store.get(name)
            if entity is None:
                return None
            groups = sum(1 for g in backend.groups.values() if entity in g.users) if kind == "user" else 0
            return EntityPolicies({n: normalise_policy_text(d) for n, d in entity.policies.items()},
                                  tuple(entity.managed_policies), groups)

    # ---- users ---------------------------------------------------------------------------------------------------
    def user(self, account: str, name: str) -> UserInfo | None:
        with moto_lock:
            backend = self._iam(account)
            if backend is None:
                return None
            user = backend.users.get(name)
            if user is None:
                return None
            return self._user_info(backend, account, user)

    def user_by_arn(self, arn: str) -> UserInfo | None:
        account = _arn_account(arn)
        if not account or ":user/" not in arn:
            return None
        name = arn.rsplit("/", 1)[-1]
        info = self.user(account, name)
        return info if info is not None and info.arn == arn else None

    def _user_info(self, backend: Any, account: str, user: Any) -> UserInfo:
        policies = [PolicyText(n, normalise_policy_text(d)) for n, d in user.policies.items()]
        policies += [PolicyText(p.name, _default_version_text(p), p.arn, "managed")
                     for p in user.managed_policies.values()]
        groups = []
        for group in backend.groups.values():
            if user in group.users:
                groups.append(group.name)
                policies += [PolicyText(f"{group.name}/{n}", normalise_policy_text(d), None, "group-inline")
                             for n, d in group.policies.items()]
                policies += [PolicyText(p.name, _default_version_text(p), p.arn, "group-managed")
                             for p in group.managed_policies.values()]
        tags = tags_to_dict(backend.tagger.list_tags_for_resource(user.arn)["Tags"])
        return UserInfo(
            account=account, name=user.name, arn=user.arn, user_id=user_unique_id(user.id), path=user.path,
            tags=tags, policies=policies,
            boundary_arn=self._user_boundaries.get(account, {}).get(user.name),
            groups=groups, mfa_serials=list(user.mfa_devices.keys()), access_key_count=len(user.access_keys),
        )

    def set_user_boundary(self, account: str, user_name: str, boundary_arn: str | None) -> None:
        """Side table for PutUserPermissionsBoundary / DeleteUserPermissionsBoundary (moto lacks them)."""
        with moto_lock:
            per_account = self._user_boundaries.setdefault(account, {})
            if boundary_arn:
                per_account[user_name] = boundary_arn
            else:
                per_account.pop(user_name, None)

    def drop_user_boundaries(self, accounts: Iterable[str]) -> None:
        with moto_lock:
            for account in accounts:
                self._user_boundaries.pop(account, None)

    def user_boundary(self, account: str, user_name: str) -> str | None:
        with moto_lock:
            return self._user_boundaries.get(account, {}).get(user_name)

    # ---- roles ---------------------------------------------------------------------------------------------------
    def role(self, account: str, name: str) -> RoleInfo | None:
        with moto_lock:
            backend = self._iam(account)
            if backend is None:
                return None
            for role in backend.roles.values():
                if role.name == name:
                    return self._role_info(account, role)
            return None

    def role_by_arn(self, arn: str) -> RoleInfo | None:
        """The role an ARN names (path included, as IAM matches it), or None."""
        account = _arn_account(arn)
        if not account or ":role/" not in arn:
            return None
        info = self.role(account, arn.rsplit("/", 1)[-1])
        return info if info is not None and info.arn == arn else None

    def role_by_id(self, account: str, role_id: str) -> RoleInfo | None:
        with moto_lock:
            backend = self._iam(account)
            role = backend.roles.get(role_id) if backend is not None else None
            return self._role_info(account, role) if role is not None else None

    def _role_info(self, account: str, role: Any) -> RoleInfo:
        policies = [PolicyText(n, normalise_policy_text(d)) for n, d in role.policies.items()]
        policies += [PolicyText(p.name, _default_version_text(p), p.arn, "managed")
                     for p in role.managed_policies.values()]
        try:
            max_duration = int(role.max_session_duration or DEFAULT_MAX_SESSION_DURATION)
        except (TypeError, ValueError):
            max_duration = DEFAULT_MAX_SESSION_DURATION
        return RoleInfo(
            account=account, name=role.name, arn=role.arn, role_id=role.id, path=role.path,
            trust_policy=normalise_policy_text(role.assume_role_policy_document),
            tags=tags_to_dict(role.tags), max_session_duration=max_duration, policies=policies,
            boundary_arn=role.permissions_boundary_arn or None,
        )

    # ---- everything of an account (the access graph) -----------------------------------------------------------
    def entities(self, account: str) -> AccountEntities:
        """Users, roles, groups, instance profiles and identity providers of one account, read in one go."""
        with moto_lock:
            backend = self._iam(account)
            if backend is None:
                return AccountEntities(account)
            users = tuple(self._user_info(backend, account, user) for user in list(backend.users.values()))
            roles = tuple(self._role_info(account, role) for role in list(backend.roles.values()))
            groups = tuple(GroupInfo(
                account, group.name, group.arn,
                tuple([PolicyText(n, normalise_policy_text(d)) for n, d in group.policies.items()]
                      + [PolicyText(p.name, _default_version_text(p), p.arn, "managed")
                         for p in group.managed_policies.values()]),
                tuple(user.name for user in group.users)) for group in list(backend.groups.values()))
            profiles = tuple(InstanceProfileInfo(account, p.name, p.arn, p.id, tuple(r.arn for r in p.roles))
                             for p in list(backend.instance_profiles.values()))
            saml = tuple(SamlProviderInfo(account, p.name, p.arn, p.saml_metadata_document or "")
                         for p in list(backend.saml_providers.values()))
            oidc = tuple(OidcProviderInfo(account, p.arn, p.url, tuple(p.client_id_list), tuple(p.thumbprint_list))
                         for p in list(backend.open_id_providers.values()))
            versions = tuple((p.arn, v.version_id, normalise_policy_text(v.document))
                             for p in list(backend.managed_policies.values())
                             if p.arn.startswith(f"arn:aws:iam::{account}:")
                             for v in p.versions if v.version_id != p.default_version_id)
            return AccountEntities(account, users, roles, groups, profiles, saml, oidc, versions)

    # ---- access keys ---------------------------------------------------------------------------------------------
    def access_key(self, access_key_id: str, accounts: Iterable[str] | None = None) -> AccessKeyInfo | None:
        """A long-term key (IAM user key in moto, or a lab root key). Searches `accounts` or every moto account."""
        with moto_lock:
            root = self._root_keys.get(access_key_id)
            if root is not None:
                return root
            for account in (accounts if accounts is not None else self._iam_accounts()):
                backend = self._iam(account)
                if backend is None:
                    continue
                key = backend.access_keys.get(access_key_id)
                if key is None or key.user_name is None:   # user_name None = moto's own STS temp keys
                    continue
                return AccessKeyInfo(key.access_key_id, key.secret_access_key, key.status, account, key.user_name)
            return None

    def add_root_key(self, key: AccessKeyInfo) -> None:
        with moto_lock:
            self._root_keys[key.access_key_id] = key

    def drop_root_keys(self, accounts: Iterable[str]) -> None:
        wanted = set(accounts)
        with moto_lock:
            for key_id in [k for k, v in self._root_keys.items() if v.account in wanted]:
                del self._root_keys[key_id]

    # ---- MFA -----------------------------------------------------------------------------------------------------
    def mfa_device(self, serial_number: str) -> MfaDeviceInfo | None:
        """A virtual MFA device by serial (arn:aws:iam::ACCT:mfa/name), with its seed and the user it is enabled for."""
        account = _arn_account(serial_number)
        with moto_lock:
            for acct in ([account] if account else self._iam_accounts()):
                backend = self._iam(acct)
                if backend is None:
                    continue
                device = backend.virtual_mfa_devices.get(serial_number)
                if device is not None:
                    seed = device.base32_string_seed
                    if isinstance(seed, bytes):
                        seed = seed.decode("ascii")
                    return MfaDeviceInfo(serial_number, acct, seed, device.user.name if device.user else None)
                # an enabled hardware-style device on a user (no seed we could check codes against)
                for user in backend.users.values():
                    if serial_number in user.mfa_devices:
                        return MfaDeviceInfo(serial_number, acct, None, user.name)
            return None

    # ---- providers, instance profiles, buckets ------------------------------------------------------------------
    def saml_provider(self, arn: str) -> SamlProviderInfo | None:
        account = _arn_account(arn)
        with moto_lock:
            backend = self._iam(account) if account else None
            if backend is None:
                return None
            for provider in backend.saml_providers.values():
                if provider.arn == arn:
                    return SamlProviderInfo(account or "", provider.name, provider.arn,
                                            provider.saml_metadata_document or "")
            return None

    def oidc_provider(self, arn: str) -> OidcProviderInfo | None:
        account = _arn_account(arn)
        with moto_lock:
            backend = self._iam(account) if account else None
            if backend is None:
                return None
            provider = backend.open_id_providers.get(arn)
            if provider is None:
                return None
            return OidcProviderInfo(account or "", provider.arn, provider.url, tuple(provider.client_id_list),
                                    tuple(provider.thumbprint_list))

    def oidc_provider_for_host(self, account: str, url: str) -> OidcProviderInfo | None:
        """The provider for an issuer URL (`https://host/path` or `host/path`) in one account."""
        host_path = url.split("://", 1)[-1].rstrip("/")
        return self.oidc_provider(f"arn:aws:iam::{account}:oidc-provider/{host_path}")

    def instance_profile(self, account: str, name: str) -> InstanceProfileInfo | None:
        with moto_lock:
            backend = self._iam(account)
            if backend is None:
                return None
            for profile in backend.instance_profiles.values():
                if profile.name == name:
                    return InstanceProfileInfo(account, profile.name, profile.arn, profile.id,
                                               tuple(r.arn for r in profile.roles))
            return None

    def instance_profile_by_arn(self, arn: str) -> InstanceProfileInfo | None:
        account = _arn_account(arn)
        if not account:
            return None
        info = self.instance_profile(account, arn.rsplit("/", 1)[-1])
        return info if info is not None and info.arn == arn else None

    def bucket_policy(self, account: str, bucket_name: str) -> str | None:
        """The bucket policy text of a bucket moto stores under `bucket_name` (the gateway passes moto's name)."""
        with moto_lock:
            from moto.s3.models import s3_backends
            if account not in s3_backends:
                return None
            bucket = s3_backends[account]["aws"].buckets.get(bucket_name)
            if bucket is None or not bucket.policy:
                return None
            return normalise_policy_text(bucket.policy)


_ORG_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


_ORG_BACKENDS: list[Any] = []


def _organizations_backends() -> Any:
    if not _ORG_BACKENDS:
        from moto.organizations.models import organizations_backends
        _ORG_BACKENDS.append(organizations_backends)
    return _ORG_BACKENDS[0]


def _org_level(kind: str, node: Any) -> OrgLevel:
    policies = tuple(OrgPolicyText(p.id, p.name, p.type, normalise_policy_text(p.content), bool(p.aws_managed))
                     for p in node.attached_policies if p.type in _ORG_POLICY_TYPES)
    return OrgLevel(kind, node.id, node.name or node.id, policies)


def _default_version_text(policy: Any) -> str:
    for version in policy.versions:
        if version.version_id == policy.default_version_id:
            return normalise_policy_text(version.document)
    return normalise_policy_text(policy.versions[0].document) if policy.versions else ""


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[4] or None
