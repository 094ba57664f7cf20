"""Federation (SAML, OIDC) and IAM Identity Center (aws-sts-facts.md §1.3-1.4, §4.4; federation.md)."""
from __future__ import annotations

OIDC_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
DEPLOY_ROLE = "arn:aws:iam::123456789012:role/SecureCart-GitHubDeploy"

QUESTIONS = [
    {
        "id": "fed-saml-vs-oidc",
        "domain": "federation",
        "teaches": "federation-idp/saml-sign-in",
        "tags": ["AssumeRoleWithSAML", "SAML assertion"],
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
        "task": "1.1",
        "teaches": "federation-idp/github-actions-oidc",
        "tags": ["token.actions.githubusercontent.com:sub", "aud"],
        "stem": """SecureCart moves its deployments to GitHub Actions and wants no long-term AWS keys in GitHub. A
            platform engineer registers GitHub's OIDC provider in IAM and creates the deploy role with the trust
            policy shown, which checks only the audience. Which statement about this role is MOST accurate?""",
        "exhibits": [{
            "name": "trust",
            "title": "Proposed trust policy of " + DEPLOY_ROLE,
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
            {"text": "Any GitHub Actions workflow, in any repository, can get a token with this audience and "
                     "assume the role.",
             "correct": True,
             "why": """Right. GitHub's issuer and the `sts.amazonaws.com` audience are the same for every workflow
                on GitHub, so a trust policy that checks only `aud` trusts all of them. AWS's setup for GitHub adds a
                condition on `token.actions.githubusercontent.com:sub` that names SecureCart's repository and branch
                (or environment)."""},
            {"text": "Only workflows of the GitHub organization that registered the OIDC provider can assume the "
                     "role.",
             "why": """Wrong. The IAM OIDC provider checks the token's issuer, signature and audience; the issuer is
                the same for every repository on GitHub, so registering it says nothing about whose workflows."""},
            {"text": "Each workflow must also pass an ExternalId that names its own repository before STS issues any "
                     "credentials.",
             "why": """Wrong. ExternalId is an AssumeRole parameter for third-party access; AssumeRoleWithWebIdentity
                has none. The repository is identified by the token's `sub` claim."""},
            {"text": "Only GitHub-hosted runners can assume it, because STS checks their published IP address "
                     "ranges.",
             "why": """Wrong. STS checks no source address unless a condition asks for one, and GitHub-hosted
                runners share address ranges with every other GitHub customer anyway; the `sub` claim is the
                control."""},
        ],
        "explanation": """For GitHub Actions, AWS's guide for OIDC roles shows two conditions: `...:aud` equal to
            `sts.amazonaws.com`, and `...:sub` matching the repository, branch or environment allowed to deploy
            (StringEquals for one branch, StringLike for a pattern such as `repo:securecart/storefront:*`). Without
            the `sub` condition the role trusts every workflow that can reach GitHub's token endpoint. The lab's
            scenario step and the "main branch only" challenge let a stranger's token in and then pin `sub`.""",
        "citation": {"title": "IAM User Guide: Create a role for OpenID Connect federation (console)",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html"},
    },
    {
        "id": "fed-identity-center-permission-sets",
        "domain": "federation",
        "teaches": "identity-center/assign",
        "tags": ["permission set", "group"],
        "difficulty": "medium",
        "stem": """SecureCart has 20 AWS accounts in AWS Organizations and its workforce is in Okta. Developers must
            get the same read-only access in every account with one sign-in, and access must be managed centrally.
            Which solution meets these requirements with the LEAST operational overhead?""",
        "options": [
            {"text": "IAM Identity Center with Okta as identity source, and one permission set assigned to the "
                     "group.",
             "correct": True,
             "why": """Right. Identity Center provisions a role for the permission set in each assigned account and
                hands out its temporary credentials through the access portal."""},
            {"text": "An IAM user per developer in each account, placed in a group with `ReadOnlyAccess`.",
             "why": """Wrong. 20 sets of long-term credentials per developer, managed per account, is the opposite
                of central management."""},
            {"text": "SAML federation from Okta into a read-only IAM role created by hand in each of the 20 "
                     "accounts.",
             "why": """Wrong. It works, but the 20 roles and their trust policies are created and kept in step by
                hand, account by account; Identity Center provisions and updates them from one permission set."""},
            {"text": "A service control policy on the organization root that grants the developers read-only "
                     "access everywhere.",
             "why": """Wrong. SCPs never grant permissions. Attached to the organization root, an OU or an
                individual account, they only set the maximum permissions of the accounts below them."""},
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
        "teaches": "federation-idp/saml-sign-in",
        "tags": ["SAML:aud", "AssumeRoleWithSAML"],
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
            {"text": "The trust policy must name each person's IdP user name in `Principal`, one statement each.",
             "why": """Wrong. The principal of a SAML trust policy is the IAM SAML provider; to admit only some
                people, add a condition on `saml:sub` (or on attributes), not a principal per person."""},
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
        "teaches": "federation-idp/github-actions-oidc",
        "tags": ["AssumeRoleWithWebIdentity", "OIDC"],
        "difficulty": "easy",
        "stem": """SecureCart's new mobile app lets shoppers sign in with Google or Apple and then upload profile
            pictures directly to S3. Which design meets the requirement with the LEAST operational overhead and no AWS keys in the app?""",
        "options": [
            {"text": "An Amazon Cognito identity pool that trades the provider's token for a limited role's "
                     "credentials.",
             "correct": True,
             "why": """Right. For mobile apps AWS recommends Amazon Cognito, which handles the web identity exchange
                and hands the app temporary, scoped credentials."""},
            {"text": "An IAM user's access keys embedded in the app, with a policy allowing only `s3:PutObject`.",
             "why": """Wrong. Keys shipped in an app can be extracted by anyone and cannot be rotated without a new
                release."""},
            {"text": "A backend that calls `GetFederationToken` with a service user's keys for each shopper who "
                     "signs in.",
             "why": """Wrong for this requirement. Such a token vending service works, but it is code and servers to
                run, and it needs an IAM user's long-term keys on the backend; Cognito does the exchange for
                you."""},
            {"text": "A bucket policy that allows `s3:PutObject` to every shopper signed in through `accounts.google.com`.",
             "why": """Wrong. A bucket policy cannot authenticate a Google sign-in: the app would still have to sign
                its requests with AWS credentials, which is what the identity pool provides."""},
        ],
        "explanation": """Web identity federation lets external users obtain temporary credentials for a role without
            any AWS secrets in the app. Amazon Cognito identity pools wrap this for mobile and web apps; the role
            trusts `cognito-identity.amazonaws.com` with conditions on the identity pool (`...:aud`) and on whether
            the user is authenticated (`...:amr`).""",
        "citation": {"title": "IAM User Guide: OIDC federation",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html"},
    },
]
