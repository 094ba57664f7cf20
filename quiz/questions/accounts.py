"""Task 1.1 beyond roles and STS: AWS Control Tower, the shared responsibility model, federating a directory
(AWS Managed Microsoft AD, AD Connector), IAM groups, and how identity and resource policies combine within an
account (the "evaluation" topic, where the engine-made questions are filed too)."""
from __future__ import annotations

from quiz.citations import IAM, S3, cite

from . import RIGHT, WRONG, question

DIRECTORY = "https://docs.aws.amazon.com/directoryservice/latest/admin-guide/"
INVOICES = "securecart-invoices"
ALICE = "arn:aws:iam::123456789012:user/dev-alice"
_ALICE_PRINCIPAL = {"arn": ALICE, "account": "123456789012", "kind": "user", "username": "dev-alice",
                    "userid": "AIDAEXAMPLEDEVALICE"}

QUESTIONS = [
    # ---- multi-account governance --------------------------------------------------------------------------------
    question(
        "control-tower-landing-zone", domain="organizations", difficulty="easy", task="1.1", teaches="",
        stem="""SecureCart is starting a multi-account environment. It wants best-practice guardrails on every
            account, a central log archive and audit account, and a standard way to create new accounts, with the
            LEAST effort. Which service should the solutions architect use?""",
        options=[
            (RIGHT, "AWS Control Tower, which sets up a landing zone with controls, a log archive and Account "
                    "Factory.",
             "Right. Control Tower builds the landing zone on Organizations, IAM Identity Center, CloudTrail and "
             "Config, applies managed controls, and vends new accounts with Account Factory."),
            (WRONG, "AWS Organizations with hand-written SCPs, and StackSets that set up logging in each account.",
             "Wrong. It can reach the same result, but every guardrail, log setup and account baseline is built and "
             "maintained by hand."),
            (WRONG, "IAM Identity Center alone, with a permission set per account for the administrators.",
             "Wrong. Identity Center manages workforce access; it sets no guardrails, logging or account "
             "creation."),
            (WRONG, "AWS Config in the management account, with rules that create new accounts when needed.",
             "Wrong. Config rules evaluate configurations; they do not create accounts or build a landing zone."),
        ],
        explanation="""AWS Control Tower orchestrates a well-architected multi-account environment (a landing zone):
            a management account, a log archive and an audit account, organizational units, preventive controls
            (SCPs, RCPs), detective controls (Config rules) and proactive controls (CloudFormation hooks), and
            Account Factory for new accounts.""",
        cite=cite("https://docs.aws.amazon.com/controltower/latest/userguide/what-is-control-tower.html")),
    question(
        "control-tower-detective-control", domain="organizations", difficulty="medium", task="1.1", teaches="",
        stem="""In SecureCart's Control Tower landing zone, the security team wants to be told (not prevented) when
            any enrolled account has an S3 bucket that allows public read access. Which kind of Control Tower control
            does that?""",
        options=[
            (RIGHT, "A detective control, which AWS Control Tower implements with AWS Config rules.",
             "Right. Detective controls evaluate resources after the fact and report noncompliance on the Control "
             "Tower dashboard, without blocking anything."),
            (WRONG, "A preventive control, which AWS Control Tower implements with service control policies.",
             "Wrong. Preventive controls stop the action; the team wants to be informed, not to block."),
            (WRONG, "A proactive control, which checks CloudFormation templates before resources are created.",
             "Wrong. Proactive controls check resources created through CloudFormation, before creation; buckets "
             "made any other way, and later changes, are not seen."),
            (WRONG, "An IAM Access Analyzer archive rule, configured in the management account.",
             "Wrong. Archive rules hide findings; they are not a Control Tower control."),
        ],
        explanation="""Control Tower controls (also called guardrails) come in three behaviours: preventive (SCPs
            and RCPs that disallow actions), detective (Config rules that detect noncompliant resources) and
            proactive (CloudFormation hooks that check resources before they are provisioned).""",
        cite=cite("https://docs.aws.amazon.com/controltower/latest/userguide/what-is-control-tower.html")),
    # ---- shared responsibility -----------------------------------------------------------------------------------
    question(
        "shared-responsibility-rds", domain="governance", difficulty="easy", task="1.1", teaches="",
        stem="""SecureCart moves its MySQL database from an EC2 instance to Amazon RDS. Under the shared
            responsibility model, which task remains SecureCart's?""",
        options=[
            (RIGHT, "Managing database users, their privileges, and which networks can reach the instance.",
             "Right. Security in the cloud stays the customer's: database accounts and permissions, security groups, "
             "encryption choices and IAM access to the RDS API."),
            (WRONG, "Applying security patches to the operating system of the database host.",
             "Wrong. With RDS, AWS patches the host operating system and the database engine (you choose the "
             "maintenance window)."),
            (WRONG, "Replacing failed storage hardware behind the instance's volumes.",
             "Wrong. Hardware is AWS's part: security and upkeep of the cloud itself."),
            (WRONG, "Controlling physical access to the data centers that run the instance.",
             "Wrong. Physical security of facilities is always AWS's responsibility."),
        ],
        explanation="""AWS is responsible for security of the cloud (facilities, hardware, the virtualization layer,
            and for managed services such as RDS the operating system and engine patching); the customer is
            responsible for security in the cloud: data, identities and permissions, network access, and
            configuration of the service.""",
        cite=cite("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.html")),
    question(
        "shared-responsibility-lambda", domain="governance", difficulty="medium", task="1.1", teaches="",
        multi=True,
        stem="""SecureCart moves an image-resizing service from EC2 instances to AWS Lambda with a managed runtime.
            Which two security tasks move from SecureCart to AWS? (Choose two.)""",
        options=[
            (RIGHT, "Patching the guest operating system the code runs on.",
             "Right. Lambda runs functions on infrastructure AWS manages, operating system included."),
            (RIGHT, "Applying security updates to the managed language runtime.",
             "Right. For managed runtimes, Lambda applies runtime security patches (by default automatically)."),
            (WRONG, "Granting the function's execution role only the permissions it needs.",
             "Wrong. IAM permissions are configuration in the cloud: still SecureCart's job."),
            (WRONG, "Protecting the function's code against injection through the images it processes.",
             "Wrong. The application code and its input validation remain the customer's."),
            (WRONG, "Deciding who may update the function's code and configuration.",
             "Wrong. Access to the function is controlled with SecureCart's IAM policies."),
        ],
        explanation="""The more managed the service, the more of the stack AWS secures. With Lambda, AWS operates the
            compute fleet, operating system and managed runtimes; the customer keeps the code, its dependencies,
            the data, IAM permissions and configuration.""",
        cite=cite("https://docs.aws.amazon.com/lambda/latest/dg/lambda-security.html")),
    # ---- directory federation ------------------------------------------------------------------------------------
    question(
        "directory-ad-connector", domain="federation", difficulty="medium", task="1.1", teaches="",
        stem="""SecureCart's staff accounts live in an on-premises Active Directory. Staff must sign in to IAM
            Identity Center with their AD credentials, and no directory data may be copied or cached in AWS. Which
            solution has the LEAST operational overhead?""",
        options=[
            (RIGHT, "AD Connector, which forwards sign-in requests to the on-premises domain controllers.",
             "Right. AD Connector is a proxy: it stores no directory data, and Identity Center can use it as its "
             "identity source."),
            (WRONG, "AWS Managed Microsoft AD, with the user accounts migrated from the on-premises domain.",
             "Wrong. It creates a second directory in AWS holding the accounts, which the requirement forbids."),
            (WRONG, "Simple AD, synchronized every night from the on-premises domain.",
             "Wrong. Simple AD is a separate directory that stores its own users and does not synchronize with "
             "Microsoft AD."),
            (WRONG, "IAM users created from an AD export, with passwords reset at first sign-in.",
             "Wrong. It copies every identity into IAM as long-term users, to be kept in step by hand."),
        ],
        explanation="""AD Connector redirects directory requests (sign-in, group lookups) to an existing on-premises
            Microsoft AD without caching any information in the cloud. It suits federating an existing directory
            with IAM Identity Center or AWS applications when AD must stay the only store.""",
        cite=cite(DIRECTORY + "directory_ad_connector.html")),
    question(
        "directory-managed-ad-trust", domain="federation", difficulty="hard", task="1.1", teaches="",
        stem="""Windows workloads on EC2 need to join an Active Directory domain, receive Group Policy and use
            Kerberos, and must keep working even if the link to the data center is down. Users must keep their
            on-premises identities. What should the solutions architect deploy?""",
        options=[
            (RIGHT, "AWS Managed Microsoft AD in the VPC, with a trust to the on-premises domain.",
             "Right. Managed Microsoft AD is a real AD that serves the workloads locally, and a forest trust lets "
             "on-premises users be recognized."),
            (WRONG, "AD Connector in the VPC, pointing at the on-premises domain controllers.",
             "Wrong. AD Connector only proxies to the data center, so nothing works when the link is down."),
            (WRONG, "IAM Identity Center with the on-premises directory as its identity source.",
             "Wrong. Identity Center gives people access to AWS accounts and apps; it cannot join servers to a "
             "domain."),
            (WRONG, "An Amazon Cognito user pool federated with the on-premises AD through SAML.",
             "Wrong. User pools sign application users in; they provide no domain join, Group Policy or "
             "Kerberos."),
        ],
        explanation="""AWS Managed Microsoft AD runs Microsoft Active Directory domain controllers managed by AWS in
            your VPC. Workloads join it directly; a trust relationship with an on-premises domain lets existing
            users authenticate, while the AWS domain keeps serving when the connection is interrupted.""",
        cite=cite(DIRECTORY + "directory_microsoft_ad.html")),
    # ---- IAM groups ---------------------------------------------------------------------------------------------
    question(
        "iam-groups-shared-permissions", domain="governance", difficulty="easy", task="1.1", teaches="",
        stem="""In an older account that still uses IAM users, 12 developers need the same permissions, and people
            join and leave every month. Which approach keeps their permissions consistent with the LEAST
            effort?""",
        options=[
            (RIGHT, "Attach the policy to an IAM group, and add or remove users from the group.",
             "Right. Users inherit the group's policies; joining or leaving is one membership change."),
            (WRONG, "Give each user an inline policy with the same permissions when they join.",
             "Wrong. Every change to the permissions means editing twelve policies."),
            (WRONG, "Attach the customer managed policy to each user individually when they join.",
             "Wrong. It shares one policy, but attachments must be managed user by user."),
            (WRONG, "Name the group as the principal in the bucket and key policies the developers use.",
             "Wrong. A group is not a principal and cannot be named in a resource-based policy."),
        ],
        explanation="""An IAM user group is a collection of IAM users; policies attached to the group apply to every
            member. Groups cannot be nested, cannot be named as principals, and are not identities that sign
            requests.""",
        cite=cite(IAM + "id_groups.html")),
    {
        "id": "iam-group-not-a-principal", "domain": "evaluation", "difficulty": "medium", "task": "1.1",
        "style": "spot-the-mistake", "teaches": "",
        "stem": """To let the auditors' IAM group read invoices, an engineer writes the bucket policy shown for
            `securecart-invoices`. S3 refuses to save it. What is the correct way to grant the access?""",
        "exhibits": [{"name": "bucket", "title": f"Proposed bucket policy of {INVOICES}", "policy_kind": "resource",
                      "bucket": INVOICES,
                      "policy": {"Version": "2012-10-17", "Statement": [{
                          "Sid": "AuditorsRead", "Effect": "Allow",
                          "Principal": {"AWS": "arn:aws:iam::123456789012:group/Auditors"},
                          "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{INVOICES}/*"}]}}],
        "options": [
            {"text": "Attach an identity policy allowing `s3:GetObject` on the bucket's objects to the group itself.",
             "correct": True,
             "why": """Right. Groups cannot be principals; a policy attached to the group applies to each member, and
                in the same account that identity policy is enough."""},
            {"text": "Write the group ARN with its path, `group/audit/Auditors`, so that S3 can resolve it.",
             "why": """Wrong. No form of a group ARN is a valid principal; the path is not the problem."""},
            {"text": "Name the account `123456789012` as principal; S3 then limits access to the group's members.",
             "why": """Wrong. Naming the account delegates to every identity policy in it; nothing ties it to the
                group unless those policies do."""},
            {"text": "Use `\"Principal\": {\"Group\": \"Auditors\"}`, the element reserved for IAM groups.",
             "why": """Wrong. There is no `Group` principal type; the types are AWS, Federated, Service and
                CanonicalUser."""},
        ],
        "explanation": """A user group is not an identity that makes requests, so it cannot be named in the
            `Principal` element of a resource-based policy; S3 answers `MalformedPolicy: Invalid principal in
            policy`. Grant through the group's identity policies, or name the members' users or roles. The lab's
            engine checks the exhibit as S3 checks a bucket policy below.""",
        "citation": {"title": "IAM User Guide: IAM user groups", "url": IAM + "id_groups.html"},
        "engine": {"check": "parse", "exhibit": "bucket", "expect_error": "Invalid principal in policy"},
    },
    # ---- identity and resource policies in one account -----------------------------------------------------------
    {
        "id": "eval-bucket-deny-beats-identity-allow", "domain": "evaluation", "difficulty": "medium",
        "task": "1.1", "style": "will-it-be-allowed", "teaches": "challenge:find-the-refused-call",
        "tags": ["explicit Deny", "Allow"],
        "stem": """`dev-alice`'s identity policy allows `s3:*` on `securecart-invoices` and its objects. The bucket
            has the policy shown. She deletes `2026/inv-1042.pdf` with her own credentials. What happens?""",
        "exhibits": [{"name": "bucket", "title": f"Bucket policy of {INVOICES}", "policy_kind": "resource",
                      "bucket": INVOICES,
                      "policy": {"Version": "2012-10-17", "Statement": [{
                          "Sid": "OnlyRetentionDeletes", "Effect": "Deny", "Principal": "*",
                          "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{INVOICES}/*",
                          "Condition": {"ArnNotEquals": {
                              "aws:PrincipalArn": "arn:aws:iam::123456789012:role/SecureCart-Retention"}}}]}},
                     {"name": "alice", "title": f"Identity policy of {ALICE}", "policy_kind": "identity",
                      "policy": {"Version": "2012-10-17", "Statement": [{
                          "Sid": "InvoiceAdmin", "Effect": "Allow", "Action": "s3:*",
                          "Resource": [f"arn:aws:s3:::{INVOICES}", f"arn:aws:s3:::{INVOICES}/*"]}]}}],
        "options": [
            {"text": "Allowed: her identity policy allows `s3:*`, and in one account a single Allow is enough.",
             "why": """Wrong. One Allow is enough only when nothing denies; an explicit Deny in any policy that
                applies wins."""},
            {"text": "Denied by the bucket policy's explicit Deny, because her ARN is not the retention role's.",
             "correct": True,
             "why": """Right. The Deny matches every principal whose `aws:PrincipalArn` is not
                `SecureCart-Retention`, including her user, and an explicit Deny overrides her Allow."""},
            {"text": "Denied implicitly: the bucket policy does not name her, so nothing allows the delete.",
             "why": """Wrong. Her identity policy allows the delete; the refusal comes from a Deny that applies, which
                makes it explicit."""},
            {"text": "Allowed: a bucket policy cannot deny principals of the account that owns the bucket.",
             "why": """Wrong. A bucket policy's Deny applies to the owner's own users and roles as well (the root
                user keeps only the right to fix the bucket policy)."""},
        ],
        "explanation": """Every request is checked against all the policies that apply: an explicit Deny anywhere
            ends the evaluation, whatever allows it elsewhere. Denying with `ArnNotEquals` on `aws:PrincipalArn`
            reserves a dangerous action to one role without listing everyone else. The decision below was computed
            by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Policy evaluation logic",
                     "url": IAM + "reference_policies_evaluation-logic.html"},
        "engine": {
            "check": "authorize",
            "principal": _ALICE_PRINCIPAL,
            "action": "s3:DeleteObject",
            "resource": f"arn:aws:s3:::{INVOICES}/2026/inv-1042.pdf",
            "context": {"aws:SecureTransport": "true", "aws:PrincipalArn": ALICE, "aws:username": "dev-alice"},
            "identity": ["alice"],
            "resource_policy": "bucket",
            "resource_account": "123456789012",
            "expect": "explicit-deny",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    {
        "id": "eval-same-account-bucket-grant", "domain": "evaluation", "difficulty": "medium", "task": "1.1",
        "style": "will-it-be-allowed", "teaches": "",
        "stem": """The IAM user `dev-alice` has no identity policies at all. The bucket `securecart-invoices`, in
            her own account, has the policy shown. She calls `s3:GetObject` on `2026/inv-1042.pdf`. What
            happens?""",
        "exhibits": [{"name": "bucket", "title": f"Bucket policy of {INVOICES}", "policy_kind": "resource",
                      "bucket": INVOICES,
                      "policy": {"Version": "2012-10-17", "Statement": [{
                          "Sid": "AliceReadsInvoices", "Effect": "Allow", "Principal": {"AWS": ALICE},
                          "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{INVOICES}/*"}]}}],
        "options": [
            {"text": "Allowed: in the same account, the bucket policy's grant to her user ARN is enough.",
             "correct": True,
             "why": """Right. Within one account a request is allowed if an identity-based or a resource-based policy
                allows it; the bucket policy names her directly."""},
            {"text": "Denied by an explicit deny, because a user without policies is denied everything.",
             "why": """Wrong. Having no identity policy is not a Deny statement; and here a policy does allow."""},
            {"text": "Denied implicitly: an IAM user needs an identity policy for every action she calls.",
             "why": """Wrong. That holds across accounts, where both sides must allow; in one account the bucket
                policy alone can grant."""},
            {"text": "Allowed only because S3 also treats the bucket owner's users as owners of its objects.",
             "why": """Wrong. Object ownership gives no IAM user automatic access; the bucket policy's statement is
                what allows."""},
        ],
        "explanation": """For requests within one account, AWS allows the request when either the identity-based
            policies or the resource-based policy allows it (and nothing denies). Across accounts both sides must
            allow. The decision below was computed by the lab's policy engine.""",
        "citation": {"title": "IAM User Guide: Identity-based policies and resource-based policies",
                     "url": IAM + "access_policies_identity-vs-resource.html"},
        "engine": {
            "check": "authorize",
            "principal": _ALICE_PRINCIPAL,
            "action": "s3:GetObject",
            "resource": f"arn:aws:s3:::{INVOICES}/2026/inv-1042.pdf",
            "context": {"aws:SecureTransport": "true", "aws:username": "dev-alice"},
            "identity": [],
            "resource_policy": "bucket",
            "resource_account": "123456789012",
            "expect": "allow",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
]
