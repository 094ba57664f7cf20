"""engine.ports.MfaPort's and JwksPort's contracts, in-process and over lab control (the `ports` fixture): the
virtual phone's device and seed, STS's replay memory, EnableMFADevice's two-code check, and each sandbox's OIDC
issuer keys, which its STS uses and no other sandbox's does (issue 24)."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from engine import mfa
from engine.directory import MfaDeviceInfo
from engine.errors import AwsError
from engine.mfa import MfaProof
from gateway_kit import new_account, trust


def test_a_virtual_devices_seed_and_replay_memory(ports) -> None:
    sandbox, account = "ct-" + secrets.token_hex(4), new_account()
    ports.lab.register_sandbox(sandbox, {"prod": account})
    serial = ports.admin("iam", account).create_virtual_mfa_device(
        VirtualMFADeviceName="oncall-phone")["VirtualMFADevice"]["SerialNumber"]
    device = ports.lab.mfa_device(serial)
    assert isinstance(device, MfaDeviceInfo) and device.account == account and device.user_name is None
    assert device.seed and ports.lab.mfa_device(serial.replace("oncall", "nobody")) is None
    assert ports.lab.mfa_last_used_step(serial, device.seed) is None
    now = mfa.clock()
    proof = ports.lab.mfa_verify_enable(serial, device.seed, mfa.code_at(device.seed, now - 30),
                                        mfa.code_at(device.seed, now), at=now)
    assert isinstance(proof, MfaProof) and proof.serial == serial and proof.step == mfa.step_of(now)
    assert ports.lab.mfa_last_used_step(serial, device.seed) == proof.step
    code = mfa.code_at(device.seed, now)
    with pytest.raises(AwsError) as refused:
        ports.lab.mfa_verify_enable(serial, device.seed, code, code, at=now)
    assert refused.value.code == "InvalidAuthenticationCode" and refused.value.status == 403
    assert getattr(refused.value, "reason") == "same-code"


def test_an_issuers_keys_are_its_sandboxs_only_and_reach_sts(ports) -> None:
    from engine.federation.idp import OidcIssuer
    from engine.federation.keys import SigningKey

    issuer = OidcIssuer("https://idp-" + secrets.token_hex(3) + ".example/oidc", SigningKey.generate("ct"))
    sandbox, account = "ct-" + secrets.token_hex(4), new_account()
    ports.lab.register_sandbox(sandbox, {"main": account})
    iam = ports.admin("iam", account)
    provider = iam.create_open_id_connect_provider(Url=issuer.issuer_url, ClientIDList=["app"],
                                                   ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    role = iam.create_role(RoleName="WebRole", AssumeRolePolicyDocument=trust(
        {"Federated": provider}, "sts:AssumeRoleWithWebIdentity"))["Role"]["Arn"]
    token = issuer.issue_token(sub="user-1", aud="app", now=datetime.now(timezone.utc))
    sts = ports.unsigned()
    with pytest.raises(ClientError) as unknown:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
    assert "Couldn't retrieve verification key" in unknown.value.response["Error"]["Message"]
    report = ports.lab.federation_report(unknown.value.response["ResponseMetadata"]["RequestId"])
    assert report is not None and report["error"]["defence"] == "jwks"   # the checklist the tamper bench shows
    ports.lab.register_oidc_jwks("ct-" + secrets.token_hex(4), issuer.issuer_url, issuer.jwks())   # another's
    assert ports.lab.oidc_jwks(sandbox, issuer.issuer_url) is None
    with pytest.raises(ClientError):
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
    ports.lab.register_oidc_jwks(sandbox, issuer.issuer_url, issuer.jwks())
    assert ports.lab.oidc_jwks(sandbox, issuer.issuer_url) == issuer.jwks()
    result = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/WebRole/web"
