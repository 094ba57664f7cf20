"""Sign-in events the web layer's portals produce (no AWS API call carries them, so the gateway cannot see them).

The lab writes the IAM Identity Center access-portal sign-in in the ConsoleLogin shape of the IAM User Guide
("Example sign-in events in CloudTrail log": eventSource signin.amazonaws.com, responseElements.ConsoleLogin,
additionalEventData.MFAUsed / LoginTo). AWS's Identity Center writes sign-in events of its own (UserAuthentication,
CredentialChallenge ...) that the lab does not reproduce: a lab choice, so that the same detection reads both.
It goes through the lab's Trail (engine.cloudtrail.Trail.record_event), in this process or on a remote gateway.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.cloudtrail import iso
from sandboxes.labclient import lab


def record_portal_signin(sandbox: Any, *, username: str, mfa: bool, when: datetime, source_ip: str,
                         user_agent: str, portal_url: str) -> str:
    account = sandbox.account_ids().get("production") or next(iter(sandbox.account_ids().values()))
    record = {
        "userIdentity": {"type": "IdentityCenterUser", "accountId": account, "userName": username,
                         "invokedBy": "sso.amazonaws.com"},
        "eventTime": iso(when), "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1", "sourceIPAddress": source_ip, "userAgent": user_agent[:1024],
        "requestParameters": None, "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"LoginTo": portal_url, "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"},
        "readOnly": False, "eventType": "AwsConsoleSignIn", "managementEvent": True, "eventCategory": "Management",
    }
    return lab().trail.record_event(sandbox_id=sandbox.id, account_id=account, record=record)
