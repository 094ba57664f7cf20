"""Network security for workloads (SAA-C03 task 1.2): security groups, network ACLs, subnets and NAT, VPC endpoints
and PrivateLink, VPN and Direct Connect, instance access without open ports.

The lab has no VPC scenario, so these questions link no lab page (their explanations and citations carry them)."""
from __future__ import annotations

from quiz.citations import PRIVATELINK, VPC, cite

from . import RIGHT, WRONG, question

QUESTIONS = [
    question(
        "net-sg-reference-tiers", domain="network", difficulty="medium", task="1.2", teaches="",
        stem="""SecureCart's storefront has an Application Load Balancer in public subnets, web instances in an Auto
            Scaling group in private subnets, and an Amazon RDS for MySQL database in database subnets. The database
            must accept connections only from the web instances, whose IP addresses change as the group scales.
            Which configuration meets the requirement with the LEAST operational overhead?""",
        options=[
            (RIGHT, "An inbound rule on the database security group for port 3306 whose source is the web tier's "
                    "security group.",
             "Right. A security group rule can reference another security group: any instance that carries the "
             "web tier's group may connect, whatever its address, and nothing else may."),
            (WRONG, "An inbound rule on the database security group for port 3306 from each web instance's private "
                    "IP address, updated at every launch.",
             "Wrong. It works only while something keeps the rules in step with scaling, which is the overhead the "
             "question rules out, and a stale rule admits whoever gets that address next."),
            (WRONG, "A network ACL on the database subnets allowing port 3306 from the web subnets' CIDR blocks "
                    "and denying all else.",
             "Wrong. It admits every host in those subnets, not only web instances, and a stateless ACL also needs "
             "rules for the ephemeral return ports."),
            (WRONG, "An inbound rule on the database security group for port 3306 from the load balancer's "
                    "security group.",
             "Wrong. The load balancer does not connect to the database; the web instances do, so their "
             "connections would be refused."),
        ],
        explanation="""Security groups are stateful and attach to network interfaces. Referencing a security group
            as the source of a rule ("allow 3306 from sg-web") is the usual way to chain tiers: membership, not IP
            addresses, decides, so scaling needs no rule changes. Network ACLs work per subnet, by address range,
            and are stateless.""",
        cite=cite(VPC + "vpc-security-groups.html")),
    question(
        "net-nacl-stateless-ephemeral", domain="network", difficulty="hard", task="1.2", teaches="",
        stem="""A team adds a custom network ACL to the public subnet of SecureCart's web servers. Its only rules
            allow inbound TCP 443 from 0.0.0.0/0 and outbound TCP 443 to 0.0.0.0/0. The instances' security group
            allows inbound 443. Since the change, no customer can load the site. What is the MOST likely cause?""",
        options=[
            (RIGHT, "Network ACLs are stateless: replies leave on the clients' ephemeral ports, which no outbound "
                    "rule allows.",
             "Right. A network ACL evaluates return traffic as new traffic. The replies to port 443 go to the "
             "clients' ephemeral ports (1024-65535), so an outbound rule must allow them."),
            (WRONG, "A security group and a network ACL cannot both allow port 443; the second allow cancels the "
                    "first.",
             "Wrong. Both layers apply in turn and both must allow the traffic; allowing a port in both is normal."),
            (WRONG, "Network ACL rules match only private addresses, so `0.0.0.0/0` never matches customers.",
             "Wrong. `0.0.0.0/0` matches every IPv4 address, public ones included."),
            (WRONG, "A custom network ACL takes effect only after the subnet's route table is replaced as well.",
             "Wrong. An ACL applies as soon as it is associated with the subnet; route tables are a separate "
             "setting."),
        ],
        explanation="""Security groups are stateful (a reply to allowed traffic is allowed automatically);
            network ACLs are stateless, evaluate rules in number order, and need explicit rules for both directions,
            including the ephemeral port range the clients use for replies. A custom ACL denies everything its rules
            do not allow.""",
        cite=cite(VPC + "vpc-network-acls.html")),
    question(
        "net-nat-gateway-private-subnet", domain="network", difficulty="easy", task="1.2", teaches="",
        stem="""Instances in private subnets must download operating system patches from the internet, and must
            never be reachable from the internet. Which solution is the MOST operationally efficient?""",
        options=[
            (RIGHT, "A NAT gateway in a public subnet, and a default route to it in the private subnets' route "
                    "tables.",
             "Right. A NAT gateway lets instances start outbound connections and receive the replies, while nothing "
             "on the internet can start a connection to them; AWS runs and scales it."),
            (WRONG, "A default route to the internet gateway in the private subnets, with public IP addresses and "
                    "security groups that allow no inbound traffic.",
             "Wrong. That makes the subnets public and gives every instance an internet address; one security group "
             "change would expose them."),
            (WRONG, "A NAT instance that the team builds, patches and scales in each Availability Zone.",
             "Wrong. It works, but it is a fleet of instances to run, patch and make highly available, which a "
             "managed NAT gateway avoids."),
            (WRONG, "An egress-only internet gateway, with a default IPv4 route to it from the private subnets.",
             "Wrong. An egress-only internet gateway carries IPv6 traffic only; it cannot serve IPv4 routes."),
        ],
        explanation="""A private subnet has no route to an internet gateway. To let its instances reach the
            internet without being reachable, route 0.0.0.0/0 to a NAT gateway placed in a public subnet (one per
            Availability Zone for resilience). For IPv6, an egress-only internet gateway plays that role.""",
        cite=cite(VPC + "vpc-nat-gateway.html")),
    question(
        "net-gateway-endpoint-s3", domain="network", difficulty="medium", task="1.2", teaches="",
        stem="""Instances in private subnets upload about 20 TB a month to Amazon S3 through a NAT gateway, and the
            NAT gateway's data processing charges have become large. The traffic must not cross the internet.
            Which change is the MOST cost-effective?""",
        options=[
            (RIGHT, "A gateway VPC endpoint for S3, added to the private subnets' route tables.",
             "Right. Gateway endpoints for S3 (and DynamoDB) cost nothing, and the route table sends S3 traffic to "
             "the endpoint instead of the NAT gateway."),
            (WRONG, "An interface VPC endpoint for S3 in each Availability Zone, with private DNS turned on.",
             "Wrong. It keeps traffic private too, but interface endpoints are billed per hour and per GB "
             "processed, while a gateway endpoint is free."),
            (WRONG, "A second NAT gateway in another Availability Zone to share the traffic.",
             "Wrong. The charge is per GB processed; two NAT gateways process the same 20 TB."),
            (WRONG, "S3 Transfer Acceleration on the bucket, used through the existing NAT gateway.",
             "Wrong. Acceleration adds its own per-GB charge and the traffic still passes the NAT gateway."),
        ],
        explanation="""A gateway endpoint is a route-table target for the S3 (or DynamoDB) prefix list in the
            Region: traffic stays on the AWS network, no NAT or internet gateway is needed, and there is no charge
            for the endpoint. Endpoint policies and bucket policies (`aws:SourceVpce`) can restrict which buckets
            and which VPCs are used.""",
        cite=cite(PRIVATELINK + "gateway-endpoints.html")),
    question(
        "net-interface-endpoints-no-internet", domain="network", difficulty="medium", task="1.2", teaches="",
        stem="""Lambda functions run in a VPC so that they can reach an RDS database. They must also call AWS KMS
            and AWS Secrets Manager. The security team forbids NAT gateways and internet gateways in this VPC. What
            should the solutions architect do?""",
        options=[
            (RIGHT, "Create interface VPC endpoints (AWS PrivateLink) for KMS and Secrets Manager in the VPC.",
             "Right. Interface endpoints put network interfaces for the services in the VPC's subnets; with private "
             "DNS the SDK's usual endpoint names resolve to them."),
            (WRONG, "Create gateway VPC endpoints for KMS and Secrets Manager and add them to the route tables.",
             "Wrong. Gateway endpoints exist only for Amazon S3 and DynamoDB."),
            (WRONG, "Peer the VPC with another VPC that has a NAT gateway, and route AWS traffic through the "
                    "peering.",
             "Wrong. VPC peering does not let one VPC use the other's NAT or internet gateway (no edge-to-edge "
             "routing)."),
            (WRONG, "Move the functions out of the VPC, because Lambda reaches AWS APIs only from outside a VPC.",
             "Wrong. The functions must stay in the VPC for the database, and functions in a VPC can reach AWS APIs "
             "through VPC endpoints."),
        ],
        explanation="""Interface VPC endpoints (powered by AWS PrivateLink) give private access to most AWS services
            from subnets without internet access. Each endpoint has security groups and an optional endpoint policy;
            private DNS makes the service's default host name resolve to the endpoint's private addresses.""",
        cite=cite(PRIVATELINK + "privatelink-access-aws-services.html")),
    question(
        "net-privatelink-partner-service", domain="network", difficulty="hard", task="1.2", teaches="",
        stem="""SecureCart's payment service runs behind a Network Load Balancer in its own VPC. A partner must call
            it from the partner's VPC, whose CIDR range overlaps SecureCart's. Traffic must not cross the internet,
            and no other SecureCart resource may become reachable. What should the solutions architect do?""",
        options=[
            (RIGHT, "Publish the service as a VPC endpoint service; the partner creates an interface endpoint to it.",
             "Right. PrivateLink exposes just the service behind the Network Load Balancer, works across accounts "
             "and with overlapping CIDRs, and never routes the two networks together."),
            (WRONG, "Peer the two VPCs and add routes only for the load balancer's subnet on both sides.",
             "Wrong. VPC peering cannot connect VPCs with overlapping CIDR blocks, and it joins networks rather than "
             "exposing a single service."),
            (WRONG, "Attach both VPCs to a transit gateway shared with the partner through AWS RAM.",
             "Wrong. Overlapping ranges cannot be routed between the attachments, and the route tables would expose "
             "more than the one service."),
            (WRONG, "Move the load balancer to a public subnet and allow only the partner's NAT addresses in.",
             "Wrong. The traffic would cross the internet, which the requirement forbids."),
        ],
        explanation="""With AWS PrivateLink a provider offers a service (a Network Load Balancer or Gateway Load
            Balancer) as an endpoint service; consumers in other VPCs and accounts reach it through interface
            endpoints in their own subnets. Traffic is one-way (consumer to service), stays on the AWS network, and
            the VPCs' address ranges may overlap.""",
        cite=cite(PRIVATELINK + "what-is-privatelink.html")),
    question(
        "net-site-to-site-vpn", domain="network", difficulty="easy", task="1.2", teaches="",
        stem="""A warehouse system on premises must reach instances in a private subnet. The connection must be
            ready within days, and traffic must be encrypted as it crosses the internet. Which option has the
            LOWEST cost?""",
        options=[
            (RIGHT, "An AWS Site-to-Site VPN connection from the warehouse router to a virtual private gateway.",
             "Right. A Site-to-Site VPN is set up in hours over the existing internet link, and its IPsec tunnels "
             "encrypt the traffic."),
            (WRONG, "An AWS Direct Connect dedicated connection from the warehouse to a Direct Connect location.",
             "Wrong. Direct Connect takes weeks to provision, costs more, and does not encrypt traffic by itself."),
            (WRONG, "Public IP addresses on the instances, with security groups that allow only the warehouse's IP.",
             "Wrong. The traffic would cross the internet unencrypted, and the instances would leave the private "
             "subnet."),
            (WRONG, "A VPC peering connection between the warehouse network and the VPC.",
             "Wrong. Peering connects two VPCs; it cannot connect an on-premises network."),
        ],
        explanation="""AWS Site-to-Site VPN connects an on-premises network to a VPC (through a virtual private
            gateway or a transit gateway) with two IPsec tunnels over the internet. It is quick and inexpensive;
            Direct Connect gives a private, consistent link but takes longer and is not encrypted unless you add
            encryption.""",
        cite=cite("https://docs.aws.amazon.com/vpn/latest/s2svpn/VPC_VPN.html")),
    question(
        "net-direct-connect-encryption", domain="network", difficulty="hard", task="1.2", teaches="",
        stem="""SecureCart reaches its VPCs over an AWS Direct Connect connection. A new rule requires traffic
            between the data center and the VPCs to be encrypted in transit, and the private, consistent network
            path must be kept. Which solution meets both requirements?""",
        options=[
            (RIGHT, "Run an IPsec Site-to-Site VPN over the Direct Connect connection.",
             "Right. AWS documents Direct Connect plus Site-to-Site VPN for exactly this: the VPN encrypts, and the "
             "tunnels ride the private Direct Connect link."),
            (WRONG, "Keep Direct Connect as it is, since its dedicated connections encrypt all traffic by default.",
             "Wrong. Direct Connect does not encrypt traffic by default; it is a private link, not an encrypted "
             "one."),
            (WRONG, "Replace Direct Connect with a Site-to-Site VPN over the internet, which is encrypted.",
             "Wrong. It encrypts, but it gives up the private, consistent network path the requirement keeps."),
            (WRONG, "Add a second Direct Connect connection and spread the traffic across both links.",
             "Wrong. A second link adds resilience and bandwidth, not encryption."),
        ],
        explanation="""Direct Connect provides a private connection with consistent performance but no encryption
            of its own. To encrypt, run IPsec VPN tunnels over it (or use MACsec on supported dedicated
            connections); the combination keeps the private path and adds end-to-end encryption.""",
        cite=cite("https://docs.aws.amazon.com/whitepapers/latest/aws-vpc-connectivity-options/"
                  "aws-direct-connect-site-to-site-vpn.html")),
    question(
        "net-session-manager-no-inbound", domain="network", difficulty="medium", task="1.2", teaches="",
        stem="""Administrators reach private instances through a bastion host whose security group allows port 22
            from the office. Security wants no inbound ports open on any instance, no SSH keys to manage, and a log
            of every session. Which solution meets the requirements with the LEAST operational overhead?""",
        options=[
            (RIGHT, "AWS Systems Manager Session Manager, with the SSM Agent and an instance role on each instance.",
             "Right. Session Manager connects through the agent's outbound channel, authorizes with IAM, needs no "
             "inbound port or key, and can log every session."),
            (WRONG, "EC2 Instance Connect through the existing bastion, with port 22 kept open only to the office.",
             "Wrong. It replaces long-lived keys, but port 22 stays open on the bastion and the instances."),
            (WRONG, "A Site-to-Site VPN from the office, then SSH straight to each instance's private address.",
             "Wrong. Port 22 must still be open on every instance, and SSH keys must still be managed."),
            (WRONG, "A second bastion in another Availability Zone, with SSH keys rotated monthly by a script.",
             "Wrong. It adds resilience but keeps the open port, the keys and the script to maintain."),
        ],
        explanation="""Session Manager gives shell access to managed instances through the SSM Agent, which connects
            out to Systems Manager (directly or through VPC endpoints). Access is controlled with IAM policies,
            sessions can be logged to CloudWatch Logs or S3, and no inbound port, bastion host or SSH key is
            needed.""",
        cite=cite("https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html")),
    question(
        "net-public-private-subnets", domain="network", difficulty="easy", task="1.2", teaches="",
        stem="""A web application has an Application Load Balancer, application servers and a database. Only the
            load balancer may be reachable from the internet. Which subnet layout is the MOST secure?""",
        options=[
            (RIGHT, "The load balancer in public subnets; the servers and the database in private subnets.",
             "Right. Only public subnets have a route to the internet gateway; resources in private subnets have no "
             "public path at all, whatever their security groups say."),
            (WRONG, "All three tiers in public subnets, each security group allowing only the tier in front of it.",
             "Wrong. It can work, but every instance then has a public path that a single security group mistake "
             "opens."),
            (WRONG, "The load balancer and servers in private subnets, the database in a public subnet behind NAT.",
             "Wrong. An internet-facing load balancer needs public subnets, and a NAT gateway gives outbound access, "
             "not protection for a database in a public subnet."),
            (WRONG, "An internal load balancer with an Elastic IP address, sharing one private subnet with the rest.",
             "Wrong. An internal load balancer is not reachable from the internet, and Elastic IP addresses do not "
             "attach to load balancers this way."),
        ],
        explanation="""A subnet is public when its route table sends internet traffic to an internet gateway. Place
            only internet-facing entry points (load balancers, NAT gateways) in public subnets and keep application
            and data tiers in private subnets, in at least two Availability Zones.""",
        cite=cite(VPC + "configure-subnets.html")),
]
