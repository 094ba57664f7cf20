"""Session policies, permissions boundaries and role chaining (aws-sts-facts.md §2, §4.5)."""
from __future__ import annotations

IMAGES = "arn:aws:s3:::securecart-product-images"
UPLOADER_SESSION = "arn:aws:sts::123456789012:assumed-role/SecureCart-ImageUploader/thumbnailer"

QUESTIONS = [
    {
        "id": "guard-role-chaining-one-hour",
        "domain": "guardrails",
        "difficulty": "medium",
        "stem": """A job runs as a session of role `SecureCart-CI` and from it assumes `SecureCart-Deployer` with
            `DurationSeconds=7200`. `SecureCart-Deployer` has `MaxSessionDuration` = 43200. What happens?""",
        "options": [
            {"text": "The call fails with `ValidationError`: the requested DurationSeconds exceeds the 1 hour "
                     "session limit for roles assumed by role chaining.",
             "correct": True,
             "why": """Right. Assuming a role with role credentials is role chaining, and chained sessions are
                capped at one hour; asking for more makes the call fail."""},
            {"text": "It succeeds with a 2-hour session, because 7200 is below the role's MaxSessionDuration.",
             "why": """Wrong. MaxSessionDuration does not apply to chained sessions; the one-hour cap does."""},
            {"text": "It succeeds, but STS silently shortens the session to one hour.",
             "why": """Wrong. For AssumeRole STS rejects the request rather than shortening it."""},
            {"text": "It fails with `AccessDenied` because roles cannot assume other roles.",
             "why": """Wrong. Roles can assume roles (that is role chaining) if the trust and identity policies
                allow it."""},
        ],
        "explanation": """Role chaining (using role credentials to assume another role) limits the new session to at
            most one hour, whatever the target role's MaxSessionDuration. Omit DurationSeconds (default 3600) or ask
            for 3600 or less. Credentials that EC2 delivers to an instance are not counted as a chain hop.""",
        "citation": {"title": "IAM User Guide: Roles terms and concepts",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html"},
    },
    {
        "id": "guard-max-session-duration",
        "domain": "guardrails",
        "difficulty": "easy",
        "stem": """`dev-alice` (an IAM user) assumes `SecureCart-Analytics`, whose `MaxSessionDuration` is 3600
            seconds, with `DurationSeconds=14400`. What does STS answer?""",
        "options": [
            {"text": "`ValidationError`: the requested DurationSeconds exceeds the MaxSessionDuration set for this "
                     "role.",
             "correct": True,
             "why": """Right. A DurationSeconds above the role's MaxSessionDuration makes AssumeRole fail."""},
            {"text": "Credentials valid for 4 hours.",
             "why": """Wrong. The role's MaxSessionDuration (1 hour here) is the ceiling."""},
            {"text": "Credentials valid for 1 hour, with a warning.",
             "why": """Wrong. STS does not silently trim AssumeRole durations."""},
            {"text": "`AccessDenied`, because long sessions need MFA.",
             "why": """Wrong. Duration and MFA are unrelated unless a policy condition links them."""},
        ],
        "explanation": """A role's `MaxSessionDuration` can be set from 1 to 12 hours (3600-43200 seconds, default
            3600). AssumeRole's `DurationSeconds` may range from 900 seconds up to that value; anything above it is
            rejected with a ValidationError.""",
        "citation": {"title": "AWS STS API Reference: AssumeRole",
                     "url": "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"},
    },
    {
        "id": "guard-session-policy-narrows",
        "domain": "guardrails",
        "difficulty": "medium",
        "style": "will-it-be-allowed",
        "stem": """The thumbnail service assumes `SecureCart-ImageUploader` and passes the inline session policy
            shown (`--policy`). With the resulting session it calls `s3:PutObject` on
            `securecart-product-images/thumbs/42.jpg`. What happens?""",
        "exhibits": [
            {"name": "role", "title": "Permission policy of role SecureCart-ImageUploader", "policy_kind": "identity",
             "policy": {"Version": "2012-10-17", "Statement": [{
                 "Sid": "ReadWriteImages", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                 "Resource": IMAGES + "/*"}]}},
            {"name": "session", "title": "Session policy passed to AssumeRole", "policy_kind": "session",
             "policy": {"Version": "2012-10-17", "Statement": [{
                 "Sid": "ReadOnlyPlusDynamo", "Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:*"],
                 "Resource": "*"}]}},
        ],
        "options": [
            {"text": "Allowed: the role's permission policy allows `s3:PutObject`.",
             "why": """Wrong. A session's permissions are the intersection of the role's policies and the session
                policy; the session policy does not allow PutObject."""},
            {"text": "Denied by an explicit deny in the session policy.",
             "why": """Wrong. The session policy has no Deny; it simply does not allow PutObject."""},
            {"text": "Denied implicitly: the session policy does not allow `s3:PutObject`, so the intersection does "
                     "not either.",
             "correct": True,
             "why": """Right. Session policies only narrow. (And `dynamodb:*` in the session policy grants nothing,
                because the role's policy does not allow DynamoDB.)"""},
        ],
        "explanation": """A session policy passed with `Policy` or `PolicyArns` limits the session to what both the
            role's identity policies and the session policy allow. It can never grant anything the role lacks. The
            decision below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Policies and permissions in AWS Identity and Access Management "
                              "(Session policies)",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html"},
        "engine": {
            "check": "authorize",
            "principal": {"arn": UPLOADER_SESSION, "account": "123456789012", "kind": "assumed-role",
                          "role_arn": "arn:aws:iam::123456789012:role/SecureCart-ImageUploader",
                          "userid": "AROAEXAMPLEIMAGEUPLOAD:thumbnailer"},
            "action": "s3:PutObject",
            "resource": IMAGES + "/thumbs/42.jpg",
            "context": {"aws:SecureTransport": "true"},
            "identity": ["role"],
            "session": ["session"],
            "resource_policy": None,
            "resource_account": "123456789012",
            "expect": "implicit-deny",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "guard-session-policy-facts",
        "domain": "guardrails",
        "difficulty": "medium",
        "multi": True,
        "stem": """Which **two** statements about session policies passed to `AssumeRole` are correct?
            (Choose two.)""",
        "options": [
            {"text": "They cannot give the session any permission the role's own policies do not allow.",
             "correct": True,
             "why": """Right. Effective permissions are the intersection of both."""},
            {"text": "You can pass up to 10 managed policy ARNs in `PolicyArns`, plus one inline `Policy`.",
             "correct": True,
             "why": """Right. The managed policies must be in the same account as the role."""},
            {"text": "They replace the role's permission policies for that session.",
             "why": """Wrong. The role's policies still apply; the session policy is an additional filter."""},
            {"text": "They are saved on the role and apply to every later session.",
             "why": """Wrong. A session policy applies only to the session it was passed for."""},
        ],
        "explanation": """Session policies let one role serve several callers with less privilege each time: pass an
            inline policy and/or up to 10 managed policy ARNs when assuming the role. The combined plaintext is
            limited (2,048 characters for inline + managed) and, together with session tags, must fit the packed
            size limit (`PackedPolicyTooLarge` otherwise).""",
        "citation": {"title": "AWS STS API Reference: AssumeRole",
                     "url": "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"},
    },
    {
        "id": "guard-permissions-boundary",
        "domain": "guardrails",
        "difficulty": "hard",
        "style": "will-it-be-allowed",
        "stem": """SecureCart lets team leads create IAM users, but every user they create gets the permissions
            boundary shown. A lead attaches `AdministratorAccess`-like permissions (the identity policy shown) to
            the new user `contractor-bob`, who then calls `iam:CreateUser`. What happens?""",
        "exhibits": [
            {"name": "admin", "title": "Identity policy of arn:aws:iam::123456789012:user/contractor-bob",
             "policy_kind": "identity",
             "policy": {"Version": "2012-10-17", "Statement": [{
                 "Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}]}},
            {"name": "boundary", "title": "Permissions boundary of contractor-bob", "policy_kind": "boundary",
             "policy": {"Version": "2012-10-17", "Statement": [{
                 "Sid": "StorefrontOnly", "Effect": "Allow",
                 "Action": ["s3:*", "cloudwatch:*", "ec2:Describe*"], "Resource": "*"}]}},
        ],
        "options": [
            {"text": "Allowed: the identity policy allows every action.",
             "why": """Wrong. A permissions boundary caps what identity policies can grant."""},
            {"text": "Denied by an explicit deny in the boundary.",
             "why": """Wrong. The boundary has no Deny statement; it just does not allow IAM actions."""},
            {"text": "Denied implicitly: the boundary does not allow `iam:CreateUser`, so the effective permissions "
                     "do not include it.",
             "correct": True,
             "why": """Right. Effective permissions are the intersection of the identity policies and the
                boundary."""},
        ],
        "explanation": """A permissions boundary is a managed policy that sets the maximum permissions an identity
            policy can give a user or role. The request must be allowed by both the identity policy and the boundary
            (and an explicit deny in either wins). Boundaries are how you safely delegate user creation. The decision
            below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Permissions boundaries for IAM entities",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"},
        "engine": {
            "check": "authorize",
            "principal": {"arn": "arn:aws:iam::123456789012:user/contractor-bob", "account": "123456789012",
                          "kind": "user", "username": "contractor-bob", "userid": "AIDAEXAMPLECONTRACTOR"},
            "action": "iam:CreateUser",
            "resource": "arn:aws:iam::123456789012:user/new-hire",
            "context": {"aws:SecureTransport": "true", "aws:username": "contractor-bob"},
            "identity": ["admin"],
            "boundary": "boundary",
            "resource_policy": None,
            "resource_account": "123456789012",
            "expect": "implicit-deny",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "guard-chaining-credentials-expire",
        "domain": "guardrails",
        "difficulty": "medium",
        "stem": """An analyst assumes `SecureCart-Ops` (session A, expires in 60 minutes) and 50 minutes later uses
            session A to assume `SecureCart-ReadOnly` (session B). Session A then expires. What happens to
            session B?""",
        "options": [
            {"text": "Session B keeps working until its own expiration; each hop has its own credentials and "
                     "expiry.",
             "correct": True,
             "why": """Right. Once issued, session B's credentials are independent of session A's lifetime (within
                the chaining cap of one hour)."""},
            {"text": "Session B stops working at the same moment as session A.",
             "why": """Wrong. STS does not tie a chained session's expiry to its parent's."""},
            {"text": "Session B is extended automatically while it is in use.",
             "why": """Wrong. STS credentials are never extended; you request new ones."""},
            {"text": "Session B was never issued: a role cannot be assumed in the last 15 minutes of a session.",
             "why": """Wrong. There is no such rule."""},
        ],
        "explanation": """Every AssumeRole returns a new set of credentials with its own `Expiration`. In a chain each
            hop is independent (chained sessions are capped at one hour); when any session expires its holder must
            assume the role again, using credentials that are still valid.""",
        "citation": {"title": "IAM User Guide: Methods to assume a role",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html"},
    },
]
