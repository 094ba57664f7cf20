"""Service roles, instance profiles and IMDSv2 (securecart-world.md scenario 4)."""
from __future__ import annotations

QUESTIONS = [
    {
        "id": "compute-instance-profile-no-keys",
        "domain": "compute",
        "teaches": "service-roles/launch-instance",
        "tags": ["instance profile"],
        "difficulty": "easy",
        "stem": """A developer has put an IAM user's access keys in `/etc/securecart/app.env` on the EC2 web servers
            so the app can read `securecart-product-images`. Which replacement is the MOST secure?""",
        "options": [
            {"text": "Attach an IAM role through an instance profile; the SDK gets temporary credentials from "
                     "IMDS.",
             "correct": True,
             "why": """Right. No secrets are stored on disk, and the credentials are temporary and rotated
                automatically."""},
            {"text": "Keep the keys, but encrypt the file with a KMS key that only the instances' users can "
                     "decrypt.",
             "why": """Wrong. Anyone on the instance who can decrypt the file still gets long-term keys that work
                from anywhere until rotated."""},
            {"text": "Move the keys into the instances' user data, which only the account's administrators can "
                     "read.",
             "why": """Wrong. User data is readable by any process on the instance through the metadata service, and
                the keys would still be long-term keys."""},
            {"text": "Allow the instances' public IP addresses in the bucket policy and delete the access keys.",
             "why": """Wrong. IP-based allows are brittle (IPs change) and grant access to anything running at those
                addresses, without any identity."""},
        ],
        "explanation": """An instance profile is the container that passes an IAM role to an EC2 instance. EC2
            assumes the role (trusting `ec2.amazonaws.com`) and serves its temporary credentials at
            `http://169.254.169.254/latest/meta-data/iam/security-credentials/<role-name>`; the AWS SDKs read and
            refresh them automatically before they expire.""",
        "citation": {"title": "IAM User Guide: Use an IAM role to grant permissions to applications running on "
                              "Amazon EC2 instances",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html"},
    },
    {
        "id": "compute-imdsv2-ssrf",
        "domain": "compute",
        "teaches": "service-roles/instance-credentials",
        "tags": ["IMDSv2", "SSRF"],
        "difficulty": "medium",
        "stem": """A penetration test finds that SecureCart's image-resizing service can be tricked into fetching any
            URL with a GET request (server-side request forgery). The testers used it to read the instance role's
            credentials from the metadata service. Which change most directly stops this?""",
        "options": [
            {"text": "Require IMDSv2 (`HttpTokens=required`) on the instances.",
             "correct": True,
             "why": """Right. IMDSv2 demands a session token obtained with a PUT request carrying the
                `X-aws-ec2-metadata-token-ttl-seconds` header, then the token in `X-aws-ec2-metadata-token` on each
                GET. A GET-only SSRF cannot do that."""},
            {"text": "Remove the role and store access keys in environment variables instead.",
             "why": """Wrong. That trades temporary credentials for long-term ones, which are worse if leaked (and
                environment variables can leak too)."""},
            {"text": "Shorten the role's `MaxSessionDuration` to one hour.",
             "why": """Wrong. MaxSessionDuration limits AssumeRole calls, not the credentials EC2 delivers to the
                instance; and however short-lived, stolen credentials work until they expire while the SSRF stays
                open."""},
            {"text": "Restart the instances every night so that the role credentials change.",
             "why": """Wrong. The credentials rotate anyway; any credentials stolen during the day keep working until
                they expire, and the SSRF still works after the restart."""},
        ],
        "explanation": """IMDSv1 answers plain GET requests, which is why SSRF bugs leak instance credentials. IMDSv2
            adds a session: a PUT to `/latest/api/token` returns a token that must accompany later requests.
            Requiring IMDSv2 disables the v1 path entirely. The PUT response's hop limit decides how far the token
            can travel: the default is 1 (the instance only), but instances launched from an AMI marked
            `ImdsSupport=v2.0` get `HttpTokens=required` with a hop limit of 2, so containers on the instance can
            reach IMDS too. Where containers must not use the instance role, set the hop limit to 1.""",
        "citation": {"title": "Amazon EC2 User Guide: Use the Instance Metadata Service to access instance metadata",
                     "url": "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html"},
    },
    {
        "id": "compute-instance-profile-facts",
        "domain": "compute",
        "teaches": "service-roles/rotation",
        "tags": ["rotation", "expire"],
        "difficulty": "medium",
        "multi": True,
        "stem": """Which **two** statements about EC2 instance profiles are correct? (Choose two.)""",
        "options": [
            {"text": "An instance profile can contain only one IAM role.", "correct": True,
             "why": """Right. An instance profile holds at most one role (a role may be in several profiles)."""},
            {"text": "The credentials the instance gets are temporary, and EC2 makes fresh ones available before "
                     "the old ones expire.",
             "correct": True,
             "why": """Right. The application should re-read them (the SDKs do) instead of caching them
                forever."""},
            {"text": "The application must call `sts:AssumeRole` itself at start-up to use the instance role.",
             "why": """Wrong. EC2 assumes the role on the instance's behalf; the application just reads the
                credentials from the metadata service."""},
            {"text": "The user who launches the instance needs no permission related to the role.",
             "why": """Wrong. Launching an instance with a role requires `iam:PassRole` on that role, which stops
                users from handing instances more power than they have."""},
            {"text": 'Instance role credentials last 12 hours and are never refreshed while the instance runs.',
             "why": """Wrong. EC2 refreshes the credentials automatically and makes new ones available well before the old ones expire."""},
        ],
        "explanation": """An instance profile is a container for one role. Passing the role to EC2 needs
            `iam:PassRole`; afterwards EC2 obtains and rotates temporary credentials for the role and serves them
            through the instance metadata service.""",
        "citation": {"title": "IAM User Guide: Use instance profiles",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html"},
    },
    {
        "id": "compute-lambda-execution-role",
        "domain": "compute",
        "teaches": "service-roles/service-principal-only",
        "tags": ["\"Service\"", "trust policy"],
        "difficulty": "easy",
        "stem": """A Lambda function that generates invoices must write to `securecart-invoices`. Which way of giving it
            AWS credentials is the MOST secure?""",
        "options": [
            {"text": "An execution role that trusts `lambda.amazonaws.com` and allows `s3:PutObject` on the "
                     "bucket.",
             "correct": True,
             "why": """Right. Lambda assumes the execution role and puts the temporary credentials in the function's
                environment for the SDK."""},
            {"text": "An IAM user's access keys in the function's environment variables, encrypted with KMS.",
             "why": """Wrong. Long-term keys in configuration are exactly what roles avoid."""},
            {"text": "A call to `GetSessionToken` at start-up, with a user's keys kept in Secrets Manager.",
             "why": """Wrong. GetSessionToken needs an IAM user's long-term credentials to begin with."""},
            {"text": "A bucket policy that allows the function's ARN, so that the function needs no permissions "
                     "of its own.",
             "why": """Wrong. Every Lambda function runs with an execution role; a bucket policy naming a function
                ARN is not how functions authenticate."""},
        ],
        "explanation": """AWS services act for you through roles that trust the service principal (`ec2.amazonaws.com`,
            `lambda.amazonaws.com`, `ecs-tasks.amazonaws.com`, ...). The service assumes the role and delivers
            short-lived credentials that it renews on its own, so no one has to store or rotate keys.""",
        "citation": {"title": "IAM User Guide: Roles terms and concepts",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html"},
    },
    {
        "id": "compute-trust-policy-with-permissions",
        "domain": "compute",
        "teaches": "service-roles/service-principal-only",
        "tags": ["trust policy", "ec2.amazonaws.com"],
        "difficulty": "medium",
        "style": "spot-the-mistake",
        "stem": """To let the web servers read product images, an engineer edits the trust relationship of
            `SecureCart-WebServer` to the document shown. IAM refuses it. What is wrong?""",
        "exhibits": [{
            "name": "trust",
            "title": "Proposed trust policy of arn:aws:iam::123456789012:role/SecureCart-WebServer",
            "policy_kind": "trust",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "s3:GetObject",
                }],
            },
        }],
        "options": [
            {"text": "A trust policy allows only STS actions; `s3:GetObject` belongs in the role's permission "
                     "policy.",
             "correct": True,
             "why": """Right. IAM answers `MalformedPolicyDocument: AssumeRole policy may only specify STS AssumeRole
                actions.` Trust says who may become the role; the permission policy says what the role may do."""},
            {"text": "The principal must be `s3.amazonaws.com`, because the action the role needs is an S3 "
                     "action.",
             "why": """Wrong. The principal is whoever assumes the role (EC2 here), and S3 is not assuming
                anything."""},
            {"text": "The statement needs a `Resource` that names `securecart-product-images` and its objects.",
             "why": """Wrong. Trust policies never take a `Resource`; adding one is a second error."""},
            {"text": "EC2 roles reach S3 only through a VPC endpoint, which the trust policy must name in a "
                     "condition.",
             "why": """Wrong. A VPC endpoint is a network choice; it is not needed for the role's permissions, and a
                trust policy does not name one."""},
        ],
        "explanation": """Every role has two kinds of policy: the trust policy (principals allowed to call
            `sts:AssumeRole` and friends, such as `ec2.amazonaws.com`) and permission policies (what the role's
            sessions may do, such as `s3:GetObject` on `securecart-product-images/*`). The lab's policy engine
            parses the proposed trust policy below and shows the error IAM would return.""",
        "citation": {"title": "IAM User Guide: Roles terms and concepts",
                     "url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html"},
        "engine": {"check": "parse", "exhibit": "trust",
                   "expect_error": "AssumeRole policy may only specify STS AssumeRole actions"},
    },
]
