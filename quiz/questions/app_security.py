"""Securing applications (SAA-C03 task 1.2): AWS WAF against SQL injection and floods, AWS Shield against DDoS,
GuardDuty and Macie for their use cases, CloudFront in front of a private bucket, credentials out of code, IAM
authorization between services.

The lab practises none of these services, so these questions link no lab page."""
from __future__ import annotations

from quiz.citations import WAF, cite

from . import RIGHT, WRONG, question

QUESTIONS = [
    question(
        "waf-sqli-managed-rules", domain="app-security", difficulty="easy", task="1.2", teaches="",
        stem="""SecureCart's checkout API, behind an Application Load Balancer, receives SQL injection attempts in
            query strings and request bodies. The requests must be blocked before they reach the application, with
            the LEAST development effort. What should the solutions architect do?""",
        options=[
            (RIGHT, "Attach an AWS WAF web ACL to the load balancer with the AWS managed SQL database rule group.",
             "Right. AWS WAF inspects HTTP requests at the load balancer, and the managed SQL database rule group "
             "blocks common SQL injection patterns with no rules to write."),
            (WRONG, "Subscribe to AWS Shield Advanced and let the Shield Response Team write rules during attacks.",
             "Wrong. Shield protects against DDoS; SQL injection is an application-layer attack that WAF rules "
             "block, and the team would be waiting for an event."),
            (WRONG, "Add network ACL rules to the load balancer's subnets that deny requests containing SQL keywords.",
             "Wrong. Network ACLs filter by address, protocol and port; they cannot read HTTP query strings or "
             "bodies."),
            (WRONG, "Turn on Amazon GuardDuty Runtime Monitoring for the instances, set to block malicious queries.",
             "Wrong. GuardDuty detects threats and reports findings; it does not block HTTP requests."),
        ],
        explanation="""AWS WAF protects CloudFront distributions, Application Load Balancers, API Gateway REST APIs
            and other resources with web ACLs. AWS managed rule groups cover common threats: the SQL database rule
            group (`AWSManagedRulesSQLiRuleSet`) blocks request patterns associated with SQL injection in query
            arguments, bodies, cookies and the URI path.""",
        cite=cite(WAF + "aws-managed-rule-groups-use-case.html")),
    question(
        "waf-rate-based-login", domain="app-security", difficulty="medium", task="1.2", teaches="",
        stem="""The login page of SecureCart's store (behind CloudFront) is hit by credential stuffing: thousands of
            IP addresses, each sending a few hundred login attempts every five minutes. Abusive addresses must be
            blocked automatically while the attack lasts, with the LEAST effort. What should the solutions architect
            do?""",
        options=[
            (RIGHT, "Add an AWS WAF rate-based rule, scoped to the login path, that blocks addresses over a limit.",
             "Right. A rate-based rule counts requests per source address over a time window and blocks addresses "
             "above the limit until their rate drops."),
            (WRONG, "Add a network ACL rule for each attacking address as it appears in the access logs.",
             "Wrong. It is manual, network ACLs hold a small number of rules, and behind CloudFront the VPC only "
             "sees CloudFront's addresses, not the attackers'."),
            (WRONG, "Rely on AWS Shield Standard, which blocks abusive addresses at layer 7 for every account.",
             "Wrong. Shield Standard protects against common layer 3 and 4 attacks; blocking abusive HTTP clients is "
             "a WAF rule's job."),
            (WRONG, "Allow only addresses that have signed in before in the load balancer's security group.",
             "Wrong. Security groups cannot follow sign-in history, and new customers could no longer sign in."),
        ],
        explanation="""AWS WAF rate-based rules aggregate requests (by source IP or other keys), optionally only
            those matching a scope-down statement such as a URI path, and apply the rule action to the keys whose
            rate exceeds the limit. The block lifts by itself when the rate falls.""",
        cite=cite(WAF + "waf-rule-statement-type-rate-based.html")),
    question(
        "shield-advanced-ddos-response", domain="app-security", difficulty="medium", task="1.2", teaches="",
        stem="""SecureCart's store, served through CloudFront, an Application Load Balancer and Route 53, is a
            frequent DDoS target. The company wants help from AWS's DDoS experts around the clock during attacks and
            protection from the scaling charges an attack causes. What should the solutions architect
            recommend?""",
        options=[
            (RIGHT, "Subscribe to AWS Shield Advanced and protect the distribution, load balancer and hosted zone.",
             "Right. Shield Advanced adds the Shield Response Team, detailed attack visibility and cost protection "
             "for scaling caused by DDoS attacks on protected resources."),
            (WRONG, "Rely on AWS Shield Standard, which includes the Shield Response Team and cost protection.",
             "Wrong. Shield Standard protects every customer at no cost against common attacks, but the response "
             "team and cost protection come only with Shield Advanced."),
            (WRONG, "Deploy AWS WAF rate-based rules and let Auto Scaling absorb whatever traffic remains.",
             "Wrong. It mitigates some application-layer floods but provides neither expert help nor protection "
             "from the scaling bill."),
            (WRONG, "Enable Amazon GuardDuty, whose DDoS findings start automatic mitigation at the edge.",
             "Wrong. GuardDuty detects threats in logs and reports findings; it does not mitigate DDoS attacks."),
        ],
        explanation="""AWS Shield Standard is on for all customers. Shield Advanced is a paid subscription that adds
            protection for specific resources (CloudFront, Route 53, Global Accelerator, load balancers, Elastic
            IPs), application-layer mitigation with AWS WAF, the Shield Response Team and cost protection.""",
        cite=cite(WAF + "ddos-advanced-summary.html")),
    question(
        "guardduty-threat-detection", domain="app-security", difficulty="easy", task="1.2", teaches="",
        stem="""SecureCart wants continuous detection of compromised instances (crypto mining, traffic to known
            command-and-control addresses) and of stolen credentials being used, across 30 accounts, without
            installing agents or building log pipelines. Which service meets the requirement?""",
        options=[
            (RIGHT, "Amazon GuardDuty, enabled for every account through a delegated administrator.",
             "Right. GuardDuty analyzes CloudTrail events, VPC Flow Logs and DNS logs itself, with threat "
             "intelligence and machine learning, and reports findings such as crypto mining or credential "
             "exfiltration."),
            (WRONG, "Amazon Inspector, which scans the instances for software vulnerabilities and exposure.",
             "Wrong. Inspector finds vulnerabilities to fix; it does not detect an attack in progress."),
            (WRONG, "Amazon Macie, which analyzes the accounts' CloudTrail events and flow logs for threats.",
             "Wrong. Macie discovers sensitive data in S3; it does not analyze network or API activity for "
             "threats."),
            (WRONG, "AWS Config rules that compare each instance's network traffic with threat lists.",
             "Wrong. Config evaluates resource configurations, not network traffic."),
        ],
        explanation="""Amazon GuardDuty is a threat detection service: enabled per Region and managed for an
            organization by a delegated administrator, it reads its foundational data sources (CloudTrail
            management events, VPC Flow Logs, DNS logs) without you enabling those logs, and can add protection
            plans for S3, EKS, runtime monitoring and more.""",
        cite=cite("https://docs.aws.amazon.com/guardduty/latest/ug/what-is-guardduty.html")),
    question(
        "macie-find-sensitive-data", domain="app-security", difficulty="easy", task="1.2", teaches="",
        stem="""After an acquisition SecureCart inherits 400 S3 buckets. It must find which hold credit card or
            passport numbers and be told when new sensitive data appears, with the LEAST effort. Which service
            meets the requirement?""",
        options=[
            (RIGHT, "Amazon Macie with automated sensitive data discovery across the organization's buckets.",
             "Right. Macie inventories buckets, samples and inspects objects with managed data identifiers (card "
             "numbers, passports, credentials...) and reports findings."),
            (WRONG, "Amazon GuardDuty S3 Protection, which classifies the objects it sees in data events.",
             "Wrong. GuardDuty S3 Protection looks for suspicious access to buckets; it does not classify the "
             "personal data objects contain."),
            (WRONG, "S3 Inventory reports queried with Athena for object keys that look like card numbers.",
             "Wrong. Inventory lists object names and metadata, not what the objects contain."),
            (WRONG, "AWS Config managed rules that flag buckets whose objects hold personal data.",
             "Wrong. Config evaluates bucket settings (encryption, public access), not object contents."),
        ],
        explanation="""Amazon Macie uses machine learning and pattern matching to discover sensitive data in S3,
            evaluates bucket security (public access, encryption, sharing), and publishes findings to EventBridge
            and Security Hub. Automated discovery samples every bucket continuously; jobs can analyze chosen buckets
            in depth.""",
        cite=cite("https://docs.aws.amazon.com/macie/latest/user/what-is-macie.html")),
    question(
        "cloudfront-oac-private-bucket", domain="app-security", difficulty="medium", task="1.2", teaches="",
        stem="""SecureCart serves its static storefront from an S3 bucket through CloudFront. Visitors must not be
            able to bypass CloudFront and read objects from S3 directly, and the bucket must stay private. What
            should the solutions architect do?""",
        options=[
            (RIGHT, "Use a CloudFront origin access control and a bucket policy that lets only the distribution read.",
             "Right. With origin access control CloudFront signs its requests to S3, and the bucket policy allows "
             "`s3:GetObject` only to the CloudFront service principal for that distribution."),
            (WRONG, "Turn on static website hosting with public read, and use the website endpoint as the origin.",
             "Wrong. The bucket becomes public, so anyone can skip CloudFront."),
            (WRONG, "Allow `s3:GetObject` in the bucket policy when the `Referer` header is the CloudFront domain.",
             "Wrong. Clients set the Referer header themselves, so anyone can forge it."),
            (WRONG, "Allow CloudFront's published IP ranges in the bucket policy, updated by a scheduled function.",
             "Wrong. Those ranges serve every CloudFront customer, so any distribution could read the bucket."),
        ],
        explanation="""Origin access control (OAC) lets CloudFront authenticate to an S3 origin with SigV4. The bucket
            stays private; its policy grants read to `cloudfront.amazonaws.com` with a condition on
            `aws:SourceArn` equal to the distribution's ARN, so only that distribution can fetch objects.""",
        cite=cite("https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
                  "private-content-restricting-access-to-s3.html")),
    question(
        "secrets-out-of-lambda-environment", domain="app-security", difficulty="medium", task="1.2", teaches="",
        stem="""A Lambda function calls a payment provider with an API key kept in plain text in an environment
            variable, visible in the console. Security wants the key encrypted, every read audited, and the key
            rotated without redeploying the function. Which solution has the LEAST operational overhead?""",
        options=[
            (RIGHT, "Store the key in Secrets Manager; the function reads it at run time with its execution role.",
             "Right. The secret is encrypted with KMS, each `GetSecretValue` is logged in CloudTrail, and a new "
             "value takes effect without touching the function."),
            (WRONG, "Encrypt the environment variable with a customer managed KMS key and decrypt it in the code.",
             "Wrong. It is encrypted and its decryption is logged, but every rotation means updating the function's "
             "configuration."),
            (WRONG, "Put the key in the deployment package, which only the CI pipeline and the function can read.",
             "Wrong. The key moves into an artifact that is copied and cached, and rotating it needs a new "
             "deployment."),
            (WRONG, "Keep the variable, and allow `lambda:GetFunctionConfiguration` only to administrators.",
             "Wrong. It narrows who sees the key but leaves it in plain configuration, unaudited per read and "
             "rotated only by redeploying."),
        ],
        explanation="""Application credentials belong in a secret store the code reads at run time: Secrets Manager
            (with rotation and per-read auditing) or Parameter Store SecureString parameters. The execution role's
            permission to read that one secret replaces credentials in code or configuration.""",
        cite=cite("https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets.html")),
    question(
        "apigw-iam-authorization-services", domain="app-security", difficulty="hard", task="1.2", teaches="",
        stem="""An internal REST API in Amazon API Gateway must accept calls only from SecureCart's Lambda functions
            in two AWS accounts. No shared secrets may be stored, and each call must be authenticated. What should
            the solutions architect configure?""",
        options=[
            (RIGHT, "IAM authorization on the methods, plus a resource policy that allows the functions' roles.",
             "Right. The functions sign their calls with SigV4 using their role credentials; API Gateway checks the "
             "signature and the roles' permission to `execute-api:Invoke`, across accounts with the resource "
             "policy."),
            (WRONG, "API keys with a usage plan, each key stored in the calling function's environment.",
             "Wrong. API keys identify clients for throttling and quotas; they are shared secrets, not "
             "authentication."),
            (WRONG, "A Cognito user pool authorizer, with one pool user and password for each function.",
             "Wrong. Passwords for machines are shared secrets to store and rotate; roles already authenticate the "
             "functions."),
            (WRONG, "A Lambda authorizer that accepts calls from the functions' network interface addresses.",
             "Wrong. Those addresses change, and an address is not an identity."),
        ],
        explanation="""For service-to-service calls inside AWS, IAM authorization (SigV4) lets callers use their
            role's temporary credentials. The API's resource policy can allow principals of other accounts, and
            the callers' identity policies must allow `execute-api:Invoke` on the API's ARN.""",
        cite=cite("https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html")),
]
