"""The lab's own override handlers, as one registry GatewayApp starts from: the IAM operations moto lacks or gets
wrong (gateway.overrides, gateway.iam_quotas), MFA devices with real codes and QR PNGs (gateway.mfa_overrides), EC2
instance metadata options for IMDS (gateway.ec2_overrides), CloudTrail lookups (gateway.cloudtrail_overrides), what
Organizations refuses (gateway.organizations), the policy simulator and Access Analyzer's checks
(gateway.policy_tools), and,
in front of all of them, the writes IAM refuses on what AWS owns (gateway.iam_protected)."""
from __future__ import annotations

from . import (cloudtrail_overrides, ec2_overrides, iam_protected, mfa_overrides, organizations, overrides,
               policy_tools)
from .operation import OverrideRegistry


def default_overrides() -> OverrideRegistry:
    """A new registry holding every built-in handler (each GatewayApp gets its own, so adding one is local)."""
    registry = OverrideRegistry()
    for module in (ec2_overrides, mfa_overrides, overrides, cloudtrail_overrides, organizations, policy_tools,
                   iam_protected):  # iam_protected guards what the others registered: last
        module.register(registry)
    return registry
