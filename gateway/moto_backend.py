"""In-process calls into moto's own WSGI app.

moto is used only as a store: its auth stays off, and every request the gateway forwards names the account it runs
in with the `x-moto-account-id` header. moto is not thread-safe (its FAQ: "Moto is not designed for multithreaded
access"), so every call holds the process-wide moto lock shared with engine.directory.
"""
from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

from engine.directory import moto_lock

from . import aws_managed, moto_organizations
from .motopatch import is_lab_patch, lab_patch
from .protocols import header_value



def _aws_shaped_user_ids() -> None:
    """moto gives IAM users 20 random lowercase characters as UserId; AWS's are `AIDA` + 17 (IAM User Guide,
    reference_identifiers: "unique identifiers"). Give users the AWS shape at the source, as moto already does for
    roles (`AROA…`), so `iam get-user` and `sts get-caller-identity` show the same id, as they do on AWS."""
    from moto.iam import models as iam_models
    from moto.iam.utils import generate_access_key_id_from_account_id

    if is_lab_patch(iam_models.User.__init__):
        return
    original_init = iam_models.User.__init__

    def __init__(self, account_id: str, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original_init(self, account_id, *args, **kwargs)
        self.id = generate_access_key_id_from_account_id(account_id=account_id, prefix="AIDA", total_length=21)

    lab_patch(__init__)
    iam_models.User.__init__ = __init__  # type: ignore[method-assign]  # the lab's patch of moto


_aws_shaped_user_ids()


def _aws_shaped_identity_store_ids() -> None:
    """moto names an Identity Center instance's identity store `d-` + 10 random lowercase letters and digits; AWS's
    are `d-` + 10 hex digits, the pattern botocore's identitystore model requires of IdentityStoreId, so the lab's
    model validation would refuse moto's own ids. Give them AWS's shape where moto makes them."""
    import secrets

    from moto.ssoadmin import models as ssoadmin_models

    if is_lab_patch(ssoadmin_models.Instance.__init__):
        return
    original_init = ssoadmin_models.Instance.__init__

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        self.identity_store_id = f"d-{secrets.token_hex(5)}"

    lab_patch(__init__)
    ssoadmin_models.Instance.__init__ = __init__  # type: ignore[method-assign]  # the lab's patch of moto
    # moto also files permission sets under `…:instance/ssoins-…/ps-…`; AWS's ARN (and the model's pattern) is
    # `arn:aws:sso:::permissionSet/ssoins-…/ps-…` (IAM Identity Center API Reference, PermissionSet).
    original_generate = ssoadmin_models.PermissionSet.generate_id

    def generate_id(instance_arn: str) -> str:
        return original_generate(instance_arn).replace(":instance/", ":permissionSet/", 1)

    ssoadmin_models.PermissionSet.generate_id = staticmethod(generate_id)  # type: ignore[method-assign]


_aws_shaped_identity_store_ids()
aws_managed.install()     # AWS-managed policies in every account, from one shared catalogue (gateway/aws_managed.py)
moto_organizations.install()   # member accounts with stable ids, AWS's access role, policy types


@dataclass
class MotoResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


@dataclass
class MotoRequest:
    """A request as moto should see it: the path is already free of any mount prefix, bucket names are stored names."""
    method: str
    path: str                                   # decoded path ("/bucket/key with space")
    query_string: str = ""                      # raw, still percent-encoded
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


# Headers that must not be copied into the environ as HTTP_* (WSGI carries them separately or they are hop-by-hop).
_SKIP_HEADERS = frozenset({"content-type", "content-length", "host", "connection", "transfer-encoding"})


def _dispatcher() -> Any:
    """moto's DomainDispatcherApplication, with each host's backend remembered.

    moto's get_backend_for_host checks `host in backends.list_of_moto_modules()`, which lists moto's package
    directory (a listdir and ~180 isdir calls) on every request, under the dispatcher's lock: ~1.2 ms of a ~5 ms
    AssumeRole here (cProfile of a sandbox build: 61,880 stat calls for 340 requests). Which backend serves a host
    cannot change while the process runs, so the answer is kept per host (a bounded table: the host is built from a
    client's signing region)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    class RememberingDispatcher(DomainDispatcherApplication):
        MAX_HOSTS = 1024

        def __init__(self) -> None:
            super().__init__(create_backend_app)
            self.backend_by_host: dict[str | None, object] = {}

        def get_backend_for_host(self, host: str | None) -> object:
            if host in self.backend_by_host:
                return self.backend_by_host[host]
            backend = super().get_backend_for_host(host)
            if len(self.backend_by_host) < self.MAX_HOSTS:
                self.backend_by_host[host] = backend
            return backend

    return RememberingDispatcher()


class MotoBackend:
    """moto's DomainDispatcherApplication, called like a function."""

    def __init__(self) -> None:
        self._app = _dispatcher()
        self.lock = moto_lock

    def call(self, request: MotoRequest, account_id: str) -> MotoResponse:
        environ = self._environ(request, account_id)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)

        with self.lock:
            result: Iterable[bytes] = self._app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return MotoResponse(int(captured.get("status", 500)), list(captured.get("headers", [])), body)

    @staticmethod
    def _environ(request: MotoRequest, account_id: str) -> dict[str, object]:
        # WSGI wants PATH_INFO as the UTF-8 bytes of the decoded path, read as latin-1 (PEP 3333).
        path_info = request.path.encode("utf-8").decode("latin-1")
        environ: dict[str, object] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path_info,
            "QUERY_STRING": request.query_string,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            # "localhost" makes moto's S3 read buckets path-style, whatever host the learner used.
            "HTTP_HOST": "localhost",
            "CONTENT_LENGTH": str(len(request.body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "HTTP_X_MOTO_ACCOUNT_ID": account_id,
        }
        for name, value in request.headers.items():
            lowered = name.lower()
            if lowered == "content-type":
                environ["CONTENT_TYPE"] = value
            elif lowered in _SKIP_HEADERS or lowered == "x-moto-account-id":
                continue
            else:
                environ["HTTP_" + lowered.upper().replace("-", "_")] = value
        return environ


class MotoLookups:
    """Facts about existing resources that authorisation needs, read from moto's backends under the moto lock."""

    def __init__(self) -> None:
        self.lock = moto_lock

    def iam_path(self, account: str, kind: str, name: str) -> str | None:
        from moto.iam.models import iam_backends

        with self.lock:
            backend = iam_backends[account]["global"]
            table: Any = {"user": backend.users, "role": backend.roles, "group": backend.groups,
                     "instance-profile": backend.instance_profiles}.get(kind)
            if table is None:
                return None
            if kind == "role":
                entity = next((r for r in table.values() if r.name == name), None)
            elif kind == "instance-profile":
                entity = next((p for p in table.values() if p.name == name), None)
            else:
                entity = table.get(name)
            return getattr(entity, "path", None) if entity is not None else None

    def bucket(self, stored_name: str) -> tuple[str, str | None] | None:
        from moto.s3.models import s3_backends

        with self.lock:
            owner = s3_backends.bucket_accounts.get(stored_name)
            if owner is None:
                return None
            partition, account = owner
            bucket = s3_backends[account][partition].buckets.get(stored_name)
            if bucket is None:
                return None
            policy = bucket.policy.decode("utf-8") if bucket.policy else None
            return account, policy

    def iam_policy_text(self, account: str, kind: str, owner: str, name: str = "") -> str:
        """The JSON text IAM's GetRole (kind "trust"), GetRolePolicy ("role") or GetUserPolicy ("user") returns,
        read from moto's backend without a request through its web app (~10 ms of CPU each, a step page shows two).
        Raises LookupError with IAM's NoSuchEntity wording when the role, user or policy is not there."""
        from moto.iam.models import iam_backends

        with self.lock:
            backend = iam_backends[account]["global"] if account in iam_backends else None
            if kind in ("trust", "role"):
                role = next((r for r in backend.roles.values() if r.name == owner), None) if backend else None
                if role is None:
                    raise LookupError(f"NoSuchEntity: The role with name {owner} cannot be found.")
                document = role.assume_role_policy_document if kind == "trust" else role.policies.get(name)
            else:
                user = backend.users.get(owner) if backend else None
                if user is None:
                    raise LookupError(f"NoSuchEntity: The user with name {owner} cannot be found.")
                document = user.policies.get(name)
            if document is None:
                raise LookupError(f"NoSuchEntity: The {kind} policy with name {name} cannot be found.")
            return document if isinstance(document, str) else json.dumps(document)

    def secret(self, account: str, region: str, secret_id: str) -> tuple[str, str | None] | None:
        from moto.secretsmanager.models import secretsmanager_backends

        with self.lock:
            store = secretsmanager_backends[account][region].secrets
            if secret_id not in store:
                return None
            secret = store[secret_id]
            return secret.arn, getattr(secret, "policy", None)

    def instances(self, account: str, region: str, states: tuple[str, ...]) -> list[dict[str, Any]]:
        """The account's instances in `region` in one of `states`, as DescribeInstances lists them (InstanceId,
        Tags, IamInstanceProfile), read from moto's backend: a sandbox's four DescribeInstances through moto's web
        app cost ~35 ms of CPU, and the console, the IMDS address and the checkers ask on every request. An account
        or region moto has not built yet has no instances, and is not built to say so (DescribeInstances would
        build its EC2: a default VPC, subnets and images, ~0.2 s)."""
        from moto.ec2.models import ec2_backends

        with self.lock:
            if not dict.__contains__(ec2_backends, account) or region not in dict.keys(ec2_backends[account]):
                return []
            backend = ec2_backends[account][region]
            found = []
            for reservation in list(backend.reservations.values()):
                for instance in reservation.instances:
                    if instance.state not in states:
                        continue
                    described: dict[str, Any] = {"InstanceId": instance.id, "Tags": [
                        {"Key": key, "Value": value} for key, value in backend.tags.get(instance.id, {}).items()]}
                    if instance.iam_instance_profile:
                        described["IamInstanceProfile"] = dict(instance.iam_instance_profile)
                    found.append(described)
            return found

    def instance_profile_roles(self, account: str, name: str) -> list[str]:
        from moto.iam.models import iam_backends

        with self.lock:
            backend = iam_backends[account]["global"]
            profile = next((p for p in backend.instance_profiles.values() if p.name == name), None)
            return [role.arn for role in profile.roles] if profile is not None else []
