"""SecureCart use case: developers and operations get least-privilege roles; production changes need MFA.

`developer` (developer account) may assume SecureCart-Developer (look, don't touch) and SecureCart-Operations, whose
trust policy requires aws:MultiFactorAuthPresent — so the operations role only opens with an MFA code.
"""
from __future__ import annotations

from sandboxes.operator import OPERATOR
from sandboxes.world import DEVELOPER, PRODUCTION

from ..framework import AwsRule, Diagram, Node, PolicyRef, Scenario, Step, StepContext

USER = "developer"
DEVICE = "developer-phone"
DEV_ROLE = "SecureCart-Developer"
OPS_ROLE = "SecureCart-Operations"
DEV_SESSION = "usecase-dev-session"
OPS_SESSION = "usecase-ops-session"
INSTANCE_NAME = "securecart-web-usecase"

USER_NODE = Node(USER, "IAM user · developer account", "principal")
DEV_NODE = Node(DEV_ROLE, "role · production", "role")
OPS_NODE = Node(OPS_ROLE, "role · production (MFA)", "role")
DEV_TRUST = PolicyRef("trust", PRODUCTION, role=DEV_ROLE, title="Trust policy of SecureCart-Developer")
DEV_POLICY = PolicyRef("identity", PRODUCTION, role=DEV_ROLE, name="DeveloperReadOnly",
                       title="Permissions of SecureCart-Developer")
OPS_TRUST = PolicyRef("trust", PRODUCTION, role=OPS_ROLE, title="Trust policy of SecureCart-Operations")


def _instance(ctx: StepContext) -> str:
    """A production instance to look at and reboot, launched quietly by the operator."""
    production = ctx.accounts[PRODUCTION]
    return (OPERATOR.running_instance(production, INSTANCE_NAME)
            or OPERATOR.launch_instance(production, INSTANCE_NAME, image_id="ami-12c6146b", instance_type="t3.micro"))


def _device(ctx: StepContext) -> tuple[str, str]:
    """The developer's MFA device, issued by IT (created and enabled by the operator on first use)."""
    from engine import mfa
    from sandboxes.labclient import lab

    account = ctx.accounts[DEVELOPER]
    serial = f"arn:aws:iam::{account}:mfa/{DEVICE}"
    device = lab().mfa_device(serial)
    if device is not None and device.user_name == USER and device.seed:
        return serial, device.seed
    if device is None:
        OPERATOR.create_virtual_mfa_device(account, DEVICE)
    seed = lab().mfa_device(serial).seed
    now = lab().mfa_clock(ctx.sandbox.id)  # the sandbox's phones go by its clock (Lab.mfa_clock)
    OPERATOR.enable_mfa_device(account, USER, serial, mfa.code_at(seed, now - 30), mfa.code_at(seed, now))
    lab().mfa_verify_enable(serial, seed, mfa.code_at(seed, now - 30), mfa.code_at(seed, now), at=now)
    ctx.note("<p>IT issued the developer a virtual MFA device (scenario 5 shows the enrolment).</p>")
    return serial, seed


def developer_role(ctx: StepContext) -> None:
    instance = _instance(ctx)
    dev = ctx.user(DEVELOPER, USER)
    response = ctx.call("Assume the developer role", ctx.client("sts", dev).assume_role, signer=dev,
                        RoleArn=ctx.role_arn(PRODUCTION, DEV_ROLE), RoleSessionName="dev-alice")
    if ctx.keep_session(DEV_SESSION, "Developer session (read-only)", response):
        session = ctx.session(DEV_SESSION, made_by="developers")
        ec2 = ctx.client("ec2", session)
        ctx.call("Look at production instances", ec2.describe_instances, signer=session)
        ctx.call("Try to reboot one", ec2.reboot_instances, signer=session, expect="UnauthorizedOperation",
                 InstanceIds=[instance])


def operations_without_mfa(ctx: StepContext) -> None:
    dev = ctx.user(DEVELOPER, USER)
    ctx.call("Assume the operations role without MFA", ctx.client("sts", dev).assume_role, signer=dev,
             expect="AccessDenied", RoleArn=ctx.role_arn(PRODUCTION, OPS_ROLE), RoleSessionName="ops-alice")


def operations_with_mfa(ctx: StepContext) -> None:
    from engine import mfa
    from sandboxes.labclient import lab

    instance = _instance(ctx)
    serial, seed = _device(ctx)
    step = mfa.step_of(lab().mfa_clock(ctx.sandbox.id))
    last = lab().mfa_last_used_step(serial, seed)
    code = mfa.code_for_step(seed, max(step, (last or step - 1) + 1))
    dev = ctx.user(DEVELOPER, USER)
    response = ctx.call(f"Assume the operations role with the MFA code {code}", ctx.client("sts", dev).assume_role,
                        signer=dev, RoleArn=ctx.role_arn(PRODUCTION, OPS_ROLE), RoleSessionName="ops-alice",
                        SerialNumber=serial, TokenCode=code)
    if ctx.keep_session(OPS_SESSION, "Operations session (MFA)", response):
        session = ctx.session(OPS_SESSION, made_by="operations")
        ctx.call("Reboot the instance", ctx.client("ec2", session).reboot_instances, signer=session,
                 InstanceIds=[instance])


SCENARIO = Scenario(
    objective=("Give two teams two roles in production from the same account, and require MFA in a role's trust "
               "policy so the operations role opens only with a code."),
    prerequisites=('Scenario 1 (roles).', 'Scenario 5 (MFA).',),
    minutes=10, level='Intermediate', quiz_domains=('mfa', 'trust'),
    rules=(
        AwsRule('A trust policy can require MFA: the caller passes SerialNumber and TokenCode to AssumeRole.',
                'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html'),
        AwsRule('Configuring MFA-protected API access.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html'),
    ),
    kind='use-case',
    adds=('What this adds over scenario 5: there, MFA is required by an identity policy after '
          '<code>GetSessionToken</code>; here, the <em>trust policy</em> of a role requires it, and the code '
          'travels on the <code>AssumeRole</code> call itself (<code>SerialNumber</code>, '
          '<code>TokenCode</code>). It also shows two roles for two teams side by side.'),
    number=9,
    slug="use-case-teams",
    title="Use case: developer and operations roles, production behind MFA",
    sts_call="AssumeRole (with SerialNumber and TokenCode)",
    summary="Developers look but don't touch; operations may change production, but their role only opens with "
            "an MFA code.",
    steps=(
        Step(slug="developers", title="Developers: look, don't touch",
             narrative="<p>The developer assumes <code>SecureCart-Developer</code>: it may describe instances and "
                       "read product images, nothing else.</p>",
             run=developer_role, run_label="Assume the developer role",
             lesson="<p>Least privilege: the reboot is refused.</p>",
             diagram=Diagram((USER_NODE, Node("AWS STS", "", "sts"), DEV_NODE), active=2),
             policies=(DEV_TRUST, DEV_POLICY), shows_sessions=(DEV_SESSION,)),
        Step(slug="operations-need-mfa", title="Operations without MFA: refused",
             narrative="<p><code>SecureCart-Operations</code> trusts the developer account only with "
                       "<code>\"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}</code>.</p>",
             run=operations_without_mfa, run_label="Assume operations without MFA",
             lesson="<p>The trust policy's MFA condition is false: AccessDenied.</p>",
             diagram=Diagram((USER_NODE, Node("AWS STS", "", "sts"), OPS_NODE), active=1), policies=(OPS_TRUST,)),
        Step(slug="operations", title="Operations with MFA",
             narrative="<p>The same AssumeRole, now with the device's serial number and current code.</p>",
             run=operations_with_mfa, run_label="Assume operations with MFA",
             lesson="<p>With MFA the role opens, and the operations session may reboot the instance.</p>",
             diagram=Diagram((USER_NODE, Node("AWS STS", "", "sts"), OPS_NODE), active=2), policies=(OPS_TRUST,),
             shows_sessions=(OPS_SESSION,)),
    ),
)
