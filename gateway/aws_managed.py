"""AWS-managed policies (arn:aws:iam::aws:policy/...) in every account, from moto's catalogue, held once per process.

moto builds its whole catalogue (1,582 policies, about 5 MB) into every account when MOTO_IAM_LOAD_MANAGED_POLICIES
is on, and keeps none when it is off (the default, so `attach-role-policy ... ReadOnlyAccess` answered NoSuchEntity).
Neither fits a lab of a thousand sandboxes. Here every account's `managed_policies` is a `ManagedPolicies` view: the
account's own policies over one shared, read-only catalogue, loaded the first time anything asks for it.

- Reading (get-policy, list-policies --scope AWS, the engine's policy text) reads the shared objects.
- Attaching one to a user, role or group first gives the account its own copy (`ManagedPolicies.own`), so its
  AttachmentCount counts that account's attachments only: nothing one sandbox does shows in another.
- The catalogue is never copied with a sandbox: a view pickles as its own policies only (sandboxes/template.py copies
  accounts by pickling), and the per-sandbox cost stays what the account itself holds.
- AWS-managed policies cannot be edited (IAM User Guide, "Edit IAM policies": "AWS managed policies cannot be
  edited"); gateway/overrides.py refuses the writes.

The patch is installed by importing this module (gateway/moto_backend.py does), before any IAM backend exists.
"""
from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

from engine.directory import moto_lock

from .motopatch import is_lab_patch, lab_patch

AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
_CATALOGUE_ACCOUNT = "aws"    # the shared objects belong to no account (their ARN names the `aws` namespace)

# The catalogue is moto's data, kept beside moto's backends in moto's own module (as every account's data is, whatever
# the runtime: gateway/runtime.py), under this attribute; built once per process, under moto's lock.
_CATALOGUE_ATTRIBUTE = "securecart_aws_managed_catalogue"


def _loaded() -> dict[str, Any] | None:
    from moto.iam import models as iam_models

    found: dict[str, Any] | None = getattr(iam_models, _CATALOGUE_ATTRIBUTE, None)
    return found


def catalogue() -> dict[str, Any]:
    """ARN -> moto AWSManagedPolicy for every policy of moto's catalogue; built once per process (~0.4 s)."""
    built = _loaded()
    if built is None:
        with moto_lock:
            built = _loaded()
            if built is None:
                from moto.iam import models as iam_models
                from moto.iam.aws_managed_policies import aws_managed_policies_data

                built = {}
                for name, data in json.loads(aws_managed_policies_data).items():
                    policy = iam_models.AWSManagedPolicy.from_data(name, _CATALOGUE_ACCOUNT, "us-east-1", data)
                    built[policy.arn] = policy
                setattr(iam_models, _CATALOGUE_ATTRIBUTE, built)
    return built


def is_aws_managed(arn: str) -> bool:
    return isinstance(arn, str) and arn.startswith(AWS_POLICY_PREFIX)


def _shared(policy: Any) -> bool:
    arn = getattr(policy, "arn", None)
    loaded = _loaded()
    return loaded is not None and isinstance(arn, str) and loaded.get(arn) is policy


class ManagedPolicies(MutableMapping[str, Any]):
    """One account's managed policies: its own (customer managed, and its copies of the AWS ones it attached) over
    the shared catalogue. Writes go to the account's own; an own copy shadows the catalogue's policy."""

    def __init__(self, own: dict[str, Any] | None = None) -> None:
        self.local: dict[str, Any] = dict(own or {})

    def __getitem__(self, arn: str) -> Any:
        if arn in self.local:
            return self.local[arn]
        if is_aws_managed(arn):
            return catalogue()[arn]
        raise KeyError(arn)

    def __contains__(self, arn: object) -> bool:
        return arn in self.local or (isinstance(arn, str) and is_aws_managed(arn) and arn in catalogue())

    def __setitem__(self, arn: str, policy: Any) -> None:
        self.local[arn] = policy

    def __delitem__(self, arn: str) -> None:
        del self.local[arn]      # the catalogue's policies cannot be deleted (a KeyError, as for an unknown ARN)

    def __iter__(self) -> Iterator[str]:
        yield from self.local
        yield from (arn for arn in catalogue() if arn not in self.local)

    def __len__(self) -> int:
        return len(self.local) + sum(1 for arn in catalogue() if arn not in self.local)

    def own(self, shared: Any) -> Any:
        """The account's own copy of a catalogue policy (made on its first attachment): its attachment count is
        this account's. The versions are copied too, so nothing of one account reaches the shared object."""
        mine = self.local.get(shared.arn)
        if mine is None:
            mine = copy.copy(shared)
            mine.attachment_count = 0
            mine.versions = [copy.copy(version) for version in shared.versions]
            mine.tags = {}
            self.local[shared.arn] = mine
        return mine

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        return ManagedPolicies, (self.local,)


class CatalogueList(Sequence[Any]):
    """moto's `IAMBackend.aws_managed_policies` (a list of the catalogue), without a copy per account."""

    def __getitem__(self, index: Any) -> Any:
        values = catalogue().values()
        if isinstance(index, int) and 0 <= index < len(values):   # one policy: no copy of the ~1,300 (moto iterates)
            return next(itertools.islice(values, index, None))
        return list(values)[index]

    def __len__(self) -> int:
        return len(catalogue())

    def __iter__(self) -> Iterator[Any]:
        return iter(catalogue().values())

    def __contains__(self, policy: object) -> bool:
        return getattr(policy, "arn", None) in catalogue()

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return CatalogueList, ()


def install() -> None:
    """Patch moto's IAM backend (once per process): the view in every account, a private copy on attachment."""
    from moto.iam import models as iam_models

    if is_lab_patch(iam_models.IAMBackend.__init__):     # patched once per process
        return
    original_init = iam_models.IAMBackend.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)    # moto's catalogue loader is off (its default): nothing to throw away
        self.aws_managed_policies = CatalogueList()
        self.managed_policies = ManagedPolicies(self.managed_policies)

    setattr(iam_models.IAMBackend, "__init__", lab_patch(__init__))
    original_attach = iam_models.ManagedPolicy.attach_to
    original_detach = iam_models.ManagedPolicy.detach_from

    def attach_to(self: Any, obj: Any) -> None:
        if _shared(self):
            backend: Any = iam_models.iam_backends[obj.account_id]["global"]    # its managed_policies: the view above
            original_attach(backend.managed_policies.own(self), obj)
            return
        original_attach(self, obj)

    def detach_from(self: Any, obj: Any) -> None:
        if _shared(self):   # the account attached its own copy; detach that one
            mine = obj.managed_policies.get(self.arn)
            original_detach(mine if mine is not None else self, obj)
            return
        original_detach(self, obj)

    setattr(iam_models.ManagedPolicy, "attach_to", attach_to)
    setattr(iam_models.ManagedPolicy, "detach_from", detach_from)
