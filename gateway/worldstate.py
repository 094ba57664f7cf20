"""Whole-account operations on moto's state: copy a prepared account, drop an account, set a user's access keys,
replay journaled writes. What sandbox builds use instead of hundreds of seeding calls (sandboxes/template.py).

moto keeps each service's data per account (`BackendDict[account_id][region] -> backend`); these functions work on
that structure directly, under the moto lock, in the process that owns moto. Web processes reach them in-process
or through lab control (gateway/control/, `world.*` methods: gateway.ports.WorldPort); both use the same
functions here. `WorldState.call` runs one named AWS operation with the admin client (seeding from another process).

Copying an account: the template account's backends are pickled, every template identifier (account ids, the
template sandbox's id and its S3 bucket prefix) is replaced by the new sandbox's in the pickle bytes, and the
result is unpickled under the new account. The replacements must be of equal length (checked), which keeps every
pickled string's length prefix valid; ids are fixed-width, so they are. Unique ids that AWS makes per entity (user
AIDA..., role AROA...) and access keys are then issued afresh, so no two sandboxes share one.
"""
from __future__ import annotations

import pickle
import re
from typing import Any, Iterable

from engine.directory import moto_lock

from .ports import AwsAnswer, AwsCall

# Services whose per-account state a copy carries. EC2 is left out on purpose: its backend is ~8 MB per account
# and region (default VPC, AMIs with their snapshots), and the world has no instances; moto builds it on first use.
COPIED_SERVICES = ("iam", "s3", "secretsmanager", "sts", "ssoadmin", "identitystore", "kms", "organizations")


def _backend_dicts() -> list[Any]:
    from moto.core.base_backend import BackendDict

    # moto's registry of the BackendDicts in use (noqa: SLF001)
    return list(BackendDict._instances)  # type: ignore[misc]  # a class attribute moto declares per instance


def _service_dict(service: str) -> Any:
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[call-overload]  # moto types the names as literals


def account_loaded(account_id: str) -> bool:
    """Whether moto holds any state for this account (IAM is created by every build)."""
    with moto_lock:
        return any(account_id in backend_dict and len(backend_dict[account_id]) > 0
                   for backend_dict in _backend_dicts() if dict.__contains__(backend_dict, account_id))


def drop_accounts(account_ids: Iterable[str]) -> None:
    """Forget everything moto holds for these accounts (every service, every region) and free the memory. The member
    accounts an organization of theirs created (CreateAccount) go with them; so do their memberships."""
    wanted = set(account_ids)
    from moto.organizations.models import organizations_backends
    from moto.s3.models import s3_backends

    from .moto_organizations import handshakes

    with moto_lock:
        memberships = organizations_backends.master_accounts
        wanted |= {member for member, (management, _) in memberships.items() if management in wanted}
        for member in [m for m, (management, _) in memberships.items() if m in wanted or management in wanted]:
            del memberships[member]
        invitations = handshakes(organizations_backends)
        for handshake_id in [h for h, shake in invitations.items() if {shake.account, shake.management} & wanted]:
            del invitations[handshake_id]
        for backend_dict in _backend_dicts():
            for account_id in wanted:
                if dict.__contains__(backend_dict, account_id):
                    dict.__delitem__(backend_dict, account_id)
        for bucket, (_, owner) in list(s3_backends.bucket_accounts.items()):
            if owner in wanted:
                del s3_backends.bucket_accounts[bucket]


def clone_accounts(pairs: dict[str, str], replacements: dict[str, str]) -> None:
    """Copy each template account (key) to a new account (value); `replacements` maps further template strings to
    the new sandbox's (its id, its S3 prefix). The targets should be empty (drop_accounts first)."""
    swaps = {**pairs, **replacements}
    for old, new in swaps.items():
        if len(old.encode()) != len(new.encode()) or not old:
            raise ValueError(f"cannot copy: {old!r} and {new!r} differ in length")
    from moto.s3.models import s3_backends

    encoded = [(old_text.encode(), new_text.encode()) for old_text, new_text in swaps.items()]
    with moto_lock:
        for service in COPIED_SERVICES:
            backend_dict = _service_dict(service)
            for source, target in pairs.items():
                if not dict.__contains__(backend_dict, source):
                    continue
                # The per-region backends travel; moto makes the new account's own container (its own identity).
                regions = dict(dict.items(dict.__getitem__(backend_dict, source)))
                blob = pickle.dumps(regions, protocol=pickle.HIGHEST_PROTOCOL)
                for old_bytes, new_bytes in encoded:
                    blob = blob.replace(old_bytes, new_bytes)
                copied = pickle.loads(blob)  # noqa: S301 (our own bytes, made just above)
                container = backend_dict[target]
                for region, backend in copied.items():
                    dict.__setitem__(container, region, backend)
                    if service == "s3":
                        for name in backend.buckets:
                            s3_backends.bucket_accounts[name] = (region, target)
        for target in pairs.values():
            _fresh_unique_ids(target)
            _fresh_organization(target)


def _iam(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["global"]


def _fresh_unique_ids(account_id: str) -> None:
    """New AIDA/AROA ids for a copied account's users and roles (AWS never reuses them), and no copied keys."""
    from moto.iam.utils import generate_access_key_id_from_account_id, random_role_id

    iam = _iam(account_id)
    for user in iam.users.values():
        user.id = generate_access_key_id_from_account_id(account_id=account_id, prefix="AIDA", total_length=21)
        for key in list(user.access_keys):
            iam.access_keys.pop(key.access_key_id, None)
        user.access_keys = []
    roles = list(iam.roles.values())
    iam.roles.clear()
    for role in roles:   # moto keys roles by their id
        role.id = random_role_id(account_id)
        iam.roles[role.id] = role


def _fresh_organization(account_id: str) -> None:
    """A copied management account's organization gets an id of its own (AWS never reuses one), and its members
    are recorded as members (moto keeps that on the BackendDict, which a copy does not carry)."""
    from moto.organizations.models import organizations_backends
    from moto.organizations.utils import make_random_org_id

    if not dict.__contains__(organizations_backends, account_id):
        return
    backend = organizations_backends[account_id]["aws"]
    if backend.org is None:
        return
    org_id = make_random_org_id()
    backend.org.id = org_id
    items: list[Any] = [*backend.accounts, *backend.ou, *backend.policies]
    for item in items:
        item.organization_id = org_id
    for member in backend.accounts:
        if member.id != account_id:
            organizations_backends.master_accounts[member.id] = (account_id, "aws")


def set_access_keys(entries: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """set_user_access_keys for each {"account_id", "user_name", "keys"}, in one call (one round trip remotely)."""
    with moto_lock:
        return [set_user_access_keys(e["account_id"], e["user_name"], list(e["keys"])) for e in entries]


def set_user_access_keys(account_id: str, user_name: str, keys: list[dict[str, str]]) -> list[dict[str, str]]:
    """Make these the user's access keys: each {"access_key_id", "secret_access_key", "status"?}; an entry without
    an id gets a new key from moto. Returns the keys as set (with the new ids and secrets)."""
    result = []
    with moto_lock:
        iam = _iam(account_id)
        user = iam.get_user(user_name)
        for key in list(user.access_keys):
            iam.access_keys.pop(key.access_key_id, None)
        user.access_keys = []
        for wanted in keys:
            key = user.create_access_key(prefix="AKIA", status=wanted.get("status") or "Active")
            if wanted.get("access_key_id"):
                key.access_key_id = wanted["access_key_id"]
                key.secret_access_key = wanted["secret_access_key"]
            iam.access_keys[key.access_key_id] = key
            result.append({"access_key_id": key.access_key_id, "secret_access_key": key.secret_access_key,
                           "status": key.status})
    return result


def add_identity_providers(account_id: str, saml: list[dict[str, str]], oidc: list[dict[str, Any]]) -> None:
    """Create IAM identity providers in one account in one step: each SAML one {"name", "metadata"}, each OIDC one
    {"url", "client_ids", "thumbprints"}. What CreateSAMLProvider and CreateOpenIDConnectProvider store, for a world's
    seeding (federation's per-sandbox IdPs), without a request through moto's HTTP layer per provider."""
    for entry in saml:
        if not (isinstance(entry.get("name"), str) and isinstance(entry.get("metadata"), str)):
            raise ValueError("a SAML provider needs a name and a metadata document")
    for entry in oidc:
        if not (isinstance(entry.get("url"), str)
                and all(isinstance(v, str) for v in [*entry.get("client_ids", []), *entry.get("thumbprints", [])])):
            raise ValueError("an OIDC provider needs a url, client ids and thumbprints")
    with moto_lock:
        iam = _iam(account_id)
        for entry in saml:
            iam.create_saml_provider(entry["name"], entry["metadata"])
        for entry in oidc:
            iam.create_open_id_connect_provider(entry["url"], list(entry.get("thumbprints", [])),
                                                list(entry.get("client_ids", [])), [])


def replace_access_key(account_id: str, user_name: str, current_id: str, access_key_id: str,
                       secret_access_key: str) -> bool:
    """Give one existing key of the user another id and secret (a replayed CreateAccessKey gets its old key back)."""
    with moto_lock:
        iam = _iam(account_id)
        user = iam.users.get(user_name)
        if user is None:
            return False
        for key in user.access_keys:
            if key.access_key_id == current_id:
                iam.access_keys.pop(current_id, None)
                key.access_key_id, key.secret_access_key = access_key_id, secret_access_key
                iam.access_keys[access_key_id] = key
                return True
    return False


def replay(moto: Any, entries: list[dict[str, Any]]) -> int:
    """Apply journaled writes (gateway/journal.py entries, oldest first) to moto again; returns how many failed.

    A replayed CreateAccessKey makes a new key in moto; it then gets the id and secret it had, so a learner's
    terminal profile keeps working."""
    from .journal import created_key_id
    from .moto_backend import MotoRequest

    failed = 0
    for entry in entries:
        request = MotoRequest(entry["method"], entry["path"], entry.get("query", ""), dict(entry.get("headers", {})),
                              entry.get("body", b""))
        answer = moto.call(request, entry["account_id"])
        if answer.status >= 300:
            failed += 1
            continue
        created = entry.get("created_key")
        if created:
            new_id = created_key_id(answer.body)
            if new_id:
                replace_access_key(entry["account_id"], created["user_name"], new_id, created["access_key_id"],
                                   created["secret_access_key"])
    return failed


class WorldState:
    """These functions as methods, bound to one moto: gateway.ports.WorldPort, what the web layer calls in-process
    (labclient.world_state) and what lab control serves to other processes (`world.*`)."""

    def __init__(self, moto: Any) -> None:
        self.moto = moto
        self._services: frozenset[str] | None = None

    def account_loaded(self, account_id: str) -> bool:
        return account_loaded(account_id)

    def drop_accounts(self, account_ids: list[str]) -> None:
        drop_accounts(account_ids)

    def clone_accounts(self, pairs: dict[str, str], replacements: dict[str, str]) -> None:
        clone_accounts(pairs, replacements)

    def set_access_keys(self, entries: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
        return set_access_keys(entries)

    def add_identity_providers(self, account_id: str, saml: list[dict[str, str]], oidc: list[dict[str, Any]]) -> None:
        add_identity_providers(account_id, saml, oidc)

    def replay(self, entries: list[dict[str, Any]]) -> int:
        return replay(self.moto, entries)

    def call(self, request: AwsCall) -> AwsAnswer:
        """One named AWS operation run by this process's admin client in one account (seeding, no authentication):
        the same client, S3 namespace and moto as an in-process seeding call. AWS errors come back as the answer
        (status and parsed error, as botocore parsed them); parameters botocore's model refuses are a ValueError."""
        from botocore import xform_name
        from botocore.exceptions import ClientError, ParamValidationError
        from botocore.response import StreamingBody

        from .admin import local_admin_client, parsed_as_received

        if request.service not in self._known_services():
            raise ValueError(f"unknown AWS service `{request.service}`")
        if not _ACCOUNT.match(request.account_id):
            raise ValueError("`account_id` must be a 12-digit AWS account id")
        if not _REGION.match(request.region):
            raise ValueError(f"`region` {request.region!r} is not an AWS region name")
        client = local_admin_client(request.service, request.account_id, sandbox_id=request.sandbox_id,
                                    region=request.region, moto=self.moto)
        model = client.meta.service_model
        if request.operation not in model.operation_names:
            raise ValueError(f"{request.service} has no operation `{request.operation}`")
        method = xform_name(request.operation)   # how botocore names a client's method after the operation
        holder: dict[str, Any] = {}
        token = parsed_as_received.set(holder)
        try:
            getattr(client, method)(**request.params)
        except ClientError:
            pass                      # an AWS error is an answer like any other (holder has it)
        except ParamValidationError as error:
            raise ValueError(str(error)) from None
        finally:
            parsed_as_received.reset(token)
        parsed = holder["parsed"]
        for name, value in list(parsed.items()):
            if isinstance(value, StreamingBody):   # S3 GetObject: the body travels as bytes
                parsed[name] = value.read()
        status = int((parsed.get("ResponseMetadata") or {}).get("HTTPStatusCode") or (400 if "Error" in parsed
                                                                                       else 200))
        return AwsAnswer(status, parsed)

    def _known_services(self) -> frozenset[str]:
        if self._services is None:
            from .botocore_glue import boto3_session

            self._services = frozenset(boto3_session().get_available_services())
        return self._services


_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
