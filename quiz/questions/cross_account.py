"""Cross-account access: both-sides rule, ExternalId and the confused deputy (aws-sts-facts.md §1.2, §4.1)."""
from __future__ import annotations

AUDIT_ROLE = "arn:aws:iam::123456789012:role/SecureCart-AuditRole"
AUDITOR = "arn:aws:iam::987654321098:user/auditor-jane"

_AUDIT_TRUST_WITH_EXTERNAL_ID = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "TrustAuditorsWithExternalId",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "SC-7f3e2a91"}},
    }],
}

QUESTIONS = [
    {
        "id": "xacct-auditors-best-approach",
        "domain": "cross-account",
        "teaches": "use-case-auditors/one-hour",
        "tags": ["temporary credentials", "assume"],
        "difficulty": "easy",
        "stem": """External auditors work in their own AWS account (987654321098). They need read-only access to
            SecureCart's security logs in the production account (123456789012) for a few hours at a time, and
            SecureCart's policy forbids handing out long-term access keys. What should the solutions architect
            do?""",
        "options": [
            {"text": "A read-only role in 123456789012 that trusts 987654321098, assumed for temporary "
                     "credentials.",
             "correct": True,
             "why": """Right. A cross-account role gives short-lived credentials limited to the role's permissions,
                and no secret ever leaves SecureCart's account."""},
            {"text": "An IAM user per auditor in 123456789012, with access keys rotated every 90 days.",
             "why": """Wrong. These are exactly the long-term keys the policy forbids, and they must be distributed,
                rotated and revoked by hand."""},
            {"text": "Presigned URLs for each log file, generated weekly with a 7-day expiry and e-mailed.",
             "why": """Wrong. Presigned URLs cannot list the bucket, new log files would need new links, and any
                holder of an e-mailed link can use it for a week: it is neither read-only access to the logs nor a
                few hours at a time."""},
            {"text": "Share the log bucket with account 987654321098 through AWS Resource Access Manager.",
             "why": """Wrong. S3 buckets are not shared through AWS RAM; cross-account access to them is granted by
                policies (a role to assume, or a bucket policy)."""},
        ],
        "explanation": """Delegating access across accounts with an IAM role is the standard pattern: the resource
            account owns a role with the needed permissions, trusts the other account in the role's trust policy,
            and STS issues temporary credentials (one hour by default) when an allowed principal assumes it. For a
            third party, add an ExternalId condition.""",
        "citation": {"title": "IAM User Guide: Access for an IAM user in another AWS account that you own",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html"},
    },
    {
        "id": "xacct-both-sides-multi",
        "domain": "cross-account",
        "teaches": "cross-account-auditors/assume-audit-role",
        "tags": ["trust policy", "identity policy", "sts:AssumeRole"],
        "difficulty": "medium",
        "multi": True,
        "stem": """The IAM user `auditor-jane` in account 987654321098 must assume `SecureCart-AuditRole` in account
            123456789012. Which **two** things must be true for her `AssumeRole` call to succeed? (Choose two.)""",
        "options": [
            {"text": "The role's trust policy allows `sts:AssumeRole` for account 987654321098 or for her user.",
             "correct": True,
             "why": """Right. The role's account must trust the caller: this is the resource-based half."""},
            {"text": "An identity policy on `auditor-jane` (directly, or through a group) allows `sts:AssumeRole` on "
                     "the role's ARN.",
             "correct": True,
             "why": """Right. Her own account must allow the call: this is the identity-based half. Cross-account
                requests need both."""},
            {"text": "The role's permission policy allows `sts:AssumeRole`.",
             "why": """Wrong. The role's permission policies say what the session may do after it is assumed; they
                do not govern who may assume it."""},
            {"text": "An S3 bucket policy in 123456789012 names `auditor-jane`.",
             "why": """Wrong. A bucket policy controls access to the bucket, not role assumption."""},
            {"text": "`auditor-jane` must sign in with MFA.",
             "why": """Wrong unless the trust policy requires it with an `aws:MultiFactorAuthPresent` condition;
                cross-account assumption does not require MFA by itself."""},
        ],
        "explanation": """For a request that crosses accounts, AWS evaluates both sides: the identity policies (and
            any permissions boundary or SCP) in the caller's account must allow the action, and the resource's
            policy in the other account (here the role's trust policy) must allow the principal. If either side
            says no, the request is denied.""",
        "citation": {"title": "IAM User Guide: Cross-account policy evaluation logic",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"},
    },
    {
        "id": "xacct-missing-identity-policy",
        "domain": "cross-account",
        "teaches": "cross-account-auditors/assume-audit-role",
        "tags": ["sts:AssumeRole", "identity policy"],
        "difficulty": "medium",
        "style": "will-it-be-allowed",
        "stem": """The trust policy of `SecureCart-AuditRole` trusts the auditor account. In account 987654321098,
            `auditor-jane`'s only identity policy is the one shown. She calls `sts:AssumeRole` on
            `SecureCart-AuditRole` and passes the correct ExternalId. What happens?""",
        "exhibits": [
            {"name": "trust", "title": "Trust policy of " + AUDIT_ROLE, "policy_kind": "trust",
             "policy": _AUDIT_TRUST_WITH_EXTERNAL_ID},
            {"name": "jane", "title": "Identity policy of " + AUDITOR + " (account 987654321098)",
             "policy_kind": "identity",
             "policy": {
                 "Version": "2012-10-17",
                 "Statement": [{
                     "Sid": "ReadOwnAuditBucket",
                     "Effect": "Allow",
                     "Action": ["s3:GetObject", "s3:ListBucket"],
                     "Resource": ["arn:aws:s3:::auditor-workpapers", "arn:aws:s3:::auditor-workpapers/*"],
                 }],
             }},
        ],
        "options": [
            {"text": "Allowed, because the trust policy trusts her account and she passes the ExternalId.",
             "why": """Wrong. The trust policy is only one side. Her own account has not allowed her to call
                `sts:AssumeRole` on the role."""},
            {"text": "Denied by an explicit deny, because her identity policy lists only S3 actions.",
             "why": """Wrong. No statement here says `Deny`; an action a policy does not list is not allowed by it,
                which is an implicit deny, not an explicit one."""},
            {"text": "Denied implicitly: nothing in her own account allows `sts:AssumeRole` on the role.",
             "correct": True,
             "why": """Right. In the cross-account case both the caller's identity policy and the trust policy must
                allow the call; her identity policy allows only S3 reads on her own bucket."""},
            {"text": "Allowed, because an ExternalId replaces the caller's own `sts:AssumeRole` permission.",
             "why": """Wrong. The ExternalId is only a condition of the trust policy; across accounts the caller's
                own account must still allow `sts:AssumeRole` on the role."""},
        ],
        "explanation": """Trusting an account (`arn:aws:iam::987654321098:root`) delegates to that account's
            administrators, who must grant `sts:AssumeRole` on the role ARN with an identity policy. Until they do,
            AWS answers `AccessDenied: User: arn:aws:iam::987654321098:user/auditor-jane is not authorized to
            perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/SecureCart-AuditRole`. The decision
            below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Cross-account policy evaluation logic",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"},
        "engine": {
            "check": "authorize",
            "principal": {"arn": AUDITOR, "account": "987654321098", "kind": "user", "username": "auditor-jane",
                          "userid": "AIDAEXAMPLEAUDITORJANE"},
            "action": "sts:AssumeRole",
            "resource": AUDIT_ROLE,
            "context": {"sts:ExternalId": "SC-7f3e2a91", "aws:SecureTransport": "true"},
            "identity": ["jane"],
            "resource_policy": "trust",
            "resource_account": "123456789012",
            "resource_policy_required": True,
            "expect": "implicit-deny",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "xacct-missing-external-id",
        "domain": "cross-account",
        "teaches": "cross-account-auditors/assume-audit-role",
        "tags": ["sts:ExternalId", "StringEquals"],
        "difficulty": "medium",
        "style": "will-it-be-allowed",
        "stem": """Now `auditor-jane`'s identity policy allows `sts:AssumeRole` on `SecureCart-AuditRole`. She runs
            `aws sts assume-role --role-arn arn:aws:iam::123456789012:role/SecureCart-AuditRole
            --role-session-name jane` and forgets `--external-id`. What happens?""",
        "exhibits": [
            {"name": "trust", "title": "Trust policy of " + AUDIT_ROLE, "policy_kind": "trust",
             "policy": _AUDIT_TRUST_WITH_EXTERNAL_ID},
            {"name": "jane", "title": "Identity policy of " + AUDITOR + " (account 987654321098)",
             "policy_kind": "identity",
             "policy": {
                 "Version": "2012-10-17",
                 "Statement": [{
                     "Sid": "AssumeSecureCartAudit",
                     "Effect": "Allow",
                     "Action": "sts:AssumeRole",
                     "Resource": AUDIT_ROLE,
                 }],
             }},
        ],
        "options": [
            {"text": "Allowed, because the ExternalId condition is checked only for console role switching.",
             "why": """Wrong. The condition is checked on every AssumeRole call. (In fact roles that require an
                ExternalId cannot be used from the console's Switch Role page at all.)"""},
            {"text": "Denied by an explicit deny, because a failed condition turns the Allow into a Deny.",
             "why": """Wrong. The trust policy has no `Deny` statement; the failed condition simply means its Allow
                does not apply."""},
            {"text": "Denied implicitly: with the key absent, the `StringEquals` condition is false.",
             "correct": True,
             "why": """Right. A `StringEquals` condition on a key that is missing from the request is false, so the
                trust policy allows nothing and the role's side says no."""},
            {"text": "Refused before any policy is read, because AssumeRole requires ExternalId across accounts.",
             "why": """Wrong. ExternalId is an optional AssumeRole parameter. Only the trust policy's condition makes
                it necessary, and when it is missing that condition is simply false."""},
        ],
        "explanation": """`sts:ExternalId` is in the request context only when the caller passes ExternalId. When a
            key is absent, a positive operator such as `StringEquals` is false, so this statement does not match and
            the request ends in an implicit deny. Not every operator behaves that way: negated operators
            (`StringNotEquals`, `ArnNotLike`, ...) are true for a missing key, `...IfExists` variants are true, and
            `"Null": {"sts:ExternalId": "true"}` is true exactly when the key is missing. The decision below was
            computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Access to AWS accounts owned by third parties",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html"},
        "engine": {
            "check": "authorize",
            "principal": {"arn": AUDITOR, "account": "987654321098", "kind": "user", "username": "auditor-jane",
                          "userid": "AIDAEXAMPLEAUDITORJANE"},
            "action": "sts:AssumeRole",
            "resource": AUDIT_ROLE,
            "context": {"aws:SecureTransport": "true"},
            "identity": ["jane"],
            "resource_policy": "trust",
            "resource_account": "123456789012",
            "resource_policy_required": True,
            "expect": "implicit-deny",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "xacct-confused-deputy-external-id",
        "domain": "cross-account",
        "teaches": "challenge:confused-deputy",
        "tags": ["ExternalId", "confused deputy"],
        "difficulty": "medium",
        "stem": """SecureCart signs up for a cost-monitoring SaaS. The vendor asks every customer for a role ARN and
            assumes those roles from its own AWS account. What protects SecureCart if another of the vendor's
            customers submits SecureCart's role ARN as their own?""",
        "options": [
            {"text": "A trust policy condition on `sts:ExternalId` equal to the value the vendor issued to "
                     "SecureCart.",
             "correct": True,
             "why": """Right. The vendor always passes the ExternalId it stored for the customer it is acting for.
                When it acts for the other customer it passes *their* ID, which does not match SecureCart's
                condition."""},
            {"text": "A trust policy that names only the vendor's AWS account, with no other condition.",
             "why": """Not enough. The vendor's account is exactly what the attacker abuses: the request still comes
                from the trusted account. This is the confused deputy."""},
            {"text": "A trust policy condition requiring `aws:MultiFactorAuthPresent` for the vendor's calls.",
             "why": """Wrong. The vendor's automation cannot supply MFA codes, and MFA does not tell the vendor which
                customer it is acting for."""},
            {"text": "A role name with a long random suffix, so that the vendor's other customers cannot guess "
                     "the role ARN.",
             "why": """Wrong. Role ARNs are identifiers, not secrets; they are easy to guess or leak."""},
        ],
        "explanation": """In the confused-deputy problem a trusted party (the vendor) is tricked into using its
            authority on behalf of someone else. The external ID ties each trust relationship to one customer. AWS
            does not treat it as a secret, but it must be unique per customer and generated by the third party so a
            customer cannot pick another customer's value.""",
        "citation": {"title": "IAM User Guide: The confused deputy problem",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"},
    },
    {
        "id": "xacct-external-id-who-generates",
        "domain": "cross-account",
        "teaches": "cross-account-auditors/assume-audit-role",
        "tags": ["external ID", "confused deputy"],
        "difficulty": "hard",
        "multi": True,
        "stem": """Which **two** statements about the ExternalId used with third-party roles are correct?
            (Choose two.)""",
        "options": [
            {"text": "The third party should generate it, unique for each of its customers.", "correct": True,
             "why": """Right. If customers chose their own values, one customer could choose another customer's
                value, defeating the purpose."""},
            {"text": "AWS does not treat it as a secret; anyone who can read the role's trust policy can see it.",
             "correct": True,
             "why": """Right. Its protection comes from the vendor passing the value bound to the customer it
                serves, not from secrecy."""},
            {"text": "It replaces the need to trust the vendor's account in `Principal`.",
             "why": """Wrong. The trust policy still names the vendor's account; the ExternalId is an extra
                condition."""},
            {"text": "AWS generates it automatically when the role is created.",
             "why": """Wrong. ExternalId is any string of 2-1224 characters matching `[\\w+=,.@:/-]*`; AWS does not
                generate it."""},
            {"text": 'The ExternalId must be rotated every 90 days like an access key.',
             "why": """Wrong. The ExternalId is not a secret credential and AWS sets no rotation rule for it. It only has to be unique per customer, so the vendor cannot be tricked into using it for someone else."""},
        ],
        "explanation": """The ExternalId is a value the caller passes in `AssumeRole` and the trust policy checks with
            `"StringEquals": {"sts:ExternalId": "..."}`. Its job is to stop the confused-deputy problem, so what
            matters is that each customer's role expects a different value and that the vendor, not the customer,
            decides the values.""",
        "citation": {"title": "IAM User Guide: Access to AWS accounts owned by third parties",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html"},
    },
    {
        "id": "xacct-identity-policy-with-principal",
        "domain": "evaluation",
        "teaches": "cross-account-auditors/assume-audit-role",
        "tags": ["identity policy", "trust policy"],
        "difficulty": "medium",
        "style": "spot-the-mistake",
        "stem": """The auditors' administrator writes the identity-policy half for `auditor-jane` in account
            987654321098 as shown. IAM refuses to save it. Why?""",
        "exhibits": [{
            "name": "jane",
            "title": "Proposed identity policy of " + AUDITOR,
            "policy_kind": "identity",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": AUDITOR},
                    "Action": "sts:AssumeRole",
                    "Resource": AUDIT_ROLE,
                }],
            },
        }],
        "options": [
            {"text": "An identity-based policy takes no `Principal`: it applies to the identity it is attached "
                     "to.",
             "correct": True,
             "why": """Right. IAM answers `MalformedPolicyDocument: Policy document should not specify a principal.`
                Remove the `Principal` line and attach the policy to the user (or a group)."""},
            {"text": "`sts:AssumeRole` can be allowed only in the role's trust policy, never in an identity-based "
                     "policy.",
             "why": """Wrong. Cross-account assumption needs exactly this permission in the caller's identity policy,
                in addition to the trust policy."""},
            {"text": "The `Resource` must be in the auditors' own account; name a role there and chain from it.",
             "why": """Wrong. An identity policy can name resources in other accounts; the other account's
                resource policy then has to agree."""},
            {"text": "An identity policy allowing `sts:AssumeRole` across accounts must test `sts:ExternalId`.",
             "why": """Wrong. The ExternalId condition belongs in the role's trust policy; the caller passes the value
                in the AssumeRole request."""},
        ],
        "explanation": """Identity-based policies (attached to users, groups and roles) say what their holder may do
            and on which `Resource`; resource-based policies, including role trust policies, say who (`Principal`)
            may act on the resource they are attached to. Mixing the two elements is refused either way. The lab's
            policy engine parses the proposed policy below and shows the error IAM would return.""",
        "citation": {"title": "IAM User Guide: Identity-based policies and resource-based policies",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html"},
        "engine": {"check": "parse", "exhibit": "jane", "expect_error": "Policy document should not specify a principal"},
    },
]
