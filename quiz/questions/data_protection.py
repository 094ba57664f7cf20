"""Data protection where it touches identity: S3 cross-account access and Object Ownership, KMS key policies,
Secrets Manager (SAA-C03 tasks 1.1, 1.2 and 1.3)."""
from __future__ import annotations

from . import RIGHT, WRONG, question

KMS_KEY_POLICIES = ("AWS KMS Developer Guide: Key policies in AWS KMS",
                    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html")
KMS_CROSS_ACCOUNT = ("AWS KMS Developer Guide: Allowing users in other accounts to use a KMS key",
                     "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html")
SM_ROTATION = ("AWS Secrets Manager User Guide: Rotate AWS Secrets Manager secrets",
               "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html")

QUESTIONS = [
    # ---- S3 ---------------------------------------------------------------------------------------------------
    question(
        "s3-xacct-object-ownership", domain="data-protection", difficulty="medium", task="1.3",
        teaches="",
        stem="""A logistics partner uploads delivery reports into SecureCart's bucket `securecart-invoices` from the
            partner's own AWS account. SecureCart's analysts get `AccessDenied` on some of those objects, because the
            partner's account owns them. SecureCart must own every object in the bucket from now on, with the LEAST
            operational overhead. What should the solutions architect do?""",
        options=[
            (RIGHT, "Set the bucket's S3 Object Ownership to **Bucket owner enforced**.",
             "Right. ACLs are disabled and the bucket owner automatically owns every object, whoever uploads it; "
             "access is then governed by policies alone."),
            (WRONG, "Ask the partner to add the `bucket-owner-full-control` ACL to every upload.",
             "Wrong. It gives SecureCart access but leaves the partner as owner, and relies on every upload being "
             "right."),
            (WRONG, "Run a nightly job that copies each partner object onto itself with SecureCart's credentials.",
             "Wrong. It works eventually, but it is extra code and cost, and objects are unreadable until copied."),
            (WRONG, "Grant the analysts `s3:*` on the bucket in their identity policies.",
             "Wrong. Identity policies in SecureCart's account cannot grant access to objects another account owns "
             "through ACLs."),
        ],
        explanation="""S3 Object Ownership decides who owns uploaded objects. With **Bucket owner enforced** (the
            default for new buckets) ACLs are disabled, the bucket owner owns every object, and cross-account
            uploaders are authorized by the bucket policy only. AWS recommends it for most use cases.""",
        cite=("Amazon S3 User Guide: Controlling ownership of objects and disabling ACLs for your bucket",
              "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html")),
    question(
        "s3-xacct-read-needs-both-sides", domain="cross-account", difficulty="medium", task="1.1",
        teaches="cross-account-auditors/assume-audit-role", tags=("identity policy", "own account"), multi=True,
        stem="""The role `Reporting` in account 111122223333 must read objects from the bucket
            `securecart-security-logs` in account 123456789012 (objects encrypted with SSE-S3). Which two
            configurations are required? (Choose two.)""",
        options=[
            (RIGHT, "A bucket policy on `securecart-security-logs` that allows `s3:GetObject` for the `Reporting` "
                    "role's ARN.",
             "Right. The resource owner's side: account 123456789012 must allow the outside principal."),
            (RIGHT, "An identity policy on `Reporting` that allows `s3:GetObject` on the bucket's objects.",
             "Right. The caller's side: account 111122223333 must allow its role to make the request."),
            (WRONG, "A trust policy on the bucket naming account 111122223333.",
             "Wrong. Buckets have bucket policies; trust policies belong to IAM roles."),
            (WRONG, "An SCP in 111122223333's organization that allows `s3:GetObject`.",
             "Wrong. SCPs never grant permissions; at most they stop blocking the action."),
            (WRONG, "A copy of the bucket in account 111122223333 kept in sync by S3 Replication.",
             "Wrong. Replication is a data-copy feature, not a way to grant access, and doubles storage cost."),
        ],
        explanation="""A cross-account request is allowed only if both accounts allow it: the resource-based policy
            in the owning account and the identity-based policy in the calling account. (Alternatively the bucket
            owner can offer a role to assume, in which case the reader works inside the owner's account.)""",
        cite=("IAM User Guide: Cross-account policy evaluation logic",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html")),
    question(
        "s3-xacct-sse-kms-decrypt", domain="data-protection", difficulty="hard", task="1.3",
        teaches="",
        stem="""Cross-account reads from `securecart-security-logs` work for old objects, but fail with
            `AccessDenied` for objects encrypted since last week with SSE-KMS using a customer managed key in the
            bucket's account. The bucket policy and the reader's identity policy are unchanged. What must be added?""",
        options=[
            (RIGHT, "Allow the reader's role `kms:Decrypt` in the key policy and in the role's identity policy.",
             "Right. Reading an SSE-KMS object makes S3 call KMS on the caller's behalf, so the caller needs "
             "permission on the key, granted on both sides of the account boundary."),
            (WRONG, "Switch the bucket's default encryption to the AWS managed key `aws/s3` for new objects.",
             "Wrong. Policies of AWS managed keys cannot be changed, so other accounts can never be allowed to use "
             "them: cross-account readers would fail for good."),
            (WRONG, "Add `s3:GetObject` with an `s3:x-amz-server-side-encryption` condition to the bucket policy.",
             "Wrong. The bucket policy already lets the reader get objects; what is missing is permission to use "
             "the KMS key, which only KMS (key policy and IAM) can grant."),
            (WRONG, "Enable S3 Bucket Keys so that S3, not KMS, decrypts the objects for the reader.",
             "Wrong. Bucket Keys reduce KMS request costs; KMS still protects the bucket key, and they do not grant "
             "anyone permission to decrypt."),
        ],
        explanation="""With SSE-KMS, S3 asks KMS to decrypt the data key for the caller. Cross-account callers need
            the key policy (in the key's account) to allow them and their own identity policy to allow the KMS
            action on that key. Customer managed keys can be shared this way; AWS managed keys cannot.""",
        cite=KMS_CROSS_ACCOUNT),
    question(
        "s3-block-public-access-account", domain="data-protection", difficulty="easy", task="1.3",
        teaches="",
        stem="""After an incident elsewhere, SecureCart's CISO wants to make sure no bucket in the production account
            can ever be made public, whatever a team writes in a bucket policy or ACL. Which solution is the MOST
            effective with the LEAST operational overhead?""",
        options=[
            (RIGHT, "Turn on all four S3 Block Public Access settings at the account level.",
             "Right. Account-level Block Public Access overrides bucket policies and ACLs for every existing and "
             "future bucket in the account."),
            (WRONG, "Run Amazon Macie daily and delete each bucket policy it reports as public.",
             "Wrong. Macie discovers sensitive data; it does not prevent public access."),
            (WRONG, "Add a Deny for `\"Principal\": \"*\"` to every bucket policy in the account.",
             "Wrong. A blanket Deny for everyone would lock out SecureCart too, and new buckets would not have it."),
            (WRONG, "Deploy an AWS Config rule that reports public buckets to the security team.",
             "Wrong. Config detects; it does not stop a bucket from being made public."),
        ],
        explanation="""S3 Block Public Access can be set per bucket, per account and (through an SCP that denies
            `s3:PutAccountPublicAccessBlock`) kept from being turned off. At the account level it applies to all
            buckets, including ones created later.""",
        cite=("Amazon S3 User Guide: Blocking public access to your Amazon S3 storage",
              "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html")),
    question(
        "s3-vpc-endpoint-only", domain="data-protection", difficulty="medium", task="1.2",
        teaches="",
        stem="""The web tier in a private VPC reads `securecart-invoices` through an S3 gateway VPC endpoint. The
            security team wants requests from anywhere else to fail, even with valid credentials. What should the
            bucket policy do?""",
        options=[
            (RIGHT, "Deny `s3:*` unless `aws:SourceVpce` equals the ID of the VPC endpoint.",
             "Right. Requests that come through the endpoint carry its ID; every other request matches the Deny."),
            (WRONG, "Deny `s3:*` unless `aws:SourceIp` is within the VPC's private CIDR range.",
             "Wrong. Requests through a VPC endpoint do not carry the instance's private IP in `aws:SourceIp`, so "
             "this would not work as intended."),
            (WRONG, "Attach a security group to the bucket that allows only the web tier.",
             "Wrong. Buckets are not in a VPC and have no security groups."),
            (WRONG, "Add a network ACL rule on the subnet that blocks traffic to S3's public IP ranges.",
             "Wrong. That controls the VPC's outbound traffic, not who can reach the bucket from elsewhere."),
        ],
        explanation="""S3 bucket policies can test `aws:SourceVpce` (a specific endpoint) or `aws:SourceVpc` to
            restrict access to traffic from a VPC endpoint. Endpoint policies add the other direction: which buckets
            the VPC may reach.""",
        cite=("Amazon S3 User Guide: Controlling access from VPC endpoints with bucket policies",
              "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html")),
    question(
        "s3-presigned-invoice-links", domain="data-protection", difficulty="easy", task="1.2",
        teaches="",
        stem="""Customers must be able to download their own invoice PDF from a link in an e-mail for 15 minutes,
            without an AWS account and without the bucket ever being public. What is the MOST secure solution?""",
        options=[
            (RIGHT, "Generate an S3 presigned URL for the invoice object that expires after 15 minutes.",
             "Right. The URL carries a signature made with the application's credentials and stops working after "
             "its expiry (or when those credentials expire, if sooner)."),
            (WRONG, "Serve the invoices through CloudFront with origin access control and no signed URLs.",
             "Wrong. Origin access control keeps the bucket private, but without signed URLs or cookies anyone with "
             "the link can download the invoice through CloudFront, with no expiry."),
            (WRONG, "Copy each invoice to a public bucket with a lifecycle rule that deletes it after one day.",
             "Wrong. The copy is public for a day (lifecycle rules are not exact either), which breaks both the "
             "15 minutes and the never-public requirement."),
            (WRONG, "Allow `s3:GetObject` in the bucket policy when `aws:Referer` is SecureCart's site.",
             "Wrong. The Referer header is set by the client and easy to forge."),
        ],
        explanation="""A presigned URL grants temporary access to one object with the signer's permissions. It is
            valid until the expiry set when it is created; if it was signed with temporary credentials (for example
            a role session), it also stops working when those credentials expire.""",
        cite=("Amazon S3 User Guide: Sharing objects with presigned URLs",
              "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html")),
    # ---- KMS ----------------------------------------------------------------------------------------------------
    question(
        "kms-default-key-policy", domain="data-protection", difficulty="medium", task="1.3",
        teaches="",
        stem="""A new customer managed KMS key has only the default key policy statement: it allows `kms:*` to the
            principal `arn:aws:iam::123456789012:root`. What does that statement do?""",
        options=[
            (RIGHT, "It lets IAM policies in account 123456789012 allow the use of the key.",
             "Right. Naming the account in the key policy delegates to IAM: identity policies in the account can "
             "then allow principals to use the key."),
            (WRONG, "It gives the account's root user alone access; IAM policies cannot grant any.",
             "Wrong. `:root` in a key policy means the account, not only the root user."),
            (WRONG, "It lets every principal in the account use the key, with no IAM policy needed.",
             "Wrong. Principals still need an identity policy that allows the KMS actions."),
            (WRONG, "It lets any AWS account that knows the key's ARN use it for encryption.",
             "Wrong. It names one account; other accounts need their own statements in the key policy."),
        ],
        explanation="""Every KMS key has exactly one key policy, and no principal can use the key unless the key
            policy allows it, directly or by delegating to IAM through the account principal. Without that
            delegation statement, IAM policies alone do not give access to the key.""",
        cite=KMS_KEY_POLICIES),
    question(
        "kms-cross-account-use", domain="data-protection", difficulty="medium", task="1.3",
        teaches="", multi=True,
        stem="""A Lambda function in account 111122223333 must encrypt data with a customer managed key in account
            123456789012. Which two changes are needed? (Choose two.)""",
        options=[
            (RIGHT, "Add a statement to the key policy in 123456789012 allowing account 111122223333 (or the "
                    "function's role) `kms:Encrypt` and `kms:GenerateDataKey`.",
             "Right. The key's account must allow the outside account in the key policy."),
            (RIGHT, "Allow those KMS actions on the key's ARN in the function's execution role policy.",
             "Right. The calling account must also allow its role to use the key."),
            (WRONG, "Create an alias in 111122223333 that points to the key in 123456789012.",
             "Wrong. An alias can only refer to a key in its own account and Region."),
            (WRONG, "Share the key with AWS Resource Access Manager.",
             "Wrong. KMS keys are shared through key policies (and grants), not through AWS RAM."),
            (WRONG, "Use the AWS managed key `aws/lambda` instead.",
             "Wrong. AWS managed keys cannot be used across accounts."),
        ],
        explanation="""Cross-account use of a KMS key needs two permissions: the key policy (or a grant) in the key's
            account, and an IAM policy in the caller's account. Callers must refer to the key by its key ARN or
            alias ARN, because aliases do not cross accounts.""",
        cite=KMS_CROSS_ACCOUNT),
    question(
        "kms-customer-managed-when", domain="data-protection", difficulty="easy", task="1.3",
        teaches="",
        stem="""SecureCart's compliance team must control who can use the key that encrypts invoice data, audit every
            use in CloudTrail, and let the auditors' account decrypt reports. Which encryption option meets all
            requirements?""",
        options=[
            (RIGHT, "SSE-KMS with a customer managed key.",
             "Right. SecureCart writes the key policy (including the auditors' account), and every use is logged."),
            (WRONG, "SSE-KMS with the AWS managed key `aws/s3`.",
             "Wrong. Its key policy cannot be edited, so another account can never be allowed to use it."),
            (WRONG, "SSE-S3 (Amazon S3 managed keys).",
             "Wrong. S3 manages those keys; there is no key policy to control and no per-use KMS audit trail."),
            (WRONG, "An AWS owned key.",
             "Wrong. AWS owned keys are managed by AWS for many accounts; customers cannot see or control them."),
        ],
        explanation="""Customer managed keys are the only KMS keys whose policy, grants, rotation and deletion the
            customer controls. AWS managed keys are usable only by the AWS service in the customer's own account;
            AWS owned keys are not visible to customers at all.""",
        cite=("AWS KMS Developer Guide: AWS KMS keys",
              "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html")),
    question(
        "kms-automatic-rotation", domain="data-protection", difficulty="medium", task="1.3",
        teaches="",
        stem="""A compliance rule requires that the key material of SecureCart's customer managed KMS keys changes
            every year. Data encrypted years ago must stay readable. Which solution has the LEAST operational
            overhead?""",
        options=[
            (RIGHT, "Enable automatic key rotation on each key (rotation period 365 days).",
             "Right. KMS creates new key material on schedule, keeps the old material to decrypt old ciphertext, "
             "and the key ID and policy stay the same."),
            (WRONG, "Create a new key every year, re-encrypt all data with it, and delete the old key.",
             "Wrong. It works, but it is a yearly migration project, and deleting keys too early destroys data."),
            (WRONG, "Create the keys with imported key material and import new material every year.",
             "Wrong for the least overhead. Keys with imported material (origin EXTERNAL) cannot use automatic "
             "rotation: every year you would generate, wrap and import new material and start an on-demand "
             "rotation yourself."),
            (WRONG, "Change the key's alias to a new key every year.",
             "Wrong. Aliases only point to keys; old data is still encrypted under the old key, which must be kept."),
        ],
        explanation="""Automatic rotation of symmetric customer managed keys creates new key material on a schedule
            you choose (90 to 2560 days, 365 by default). Encryption uses the newest material; older material is
            kept so existing ciphertext can still be decrypted, with no change to applications. On-demand rotation
            (`RotateKeyOnDemand`) rotates at once; keys with imported key material (origin EXTERNAL) cannot rotate
            automatically but support on-demand rotation to new imported material, keeping the key ID.""",
        cite=("AWS KMS Developer Guide: Rotate AWS KMS keys",
              "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html")),
    question(
        "kms-s3-bucket-keys-cost", domain="data-protection", difficulty="medium", task="1.3",
        teaches="",
        stem="""The product-image bucket serves millions of GET requests a day, encrypted with SSE-KMS and a customer
            managed key. KMS request charges have become a large part of the bill. Which change is the MOST
            cost-effective while keeping SSE-KMS?""",
        options=[
            (RIGHT, "Enable S3 Bucket Keys for the bucket.",
             "Right. S3 uses a short-lived bucket-level key derived from the KMS key, cutting requests to KMS (and "
             "their cost) by a large factor."),
            (WRONG, "Switch to client-side encryption with the same KMS key.",
             "Wrong. Every client would still call KMS, and the applications must change."),
            (WRONG, "Request a higher KMS request quota.",
             "Wrong. A quota increase prevents throttling but does not reduce the charges."),
            (WRONG, "Use SSE-C with keys stored in Secrets Manager.",
             "Wrong. That gives up KMS key policies and audit, adds key handling to every request, and still costs."),
        ],
        explanation="""S3 Bucket Keys reduce the cost of SSE-KMS by up to 99% by reducing request traffic from S3 to
            KMS; the KMS key, its policy and CloudTrail logging of its use are unchanged.""",
        cite=("Amazon S3 User Guide: Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys",
              "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html")),
    question(
        "kms-grants-temporary-use", domain="data-protection", difficulty="hard", task="1.3",
        teaches="",
        stem="""A nightly batch job (its own IAM role) must decrypt one dataset with a customer managed key, and the
            permission must be removed automatically when the job finishes. Editing the key policy every night is
            not acceptable. What should the solutions architect use?""",
        options=[
            (RIGHT, "Create a KMS grant for the job's role before each run and retire it when the job ends.",
             "Right. Grants give a principal permission to use a key for specific operations, are created and "
             "retired by API, and need no key policy change."),
            (WRONG, "Add and then remove a statement in the job role's trust policy before and after each run.",
             "Wrong. Trust policies control who assumes the role, not whether it may use a key."),
            (WRONG, "Share the key with the job's role through AWS RAM for the duration of each run.",
             "Wrong. KMS keys are not shared through AWS RAM."),
            (WRONG, "Generate a data key once with `GenerateDataKey` and keep it in the job's configuration.",
             "Wrong. A plaintext data key kept in configuration is a long-lived secret that never goes away, the "
             "opposite of permission removed when the job ends."),
        ],
        explanation="""A grant is a policy instrument for a single key that allows a grantee principal to use it in
            cryptographic operations, often for a limited time. AWS services use grants to act on encrypted
            resources; applications can create, list, retire and revoke them programmatically.""",
        cite=("AWS KMS Developer Guide: Grants in AWS KMS",
              "https://docs.aws.amazon.com/kms/latest/developerguide/grants.html")),
    question(
        "kms-via-service-condition", domain="data-protection", difficulty="hard", task="1.3",
        teaches="",
        stem="""Developers may use the invoices key only indirectly, through Amazon S3 in `eu-west-1`, and never by
            calling `kms:Decrypt` themselves from scripts. Which key policy condition enforces this?""",
        options=[
            (RIGHT, "`kms:ViaService` equal to `s3.eu-west-1.amazonaws.com` on the statement allowing the "
                    "developers.",
             "Right. `kms:ViaService` is present only when an AWS service makes the KMS request on the principal's "
             "behalf, and names that service."),
            (WRONG, "`aws:SourceIp` equal to S3's published IP ranges on the statement allowing the developers.",
             "Wrong. For service-made calls the source IP is not the developer's, and IP ranges do not prove which "
             "service called."),
            (WRONG, "`aws:SecureTransport` equal to `true` on the statement allowing the developers.",
             "Wrong. That only requires TLS; scripts calling KMS directly use TLS too."),
            (WRONG, "`aws:RequestedRegion` equal to `eu-west-1` on the statement allowing the developers.",
             "Wrong. It limits the Region, not whether the call came through S3."),
        ],
        explanation="""The KMS condition key `kms:ViaService` limits use of a key to requests from specified AWS
            services (e.g. S3, EBS, RDS) acting for the principal. Direct calls from scripts do not carry it, so the
            allow does not apply to them.""",
        cite=("AWS KMS Developer Guide: AWS KMS condition keys",
              "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html")),
    # ---- Secrets Manager -------------------------------------------------------------------------------------
    question(
        "sm-rotate-database-password", domain="data-protection", difficulty="easy", task="1.2",
        teaches="",
        stem="""SecureCart's checkout service reads the database password `DBPassword` from a configuration file
            baked into its AMI. Security wants the password out of the AMI and changed automatically every 30 days,
            with the LEAST operational overhead. What should the solutions architect do?""",
        options=[
            (RIGHT, "Secrets Manager with rotation every 30 days; the service reads it at run time with its role.",
             "Right. A rotation function (AWS provides one for RDS databases) changes the password in the database "
             "and the secret together, and the instance role's permission to read the secret replaces the file."),
            (WRONG, "A Parameter Store SecureString parameter, changed every 30 days by a cron job on one "
                    "instance.",
             "Wrong. Parameter Store has no built-in rotation; the cron job is extra code to maintain."),
            (WRONG, "The password in the AMI, encrypted with KMS, with a new AMI built and rolled out monthly.",
             "Wrong. The password stays on disk in every AMI and snapshot, and each change is a rebuild."),
            (WRONG, "An environment variable set in the instances' user data, updated by a monthly Lambda "
                    "function.",
             "Wrong. User data is readable by anyone with `ec2:DescribeInstanceAttribute`, and nothing rotates it."),
        ],
        explanation="""Secrets Manager stores secrets encrypted with KMS, controls access with IAM and resource
            policies, and rotates them on a schedule with a Lambda rotation function (AWS provides templates for
            RDS, Aurora, Redshift and DocumentDB credentials). Managed rotation is a different kind: the service that
            owns a secret rotates it itself, as RDS does for a master user password it manages in Secrets Manager.
            Applications fetch the current value at run time.""",
        cite=SM_ROTATION),
    question(
        "sm-parameter-store-cost", domain="data-protection", difficulty="medium", task="1.2",
        teaches="",
        stem="""Forty microservices need about 300 configuration values: feature flags, endpoints and a few API keys
            that must be encrypted. None of them needs automatic rotation. Which storage is the MOST cost-effective
            while keeping access under IAM control?""",
        options=[
            (RIGHT, "Parameter Store standard parameters, with SecureString (KMS) for the API keys.",
             "Right. Standard parameters have no storage charge, SecureString encrypts with KMS, and IAM controls "
             "access by parameter path."),
            (WRONG, "AWS Secrets Manager, one secret per value, with rotation turned off for all of them.",
             "Wrong. Secrets Manager charges per secret per month; without a need for rotation that is cost for "
             "nothing."),
            (WRONG, "An S3 object per microservice holding its values, with SSE-KMS, read at start-up.",
             "Wrong. It works, but every value in an object goes to whoever can read it, there is no per-value "
             "access or history, and each service needs code to parse it."),
            (WRONG, "An Amazon DynamoDB table with one item per value, encrypted with a customer managed key.",
             "Wrong. It works, but it is a table to design, pay for per request and secure item by item for what "
             "standard parameters give for free."),
        ],
        explanation="""Parameter Store suits configuration and secrets that do not need rotation: standard
            parameters are free to store, SecureString parameters are encrypted with KMS, and hierarchies let IAM
            policies grant access by path. Secrets Manager adds rotation, cross-account resource policies and
            replication, at a per-secret price.""",
        cite=("AWS Systems Manager User Guide: AWS Systems Manager Parameter Store",
              "https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-parameter-store.html")),
    question(
        "sm-cross-account-secret", domain="data-protection", difficulty="hard", task="1.2",
        teaches="", multi=True,
        stem="""A Lambda function in the analytics account must read the secret `DBPassword` in the production
            account. The secret is encrypted with the default key `aws/secretsmanager`. The function's role already
            allows `secretsmanager:GetSecretValue` on the secret's ARN. Which two further changes are required?
            (Choose two.)""",
        options=[
            (RIGHT, "Attach a resource policy to the secret that allows the analytics function's role "
                    "`secretsmanager:GetSecretValue`.",
             "Right. The production account must allow the outside role on the secret itself."),
            (RIGHT, "Re-encrypt the secret with a customer managed KMS key whose key policy allows the role "
                    "`kms:Decrypt`, and allow that in the role's policy.",
             "Right. The AWS managed key `aws/secretsmanager` cannot be used by other accounts, so the secret must "
             "use a customer managed key shared with the role."),
            (WRONG, "Share the secret with the analytics account through AWS RAM.",
             "Wrong. Secrets are shared with resource policies, not AWS RAM."),
            (WRONG, "Replicate the secret to the analytics account's Region.",
             "Wrong. Replication copies a secret to other Regions of the same account; it does not grant access."),
            (WRONG, "Enable rotation on the secret.",
             "Wrong. Rotation changes the value on a schedule; it has nothing to do with who may read it."),
        ],
        explanation="""Cross-account access to a secret needs a resource policy on the secret, an identity policy for
            the caller, and permission to decrypt with the secret's KMS key, which therefore must be a customer
            managed key whose policy allows the other account.""",
        cite=("AWS Secrets Manager User Guide: Access AWS Secrets Manager secrets from a different account",
              "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html")),
    question(
        "sm-client-side-caching", domain="data-protection", difficulty="medium", task="1.2",
        teaches="",
        stem="""The checkout service calls `GetSecretValue` for the database password on every request, about 2,000
            times a second. Secrets Manager requests are now throttled and expensive. What is the MOST
            cost-effective fix that still picks up rotated passwords?""",
        options=[
            (RIGHT, "Cache the value with a Secrets Manager caching client that refreshes it periodically.",
             "Right. A client-side cache serves the value from memory and refreshes it after a set time, so "
             "rotation is still picked up."),
            (WRONG, "Read the password once at start-up into an environment variable for the whole task's life.",
             "Wrong. The service would keep a stale password after rotation and break."),
            (WRONG, "Request a higher Secrets Manager API quota so that the calls are not throttled.",
             "Wrong. That removes throttling but keeps paying for 2,000 calls a second."),
            (WRONG, "Replicate the secret to a second Region and spread the `GetSecretValue` calls over both.",
             "Wrong. Replicas cost as much again per secret and per call; the number of calls, which is the "
             "problem, does not change."),
        ],
        explanation="""AWS provides caching clients (Java, Python, .NET, Go, and an AWS Parameters and Secrets
            Lambda extension) that keep secret values in memory and refresh them after a configurable interval,
            reducing cost and latency while following rotation.""",
        cite=("AWS Secrets Manager User Guide: Get secrets from AWS Secrets Manager",
              "https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets.html")),
]
