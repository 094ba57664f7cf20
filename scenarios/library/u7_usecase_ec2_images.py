"""SecureCart use case: EC2 reads product images without hard-coded credentials (short guided case).

Reuses scenario 4's steps (the full lesson is scenario 4): launch with an instance profile, get credentials from the
instance metadata service, read an image and be refused an invoice.
"""
from __future__ import annotations

from ..framework import AwsRule, Diagram, Scenario, Step
from . import s4_service_roles as s4

SCENARIO = Scenario(
    objective=('See the pattern of scenario 4 in three steps: a role instead of a key, credentials from instance '
               'metadata, least privilege.'),
    prerequisites=('None.',),
    minutes=5, level='Beginner', quiz_domains=('compute',),
    rules=(
        AwsRule("An instance profile hands a role to EC2; code on the instance gets the role's temporary credentials from instance metadata.",
                'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html'),
    ),
    kind='variation',
    variation_of='service-roles',
    adds=('The short path through scenario 4, for readers who only want the pattern. Scenario 4 explains each '
          'step and adds IMDSv2 and SSRF, the service principal, rotation and detaching the profile.'),
    number=7,
    slug="use-case-ec2-product-images",
    title="Short version: the web tier reads product images, no keys stored",
    sts_call="AssumeRole (by EC2) + instance metadata",
    summary="SecureCart's first rule: no access keys in application code. Three steps show how the web tier's "
            "instances get temporary credentials for exactly one job.",
    steps=(
        Step(slug="launch-instance", title="Give the instance a role, not a key",
             narrative="<p>The operator launches the web tier with the instance profile "
                       "<code>SecureCart-WebTier-Role</code>. The instance's code contains no credentials.</p>",
             run=s4.launch_instance, run_label="Launch the instance",
             lesson="<p>The role travels with the instance. Scenario 4 explains every detail.</p>",
             diagram=Diagram((s4.INSTANCE_NODE, s4.ROLE_NODE), active=1), policies=(s4.TRUST,)),
        Step(slug="instance-credentials", title="The SDK fetches credentials from IMDS",
             narrative="<p>On the instance, the SDK's default credential chain asks the metadata service "
                       "(IMDSv2) for the role's temporary credentials, and refreshes them before they expire.</p>",
             run=s4.get_credentials, run_label="Ask IMDS for credentials",
             lesson="<p>Temporary credentials, for this instance only, that rotate on their own.</p>",
             diagram=Diagram((s4.INSTANCE_NODE, s4.IMDS_NODE, s4.ROLE_NODE), active=1),
             shows_sessions=(s4.SESSION,)),
        Step(slug="read-product-images", title="Product images yes, invoices no",
             narrative="<p>The role allows <code>s3:GetObject</code> on the product images bucket and nothing "
                       "else.</p>",
             run=s4.read_images, run_label="Read from S3",
             lesson="<p>Least privilege: even with valid credentials, the invoice read is denied and the "
                    "explanation shows why.</p>",
             diagram=Diagram((s4.INSTANCE_NODE, s4.IMAGES_NODE), active=1), policies=(s4.ROLE_POLICY,),
             shows_sessions=(s4.SESSION,)),
    ),
)
