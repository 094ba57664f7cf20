"""Session tags, transitive tags and SourceIdentity (aws-sts-facts.md §2 "Session tags", "SourceIdentity")."""
from __future__ import annotations

QUESTIONS = [
    {
        "id": "tags-tagsession-permission",
        "domain": "tags",
        "teaches": "identity-center/provision",
        "tags": ["sts:TagSession"],
        "difficulty": "medium",
        "stem": """SecureCart's Okta SAML assertions now carry a `PrincipalTag:CostCenter` attribute so that
            attribute-based access control can use `aws:PrincipalTag/CostCenter`. Immediately every federated sign-in
            to `SecureCart-Support` fails with `AccessDenied`. What is missing?""",
        "options": [
            {"text": "`sts:TagSession` in the role's trust policy, beside `sts:AssumeRoleWithSAML`.",
             "correct": True,
             "why": """Right. Passing session tags requires the trust policy to allow `sts:TagSession` for the same
                principal; otherwise the whole assumption is denied."""},
            {"text": "The same tag on the role itself, added with `iam:TagRole` before sessions may carry it.",
             "why": """Wrong. Session tags are passed per session; they do not need to exist on the role (and when
                they do, the session tag wins)."""},
            {"text": "`sts:TagSession` in the permission policy of `SecureCart-Support`, for its sessions.",
             "why": """Wrong. Passing tags is decided when the role is assumed, by the role's trust policy; the
                role's permission policy governs what its sessions do afterwards."""},
            {"text": "A shorter value: session tag values are limited to 16 characters, and longer ones fail.",
             "why": """Wrong. Session tag values can be up to 256 characters."""},
        ],
        "explanation": """Session tags (up to 50 per session) come from the `Tags` parameter of AssumeRole or from
            SAML attributes / OIDC claims. Whoever passes them needs `sts:TagSession` in the role's trust policy,
            which can also restrict them with `aws:RequestTag/...` and `aws:TagKeys` conditions.""",
        "citation": {"title": "IAM User Guide: Pass session tags in AWS STS",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"},
    },
    {
        "id": "tags-transitive-through-chain",
        "domain": "tags",
        "teaches": "",
        "difficulty": "hard",
        "stem": """A user assumes `SecureCart-Ops` with the session tag `Project=checkout` (hop 1). From that session
            they assume `SecureCart-Checkout` (hop 2), and from the new session `SecureCart-Release` (hop 3), whose
            trust policy requires `"StringEquals": {"aws:PrincipalTag/Project": "checkout"}`. Hop 2 succeeds; hop 3
            is denied. What should the first `AssumeRole` call have included?""",
        "options": [
            {"text": "`TransitiveTagKeys=[\"Project\"]`, so the tag stays with every later session of the chain.",
             "correct": True,
             "why": """Right. Hop 2 is signed by the hop-1 session, whose own tags are its `aws:PrincipalTag/...`
                values, so a condition there would pass; but the hop-2 session does not inherit them. Only keys
                marked transitive are carried into the sessions chained after it, which is what hop 3 needs."""},
            {"text": "Nothing more: session tags pass to every later session of a role chain by default.",
             "why": """Wrong. By default a session's tags apply to that session's own requests only; the next session
                of the chain starts without them unless they were marked transitive."""},
            {"text": "A session policy that allows `sts:TagSession`, so the tag is copied into each next session.",
             "why": """Wrong. Session policies limit permissions; they do not copy tags. `sts:TagSession` is needed in
                a trust policy to pass tags at all, not to carry them along."""},
            {"text": "`SourceIdentity=checkout`, which survives chaining and is read as `aws:PrincipalTag/Project`.",
             "why": """Wrong. A source identity does persist through the chain, but it is the key
                `aws:SourceIdentity`, not a principal tag, so the condition on `aws:PrincipalTag/Project` still finds
                no value."""},
        ],
        "explanation": """A session's tags are in the request context of the calls it makes, as
            `aws:PrincipalTag/<key>`, which is why hop 2 can check them. They are passed on to the next session of
            a role chain only when listed in `TransitiveTagKeys`; transitive tags then persist for the rest of the
            chain and later sessions cannot override them. Role tags can never be made transitive, and
            GetFederationToken tags cannot be transitive either. (The lab's policy engine gives the same answers:
            hop 2 allowed, hop 3 refused without the transitive key.)""",
        "citation": {"title": "IAM User Guide: Pass session tags in AWS STS",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"},
    },
    {
        "id": "tags-source-identity-audit",
        "domain": "tags",
        "teaches": "challenge:require-source-identity",
        "tags": ["SourceIdentity"],
        "difficulty": "medium",
        "stem": """Engineers federate into `SecureCart-Ops` and often chain into other roles. Security wants every
            CloudTrail event, even after several hops, to show which human started the chain, and no one should be
            able to change that value later in the chain. Which solution meets these requirements with the LEAST operational overhead?""",
        "options": [
            {"text": "Set `SourceIdentity` to the person's corporate ID when the first role is assumed.",
             "correct": True,
             "why": """Right. Once set, source identity cannot be changed for the session or any session chained
                from it, and it is logged in CloudTrail."""},
            {"text": "Pass a session tag named `User` with the person's ID on the first `AssumeRole` call.",
             "why": """Wrong. A non-transitive tag disappears on the next hop, and tags are not a tamper-proof audit
                trail."""},
            {"text": "Require each hop's `RoleSessionName` to equal the person's ID in every trust policy.",
             "why": """Wrong. Each hop chooses its own RoleSessionName, so a later hop can pick any value."""},
            {"text": "Call `GetCallerIdentity` at the start of each script and log the returned ARN.",
             "why": """Wrong. That reports the current session's ARN but does not carry anything through the
                chain."""},
        ],
        "explanation": """`SourceIdentity` (2-64 characters, not starting with `aws:`) is set by an AssumeRole* call
            (usually the first one, from the identity provider) and can never be changed afterwards: it persists
            through role chaining, shows up in CloudTrail and is available as `aws:SourceIdentity` in policy
            conditions. Setting it requires `sts:SetSourceIdentity` in the trust
            policy.""",
        "citation": {"title": "IAM User Guide: Monitor and control actions taken with assumed roles",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html"},
    },
    {
        "id": "tags-set-source-identity-permission",
        "domain": "tags",
        "teaches": "challenge:require-source-identity",
        "tags": ["sts:SetSourceIdentity"],
        "difficulty": "hard",
        "stem": """A SAML IdP starts sending the `SourceIdentity` attribute. Federated sign-ins to
            `SecureCart-Analytics` now fail with `AccessDenied ... not authorized to perform: sts:SetSourceIdentity`.
            What fixes it?""",
        "options": [
            {"text": "Allow `sts:SetSourceIdentity` for the SAML provider in the role's trust policy.",
             "correct": True,
             "why": """Right. Setting a source identity requires `sts:SetSourceIdentity` in the trust policy of the
                role being assumed."""},
            {"text": "Allow `sts:SetSourceIdentity` in the permission policy of `SecureCart-Analytics`.",
             "why": """Wrong. The role's permission policy governs what the session does afterwards, not what may be
                set while assuming it."""},
            {"text": "Allow `sts:TagSession` in the trust policy: a source identity is a kind of session tag.",
             "why": """Wrong. A source identity is its own attribute of the session with its own permission,
                `sts:SetSourceIdentity`; `sts:TagSession` covers session tags only."""},
            {"text": "Send it as `RoleSessionName` instead: only AssumeRole may set a source identity.",
             "why": """Wrong. AssumeRoleWithSAML and AssumeRoleWithWebIdentity can set a source identity too (from
                the assertion or token); the trust policy just has to allow `sts:SetSourceIdentity`."""},
        ],
        "explanation": """Like session tags (`sts:TagSession`), a source identity is something the caller asks STS to
            attach to the session, so the role's trust policy must allow `sts:SetSourceIdentity`. In chains and across
            accounts, the calling principal's permissions must allow it too.""",
        "citation": {"title": "IAM User Guide: Monitor and control actions taken with assumed roles",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html"},
    },
]
