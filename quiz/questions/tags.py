"""Session tags, transitive tags and SourceIdentity (aws-sts-facts.md §2 "Session tags", "SourceIdentity")."""
from __future__ import annotations

QUESTIONS = [
    {
        "id": "tags-tagsession-permission",
        "domain": "tags",
        "teaches": "federation-idp/saml-sign-in",
        "difficulty": "medium",
        "stem": """SecureCart's Okta SAML assertions now carry a `PrincipalTag:CostCenter` attribute so that
            attribute-based access control can use `aws:PrincipalTag/CostCenter`. Immediately every federated sign-in
            to `SecureCart-Support` fails with `AccessDenied`. What is missing?""",
        "options": [
            {"text": "`sts:TagSession` in the role's trust policy, next to `sts:AssumeRoleWithSAML`.",
             "correct": True,
             "why": """Right. Passing session tags requires the trust policy to allow `sts:TagSession` for the same
                principal; otherwise the whole assumption is denied."""},
            {"text": "The tag must also be added to the role with `iam:TagRole`.",
             "why": """Wrong. Session tags are passed per session; they do not need to exist on the role (and when
                they do, the session tag wins)."""},
            {"text": "SAML federation cannot pass session tags; only AssumeRole can.",
             "why": """Wrong. SAML (and OIDC) can pass session tags as assertion attributes or token claims."""},
            {"text": "The attribute value must be at most 16 characters.",
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
        "teaches": "role-chaining/second-hop",
        "difficulty": "hard",
        "stem": """A user assumes `SecureCart-Ops` with the session tag `Project=checkout`, then from that session
            assumes `SecureCart-Checkout`, whose trust policy requires
            `"StringEquals": {"aws:PrincipalTag/Project": "checkout"}`. The second call is denied. What should the
            first `AssumeRole` call have included?""",
        "options": [
            {"text": "`TransitiveTagKeys=[\"Project\"]`, so the tag is carried into the next session of the chain.",
             "correct": True,
             "why": """Right. Session tags are not passed on to a chained session unless marked transitive."""},
            {"text": "`DurationSeconds=43200`, so the tag does not expire.",
             "why": """Wrong. Tags do not expire separately from the session; chaining is capped at one hour
                anyway."""},
            {"text": "A session policy that allows `sts:TagSession`.",
             "why": """Wrong. Session policies limit permissions; they do not make tags transitive."""},
            {"text": "Nothing: all session tags are transitive by default.",
             "why": """Wrong. Only keys listed in `TransitiveTagKeys` persist through role chaining."""},
        ],
        "explanation": """Transitive session tags persist for the whole role chain, and later sessions cannot override
            them. Role tags themselves can never be made transitive, and GetFederationToken tags cannot be
            transitive either.""",
        "citation": {"title": "IAM User Guide: Pass session tags in AWS STS",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"},
    },
    {
        "id": "tags-source-identity-audit",
        "domain": "tags",
        "teaches": "role-chaining/ci-identity",
        "difficulty": "medium",
        "stem": """Engineers federate into `SecureCart-Ops` and often chain into other roles. Security wants every
            CloudTrail event, even after several hops, to show which human started the chain, and no one should be
            able to change that value later in the chain. Which solution meets these requirements with the LEAST operational overhead?""",
        "options": [
            {"text": "Set `SourceIdentity` (e.g. to the user's corporate ID) when the first role is assumed.",
             "correct": True,
             "why": """Right. Once set, source identity cannot be changed for the session or any session chained
                from it, and it is logged in CloudTrail."""},
            {"text": "A non-transitive session tag called `User`.",
             "why": """Wrong. A non-transitive tag disappears on the next hop, and tags are not a tamper-proof audit
                trail."""},
            {"text": "The role session name.",
             "why": """Wrong. Each hop chooses its own RoleSessionName, so a later hop can pick any value."""},
            {"text": "`GetCallerIdentity` at the start of each script.",
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
        "teaches": "federation-idp/saml-sign-in",
        "difficulty": "hard",
        "stem": """A SAML IdP starts sending the `SourceIdentity` attribute. Federated sign-ins to
            `SecureCart-Analytics` now fail with `AccessDenied ... not authorized to perform: sts:SetSourceIdentity`.
            What fixes it?""",
        "options": [
            {"text": "Allow `sts:SetSourceIdentity` for the SAML provider principal in the role's trust policy.",
             "correct": True,
             "why": """Right. Setting a source identity requires `sts:SetSourceIdentity` in the trust policy of the
                role being assumed."""},
            {"text": "Allow `sts:SetSourceIdentity` in the role's permission policy.",
             "why": """Wrong. The role's permission policy governs what the session does afterwards, not what may be
                set while assuming it."""},
            {"text": "Remove `sts:AssumeRoleWithSAML` from the trust policy.",
             "why": """Wrong. Without it, no SAML user could assume the role at all."""},
            {"text": "Ask AWS Support to enable source identity for the account.",
             "why": """Wrong. Source identity needs no account-level enablement, only the trust policy
                permission."""},
        ],
        "explanation": """Like session tags (`sts:TagSession`), a source identity is something the caller asks STS to
            attach to the session, so the role's trust policy must allow `sts:SetSourceIdentity`. In chains and across
            accounts, the calling principal's permissions must allow it too.""",
        "citation": {"title": "IAM User Guide: Monitor and control actions taken with assumed roles",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html"},
    },
]
