"""What the policy lab does, through the gateway like any AWS client: IAM's policy simulator and Access Analyzer's
checks, signed with the learner's own lab-admin keys of the account concerned; then the engine's explanation of each
simulated decision (sandboxes.explain.sandbox_simulation) and the counterexample of a FAIL, with the console command
that replays it.

Here the lab is more faithful than AWS's own simulator: for sts:AssumeRole* on a role it evaluates the role's trust
policy, as the live call does (AWS's simulator discards it: aws/aws-cli#10314).
"""
from __future__ import annotations

import ipaddress
import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from sandboxes.explain import sandbox_simulation
from sandboxes.labclient import learner_client, new_recorder
from sandboxes.models import AccessKey, Sandbox
from sandboxes.world import ADMIN_USER, world_roles

KINDS = {"trust": ("RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument"), "identity": ("IDENTITY_POLICY", None),
         "resource": ("RESOURCE_POLICY", None)}


def _account_names(sandbox: Sandbox) -> dict[str, str]:
    """account id -> its name in the sandbox (production, auditor...)."""
    return {account_id: name for name, account_id in sandbox.account_ids().items()}


def signer(sandbox: Sandbox, account_id: str) -> AccessKey | None:
    """The learner's lab-admin key of one of the sandbox's accounts (None for an account it does not hold)."""
    name = _account_names(sandbox).get(account_id)
    if name is None:
        return None
    return AccessKey.objects.filter(sandbox=sandbox, account_name=name, user_name=ADMIN_USER).first()


def principals(sandbox: Sandbox) -> list[str]:
    """Suggestions for the simulator's principal: the sandbox's seeded users and SecureCart's roles."""
    accounts = sandbox.account_ids()
    users = list(AccessKey.objects.filter(sandbox=sandbox).order_by("account_name", "user_name")
                 .values_list("arn", flat=True))
    roles = [f"arn:aws:iam::{accounts[spec.account]}:role/{spec.name}" for spec in world_roles()
             if spec.account in accounts]
    return users + roles


def _client(service: str, key: AccessKey, recorder: Any = None) -> Any:
    return learner_client(service, access_key_id=key.access_key_id, secret_access_key=key.secret_access_key,
                          recorder=recorder)


def _error(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}"


def context_entry(key: str, value: str) -> dict[str, Any]:
    """`key = value` as a ContextEntry, its type read from the value (true/false, a number, an address)."""
    kind = "string"
    if value.lower() in ("true", "false"):
        kind, value = "boolean", value.lower()
    elif value.lstrip("-").isdigit():
        kind = "numeric"
    else:
        try:
            ipaddress.ip_network(value, strict=False)
            kind = "ip"
        except ValueError:
            pass
    return {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": kind}


@dataclass
class Simulation:
    error: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)     # AWS's EvaluationResults
    decisions: list[dict[str, Any]] = field(default_factory=list)   # Decision.to_dict() per action x resource
    trust_evaluated: bool = False

    def rows(self) -> list[dict[str, Any]]:
        """One row per action and resource: AWS's verdict beside the engine's decision that gave it."""
        out: list[dict[str, Any]] = []
        for result in self.results:
            specific = result.get("ResourceSpecificResults") or [{
                "EvalResourceName": result["EvalResourceName"], "EvalResourceDecision": result["EvalDecision"],
                "MatchedStatements": result.get("MatchedStatements", []),
                "MissingContextValues": result.get("MissingContextValues", [])}]
            for item in specific:
                out.append({"action": result["EvalActionName"], "resource": item["EvalResourceName"],
                            "decision": item["EvalResourceDecision"], "matched": item.get("MatchedStatements", []),
                            "missing": item.get("MissingContextValues", [])})
        for row, decision in zip(out, self.decisions):
            row["explained"] = decision
        return out


def simulate(sandbox: Sandbox, principal: str, actions: list[str], resources: list[str],
             context: dict[str, str]) -> Simulation:
    key = signer(sandbox, principal.split(":")[4])
    if key is None:
        return Simulation(error="That principal is not in one of your sandbox's accounts.")
    iam = _client("iam", key)
    params: dict[str, Any] = {"PolicySourceArn": principal, "ActionNames": actions,
                              "ContextEntries": [context_entry(k, v) for k, v in context.items()]}
    if resources:
        params["ResourceArns"] = resources
    try:
        answer = iam.simulate_principal_policy(**params)
    except ClientError as error:
        return Simulation(error=_error(error))
    return Simulation(results=answer["EvaluationResults"],
                      decisions=sandbox_simulation(sandbox, answer["ResponseMetadata"]["RequestId"]),
                      trust_evaluated=any(a.lower().startswith("sts:assumerole") for a in actions)
                      and any(":role/" in r for r in resources))


@dataclass
class Check:
    error: str = ""
    answer: dict[str, Any] = field(default_factory=dict)            # CheckNoNewAccess: result, message, reasons
    findings: list[dict[str, Any]] = field(default_factory=list)    # ValidatePolicy on the new policy
    counterexample: dict[str, Any] | None = None
    command: str = ""                                               # the AWS CLI command that replays it
    identity: str = ""                                              # the console identity to run it as
    why_not: str = ""                                               # why there is no one-click replay


def check(sandbox: Sandbox, policy_type: str, existing: str, new: str, role: str) -> Check:
    production = sandbox.account_ids().get("production") or next(iter(sandbox.account_ids().values()), "")
    key = signer(sandbox, role.split(":")[4] if role else production)
    if key is None:
        return Check(error="That role is not in one of your sandbox's accounts.")
    aws_type, resource_type = KINDS[policy_type]
    recorder = new_recorder()
    analyzer = _client("accessanalyzer", key, recorder)
    try:
        answer = analyzer.check_no_new_access(newPolicyDocument=new, existingPolicyDocument=existing,
                                              policyType=aws_type)
        extra = {"validatePolicyResourceType": resource_type} if resource_type else {}
        findings = analyzer.validate_policy(policyDocument=new, policyType=aws_type, **extra)["findings"]
    except ClientError as error:
        return Check(error=_error(error))
    result = Check(answer={k: answer[k] for k in ("result", "message", "reasons") if k in answer},
                   findings=findings)
    example = _counterexample(recorder)
    if example is not None:
        if role and example["action"].lower().startswith("sts:assumerole"):
            example["resource"] = role
        result.counterexample = example
        result.command, result.identity, result.why_not = replay(sandbox, example)
    return result


def _counterexample(recorder: Any) -> dict[str, Any] | None:
    """The lab's `counterexample` member of the CheckNoNewAccess answer (botocore's model has none, so the SDK drops
    it; the recorded response body keeps it)."""
    for exchange in reversed(recorder.exchanges):
        if exchange.operation == "CheckNoNewAccess":
            try:
                body = json.loads(exchange.response_body)
            except (TypeError, ValueError):
                return None
            example = body.get("counterexample") if isinstance(body, dict) else None
            return example if isinstance(example, dict) else None
    return None


def replay(sandbox: Sandbox, example: dict[str, Any]) -> tuple[str, str, str]:
    """(AWS CLI command, console identity, why not): how the console replays a counterexample, when it can."""
    action, resource, context = example["action"], example["resource"], example.get("context") or {}
    identity = _identity(sandbox, example.get("caller", ""), example.get("account"))
    if not identity:
        return "", "", ("The caller is no identity of your sandbox (someone in another account), so the console "
                        "cannot sign as them.")
    if context.get("aws:MultiFactorAuthPresent") == "true":
        return "", identity, "The request needs an MFA code, which the console cannot type for you."
    if action.lower() == "sts:assumerole" and ":role/" in resource:
        command = ["aws", "sts", "assume-role", "--role-arn", resource, "--role-session-name", "counterexample"]
        if "sts:ExternalId" in context:
            command += ["--external-id", context["sts:ExternalId"]]
        return shlex.join(command), identity, ""
    s3 = resource.split(":::", 1)[1] if resource.startswith("arn:aws:s3:::") else ""
    bucket, _, object_key = s3.partition("/")
    if action == "s3:GetObject" and object_key:
        return shlex.join(["aws", "s3api", "head-object", "--bucket", bucket, "--key", object_key]), identity, ""
    if action == "s3:ListBucket" and bucket:
        return shlex.join(["aws", "s3api", "list-objects-v2", "--bucket", bucket]), identity, ""
    return "", identity, f"The console has no one-line command for {action} here; try it yourself."


def _identity(sandbox: Sandbox, caller: str, account: str | None) -> str:
    """The console identity (challenges' `key:<account>/<user>`) for the counterexample's caller: that user's own
    key, or for "anyone in the account" the account's lab-admin."""
    names = _account_names(sandbox)
    if not account or account not in names:
        return ""
    user = caller.rsplit("/", 1)[-1] if ":user/" in caller else ""
    if user and AccessKey.objects.filter(sandbox=sandbox, account_name=names[account], user_name=user).exists():
        return f"key:{names[account]}/{user}"
    if caller.endswith((":user/any-user", ":root")):
        return f"key:{names[account]}/{ADMIN_USER}"
    return ""
