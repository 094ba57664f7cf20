"""A small SecureCart-like world built straight in moto's backends (never mock_aws: it patches botocore
process-wide), plus tests of the Directory that reads it. Other test_sts_* / test_lab_* files import World."""
from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import quote

import pyotp
import pytest
from moto.iam.models import iam_backends

from engine.directory import Directory, normalise_policy_text
from engine.lab import Lab, RequestMeta


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, action: str | list[str] = "sts:AssumeRole", **extra: Any) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


def new_account() -> str:
    return "9" + "".join(secrets.choice("0123456789") for _ in range(11))


class World:
    """Two accounts (dev = A, prod = B) in one sandbox, plus an outsider account C in another sandbox."""

    def __init__(self) -> None:
        self.lab = Lab()
        self.sandbox = "sb-" + secrets.token_hex(4)
        self.a, self.b, self.c = new_account(), new_account(), new_account()
        self.lab.register_sandbox(self.sandbox, {"dev": self.a, "prod": self.b})
        self.lab.register_sandbox("other-" + self.sandbox, {"outsider": self.c})
        self._n = 0

    def iam(self, account: str) -> Any:
        return iam_backends[account]["global"]

    def user(self, account: str, name: str, *policies: str, tags: dict[str, str] | None = None) -> tuple[str, str]:
        iam = self.iam(account)
        iam.create_user("us-east-1", name, "/", tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
        for i, text in enumerate(policies):
            iam.put_user_policy(name, f"p{i}", text)
        key = iam.create_access_key(name)
        return key.access_key_id, key.secret_access_key

    def login(self, account: str, name: str, *policies: str, tags: dict[str, str] | None = None) -> Any:
        key_id, _ = self.user(account, name, *policies, tags=tags)
        return self.lab.authenticate(key_id, None)

    def role(self, account: str, name: str, trust_policy: str, *policies: str, max_session: int | None = None,
             tags: dict[str, str] | None = None, path: str = "/", boundary: str | None = None) -> str:
        iam = self.iam(account)
        role = iam.create_role(name, trust_policy, path, boundary, "", [{"Key": k, "Value": v}
                                                                       for k, v in (tags or {}).items()],
                               str(max_session) if max_session else None)
        for i, text in enumerate(policies):
            iam.put_role_policy(name, f"rp{i}", text)
        return role.arn

    def managed(self, account: str, name: str, text: str) -> str:
        return self.iam(account).create_policy("", "/", text, name, []).arn

    def mfa_device(self, account: str, user: str, name: str = "phone") -> tuple[str, str]:
        iam = self.iam(account)
        device = iam.create_virtual_mfa_device(f"{user}-{name}", "/")
        iam.enable_mfa_device(user, device.serial_number, "000000", "000000")
        seed = device.base32_string_seed
        return device.serial_number, seed.decode() if isinstance(seed, bytes) else seed

    def meta(self) -> RequestMeta:
        self._n += 1
        return RequestMeta(request_id=self.last_request_id)

    @property
    def last_request_id(self) -> str:
        return f"req-{self.sandbox}-{self._n}"

    def sts(self, caller: Any, operation: str, **params: Any) -> dict[str, Any]:
        """The operation's answer as the wire carries it: its members (engine.sts.results), AWS's names."""
        return self.lab.sts(operation, caller, params, self.meta()).members()

    def assume(self, caller: Any, role_arn: str, session_name: str = "learner", **params: Any) -> dict[str, Any]:
        return self.sts(caller, "AssumeRole", RoleArn=role_arn, RoleSessionName=session_name, **params)

    def session_caller(self, result: dict[str, Any]) -> Any:
        creds = result["Credentials"]
        return self.lab.authenticate(creds["AccessKeyId"], creds["SessionToken"])

    def cleanup(self) -> None:
        for account in (self.a, self.b, self.c):
            iam_backends.pop(account, None)


@pytest.fixture
def world() -> Any:
    w = World()
    yield w
    w.cleanup()


def code_now(seed: str) -> str:
    return pyotp.TOTP(seed).now()


# ---- Directory -----------------------------------------------------------------------------------------------------

def test_directory_reads_user_policies_from_inline_managed_and_groups(world: World) -> None:
    world.user(world.a, "alice", doc(allow("s3:GetObject")), tags={"team": "dev"})
    iam = world.iam(world.a)
    managed = world.managed(world.a, "ReadLogs", doc(allow("logs:Get*")))
    iam.attach_user_policy(managed, "alice")
    iam.create_group("devs", "/")
    iam.add_user_to_group("devs", "alice")
    iam.put_group_policy("devs", "gp", doc(allow("ec2:Describe*")))
    user = Directory().user(world.a, "alice")
    assert user is not None
    assert user.arn == f"arn:aws:iam::{world.a}:user/alice"
    assert user.user_id.startswith("AIDA") and len(user.user_id) == 21
    assert user.tags == {"team": "dev"}
    assert user.groups == ["devs"]
    sources = {(p.source, p.arn) for p in user.policies}
    assert ("inline", None) in sources and ("managed", managed) in sources and ("group-inline", None) in sources
    assert any("ec2:Describe*" in p.text for p in user.policies)


def test_directory_reads_role_trust_tags_duration_and_boundary(world: World) -> None:
    boundary = world.managed(world.b, "Boundary", doc(allow("s3:*")))
    arn = world.role(world.b, "Audit", trust({"AWS": world.a}), doc(allow("logs:*")), max_session=7200,
                     tags={"env": "prod"}, path="/team/", boundary=boundary)
    role = Directory().role_by_arn(arn)
    assert role is not None
    assert role.name == "Audit" and role.path == "/team/" and role.role_id.startswith("AROA")
    assert role.max_session_duration == 7200 and role.tags == {"env": "prod"} and role.boundary_arn == boundary
    assert json.loads(role.trust_policy)["Statement"][0]["Principal"] == {"AWS": world.a}
    # the ARN must include the path, as IAM matches it
    assert Directory().role_by_arn(f"arn:aws:iam::{world.b}:role/Audit") is None


def test_directory_role_default_max_session_duration_is_one_hour(world: World) -> None:
    arn = world.role(world.b, "Plain", trust({"AWS": world.a}))
    assert Directory().role_by_arn(arn).max_session_duration == 3600  # IAM-MODEL CreateRole default


def test_normalise_policy_text_handles_url_encoding_bytes_and_dicts() -> None:
    text = doc(allow("s3:GetObject"))
    assert normalise_policy_text(quote(text)) == text
    assert normalise_policy_text(text.encode()) == text
    assert json.loads(normalise_policy_text(json.loads(text))) == json.loads(text)


def test_directory_managed_policy_uses_default_version(world: World) -> None:
    arn = world.managed(world.a, "P", doc(allow("s3:GetObject")))
    iam = world.iam(world.a)
    iam.create_policy_version(arn, doc(allow("s3:PutObject")), "true")
    assert "s3:PutObject" in Directory().managed_policy_text(arn)
    assert Directory().managed_policy_text(f"arn:aws:iam::{world.a}:policy/Nope") is None


def test_directory_access_keys_status_and_mfa_seed(world: World) -> None:
    key_id, secret = world.user(world.a, "bob")
    directory = Directory()
    key = directory.access_key(key_id)
    assert key is not None and key.secret_access_key == secret and key.status == "Active" and key.user_name == "bob"
    world.iam(world.a).update_access_key("bob", key_id, "Inactive")
    assert directory.access_key(key_id).status == "Inactive"
    serial, seed = world.mfa_device(world.a, "bob")
    device = directory.mfa_device(serial)
    assert device is not None and device.user_name == "bob" and device.seed == seed and len(seed) == 64


def test_directory_user_boundary_side_table(world: World) -> None:
    world.user(world.a, "carol")
    directory = Directory()
    directory.set_user_boundary(world.a, "carol", f"arn:aws:iam::{world.a}:policy/B")
    assert directory.user(world.a, "carol").boundary_arn == f"arn:aws:iam::{world.a}:policy/B"
    directory.set_user_boundary(world.a, "carol", None)
    assert directory.user(world.a, "carol").boundary_arn is None


def test_directory_providers_and_instance_profiles(world: World) -> None:
    iam = world.iam(world.a)
    saml = iam.create_saml_provider("MockIdP", "<md:EntityDescriptor/>")
    oidc = iam.create_open_id_connect_provider("https://token.example.com/app", ["a" * 40], ["sts.amazonaws.com"], [])
    role_arn = world.role(world.a, "Web", trust({"Service": "ec2.amazonaws.com"}))
    iam.create_instance_profile("WebProfile", "/", [], [])
    iam.add_role_to_instance_profile("WebProfile", "Web")
    directory = Directory()
    assert directory.saml_provider(saml.arn).metadata == "<md:EntityDescriptor/>"
    provider = directory.oidc_provider_for_host(world.a, "https://token.example.com/app")
    assert provider is not None and provider.client_ids == ("sts.amazonaws.com",) and provider.url == "token.example.com/app"
    assert directory.instance_profile(world.a, "WebProfile").role_arns == (role_arn,)
