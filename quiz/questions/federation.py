"""Federation (SAML, OIDC) and IAM Identity Center (aws-sts-facts.md §1.3-1.4, §4.4; federation.md)."""
from __future__ import annotations

OIDC_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
DEPLOY_ROLE = "arn:aws:iam::123456789012:role/SecureCart-GitHubDeploy"

QUESTIONS = [
    {
        "id": "fed-saml-vs-oidc",
        "domain": "federation",
        "difficulty": "easy",
        "stem": """SecureCart's staff sign in to Microsoft AD FS, which issues SAML 2.0 assertions. Its GitHub
            Actions pipelines receive OpenID Connect tokens. Which STS operations should each use to obtain AWS
            credentials without IAM users?""",
        "options": [
            {"text": "Staff: `AssumeRoleWithSAML`; pipelines: `AssumeRoleWithWebIdentity`.", "correct": True,
             "why": """Right. SAML assertions go to AssumeRoleWithSAML (with the SAML provider ARN as
                PrincipalArn); OIDC ID tokens go to AssumeRoleWithWebIdentity."""},
            {"text": "Staff: `AssumeRoleWithWebIdentity`; pipelines: `AssumeRoleWithSAML`.",
             "why": """Wrong way round: SAML assertions are not web identity tokens, and GitHub issues OIDC JWTs,
                not SAML."""},
            {"text": "Both: `GetFederationToken`.",
             "why": """Wrong. GetFederationToken must be called with an IAM user's long-term credentials, which is
                what federation is meant to avoid."""},
            {"text": "Both: `GetSessionToken` with MFA.",
             "why": """Wrong. GetSessionToken also needs an IAM user's (or root's) long-term credentials; it does
                not accept assertions or tokens from an external identity provider."""},
        ],
        "explanation": """Both federation calls need no AWS credentials: STS validates the IdP's signed assertion
            or token against the IAM SAML or OIDC provider, checks the role's trust policy
            (`sts:AssumeRoleWithSAML` or `sts:AssumeRoleWithWebIdentity` for the `Federated` principal) and returns
            temporary credentials.""",
        "citation": {"title": "IAM User Guide: Identity providers and federation into AWS",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html"},
    },
    {
        "id": "fed-github-oidc-missing-sub",
        "domain": "federation",
        "difficulty": "hard",
        "style": "will-it-be-allowed",
        "stem": """SecureCart's deploy role trusts GitHub's OIDC provider with the policy shown. A stranger's
            workflow in the repository `mallory/anything` obtains a GitHub token with audience `sts.amazonaws.com`
            and calls `AssumeRoleWithWebIdentity` on the role. What happens?""",
        "exhibits": [{
            "name": "trust",
            "title": "Trust policy of " + DEPLOY_ROLE,
            "policy_kind": "trust",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "GitHubActions",
                    "Effect": "Allow",
                    "Principal": {"Federated": OIDC_PROVIDER},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
                }],
            },
        }],
        "options": [
            {"text": "Allowed: nothing in the trust policy restricts which repository the token comes from.",
             "correct": True,
             "why": """Right, and that is the mistake. Every GitHub workflow can get a token with this audience; only
                a condition on `token.actions.githubusercontent.com:sub` (e.g. `repo:SecureCart/storefront:ref:
                refs/heads/main`) limits the role to SecureCart's repository."""},
            {"text": "Denied by an explicit deny.",
             "why": """Wrong. There is no Deny statement; the policy is too permissive, not too strict."""},
            {"text": "Denied implicitly: the OIDC provider only accepts tokens from SecureCart's GitHub "
                     "organisation.",
             "why": """Wrong. The IAM OIDC provider checks the token's issuer, signature and audience; the issuer is
                the same for every GitHub repository."""},
        ],
        "explanation": """For GitHub Actions, AWS documents two conditions: `...:aud` = `sts.amazonaws.com` and
            `...:sub` matching your repository (StringEquals for an exact branch, StringLike for
            `repo:Org/Repo:*`). Without the `sub` condition any repository on GitHub can assume the role. The
            decision below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Create a role for OpenID Connect federation",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html"},
        "engine": {
            "check": "authorize",
            "principal": {"arn": "", "account": None, "kind": "web-identity", "federated": OIDC_PROVIDER},
            "action": "sts:AssumeRoleWithWebIdentity",
            "resource": DEPLOY_ROLE,
            "context": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:mallory/anything:ref:refs/heads/main",
                "aws:FederatedProvider": OIDC_PROVIDER,
            },
            "identity": [],
            "resource_policy": "trust",
            "resource_account": "123456789012",
            "resource_policy_required": True,
            "expect": "allow",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "fed-identity-center-permission-sets",
        "domain": "federation",
        "difficulty": "medium",
        "stem": """SecureCart has 20 AWS accounts in AWS Organizations and its workforce is in Okta. Developers must
            get the same read-only access in every account with one sign-in, and access must be managed centrally.
            What should the solutions architect use?""",
        "options": [
            {"text": "IAM Identity Center with Okta as the identity source, and a permission set assigned to the "
                     "developers' group in each account.",
             "correct": True,
             "why": """Right. Identity Center provisions a role for the permission set in each assigned account and
                hands out its temporary credentials through the access portal."""},
            {"text": "An IAM user per developer in every account, in a group with a read-only policy.",
             "why": """Wrong. 20 sets of long-term credentials per developer, managed per account, is the opposite
                of central management."""},
            {"text": "A single IAM user shared by all developers, with its keys stored in Secrets Manager.",
             "why": """Wrong. Shared credentials destroy accountability and are still long-term keys."""},
            {"text": "A service control policy that grants read-only access to the developers.",
             "why": """Wrong. SCPs never grant permissions; they only set the maximum for accounts in an OU."""},
        ],
        "explanation": """A permission set is a template of policies (and a session duration) stored in Identity
            Center. When you assign it to users or groups for an account, Identity Center creates a matching IAM role
            (named `AWSReservedSSO_<PermissionSetName>_<suffix>`) in that account and assumes it for the user, who
            receives short-lived credentials.""",
        "citation": {"title": "IAM Identity Center User Guide: Permission sets",
                     "url": "https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html"},
    },
    {
        "id": "fed-saml-trust-multi",
        "domain": "federation",
        "difficulty": "hard",
        "multi": True,
        "stem": """SecureCart federates AD FS into the role `SecureCart-Support` with SAML 2.0. Which **two**
            statements are correct? (Choose two.)""",
        "options": [
            {"text": "The role's trust policy names the IAM SAML provider as a `Federated` principal and allows "
                     "`sts:AssumeRoleWithSAML`.",
             "correct": True,
             "why": """Right. That is the shape of every SAML trust policy."""},
            {"text": "The trust policy should check `saml:aud` against `https://signin.aws.amazon.com/saml`.",
             "correct": True,
             "why": """Right. `saml:aud` carries the assertion's Recipient; checking it ensures the assertion was
                issued for AWS sign-in."""},
            {"text": "The application calling `AssumeRoleWithSAML` must sign the request with an IAM user's "
                     "access keys.",
             "why": """Wrong. AssumeRoleWithSAML needs no AWS credentials; the signed assertion is the proof of
                identity."""},
            {"text": "STS checks the assertion's signature with the certificate of the IdP's TLS website.",
             "why": """Wrong. STS checks it against the signing certificate in the SAML metadata uploaded to the
                IAM SAML provider."""},
        ],
        "explanation": """In SAML federation the IdP signs an assertion listing the role and provider ARNs the user
            may use. STS verifies the signature with the IAM SAML provider's metadata, then evaluates the role's
            trust policy (Federated principal, `sts:AssumeRoleWithSAML`, conditions such as `saml:aud`) before
            returning temporary credentials.""",
        "citation": {"title": "IAM User Guide: SAML 2.0 federation",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_saml.html"},
    },
    {
        "id": "fed-mobile-cognito",
        "domain": "federation",
        "difficulty": "easy",
        "stem": """SecureCart's new mobile app lets shoppers sign in with Google or Apple and then upload profile
            pictures directly to S3. Which design does AWS recommend?""",
        "options": [
            {"text": "Use an Amazon Cognito identity pool, which exchanges the provider's token for temporary AWS "
                     "credentials of a limited role.",
             "correct": True,
             "why": """Right. For mobile apps AWS recommends Amazon Cognito, which handles the web identity exchange
                and hands the app temporary, scoped credentials."""},
            {"text": "Embed an IAM user's access keys in the app, with a policy that allows only `s3:PutObject`.",
             "why": """Wrong. Keys shipped in an app can be extracted by anyone and cannot be rotated without a new
                release."""},
            {"text": "Call `GetFederationToken` from the app with the shopper's Google password.",
             "why": """Wrong. GetFederationToken needs IAM user credentials, and the app should never see Google
                passwords."""},
            {"text": "Create an IAM user for each shopper at sign-up.",
             "why": """Wrong. IAM users are for a workforce, not millions of customers, and IAM has per-account user
                quotas."""},
        ],
        "explanation": """Web identity federation lets external users obtain temporary credentials for a role without
            any AWS secrets in the app. Amazon Cognito identity pools wrap this for mobile and web apps; the role
            trusts `cognito-identity.amazonaws.com` with conditions on the identity pool (`...:aud`) and on whether
            the user is authenticated (`...:amr`).""",
        "citation": {"title": "IAM User Guide: OIDC federation",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html"},
    },
]
