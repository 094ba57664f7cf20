"""EC2 operations of scenario 4 that moto gets wrong, fixed through the gateway's override registry.

ModifyInstanceMetadataOptions: AWS changes only the options named in the request. moto 5.2.5 rebuilds the whole
MetadataOptions from the request, so an option left out becomes None (setting HttpEndpoint alone would silently
drop HttpTokens=required and re-open IMDSv1). The override puts back every option the request did not name.
"""
from __future__ import annotations

from typing import Any

from .operation import OperationCall, OverrideRegistry
from .protocols import Response

_OPTION_FIELDS = {"HttpTokens": "http_tokens", "HttpPutResponseHopLimit": "http_put_response_hop_limit",
                  "HttpEndpoint": "http_endpoint", "HttpProtocolIpv6": "http_protocol_ipv6",
                  "InstanceMetadataTags": "instance_metadata_tags"}


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


def register(registry: OverrideRegistry) -> None:
    registry.register("ec2", "ModifyInstanceMetadataOptions", modify_instance_metadata_options)
