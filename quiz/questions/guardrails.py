"""Session policies, permissions boundaries and role chaining (aws-sts-facts.md §2, §4.5)."""
from __future__ import annotations

IMAGES = "arn:aws:s3:::securecart-product-images"
UPLOADER_SESSION = "arn:aws:sts::123456789012:assumed-role/SecureCart-ImageUploader/thumbnailer"

QUESTIONS = [
    {
        "id": "guard-role-chaining-one-hour",
        "domain": "guardrails",
        "difficulty": "medium",
        "task": "1.1",
        "teaches": "role-chaining/second-hop",
        "tags": ["role chaining", "one hour"],
        "stem": """SecureCart's CI runners are EC2 instances with the instance profile role `SecureCart-CI`. A
            release job that takes 90 minutes uses the instance's credentials to assume `SecureCart-Deployer`
            (`MaxSessionDuration` = 43200) with `DurationSeconds=7200`. What happens?""",
        "options": [
            {"text": "It fails: assuming a role with instance-role credentials is role chaining, capped at one "
                     "hour.",
             "correct": True,
             "why": """Right. The instance's own session (delivered by EC2) is not limited by the one-hour cap, but
                it is a role session; assuming another role with it is role chaining, and asking for more than an
                hour makes the call fail. Ask for 3600 seconds or less and refresh."""},
            {"text": "It succeeds for two hours: credentials delivered by an instance profile are not a chain hop.",
             "why": """Wrong. Only the instance's own role session is exempt; a role assumed with its credentials is a
                chained session like any other."""},
            {"text": "It succeeds, but STS shortens the session to one hour without an error, as for any chain.",
             "why": """Wrong. For AssumeRole STS rejects a too-long DurationSeconds rather than shortening it."""},
            {"text": "It fails: a role that is used in an instance profile may not assume any other role.",
             "why": """Wrong. Instance roles can assume roles whose trust policies allow them (that is role
                chaining); only the duration is the problem here."""},
        ],
        "explanation": """Role chaining (using role credentials to assume another role) limits the new session to at
            most one hour, whatever the target role's MaxSessionDuration. That includes credentials EC2 delivers
            for an instance profile: the instance's session itself can be long, but the role it assumes is capped.
            Omit DurationSeconds (default 3600) or ask for 3600 or less, and let the SDK refresh.""",
        "citation": {"title": "AWS STS API Reference: AssumeRole",
                     "url": "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"},
    },
    {
        "id": "guard-max-session-duration",
        "domain": "guardrails",
        "teaches": "use-case-auditors/one-hour",
        "tags": ["MaxSessionDuration"],
        "difficulty": "easy",
        "stem": """Analysts at SecureCart run 4-hour reports. `dev-alice` (an IAM user) assumes
            `SecureCart-Analytics`, whose `MaxSessionDuration` is 3600 seconds, with `DurationSeconds=14400`. What is
            the result, and what is the MOST appropriate fix?""",
        "options": [
            {"text": "The call fails; an administrator raises the role's `MaxSessionDuration` to at least 4 "
                     "hours.",
             "correct": True,
             "why": """Right. A DurationSeconds above the role's MaxSessionDuration makes AssumeRole fail; the
                ceiling is a setting on the role, up to 12 hours."""},
            {"text": "She gets 4-hour credentials: `DurationSeconds` overrides the role's limit for IAM users.",
             "why": """Wrong. The role's MaxSessionDuration (1 hour here) is the ceiling for every caller."""},
            {"text": "She gets 1-hour credentials, and the report should then call `GetSessionToken` to extend "
                     "them.",
             "why": """Wrong. STS does not silently trim AssumeRole durations, and GetSessionToken cannot extend a
                role session."""},
            {"text": "The call fails until she passes an MFA code, which STS requires for any session over an hour.",
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
        "teaches": "challenge:session-policy-one-task",
        "tags": ["session policy", "intersection"],
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
            {"text": "Allowed, because the role's permission policy allows `s3:PutObject` on the bucket.",
             "why": """Wrong. A session's permissions are the intersection of the role's policies and the session
                policy; the session policy does not allow PutObject."""},
            {"text": "Denied by an explicit deny: a session policy denies whatever it does not list.",
             "why": """Wrong. The session policy has no Deny; it simply does not allow PutObject, which is an
                implicit deny."""},
            {"text": "Denied implicitly: the session policy does not allow `s3:PutObject`.",
             "correct": True,
             "why": """Right. Session policies only narrow. (And `dynamodb:*` in the session policy grants nothing,
                because the role's policy does not allow DynamoDB.)"""},
            {"text": "Allowed, because session policies narrow only console sessions, not CLI calls.",
             "why": """Wrong. Session policies passed with `--policy` or `PolicyArns` narrow every request the session
                makes, from the CLI, SDKs or the console."""},
        ],
        "explanation": """A session policy passed with `Policy` or `PolicyArns` limits the session to what both the
            role's identity policies and the session policy allow. It can never grant anything the role lacks. The
            decision below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Policies and permissions in AWS Identity and Access Management",
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
        "teaches": "challenge:session-policy-one-task",
        "tags": ["session policy"],
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
            {"text": 'Session policies can only be passed by IAM users, not by roles that are chaining.',
             "why": """Wrong. Any AssumeRole* call (and GetFederationToken) can pass session policies, including a chained AssumeRole made with role credentials."""},
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
        "teaches": "challenge:boundary-stops-escalation",
        "tags": ["permissions boundary"],
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
            {"text": "Allowed, because the identity policy allows every action on every resource.",
             "why": """Wrong. A permissions boundary caps what identity policies can grant."""},
            {"text": "Denied by an explicit deny: a boundary denies every action it does not list.",
             "why": """Wrong. The boundary has no Deny statement; it just does not allow IAM actions, which is an
                implicit deny."""},
            {"text": "Denied implicitly: the boundary does not allow `iam:CreateUser`.",
             "correct": True,
             "why": """Right. Effective permissions are the intersection of the identity policies and the
                boundary."""},
            {"text": "Allowed, because a permissions boundary limits roles only, not IAM users.",
             "why": """Wrong. Boundaries can be set on IAM users and on roles. Here it caps `contractor-bob`'s
                effective permissions at what the boundary allows."""},
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
        "teaches": "role-chaining/second-hop",
        "tags": ["expiry", "role chaining"],
        "difficulty": "medium",
        "stem": """An analyst assumes `SecureCart-Ops` (session A, expires in 60 minutes) and 50 minutes later uses
            session A to assume `SecureCart-ReadOnly` (session B). Session A then expires. What happens to
            session B?""",
        "options": [
            {"text": "Session B keeps working until its own expiration; each hop has its own clock.",
             "correct": True,
             "why": """Right. Once issued, session B's credentials are independent of session A's lifetime (within
                the chaining cap of one hour)."""},
            {"text": "Session B stops at the same moment as session A, because A issued it.",
             "why": """Wrong. STS does not tie a chained session's expiry to its parent's."""},
            {"text": "Session B is renewed by STS for as long as it keeps being used within its hour.",
             "why": """Wrong. STS credentials are never extended; you request new ones."""},
            {"text": "Session B loses role A's permissions when A expires but keeps `SecureCart-ReadOnly`'s.",
             "why": """Wrong. Session B never had role A's permissions: each session has exactly its own role's
                permissions, and B keeps them until B's own expiry."""},
        ],
        "explanation": """Every AssumeRole returns a new set of credentials with its own `Expiration`. In a chain each
            hop is independent (chained sessions are capped at one hour); when any session expires its holder must
            assume the role again, using credentials that are still valid.""",
        "citation": {"title": "IAM User Guide: Methods to assume a role",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html"},
    },
]
