"""Roles and trust policies. Facts: the IAM User Guide pages cited per question (quiz/citations.py)."""
from __future__ import annotations

AUDIT_ROLE = "arn:aws:iam::123456789012:role/SecureCart-AuditRole"

QUESTIONS = [
    {
        "id": "trust-auditor-policy-prohibited-resource",
        "domain": "trust",
        "teaches": "cross-account-auditors/assume-audit-role",
        "tags": ["trust policy", "identity policy"],
        "difficulty": "medium",
        "style": "spot-the-mistake",
        "stem": """SecureCart's runbook gives this single document for letting the external auditors (account
            987654321098) into `SecureCart-AuditRole` in the production account 123456789012. An engineer pastes it
            into the role's trust relationship and IAM refuses to save it. What is wrong?""",
        "exhibits": [{
            "name": "runbook",
            "title": "Policy from the runbook, pasted as the trust policy of SecureCart-AuditRole",
            "policy_kind": "trust",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
                    "Action": "sts:AssumeRole",
                    "Resource": AUDIT_ROLE,
                }],
            },
        }],
        "options": [
            {"text": "A trust policy takes no `Resource` element; the role ARN belongs in the auditors' identity "
                     "policy.",
             "correct": True,
             "why": """Right. IAM rejects it with `MalformedPolicyDocument` ("Has prohibited field Resource"). The
                runbook merged two documents: the trust policy on the role in 123456789012 (Principal = the auditor
                account) and an identity policy in 987654321098 that allows `sts:AssumeRole` on the role ARN, which
                is where the `Resource` belongs."""},
            {"text": "Trusting `arn:aws:iam::987654321098:root` is refused; a trust policy must name one IAM "
                     "user.",
             "why": """Wrong. `arn:aws:iam::987654321098:root` is a valid principal: it delegates to the whole
                account (not only its root user), whose administrators then decide who may assume the role."""},
            {"text": "Principals from another account must be allowed `sts:AssumeRoleWithSAML`, not "
                     "`sts:AssumeRole`.",
             "why": """Wrong. `sts:AssumeRoleWithSAML` is for SAML federation. A principal in another AWS account
                calls plain `sts:AssumeRole`."""},
            {"text": "A trust policy must declare `\"Version\": \"2008-10-17\"`; `2012-10-17` is for identity "
                     "policies only.",
             "why": """Wrong. `2012-10-17` is the current policy language version for every policy type, trust
                policies included, and is what AWS uses in its own trust policy examples."""},
        ],
        "explanation": """A role's trust policy is a resource-based policy whose resource is the role itself, so it
            names who (`Principal`) may do what (`Action`, e.g. `sts:AssumeRole`) but never a `Resource`. Cross-
            account access needs both halves: the trust policy in the role's account and an identity policy in the
            caller's account that allows `sts:AssumeRole` on the role ARN. The lab's policy engine parses the
            runbook policy as a trust policy below and shows the error IAM would return.""",
        "citation": {"title": "IAM User Guide: AWS JSON policy elements: Principal",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"},
        "engine": {"check": "parse", "exhibit": "runbook", "expect_error": "Has prohibited field Resource"},
    },
    {
        "id": "trust-root-principal-means-account",
        "domain": "trust",
        "teaches": "challenge:chain-to-root-trust",
        "tags": [":root", "sts:AssumeRole"],
        "difficulty": "medium",
        "stem": """The trust policy of `SecureCart-AuditRole` names `"AWS": "arn:aws:iam::987654321098:root"` as
            principal. Which statement describes who can assume the role?""",
        "options": [
            {"text": "Only the root user of account 987654321098, signing in with its email address and its "
                     "password.",
             "why": """Wrong. This is the most common misreading. The `:root` ARN (like the bare account ID) stands
                for the account as a whole, not for its root user."""},
            {"text": "Any principal in 987654321098 whose own identity policy allows `sts:AssumeRole` on the "
                     "role.",
             "correct": True,
             "why": """Right. Trusting the account delegates the decision to 987654321098: its identity policies
                (and boundaries/SCPs) decide which of its principals may call `sts:AssumeRole` on the role."""},
            {"text": "Every IAM user and role in 987654321098, with no permission needed in that account.",
             "why": """Wrong. Cross-account access needs both sides: the trust policy here and an identity policy
                in the caller's account that allows `sts:AssumeRole` on this role."""},
            {"text": "No one, until the role is shared with account 987654321098 through AWS Resource Access "
                     "Manager.",
             "why": """Wrong. Roles are not shared through RAM; the trust policy plus the caller's identity policy
                are all that cross-account role assumption needs."""},
        ],
        "explanation": """In a `Principal` element, `"AWS": "123456789012"` and `"AWS":
            "arn:aws:iam::123456789012:root"` are equivalent: both trust the account and let its administrators
            delegate through identity policies. To trust one identity only, name its user or role ARN instead.""",
        "citation": {"title": "IAM User Guide: AWS JSON policy elements: Principal",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"},
    },
    {
        "id": "trust-recreated-user-unique-id",
        "domain": "trust",
        "teaches": "",
        "difficulty": "hard",
        "stem": """A role's trust policy names `arn:aws:iam::123456789012:user/dev-alice`. During a clean-up the
            user dev-alice was deleted and then re-created with the same name and the same permissions. Now her
            `AssumeRole` calls are denied, and the trust policy in the console shows a principal like
            `AIDAJQABLZS4A3QDU576Q` instead of her ARN. What happened, and what fixes it?""",
        "options": [
            {"text": "The policy holds the deleted user's unique ID; save the trust policy with her ARN again.",
             "correct": True,
             "why": """Right. User and role ARNs in a trust policy are converted to the principal's unique ID when
                the policy is saved. The deleted user's ID no longer matches anyone, so the console shows the raw ID.
                Saving the ARN again binds the policy to the new user."""},
            {"text": "Her new user lacks an identity policy for `sts:AssumeRole`; attach the old one again.",
             "why": """Wrong. The stem says she was re-created with the same permissions, and in the same account a
                trust policy that names her would not need one anyway. The trust policy no longer names her."""},
            {"text": "The trust policy now needs an `aws:PrincipalArn` condition with her ARN; add one.",
             "why": """Wrong. A condition cannot help while the `Principal` element itself names the old user's
                unique ID, which matches nobody."""},
            {"text": "Deleting a user removed the role's trust in her; create the role again to trust her.",
             "why": """Wrong. The role and its trust policy still exist; only the principal reference inside the
                trust policy went stale, and editing that one line fixes it."""},
        ],
        "explanation": """AWS protects against a deleted identity being replaced by an impostor with the same name:
            a trust policy that names a user or role ARN is bound to that principal's unique ID. After the principal
            is deleted and re-created, the policy must be edited to name it again.""",
        "citation": {"title": "IAM User Guide: AWS JSON policy elements: Principal",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"},
    },
    {
        "id": "trust-same-account-named-user-allowed",
        "domain": "evaluation",
        "teaches": "",
        "difficulty": "hard",
        "style": "will-it-be-allowed",
        "stem": """In SecureCart's production account, the role `SecureCart-Deployer` has the trust policy below,
            which names the IAM user `release-bot` of the same account. `release-bot` has **no** identity policies
            at all. It calls `sts:AssumeRole` on `SecureCart-Deployer` with its long-term keys. What happens?""",
        "exhibits": [{
            "name": "trust",
            "title": "Trust policy of arn:aws:iam::123456789012:role/SecureCart-Deployer",
            "policy_kind": "trust",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "TrustReleaseBot",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:user/release-bot"},
                    "Action": "sts:AssumeRole",
                }],
            },
        }],
        "options": [
            {"text": "Allowed: in one account, a trust policy that names the user is enough.", "correct": True,
             "why": """Right. Within one account, a resource-based policy (the trust policy) that names the principal
                directly is enough; no identity policy is required."""},
            {"text": "Denied by an explicit deny, because a user with no policies is denied everything.",
             "why": """Wrong. Having no policy is an implicit deny at most, and here the trust policy allows; an
                explicit deny needs a matching `Deny` statement."""},
            {"text": "Denied implicitly: no identity policy of `release-bot` allows `sts:AssumeRole`.",
             "why": """Wrong for the same account when the trust policy names the user. The identity policy would
                be needed if the trust policy trusted only the account (or if the caller were in another
                account)."""},
            {"text": "Allowed, because IAM users may assume any role of their own account by default.",
             "why": """Wrong. IAM users have no permissions by default. It is the trust policy naming `release-bot`
                directly that lets the same-account call through on its own."""},
        ],
        "explanation": """Same-account evaluation allows a request if either the identity policy or the resource-
            based policy allows it. The trust policy names `release-bot` directly, so its Allow suffices. Had the
            trust policy named only the account (`:root`), release-bot would also need an identity policy allowing
            `sts:AssumeRole` on the role. The decision below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Policy evaluation logic",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"},
        "engine": {
            "check": "authorize",
            "principal": {"arn": "arn:aws:iam::123456789012:user/release-bot", "account": "123456789012",
                          "kind": "user", "username": "release-bot", "userid": "AIDAEXAMPLERELEASEBOT"},
            "action": "sts:AssumeRole",
            "resource": "arn:aws:iam::123456789012:role/SecureCart-Deployer",
            "context": {"aws:SecureTransport": "true"},
            "identity": [],
            "resource_policy": "trust",
            "resource_account": "123456789012",
            "resource_policy_required": True,
            "expect": "allow",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "trust-ec2-service-principal",
        "domain": "trust",
        "teaches": "service-roles/service-principal-only",
        "tags": ["ec2.amazonaws.com", "trust policy"],
        "difficulty": "easy",
        "stem": """SecureCart's web servers on EC2 must read `securecart-product-images` without stored keys. The
            team creates the role `SecureCart-WebServer` with an `s3:GetObject` permission policy. Which trust
            policy statement lets EC2 use this role for the instances?""",
        "options": [
            {"text": "`\"Principal\": {\"Service\": \"ec2.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"`",
             "correct": True,
             "why": """Right. The EC2 service assumes the role on the instance's behalf, so the trust policy names
                the service principal `ec2.amazonaws.com`."""},
            {"text": "`\"Principal\": {\"AWS\": \"arn:aws:iam::123456789012:root\"}, \"Action\": \"sts:AssumeRole\"`",
             "why": """Wrong. That trusts IAM principals of the account; it does not let the EC2 service deliver
                credentials to instances."""},
            {"text": "`\"Principal\": {\"Federated\": \"ec2.amazonaws.com\"}, "
                     "\"Action\": \"sts:AssumeRoleWithWebIdentity\"`",
             "why": """Wrong. `Federated` is for SAML/OIDC identity providers; AWS services are `Service`
                principals."""},
            {"text": "No trust policy is needed: attaching the role to an instance profile is enough.",
             "why": """Wrong. Every role has a trust policy; without `ec2.amazonaws.com` in it, EC2 cannot obtain
                credentials for the instance profile's role."""},
        ],
        "explanation": """A service role for EC2 trusts the service principal `ec2.amazonaws.com` for
            `sts:AssumeRole`. The role is placed in an instance profile attached to the instance, and the
            instance metadata service hands the role's temporary credentials to the SDK, which refreshes them
            automatically.""",
        "citation": {"title": "IAM User Guide: Use an IAM role to grant permissions to applications running on "
                              "Amazon EC2 instances",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html"},
    },
    {
        "id": "trust-notprincipal-not-allowed",
        "domain": "trust",
        "teaches": "",
        "difficulty": "medium",
        "style": "spot-the-mistake",
        "stem": """To let "everyone except the contractors' account" assume a role, an engineer writes the trust
            policy shown. IAM refuses to save it. Why is this the wrong tool?""",
        "exhibits": [{
            "name": "trust",
            "title": "Proposed trust policy of arn:aws:iam::123456789012:role/SecureCart-Reports",
            "policy_kind": "trust",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": "sts:AssumeRole",
                }],
            },
        }],
        "options": [
            {"text": "Role trust policies do not accept `NotPrincipal`; list the trusted principals in "
                     "`Principal`.",
             "correct": True,
             "why": """Right. AWS documents that `NotPrincipal` cannot be used in identity-based policies or in IAM
                role trust policies. A trust policy should list exactly who is trusted."""},
            {"text": "`NotPrincipal` works in a trust policy only together with an `sts:ExternalId` condition.",
             "why": """Wrong. `NotPrincipal` is not accepted in trust policies, with or without conditions."""},
            {"text": "`NotPrincipal` is accepted, but the account must be a bare 12-digit ID, not a `:root` ARN.",
             "why": """Wrong. The two account forms are equivalent; the element itself is the problem."""},
            {"text": "`NotPrincipal` is accepted only with `\"Effect\": \"Deny\"`; add a separate Allow for "
                     "everyone else.",
             "why": """Wrong. Role trust policies do not accept `NotPrincipal` with any effect. To exclude an account,
                name the trusted principals in `Principal` (or deny with a condition on `aws:PrincipalAccount`)."""},
        ],
        "explanation": """AWS does not support `NotPrincipal` with `"Effect": "Allow"` in any policy, and role trust
            policies refuse the `NotPrincipal` element altogether. Trust is granted by naming principals (accounts,
            roles, users, services or identity providers) in `Principal`, optionally narrowed with conditions; to
            keep one account out of a broad grant, add a Deny with a condition such as `aws:PrincipalAccount`.""",
        "citation": {"title": "IAM User Guide: AWS JSON policy elements: NotPrincipal",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"},
        "engine": {"check": "parse", "exhibit": "trust", "expect_error": "Has prohibited field NotPrincipal"},
    },
    {
        "id": "trust-partial-wildcard-principal",
        "domain": "trust",
        "teaches": "",
        "difficulty": "hard",
        "style": "spot-the-mistake",
        "stem": """The auditors create a new IAM user for every engagement (`audit-2026q1`, `audit-2026q2`, ...).
            To avoid editing the trust policy each quarter, an engineer writes the policy shown. IAM refuses it. What
            is the correct way to express the intent?""",
        "exhibits": [{
            "name": "trust",
            "title": "Proposed trust policy of " + AUDIT_ROLE,
            "policy_kind": "trust",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::987654321098:user/audit-*"},
                    "Action": "sts:AssumeRole",
                }],
            },
        }],
        "options": [
            {"text": "Trust the auditors' account and add `ArnLike` on `aws:PrincipalArn` with the `audit-*` "
                     "pattern.",
             "correct": True,
             "why": """Right. A `Principal` cannot contain a partial wildcard, but a condition on
                `aws:PrincipalArn` can use `ArnLike` patterns, and the trusted account still has to grant its users
                `sts:AssumeRole`."""},
            {"text": "Replace `*` with `?` wildcards (`audit-??????`): a principal accepts `?` but not `*`.",
             "why": """Wrong. No wildcard of any kind is accepted inside a principal ARN; only a lone `*` is."""},
            {"text": "Trust `{\"AWS\": \"*\"}` with no condition; the auditors' account decides who may call.",
             "why": """Wrong. That would trust every AWS principal in every account, whose own administrators would
                each decide; a wildcard principal must always be narrowed with conditions."""},
            {"text": "Keep the pattern and add an `sts:ExternalId` condition; IAM accepts wildcards in conditioned "
                     "statements.",
             "why": """Wrong. A condition does not make a partial wildcard in `Principal` valid; IAM refuses the
                principal whatever conditions the statement carries."""},
        ],
        "explanation": """IAM rejects partial wildcards in `Principal` with `MalformedPolicyDocument: Invalid
            principal in policy`. The documented pattern for "any principal whose ARN looks like X" is to trust the
            account (or `*`) and narrow with a condition such as `ArnLike` on `aws:PrincipalArn`. The lab's policy
            engine parses the proposed policy below and shows the error IAM would return.""",
        "citation": {"title": "IAM User Guide: AWS JSON policy elements: Principal",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"},
        "engine": {"check": "parse", "exhibit": "trust", "expect_error": "Invalid principal in policy"},
    },
    {
        "id": "trust-rolesessionname-username",
        "domain": "trust",
        "teaches": "challenge:require-source-identity",
        "tags": ["session name", "${aws:username}"],
        "difficulty": "hard",
        "stem": """SecureCart wants CloudTrail to show which IAM user took each action through the shared
            `SecureCart-Ops` role. Which trust policy condition forces IAM users to use their own user name as the
            role session name?""",
        "options": [
            {"text": "`\"StringLike\": {\"sts:RoleSessionName\": \"${aws:username}\"}`", "correct": True,
             "why": """Right. `sts:RoleSessionName` carries the session name from the AssumeRole request and
                `${aws:username}` resolves to the calling IAM user's name, so a mismatching name is refused."""},
            {"text": "`\"StringEquals\": {\"aws:PrincipalTag/session\": \"${aws:username}\"}`",
             "why": """Wrong. That compares a principal tag with the user name; it says nothing about the session
                name the caller chooses."""},
            {"text": "`\"StringLike\": {\"sts:ExternalId\": \"${aws:username}\"}`",
             "why": """Wrong. ExternalId is meant for third parties and the confused-deputy problem; it is not the
                session name shown in the assumed-role ARN."""},
            {"text": "No condition is needed: AWS always uses the IAM user name as the session name.",
             "why": """Wrong. The caller chooses `RoleSessionName` (2-64 characters of `[\\w+=,.@-]`) freely unless a
                condition constrains it."""},
        ],
        "explanation": """The session name appears in the assumed-role ARN
            (`arn:aws:sts::123456789012:assumed-role/SecureCart-Ops/<session>`) and in CloudTrail. AWS documents the
            `sts:RoleSessionName` + `${aws:username}` pattern; note that it blocks callers that use temporary
            credentials, because `aws:username` exists only for IAM users.""",
        "citation": {"title": "IAM User Guide: IAM and AWS STS condition context keys",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html"},
    },
]
