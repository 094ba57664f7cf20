"""The AWS pages the bank cites, each with its title as AWS shows it, prefixed by the guide it belongs to.

Every question cites one of these (quiz.bank refuses a citation that is not here, or whose title differs), so a
page renamed by AWS is fixed once, here. Titles were checked against the pages (docs.aws.amazon.com) when they were
added; the SAA-C03 exam guide is the source of the task statements (quiz.bank.TASKS).
"""
from __future__ import annotations

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
S3 = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/"
ORGS = "https://docs.aws.amazon.com/organizations/latest/userguide/"
SSO = "https://docs.aws.amazon.com/singlesignon/latest/userguide/"
SM = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/"
STS = "https://docs.aws.amazon.com/STS/latest/APIReference/"
VPC = "https://docs.aws.amazon.com/vpc/latest/userguide/"
PRIVATELINK = "https://docs.aws.amazon.com/vpc/latest/privatelink/"
WAF = "https://docs.aws.amazon.com/waf/latest/developerguide/"

CITATIONS: dict[str, str] = {
    # IAM User Guide
    IAM + "reference_policies_elements_principal.html": "IAM User Guide: AWS JSON policy elements: Principal",
    IAM + "reference_policies_elements_notprincipal.html": "IAM User Guide: AWS JSON policy elements: NotPrincipal",
    IAM + "reference_policies_elements_condition_operators.html":
        "IAM User Guide: IAM JSON policy elements: Condition operators",
    IAM + "reference_policies_evaluation-logic.html": "IAM User Guide: Policy evaluation logic",
    IAM + "reference_policies_evaluation-logic-cross-account.html": "IAM User Guide: Cross-account policy evaluation logic",
    IAM + "reference_policies_condition-keys.html": "IAM User Guide: AWS global condition context keys",
    IAM + "reference_policies_iam-condition-keys.html": "IAM User Guide: IAM and AWS STS condition context keys",
    IAM + "reference_identifiers.html": "IAM User Guide: IAM identifiers",
    IAM + "access_policies.html": "IAM User Guide: Policies and permissions in AWS Identity and Access Management",
    IAM + "access_policies_boundaries.html": "IAM User Guide: Permissions boundaries for IAM entities",
    IAM + "access_policies_identity-vs-resource.html": "IAM User Guide: Identity-based policies and resource-based policies",
    IAM + "confused-deputy.html": "IAM User Guide: The confused deputy problem",
    IAM + "id_credentials_access-keys.html": "IAM User Guide: Manage access keys for IAM users",
    IAM + "id_credentials_getting-report.html": "IAM User Guide: Generate credential reports for your AWS account",
    IAM + "id_credentials_mfa_configure-api-require.html": "IAM User Guide: Secure API access with MFA",
    IAM + "id_credentials_sts-comparison.html": "IAM User Guide: Compare AWS STS credentials",
    IAM + "id_credentials_temp.html": "IAM User Guide: Temporary security credentials in IAM",
    IAM + "id_credentials_temp_control-access_monitor.html":
        "IAM User Guide: Monitor and control actions taken with assumed roles",
    IAM + "id_roles_common-scenarios_aws-accounts.html":
        "IAM User Guide: Access for an IAM user in another AWS account that you own",
    IAM + "id_roles_common-scenarios_third-party.html": "IAM User Guide: Access to AWS accounts owned by third parties",
    IAM + "id_roles_create_for-idp_oidc.html": "IAM User Guide: Create a role for OpenID Connect federation (console)",
    IAM + "id_roles_manage-assume.html": "IAM User Guide: Methods to assume a role",
    IAM + "id_roles_providers.html": "IAM User Guide: Identity providers and federation into AWS",
    IAM + "id_roles_providers_oidc.html": "IAM User Guide: OIDC federation",
    IAM + "id_roles_providers_saml.html": "IAM User Guide: SAML 2.0 federation",
    IAM + "id_roles_terms-and-concepts.html": "IAM User Guide: Roles terms and concepts",
    IAM + "id_roles_use_revoke-sessions.html": "IAM User Guide: Revoke IAM role temporary security credentials",
    IAM + "id_roles_use_switch-role-ec2.html":
        "IAM User Guide: Use an IAM role to grant permissions to applications running on Amazon EC2 instances",
    IAM + "id_roles_use_switch-role-ec2_instance-profiles.html": "IAM User Guide: Use instance profiles",
    IAM + "id_session-tags.html": "IAM User Guide: Pass session tags in AWS STS",
    IAM + "introduction_attribute-based-access-control.html":
        "IAM User Guide: Define permissions based on attributes with ABAC authorization",
    IAM + "root-user-best-practices.html": "IAM User Guide: Root user best practices for your AWS account",
    IAM + "root-user-tasks.html": "IAM User Guide: Tasks that require root user credentials",
    IAM + "id_root-enable-root-access.html": "IAM User Guide: Centralize root access for member accounts",
    IAM + "id_groups.html": "IAM User Guide: IAM user groups",
    IAM + "what-is-access-analyzer.html": "IAM User Guide: What is IAM Access Analyzer?",
    IAM + "access-analyzer-findings.html": "IAM User Guide: IAM Access Analyzer findings",
    IAM + "access-analyzer-policy-generation.html": "IAM User Guide: IAM Access Analyzer policy generation",
    IAM + "access-analyzer-custom-policy-checks.html": "IAM User Guide: IAM Access Analyzer custom policy checks",
    # STS API Reference
    STS + "API_AssumeRole.html": "AWS STS API Reference: AssumeRole",
    STS + "API_GetCallerIdentity.html": "AWS STS API Reference: GetCallerIdentity",
    STS + "API_GetSessionToken.html": "AWS STS API Reference: GetSessionToken",
    # Amazon S3 User Guide
    S3 + "ShareObjectPreSignedURL.html": "Amazon S3 User Guide: Sharing objects with presigned URLs",
    S3 + "about-object-ownership.html":
        "Amazon S3 User Guide: Controlling ownership of objects and disabling ACLs for your bucket",
    S3 + "access-control-block-public-access.html": "Amazon S3 User Guide: Blocking public access to your Amazon S3 storage",
    S3 + "bucket-key.html": "Amazon S3 User Guide: Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys",
    S3 + "example-bucket-policies-vpc-endpoint.html":
        "Amazon S3 User Guide: Controlling access from VPC endpoints with bucket policies",
    # AWS KMS Developer Guide
    KMS + "concepts.html": "AWS KMS Developer Guide: AWS KMS keys",
    KMS + "conditions-kms.html": "AWS KMS Developer Guide: AWS KMS condition keys",
    KMS + "grants.html": "AWS KMS Developer Guide: Grants in AWS KMS",
    KMS + "key-policies.html": "AWS KMS Developer Guide: Key policies in AWS KMS",
    KMS + "key-policy-modifying-external-accounts.html":
        "AWS KMS Developer Guide: Allowing users in other accounts to use a KMS key",
    KMS + "rotate-keys.html": "AWS KMS Developer Guide: Rotate AWS KMS keys",
    # AWS Organizations User Guide
    ORGS + "orgs_integrate_services_list.html":
        "AWS Organizations User Guide: AWS services that you can use with AWS Organizations",
    ORGS + "orgs_manage_policies_rcps.html": "AWS Organizations User Guide: Resource control policies (RCPs)",
    ORGS + "orgs_manage_policies_scps.html": "AWS Organizations User Guide: Service control policies (SCPs)",
    ORGS + "orgs_manage_policies_scps_evaluation.html": "AWS Organizations User Guide: SCP evaluation",
    ORGS + "orgs_manage_policies_scps_examples.html": "AWS Organizations User Guide: Service control policy examples",
    # IAM Identity Center User Guide
    SSO + "abac.html": "IAM Identity Center User Guide: Attribute-based access control",
    SSO + "howtosessionduration.html": "IAM Identity Center User Guide: Set session duration",
    SSO + "permissionsetsconcept.html": "IAM Identity Center User Guide: Permission sets",
    # AWS Secrets Manager User Guide
    SM + "auth-and-access_examples_cross.html":
        "AWS Secrets Manager User Guide: Access AWS Secrets Manager secrets from a different account",
    SM + "retrieving-secrets.html": "AWS Secrets Manager User Guide: Get secrets from AWS Secrets Manager",
    SM + "rotating-secrets.html": "AWS Secrets Manager User Guide: Rotate AWS Secrets Manager secrets",
    # Amazon VPC and AWS PrivateLink
    VPC + "vpc-security-groups.html": "Amazon VPC User Guide: Control traffic to resources using security groups",
    VPC + "vpc-network-acls.html": "Amazon VPC User Guide: Control subnet traffic with network access control lists",
    VPC + "vpc-nat-gateway.html": "Amazon VPC User Guide: NAT gateways",
    VPC + "configure-subnets.html": "Amazon VPC User Guide: Subnets for your VPC",
    PRIVATELINK + "gateway-endpoints.html": "AWS PrivateLink Guide: Gateway endpoints",
    PRIVATELINK + "privatelink-access-aws-services.html": "AWS PrivateLink Guide: Access AWS services through AWS "
                                                          "PrivateLink",
    PRIVATELINK + "what-is-privatelink.html": "AWS PrivateLink Guide: What is AWS PrivateLink?",
    "https://docs.aws.amazon.com/vpn/latest/s2svpn/VPC_VPN.html":
        "AWS Site-to-Site VPN User Guide: What is AWS Site-to-Site VPN?",
    "https://docs.aws.amazon.com/whitepapers/latest/aws-vpc-connectivity-options/"
    "aws-direct-connect-site-to-site-vpn.html":
        "Amazon Virtual Private Cloud Connectivity Options: AWS Direct Connect + AWS Site-to-Site VPN",
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html":
        "AWS Systems Manager User Guide: AWS Systems Manager Session Manager",
    # Threat protection
    WAF + "aws-managed-rule-groups-use-case.html": "AWS WAF Developer Guide: Use-case specific rule groups",
    WAF + "waf-rule-statement-type-rate-based.html": "AWS WAF Developer Guide: Using rate-based rule statements in "
                                                     "AWS WAF",
    WAF + "ddos-advanced-summary.html": "AWS Shield Developer Guide: AWS Shield Advanced overview",
    "https://docs.aws.amazon.com/guardduty/latest/ug/what-is-guardduty.html":
        "Amazon GuardDuty User Guide: What is Amazon GuardDuty?",
    "https://docs.aws.amazon.com/macie/latest/user/what-is-macie.html": "Amazon Macie User Guide: What is Amazon Macie?",
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html":
        "Amazon CloudFront Developer Guide: Restrict access to an Amazon S3 origin",
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html":
        "Amazon API Gateway Developer Guide: Control access to a REST API with IAM permissions",
    # Data security controls (task 1.3)
    "https://docs.aws.amazon.com/acm/latest/userguide/managed-renewal.html":
        "AWS Certificate Manager User Guide: Managed certificate renewal in AWS Certificate Manager",
    S3 + "security-best-practices.html": "Amazon S3 User Guide: Security best practices for Amazon S3",
    S3 + "replication.html": "Amazon S3 User Guide: Replicating objects within and across Regions",
    S3 + "Versioning.html": "Amazon S3 User Guide: Retaining multiple versions of objects with S3 Versioning",
    S3 + "object-lock.html": "Amazon S3 User Guide: Locking objects with Object Lock",
    S3 + "object-lifecycle-mgmt.html": "Amazon S3 User Guide: Managing the lifecycle of objects",
    "https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html":
        "Amazon EBS User Guide: Enable Amazon EBS encryption by default",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html":
        "Amazon RDS User Guide: Encrypting Amazon RDS resources",
    KMS + "multi-region-keys-overview.html": "AWS KMS Developer Guide: Multi-Region keys in AWS KMS",
    "https://docs.aws.amazon.com/cloudhsm/latest/userguide/introduction.html":
        "AWS CloudHSM User Guide: What is AWS CloudHSM?",
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/whatisbackup.html":
        "AWS Backup Developer Guide: What is AWS Backup?",
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html": "AWS Backup Developer Guide: AWS Backup "
                                                                              "Vault Lock",
    "https://docs.aws.amazon.com/amazonglacier/latest/dev/vault-lock.html":
        "Amazon S3 Glacier Developer Guide: S3 Glacier Vault Lock",
    "https://docs.aws.amazon.com/artifact/latest/ug/what-is-aws-artifact.html":
        "AWS Artifact User Guide: What is AWS Artifact?",
    "https://docs.aws.amazon.com/config/latest/developerguide/conformance-packs.html":
        "AWS Config Developer Guide: Conformance Packs",
    # Multi-account governance, shared responsibility, directories (task 1.1)
    "https://docs.aws.amazon.com/controltower/latest/userguide/what-is-control-tower.html":
        "AWS Control Tower User Guide: What is AWS Control Tower?",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.html":
        "Amazon RDS User Guide: Security in Amazon RDS",
    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-security.html": "AWS Lambda Developer Guide: Security in "
                                                                         "AWS Lambda",
    "https://docs.aws.amazon.com/directoryservice/latest/admin-guide/directory_ad_connector.html":
        "AWS Directory Service Administration Guide: AD Connector",
    "https://docs.aws.amazon.com/directoryservice/latest/admin-guide/directory_microsoft_ad.html":
        "AWS Directory Service Administration Guide: AWS Managed Microsoft AD",
    # Other guides
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html":
        "Amazon EC2 User Guide: Use the Instance Metadata Service to access instance metadata",
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html":
        "Amazon API Gateway Developer Guide: Control access to REST APIs using Amazon Cognito user pools as an "
        "authorizer",
    "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-identity.html":
        "Amazon Cognito Developer Guide: Amazon Cognito identity pools",
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html":
        "Elastic Load Balancing User Guide: Authenticate users using an Application Load Balancer",
    "https://docs.aws.amazon.com/rolesanywhere/latest/userguide/introduction.html":
        "IAM Roles Anywhere User Guide: What is AWS Identity and Access Management Roles Anywhere?",
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-parameter-store.html":
        "AWS Systems Manager User Guide: AWS Systems Manager Parameter Store",
}


def cite(url: str) -> tuple[str, str]:
    """(title, url) for a question's `cite=`; a KeyError names a page missing from CITATIONS."""
    return CITATIONS[url], url


EVALUATION_LOGIC = cite(IAM + "reference_policies_evaluation-logic.html")
