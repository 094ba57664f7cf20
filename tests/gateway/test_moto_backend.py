"""gateway.moto_backend.MotoLookups: facts read from moto's backends without a request through its web app must be
the facts moto's own API answers with. Each read is compared with the API call it stands for, on the same state."""
from __future__ import annotations

from typing import Any

from gateway.client import admin_client
from gateway.moto_backend import MotoLookups
from gateway_kit import Sandbox

LIVE = ("pending", "running")


def described(ec2: Any, states: tuple[str, ...] = LIVE) -> list[dict[str, Any]]:
    """What DescribeInstances lists for instances in `states`, in the fields the lab reads."""
    found = []
    for reservation in ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": list(states)}]
                                              )["Reservations"]:
        for instance in reservation["Instances"]:
            one = {"InstanceId": instance["InstanceId"],
                   "Tags": sorted(instance.get("Tags", []), key=lambda t: t["Key"])}
            if "IamInstanceProfile" in instance:
                one["IamInstanceProfile"] = instance["IamInstanceProfile"]
            found.append(one)
    return sorted(found, key=lambda i: i["InstanceId"])


def read(account: str, region: str = "us-east-1", states: tuple[str, ...] = LIVE) -> list[dict[str, Any]]:
    return sorted(({**i, "Tags": sorted(i["Tags"], key=lambda t: t["Key"])}
                   for i in MotoLookups().instances(account, region, states)),
                  key=lambda i: i["InstanceId"])


def test_live_instances_are_what_describe_instances_lists(local: Sandbox) -> None:
    """The mistakes: a terminated instance still listed (the console would offer its metadata service), a profile
    association or a Name tag missing (the console's label and the IMDS role), another region's instances mixed in."""
    iam, ec2 = local.admin("iam"), local.admin("ec2")
    iam.create_role(RoleName="web", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    tagged = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": "web-profile"},
                               TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                   {"Key": "Name", "Value": "web"}, {"Key": "team", "Value": "shop"}]}]
                               )["Instances"][0]["InstanceId"]
    plain = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    gone = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[gone])
    stopped = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[stopped])
    west = admin_client("ec2", local.dev, sandbox_id=local.id, region="us-west-2")
    in_west = west.run_instances(ImageId=west.describe_images()["Images"][0]["ImageId"], MinCount=1, MaxCount=1
                                 )["Instances"][0]["InstanceId"]

    assert read(local.dev) == described(ec2)
    ids = {i["InstanceId"] for i in read(local.dev)}
    assert {tagged, plain} <= ids and gone not in ids and stopped not in ids and in_west not in ids
    with_stopped = ("pending", "running", "stopped")   # what a challenge's reset terminates
    assert read(local.dev, states=with_stopped) == described(ec2, with_stopped)
    assert stopped in {i["InstanceId"] for i in read(local.dev, states=with_stopped)}
    assert read(local.dev, "us-west-2") == described(west) and [i["InstanceId"] for i in read(local.dev, "us-west-2")] \
        == [in_west]
    web = next(i for i in read(local.dev) if i["InstanceId"] == tagged)
    assert web["IamInstanceProfile"]["Arn"].endswith(":instance-profile/web-profile")
    assert {"Key": "Name", "Value": "web"} in web["Tags"]


def test_an_account_or_region_moto_has_not_built_has_no_instances_and_is_not_built() -> None:
    from moto.ec2.models import ec2_backends

    never_used = "999988887777"
    assert MotoLookups().instances(never_used, "us-east-1", ("pending", "running", "stopped")) == []
    assert not dict.__contains__(ec2_backends, never_used)   # reading built nothing (an EC2 backend costs ~0.3 s)
