"""What a challenge adds to a sandbox's world, from its file's `seed`, and how one challenge is reset alone: its
entities deleted and seeded again, the learner's changes to them and its console sessions gone.

A challenge's part is built on first use (ensure_seeded: the challenge page, its console, its checker): IAM
entities and objects straight to moto as the world's seed does (the operator setting up accounts, neither
authorised nor recorded), then the live steps, real signed calls through the gateway (a session that leaks, the
calls a defender must find), whose facts (who signed, what was decided) are kept as the defender's ground truth.
The world extension (apps.py) forgets what was built whenever the world is rebuilt or reset, since that wipes the
accounts. A defence (`follows`) works in the accounts of the attack it follows: seeding it seeds the attack.
"""
from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone as dj_timezone

from sandboxes import credentials, services, world
from sandboxes.labclient import lab
from sandboxes.models import Sandbox

from . import catalog, kept, probes, schema
from .models import ChallengeKey, ChallengeSeed
from .schema import ChallengeSpec


def owner_of(spec: ChallengeSpec) -> ChallengeSpec:
    """The challenge whose seed this one uses: itself, or for a defence the attack it follows."""
    if spec.follows:
        followed = catalog.get(spec.follows)
        if followed is not None:
            return followed
    return spec


def forget_all(sandbox_id: str, accounts: dict[str, str]) -> None:
    """World extension seed: the world was just (re)built from scratch, so no challenge's part exists in it."""
    with transaction.atomic():   # one write transaction, not two
        ChallengeSeed.objects.filter(sandbox_id=sandbox_id).delete()
        ChallengeKey.objects.filter(sandbox_id=sandbox_id).delete()


def _iam(accounts: dict[str, str], account: str) -> Any:
    return probes.operator("iam", accounts[account])


def _exists(call: Any, **params: Any) -> bool:
    try:
        call(**params)
    except Exception:  # noqa: BLE001 - NoSuchEntity
        return False
    return True


# ------------------------------------------------------------------------------------------------ away
def _delete_policy(iam: Any, arn: str) -> None:
    if not _exists(iam.get_policy, PolicyArn=arn):
        return
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    for user in entities.get("PolicyUsers", []):
        iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    for role in entities.get("PolicyRoles", []):
        iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    for group in entities.get("PolicyGroups", []):
        iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)


def _delete_role(iam: Any, name: str) -> None:
    if not _exists(iam.get_role, RoleName=name):
        return
    for profile in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
        iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=name)


def _delete_user(iam: Any, account_id: str, name: str) -> None:
    if not _exists(iam.get_user, UserName=name):
        return
    lab().set_user_boundary(account_id, name, None)   # boundaries live in the engine (moto has none)
    if _exists(iam.get_login_profile, UserName=name):
        iam.delete_login_profile(UserName=name)
    world.delete_user(iam, name)


def _delete_group(iam: Any, name: str) -> None:
    if not _exists(iam.get_group, GroupName=name):
        return
    for user in iam.get_group(GroupName=name)["Users"]:
        iam.remove_user_from_group(GroupName=name, UserName=user["UserName"])
    for policy_name in iam.list_group_policies(GroupName=name)["PolicyNames"]:
        iam.delete_group_policy(GroupName=name, PolicyName=policy_name)
    for attached in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]:
        iam.detach_group_policy(GroupName=name, PolicyArn=attached["PolicyArn"])
    iam.delete_group(GroupName=name)


def _terminate_instances_of(account_id: str, profile_names: set[str]) -> None:
    from sandboxes.operator import OPERATOR

    doomed = [i["InstanceId"] for i in OPERATOR.instances(account_id, ("pending", "running", "stopped"))
              if (i.get("IamInstanceProfile") or {}).get("Arn", "").rsplit("/", 1)[-1] in profile_names]
    if doomed:
        probes.operator("ec2", account_id).terminate_instances(InstanceIds=doomed)


def _clear(sandbox: Sandbox, spec: ChallengeSpec, accounts: dict[str, str]) -> None:
    seed = spec.seed
    profiles = {role.name for role in seed.roles if role.instance_profile}
    if profiles:
        for account_id in accounts.values():
            _terminate_instances_of(account_id, profiles)
    for user in seed.users:
        _delete_user(_iam(accounts, user.account), accounts[user.account], user.name)
    for role in seed.roles:
        _delete_role(_iam(accounts, role.account), role.name)
    for group in seed.groups:
        _delete_group(_iam(accounts, group.account), group.name)
    for policy in seed.policies:
        _delete_policy(_iam(accounts, policy.account), f"arn:aws:iam::{accounts[policy.account]}:policy/{policy.name}")
    for name in seed.leftovers.policies:
        for account_id in accounts.values():
            _delete_policy(probes.operator("iam", account_id), f"arn:aws:iam::{account_id}:policy/{name}")
    if seed.objects:
        s3 = probes.operator("s3", accounts["production"], sandbox.id)
        for obj in seed.objects:
            s3.delete_object(Bucket=obj.bucket, Key=obj.key)


# ------------------------------------------------------------------------------------------------ back
def _create(sandbox: Sandbox, spec: ChallengeSpec, accounts: dict[str, str], values: dict[str, str]) -> None:
    seed = spec.seed

    def doc(value: Any) -> str:
        return json.dumps(probes.document(spec, value, values))

    def policy_arn(account: str, name: str) -> str:
        return f"arn:aws:iam::{accounts[account]}:policy/{name}"

    for policy in seed.policies:
        iam = _iam(accounts, policy.account)
        arn = iam.create_policy(PolicyName=policy.name, PolicyDocument=doc(policy.document))["Policy"]["Arn"]
        for version in policy.versions:
            iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(version), SetAsDefault=False)
        if policy.default_version != 1:
            iam.set_default_policy_version(PolicyArn=arn, VersionId=f"v{policy.default_version}")
    for group in seed.groups:
        iam = _iam(accounts, group.account)
        iam.create_group(GroupName=group.name)
        for name, document in group.policies.items():
            iam.put_group_policy(GroupName=group.name, PolicyName=name, PolicyDocument=doc(document))
        for name in group.managed_policies:
            iam.attach_group_policy(GroupName=group.name, PolicyArn=policy_arn(group.account, name))
    for role in seed.roles:
        iam = _iam(accounts, role.account)
        iam.create_role(RoleName=role.name, Description=role.description, AssumeRolePolicyDocument=doc(role.trust),
                        MaxSessionDuration=role.max_session_duration)
        for name, document in role.policies.items():
            iam.put_role_policy(RoleName=role.name, PolicyName=name, PolicyDocument=doc(document))
        for name in role.managed_policies:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=policy_arn(role.account, name))
        if role.instance_profile:
            iam.create_instance_profile(InstanceProfileName=role.name)
            iam.add_role_to_instance_profile(InstanceProfileName=role.name, RoleName=role.name)
    keys = []
    for user in seed.users:
        iam = _iam(accounts, user.account)
        created = iam.create_user(UserName=user.name)["User"]
        for name, document in user.policies.items():
            iam.put_user_policy(UserName=user.name, PolicyName=name, PolicyDocument=doc(document))
        for name in user.managed_policies:
            iam.attach_user_policy(UserName=user.name, PolicyArn=policy_arn(user.account, name))
        for name in user.groups:
            iam.add_user_to_group(GroupName=name, UserName=user.name)
        if user.boundary:
            lab().set_user_boundary(accounts[user.account], user.name, policy_arn(user.account, user.boundary))
        made = [iam.create_access_key(UserName=user.name)["AccessKey"] for _ in range(user.access_keys)]
        if made:
            keys.append(ChallengeKey(sandbox=sandbox, challenge=spec.slug, account_name=user.account,
                                     user_name=user.name, arn=created["Arn"], access_key_id=made[0]["AccessKeyId"],
                                     secret_access_key=made[0]["SecretAccessKey"]))
    with transaction.atomic():
        ChallengeKey.objects.filter(sandbox=sandbox, challenge=spec.slug).delete()
        ChallengeKey.objects.bulk_create(keys)
    if seed.objects:
        s3 = probes.operator("s3", accounts["production"], sandbox.id)
        for obj in seed.objects:
            s3.put_object(Bucket=obj.bucket, Key=obj.key, Body=schema.fill(obj.body, values).encode())


def _run_steps(sandbox: Sandbox, spec: ChallengeSpec) -> dict[str, dict[str, Any]]:
    """The story's live calls, made as real learners would (not marked as the checker's): what each really did."""
    facts: dict[str, dict[str, Any]] = {}
    if not spec.seed.steps:
        return facts
    run = probes.Run(sandbox, spec, marked=False)
    try:
        for step in spec.seed.steps:
            creds = run.creds(step.who)
            outcome = run.call(creds, step.call, step.params)
            if outcome.allowed is not (step.expect == "allowed"):   # the story depends on it: say so loudly
                raise RuntimeError(f"seed step {step.id} of {spec.slug}: {outcome.verdict}, expected {step.expect}")
            decision = outcome.decision or {}
            deciding = (decision.get("deciding") or [{}])[0]
            facts[step.id] = {"access_key_id": creds.access_key_id, "user_name": creds.arn.rsplit("/", 1)[-1],
                              "action": (decision.get("request") or {}).get("action", ""),
                              "policy": deciding.get("policy") or deciding.get("name") or "",
                              "allowed": bool(outcome.allowed)}
            if step.keep_as and outcome.response:
                c, arn = outcome.response["Credentials"], outcome.response["AssumedRoleUser"]["Arn"]
                credentials.keep(sandbox.id, credentials.SessionCredentials(
                    name=probes.seeded_session_name(spec.slug, step.keep_as), label=step.label or step.keep_as,
                    arn=arn, access_key_id=c["AccessKeyId"], secret_access_key=c["SecretAccessKey"],
                    session_token=c["SessionToken"], expiration=c["Expiration"].isoformat()))
    finally:
        run.close()
    return facts


def reset_challenge(sandbox: Sandbox, spec: ChallengeSpec) -> None:
    """Put this challenge's part of the sandbox back as seeded; the rest of the sandbox is left alone."""
    services.ensure_ready(sandbox)
    if sandbox.kind != "world":
        raise ValueError("challenges need a SecureCart world sandbox")
    spec = owner_of(spec)
    accounts = sandbox.account_ids()
    values = probes.placeholder_values(sandbox, spec)
    _clear(sandbox, spec, accounts)
    _create(sandbox, spec, accounts, values)
    # sessions of the old round are not this round's: the console stops offering them
    kept.forget_roles(sandbox.id, [f"arn:aws:iam::{accounts[r.account]}:role/{r.name}" for r in spec.seed.roles])
    started, started_real = services.sandbox_now(sandbox), dj_timezone.now()
    facts = _run_steps(sandbox, spec)
    ChallengeSeed.objects.update_or_create(sandbox=sandbox, challenge=spec.slug, defaults={
        "sandbox_time": started, "seeded_at": started_real, "facts": facts})


def ensure_seeded(sandbox: Sandbox, spec: ChallengeSpec) -> ChallengeSeed:
    """This challenge's part of the sandbox, built unless the current world has it (and every session a seed step
    kept is still known: they live in the cache, which a restart empties)."""
    services.ensure_ready(sandbox)
    owner = owner_of(spec)
    seeded = ChallengeSeed.objects.filter(sandbox=sandbox, challenge=owner.slug).first()
    kept_names = [s.keep_as for s in owner.seed.steps if s.keep_as]
    if seeded is not None and all(credentials.get(sandbox.id, probes.seeded_session_name(owner.slug, name))
                                  for name in kept_names):
        return seeded
    reset_challenge(sandbox, owner)
    return ChallengeSeed.objects.get(sandbox=sandbox, challenge=owner.slug)


def seeded_sessions(sandbox: Sandbox, spec: ChallengeSpec) -> list[credentials.SessionCredentials]:
    """The sessions the story hands the learner (the leaked one), to show on the challenge page."""
    owner = owner_of(spec)
    found = [credentials.get(sandbox.id, probes.seeded_session_name(owner.slug, s.keep_as))
             for s in owner.seed.steps if s.keep_as]
    return [c for c in found if c is not None]
