"""MFA and session credentials (aws-sts-facts.md §1.5, §4.4 aws:MultiFactorAuthPresent)."""
from __future__ import annotations

ALICE = "arn:aws:iam::123456789012:user/dev-alice"
INVOICE = "arn:aws:s3:::securecart-invoices/2026/11/inv-20931.pdf"


def _delete_guard(operator: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "InvoiceAdmin", "Effect": "Allow", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::securecart-invoices", "arn:aws:s3:::securecart-invoices/*"]},
            {"Sid": "NoDeleteWithoutMFA", "Effect": "Deny", "Action": "s3:DeleteObject",
             "Resource": "arn:aws:s3:::securecart-invoices/*",
             "Condition": {operator: {"aws:MultiFactorAuthPresent": "false"}}},
        ],
    }


_ALICE_PRINCIPAL = {"arn": ALICE, "account": "123456789012", "kind": "user", "username": "dev-alice",
                    "userid": "AIDAEXAMPLEDEVALICE"}

QUESTIONS = [
    {
        "id": "mfa-deny-bool-false-long-term-keys",
        "domain": "mfa",
        "teaches": "mfa-protected-access/long-term-keys-denied",
        "tags": ["aws:MultiFactorAuthPresent", "Bool"],
        "difficulty": "hard",
        "style": "will-it-be-allowed",
        "stem": """To protect invoices, `dev-alice` has the identity policy shown. She runs
            `aws s3 rm s3://securecart-invoices/2026/11/inv-20931.pdf` from her laptop, signed with her long-term
            access keys (no MFA, no session token). What happens?""",
        "exhibits": [{"name": "alice", "title": "Identity policy of " + ALICE, "policy_kind": "identity",
                      "policy": _delete_guard("Bool")}],
        "options": [
            {"text": "Allowed: with the key absent, `Bool` is false and the Deny does not match.", "correct": True,
             "why": """Right, and that is the trap. `aws:MultiFactorAuthPresent` is absent from requests signed with
                long-term keys, and `Bool` on a missing key is false, so the Deny does not apply; the Allow
                does."""},
            {"text": "Denied by the explicit Deny `NoDeleteWithoutMFA`, because she used no MFA.",
             "why": """Wrong. The Deny would apply only if the key were present with the value false (for example a
                console session without MFA)."""},
            {"text": "Denied implicitly, because long-term access keys may not delete S3 objects.",
             "why": """Wrong. Long-term keys are subject to the same policies as any other credentials; `s3:*` allows
                the delete."""},
            {"text": "Denied implicitly, because the `InvoiceAdmin` Allow also requires MFA here.",
             "why": """Wrong. The Allow statement has no condition, so it matches. Only the Deny is about MFA, and
                with the key absent its `Bool` test is false."""},
        ],
        "explanation": """AWS documents this pitfall: `aws:MultiFactorAuthPresent` is present only for temporary
            credentials. For a Deny that must also catch long-term keys, use `"BoolIfExists":
            {"aws:MultiFactorAuthPresent": "false"}`, which is true when the key is missing or false. The decision
            below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: AWS global condition context keys",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"},
        "engine": {
            "check": "authorize",
            "principal": _ALICE_PRINCIPAL,
            "action": "s3:DeleteObject",
            "resource": INVOICE,
            "context": {"aws:SecureTransport": "true", "aws:username": "dev-alice"},
            "identity": ["alice"],
            "resource_policy": None,
            "resource_account": "123456789012",
            "expect": "allow",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "mfa-deny-boolifexists-long-term-keys",
        "domain": "mfa",
        "teaches": "mfa-protected-access/long-term-keys-denied",
        "tags": ["BoolIfExists", "aws:MultiFactorAuthPresent"],
        "difficulty": "medium",
        "style": "will-it-be-allowed",
        "stem": """The security team fixes `dev-alice`'s policy as shown (note the operator). She repeats the same
            `aws s3 rm` with her long-term access keys and no MFA. What happens now?""",
        "exhibits": [{"name": "alice", "title": "Identity policy of " + ALICE + " (fixed)", "policy_kind": "identity",
                      "policy": _delete_guard("BoolIfExists")}],
        "options": [
            {"text": "Allowed: `BoolIfExists` ignores requests that do not carry the key.",
             "why": """Wrong. `...IfExists` makes the condition *true* when the key is absent, so the Deny
                applies."""},
            {"text": "Denied by the explicit Deny `NoDeleteWithoutMFA`.", "correct": True,
             "why": """Right. The key is missing, `BoolIfExists` treats that as a match, and an explicit Deny beats
                the Allow."""},
            {"text": "Denied implicitly: the Allow does not match any more.",
             "why": """Wrong. The Allow still matches; it is overridden by the explicit Deny."""},
            {"text": "Allowed: an explicit Deny applies only to requests signed with temporary credentials.",
             "why": """Wrong. A Deny applies to any request it matches. `BoolIfExists` is true when the key is
                absent, which is the case for long-term keys, so the Deny matches."""},
        ],
        "explanation": """With `BoolIfExists`, a missing `aws:MultiFactorAuthPresent` (long-term keys) and a value of
            false (temporary credentials without MFA) both match, so the Deny blocks every non-MFA delete. To delete,
            Alice first calls `GetSessionToken` with her MFA device and uses those credentials. The decision below
            was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: IAM JSON policy elements: Condition operators",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"},
        "engine": {
            "check": "authorize",
            "principal": _ALICE_PRINCIPAL,
            "action": "s3:DeleteObject",
            "resource": INVOICE,
            "context": {"aws:SecureTransport": "true", "aws:username": "dev-alice"},
            "identity": ["alice"],
            "resource_policy": None,
            "resource_account": "123456789012",
            "expect": "explicit-deny",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "mfa-trust-boolifexists-true-admits-keys",
        "domain": "mfa",
        "teaches": "mfa-protected-access/long-term-keys-denied",
        "tags": ["BoolIfExists", "long-term"],
        "difficulty": "hard",
        "style": "will-it-be-allowed",
        "stem": """The role `SecureCart-ProdAdmin` is meant to require MFA. `dev-alice`'s identity policy allows
            `sts:AssumeRole` on it. She calls `AssumeRole` with her long-term access keys and passes **no**
            `SerialNumber` or `TokenCode`. What happens?""",
        "exhibits": [
            {"name": "trust", "title": "Trust policy of arn:aws:iam::123456789012:role/SecureCart-ProdAdmin",
             "policy_kind": "trust",
             "policy": {"Version": "2012-10-17", "Statement": [{
                 "Sid": "AdminsWithMFA", "Effect": "Allow",
                 "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                 "Action": "sts:AssumeRole",
                 "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}]}},
            {"name": "alice", "title": "Identity policy of " + ALICE, "policy_kind": "identity",
             "policy": {"Version": "2012-10-17", "Statement": [{
                 "Sid": "AssumeProdAdmin", "Effect": "Allow", "Action": "sts:AssumeRole",
                 "Resource": "arn:aws:iam::123456789012:role/SecureCart-ProdAdmin"}]}},
        ],
        "options": [
            {"text": "Allowed: with the key absent, `BoolIfExists` is true, so no MFA is required.",
             "correct": True,
             "why": """Right. In an Allow statement `BoolIfExists ... true` admits requests that have no MFA key at
                all, such as calls signed with long-term keys. Use `Bool` (not `BoolIfExists`) to require MFA."""},
            {"text": "Denied by an explicit deny: a failed MFA condition in a trust policy denies.",
             "why": """Wrong. There is no Deny statement, and a condition that fails only keeps its own statement
                from applying."""},
            {"text": "Denied implicitly: the trust policy requires MFA, and she passed no MFA code.",
             "why": """This is what the author intended, but `...IfExists` makes the condition pass when the key is
                missing."""},
            {"text": "Refused: trust policies cannot test `aws:MultiFactorAuthPresent`, so the statement never "
                     "matches.",
             "why": """Wrong. Trust policies can test it (it is the usual way to require MFA for AssumeRole). The
                problem is the `...IfExists` operator, which lets requests without the key through."""},
        ],
        "explanation": """For an Allow, `"Bool": {"aws:MultiFactorAuthPresent": "true"}` admits only requests that
            carry MFA; `BoolIfExists` also admits requests without the key. For AssumeRole, MFA comes from the
            `SerialNumber`/`TokenCode` parameters (or from MFA-backed GetSessionToken credentials). The decision
            below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Secure API access with MFA",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html"},
        "engine": {
            "check": "authorize",
            "principal": _ALICE_PRINCIPAL,
            "action": "sts:AssumeRole",
            "resource": "arn:aws:iam::123456789012:role/SecureCart-ProdAdmin",
            "context": {"aws:SecureTransport": "true", "aws:username": "dev-alice"},
            "identity": ["alice"],
            "resource_policy": "trust",
            "resource_account": "123456789012",
            "resource_policy_required": True,
            "expect": "allow",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "mfa-getsessiontoken-flow",
        "domain": "mfa",
        "difficulty": "easy",
        "task": "1.1",
        "teaches": "mfa-protected-access/get-session-token",
        "tags": ["GetSessionToken", "aws:MultiFactorAuthPresent"],
        "stem": """SecureCart's operators run scripts from the CLI with their IAM users' access keys. A new policy
            denies destructive actions unless `aws:MultiFactorAuthPresent` is true. The scripts must keep working
            with the LEAST change. Which STS call, made with the operator's own keys and virtual MFA device, returns
            credentials that satisfy the policy?""",
        "options": [
            {"text": "`GetSessionToken` with `SerialNumber` (the device ARN) and `TokenCode` (the current "
                     "code).",
             "correct": True,
             "why": """Right. GetSessionToken with MFA returns temporary credentials whose requests carry
                `aws:MultiFactorAuthPresent = true`; the scripts then use those credentials."""},
            {"text": "`GetFederationToken` with the MFA code passed in its `Policy` parameter as a condition.",
             "why": """Wrong. GetFederationToken takes no MFA parameters, and its sessions carry no MFA context."""},
            {"text": "`GetCallerIdentity` with the MFA code, which marks the user's access keys as "
                     "MFA-verified.",
             "why": """Wrong. GetCallerIdentity only reports who you are; it takes no MFA parameters and changes
                nothing about the keys."""},
            {"text": "`AssumeRole` on the operator's own IAM user ARN, with `SerialNumber` and `TokenCode`.",
             "why": """Wrong. AssumeRole assumes roles, not users; an IAM user cannot be assumed."""},
        ],
        "explanation": """GetSessionToken is the STS call for "prove MFA, then work with temporary credentials". It
            must be called with an IAM user's (or the root user's) long-term credentials; with `SerialNumber` and
            `TokenCode` the session's requests carry MFA context. For IAM users it lasts 12 hours by default (900
            seconds to 36 hours). A newer way to avoid long-term keys on a laptop altogether is `aws login`
            (AWS CLI 2.32.0 or later), which signs the CLI in with your console credentials in the browser and
            manages temporary credentials for up to 12 hours.""",
        "citation": {"title": "AWS STS API Reference: GetSessionToken",
                     "url": "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html"},
    },
    {
        "id": "mfa-getsessiontoken-with-session-creds",
        "domain": "mfa",
        "teaches": "mfa-protected-access/get-session-token",
        "tags": ["GetSessionToken"],
        "difficulty": "medium",
        "stem": """A script running with credentials from `AssumeRole` calls `GetSessionToken` to get an MFA session.
            It fails with `AccessDenied`. Why?""",
        "options": [
            {"text": "GetSessionToken accepts only the long-term credentials of an IAM user or the root user.",
             "correct": True,
             "why": """Right. AWS answers `AccessDenied: Cannot call GetSessionToken with session credentials`. To
                add MFA to a role session, pass `SerialNumber` and `TokenCode` to AssumeRole instead."""},
            {"text": "The role's permission policy lacks `sts:GetSessionToken`, which every caller needs.",
             "why": """Wrong. GetSessionToken is not controlled by policies at all; the problem is the kind of
                credentials."""},
            {"text": "GetSessionToken is served only by the global endpoint, and the script calls a Regional one.",
             "why": """Wrong. GetSessionToken is available at the Regional STS endpoints as well; the Region is not
                the issue, the kind of credentials is."""},
            {"text": "The MFA code was already used by the AssumeRole call that issued the session.",
             "why": """Not the cause here: a reused or wrong code gives an MFA failure message, not the
                session-credentials error."""},
        ],
        "explanation": """GetSessionToken exists to turn long-term credentials into temporary ones (usually with MFA).
            Role sessions are already temporary, so STS refuses the call. MFA for a role is proven at assumption
            time, with the `SerialNumber` and `TokenCode` parameters of AssumeRole.""",
        "citation": {"title": "IAM User Guide: Compare AWS STS credentials",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_sts-comparison.html"},
    },
    {
        "id": "mfa-getsessiontoken-durations",
        "domain": "mfa",
        "teaches": "",
        "difficulty": "medium",
        "stem": """An IAM user calls `GetSessionToken` and wants the longest-lived session STS allows for an IAM
            user. Which `DurationSeconds` can the user request at most?""",
        "options": [
            {"text": "129,600 seconds (36 hours).", "correct": True,
             "why": """Right. For IAM users GetSessionToken accepts 900 to 129,600 seconds and defaults to 43,200
                (12 hours)."""},
            {"text": "43,200 seconds (12 hours).",
             "why": """Wrong. That is the default for IAM users (and the maximum role session for AssumeRole), not
                GetSessionToken's maximum."""},
            {"text": "3,600 seconds (1 hour).",
             "why": """Wrong. One hour is the limit when the root user calls GetSessionToken, and the cap for role
                chaining."""},
            {"text": "28,800 seconds (8 hours), the same as the default Identity Center portal session.",
             "why": """Wrong. Eight hours is IAM Identity Center's default portal session, an unrelated setting;
                GetSessionToken for an IAM user goes up to 36 hours."""},
        ],
        "explanation": """Durations differ per operation and caller: GetSessionToken and GetFederationToken allow
            900-129,600 seconds for IAM users (default 43,200) but at most 3,600 for the root user; AssumeRole
            allows 900 seconds up to the role's `MaxSessionDuration` (at most 43,200), and only 1 hour when role
            chaining.""",
        "citation": {"title": "AWS STS API Reference: GetSessionToken",
                     "url": "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html"},
    },
]
