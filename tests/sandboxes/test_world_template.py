"""Sandboxes built from the prepared template (sandboxes/template.py) hold the same world as sandboxes whose seeding
calls were replayed: same IAM, S3, Secrets Manager and EC2 state, with each sandbox's own ids."""
from __future__ import annotations

import json
import re

import pytest

from gateway.client import admin_client
from sandboxes import services, template, world
from sandboxes.models import WORLD_ACCOUNTS, Account, Sandbox


def _world_sandbox(sandbox_id: str) -> Sandbox:
    sandbox = Sandbox.objects.create(id=sandbox_id, kind="world")
    for name in WORLD_ACCOUNTS:
        Account.objects.create(sandbox=sandbox, name=name)
    services.ensure_ready(sandbox)
    return sandbox


def _normalise(value, accounts: dict[str, str]):
    text = json.dumps(value, sort_keys=True, default=str)
    for name, account_id in accounts.items():
        text = text.replace(account_id, "{" + name + "}")
    return json.loads(text)


def _iam_state(account_id: str) -> dict:
    iam = admin_client("iam", account_id)
    users = {}
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        users[name] = {
            "arn": user["Arn"], "path": user["Path"],
            "policies": {p: iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"]
                         for p in iam.list_user_policies(UserName=name)["PolicyNames"]},
            "attached": iam.list_attached_user_policies(UserName=name)["AttachedPolicies"],
            "keys": len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]),
            "id_shape": re.sub(r"[A-Z0-9]", "x", user["UserId"][4:]), "id_prefix": user["UserId"][:4],
        }
    roles = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        roles[name] = {
            "arn": role["Arn"], "trust": role["AssumeRolePolicyDocument"], "max": role["MaxSessionDuration"],
            "description": role.get("Description"), "id_prefix": role["RoleId"][:4],
            "policies": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                         for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
        }
    profiles = {p["InstanceProfileName"]: [r["RoleName"] for r in p["Roles"]]
                for p in iam.list_instance_profiles()["InstanceProfiles"]}
    saml = sorted(p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"])
    oidc = sorted(p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])
    return {"users": users, "roles": roles, "profiles": profiles, "saml": saml, "oidc": oidc}


def _s3_state(sandbox: Sandbox, account_id: str) -> dict:
    s3 = admin_client("s3", account_id, sandbox_id=sandbox.id)
    buckets = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        objects = {}
        for item in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            objects[item["Key"]] = s3.get_object(Bucket=bucket["Name"], Key=item["Key"])["Body"].read().hex()
        buckets[bucket["Name"]] = objects
    return buckets


def _secrets_state(account_id: str) -> dict:
    sm = admin_client("secretsmanager", account_id)
    return {s["Name"]: sm.get_secret_value(SecretId=s["ARN"])["SecretString"]
            for s in sm.list_secrets()["SecretList"]}


def _ec2_state(account_id: str) -> list:
    ec2 = admin_client("ec2", account_id)
    return [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]


def _state(sandbox: Sandbox) -> dict:
    accounts = sandbox.account_ids()
    state = {name: {"iam": _iam_state(account_id), "s3": _s3_state(sandbox, account_id),
                    "secrets": _secrets_state(account_id), "ec2": _ec2_state(account_id)}
             for name, account_id in accounts.items()}
    return _normalise(state, accounts)


@pytest.mark.django_db
def test_template_copy_builds_the_same_world_as_replayed_seeding():
    copied = _world_sandbox("sbx-a1b2c3d4e5")          # the shape of real ids: copied from the template
    replayed = _world_sandbox("sbx-replayed-world")   # another shape: the seeding calls are replayed
    assert template.can_copy(copied, copied.account_ids())
    assert not template.can_copy(replayed, replayed.account_ids())

    copied_state, replayed_state = _state(copied), _state(replayed)
    assert copied_state == replayed_state
    production = copied_state["production"]
    assert set(production["iam"]["roles"]) >= {spec.name for spec in world.WORLD_ROLES}
    # Users world extensions add (scenario 5's on-call engineer) are in both, with their policies and a key.
    oncall = production["iam"]["users"]["securecart-oncall"]
    assert set(oncall["policies"]) == {"ReadDBPasswordWithRecentMFA", "ManageOwnMFADevice"} and oncall["keys"] == 1
    assert production["s3"][world.PRODUCT_IMAGES]          # the world is really there, not two empty states
    assert production["secrets"][world.DB_SECRET] == world.DB_SECRET_VALUE


@pytest.mark.django_db
def test_copied_sandboxes_get_their_own_ids_keys_and_buckets():
    first, second = _world_sandbox("sbx-0a0a0a0a0a"), _world_sandbox("sbx-0b0b0b0b0b")
    ids = {}
    for sandbox in (first, second):
        iam = admin_client("iam", sandbox.account_ids()["production"])
        ids[sandbox.id] = ({r["RoleId"] for r in iam.list_roles()["Roles"]},
                           {u["UserId"] for u in iam.list_users()["Users"]},
                           {k.access_key_id for k in sandbox.access_keys.all()})
    for a, b in zip(ids[first.id], ids[second.id]):
        assert a and b and not a & b
    # A learner's change in one copy stays in that copy.
    s3 = admin_client("s3", first.account_ids()["production"], sandbox_id=first.id)
    s3.put_object(Bucket=world.PRODUCT_IMAGES, Key="only-in-first.txt", Body=b"1")
    other = admin_client("s3", second.account_ids()["production"], sandbox_id=second.id)
    keys = [o["Key"] for o in other.list_objects_v2(Bucket=world.PRODUCT_IMAGES)["Contents"]]
    assert "only-in-first.txt" not in keys
    # Every seeded key authenticates as its user (the access key index moto keeps was rebuilt too).
    for key in first.access_keys.all():
        info = services.lab().directory.access_key(key.access_key_id)
        assert (info.user_name, info.secret_access_key) == (key.user_name, key.secret_access_key)


@pytest.mark.django_db
def test_a_template_seeded_halfway_is_seeded_again_before_a_copy():
    """Another process may be seeding the template: its accounts exist from the first seeding call on, so a build
    must wait for the builder's "finished" mark instead (the sharded load benchmark's `lab-admin cannot be found`)."""
    from django.core.cache import cache

    from gateway.runtime import current
    from sandboxes.labclient import world_state

    template.ensure_template()
    state = world_state()
    state.drop_accounts(list(template.TEMPLATE_ACCOUNTS.values()))
    # halfway: one seeding call has landed, the builder has not said it finished
    admin_client("iam", template.TEMPLATE_ACCOUNTS["production"]).create_user(UserName="first-seeded")
    cache.delete(template.ready_key())
    # what a web process that did not build it knows: the shared flag only (in one process the flag also lives in
    # the process's memory, where no other builder can be halfway: sandboxes/template.py)
    current().web.templates_ready.clear()
    assert state.account_loaded(template.TEMPLATE_ACCOUNTS["production"]) and not template.template_ready()

    sandbox = _world_sandbox("sbx-0c0c0c0c0c")
    users = {u["UserName"] for u in admin_client("iam", sandbox.account_ids()["production"]).list_users()["Users"]}
    assert world.ADMIN_USER in users and "first-seeded" not in users
    assert template.template_ready()
