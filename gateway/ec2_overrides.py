"""EC2 operations of scenario 4 that moto gets wrong, fixed through the gateway's override registry.

RunInstances: moto launches any MaxCount at once, under the lock every sandbox shares (30,000 instances held the
lab for five minutes). AWS caps it by the account's quota: MaxCount is "between 1 and the quota for the specified
instance type for your account for this Region" (EC2 API Reference, RunInstances), launching as many as fit above
MinCount, and a MinCount beyond the quota fails with InstanceLimitExceeded. The lab's quota is the classic default
of 20 On-Demand instances per account and Region (the lab's choice: AWS now counts vCPUs per instance family).

ModifyInstanceMetadataOptions: AWS changes only the options named in the request. moto 5.2.5 rebuilds the whole
MetadataOptions from the request, so an option left out becomes None (setting HttpEndpoint alone would silently
drop HttpTokens=required and re-open IMDSv1). The override puts back every option the request did not name.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .operation import OperationCall, OverrideRegistry
from .protocols import Response

_OPTION_FIELDS = MappingProxyType({"HttpTokens": "http_tokens",
                                   "HttpPutResponseHopLimit": "http_put_response_hop_limit",
                                   "HttpEndpoint": "http_endpoint", "HttpProtocolIpv6": "http_protocol_ipv6",
                                   "InstanceMetadataTags": "instance_metadata_tags"})


def _instance(account: str, region: str, instance_id: str) -> Any:
    from moto.ec2.models import ec2_backends
    try:
        return ec2_backends[account][region].get_instance(instance_id)
    except Exception:  # unknown id: moto answers the request itself with InvalidInstanceID.NotFound
        return None


def modify_instance_metadata_options(call: OperationCall) -> Response:
    from engine.directory import moto_lock

    instance_id = str(call.params.get("InstanceId") or "")
    with moto_lock:
        instance = _instance(call.account, call.region, instance_id)
        before = {attr: getattr(instance.metadata_options, attr, None) for attr in _OPTION_FIELDS.values()} \
            if instance is not None else {}
    response = call.forward()
    if response.status == 200 and before:
        with moto_lock:
            instance = _instance(call.account, call.region, instance_id)
            if instance is not None:
                for param, attr in _OPTION_FIELDS.items():
                    if call.params.get(param) is None:
                        setattr(instance.metadata_options, attr, before[attr])
    return response


INSTANCE_QUOTA = 20


def _running_instances(account: str, region: str) -> int:
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account][region]
    return sum(1 for reservation in backend.reservations.values() for instance in reservation.instances
               if instance.state in ("pending", "running"))


def run_instances(call: OperationCall) -> Response:
    from engine.directory import moto_lock
    from engine.errors import AwsError

    minimum, maximum = int(call.params.get("MinCount") or 1), int(call.params.get("MaxCount") or 1)
    with moto_lock:
        free = INSTANCE_QUOTA - _running_instances(call.account, call.region)
    if minimum > free:
        # AWS's wording for the instance-count quota (the lab's quota: INSTANCE_QUOTA per account and Region)
        raise AwsError(f"You have requested more instances ({minimum}) than your current instance limit of "
                       f"{INSTANCE_QUOTA} allows for the specified instance type. Please visit "
                       "http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.",
                       code="InstanceLimitExceeded", status=400)
    # AWS launches as many as fit, up to MaxCount; moto launches MinCount, so both are set to that number
    launch = str(min(maximum, free))
    form = [(k, launch if k in ("MinCount", "MaxCount") else v) for k, v in parse_qsl(call.body.decode(), True)]
    return call.forward(urlencode(form).encode())


def register(registry: OverrideRegistry) -> None:
    registry.register("ec2", "ModifyInstanceMetadataOptions", modify_instance_metadata_options)
    registry.register("ec2", "RunInstances", run_instances)
