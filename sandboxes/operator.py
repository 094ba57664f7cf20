"""The lab operator: the web layer's one way straight to moto, around the gateway's authentication and authorization.

What the operator does is not a learner's call: it is never signed, authorised, recorded in the exchange panel or
in CloudTrail. Scenarios use it for what a person would look up or set up quietly in the console (the running
instance of the web tier, a policy shown on the page, the on-call engineer's old MFA device), through the named
operations below; nothing outside sandboxes/ builds an admin client (tests/web/test_operator_layering.py).

World builders (sandboxes/world.py and the apps' world extensions: federation's Identity Center and providers, the
challenges' roles and users) create whole accounts' worth of entities, so they get a seeding client,
`OPERATOR.seeding_client(service, account_id)`, a boto3 client aimed at one account: that is the seeding path,
not a way for step code to reach moto.

In-process the clients go to the process's moto; with LAB_GATEWAY_URL, to the gateway process's (lab control's
`admin` method): gateway.client.admin_client picks.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from gateway.client import LIVE_STATES, admin_client, iam_policy_document, instances
from gateway.runtime import current


def _document(value: Any) -> dict[str, Any]:
    # IAM returns URL-encoded JSON; botocore usually decodes it already
    return json.loads(unquote(value)) if isinstance(value, str) else value


class Operator:
    """Named operations on a sandbox's accounts, by account id (sandbox.account_ids()[name]). Stateless: the
    per-thread count of policy writes is the runtime's (gateway.runtime, web.operator_writes)."""

    def policy_writes(self) -> int:
        """How many policies this thread changed through the operator so far: a step page compares the figure
        before and after a Run to know whether the documents the engine evaluated are still the sandbox's."""
        return getattr(current().web.operator_writes, "policy_writes", 0)

    def _wrote_policy(self) -> None:
        current().web.operator_writes.policy_writes = self.policy_writes() + 1

    # ---- the clients (the only place in the web layer that builds them)
    def seeding_client(self, service: str, account_id: str, *, sandbox_id: str | None = None) -> Any:
        """For world builders only: a boto3 client straight to moto in `account_id`. With sandbox_id, S3 bucket
        names move into that sandbox's namespace, as the gateway does for its learners."""
        return admin_client(service, account_id, sandbox_id=sandbox_id)

    def _iam(self, account_id: str) -> Any:
        return self.seeding_client("iam", account_id)

    def _ec2(self, account_id: str) -> Any:
        return self.seeding_client("ec2", account_id)

    # ---- IAM reads: the policies a step page shows
    # Read straight from this process's moto when it lives here (the text GetRole / GetRolePolicy / GetUserPolicy
    # answer with, without a request through moto's web app), else with an admin call to the sandbox's gateway.
    def role_trust_policy(self, account_id: str, role_name: str) -> dict[str, Any]:
        return iam_policy_document(account_id, "trust", role_name)

    def role_policy(self, account_id: str, role_name: str, policy_name: str) -> dict[str, Any]:
        return iam_policy_document(account_id, "role", role_name, policy_name)

    def user_policy(self, account_id: str, user_name: str, policy_name: str) -> dict[str, Any]:
        return iam_policy_document(account_id, "user", user_name, policy_name)

    # ---- Organizations: a guardrail shown on a step page
    def organization_policy(self, account_id: str, policy_type: str, name: str) -> dict[str, Any] | None:
        """The content of the organization policy `name` (SERVICE_CONTROL_POLICY / RESOURCE_CONTROL_POLICY) of the
        organization `account_id` manages, or None when there is none by that name (yet)."""
        org = self.seeding_client("organizations", account_id)
        for page in org.get_paginator("list_policies").paginate(Filter=policy_type):
            for summary in page["Policies"]:
                if summary["Name"] == name:
                    return _document(org.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"])
        return None

    # ---- IAM writes
    def put_user_policy(self, account_id: str, user_name: str, policy_name: str, document: dict[str, Any]) -> None:
        self._wrote_policy()
        self._iam(account_id).put_user_policy(UserName=user_name, PolicyName=policy_name,
                                              PolicyDocument=json.dumps(document))

    def set_trust_policy(self, account_id: str, role_name: str, document: str) -> None:
        self._wrote_policy()
        self._iam(account_id).update_assume_role_policy(RoleName=role_name, PolicyDocument=document)

    def remove_virtual_mfa_device(self, account_id: str, user_name: str, serial: str) -> bool:
        """Deactivate every MFA device of the user and delete the virtual device `serial`; True if it existed."""
        iam = self._iam(account_id)
        for device in iam.list_mfa_devices(UserName=user_name)["MFADevices"]:
            iam.deactivate_mfa_device(UserName=user_name, SerialNumber=device["SerialNumber"])
        existing = {d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]}
        if serial not in existing:
            return False
        iam.delete_virtual_mfa_device(SerialNumber=serial)
        return True

    def create_virtual_mfa_device(self, account_id: str, device_name: str) -> None:
        self._iam(account_id).create_virtual_mfa_device(VirtualMFADeviceName=device_name)

    def enable_mfa_device(self, account_id: str, user_name: str, serial: str, code1: str, code2: str) -> None:
        self._iam(account_id).enable_mfa_device(UserName=user_name, SerialNumber=serial, AuthenticationCode1=code1,
                                                AuthenticationCode2=code2)

    # ---- EC2
    def running_instance(self, account_id: str, name_tag: str) -> str | None:
        """The id of a running instance tagged Name=name_tag, or None."""
        found = self._ec2(account_id).describe_instances(Filters=[
            {"Name": "tag:Name", "Values": [name_tag]}, {"Name": "instance-state-name", "Values": ["running"]}])
        for reservation in found.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                return instance["InstanceId"]
        return None

    def launch_instance(self, account_id: str, name_tag: str, *, image_id: str, instance_type: str) -> str:
        return self._ec2(account_id).run_instances(
            ImageId=image_id, MinCount=1, MaxCount=1, InstanceType=instance_type,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name_tag}]}]
        )["Instances"][0]["InstanceId"]

    def instance_profile_associations(self, account_id: str, instance_id: str) -> list[dict[str, Any]]:
        return self._ec2(account_id).describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [instance_id]}])["IamInstanceProfileAssociations"]

    def instances(self, account_id: str, states: tuple[str, ...] = LIVE_STATES) -> list[dict[str, Any]]:
        """The account's instances in one of `states`, pending or running unless asked (describe_instances'
        Instances)."""
        return instances(account_id, states)


OPERATOR = Operator()
