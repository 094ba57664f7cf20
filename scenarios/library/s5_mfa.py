"""Scenario 5 — MFA for sensitive operations: GetSessionToken with an MFA code unlocks the database password.

The on-call engineer `securecart-oncall` (production account) enrols a virtual MFA device (a real QR code any
authenticator app scans, plus an on-page "virtual phone"), activates it with two consecutive codes, and proves MFA
with GetSessionToken before reading the DBPassword secret. Every code goes through engine.mfa's verifier, the one
STS and EnableMFADevice use (window ±1 step, each code once).
"""
from __future__ import annotations

import base64
import html
import json
from typing import Any

from django.template.loader import render_to_string

from sandboxes import services
from sandboxes.operator import OPERATOR
from sandboxes.world import ACCOUNT_ALIASES, ADMIN_USER, DB_SECRET, PRODUCTION, REGION, UserSpec, policy_doc

from ..defend import defend_step
from ..framework import AwsRule, Diagram, NeedsEarlierStep, Node, PolicyRef, Scenario, Step, StepContext, WhatIf

USER = "securecart-oncall"
DEVICE = f"{USER}-phone"
SESSION = "mfa-session"
SESSION_LABEL = "MFA session of securecart-oncall (GetSessionToken)"
SESSION_SECONDS = 7200          # two hours: longer than the one-hour MFA age limit, so both lessons show
MFA_MAX_AGE = 3600

POLICY_NAME = "ReadDBPasswordWithRecentMFA"
MFA_POLICY_NAME = "ManageOwnMFADevice"


def mfa_clock(ctx: StepContext) -> float:
    """The time the sandbox's phones (and STS) go by: real time moved by the sandbox clock (Lab.mfa_clock)."""
    from sandboxes.labclient import lab

    return lab().mfa_clock(ctx.sandbox.id)


def secret_policy(production: str, operator: str = "Bool") -> dict[str, Any]:
    condition: dict[str, Any] = {operator: {"aws:MultiFactorAuthPresent": "true"}}
    if operator == "Bool":
        condition["NumericLessThan"] = {"aws:MultiFactorAuthAge": str(MFA_MAX_AGE)}
    return policy_doc({"Sid": "ReadDBPasswordOnlyWithMFA", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                       "Resource": f"arn:aws:secretsmanager:{REGION}:{production}:secret:{DB_SECRET}-*",
                       "Condition": condition})


def mfa_policy(production: str) -> dict[str, Any]:
    return policy_doc(
        {"Sid": "CreateOwnVirtualDevice", "Effect": "Allow",
         "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
         "Resource": f"arn:aws:iam::{production}:mfa/{DEVICE}"},
        {"Sid": "EnableOwnDevice", "Effect": "Allow",
         "Action": ["iam:EnableMFADevice", "iam:DeactivateMFADevice", "iam:ListMFADevices"],
         "Resource": f"arn:aws:iam::{production}:user/{USER}"})


USER_NODE = Node(USER, "IAM user · production account", "principal")
PHONE_NODE = Node("Authenticator", "virtual MFA device", "resource")
STS_NODE = Node("AWS STS", "GetSessionToken", "sts")
SECRET_NODE = Node(DB_SECRET, "Secrets Manager · production", "resource")

SECRET_POLICY_REF = PolicyRef("identity", PRODUCTION, user=USER, name=POLICY_NAME,
                              title="Identity policy of securecart-oncall: the database password needs MFA")
MFA_POLICY_REF = PolicyRef("identity", PRODUCTION, user=USER, name=MFA_POLICY_NAME,
                           title="Identity policy of securecart-oncall: manage its own MFA device")


# --------------------------------------------------------------------------------------------------- set-up
# The on-call engineer is part of every world sandbox from the start (a world extension, scenarios/apps.py), seeded
# with the world and its template, with a long-term key like the other seeded users.
ONCALL_USER = UserSpec(PRODUCTION, USER, {POLICY_NAME: secret_policy("{production}"),
                                          MFA_POLICY_NAME: mfa_policy("{production}")})


def oncall(ctx: StepContext):
    return ctx.user(PRODUCTION, USER)


def serial(ctx: StepContext) -> str:
    return f"arn:aws:iam::{ctx.accounts[PRODUCTION]}:mfa/{DEVICE}"


def device_seed(ctx: StepContext, *, enabled: bool | None = None, needed_by: str = "enrol-device") -> str:
    from sandboxes.labclient import lab

    device = lab().mfa_device(serial(ctx))
    if device is None or device.seed is None:
        raise NeedsEarlierStep("This step needs the virtual MFA device, which “Enrol a virtual MFA device” creates.",
                               "enrol-device")
    if enabled is True and device.user_name != USER:
        raise NeedsEarlierStep("The device is not activated yet.", "activate-device")
    return device.seed


def phone_html(ctx: StepContext, seed: str, *, title: str = DEVICE) -> str:
    """The virtual phone (templates/scenarios/mfa/_virtual_phone.html) showing the code of this moment."""
    from engine import mfa

    shown = mfa.phone_display(seed, at=mfa_clock(ctx))
    return render_to_string("scenarios/mfa/_virtual_phone.html", {
        "seed": seed, "title": title, "code_head": shown.code[:3], "code_tail": shown.code[3:],
        "seconds_left": shown.seconds_left, "hx_vals": json.dumps({"back": ctx.origin})})


def fresh_code(ctx: StepContext, seed: str) -> str:
    """The code a person would type now: the phone's current code, or the next one if this one was already used."""
    from engine import mfa
    from sandboxes.labclient import lab

    now = mfa_clock(ctx)
    step = mfa.step_of(now)
    last = lab().mfa_last_used_step(serial(ctx), seed)
    if last is not None and last >= step:
        step = last + 1
        if step <= mfa.step_of(now) + mfa.WINDOW_STEPS:
            ctx.note("<p>The phone's current code was already used (each code works once), so the lab took the "
                     "next one — the ±30 s tolerance accepts it already.</p>")
        else:
            wait = int(step * mfa.STEP_SECONDS - mfa.WINDOW_STEPS * mfa.STEP_SECONDS - now) + 1
            ctx.note(f"<p><strong>No unused code yet:</strong> every code this phone can show right now was already "
                     f"used. A person would wait about {wait} s for the next one; the call below is refused. For a "
                     f"demo, press <strong>Next code</strong> on the virtual phone: it moves this sandbox's clock "
                     f"to the next 30-second window.</p>")
    return mfa.code_for_step(seed, step)


def keep(ctx: StepContext, response: dict[str, Any] | None) -> None:
    if response:
        response = dict(response)
        ctx.keep_session(SESSION, SESSION_LABEL, response, issued_by="GetSessionToken")


# --------------------------------------------------------------------------------------------------- step 1
def enrol(ctx: StepContext) -> None:
    from engine import mfa

    user = oncall(ctx)
    if OPERATOR.remove_virtual_mfa_device(ctx.accounts[PRODUCTION], USER, serial(ctx)):
        ctx.note("<p>Your earlier virtual device was removed first, so this is a fresh enrolment.</p>")
    response = ctx.call("Create a virtual MFA device (CreateVirtualMFADevice)",
                        ctx.client("iam", user).create_virtual_mfa_device, signer=user,
                        VirtualMFADeviceName=DEVICE)
    if not response:
        return
    device = response["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode("ascii")
    png = device["QRCodePNG"]
    # $AccountName: the account's alias (the world sets one), as in the QR code AWS returned
    uri = mfa.provisioning_uri(DEVICE, ACCOUNT_ALIASES.get(PRODUCTION, ctx.accounts[PRODUCTION]), seed)
    ctx.note(render_to_string("scenarios/mfa/_enrolment.html", {
        "device": DEVICE, "qr_base64": base64.b64encode(png).decode(), "phone": phone_html(ctx, seed),
        "uri": uri}))


# --------------------------------------------------------------------------------------------------- step 2
def _enable(ctx: StepContext, *, same_code: bool = False) -> None:
    from engine import mfa

    user = oncall(ctx)
    seed = device_seed(ctx)
    now = mfa_clock(ctx)
    code2 = mfa.code_at(seed, now)
    code1 = code2 if same_code else mfa.code_at(seed, now - mfa.STEP_SECONDS)
    from sandboxes.labclient import lab

    device = lab().mfa_device(serial(ctx))
    if device is not None and device.user_name == USER:
        # Run again (or the what-if after activating): IAM refuses EnableMFADevice for an active device
        # (EntityAlreadyExists), so take it back first, as a person re-doing the set-up would.
        ctx.note("<p>The device is already active for <code>securecart-oncall</code>, so it is deactivated first"
                 + (" and stays inactive after this refusal; activate it again with the step's main button.</p>"
                    if same_code else ".</p>"))
        ctx.call("Deactivate the device first (DeactivateMFADevice)", ctx.client("iam", user).deactivate_mfa_device,
                 signer=user, UserName=USER, SerialNumber=serial(ctx))
    ctx.note(f"<p>Codes typed: <code>{code1}</code> then <code>{code2}</code> "
             f"{'(the same code twice)' if same_code else '(the one shown 30 s ago, then the current one)'}.</p>"
             + phone_html(ctx, seed))
    ctx.call("Activate the device with two codes (EnableMFADevice)", ctx.client("iam", user).enable_mfa_device,
             signer=user, expect="InvalidAuthenticationCode" if same_code else None, UserName=USER,
             SerialNumber=serial(ctx), AuthenticationCode1=code1, AuthenticationCode2=code2)
    if not same_code:
        ctx.call("The device is now listed for the user (ListMFADevices)", ctx.client("iam", user).list_mfa_devices,
                 signer=user, UserName=USER)


def activate(ctx: StepContext) -> None:
    _enable(ctx)


def activate_same_code(ctx: StepContext) -> None:
    _enable(ctx, same_code=True)


# --------------------------------------------------------------------------------------------------- step 3
def _get_secret(ctx: StepContext, keys, label: str, expect: str | None) -> None:
    ctx.call(label, ctx.client("secretsmanager", keys).get_secret_value, signer=keys, expect=expect,
             SecretId=DB_SECRET)


def long_term_denied(ctx: StepContext) -> None:
    user = oncall(ctx)
    _get_secret(ctx, user, "Read the database password with the long-term access key", "AccessDeniedException")


def bool_if_exists_mistake(ctx: StepContext) -> None:
    """Run the same call under the BoolIfExists variant (then put the right policy back)."""
    user = oncall(ctx)
    production = ctx.accounts[PRODUCTION]
    wrong = secret_policy(production, "BoolIfExists")
    OPERATOR.put_user_policy(production, USER, POLICY_NAME, wrong)
    try:
        ctx.note("<p>Policy used for this run (then restored):</p><pre class='code small'>"
                 + html.escape(json.dumps(wrong, indent=2)) + "</pre>")
        _get_secret(ctx, user, "Same call, policy uses BoolIfExists", None)
    finally:
        OPERATOR.put_user_policy(production, USER, POLICY_NAME, secret_policy(production))


# --------------------------------------------------------------------------------------------------- step 4
def _session_token(ctx: StepContext, code: str | None, *, expect: str | None = None,
                   label: str = "") -> dict[str, Any] | None:
    user = oncall(ctx)
    params: dict[str, Any] = {"DurationSeconds": SESSION_SECONDS}
    if code is not None:
        params.update(SerialNumber=serial(ctx), TokenCode=code)
    response = ctx.call(label or "Prove MFA: GetSessionToken with the device and its current code",
                        ctx.client("sts", user).get_session_token, signer=user, expect=expect, **params)
    if expect is None and response and code is not None:
        keep(ctx, response)
    return response


def get_session_token(ctx: StepContext) -> None:
    seed = device_seed(ctx, enabled=True)
    code = fresh_code(ctx, seed)
    ctx.note(f"<p>Code typed: <code>{code}</code>.</p>" + phone_html(ctx, seed))
    _session_token(ctx, code)


def wrong_code(ctx: StepContext) -> None:
    from engine import mfa

    seed = device_seed(ctx, enabled=True)
    good = mfa.code_at(seed)
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    _session_token(ctx, wrong, expect="AccessDenied", label=f"GetSessionToken with a mistyped code ({wrong})")


def stale_code(ctx: StepContext) -> None:
    from engine import mfa

    seed = device_seed(ctx, enabled=True)
    old = mfa.code_at(seed, mfa_clock(ctx) - 120)
    _session_token(ctx, old, expect="AccessDenied", label=f"GetSessionToken with a code from 2 minutes ago ({old})")


def replayed_code(ctx: StepContext) -> None:
    from engine import mfa
    from sandboxes.labclient import lab

    seed = device_seed(ctx, enabled=True)
    last = lab().mfa_last_used_step(serial(ctx), seed)
    if last is None or last < mfa.step_of(mfa_clock(ctx)) - 1:
        # Nothing recent to replay: use the current code once, as a person would, then replay it.
        code = fresh_code(ctx, seed)
        _session_token(ctx, code, label=f"GetSessionToken with the current code ({code})")
    else:
        code = mfa.code_for_step(seed, last)
    _session_token(ctx, code, expect="AccessDenied", label=f"The same code again ({code})")


# --------------------------------------------------------------------------------------------------- step 5
def protected_action(ctx: StepContext) -> None:
    session = ctx.live_session(SESSION, made_by="get-session-token")
    ctx.call("Who am I? (GetCallerIdentity with the MFA session)", ctx.client("sts", session).get_caller_identity,
             signer=session)
    _get_secret(ctx, session, "Read the database password with the MFA session", None)


def session_without_mfa(ctx: StepContext) -> None:
    user = oncall(ctx)
    response = ctx.call("GetSessionToken without SerialNumber/TokenCode", ctx.client("sts", user).get_session_token,
                        signer=user, DurationSeconds=900)
    if response:
        c = response["Credentials"]
        from ..framework import Keys
        keys = Keys("Session without MFA", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        ctx.add_secret(c["SecretAccessKey"], c["SessionToken"])
        _get_secret(ctx, keys, "Read the password with temporary credentials but no MFA", "AccessDeniedException")


# --------------------------------------------------------------------------------------------------- step 6
def mfa_age(ctx: StepContext) -> None:
    session = ctx.live_session(SESSION, made_by="get-session-token")
    ctx.sandbox.advance_clock(MFA_MAX_AGE + 60)
    ctx.note(f"<p>Sandbox clock moved forward {(MFA_MAX_AGE + 60) // 60} minutes: the MFA proof is now older than "
             f"{MFA_MAX_AGE} seconds, while the {SESSION_SECONDS // 3600}-hour session is still valid.</p>")
    ctx.call("The session itself still works (GetCallerIdentity)", ctx.client("sts", session).get_caller_identity,
             signer=session)
    _get_secret(ctx, session, "Read the database password again", "AccessDeniedException")


# --------------------------------------------------------------------------------------------------- step 7
def expire_and_reauthenticate(ctx: StepContext) -> None:
    session = ctx.session(SESSION, made_by="get-session-token")
    stored = ctx.stored_session(SESSION)
    remaining = (stored.expires_at - services.sandbox_now(ctx.sandbox)).total_seconds()
    if remaining > 0:
        ctx.sandbox.advance_clock(remaining + 1)
        ctx.note(f"<p>Sandbox clock moved to just past the session's expiry ({int(remaining + 1)} s).</p>")
    _get_secret(ctx, session, "Use the expired MFA session", "ExpiredTokenException")
    seed = device_seed(ctx, enabled=True)
    code = fresh_code(ctx, seed)
    ctx.note(f"<p>Re-authenticate: code typed <code>{code}</code>.</p>" + phone_html(ctx, seed))
    if _session_token(ctx, code, label="Sign in again with a fresh code (GetSessionToken)") is None:
        return  # no new session: reading with the old, expired one would only repeat the first refusal
    fresh = ctx.session(SESSION, made_by="get-session-token")
    _get_secret(ctx, fresh, "Read the database password with the new session", None)


SCENARIO = Scenario(
    objective=('Put a sensitive action behind MFA: enrol a virtual device, get an MFA session with '
               '<code>GetSessionToken</code>, and write <code>aws:MultiFactorAuthPresent</code> and '
               '<code>aws:MultiFactorAuthAge</code> conditions that cannot be bypassed.'),
    prerequisites=('Scenario 1.', 'An authenticator app is optional: the page has a virtual phone.',),
    minutes=25, level='Intermediate', quiz_domains=('mfa',),
    rules=(
        AwsRule('Require MFA in a policy with aws:MultiFactorAuthPresent and limit its age with aws:MultiFactorAuthAge.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html'),
        AwsRule('Requests signed with long-term keys carry no aws:MultiFactorAuthPresent; …IfExists operators are true when a key is absent.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html'),
        AwsRule('GetSessionToken with SerialNumber and TokenCode returns MFA-authenticated temporary credentials.',
                'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html'),
        AwsRule('The global condition keys and when each is present.',
                'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html'),
    ),
    number=5,
    slug="mfa-protected-access",
    title="MFA for sensitive operations",
    sts_call="GetSessionToken (with SerialNumber and TokenCode)",
    summary="The on-call engineer enrols a virtual MFA device, proves MFA with GetSessionToken and only then may "
            "read the database password — for one hour after the MFA proof.",
    steps=(
        Step(
            slug="enrol-device",
            title="Enrol a virtual MFA device",
            narrative=f"""
<p>SecureCart's on-call engineer, <code>{USER}</code>, may read the production database password, but only after
proving MFA. First they create a virtual MFA device. AWS answers with the device's secret seed and a
<strong>QR code</strong> of an <code>otpauth://</code> URI that any authenticator app (Google Authenticator,
Authy, 1Password…) scans.</p>""",
            run=enrol,
            run_label="Create the virtual device",
            lesson="<p>Scan the QR code with your phone, or use the virtual phone. Both now show the same six digits, "
                   "changing every 30 seconds.</p>",
            diagram=Diagram((USER_NODE, Node("IAM", "CreateVirtualMFADevice", "sts"), PHONE_NODE), active=2),
            policies=(MFA_POLICY_REF,),
        ),
        Step(
            slug="activate-device",
            title="Activate it with two consecutive codes",
            narrative="""
<p>IAM activates a device only when you send <strong>two consecutive codes</strong> from it
(<code>EnableMFADevice</code>): proof that the app holds the seed and that its clock is right.</p>""",
            run=activate,
            run_label="Send two consecutive codes",
            lesson="<p>The device is now the user's MFA device. Its serial number (an ARN) is what GetSessionToken "
                   "asks for.</p>",
            diagram=Diagram((PHONE_NODE, Node("IAM", "EnableMFADevice", "sts"), USER_NODE), active=1),
            policies=(MFA_POLICY_REF,),
            what_ifs=(WhatIf("same-code", "Type the same code twice",
                             "<p>Both codes must come from consecutive 30-second windows. The same code twice is "
                             "refused with <code>InvalidAuthenticationCode</code>: “Authentication code for device "
                             "is not valid.”</p>", activate_same_code),),
        ),
        Step(
            slug="long-term-keys-denied",
            title="Long-term keys are not enough",
            narrative="""
<p>The password policy allows <code>secretsmanager:GetSecretValue</code> only with
<code>"Bool": {"aws:MultiFactorAuthPresent": "true"}</code>. A request signed with a long-term access key carries
<em>no</em> <code>aws:MultiFactorAuthPresent</code> key at all, so <code>Bool</code> does not match.</p>""",
            run=long_term_denied,
            run_label="Read the password with the access key",
            lesson="<p>Denied: the condition key is absent for long-term keys, and <code>Bool</code> on an absent key "
                   "is false.</p>",
            diagram=Diagram((USER_NODE, SECRET_NODE), active=1),
            policies=(SECRET_POLICY_REF,),
            what_ifs=(WhatIf("bool-if-exists", "Use BoolIfExists instead",
                             "<p>The classic mistake: <code>BoolIfExists</code> is true when the key is "
                             "<em>absent</em>, and long-term keys never carry it. The same call is now "
                             "<strong>allowed without any MFA</strong>. Allow with <code>Bool</code>, or Deny with "
                             "<code>BoolIfExists</code> … <code>false</code>.</p>", bool_if_exists_mistake),),
        ),
        Step(
            slug="get-session-token",
            title="Prove MFA with GetSessionToken",
            narrative=f"""
<p>The engineer calls <code>GetSessionToken</code> with the device's serial number and the code on the phone.
STS checks the code (the current 30-second window, or one either side) and returns temporary credentials whose
requests carry <code>aws:MultiFactorAuthPresent = true</code>. This session lasts
{SESSION_SECONDS // 3600} hours.</p>""",
            run=get_session_token,
            run_label="Call GetSessionToken with the code",
            lesson="<p>An MFA session. Each code works once: trying the same code again is refused.</p>",
            diagram=Diagram((USER_NODE, STS_NODE), active=1),
            shows_sessions=(SESSION,),
            what_ifs=(
                WhatIf("wrong-code", "A mistyped code",
                       "<p>STS answers <code>AccessDenied</code>: “MultiFactorAuthentication failed with invalid MFA "
                       "one time pass code.”</p>", wrong_code),
                WhatIf("stale-code", "A code from 2 minutes ago",
                       "<p>Only the current window and one either side (±30 s of clock drift) are accepted. An "
                       "older code gets the same refusal as a wrong one.</p>", stale_code),
                WhatIf("replayed-code", "Replay a code",
                       "<p>A one-time code is one-time: once STS has accepted it for this device, the same code "
                       "(or an older one) is refused.</p>", replayed_code),
            ),
        ),
        Step(
            slug="protected-action",
            title="The MFA session reads the password",
            narrative="""<p>Now the same request, signed with the MFA session.</p>""",
            run=protected_action,
            run_label="Read the password with the MFA session",
            lesson="<p>Allowed: both conditions hold, MFA is present and it is recent.</p>",
            diagram=Diagram((USER_NODE, SECRET_NODE), active=1),
            policies=(SECRET_POLICY_REF,),
            shows_sessions=(SESSION,),
            what_ifs=(WhatIf("no-mfa-session", "Temporary credentials without MFA",
                             "<p>GetSessionToken without a code also returns temporary credentials, but their "
                             "requests carry <code>aws:MultiFactorAuthPresent = false</code>: denied.</p>",
                             session_without_mfa),),
        ),
        Step(
            slug="mfa-age",
            title="MFA has an age limit",
            narrative=f"""
<p>The policy also says <code>"NumericLessThan": {{"aws:MultiFactorAuthAge": "{MFA_MAX_AGE}"}}</code>: the MFA
proof must be less than an hour old. Fast-forward the sandbox clock past that hour (the session itself lasts
{SESSION_SECONDS // 3600}).</p>""",
            run=mfa_age,
            run_label="Fast-forward 61 minutes and try again",
            lesson="<p>The session is valid, yet the sensitive call is refused: the age condition failed. For "
                   "sensitive operations, a fresh MFA proof is required.</p>",
            diagram=Diagram((USER_NODE, SECRET_NODE), active=1),
            policies=(SECRET_POLICY_REF,),
            shows_sessions=(SESSION,),
        ),
        Step(
            slug="session-expires",
            title="The session ends: authenticate again",
            narrative="""<p>Move the clock past the session's expiry. The old credentials stop working everywhere;
the engineer proves MFA again with a new code and gets a new session.</p>""",
            run=expire_and_reauthenticate,
            teaches_expiry=True,
            run_label="Expire, then sign in again",
            lesson="<p>Temporary credentials end on their own. A new MFA proof starts a new session — and a new "
                   "hour for the password.</p>",
            diagram=Diagram((USER_NODE, STS_NODE, SECRET_NODE), active=1),
            shows_sessions=(SESSION,),
        ),
        defend_step(5, (("production", "GetSessionToken"),),
                    looks_for="""
<ul><li><code>GetSessionToken</code> with <code>serialNumber</code>: MFA offered; the session's calls show
<code>mfaAuthenticated</code> <code>true</code>.</li><li>Refused calls carry <code>errorCode</code>
<code>AccessDenied</code>.</li></ul>"""),
    ),
)
