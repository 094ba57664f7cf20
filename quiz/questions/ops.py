"""Identity checks, credential expiry and revocation (aws-sts-facts.md §1.7, §3)."""
from __future__ import annotations

QUESTIONS = [
    {
        "id": "ops-getcalleridentity-no-permission",
        "domain": "ops",
        "teaches": "cross-account-auditors/meet-the-auditor",
        "tags": ["GetCallerIdentity"],
        "difficulty": "easy",
        "stem": """A deployment script must check, before doing anything, which account and which role it is running
            as. Its role has an explicit `Deny` on `sts:*`. Which call still works and answers the question?""",
        "options": [
            {"text": "`sts:GetCallerIdentity`", "correct": True,
             "why": """Right. GetCallerIdentity needs no permission and works even when a policy explicitly denies
                it; it returns `UserId`, `Account` and `Arn`."""},
            {"text": "`iam:GetUser`",
             "why": """Wrong. GetUser needs IAM permissions and, for a role session, does not describe the
                caller."""},
            {"text": "`sts:GetAccessKeyInfo` on its own key",
             "why": """Wrong. GetAccessKeyInfo returns only the account that owns a key and needs
                `sts:GetAccessKeyInfo`, which the Deny blocks."""},
            {"text": "`sts:DecodeAuthorizationMessage`",
             "why": """Wrong. That decodes an encoded authorization failure message and needs its own
                permission."""},
        ],
        "explanation": """GetCallerIdentity is the "who am I" call: no permissions are required, and an explicit
            deny cannot block it. For a role session it returns an ARN such as
            `arn:aws:sts::123456789012:assumed-role/SecureCart-Deployer/build-118` and a UserId of the form
            `AROA...:build-118`.""",
        "citation": {"title": "AWS STS API Reference: GetCallerIdentity",
                     "url": "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"},
    },
    {
        "id": "ops-assumed-role-arn-format",
        "domain": "ops",
        "teaches": "cross-account-auditors/assume-audit-role",
        "tags": ["assumed-role"],
        "difficulty": "medium",
        "stem": """`auditor-jane` (account 987654321098) assumes `arn:aws:iam::123456789012:role/audit/SecureCart-AuditRole`
            (note the path `/audit/`) with `RoleSessionName=jane-q4`. What ARN does `GetCallerIdentity` return for
            the new session?""",
        "options": [
            {"text": "`arn:aws:sts::123456789012:assumed-role/SecureCart-AuditRole/jane-q4`", "correct": True,
             "why": """Right. The assumed-role ARN is in the role's account, uses the role name without its path,
                and ends with the session name."""},
            {"text": "`arn:aws:sts::987654321098:assumed-role/SecureCart-AuditRole/jane-q4`",
             "why": """Wrong. The session belongs to the role's account (123456789012), not the caller's."""},
            {"text": "`arn:aws:iam::123456789012:role/audit/SecureCart-AuditRole`",
             "why": """Wrong. That is the role's ARN; a session has its own `sts` ARN."""},
            {"text": "`arn:aws:sts::123456789012:assumed-role/audit/SecureCart-AuditRole/jane-q4`",
             "why": """Wrong. The role's path is not part of the assumed-role ARN."""},
        ],
        "explanation": """Assumed-role session ARNs have the form
            `arn:aws:sts::<role-account>:assumed-role/<role-name>/<session-name>`. Policies that must match one
            specific session name it in this form; `aws:PrincipalArn` for a session is the role's ARN instead.""",
        "citation": {"title": "IAM User Guide: IAM identifiers",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html"},
    },
    {
        "id": "ops-revoke-leaked-session",
        "domain": "ops",
        "teaches": "challenge:revoke-leaked-sessions",
        "tags": ["aws:TokenIssueTime", "AWSRevokeOlderSessions"],
        "difficulty": "medium",
        "stem": """Credentials of a `SecureCart-Ops` role session were pasted into a public chat. They are valid
            for another 10 hours. What immediately stops them from working while letting people assume the role
            again afterwards?""",
        "options": [
            {"text": "Revoke the role's active sessions: a Deny-all on `aws:TokenIssueTime` before now.",
             "correct": True,
             "why": """Right. Sessions issued before that moment are denied everything; new sessions are not
                affected."""},
            {"text": "Edit the role's trust policy so that nobody can assume the role until the keys expire.",
             "why": """Wrong. The trust policy is checked only when the role is assumed; credentials already issued
                keep working."""},
            {"text": "Delete the access keys of the IAM user who assumed the role and shared the session.",
             "why": """Wrong. The role session's credentials are separate from the user's keys and stay valid."""},
            {"text": "Detach the role's permission policies, and attach them again after the keys expire.",
             "why": """Wrong. It stops the leaked session only while the policies are detached, breaks every
                legitimate session meanwhile, and the leaked keys work again the moment the policies return if
                they have not expired yet."""},
        ],
        "explanation": """STS credentials cannot be recalled one by one, but policies are evaluated on every request.
            Revoking sessions attaches an inline policy `AWSRevokeOlderSessions` that denies `*` on `*` when
            `aws:TokenIssueTime` is earlier than the revocation time, which invalidates every older session of the
            role at once.""",
        "citation": {"title": "IAM User Guide: Revoke IAM role temporary security credentials",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html"},
    },
    {
        "id": "ops-expired-token-handling",
        "domain": "ops",
        "teaches": "cross-account-auditors/session-expires",
        "tags": ["ExpiredToken", "assume the role again"],
        "difficulty": "easy",
        "stem": """A batch job assumes a role once at start-up with the default duration and runs for three hours.
            After about an hour every call fails with `ExpiredToken`. What is the MOST operationally efficient fix?""",
        "options": [
            {"text": "Refresh credentials before they expire, e.g. with the SDK's assume-role credential "
                     "provider.",
             "correct": True,
             "why": """Right. Temporary credentials are meant to be renewed by assuming the role again; SDK
                credential providers do this for you."""},
            {"text": "Request `DurationSeconds=43200` at start-up, whatever the role's `MaxSessionDuration` is.",
             "why": """Wrong. AssumeRole fails when DurationSeconds exceeds the role's MaxSessionDuration (one hour by
                default), and a job that outgrows any fixed duration still breaks; refreshing does not."""},
            {"text": "Switch the job to an IAM user's access keys, which do not expire, rotated monthly.",
             "why": """Wrong. That removes the expiry by introducing the long-term secret roles are meant to
                avoid."""},
            {"text": "Catch the expiry error and call `GetSessionToken` with the expired session to renew it.",
             "why": """Wrong. Expired credentials cannot sign any call, and GetSessionToken does not accept session
                credentials anyway; the role must be assumed again."""},
        ],
        "explanation": """Every STS credential carries an `Expiration` (AssumeRole defaults to one hour). Long-running
            work either requests a longer session (up to the role's MaxSessionDuration, one hour when chaining) or,
            better, refreshes credentials by assuming the role again before expiry.""",
        "citation": {"title": "IAM User Guide: Temporary security credentials in IAM",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp.html"},
    },
    {
        "id": "ops-access-key-prefixes",
        "domain": "ops",
        "teaches": "cross-account-auditors/meet-the-auditor",
        "tags": ["AKIA"],
        "difficulty": "medium",
        "multi": True,
        "stem": """An incident responder finds two access key IDs in a log: `AKIAIOSFODNN7EXAMPLE` and
            `ASIAJEXAMPLEXEG2JICEA`. Which **two** conclusions are correct? (Choose two.)""",
        "options": [
            {"text": "`AKIA...` is a long-term access key (an IAM user or the root user).", "correct": True,
             "why": """Right. `AKIA` marks long-term access keys."""},
            {"text": "`ASIA...` is a temporary key issued by STS; it comes with a session token and an "
                     "expiration.",
             "correct": True,
             "why": """Right. `ASIA` marks temporary credentials."""},
            {"text": "`sts:GetAccessKeyInfo` tells you whether each key is still active.",
             "why": """Wrong. GetAccessKeyInfo returns only the account that owns the key, not its status."""},
            {"text": "`ASIA...` keys can be deactivated with `iam:UpdateAccessKey`.",
             "why": """Wrong. UpdateAccessKey works on IAM users' long-term keys; temporary credentials are stopped
                by revoking the role's sessions or by expiry."""},
            {"text": '`AIDA...` is a temporary access key issued to federated users.',
             "why": """Wrong. `AIDA` is the unique ID of an IAM user (not a key). Federated and role sessions get `ASIA` access keys."""},
        ],
        "explanation": """IAM unique-ID prefixes tell you what you are looking at: `AKIA` long-term access key, `ASIA`
            STS temporary access key, `AIDA` IAM user, `AROA` role. `GetAccessKeyInfo` maps a key to its account,
            which is a good first step in an investigation.""",
        "citation": {"title": "IAM User Guide: IAM identifiers",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html"},
    },
]
