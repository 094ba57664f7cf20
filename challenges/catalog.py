"""The challenges, as data: story, objective, starting credentials, tools, hints, solution, and what each seeds.

Every challenge seeds its own roles and users (named `Challenge-*` and lower-case user names), never changes
SecureCart's world roles, so one challenge resets alone. `{production}`, `{developer}`, `{auditor}` and the names
in Challenge.values (filled by challenges.seeding.values_for) stand for the sandbox's own values in solutions.

The checker of each challenge (challenges/checks.py, by slug) decides only by real calls against the sandbox: signed
requests through the gateway with probe identities, the sessions the lab issued, the instances that run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from federation.services import GITHUB_PROVIDER, GITHUB_REPOSITORY
from sandboxes.world import (AUDIT_EXTERNAL_ID, AUDITOR, DB_SECRET, DEVELOPER, INVOICES, PRODUCT_IMAGES,
                             PRODUCTION, REGION, RoleSpec, UserSpec, policy_doc)

BUILDER, ATTACKER, DEFENDER = "builder", "attacker", "defender"
TRACKS = {BUILDER: "Builder", ATTACKER: "Attacker", DEFENDER: "Defender"}
# The scenarios' trust-policy editor edits SecureCart's own roles only, so the challenges (own roles) offer the CLI.
CONSOLE, TERMINAL = "console", "terminal"
TOOL_NAMES = {CONSOLE: "the AWS CLI console on this page",
              TERMINAL: "your own terminal against the lab's /aws endpoint (Terminal page)"}
LAB_ADMIN = (PRODUCTION, "lab-admin")
INVOICE_KEY = "2024/10/INV-100231.pdf"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{{production}}:secret:{DB_SECRET}-*"


def compact(document: dict) -> str:
    """A policy as one line, the way it is pasted into `--policy-document '...'`."""
    return json.dumps(document, separators=(",", ":"))


@dataclass(frozen=True)
class AnswerField:
    name: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Challenge:
    slug: str
    title: str
    track: str
    difficulty: str                      # easy | medium | hard
    minutes: int
    scenario: str                        # slug of the scenario that teaches the idea
    story: str
    objective: str
    start: tuple[tuple[str, str], ...]   # (account name, user name) the learner starts as
    tools: tuple[str, ...]
    hints: tuple[str, ...]
    solution: tuple[str, ...]            # console commands, with {placeholders}
    reasoning: str
    wrong_attempt: tuple[str, ...] = ()  # a plausible mistake the checker must refuse (documented, and tested)
    roles: tuple[RoleSpec, ...] = ()
    users: tuple[UserSpec, ...] = ()
    answers: tuple[AnswerField, ...] = ()   # defender challenges: what the learner reports
    values: tuple[str, ...] = ()        # placeholders beyond the account ids (see seeding.values_for)

    @property
    def track_name(self) -> str:
        return TRACKS[self.track]


def _trust(principal: dict, action: str = "sts:AssumeRole", condition: dict | None = None, sid: str = "Trust") -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return policy_doc(statement)


def _allow(action, resource, sid: str = "Allow") -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource}


READ_SECRET = policy_doc(_allow("secretsmanager:GetSecretValue", SECRET_ARN, "ReadDatabasePassword"))
READ_INVOICES = policy_doc(_allow(["s3:GetObject", "s3:ListBucket"],
                                  [f"arn:aws:s3:::{INVOICES}", f"arn:aws:s3:::{INVOICES}/*"], "ReadInvoices"))


def _assume(*role_names: str, account: str = "{production}") -> dict:
    return policy_doc(_allow("sts:AssumeRole", [f"arn:aws:iam::{account}:role/{name}" for name in role_names],
                             "AssumeRole"))


# ------------------------------------------------------------------------------------------------ builder
AUDIT_TRUST_SOLVED = _trust({"AWS": "arn:aws:iam::{auditor}:root"}, condition={
    "StringEquals": {"sts:ExternalId": AUDIT_EXTERNAL_ID}, "Bool": {"aws:MultiFactorAuthPresent": "true"}})
AUDIT_TRUST_NO_MFA = _trust({"AWS": "arn:aws:iam::{auditor}:root"},
                            condition={"StringEquals": {"sts:ExternalId": AUDIT_EXTERNAL_ID}})

GITHUB_ROLE = "Challenge-GitHubRelease"
GITHUB_HOST = "token.actions.githubusercontent.com"
# GitHub's documented sub for a branch: repo:ORG/REPO:ref:refs/heads/BRANCH (docs.github.com, "About security
# hardening with OpenID Connect"); engine/federation/idp.py builds tokens the same way.
GITHUB_TRUST_SOLVED = _trust({"Federated": GITHUB_PROVIDER}, "sts:AssumeRoleWithWebIdentity", {"StringEquals": {
    f"{GITHUB_HOST}:aud": "sts.amazonaws.com", f"{GITHUB_HOST}:sub": f"repo:{GITHUB_REPOSITORY}:ref:refs/heads/main"}})
GITHUB_TRUST_ANY_BRANCH = _trust({"Federated": GITHUB_PROVIDER}, "sts:AssumeRoleWithWebIdentity", {
    "StringEquals": {f"{GITHUB_HOST}:aud": "sts.amazonaws.com"},
    "StringLike": {f"{GITHUB_HOST}:sub": f"repo:{GITHUB_REPOSITORY}:*"}})

ONE_INVOICE = policy_doc(_allow("s3:GetObject", f"arn:aws:s3:::{INVOICES}/{INVOICE_KEY}", "OneInvoice"))

SOURCE_IDENTITY_TRUST = _trust({"AWS": "arn:aws:iam::{developer}:root"}, ["sts:AssumeRole", "sts:SetSourceIdentity"],
                               {"StringEquals": {"sts:SourceIdentity": "${aws:username}"}})
SOURCE_IDENTITY_LOOSE = _trust({"AWS": "arn:aws:iam::{developer}:root"}, ["sts:AssumeRole", "sts:SetSourceIdentity"])

# The policy IAM's "Revoke active sessions" adds (IAM UG, id_roles_use_revoke-sessions: inline AWSRevokeOlderSessions,
# Deny * when aws:TokenIssueTime is before the chosen moment).
REVOKE_OLDER = policy_doc({"Sid": "RevokeOlderSessions", "Effect": "Deny", "Action": "*", "Resource": "*",
                           "Condition": {"DateLessThan": {"aws:TokenIssueTime": "{now}"}}})
DENY_EVERYTHING = policy_doc({"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"})

BOUNDARY = policy_doc(_allow("s3:GetObject", f"arn:aws:s3:::{PRODUCT_IMAGES}/*", "ProductImagesOnly"),
                      _allow(["iam:GetUser", "iam:ListUserPolicies"], "*", "LookAtYourself"))
BOUNDARY_TOO_WIDE = policy_doc(_allow("*", "*", "Everything"))

BUILDERS = [
    Challenge(
        slug="auditors-externalid-and-mfa", title="Auditors: ExternalId and MFA, both", track=BUILDER,
        difficulty="easy", minutes=10, scenario="cross-account-auditors",
        story=("The audit firm gets a second, read-only role for its annual review: Challenge-AuditReview in "
               "production. Its trust policy was written in a hurry and trusts the auditors' whole account with "
               "no condition at all. The security team wants two guards: the ExternalId agreed with the firm "
               f"(`{AUDIT_EXTERNAL_ID}`), and a person who proved MFA."),
        objective=("Change the trust policy of Challenge-AuditReview so that principals of the auditor account may "
                   "assume it only with the ExternalId AND after MFA."),
        start=(LAB_ADMIN,), tools=(CONSOLE, TERMINAL),
        hints=("Look at the policy first: `aws iam get-role --role-name Challenge-AuditReview --query "
               "Role.AssumeRolePolicyDocument`.",
               "Two condition keys: `sts:ExternalId` (StringEquals) and `aws:MultiFactorAuthPresent` (Bool). Keys in "
               "one Condition block must all match (AND).",
               "Replace the whole document with `aws iam update-assume-role-policy --role-name Challenge-AuditReview "
               "--policy-document '{...}'` (JSON inside single quotes)."),
        solution=("aws iam update-assume-role-policy --role-name Challenge-AuditReview --policy-document "
                  f"'{compact(AUDIT_TRUST_SOLVED)}'",),
        reasoning=("Condition operators in one Condition element are ANDed, so one statement carries both guards. "
                   "The ExternalId stops the confused deputy (another customer of the audit firm naming this role); "
                   "MFA makes sure a person, not a leaked key, is behind the call. The checker assumes the role as an "
                   "auditor with both, with ExternalId only, with MFA only and with a wrong ExternalId: only the first "
                   "may work."),
        wrong_attempt=("aws iam update-assume-role-policy --role-name Challenge-AuditReview --policy-document "
                       f"'{compact(AUDIT_TRUST_NO_MFA)}'",),
        roles=(RoleSpec(PRODUCTION, "Challenge-AuditReview", "Annual review by the audit firm (challenge).",
                        trust=_trust({"AWS": "arn:aws:iam::{auditor}:root"}),
                        policies={"ReadSecurityLogs": policy_doc(_allow(
                            "s3:GetObject", "arn:aws:s3:::securecart-security-logs/*", "ReadLogs"))}),),
    ),
    Challenge(
        slug="github-oidc-main-branch", title="GitHub Actions: main branch only", track=BUILDER,
        difficulty="medium", minutes=15, scenario="federation-idp",
        story=(f"The release workflow of `{GITHUB_REPOSITORY}` assumes {GITHUB_ROLE} with GitHub's OIDC token. The "
               "trust policy checks the audience but accepts any `sub`: any branch, even a pull request from a fork "
               "that edits the workflow, can deploy."),
        objective=(f"Restrict {GITHUB_ROLE} to workflows running on the main branch of {GITHUB_REPOSITORY}."),
        start=(LAB_ADMIN,), tools=(CONSOLE, TERMINAL),
        hints=(f"GitHub puts the repository and ref in the `sub` claim: `repo:{GITHUB_REPOSITORY}:ref:refs/heads/main`.",
               f"The condition key is `{GITHUB_HOST}:sub`; keep `{GITHUB_HOST}:aud` equal to `sts.amazonaws.com`.",
               "StringLike with `*` is what let every branch in; use StringEquals with the exact value."),
        solution=(f"aws iam update-assume-role-policy --role-name {GITHUB_ROLE} --policy-document "
                  f"'{compact(GITHUB_TRUST_SOLVED)}'",),
        reasoning=("AssumeRoleWithWebIdentity puts the token's claims into the request context under the provider's "
                   "host name. A role for one pipeline must pin `sub` exactly. The checker signs GitHub-shaped "
                   "tokens for main, for a feature branch and for another repository, and trades each for "
                   "credentials."),
        wrong_attempt=(f"aws iam update-assume-role-policy --role-name {GITHUB_ROLE} --policy-document "
                       f"'{compact(GITHUB_TRUST_ANY_BRANCH)}'",),
        roles=(RoleSpec(PRODUCTION, GITHUB_ROLE, "GitHub Actions release workflow (challenge).",
                        trust=_trust({"Federated": GITHUB_PROVIDER}, "sts:AssumeRoleWithWebIdentity",
                                     {"StringEquals": {f"{GITHUB_HOST}:aud": "sts.amazonaws.com"}}),
                        policies={"PublishReleases": policy_doc(_allow(
                            "s3:PutObject", f"arn:aws:s3:::{PRODUCT_IMAGES}/releases/*", "Publish"))}),),
    ),
    Challenge(
        slug="session-policy-one-task", title="A session policy for one task", track=BUILDER,
        difficulty="medium", minutes=10, scenario="use-case-auditors",
        story=("Sam from support must send one customer their invoice INV-100231. The only role support has, "
               "Challenge-DataSupport, reads every invoice and every product image. Nobody wants to write a new "
               "role for a five-minute task."),
        objective=(f"As support-engineer, obtain a session of Challenge-DataSupport in the console that can read "
                   f"`{INVOICES}/{INVOICE_KEY}` and nothing else."),
        start=((DEVELOPER, "support-engineer"),), tools=(CONSOLE,),
        hints=("AssumeRole takes an inline session policy: `--policy '{...}'`.",
               "A session's permissions are the intersection of the role's policies and the session policy.",
               "Allow only s3:GetObject on the one object ARN, and run the assume-role in this console so the "
               "session is kept for the checker."),
        solution=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-DataSupport "
                  f"--role-session-name one-invoice --policy '{compact(ONE_INVOICE)}'",),
        reasoning=("Session policies can only take away: the effective permissions are what both the role's "
                   "policies and the session policy allow. The checker uses the session the console kept: the invoice "
                   "must be readable, the bucket listing and the product images must not."),
        wrong_attempt=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-DataSupport "
                       "--role-session-name one-invoice",),
        roles=(RoleSpec(PRODUCTION, "Challenge-DataSupport", "Support's broad data access (challenge).",
                        trust=_trust({"AWS": "arn:aws:iam::{developer}:root"}),
                        policies={"ReadCustomerData": policy_doc(_allow(
                            ["s3:GetObject", "s3:ListBucket"],
                            [f"arn:aws:s3:::{INVOICES}", f"arn:aws:s3:::{INVOICES}/*",
                             f"arn:aws:s3:::{PRODUCT_IMAGES}", f"arn:aws:s3:::{PRODUCT_IMAGES}/*"], "ReadData"))}),),
        users=(UserSpec(DEVELOPER, "support-engineer", {"AssumeSupportRole": _assume("Challenge-DataSupport")}),),
    ),
    Challenge(
        slug="require-source-identity", title="Require and enforce SourceIdentity", track=BUILDER,
        difficulty="hard", minutes=15, scenario="identity-center",
        story=("Everyone in the developer account assumes Challenge-Deployer, and the logs only show the session "
               "name, which people choose freely. Compliance wants every session to carry the caller's own user "
               "name as SourceIdentity, which stays with the session and every role it chains into."),
        objective=("Change Challenge-Deployer's trust policy so that an assume-role succeeds only when it sets "
                   "SourceIdentity to the caller's own IAM user name."),
        start=(LAB_ADMIN, (DEVELOPER, "dev-alex")), tools=(CONSOLE, TERMINAL),
        hints=("Setting a source identity needs its own permission in the trust policy: `sts:SetSourceIdentity`.",
               "The request's value is `sts:SourceIdentity`; compare it with a policy variable.",
               "`${aws:username}` is the caller's user name. Try it as dev-alex: "
               "`aws sts assume-role ... --source-identity dev-alex`."),
        solution=("aws iam update-assume-role-policy --role-name Challenge-Deployer --policy-document "
                  f"'{compact(SOURCE_IDENTITY_TRUST)}'",),
        reasoning=("With SetSourceIdentity allowed and a StringEquals on sts:SourceIdentity, a call without a source "
                   "identity has no value to match and is refused, and a user cannot claim to be someone else. The "
                   "checker assumes the role as dev-alex with his name, with no source identity and with another "
                   "name."),
        wrong_attempt=("aws iam update-assume-role-policy --role-name Challenge-Deployer --policy-document "
                       f"'{compact(SOURCE_IDENTITY_LOOSE)}'",),
        roles=(RoleSpec(PRODUCTION, "Challenge-Deployer", "Deployments by developers (challenge).",
                        trust=_trust({"AWS": "arn:aws:iam::{developer}:root"}),
                        policies={"Deploy": policy_doc(_allow(
                            "s3:PutObject", f"arn:aws:s3:::{PRODUCT_IMAGES}/releases/*", "Deploy"))}),),
        users=(UserSpec(DEVELOPER, "dev-alex", {"AssumeDeployer": policy_doc(_allow(
            ["sts:AssumeRole", "sts:SetSourceIdentity"], "arn:aws:iam::{production}:role/Challenge-Deployer",
            "AssumeDeployer"))}),),
    ),
    Challenge(
        slug="revoke-leaked-sessions", title="Revoke a leaked role's sessions", track=BUILDER,
        difficulty="medium", minutes=10, scenario="cross-account-auditors",
        story=("A session of Challenge-Analytics was pasted into a public chat (its keys are below). Sessions cannot "
               "be deleted; they live until they expire. The analytics team still needs the role today."),
        objective=("Make every session of Challenge-Analytics issued until now useless, while new sessions keep "
                   "working."),
        start=(LAB_ADMIN, (DEVELOPER, "analytics-dev")), tools=(CONSOLE, TERMINAL),
        hints=("In AWS's web console, IAM's \"Revoke active sessions\" button adds an inline policy named "
               "AWSRevokeOlderSessions to the role; here you write it yourself.",
               "It denies everything to sessions whose `aws:TokenIssueTime` is older than a moment you choose.",
               "Use DateLessThan with the current time, `{now}` in this sandbox."),
        solution=("aws iam put-role-policy --role-name Challenge-Analytics --policy-name AWSRevokeOlderSessions "
                  f"--policy-document '{compact(REVOKE_OLDER)}'",),
        reasoning=("aws:TokenIssueTime is the moment the temporary credentials were issued. A Deny on everything for "
                   "tokens issued before now stops the leaked session at once, and sessions assumed afterwards are "
                   "not matched. Denying everything without the condition also stops the leak, but breaks the team. "
                   "The checker calls S3 with the leaked session and with a fresh one."),
        wrong_attempt=("aws iam put-role-policy --role-name Challenge-Analytics --policy-name AWSRevokeOlderSessions "
                       f"--policy-document '{compact(DENY_EVERYTHING)}'",),
        roles=(RoleSpec(PRODUCTION, "Challenge-Analytics", "Analytics reads product images (challenge).",
                        trust=_trust({"AWS": "arn:aws:iam::{developer}:root"}),
                        policies={"ReadImages": policy_doc(_allow(
                            "s3:GetObject", f"arn:aws:s3:::{PRODUCT_IMAGES}/*", "ReadImages"))}),),
        users=(UserSpec(DEVELOPER, "analytics-dev", {"AssumeAnalytics": _assume("Challenge-Analytics")}),),
        values=("now",),
    ),
    Challenge(
        slug="boundary-stops-escalation", title="A permissions boundary against escalation", track=BUILDER,
        difficulty="hard", minutes=20, scenario="use-case-teams",
        story=("junior-dev may look at product images and manage his own inline policies, a shortcut someone took "
               "years ago. With iam:PutUserPolicy on himself he can grant himself anything, the database password "
               "included."),
        objective=("Give junior-dev a permissions boundary so he still reads product images, but no policy he writes "
                   "for himself can take him further, and he cannot remove the boundary."),
        start=(LAB_ADMIN, (PRODUCTION, "junior-dev")), tools=(CONSOLE, TERMINAL),
        hints=("A boundary is a managed policy: create it with `aws iam create-policy`.",
               "Attach it with `aws iam put-user-permissions-boundary --user-name junior-dev --permissions-boundary "
               "ARN`.",
               "Effective permissions are identity policies AND the boundary; a boundary allowing `*` changes nothing."),
        solution=("aws iam create-policy --policy-name Challenge-DeveloperBoundary --policy-document "
                  f"'{compact(BOUNDARY)}'",
                  "aws iam put-user-permissions-boundary --user-name junior-dev --permissions-boundary "
                  "arn:aws:iam::{production}:policy/Challenge-DeveloperBoundary"),
        reasoning=("A permissions boundary caps what identity policies can grant: an action must be allowed by both. "
                   "The boundary does not allow iam:PutUserPolicy nor iam:DeleteUserPermissionsBoundary, so junior-dev "
                   "can neither write himself more nor take the cap off. The checker acts as junior-dev: reads an "
                   "image, tries to grant himself everything, tries to read the secret and to drop the boundary."),
        wrong_attempt=("aws iam create-policy --policy-name Challenge-WideBoundary --policy-document "
                       f"'{compact(BOUNDARY_TOO_WIDE)}'",
                       "aws iam put-user-permissions-boundary --user-name junior-dev --permissions-boundary "
                       "arn:aws:iam::{production}:policy/Challenge-WideBoundary"),
        users=(UserSpec(PRODUCTION, "junior-dev", {"JuniorDeveloper": policy_doc(
            _allow("s3:GetObject", f"arn:aws:s3:::{PRODUCT_IMAGES}/*", "ReadImages"),
            _allow(["iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:ListUserPolicies", "iam:GetUser",
                    "iam:DeleteUserPermissionsBoundary"], "arn:aws:iam::{production}:user/junior-dev",
                   "ManageOwnPolicies"))}),),
    ),
]

# ------------------------------------------------------------------------------------------------ attacker
ATTACKERS = [
    Challenge(
        slug="wildcard-trust", title="A role that trusts everybody", track=ATTACKER, difficulty="easy", minutes=10,
        scenario="cross-account-auditors",
        story=("You work for a contractor with your own AWS account (the lab's auditor account). Rumour has it "
               "SecureCart's old reporting role, Challenge-LegacyReporting, trusts `\"AWS\": \"*\"`."),
        objective="From the contractor's account, obtain a session of Challenge-LegacyReporting and read an invoice.",
        start=((AUDITOR, "vendor-contractor"),), tools=(CONSOLE, TERMINAL),
        hints=("Who am I? `aws sts get-caller-identity`.",
               "Role ARNs are guessable: `arn:aws:iam::{production}:role/Challenge-LegacyReporting`.",
               "A trust policy with Principal `*` lets any AWS principal assume the role, if its own account lets it "
               "call sts:AssumeRole."),
        solution=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-LegacyReporting "
                  "--role-session-name contractor",
                  "(choose the new session as credentials) aws s3 cp s3://securecart-invoices/2024/10/INV-100231.pdf -"),
        reasoning=("Cross-account access needs both sides: the contractor's account allows sts:AssumeRole on any "
                   "role, and the wildcard principal in the trust policy accepts anyone. The fix is a named "
                   "principal plus an ExternalId. The checker looks for a session of the role issued to the "
                   "contractor."),
        wrong_attempt=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/SecureCart-AuditRole "
                       "--role-session-name contractor",),
        roles=(RoleSpec(PRODUCTION, "Challenge-LegacyReporting", "Old reporting role, never cleaned up (challenge).",
                        trust=_trust({"AWS": "*"}), policies={"ReadInvoices": READ_INVOICES}),),
        users=(UserSpec(AUDITOR, "vendor-contractor", {"AssumeAnyRole": policy_doc(_allow("sts:AssumeRole", "*"))}),),
    ),
    Challenge(
        slug="update-assume-role-policy", title="Rewrite a powerful role's trust", track=ATTACKER, difficulty="medium",
        minutes=15, scenario="cross-account-auditors",
        story=("ci-deployer may update the trust policy of Challenge-BreakGlass \"so the pipeline can rotate it\". "
               "Challenge-BreakGlass reads the database password and is meant for EC2 only."),
        objective="As ci-deployer, obtain a session of Challenge-BreakGlass.",
        start=((PRODUCTION, "ci-deployer"),), tools=(CONSOLE, TERMINAL),
        hints=("Read what you may do: `aws iam list-user-policies --user-name ci-deployer` and get-user-policy.",
               "iam:UpdateAssumeRolePolicy lets you choose who the role trusts.",
               "Trust your own user ARN, then assume the role."),
        solution=("aws iam update-assume-role-policy --role-name Challenge-BreakGlass --policy-document "
                  + "'" + compact(_trust({"AWS": "arn:aws:iam::{production}:user/ci-deployer"})) + "'",
                  "aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-BreakGlass "
                  "--role-session-name pwned"),
        reasoning=("Whoever may edit a role's trust policy may become that role: iam:UpdateAssumeRolePolicy is as "
                   "powerful as the role itself (BishopFox iam-vulnerable, UpdateAssumeRolePolicy path). The checker "
                   "looks for a session of the role issued to ci-deployer."),
        wrong_attempt=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-BreakGlass "
                       "--role-session-name pwned",),
        roles=(RoleSpec(PRODUCTION, "Challenge-BreakGlass", "Emergency access for EC2 (challenge).",
                        trust=_trust({"Service": "ec2.amazonaws.com"}), policies={"ReadSecret": READ_SECRET}),),
        users=(UserSpec(PRODUCTION, "ci-deployer", {"RotateBreakGlass": policy_doc(
            _allow(["iam:UpdateAssumeRolePolicy", "iam:GetRole"], "arn:aws:iam::{production}:role/Challenge-BreakGlass",
                   "EditTrust"),
            _allow("sts:AssumeRole", "*", "AssumeRoles"),
            _allow(["iam:ListUserPolicies", "iam:GetUserPolicy"], "arn:aws:iam::{production}:user/ci-deployer",
                   "ReadOwnPolicies"))}),),
    ),
    Challenge(
        slug="passrole-runinstances", title="Borrow an instance role: PassRole + RunInstances", track=ATTACKER,
        difficulty="hard", minutes=20, scenario="service-roles",
        story=("build-agent launches build machines. It may pass Challenge-InstanceAdmin to EC2 and run instances, "
               "but cannot assume that role itself."),
        objective=("Launch an instance with Challenge-InstanceAdmin's instance profile and take the role's credentials "
                   "from its metadata service (IMDSv2)."),
        start=((PRODUCTION, "build-agent"),), tools=(CONSOLE, TERMINAL),
        hints=("`aws ec2 run-instances --image-id ami-12c6146b --instance-type t3.micro --iam-instance-profile "
               "Name=Challenge-InstanceAdmin`.",
               "The Terminal page lists your instances with their metadata address and the IMDSv2 curl commands.",
               "PUT /latest/api/token, then GET /latest/meta-data/iam/security-credentials/Challenge-InstanceAdmin."),
        solution=("aws ec2 run-instances --image-id ami-12c6146b --instance-type t3.micro --count 1 "
                  "--iam-instance-profile Name=Challenge-InstanceAdmin",
                  "(terminal) curl -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' IMDS/latest/api/token, then "
                  "curl -H 'X-aws-ec2-metadata-token: TOKEN' "
                  "IMDS/latest/meta-data/iam/security-credentials/Challenge-InstanceAdmin"),
        reasoning=("iam:PassRole with ec2:RunInstances is effectively sts:AssumeRole on every role you may pass: "
                   "anything on the instance gets the role's credentials. Restrict PassRole to the roles builds "
                   "need (iam:PassedToService and a role path). The checker looks for an instance with the profile and "
                   "for the role's instance credentials being issued."),
        wrong_attempt=("aws ec2 run-instances --image-id ami-12c6146b --instance-type t3.micro --count 1",),
        roles=(RoleSpec(PRODUCTION, "Challenge-InstanceAdmin", "Build machines' administrator role (challenge).",
                        trust=_trust({"Service": "ec2.amazonaws.com"}), policies={"ReadSecret": READ_SECRET},
                        instance_profile=True),),
        users=(UserSpec(PRODUCTION, "build-agent", {"LaunchBuilds": policy_doc(
            _allow("iam:PassRole", "arn:aws:iam::{production}:role/Challenge-InstanceAdmin", "PassBuildRole"),
            _allow(["ec2:RunInstances", "ec2:DescribeInstances", "ec2:TerminateInstances"], "*", "RunBuilds"))}),),
    ),
    Challenge(
        slug="chain-to-root-trust", title="Role chaining to a role that trusts the account", track=ATTACKER,
        difficulty="medium", minutes=15, scenario="role-chaining",
        story=("On-call support from the developer account may assume Challenge-Support in production. Separately, "
               "Challenge-DataExport trusts `arn:aws:iam::PRODUCTION:root`, meaning \"anyone in production whose "
               "policies allow it\". And Challenge-Support may assume any role."),
        objective="Starting as support-oncall, obtain a session of Challenge-DataExport.",
        start=((DEVELOPER, "support-oncall"),), tools=(CONSOLE, TERMINAL),
        hints=("Try Challenge-DataExport directly first: why is it refused?",
               "A trust in `:root` delegates to the account's own policies; a session of Challenge-Support is a "
               "principal of production.",
               "Assume Challenge-Support, choose that session as credentials, then assume Challenge-DataExport."),
        solution=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-Support "
                  "--role-session-name hop1",
                  "(choose the hop1 session) aws sts assume-role --role-arn "
                  "arn:aws:iam::{production}:role/Challenge-DataExport --role-session-name hop2"),
        reasoning=("Trusting the account root is not \"only admins\": any principal of the account with "
                   "sts:AssumeRole on the role gets in, role sessions included. Chaining caps the second session at one "
                   "hour. The checker looks for a chained session of Challenge-DataExport created by a "
                   "Challenge-Support session."),
        wrong_attempt=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-DataExport "
                       "--role-session-name direct",),
        roles=(RoleSpec(PRODUCTION, "Challenge-Support", "On-call support (challenge).",
                        trust=_trust({"AWS": "arn:aws:iam::{developer}:root"}),
                        policies={"AssumeAnything": policy_doc(_allow("sts:AssumeRole",
                                                                      "arn:aws:iam::{production}:role/*"))}),
               RoleSpec(PRODUCTION, "Challenge-DataExport", "Nightly data export (challenge).",
                        trust=_trust({"AWS": "arn:aws:iam::{production}:root"}),
                        policies={"ReadInvoices": READ_INVOICES})),
        users=(UserSpec(DEVELOPER, "support-oncall", {"AssumeSupport": _assume("Challenge-Support")}),),
    ),
    Challenge(
        slug="confused-deputy", title="The confused deputy: no ExternalId", track=ATTACKER, difficulty="easy",
        minutes=10, scenario="use-case-auditors",
        story=("ReportCo (the lab's auditor account) sells reports to many companies. Each customer gives ReportCo a "
               "role ARN and ReportCo's service assumes it. You are a ReportCo customer, not SecureCart, and you may "
               "ask ReportCo's service to fetch data from any role ARN. SecureCart's Challenge-VendorSync trusts "
               "ReportCo's account without an ExternalId."),
        objective="Through ReportCo's service identity, obtain a session of SecureCart's Challenge-VendorSync.",
        start=((AUDITOR, "reportco-service"),), tools=(CONSOLE, TERMINAL),
        hints=("You act as reportco-service: it may assume any role a customer names.",
               "Compare with SecureCart-AuditRole, which demands an ExternalId.",
               "Name SecureCart's role ARN."),
        solution=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/Challenge-VendorSync "
                  "--role-session-name customer-job",),
        reasoning=("Without an ExternalId the vendor cannot tell which customer a role belongs to, so any customer "
                   "can point it at someone else's role: the confused deputy. With `sts:ExternalId` set to a value "
                   "the vendor issues per customer, the wrong customer's job fails. The checker looks for a session "
                   "of Challenge-VendorSync issued to reportco-service."),
        wrong_attempt=("aws sts assume-role --role-arn arn:aws:iam::{production}:role/SecureCart-AuditRole "
                       "--role-session-name customer-job",),
        roles=(RoleSpec(PRODUCTION, "Challenge-VendorSync", "ReportCo pulls invoices (challenge).",
                        trust=_trust({"AWS": "arn:aws:iam::{auditor}:root"}), policies={"ReadInvoices": READ_INVOICES}),),
        users=(UserSpec(AUDITOR, "reportco-service", {"AssumeCustomerRoles": policy_doc(
            _allow("sts:AssumeRole", "*", "AssumeCustomerRoles"))}),),
    ),
]

# ------------------------------------------------------------------------------------------------ defender
DEFENDERS = [
    Challenge(
        slug="who-read-the-secret", title="Which key read the database password?", track=DEFENDER,
        difficulty="medium", minutes=15, scenario="service-roles",
        story=("Secrets Manager reports that DBPassword was read a few minutes ago by an IAM user's long-term key, "
               "not by the web tier's role. Three service users exist in production: reporting-batch, backup-agent "
               "and metrics-exporter."),
        objective="Report the access key id that read the secret and the IAM user it belongs to.",
        start=(LAB_ADMIN,), tools=(CONSOLE, TERMINAL),
        hints=("With the event history: `aws cloudtrail lookup-events --lookup-attributes "
               "AttributeKey=EventName,AttributeValue=GetSecretValue` shows the accessKeyId and userIdentity.",
               "Without it, reason from the policies: only one of the three users may call "
               "secretsmanager:GetSecretValue (`aws iam get-user-policy`).",
               "`aws iam list-access-keys --user-name NAME` lists a user's key ids."),
        solution=("aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=GetSecretValue",
                  "aws iam list-access-keys --user-name backup-agent"),
        reasoning=("Every signed request names its access key id; CloudTrail records it with the user behind it. "
                   "Long-term keys (AKIA...) point to one IAM user; `aws sts get-access-key-info` gives the account. "
                   "The checker compares your answer with the key the sandbox's backup-agent holds."),
        wrong_attempt=(),
        users=(UserSpec(PRODUCTION, "reporting-batch", {"ReadImages": policy_doc(
                   _allow("s3:GetObject", f"arn:aws:s3:::{PRODUCT_IMAGES}/*"))}),
               UserSpec(PRODUCTION, "backup-agent", {"BackupDatabase": READ_SECRET}),
               UserSpec(PRODUCTION, "metrics-exporter", {"ListBuckets": policy_doc(
                   _allow("s3:ListAllMyBuckets", "*"))})),
        answers=(AnswerField("access_key_id", "Access key id", "AKIA..."), AnswerField("user_name", "IAM user name")),
    ),
    Challenge(
        slug="find-the-refused-call", title="Find the refused call and its reason", track=DEFENDER,
        difficulty="easy", minutes=10, scenario="cross-account-auditors",
        story=("intern-riley's clean-up script stopped with AccessDenied this morning. Riley says the policies "
               "allow everything on the invoices bucket."),
        objective=("Report which IAM action was refused and the name of the policy whose statement refused it."),
        start=(LAB_ADMIN,), tools=(CONSOLE, TERMINAL),
        hints=("With the event history: `aws cloudtrail lookup-events --lookup-attributes "
               "AttributeKey=Username,AttributeValue=intern-riley` shows errorCode AccessDenied and the eventName.",
               "Then read Riley's policies: `aws iam list-user-policies --user-name intern-riley`.",
               "An explicit Deny beats any Allow; the action is written service:Operation."),
        solution=("aws iam list-user-policies --user-name intern-riley",
                  "aws iam get-user-policy --user-name intern-riley --policy-name ProtectInvoices"),
        reasoning=("AccessDenied names the action; the explanation is in the policies: an explicit Deny in one "
                   "identity policy beats the Allow in another. The checker compares your action with the call the "
                   "sandbox refused and your policy name with the user's policy that denies that action."),
        users=(UserSpec(PRODUCTION, "intern-riley", {
            "InvoicesCleanup": policy_doc(_allow("s3:*", [f"arn:aws:s3:::{INVOICES}", f"arn:aws:s3:::{INVOICES}/*"],
                                                 "InvoicesEverything")),
            "ProtectInvoices": policy_doc({"Sid": "NeverDeleteInvoices", "Effect": "Deny", "Action": "s3:DeleteObject",
                                           "Resource": f"arn:aws:s3:::{INVOICES}/*"})}),),
        answers=(AnswerField("action", "Refused action", "service:Operation"),
                 AnswerField("policy_name", "Policy that refused it")),
    ),
]

CHALLENGES: list[Challenge] = BUILDERS + ATTACKERS + DEFENDERS
BY_SLUG: dict[str, Challenge] = {c.slug: c for c in CHALLENGES}

# What the defender challenges' seeds do, as data the checkers read back (ground truth lives in the sandbox).
REFUSED_ACTION = "s3:DeleteObject"
REFUSED_USER = "intern-riley"
SECRET_READER = "backup-agent"
