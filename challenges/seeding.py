"""What the challenges add to a sandbox's world and how one challenge is reset alone: its roles and users deleted
and seeded again, the learner's changes to them gone.

A challenge's part is built on first use (ensure_seeded: the challenge page, its console, its checker): IAM entities
straight to moto as the world's seed does, then live steps, real signed calls through the gateway (a session that
leaks, the calls a defender must find). The world extension (apps.py) forgets what was built whenever the world is
rebuilt or reset, since that wipes the accounts.
"""
from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

from django.db import transaction

from sandboxes import credentials, services, world
from sandboxes.labclient import learner_client
from sandboxes.models import AccessKey, Sandbox
from sandboxes.world import RoleSpec, fill

from .catalog import BY_SLUG, INVOICE_KEY, INVOICES, REFUSED_USER, SECRET_READER, Challenge
from .models import ChallengeKey, ChallengeSeed

LEAKED_SESSION = "challenge-leaked-session"


def admin(service: str, account_id: str, sandbox_id: str | None = None) -> Any:
    from sandboxes.operator import OPERATOR

    return OPERATOR.seeding_client(service, account_id, sandbox_id=sandbox_id)   # a challenge's part of the world


def _seed_users(sandbox_id: str, accounts: dict[str, str], challenge: Challenge) -> None:
    keys = [world.create_user_with_key(user.account, accounts[user.account], user.name, user.policies, accounts)
            for user in challenge.users]
    with transaction.atomic():
        ChallengeKey.objects.filter(sandbox_id=sandbox_id, challenge=challenge.slug).delete()
        ChallengeKey.objects.bulk_create(ChallengeKey(sandbox_id=sandbox_id, challenge=challenge.slug, **vars(key))
                                         for key in keys)


def forget_all(sandbox_id: str, accounts: dict[str, str]) -> None:
    """World extension seed: the world was just (re)built from scratch, so no challenge's part exists in it."""
    with transaction.atomic():   # one write transaction, not two
        ChallengeSeed.objects.filter(sandbox_id=sandbox_id).delete()
        ChallengeKey.objects.filter(sandbox_id=sandbox_id).delete()


def _create_role(spec: RoleSpec, accounts: dict[str, str]) -> None:
    iam = admin("iam", accounts[spec.account])
    iam.create_role(RoleName=spec.name, Description=spec.description,
                    AssumeRolePolicyDocument=json.dumps(fill(spec.trust, accounts)),
                    MaxSessionDuration=spec.max_session_duration)
    for policy_name, document in spec.policies.items():
        iam.put_role_policy(RoleName=spec.name, PolicyName=policy_name, PolicyDocument=json.dumps(fill(document,
                                                                                                      accounts)))
    if spec.instance_profile:
        iam.create_instance_profile(InstanceProfileName=spec.name)
        iam.add_role_to_instance_profile(InstanceProfileName=spec.name, RoleName=spec.name)


def _delete_role(iam: Any, name: str) -> None:
    try:
        iam.get_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        return
    for profile in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
        iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=name)


def _delete_user(sandbox: Sandbox, iam: Any, account_name: str, name: str) -> None:
    try:
        iam.get_user(UserName=name)
    except iam.exceptions.NoSuchEntityException:
        return
    # User boundaries live in the engine (moto has none): remove one as the account's administrator would.
    admin = AccessKey.objects.filter(sandbox=sandbox, account_name=account_name, user_name=world.ADMIN_USER).first()
    if admin is not None:
        try:
            learner_client("iam", access_key_id=admin.access_key_id, secret_access_key=admin.secret_access_key
                           ).delete_user_permissions_boundary(UserName=name)
        except Exception:  # no boundary set: nothing to remove
            pass
    world.delete_user(iam, name)


def _terminate_instances_of(account_id: str, profile_names: set[str]) -> None:
    ec2 = admin("ec2", account_id)
    doomed = [i["InstanceId"] for r in ec2.describe_instances(Filters=[
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopped"]}])["Reservations"]
        for i in r["Instances"]
        if (i.get("IamInstanceProfile") or {}).get("Arn", "").rsplit("/", 1)[-1] in profile_names]
    if doomed:
        ec2.terminate_instances(InstanceIds=doomed)


def reset_challenge(sandbox: Sandbox, challenge: Challenge) -> None:
    """Put this challenge's part of the sandbox back as seeded; the rest of the sandbox is left alone."""
    services.ensure_ready(sandbox)
    if sandbox.kind != "world":
        raise ValueError("challenges need a SecureCart world sandbox")
    accounts = sandbox.account_ids()
    profiles = {role.name for role in challenge.roles if role.instance_profile}
    for account_name, account_id in accounts.items():
        if profiles:
            _terminate_instances_of(account_id, profiles)
    for user in challenge.users:
        _delete_user(sandbox, admin("iam", accounts[user.account]), user.account, user.name)
    for role in challenge.roles:
        _delete_role(admin("iam", accounts[role.account]), role.name)
    for role in challenge.roles:
        _create_role(role, accounts)
    _seed_users(sandbox.id, accounts, challenge)
    live = LIVE_SEEDS.get(challenge.slug)
    if live is not None:
        live(sandbox)
    ChallengeSeed.objects.get_or_create(sandbox=sandbox, challenge=challenge.slug)


# ------------------------------------------------------------------------------------------------ live seeds
def key_of(sandbox: Sandbox, user_name: str, account_name: str | None = None) -> Any:
    """The long-term key of a challenge user or a world user (lab-admin, ...), or None."""
    found = ChallengeKey.objects.filter(sandbox=sandbox, user_name=user_name)
    if account_name:
        found = found.filter(account_name=account_name)
    key = found.first()
    if key is None:
        world_keys = AccessKey.objects.filter(sandbox=sandbox, user_name=user_name)
        if account_name:
            world_keys = world_keys.filter(account_name=account_name)
        key = world_keys.first()
    return key


def client_for(service: str, key: Any, session_token: str | None = None) -> Any:
    return learner_client(service, access_key_id=key.access_key_id, secret_access_key=key.secret_access_key,
                          session_token=session_token)


def _leak_a_session(sandbox: Sandbox) -> None:
    key = key_of(sandbox, "analytics-dev")
    role_arn = f"arn:aws:iam::{sandbox.account_ids()['production']}:role/Challenge-Analytics"
    result = client_for("sts", key).assume_role(RoleArn=role_arn, RoleSessionName="analytics-notebook")
    creds = result["Credentials"]
    credentials.keep(sandbox.id, credentials.SessionCredentials(
        name=LEAKED_SESSION, label="the leaked Challenge-Analytics session", arn=result["AssumedRoleUser"]["Arn"],
        access_key_id=creds["AccessKeyId"], secret_access_key=creds["SecretAccessKey"],
        session_token=creds["SessionToken"], expiration=creds["Expiration"].astimezone(timezone.utc).isoformat()))


def _read_the_secret(sandbox: Sandbox) -> None:
    client_for("secretsmanager", key_of(sandbox, SECRET_READER)).get_secret_value(SecretId=world.DB_SECRET)


def _refused_delete(sandbox: Sandbox) -> None:
    s3 = client_for("s3", key_of(sandbox, REFUSED_USER))
    try:
        s3.delete_object(Bucket=INVOICES, Key=INVOICE_KEY)
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "AccessDenied":
            raise
    else:  # the seeded Deny must refuse it; if not, the challenge's story is wrong
        raise RuntimeError("the seeded DeleteObject was not refused")


LIVE_SEEDS = {"revoke-leaked-sessions": _leak_a_session, "who-read-the-secret": _read_the_secret,
              "find-the-refused-call": _refused_delete}


def ensure_seeded(sandbox: Sandbox, challenge: Challenge) -> None:
    """Build this challenge's part of the sandbox unless the current world has it (and, for the revocation
    challenge, the leaked session is still known: it lives in the cache, which a restart empties)."""
    services.ensure_ready(sandbox)
    if ChallengeSeed.objects.filter(sandbox=sandbox, challenge=challenge.slug).exists():
        if challenge.slug != "revoke-leaked-sessions" or credentials.get(sandbox.id, LEAKED_SESSION) is not None:
            return
    reset_challenge(sandbox, challenge)


def values_for(sandbox: Sandbox, challenge: Challenge) -> dict[str, str]:
    values = dict(sandbox.account_ids())
    if "now" in challenge.values:
        # aws:TokenIssueTime has whole seconds (a session issued at 12:00:00.7 is "12:00:00"), so "now" is the next
        # whole second: a session issued in this second (the leak, just after a reset) is before it, not at it
        now = services.sandbox_now(sandbox).astimezone(timezone.utc)
        values["now"] = (now.replace(microsecond=0) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return values


def fill_text(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def challenge(slug: str) -> Challenge | None:
    return BY_SLUG.get(slug)
