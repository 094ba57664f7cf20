"""Which AWS operations the lab's gateway serves, per service: the allow-list the in-page console starts from.

A service the gateway speaks (protocols.SERVICE_MODELS) is served operation by operation:
- STS: every operation of its model (the engine answers each, or refuses it in AWS's words);
- S3: every operation of its model (moto's S3 dispatches on method, bucket, key and query, not one method each);
- the others: an operation moto's response class implements, or one the gateway answers itself (its overrides);
  Access Analyzer, which moto lacks: only the gateway's own operations.
Names are the CLI's (`aws s3api`, `list-roles`): the console hands them to the AWS CLI's own command tables.
"""
from __future__ import annotations

import functools
import importlib

from botocore import xform_name
from types import MappingProxyType

from . import protocols
from .builtin_overrides import default_overrides

# Our service name -> the CLI's command for it.
CLI_NAMES = MappingProxyType({"s3": "s3api"})
# moto's response class per service (module, class); STS and S3 are served whole (above).
MOTO_RESPONSES = MappingProxyType({
    "iam": ("moto.iam.responses", "IamResponse"),
    "ec2": ("moto.ec2.responses", "EC2Response"),
    "secretsmanager": ("moto.secretsmanager.responses", "SecretsManagerResponse"),
    "cloudtrail": ("moto.cloudtrail.responses", "CloudTrailResponse"),
    "sso-admin": ("moto.ssoadmin.responses", "SSOAdminResponse"),
    "identitystore": ("moto.identitystore.responses", "IdentityStoreResponse"),
    "organizations": ("moto.organizations.responses", "OrganizationsResponse"),
})
SERVED_WHOLE = frozenset({"sts", "s3"})
# Services moto does not implement: only the operations the gateway answers itself (Access Analyzer's policy checks).
GATEWAY_ONLY = frozenset({"accessanalyzer"})


@functools.lru_cache(maxsize=1)
def served_operations() -> dict[str, list[str]]:
    """CLI service name -> sorted CLI operation names the gateway serves."""
    overrides = default_overrides()
    served: dict[str, list[str]] = {}
    for service in protocols.SERVICE_MODELS:
        model = protocols.service_model(service)
        if service in SERVED_WHOLE:
            names = list(model.operation_names)
        elif service in GATEWAY_ONLY:
            names = [operation for operation in model.operation_names if (service, operation) in overrides]
        else:
            module, name = MOTO_RESPONSES[service]
            responses = getattr(importlib.import_module(module), name)
            names = [operation for operation in model.operation_names
                     if hasattr(responses, xform_name(operation)) or (service, operation) in overrides]
        served[CLI_NAMES.get(service, service)] = sorted(xform_name(name, "-") for name in names)
    return served
