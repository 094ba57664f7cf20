"""Helpers for the gateway tests (policy builders, a learner sandbox over the gateway); fixtures live in conftest.py.

A module of its own with a unique name: `from conftest import ...` picks whichever conftest pytest imported first
when several test folders run together.
"""
from __future__ import annotations

import json
import secrets
from typing import Any

from engine.lab import Lab
from gateway.app import GatewayApp
from gateway.client import ExchangeRecorder, admin_client, learner_client, unsigned_client


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, action: str | list[str] = "sts:AssumeRole", **extra: Any) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


def new_account() -> str:
    return "8" + "".join(secrets.choice("0123456789") for _ in range(11))


class Creds(dict):
    """access_key_id / secret_access_key / session_token, usable as learner_client(**creds)."""


class Sandbox:
    def __init__(self, lab: Lab, app: GatewayApp, endpoint: str | None = None) -> None:
        self.lab, self.app, self.endpoint = lab, app, endpoint
        self.id = secrets.token_hex(4)
        self.dev, self.prod = new_account(), new_account()
        lab.register_sandbox(self.id, {"dev": self.dev, "prod": self.prod})
        self.recorder = ExchangeRecorder()

    def admin(self, service: str, account: str | None = None) -> Any:
        return admin_client(service, account or self.dev, sandbox_id=self.id)

    def user(self, name: str, *statements: dict[str, Any], account: str | None = None) -> Creds:
        iam = self.admin("iam", account)
        iam.create_user(UserName=name)
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=doc(*statements))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Creds(access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])

    def role(self, name: str, trust_policy: str, *statements: dict[str, Any], account: str | None = None,
             max_session: int = 3600) -> str:
        iam = self.admin("iam", account)
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy,
                              MaxSessionDuration=max_session)["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=doc(*statements))
        return arn

    def client(self, service: str, creds: dict[str, Any], **kwargs: Any) -> Any:
        return learner_client(service, recorder=self.recorder, gateway=self.app, endpoint=self.endpoint,
                              **creds, **kwargs)

    def unsigned(self, service: str = "sts") -> Any:
        return unsigned_client(service, recorder=self.recorder, gateway=self.app, endpoint=self.endpoint)

    def assume(self, creds: dict[str, Any], role_arn: str, session: str = "s1", **params: Any) -> Creds:
        result = self.client("sts", creds).assume_role(RoleArn=role_arn, RoleSessionName=session, **params)
        c = result["Credentials"]
        return Creds(access_key_id=c["AccessKeyId"], secret_access_key=c["SecretAccessKey"],
                     session_token=c["SessionToken"])


