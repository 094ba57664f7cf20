"""Data security controls (SAA-C03 task 1.3): encryption in transit (ACM, TLS), encryption at rest (EBS, RDS, KMS
multi-Region keys, CloudHSM), backups and replication (AWS Backup, Vault Lock, S3 replication), retention and WORM
(Object Lock, Glacier Vault Lock, lifecycle, versioning), classification and compliance (Artifact, Config).

The lab practises none of these services, so these questions link no lab page; the TLS question is checked by the
lab's policy engine instead."""
from __future__ import annotations

from quiz.citations import S3, cite

from . import RIGHT, WRONG, question

ACM = "https://docs.aws.amazon.com/acm/latest/userguide/"
BACKUP = "https://docs.aws.amazon.com/aws-backup/latest/devguide/"
INVOICES = "securecart-invoices"
APP_SESSION = "arn:aws:sts::123456789012:assumed-role/SecureCart-Invoicing/app"

_TLS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "DenyPlainHttp",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"arn:aws:s3:::{INVOICES}",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }],
}

QUESTIONS = [
    # ---- encryption in transit -----------------------------------------------------------------------------------
    question(
        "acm-alb-certificate-renewal", domain="data-protection", difficulty="easy", task="1.3", teaches="",
        stem="""SecureCart's storefront Application Load Balancer needs a public TLS certificate for
            `shop.securecart.example`, and nobody should ever have to remember to renew it. Which solution has the
            LEAST operational overhead?""",
        options=[
            (RIGHT, "Request a public certificate in ACM with DNS validation, and use it on the HTTPS listener.",
             "Right. ACM renews certificates it issued, with DNS validation and while they are in use by an "
             "integrated service such as the load balancer, with no action needed."),
            (WRONG, "Buy a certificate from a commercial CA, import it into ACM, and use it on the HTTPS listener.",
             "Wrong. ACM does not renew imported certificates; someone must renew and reimport it every time."),
            (WRONG, "Install free certificates on the instances, renewed by a cron job, and pass TLS straight through.",
             "Wrong. It works, but every instance runs and monitors its own renewal, and the load balancer can no "
             "longer inspect or route on HTTP."),
            (WRONG, "Request a private certificate from AWS Private CA and use it for the public storefront.",
             "Wrong. Browsers do not trust a private CA, so customers would see certificate errors."),
        ],
        explanation="""AWS Certificate Manager issues public certificates at no charge for use with integrated
            services (Elastic Load Balancing, CloudFront, API Gateway...) and renews them automatically when they
            are DNS-validated and in use. Imported certificates are not renewed by ACM; it only reports their
            expiry.""",
        cite=cite(ACM + "managed-renewal.html")),
    question(
        "acm-imported-certificate-expiry", domain="data-protection", difficulty="medium", task="1.3", teaches="",
        stem="""A certificate from SecureCart's commercial CA was imported into ACM and is used by a CloudFront
            distribution. It expires in 30 days. What must the team do to avoid an outage?""",
        options=[
            (RIGHT, "Renew it with the CA and reimport it into the same ACM certificate before it expires.",
             "Right. Reimporting into the same certificate ARN keeps every association, so CloudFront serves the "
             "new certificate without other changes."),
            (WRONG, "Nothing: ACM renews imported certificates by itself 60 days before they expire.",
             "Wrong. Managed renewal covers certificates ACM issued; imported ones are never renewed by ACM."),
            (WRONG, "Ask ACM to renew it with DNS validation, as it does for the certificates it issues.",
             "Wrong. ACM cannot renew a certificate another CA issued; the renewal must come from that CA."),
            (WRONG, "Create a new distribution, which comes with a renewed certificate for the same domain.",
             "Wrong. A distribution does not provide certificates for custom domains; it uses one from ACM."),
        ],
        explanation="""ACM provides managed renewal only for certificates it issued (public or private). For an
            imported certificate, obtain the renewed certificate from its issuer and reimport it, ideally into the
            same ARN; ACM's expiry events and the `DaysToExpiry` metric can warn you in time.""",
        cite=cite(ACM + "managed-renewal.html")),
    {
        "id": "s3-tls-deny-bucket-arn-only", "domain": "data-protection", "difficulty": "hard", "task": "1.3",
        "style": "will-it-be-allowed", "teaches": "",
        "stem": """To require TLS for every request to `securecart-invoices`, the security team adds the bucket
            policy shown. The application role `SecureCart-Invoicing`, whose identity policy allows `s3:GetObject`
            on `securecart-invoices/*`, then downloads `2026/inv-1042.pdf` over plain HTTP
            (`aws:SecureTransport` = `false`). What happens?""",
        "exhibits": [{"name": "bucket", "title": f"Bucket policy of {INVOICES}", "policy_kind": "resource",
                      "bucket": INVOICES, "policy": _TLS_POLICY},
                     {"name": "role", "title": "Identity policy of the role SecureCart-Invoicing",
                      "policy_kind": "identity",
                      "policy": {"Version": "2012-10-17", "Statement": [{
                          "Sid": "ReadInvoices", "Effect": "Allow", "Action": "s3:GetObject",
                          "Resource": f"arn:aws:s3:::{INVOICES}/*"}]}}],
        "options": [
            {"text": "Allowed: the Deny names only the bucket ARN, so it does not match a request for an object.",
             "correct": True,
             "why": """Right. A statement applies only to the resources it names. `arn:aws:s3:::securecart-invoices`
                is the bucket itself; objects are `arn:aws:s3:::securecart-invoices/*`. The Deny never matches a
                GetObject, and the identity policy allows it."""},
            {"text": "Denied by the explicit Deny: `s3:*` covers `s3:GetObject`, and the request is not over TLS.",
             "why": """Wrong. The action and the condition match, but the resource does not: the statement names the
                bucket, and GetObject acts on an object."""},
            {"text": "Denied implicitly: the bucket policy grants the role nothing, so it has only one side's yes.",
             "why": """Wrong. In the same account either the identity policy or the bucket policy may allow; here
                the identity policy does."""},
            {"text": "Allowed: a Deny for `\"Principal\": \"*\"` covers anonymous requests only, not the account's "
                     "roles.",
             "why": """Wrong. `"Principal": "*"` matches every caller, signed or not; the Deny misses only because
                of its `Resource`."""},
        ],
        "explanation": """To enforce TLS, AWS's bucket policy example denies `s3:*` for every principal when
            `aws:SecureTransport` is false, on both the bucket and its objects:
            `"Resource": ["arn:aws:s3:::securecart-invoices", "arn:aws:s3:::securecart-invoices/*"]`. Naming only the
            bucket protects bucket-level calls (ListBucket, PutBucketPolicy...) and leaves every object call
            untouched. The decision below was computed by the lab's policy engine, and the lab checks the bucket
            policy as S3 would accept it.""",
        "citation": {"title": "Amazon S3 User Guide: Security best practices for Amazon S3",
                     "url": S3 + "security-best-practices.html"},
        "engine": {
            "check": "authorize",
            "principal": {"arn": APP_SESSION, "account": "123456789012", "kind": "assumed-role",
                          "role_arn": "arn:aws:iam::123456789012:role/SecureCart-Invoicing",
                          "userid": "AROAEXAMPLEINVOICING:app"},
            "action": "s3:GetObject",
            "resource": f"arn:aws:s3:::{INVOICES}/2026/inv-1042.pdf",
            "context": {"aws:SecureTransport": "false"},
            "identity": ["role"],
            "resource_policy": "bucket",
            "resource_account": "123456789012",
            "expect": "allow",
            "outcome_option": {"allow": "a", "explicit-deny": "b", "implicit-deny": "c"},
        },
    },
    # ---- encryption at rest --------------------------------------------------------------------------------------
    question(
        "ebs-encryption-by-default", domain="data-protection", difficulty="easy", task="1.3", teaches="",
        stem="""Every new EBS volume in SecureCart's production account must be encrypted, even when a team forgets
            to ask for it. Which solution requires the LEAST effort?""",
        options=[
            (RIGHT, "Turn on EBS encryption by default in each Region the account uses.",
             "Right. With the setting on, every new volume and snapshot copy in that Region is encrypted, whatever "
             "the request says."),
            (WRONG, "Deploy an AWS Config rule that reports unencrypted volumes to the team that made them.",
             "Wrong. It detects after the fact; the unencrypted volume exists until someone replaces it."),
            (WRONG, "Publish launch templates with encrypted volumes and ask every team to use them.",
             "Wrong. It relies on every team remembering, which is exactly what the requirement rules out."),
            (WRONG, "Let only a central team create volumes, through an SCP that denies everyone else.",
             "Wrong. It blocks the teams' work and still relies on the central team to encrypt."),
        ],
        explanation="""EBS encryption by default is a per-Region account setting: new volumes are encrypted with the
            default KMS key for EBS or a customer managed key you choose. Existing unencrypted volumes are not
            changed; they are encrypted by copying a snapshot with encryption.""",
        cite=cite("https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html")),
    question(
        "rds-encrypt-existing-instance", domain="data-protection", difficulty="medium", task="1.3", teaches="",
        stem="""An existing Amazon RDS for MySQL instance was created without encryption. Compliance now requires
            it to be encrypted at rest with a customer managed KMS key. What should the solutions architect do?""",
        options=[
            (RIGHT, "Snapshot it, copy the snapshot with encryption under the key, and restore from the copy.",
             "Right. Encryption is chosen when an instance is created; an encrypted copy of a snapshot is the way "
             "to get an encrypted instance with the same data."),
            (WRONG, "Modify the instance to turn on storage encryption; RDS encrypts the volumes in place.",
             "Wrong. An existing unencrypted DB instance cannot be switched to encrypted."),
            (WRONG, "Create an encrypted read replica of the instance, then promote the replica.",
             "Wrong. A read replica of an unencrypted instance must be unencrypted too."),
            (WRONG, "Turn on encryption in the instance's option group and reboot in the maintenance window.",
             "Wrong. Storage encryption is not an option group setting."),
        ],
        explanation="""RDS encrypts an instance's storage, automated backups, read replicas and snapshots with a KMS
            key chosen at creation. To encrypt an existing instance, copy one of its snapshots with encryption
            enabled and restore a new instance from that copy, then move the application to it.""",
        cite=cite("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html")),
    question(
        "kms-multi-region-keys-dr", domain="data-protection", difficulty="hard", task="1.3", teaches="",
        stem="""SecureCart encrypts order archives in its application with a KMS key in `us-east-1` and replicates
            the ciphertext to `us-west-2` for disaster recovery. If `us-east-1` is unavailable, the recovery site
            must decrypt the archives without re-encrypting them. What should the solutions architect use?""",
        options=[
            (RIGHT, "A multi-Region key, with a replica key in `us-west-2` that shares its key material.",
             "Right. Multi-Region keys share key ID and key material across Regions, so ciphertext from one Region "
             "decrypts with the replica in another, without calling the first Region."),
            (WRONG, "A new key in `us-west-2` with the same alias name as the key in `us-east-1`.",
             "Wrong. An alias only names a key; the new key has different key material and cannot decrypt the "
             "archives."),
            (WRONG, "A grant on the `us-east-1` key for the recovery roles in `us-west-2`.",
             "Wrong. A grant gives permission on the same key, which lives in `us-east-1` and is unavailable "
             "with that Region."),
            (WRONG, "A key policy on the `us-east-1` key that allows principals of the recovery Region.",
             "Wrong. Permission does not help when the key's Region itself is down."),
        ],
        explanation="""A multi-Region key is a set of interoperable KMS keys in several Regions with the same key ID
            and key material. Each replica is a full KMS key with its own policy; data encrypted under one can be
            decrypted under another, which suits disaster recovery and client-side encryption of replicated
            data.""",
        cite=cite("https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html")),
    question(
        "cloudhsm-single-tenant", domain="data-protection", difficulty="medium", task="1.3", teaches="",
        stem="""A regulator requires SecureCart's payment keys to live in single-tenant hardware security modules
            under the company's exclusive control, with the company's own crypto officers managing the HSM users.
            Which service meets the requirement?""",
        options=[
            (RIGHT, "AWS CloudHSM, with the keys created in SecureCart's own HSM cluster.",
             "Right. CloudHSM gives you dedicated HSMs in your VPC; you create and manage the HSM users and keys, "
             "and AWS has no access to your keys."),
            (WRONG, "AWS KMS customer managed keys whose key material SecureCart imports.",
             "Wrong. Imported material gives control over the material's origin and expiry, but KMS runs "
             "multi-tenant HSMs that AWS operates."),
            (WRONG, "AWS KMS customer managed keys with automatic annual key rotation.",
             "Wrong. Rotation changes key material; the HSMs are still KMS's shared fleet."),
            (WRONG, "AWS Secrets Manager, with the keys stored as secrets under a customer managed key.",
             "Wrong. Secrets Manager stores secrets encrypted by KMS; it is not a single-tenant HSM."),
        ],
        explanation="""AWS KMS is the default choice for key management: keys are protected by HSMs AWS operates for
            all customers. AWS CloudHSM provides single-tenant HSMs that you manage (users, keys, backups), for
            requirements of exclusive control or specific HSM interfaces (PKCS #11, JCE, CNG).""",
        cite=cite("https://docs.aws.amazon.com/cloudhsm/latest/userguide/introduction.html")),
    # ---- backups and replication ---------------------------------------------------------------------------------
    question(
        "backup-central-cross-account", domain="data-lifecycle", difficulty="medium", task="1.3", teaches="",
        stem="""SecureCart must back up the EBS volumes, RDS databases and DynamoDB tables of 30 accounts every day,
            keep a copy of each backup in a separate backup account in another Region, and manage all of it
            centrally. Which solution has the LEAST operational overhead?""",
        options=[
            (RIGHT, "AWS Backup with organization backup policies that copy recovery points to the backup account.",
             "Right. Backup policies in AWS Organizations apply backup plans to every account, and plans can copy "
             "recovery points to a vault in another account and Region."),
            (WRONG, "A Lambda function per account that takes snapshots nightly and copies them across accounts.",
             "Wrong. It is code to write, run and monitor in 30 accounts for three services."),
            (WRONG, "Amazon Data Lifecycle Manager in each account for EBS, plus RDS automated backups.",
             "Wrong. It is configured account by account, does not cover DynamoDB, and does not copy to the backup "
             "account centrally."),
            (WRONG, "S3 Cross-Region Replication of exports of each service into the backup account's bucket.",
             "Wrong. Exports are not backups of volumes and databases, and they must be scripted per service."),
        ],
        explanation="""AWS Backup centralizes backups of many services (EBS, EC2, RDS, Aurora, DynamoDB, EFS, S3 and
            more) with backup plans. With AWS Organizations, backup policies deploy plans to every account, and
            cross-account and cross-Region copy sends recovery points to a vault in a dedicated backup account.""",
        cite=cite(BACKUP + "whatisbackup.html")),
    question(
        "backup-vault-lock-compliance", domain="data-lifecycle", difficulty="hard", task="1.3", teaches="",
        stem="""SecureCart fears that an attacker with administrator credentials could delete its backups before
            encrypting its data. Recovery points must be impossible to delete for 35 days, by anyone, including the
            root user. What should the solutions architect configure?""",
        options=[
            (RIGHT, "AWS Backup Vault Lock in compliance mode, with a minimum retention of 35 days.",
             "Right. After the grace time, a compliance-mode lock cannot be changed or removed by anyone, and "
             "recovery points cannot be deleted before their retention ends."),
            (WRONG, "AWS Backup Vault Lock in governance mode, with a minimum retention of 35 days.",
             "Wrong. Governance mode can be removed by principals with the right IAM permissions, which an "
             "attacker with administrator credentials has."),
            (WRONG, "A backup vault access policy that denies deletion to all but the backup administrator role.",
             "Wrong. An administrator can change the vault access policy, or assume that role."),
            (WRONG, "Copies of every backup in a second vault, in another Region of the same account.",
             "Wrong. The same administrator credentials can delete both copies."),
        ],
        explanation="""AWS Backup Vault Lock enforces write-once-read-many on a backup vault. Governance mode lets
            sufficiently privileged users remove the lock; compliance mode becomes immutable when its grace time
            ends, so no user, not even the root user or AWS, can shorten retention or delete recovery points.""",
        cite=cite(BACKUP + "vault-lock.html")),
    question(
        "s3-replication-isolated-copy", domain="data-lifecycle", difficulty="medium", task="1.3", teaches="",
        stem="""The invoices bucket needs a copy in another Region, owned by a separate backup account, so that an
            attacker who deletes or overwrites data in the primary account cannot touch the copy. New objects must
            reach the copy within 15 minutes. Which configuration meets the requirements?""",
        options=[
            (RIGHT, "Cross-Region Replication with Replication Time Control to a bucket the backup account owns.",
             "Right. Replication to another account and Region, with ownership of replicas changed to the "
             "destination owner, isolates the copy; RTC replicates most objects within 15 minutes."),
            (WRONG, "Same-Region Replication to a second, versioned bucket in the primary account.",
             "Wrong. The copy is in the same account and Region, within reach of the same attacker."),
            (WRONG, "A daily AWS Backup plan for the bucket, with the vault in the primary account's Region.",
             "Wrong. Daily backups miss the 15 minutes, and the vault is in the same account and Region."),
            (WRONG, "Cross-Region Replication to the primary account with delete marker replication turned on.",
             "Wrong. The copy stays in the attacker's reach, and replicating delete markers carries deletions "
             "over."),
        ],
        explanation="""S3 Replication copies new objects to buckets in the same or other Regions and accounts
            (versioning is required on both buckets). For an isolated copy, replicate to another account and change
            replica ownership to it; delete markers are not replicated unless you ask; S3 Replication Time Control
            adds a 15-minute replication SLA and metrics.""",
        cite=cite(S3 + "replication.html")),
    question(
        "s3-versioning-recover-overwrites", domain="data-lifecycle", difficulty="easy", task="1.3", teaches="",
        stem="""Staff sometimes overwrite or delete product photos in an S3 bucket by mistake, and the previous
            file must then be restored the same day. Which solution meets the requirement with the LEAST
            effort?""",
        options=[
            (RIGHT, "Turn on S3 Versioning, so overwrites and deletes keep the earlier versions to restore.",
             "Right. With versioning every overwrite creates a new version and a delete adds a delete marker; the "
             "earlier versions stay retrievable."),
            (WRONG, "Put an Object Lock legal hold on every object, so that none can be deleted.",
             "Wrong. Legal holds stop intended deletes as well, must be managed object by object, and still need "
             "versioning."),
            (WRONG, "Turn on S3 server access logging, so deleted objects can be rebuilt from the logs.",
             "Wrong. Access logs record requests, not object contents."),
            (WRONG, "Copy the bucket every night with `aws s3 sync` to a second bucket in the same account.",
             "Wrong. Changes made during the day are lost, and the copy job is extra work to run."),
        ],
        explanation="""S3 Versioning keeps every version of every object in the bucket. Restoring means copying an
            older version back (or removing a delete marker). Lifecycle rules can expire noncurrent versions after a
            while to control cost, and MFA delete can protect versions from deletion.""",
        cite=cite(S3 + "Versioning.html")),
    # ---- retention and WORM --------------------------------------------------------------------------------------
    question(
        "s3-object-lock-compliance", domain="data-lifecycle", difficulty="medium", task="1.3", teaches="",
        stem="""Trade confirmations stored in S3 must be kept unchanged for 7 years. Nobody, including the root
            user, may delete or overwrite them before then. Which configuration meets the requirement?""",
        options=[
            (RIGHT, "S3 Object Lock in compliance mode, with a default retention of 7 years on the bucket.",
             "Right. A compliance-mode retention cannot be shortened or removed by any user, the root user "
             "included, until it ends."),
            (WRONG, "S3 Object Lock in governance mode, with a default retention of 7 years on the bucket.",
             "Wrong. Users with `s3:BypassGovernanceRetention` can delete or shorten governance-mode "
             "retention."),
            (WRONG, "S3 Versioning with MFA delete, so deleting any version needs the root user's MFA device.",
             "Wrong. The root user can still delete versions, and MFA delete is not a retention period."),
            (WRONG, "A bucket policy that denies `s3:DeleteObject` to everyone, reviewed by the auditors yearly.",
             "Wrong. Administrators can edit the policy, and it does not stop overwrites with new versions."),
        ],
        explanation="""S3 Object Lock stores objects write-once-read-many: a retention period (governance or
            compliance mode) or a legal hold protects each object version. Compliance mode is for regulatory
            retention: the period cannot be shortened and the mode cannot be changed while it runs.""",
        cite=cite(S3 + "object-lock.html")),
    question(
        "glacier-vault-lock-policy", domain="data-lifecycle", difficulty="hard", task="1.3", teaches="",
        stem="""An archival system keeps audit archives in Amazon S3 Glacier vaults through the original Glacier
            API. A regulator requires a retention control for the vaults that, once in force, can never be changed
            by anyone. What should the solutions architect do?""",
        options=[
            (RIGHT, "Write a Vault Lock policy that denies deleting young archives, then complete the lock.",
             "Right. A Vault Lock policy is tested while the lock is in progress (24 hours) and becomes "
             "unchangeable once the lock is completed."),
            (WRONG, "Write a vault access policy that denies deleting young archives, reviewed by audit.",
             "Wrong. A vault access policy can be changed at any time by anyone allowed to set it."),
            (WRONG, "Deny `glacier:DeleteArchive` in every role's identity policy, enforced by a permissions boundary.",
             "Wrong. Administrators can change identity policies and boundaries."),
            (WRONG, "Add S3 Lifecycle rules that keep the archives in S3 Glacier Deep Archive for ten years.",
             "Wrong. Lifecycle rules move or expire objects; they are not a lock, and these archives are in vaults, "
             "not in a bucket."),
        ],
        explanation="""S3 Glacier Vault Lock attaches a lock policy to a vault: initiate the lock, test the policy
            during the 24-hour in-progress state, then complete it. From then on the policy cannot be changed or
            removed, which enforces controls such as "no deletion of archives younger than N days".""",
        cite=cite("https://docs.aws.amazon.com/amazonglacier/latest/dev/vault-lock.html")),
    question(
        "s3-lifecycle-log-retention", domain="data-lifecycle", difficulty="easy", task="1.3", teaches="",
        stem="""Access logs in S3 must be kept for one year and are rarely read after 30 days. After a year they
            must be deleted. Which solution has the LOWEST cost and effort?""",
        options=[
            (RIGHT, "A lifecycle rule: to S3 Glacier Flexible Retrieval after 30 days, expire after 365 days.",
             "Right. One lifecycle rule moves the logs to cheaper storage when they go cold and deletes them when "
             "their retention ends."),
            (WRONG, "A scheduled Lambda function that moves logs older than 30 days and deletes them at a year.",
             "Wrong. It works, but it is code to write and run for what a lifecycle rule does."),
            (WRONG, "S3 Intelligent-Tiering, which deletes objects once they stop being accessed.",
             "Wrong. Intelligent-Tiering moves objects between access tiers; it never deletes them."),
            (WRONG, "S3 Object Lock with a one-year retention, which deletes each object when it ends.",
             "Wrong. A retention period only prevents deletion; nothing is deleted when it ends."),
        ],
        explanation="""S3 Lifecycle configurations apply transition actions (to cheaper storage classes) and
            expiration actions (deletion) to objects by age, prefix or tag, and can also expire noncurrent versions
            and incomplete multipart uploads.""",
        cite=cite(S3 + "object-lifecycle-mgmt.html")),
    question(
        "s3-lifecycle-by-classification-tag", domain="data-lifecycle", difficulty="medium", task="1.3", teaches="",
        stem="""SecureCart's upload service tags each object `class=pii` or `class=public`. Objects with customer
            personal data must be kept for 2 years, the others for 90 days, and then deleted. Which solution needs
            the LEAST effort?""",
        options=[
            (RIGHT, "Two lifecycle rules filtered on the `class` tag, expiring objects after 730 and 90 days.",
             "Right. Lifecycle rules can filter on object tags, so the classification the application already "
             "records drives the retention."),
            (WRONG, "A Lambda function that moves each object to a prefix for its class, then rules by prefix.",
             "Wrong. It works, but it copies every object and adds code, while the tags can be used directly."),
            (WRONG, "Amazon Macie jobs that delete the objects without personal data once they are 90 days old.",
             "Wrong. Macie finds and reports sensitive data; it does not delete objects."),
            (WRONG, "S3 Object Lock retention of 730 and 90 days, which deletes the objects when it ends.",
             "Wrong. Retention prevents deletion until it ends; it never deletes anything."),
        ],
        explanation="""Data retention follows classification: once objects carry their class (a tag set by the
            application, or one derived from Macie findings), lifecycle rules filtered on that tag apply the right
            retention without moving data.""",
        cite=cite(S3 + "object-lifecycle-mgmt.html")),
    # ---- compliance --------------------------------------------------------------------------------------------
    question(
        "artifact-aws-compliance-reports", domain="data-lifecycle", difficulty="easy", task="1.3", teaches="",
        stem="""An auditor asks SecureCart for AWS's own SOC 2 Type II report and PCI DSS attestation of compliance
            for the services it uses. Where can the team get them?""",
        options=[
            (RIGHT, "AWS Artifact, which provides AWS's compliance reports on demand.",
             "Right. Artifact is the self-service portal for AWS's security and compliance reports and for "
             "agreements such as the BAA."),
            (WRONG, "AWS Audit Manager, which produces AWS's SOC 2 report for the account.",
             "Wrong. Audit Manager collects evidence about your own use of AWS; it does not issue AWS's "
             "reports."),
            (WRONG, "AWS Security Hub, whose PCI DSS standard issues AWS's attestation of compliance.",
             "Wrong. Security Hub checks your resources against standards; it does not attest AWS's "
             "compliance."),
            (WRONG, "AWS Config conformance packs for PCI DSS, whose results are AWS's attestation.",
             "Wrong. Conformance packs evaluate your configuration; they are not AWS's audit reports."),
        ],
        explanation="""Under the shared responsibility model, AWS proves the security of the cloud with third-party
            audits whose reports (SOC, PCI DSS, ISO certifications...) are downloadable in AWS Artifact; proving the
            security of your own workloads is your part, with tools such as Audit Manager, Config and Security
            Hub.""",
        cite=cite("https://docs.aws.amazon.com/artifact/latest/ug/what-is-aws-artifact.html")),
    question(
        "config-conformance-pack", domain="data-lifecycle", difficulty="medium", task="1.3", teaches="",
        stem="""SecureCart must continuously check its 30 accounts against an operational best-practice framework
            (S3 encryption and public access, CloudTrail on, EBS encryption...) and report by framework, with the
            LEAST effort. What should the solutions architect do?""",
        options=[
            (RIGHT, "Deploy an AWS Config conformance pack for the framework across the organization.",
             "Right. A conformance pack deploys a set of Config rules and remediation actions as one unit, to every "
             "account of the organization, and reports compliance for the pack."),
            (WRONG, "Run IAM Access Analyzer in every account and export its findings every month.",
             "Wrong. Access Analyzer reports who can reach resources and which access goes unused, not encryption "
             "or logging settings."),
            (WRONG, "Write Lambda functions that check each control nightly and store the results in S3.",
             "Wrong. It is custom code for checks that managed Config rules already provide."),
            (WRONG, "Download AWS's PCI DSS attestation from AWS Artifact for each of the 30 accounts.",
             "Wrong. Artifact proves AWS's compliance, not that SecureCart's resources are configured well."),
        ],
        explanation="""AWS Config records resource configurations and evaluates them with rules. Conformance packs
            bundle rules and remediations (AWS provides sample packs for frameworks such as PCI DSS, HIPAA or CIS)
            and can be deployed to all accounts of an organization from a delegated administrator.""",
        cite=cite("https://docs.aws.amazon.com/config/latest/developerguide/conformance-packs.html")),
]
