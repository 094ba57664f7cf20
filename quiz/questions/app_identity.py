"""Application and workforce identity: Cognito user and identity pools, ABAC, permissions-boundary delegation,
IAM Identity Center (SAA-C03 tasks 1.1 and 1.2)."""
from __future__ import annotations

from . import RIGHT, WRONG, question

ABAC = ("IAM User Guide: Define permissions based on attributes with ABAC authorization",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/introduction_attribute-based-access-control.html")
BOUNDARIES = ("IAM User Guide: Permissions boundaries for IAM entities",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html")

QUESTIONS = [
    question(
        "cognito-user-pool-api", domain="federation", difficulty="medium", task="1.2",
        teaches="",
        stem="""SecureCart is building a mobile shopping app. Customers must sign up and sign in with e-mail and
            password, with optional MFA, and the app calls a REST API in Amazon API Gateway that must accept only
            signed-in customers. Which solution has the LEAST operational overhead?""",
        options=[
            (RIGHT, "An Amazon Cognito user pool for sign-up and sign-in, with a user pool authorizer on the API.",
             "Right. The user pool is a managed user directory issuing JWTs (with MFA), and API Gateway validates "
             "those tokens itself."),
            (WRONG, "IAM Identity Center with the customers as users, and IAM authorization on the API.",
             "Wrong. Identity Center is for a workforce signing in to AWS accounts and applications; it offers no "
             "public sign-up for millions of shoppers, and the app would still need to sign API calls."),
            (WRONG, "A Cognito identity pool with unauthenticated access, and IAM authorization on the API.",
             "Wrong. An identity pool hands out AWS credentials; it is not a user directory and unauthenticated "
             "access lets anyone in."),
            (WRONG, "A Lambda authorizer that checks e-mail and password against hashes stored in a DynamoDB "
                    "table.",
             "Wrong. It works, but storing and checking passwords, MFA and resets is exactly what a user pool "
             "manages for you."),
        ],
        explanation="""A Cognito user pool is a user directory and OIDC identity provider for application users
            (sign-up, sign-in, MFA, federation with social or SAML IdPs). API Gateway REST APIs can use a Cognito
            user pool authorizer to accept only valid tokens from the pool.""",
        cite=("Amazon API Gateway Developer Guide: Control access to REST APIs using Amazon Cognito user pools as "
              "an authorizer",
              "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html")),
    question(
        "cognito-user-and-identity-pools", domain="federation", difficulty="hard", task="1.2",
        teaches="", multi=True,
        stem="""Signed-in customers of the mobile app must upload profile photos straight to S3, each customer only
            under their own prefix, with no AWS keys in the app. Which two components should the solutions architect
            use? (Choose two.)""",
        options=[
            (RIGHT, "A Cognito user pool that signs the customers in.",
             "Right. It authenticates customers and issues the tokens the identity pool accepts."),
            (RIGHT, "A Cognito identity pool that exchanges the user pool token for temporary credentials of a role "
                    "whose policy allows `s3:PutObject` on `photos/${cognito-identity.amazonaws.com:sub}/*`.",
             "Right. The identity pool calls AssumeRoleWithWebIdentity for the app, and the policy variable keeps "
             "each customer in their own prefix."),
            (WRONG, "A bucket policy that names the identity pool's ARN as principal for `s3:PutObject`.",
             "Wrong. An identity pool is not a principal that S3 recognizes; the app acts through the role whose "
             "credentials the pool hands out, and that role's policy does the scoping."),
            (WRONG, "An S3 access point per customer, created by a Lambda function at sign-up.",
             "Wrong. Access points still need credentials to be signed for, and one per customer soon reaches the "
             "per-account quota; the role policy variable scopes every customer with one policy."),
            (WRONG, "An Application Load Balancer in front of S3 with an authenticate-cognito rule.",
             "Wrong. ALB cannot front S3 uploads like this, and the app would still need AWS credentials to sign."),
        ],
        explanation="""User pools answer "who is this customer?"; identity pools answer "which AWS credentials do they
            get?". An identity pool trusts the user pool as a provider and gives each identity a stable ID usable as
            the policy variable `${cognito-identity.amazonaws.com:sub}`, so one role policy scopes every customer to
            their own data.""",
        cite=("Amazon Cognito Developer Guide: Amazon Cognito identity pools",
              "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-identity.html")),
    question(
        "alb-authenticate-oidc", domain="federation", difficulty="easy", task="1.2",
        teaches="",
        stem="""An internal web dashboard runs on EC2 behind an Application Load Balancer. Only SecureCart staff,
            signed in through the corporate OIDC identity provider, may reach it, and the dashboard's code must not
            change. What should the solutions architect do?""",
        options=[
            (RIGHT, "An `authenticate-oidc` action on the ALB listener rule, before the forward action.",
             "Right. The ALB runs the OIDC sign-in and forwards only authenticated requests, with the user's claims "
             "in headers."),
            (WRONG, "OIDC sign-in code in the dashboard, using the corporate IdP's client library.",
             "Wrong. The requirement is no code change."),
            (WRONG, "A security group on the ALB that allows only the office's public IP address range.",
             "Wrong. It limits the network path, not who the person is; staff away from the office are locked out."),
            (WRONG, "CloudFront in front of the ALB, with signed cookies required on every request.",
             "Wrong. Signed cookies need an application to issue them after a sign-in, which is what is missing."),
        ],
        explanation="""Application Load Balancers can authenticate users with any OIDC-compliant IdP or with a Cognito
            user pool before routing, offloading sign-in from the application.""",
        cite=("Elastic Load Balancing User Guide: Authenticate users using an Application Load Balancer",
              "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html")),
    question(
        "abac-project-tags", domain="tags", difficulty="medium", task="1.1",
        teaches="federation-idp/saml-sign-in", tags=("session tag",),
        stem="""SecureCart has 60 project teams, and new ones start every month. Each team's engineers may manage only
            the EC2 instances of their own project. Engineers sign in with a `project` session tag; instances carry
            a `project` tag. Which approach needs the LEAST policy maintenance as teams are added?""",
        options=[
            (RIGHT, "One policy allowing the actions when `aws:ResourceTag/project` equals "
                    "`${aws:PrincipalTag/project}`.",
             "Right. Attribute-based access control: the same policy serves every team, and a new team only needs "
             "tags."),
            (WRONG, "A role and policy for each project that list the ARNs of the project's instances.",
             "Wrong. Role-based access with resource lists must be edited for every team and every new instance."),
            (WRONG, "An OU per project with an SCP allowing EC2 actions only on that project's instances.",
             "Wrong. SCPs never grant permissions, accounts would have to be split per project, and every new "
             "team means a new OU and SCP."),
            (WRONG, "A permissions boundary per team allowing EC2 actions only on the team's instance IDs, kept "
                    "current by a pipeline.",
             "Wrong. Boundaries never grant, and lists of instance IDs must change with every launch; tags scale "
             "with no edits."),
        ],
        explanation="""ABAC uses tags on principals and resources, compared in conditions with policy variables such
            as `${aws:PrincipalTag/project}`. Permissions follow the tags, so the number of policies does not grow
            with the number of teams or resources.""",
        cite=ABAC),
    question(
        "abac-protect-tags", domain="tags", difficulty="hard", task="1.1",
        teaches="",
        stem="""In SecureCart's ABAC design, engineers may stop instances whose `project` tag equals their own
            `project` session tag. A tester shows that an engineer can retag another team's instance with their own
            project and then stop it. Which addition closes the gap?""",
        options=[
            (RIGHT, "Allow tagging only when the resource's and the request's `project` tags equal the "
                    "caller's own.",
             "Right. ABAC is only as strong as the control over tags: principals must not be able to set the "
             "authorizing tag on resources they do not own."),
            (WRONG, "Require MFA for `ec2:StopInstances` and `ec2:CreateTags` in the engineers' policy.",
             "Wrong. The engineer has MFA; retagging would still work."),
            (WRONG, "Make the `project` session tag transitive, so that no later session of the engineers can "
                    "change its value.",
             "Wrong. Transitivity is about role chaining, not about who may change resource tags."),
            (WRONG, "Add a permissions boundary that allows `ec2:*` in the engineers' own Region only.",
             "Wrong. A boundary limits what is allowed; allowing `ec2:*` in it restricts nothing here."),
        ],
        explanation="""When tags grant access, tagging is a privileged action. Policies should control tag changes
            with `aws:RequestTag/key`, `aws:TagKeys` and `aws:ResourceTag/key`, and session tags should come from
            the identity provider, not be chosen by the user.""",
        cite=ABAC),
    question(
        "abac-identity-center-attributes", domain="tags", difficulty="hard", task="1.1",
        teaches="",
        stem="""SecureCart's workforce signs in through IAM Identity Center with Okta as the identity source. Access to
            cost reports must depend on each person's `department` attribute in Okta, across all accounts, without a
            permission set per department. What should the solutions architect configure?""",
        options=[
            (RIGHT, "Turn on attributes for access control, map `department`, and test "
                    "`aws:PrincipalTag/department`.",
             "Right. Identity Center passes the attribute as a session tag, so one permission set serves every "
             "department."),
            (WRONG, "One permission set per department, each assigned to that department's Okta group.",
             "Wrong. It works, but it is the maintenance the requirement wants to avoid."),
            (WRONG, "Tag the IAM users in every account with their department, and test "
                    "`aws:ResourceTag/department` in each account.",
             "Wrong. Identity Center users are not IAM users; the tags would have to be kept in every account."),
            (WRONG, "An SCP per department OU that allows that department's cost reports only.",
             "Wrong. SCPs never grant permissions."),
        ],
        explanation="""Identity Center's attributes for access control take user attributes from the identity source
            (or SAML assertions) and pass them as session tags when the user signs in to an account, so policies can
            use them as `aws:PrincipalTag/<key>`.""",
        cite=("IAM Identity Center User Guide: Attribute-based access control",
              "https://docs.aws.amazon.com/singlesignon/latest/userguide/abac.html")),
    question(
        "boundary-delegated-role-creation", domain="guardrails", difficulty="hard", task="1.1",
        teaches="challenge:boundary-stops-escalation", tags=("permissions boundary",),
        stem="""Developers need to create IAM roles for their own Lambda functions without waiting for the platform
            team, but must never be able to create a role more powerful than the `DevBoundary` policy allows. Which
            solution meets the requirement?""",
        options=[
            (RIGHT, "Allow `iam:CreateRole` only with `iam:PermissionsBoundary` set to `DevBoundary`, and deny "
                    "removing it.",
             "Right. Every role developers create must carry the boundary, and they cannot remove it, so no created "
             "role exceeds it."),
            (WRONG, "Give developers `iam:*`, and review every role they created in a weekly access review "
                    "meeting.",
             "Wrong. Privilege escalation is possible in the week before the review."),
            (WRONG, "Have the platform team create each role from a ticket that the developers open in advance.",
             "Wrong. It is safe but it is the waiting the requirement removes."),
            (WRONG, "Attach `DevBoundary` as the permissions boundary of the developers' own role.",
             "Wrong. It caps the developers, not the roles they create: a new role without the boundary can have "
             "any permissions, and a developer who may pass it to Lambda gets them."),
        ],
        explanation="""Permissions boundaries enable safe delegation: require the boundary on principals that
            delegated administrators create (`iam:PermissionsBoundary` condition), and deny actions that would remove
            or alter it (`iam:DeleteRolePermissionsBoundary`, editing the boundary policy).""",
        cite=BOUNDARIES),
    question(
        "boundary-effective-permissions", domain="guardrails", difficulty="medium", task="1.1",
        teaches="challenge:boundary-stops-escalation", tags=("permissions boundary",),
        stem="""The IAM user `contractor-kim` has an identity policy allowing `s3:*` and `ec2:*`, and a permissions
            boundary allowing `s3:*` and `cloudwatch:*`. No other policies apply. Which actions can Kim perform?""",
        options=[
            (RIGHT, "S3 actions only.",
             "Right. Effective permissions are the intersection of the identity policy and the boundary."),
            (WRONG, "S3, EC2 and CloudWatch actions.",
             "Wrong. A boundary never adds permissions; it only limits."),
            (WRONG, "S3 and CloudWatch actions.",
             "Wrong. The identity policy does not allow CloudWatch, and the boundary cannot grant it."),
            (WRONG, "S3 and EC2 actions.",
             "Wrong. EC2 is outside the boundary, so it is denied."),
        ],
        explanation="""A permissions boundary sets the maximum permissions an identity policy can give a user or
            role. Only actions allowed by both are effective (resource-based policies can add access in some same-
            account cases).""",
        cite=BOUNDARIES),
    question(
        "idc-permission-set-session-duration", domain="federation", difficulty="easy", task="1.1",
        teaches="identity-center/permission-set", tags=("permission set", "session duration"),
        stem="""Engineers get CLI credentials from IAM Identity Center, and they expire after one hour in the middle of
            long data migrations. The migrations take up to 8 hours. What is the MOST operationally efficient
            fix?""",
        options=[
            (RIGHT, "Set the permission set's session duration to 8 hours.",
             "Right. The permission set's session duration (1 to 12 hours) governs the account session, and "
             "Identity Center applies it to the roles it provisions."),
            (WRONG, "Edit `MaxSessionDuration` on the `AWSReservedSSO_...` role in each account.",
             "Wrong. Identity Center manages those roles; change the permission set instead."),
            (WRONG, "Create IAM users with access keys for the migrations.",
             "Wrong. That trades a setting for long-term credentials."),
            (WRONG, "Call `GetSessionToken` with the Identity Center credentials to extend them.",
             "Wrong. GetSessionToken must be called with an IAM user's long-term credentials, not with role "
             "credentials."),
        ],
        explanation="""Each permission set has a session duration from 1 to 12 hours (1 hour by default) that limits
            how long users can stay signed in to an account with it; Identity Center sets it on the provisioned
            roles.""",
        cite=("IAM Identity Center User Guide: Set session duration",
              "https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosessionduration.html")),
    question(
        "idc-multi-account-least-privilege", domain="federation", difficulty="medium", task="1.1",
        teaches="identity-center/assign", tags=("permission set", "account assignment"), multi=True,
        stem="""With IAM Identity Center, SecureCart wants developers to have full access in development accounts and
            read-only access in production accounts, managed from Okta groups. Which two steps achieve this?
            (Choose two.)""",
        options=[
            (RIGHT, "Create two permission sets: one with `PowerUserAccess`, one with `ReadOnlyAccess`.",
             "Right. Permission sets are the reusable templates of access."),
            (RIGHT, "Assign the developers' Okta group to the development accounts with the first permission set and "
                    "to the production accounts with the second.",
             "Right. Assignments combine a group, an account and a permission set."),
            (WRONG, "Create IAM roles manually in every account with those policies.",
             "Wrong. Identity Center creates and maintains those roles from the permission sets."),
            (WRONG, "Attach the policies to the Okta group directly.",
             "Wrong. IAM policies cannot be attached to groups in an external identity provider."),
            (WRONG, "Attach an SCP granting `PowerUserAccess` to the development OU.",
             "Wrong. SCPs never grant permissions."),
        ],
        explanation="""Identity Center access is granted by assigning users or groups from the identity source to AWS
            accounts with a permission set; Identity Center provisions an IAM role for each permission set in each
            assigned account.""",
        cite=("IAM Identity Center User Guide: Permission sets",
              "https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html")),
]
