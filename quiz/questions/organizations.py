"""AWS Organizations guardrails: SCPs, RCPs, aws:PrincipalOrgID, delegated administration (SAA-C03 task 1.1)."""
from __future__ import annotations

from . import RIGHT, WRONG, question

SCP_GUIDE = ("AWS Organizations User Guide: Service control policies (SCPs)",
             "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html")
RCP_GUIDE = ("AWS Organizations User Guide: Resource control policies (RCPs)",
             "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html")

QUESTIONS = [
    question(
        "org-scp-deny-regions", domain="organizations", difficulty="medium", task="1.1",
        teaches="",
        stem="""SecureCart's data-residency rules say workloads may run only in `eu-west-1` and `eu-central-1`. The
            company has 30 accounts in AWS Organizations, and account administrators must not be able to get around
            the rule. Which solution meets the requirement with the LEAST operational overhead?""",
        options=[
            (RIGHT, "An SCP on the workload OUs that denies requests outside the two Regions, exempting global "
                    "services.",
             "Right. An SCP sets the maximum for every principal in the member accounts, administrators and the "
             "root user included, and one policy covers every current and future account in the OU."),
            (WRONG, "A Region condition in the identity policies of every IAM user and role in the 30 accounts.",
             "Wrong. That is 30 accounts of policies to keep in step, and any administrator can edit them."),
            (WRONG, "An AWS Config rule in every account that reports resources created outside the two "
                    "Regions.",
             "Wrong. Config detects after the fact; the requirement is to prevent."),
            (WRONG, "A permissions boundary with the Region condition, attached to every IAM role in the "
                    "accounts.",
             "Wrong. Boundaries are per principal, must be attached to each role, and do not bind the root user."),
        ],
        explanation="""SCPs are the organization-wide guardrail: they never grant, but an action an SCP does not
            allow (or explicitly denies) is denied in the member account whatever its IAM policies say. A Region
            guardrail denies with `StringNotEquals` on `aws:RequestedRegion` and uses `NotAction` for global services
            such as IAM, Organizations and Route 53.""",
        cite=SCP_GUIDE),
    question(
        "org-scp-allow-list-limits-admins", domain="organizations", difficulty="easy", task="1.1",
        teaches="",
        stem="""In the sandbox OU, the default `FullAWSAccess` SCP was replaced by an SCP that allows only `s3:*` and
            `cloudwatch:*`. A developer in a sandbox account has the `AdministratorAccess` managed policy and tries to
            launch an EC2 instance. What happens?""",
        options=[
            (RIGHT, "Denied: no SCP on the path allows EC2, so nobody in the account can use it.",
             "Right. SCPs are a ceiling: an action must be allowed by the SCPs at every level (root, OU, account) "
             "and by the identity policy."),
            (WRONG, "Allowed: `AdministratorAccess` grants `*`, and SCPs apply only to the root user.",
             "Wrong. SCPs apply to every IAM user and role in a member account (and to its root user)."),
            (WRONG, "Allowed: SCPs restrict IAM users only, and the developer works through a role.",
             "Wrong. SCPs restrict users and roles alike; only service-linked roles are outside them."),
            (WRONG, "Denied until the developer adds `ec2:*` to the SCP from the sandbox account.",
             "Wrong. SCPs are managed from the management account (or a delegated administrator), not from members."),
        ],
        explanation="""With an allow-list strategy, the SCPs at each level must allow an action for it to be usable
            at all. Identity policies still have to grant it; SCPs never grant anything themselves.""",
        cite=("AWS Organizations User Guide: SCP evaluation",
              "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html")),
    question(
        "org-scp-management-account", domain="organizations", difficulty="medium", task="1.1",
        teaches="",
        stem="""The security team attached an SCP that denies `cloudtrail:StopLogging` to the organization root. A few
            days later an administrator signed in to the management account stopped the organization trail. Why was
            that possible, and what is the best practice?""",
        options=[
            (RIGHT, "SCPs never restrict the management account; keep daily work and workloads out of it.",
             "Right. The management account is outside every SCP, so it must be protected by keeping it minimal."),
            (WRONG, "The SCP must also be attached directly to the management account for it to cover that "
                    "account.",
             "Wrong. Attaching it there changes nothing; SCPs do not apply to the management account."),
            (WRONG, "SCPs bind a session only after it expires, which can be 12 hours after they are attached.",
             "Wrong. SCPs apply to every request as soon as they take effect, existing sessions included; the "
             "principal was simply out of scope."),
            (WRONG, "The administrator used the root user, and SCPs never restrict any root user.",
             "Wrong. SCPs do apply to the root user of member accounts; the management account is the exception."),
        ],
        explanation="""SCPs affect IAM users, roles and the root user of member accounts only. Principals in the
            management account are never restricted by them, which is why AWS recommends using the management
            account only for tasks that need it and running security tooling from a delegated administrator.""",
        cite=SCP_GUIDE),
    question(
        "org-scp-who-is-restricted", domain="organizations", difficulty="hard", task="1.1",
        teaches="", multi=True,
        stem="""An SCP that denies `s3:DeleteBucket` is attached to the production OU. Which principals does it
            restrict? (Choose two.)""",
        options=[
            (RIGHT, "IAM roles and IAM users in the production accounts.",
             "Right. Every IAM principal in an affected member account is limited by the SCP."),
            (RIGHT, "The root user of each production account.",
             "Right. SCPs also bind the root user of member accounts."),
            (WRONG, "Service-linked roles in the production accounts.",
             "Wrong. Service-linked roles are not affected by SCPs."),
            (WRONG, "A role in a partner's account that a production bucket policy allows to delete the bucket.",
             "Wrong. SCPs limit principals in the organization's accounts, not outside principals reaching its "
             "resources; that is what resource control policies (RCPs) are for."),
            (WRONG, "Administrators signed in to the management account.",
             "Wrong. SCPs never apply to the management account."),
        ],
        explanation="""SCPs are principal-side guardrails for member accounts: users, roles and the root user, but
            not service-linked roles and not principals outside the organization. RCPs are the resource-side
            counterpart that can limit what outside principals may do with the organization's resources.""",
        cite=SCP_GUIDE),
    question(
        "org-rcp-external-access", domain="organizations", difficulty="hard", task="1.1",
        teaches="",
        stem="""SecureCart must guarantee that no principal outside its organization can read objects in any of its S3
            buckets, even if a team writes a bucket policy that allows it by mistake. AWS services that act on
            SecureCart's behalf must keep working. Which solution meets the requirement with the LEAST operational
            overhead?""",
        options=[
            (RIGHT, "An RCP on the organization root that denies `s3:*` to principals outside the organization, "
                    "except AWS services.",
             "Right. An RCP limits the maximum permissions on the resources in member accounts, whoever calls, so a "
             "too-generous bucket policy cannot open them to outsiders."),
            (WRONG, "An SCP on the organization root that denies `s3:*` to principals outside the organization, "
                    "except AWS services.",
             "Wrong. SCPs only restrict principals in the organization's member accounts; they cannot limit outside "
             "callers."),
            (WRONG, "IAM Access Analyzer with the organization as zone of trust, removing each external access "
                    "finding.",
             "Wrong. Access Analyzer finds the exposure after it exists; it does not prevent it."),
            (WRONG, "S3 Block Public Access turned on in every account of the organization, new ones included.",
             "Wrong. Block Public Access stops public grants, but a bucket policy naming another account's role is "
             "not public and would still work."),
        ],
        explanation="""RCPs (resource control policies) are the resource-side guardrail of AWS Organizations: attached
            to the root, OUs or accounts, they cap the permissions on supported resources (S3, STS, KMS, SQS, Secrets
            Manager and more) for every caller, including principals outside the organization. Combining
            `aws:PrincipalOrgID` with `aws:PrincipalIsAWSService` builds a data perimeter that still lets AWS
            services deliver logs and events.""",
        cite=RCP_GUIDE),
    question(
        "org-principalorgid-bucket-policy", domain="organizations", difficulty="medium", task="1.1",
        teaches="",
        stem="""A shared bucket of product images must be readable by every account in SecureCart's organization,
            including accounts created next year, and by nobody else. What is the MOST operationally efficient
            bucket policy?""",
        options=[
            (RIGHT, "Allow `s3:GetObject` to `\"Principal\": \"*\"` when `aws:PrincipalOrgID` is the "
                    "organization's ID.",
             "Right. The condition matches any principal from any account in the organization, now and later."),
            (WRONG, "Allow `s3:GetObject` to every account ID as a principal, and add each new account when "
                    "created.",
             "Wrong. It works, but someone must edit the policy for each new account."),
            (WRONG, "Allow `s3:GetObject` to `\"Principal\": \"*\"` and rely on Block Public Access to keep "
                    "others out.",
             "Wrong. That is a public grant; with Block Public Access on it is blocked for everyone, and off it is "
             "public."),
            (WRONG, "Allow `s3:GetObject` to `\"Principal\": \"*\"` when `aws:SourceAccount` is the "
                    "management account.",
             "Wrong. `aws:SourceAccount` describes the resource a service acts for, not the calling principal's "
             "organization."),
        ],
        explanation="""`aws:PrincipalOrgID` is the organization ID of the calling principal's account. In a resource
            policy it grants or limits access to the whole organization without listing accounts;
            `aws:PrincipalOrgPaths` does the same for an OU.""",
        cite=("IAM User Guide: AWS global condition context keys",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html")),
    question(
        "org-scp-protect-security-role", domain="organizations", difficulty="hard", task="1.1",
        teaches="",
        stem="""A StackSet creates the role `SecurityAudit` in every member account; it is assumed by the security
            account's tooling. Account administrators must not be able to change or delete that role, but the
            StackSet's own execution role must. What should the solutions architect do?""",
        options=[
            (RIGHT, "An SCP that denies changes to `SecurityAudit` unless `aws:PrincipalArn` is the StackSet "
                    "execution role.",
             "Right. The SCP binds every administrator in the member accounts, and the condition exempts only the "
             "role that deploys it."),
            (WRONG, "A permissions boundary on every administrator role of the member accounts that denies changes "
                    "to `SecurityAudit`.",
             "Wrong. Administrators can create new principals without it, and the root user is not covered."),
            (WRONG, "A Deny for every other principal in the `SecurityAudit` role's own trust policy.",
             "Wrong. A trust policy controls who may assume the role, not who may modify or delete it."),
            (WRONG, "A CloudTrail trail and an EventBridge rule that alert the security team when it changes.",
             "Wrong. That detects the change; it does not prevent it."),
        ],
        explanation="""Protecting guardrail resources is a classic SCP pattern: deny the sensitive actions on the
            protected ARNs, with a condition on `aws:PrincipalArn` that excludes the automation allowed to manage
            them. Because SCPs also bind the member account's root user, nobody in the account can undo it.""",
        cite=("AWS Organizations User Guide: Service control policy examples",
              "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples.html")),
    question(
        "org-delegated-administrator", domain="organizations", difficulty="easy", task="1.1",
        teaches="",
        stem="""SecureCart's security team wants to run IAM Access Analyzer and Amazon GuardDuty for the whole
            organization from its own security account, without anyone working in the management account day to day.
            What should they do?""",
        options=[
            (RIGHT, "Register the security account as the delegated administrator for those services.",
             "Right. A delegated administrator can manage the service for the whole organization, so daily security "
             "work stays out of the management account."),
            (WRONG, "Give the security engineers IAM users in the management account.",
             "Wrong. That puts daily work (and long-term credentials) into the most sensitive account."),
            (WRONG, "Create a role with AdministratorAccess in the management account that the security account "
                    "assumes for every task.",
             "Wrong. It still runs daily work with full power in the management account."),
            (WRONG, "Enable the services separately in each of the 30 accounts.",
             "Wrong. Every account would be managed on its own, with no organization-wide view."),
        ],
        explanation="""Many services integrate with AWS Organizations and let the management account register a
            member account as delegated administrator. AWS recommends doing so and keeping the management account
            for the few tasks only it can perform.""",
        cite=("AWS Organizations User Guide: AWS services that you can use with AWS Organizations",
              "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html")),
    question(
        "org-scp-deny-leave-organization", domain="organizations", difficulty="easy", task="1.1",
        teaches="",
        stem="""Auditors require that no member account can leave SecureCart's organization and escape its
            guardrails, even if its administrators want to. Which control meets this requirement?""",
        options=[
            (RIGHT, "An SCP on the organization root that denies `organizations:LeaveOrganization`.",
             "Right. With the action denied by an SCP, no principal in a member account (root user included) can "
             "remove the account."),
            (WRONG, "An IAM policy in each member account that denies `organizations:LeaveOrganization`.",
             "Wrong. The account's own administrators could delete that policy."),
            (WRONG, "Enable all features in the organization; accounts then cannot leave.",
             "Wrong. All features is required for SCPs, but by itself it does not stop an account from leaving."),
            (WRONG, "Remove the member accounts' root users' passwords.",
             "Wrong. IAM principals with permissions could still call LeaveOrganization."),
        ],
        explanation="""Denying `organizations:LeaveOrganization` with an SCP is one of AWS's example guardrails.
            Because SCPs bind every principal of the member account, the account cannot remove itself.""",
        cite=("AWS Organizations User Guide: Service control policy examples",
              "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples.html")),
]
