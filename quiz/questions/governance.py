"""Governance of identities: root user practices, IAM Access Analyzer, credential audits and rotation, the
confused deputy (SAA-C03 task 1.1)."""
from __future__ import annotations

from . import RIGHT, WRONG, question

ROOT_PRACTICES = ("IAM User Guide: Root user best practices for your AWS account",
                  "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html")
ACCESS_ANALYZER = ("IAM User Guide: What is IAM Access Analyzer?",
                   "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html")

QUESTIONS = [
    question(
        "root-user-protection", domain="governance", difficulty="easy", task="1.1",
        teaches="", multi=True,
        stem="""SecureCart has just created a standalone AWS account. Which two actions follow AWS's best practices
            for the account's root user? (Choose two.)""",
        options=[
            (RIGHT, "Enable MFA for the root user.",
             "Right. The root user has unrestricted access; MFA protects the sign-in."),
            (RIGHT, "Do not create access keys for the root user (delete any that exist).",
             "Right. Root access keys would be long-term, unrestricted programmatic credentials."),
            (WRONG, "Use the root user for daily administration, but only from the console.",
             "Wrong. Daily work should use IAM Identity Center users or roles; the root user is for the few tasks "
             "only it can do."),
            (WRONG, "Create root access keys for the CI pipeline and store them in Secrets Manager.",
             "Wrong. Pipelines should use roles (for example through OIDC), never root credentials."),
            (WRONG, "Attach a permissions boundary to the root user to limit it.",
             "Wrong. Permissions boundaries apply to IAM users and roles; the root user cannot be given one."),
        ],
        explanation="""AWS recommends: a strong password and MFA for the root user, no root access keys, a
            monitored group e-mail address, and using the root user only for tasks that require it. In an
            organization, root credentials of member accounts can be removed altogether (centralized root
            access).""",
        cite=ROOT_PRACTICES),
    question(
        "root-only-task", domain="governance", difficulty="medium", task="1.1",
        teaches="",
        stem="""An administrator with the `AdministratorAccess` policy cannot complete one of these tasks in a
            standalone account. Which task requires signing in as the root user?""",
        options=[
            (RIGHT, "Configure MFA delete on the versioning configuration of an S3 bucket.",
             "Right. MFA delete can only be configured by the bucket owner's root user, with its MFA device."),
            (WRONG, "Create an IAM role that EC2 instances use through an instance profile.",
             "Wrong. Any principal with IAM permissions can create roles."),
            (WRONG, "Turn on automatic rotation for a customer managed KMS key in the account.",
             "Wrong. Rotation is controlled by the key policy and IAM permissions."),
            (WRONG, "Create a CloudTrail trail that logs management events in every Region.",
             "Wrong. CloudTrail permissions can be granted to IAM principals."),
        ],
        explanation="""A short list of tasks needs the root user: changing the account's root e-mail and password,
            closing a standalone account, restoring IAM permissions when every administrator is locked out,
            configuring MFA delete on S3 buckets, and a few others. Everything else should be done with IAM
            principals.""",
        cite=("IAM User Guide: Tasks that require root user credentials",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html")),
    question(
        "root-centralized-access", domain="governance", difficulty="hard", task="1.1",
        teaches="",
        stem="""SecureCart has 200 member accounts. Every account's root user has a password and an MFA device that a
            small team must safeguard, though root tasks are rare. The company wants to remove that burden and still
            be able to perform the occasional privileged root task in a member account. Which solution requires the
            LEAST operational overhead?""",
        options=[
            (RIGHT, "Centralize root access: delete member root credentials and use `sts:AssumeRoot` for root "
                    "tasks.",
             "Right. Centralized root access removes long-term root credentials from member accounts and issues "
             "short-term root sessions limited to a specific task when needed."),
            (WRONG, "Keep all 200 root passwords and MFA seeds in a password vault that only the team can open.",
             "Wrong. That is exactly the burden to remove, concentrated in one place."),
            (WRONG, "Attach an SCP that denies every action to member root users, and keep their credentials.",
             "Wrong. The SCP blocks root use, but the credentials still exist and must be safeguarded."),
            (WRONG, "Replace each root user with an `AdministratorAccess` IAM user whose keys rotate monthly.",
             "Wrong. 200 sets of long-term credentials, and some root tasks still cannot be done by IAM users."),
        ],
        explanation="""With centralized root access for member accounts, the management account (or a delegated
            administrator for IAM) can delete member accounts' root credentials and, when a privileged task is
            needed (for example deleting a bucket policy that denies everyone), call `sts:AssumeRoot` with one of
            AWS's task policies to get a root session of at most 15 minutes in that account.""",
        cite=("IAM User Guide: Centralize root access for member accounts",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-enable-root-access.html")),
    question(
        "aa-external-access-findings", domain="governance", difficulty="easy", task="1.1",
        teaches="",
        stem="""Before an audit, SecureCart must list every S3 bucket, KMS key, IAM role trust policy and secret that
            grants access to principals outside its organization. Which service does this with the LEAST effort?""",
        options=[
            (RIGHT, "IAM Access Analyzer with an external access analyzer whose zone of trust is the organization.",
             "Right. It analyzes resource-based policies with automated reasoning and produces a finding for each "
             "resource shared outside the zone of trust."),
            (WRONG, "AWS Trusted Advisor security checks, run across all accounts through AWS Organizations.",
             "Wrong. Trusted Advisor checks a few best practices (such as open buckets), not every external grant "
             "across these resource types."),
            (WRONG, "A CloudTrail Lake query for `AssumeRole` and S3 calls made from other accounts.",
             "Wrong. It shows access that happened, not access that policies allow."),
            (WRONG, "Amazon GuardDuty with S3 Protection, enabled by a delegated administrator for every account "
                    "in the organization.",
             "Wrong. GuardDuty detects threats from activity; it does not inventory policy grants."),
        ],
        explanation="""External access analyzers of IAM Access Analyzer review resource-based policies of supported
            resource types (S3 buckets, IAM roles, KMS keys, Lambda functions, SQS queues, Secrets Manager secrets and
            more) and report those that grant access outside the account or organization chosen as the zone of
            trust.""",
        cite=ACCESS_ANALYZER),
    question(
        "aa-unused-access", domain="governance", difficulty="medium", task="1.1",
        teaches="",
        stem="""SecureCart wants a continuous, organization-wide view of IAM roles nobody uses, unused permissions in
            roles that are used, and access keys not used for 90 days. Which solution requires the LEAST operational
            overhead?""",
        options=[
            (RIGHT, "An IAM Access Analyzer unused access analyzer for the organization.",
             "Right. It continuously reports unused roles, unused access keys and passwords, and unused permissions, "
             "across the organization."),
            (WRONG, "Download the IAM credential report of each account every month and compare them in a "
                    "spreadsheet.",
             "Wrong. It covers users only, account by account, and by hand."),
            (WRONG, "Query CloudTrail for each role's calls and compare them with its policies.",
             "Wrong. Possible, but it is custom analysis to build and maintain."),
            (WRONG, "Turn on AWS Config and record IAM resources.",
             "Wrong. Config records configuration; it does not say which permissions are unused."),
        ],
        explanation="""Unused access analyzers continuously look at IAM users and roles in the account or
            organization and create findings for unused roles, unused access keys and passwords, and unused
            service and action-level permissions, so they can be removed toward least privilege.""",
        cite=("IAM User Guide: IAM Access Analyzer findings",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html")),
    question(
        "aa-policy-generation", domain="governance", difficulty="medium", task="1.1",
        teaches="",
        stem="""A role used by the reporting service has `AmazonS3FullAccess` and `AmazonDynamoDBFullAccess`. The team
            wants a least-privilege policy based on what the service actually did over the last 90 days. What should
            they use?""",
        options=[
            (RIGHT, "IAM Access Analyzer policy generation, based on the role's CloudTrail activity.",
             "Right. It reads the role's logged actions from a trail and generates a policy template with them."),
            (WRONG, "The IAM policy simulator, run against each action the service might call.",
             "Wrong. The simulator tests what a policy allows; it does not write a policy from past activity."),
            (WRONG, "Service last accessed data in IAM, then `ReadOnlyAccess` on the services it shows.",
             "Wrong. Last accessed data says which services were used, not which actions; and the service writes "
             "data, so read-only access would break it."),
            (WRONG, "AWS Config conformance packs that compare the role's policies with best practices.",
             "Wrong. They evaluate resource configuration against rules; they do not generate IAM policies."),
        ],
        explanation="""Access Analyzer policy generation analyzes CloudTrail logs for a chosen period and produces a
            fine-grained identity policy from the actions and services the principal used, which you review and
            refine (for example resource ARNs) before attaching.""",
        cite=("IAM User Guide: IAM Access Analyzer policy generation",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-generation.html")),
    question(
        "aa-custom-policy-checks-ci", domain="governance", difficulty="hard", task="1.1",
        teaches="",
        stem="""Teams submit IAM and bucket policies through a CI/CD pipeline. The security team wants the pipeline to
            fail any change that would make a resource public or grant `iam:PassRole` on `*`, before deployment.
            What should the pipeline call?""",
        options=[
            (RIGHT, "IAM Access Analyzer custom policy checks, such as `CheckNoPublicAccess` and "
                    "`CheckAccessNotGranted`.",
             "Right. They evaluate a policy document before it is deployed and return pass or fail for the "
             "pipeline to act on."),
            (WRONG, "Amazon GuardDuty findings for the accounts, read by the pipeline before each deployment "
                    "starts.",
             "Wrong. GuardDuty analyzes activity after deployment; it does not evaluate a policy document."),
            (WRONG, "Amazon Macie sensitive data discovery jobs on the buckets whose policies change.",
             "Wrong. Macie discovers sensitive data in S3; it does not evaluate what a policy grants."),
            (WRONG, "The IAM policy simulator, run with the pipeline's role for each action named in the changed "
                    "policies.",
             "Wrong. The simulator answers for one principal and the actions you list; it cannot prove that a "
             "resource policy grants no public access to anyone."),
        ],
        explanation="""Access Analyzer validates policies against grammar and best practices (`ValidatePolicy`) and
            runs custom checks with automated reasoning: whether a policy grants public access, grants listed
            actions, or grants new access compared to a reference policy. Integrated in CI, they stop risky
            policies before they reach an account.""",
        cite=("IAM User Guide: IAM Access Analyzer custom policy checks",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-custom-policy-checks.html")),
    question(
        "credential-report-audit", domain="governance", difficulty="easy", task="1.1",
        teaches="",
        stem="""An auditor asks for every IAM user in the account that has a console password but no MFA, and every
            access key older than 90 days. What gives this list fastest?""",
        options=[
            (RIGHT, "The IAM credential report.",
             "Right. It lists every user with password, MFA and access-key status, key age and last use, as CSV."),
            (WRONG, "An IAM Access Analyzer external access analyzer.",
             "Wrong. It reports resources shared outside a zone of trust, not user credentials."),
            (WRONG, "CloudTrail event history.",
             "Wrong. It shows API activity, not the current state of each user's credentials."),
            (WRONG, "The IAM Identity Center user list.",
             "Wrong. Identity Center users are not IAM users and do not have access keys."),
        ],
        explanation="""The credential report (`GenerateCredentialReport`, `GetCredentialReport`) lists all IAM users
            of the account and the status of their passwords, access keys and MFA devices, useful for audits and
            for finding credentials to rotate or remove.""",
        cite=("IAM User Guide: Generate credential reports for your AWS account",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html")),
    question(
        "rotate-access-key-without-downtime", domain="governance", difficulty="easy", task="1.1",
        teaches="",
        stem="""A legacy on-premises tool still uses an IAM user's access key, and the key must be rotated without
            interrupting the tool. Which sequence is correct?""",
        options=[
            (RIGHT, "Create a second key, switch the tool, confirm the old key is unused, deactivate it, then "
                    "delete it.",
             "Right. An IAM user can have two access keys, which is what makes rotation without downtime possible."),
            (WRONG, "Delete the old key, create a new one at once and update the tool within the minute.",
             "Wrong. The tool fails between the deletion and the update."),
            (WRONG, "Call `UpdateAccessKey` to give the existing key a new secret and keep its key ID.",
             "Wrong. A key's secret cannot be changed; rotation means a new key."),
            (WRONG, "Deactivate the old key, create a new one, update the tool and reactivate the old key as a "
                    "spare.",
             "Wrong. The tool fails while the old key is inactive and before it is switched, and a reactivated "
             "spare key is one more long-term secret to protect."),
        ],
        explanation="""Rotation of long-term keys relies on the two-key limit: create, switch, verify with
            "last used" information, deactivate, delete. Better still is to replace the key by temporary credentials
            (roles, IAM Roles Anywhere for on-premises workloads).""",
        cite=("IAM User Guide: Manage access keys for IAM users",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html")),
    question(
        "roles-anywhere-on-premises", domain="governance", difficulty="medium", task="1.1",
        teaches="",
        stem="""SecureCart's on-premises warehouse servers upload stock files to S3 using IAM user access keys. The
            servers already have X.509 certificates issued by SecureCart's private certificate authority. Security
            wants no long-term AWS keys on the servers. Which solution meets this with the LEAST effort?""",
        options=[
            (RIGHT, "IAM Roles Anywhere with the CA as trust anchor, so the servers get role credentials by "
                    "certificate.",
             "Right. Roles Anywhere exchanges a certificate signed by a trusted CA for temporary credentials of an "
             "IAM role, so no access keys are stored."),
            (WRONG, "A script that rotates the IAM users' access keys every 30 days and stores them encrypted.",
             "Wrong. The keys would still be long-term credentials on the servers."),
            (WRONG, "An EC2 instance profile registered for each server, so that IMDS serves its credentials.",
             "Wrong. Instance profiles are for EC2 instances; on-premises servers cannot use them."),
            (WRONG, "`GetSessionToken` at boot with the IAM users' keys, so that only session credentials are "
                    "used.",
             "Wrong. The servers would still need the long-term keys to make that call."),
        ],
        explanation="""IAM Roles Anywhere lets workloads outside AWS get temporary credentials for an IAM role by
            authenticating with an X.509 certificate from a CA registered as a trust anchor, with profiles limiting
            which roles and session policies apply.""",
        cite=("IAM Roles Anywhere User Guide: What is AWS Identity and Access Management Roles Anywhere?",
              "https://docs.aws.amazon.com/rolesanywhere/latest/userguide/introduction.html")),
    question(
        "confused-deputy-source-arn", domain="governance", difficulty="hard", task="1.1",
        teaches="challenge:confused-deputy", tags=("confused deputy",),
        stem="""The bucket policy of `securecart-security-logs` lets the service principal `cloudtrail.amazonaws.com`
            write log files. The security team worries that another customer's trail could be pointed at this
            bucket and write into it. What should they add to the bucket policy statement?""",
        options=[
            (RIGHT, "A condition that `aws:SourceArn` is SecureCart's trail (or `aws:SourceAccount` its "
                    "account).",
             "Right. When a service acts on a customer's behalf, these keys identify the resource or account it "
             "acts for, which prevents the confused deputy problem."),
            (WRONG, "A condition that `aws:PrincipalOrgID` is SecureCart's organization, so only its principals "
                    "write.",
             "Wrong. The caller is an AWS service principal, which belongs to no customer organization."),
            (WRONG, "A condition on `sts:ExternalId` with a value that SecureCart generates for CloudTrail.",
             "Wrong. ExternalId protects roles that third parties assume, not service principals writing to a "
             "bucket."),
            (WRONG, "A condition that `aws:SecureTransport` is true, so only CloudTrail's TLS calls can write.",
             "Wrong. Every customer's trail writes over TLS; the condition says nothing about whose trail is "
             "writing."),
        ],
        explanation="""In the cross-service confused deputy problem, a service is tricked into using its permissions
            on another customer's resource. AWS recommends `aws:SourceArn` and `aws:SourceAccount` conditions in
            resource policies that grant access to service principals.""",
        cite=("IAM User Guide: The confused deputy problem",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html")),
]
