"""Resources for each built-in operation to find, seeded in member accounts.

``SEEDERS`` maps an operation name to a function ``(session, account, region, index) -> rows``:
it creates resources in one account/region (``session`` is already in the account) and returns
the rows the operation must report for them (the operation's own columns, without the target
columns), leaving decoys the operation must not report. ``index`` numbers the account/region
pairs so that seeders vary what they create. An operation without a seeder simply runs on an
empty world. Adding an operation: add its seeder here; the e2e tests pick it up.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import boto3

from orgops import operations, store
from orgops.emulator.world import World, member_session
from orgops.operations.base import TARGET_COLUMNS
from orgops.operations.securityhub_standards import FSBP
from orgops.sessions import client

Row = dict[str, Any]
Seeder = Callable[[boto3.Session, str, str, int], list[Row]]
AMI = "ami-0123456789abcdef0"  # moto runs any image id (its default AMIs are not loaded)


def _instance(ec2: Any, tags: dict[str, str]) -> dict[str, Any]:
    return ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["Instances"][0]


def unused_ebs_volumes(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """One available volume per account/region (two every third), and an attached decoy."""
    ec2 = client(session, "ec2", region)
    rows = []
    for n in range(1 + (index % 3 == 0)):
        tags = {"owner": account, "purpose": f"scratch-{n}"}
        vol = ec2.create_volume(
            Size=1 + (index + n) % 8,
            AvailabilityZone=f"{region}a",
            VolumeType=("gp3", "gp2", "st1")[(index + n) % 3],
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
        )
        rows.append(
            {
                "volume_id": vol["VolumeId"],
                "size_gib": vol["Size"],
                "volume_type": vol["VolumeType"],
                "create_time": vol["CreateTime"],
                "availability_zone": vol["AvailabilityZone"],
                "tags": tags,
            }
        )
    if index % 2 == 0:  # decoy: a volume attached to an instance is in use
        inst = _instance(ec2, {"Name": "attached-volume-host"})
        vol = ec2.create_volume(Size=2, AvailabilityZone=inst["Placement"]["AvailabilityZone"])
        ec2.attach_volume(VolumeId=vol["VolumeId"], InstanceId=inst["InstanceId"], Device="/dev/sdf")
        ec2.stop_instances(InstanceIds=[inst["InstanceId"]])  # stopped: its public IP is not reported
    return rows


def public_ips(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """An unassociated Elastic IP, a running instance's public IP, and decoys: an associated
    Elastic IP's instance is reported once (as the instance), a stopped instance not at all."""
    ec2 = client(session, "ec2", region)
    rows: list[Row] = []
    if index % 2 == 0:
        eip = ec2.allocate_address(Domain="vpc")
        ec2.create_tags(Resources=[eip["AllocationId"]], Tags=[{"Key": "owner", "Value": account}])
        rows.append(
            {
                "public_ip": eip["PublicIp"],
                "kind": "elastic-ip-unassociated",
                "allocation_id": eip["AllocationId"],
                "instance_id": "",
                "tags": {"owner": account},
            }
        )
    if index % 3 == 1:
        tags = {"Name": f"web-{index}"}
        inst = _instance(ec2, tags)
        running = ec2.describe_instances(InstanceIds=[inst["InstanceId"]])["Reservations"][0]["Instances"][0]
        rows.append(
            {
                "public_ip": running["PublicIpAddress"],
                "kind": "instance-public-ip",
                "allocation_id": "",
                "instance_id": inst["InstanceId"],
                "tags": tags,
            }
        )
    if index % 4 == 3:  # decoy: a stopped instance has no public IP to report
        stopped = _instance(ec2, {"Name": "stopped"})
        ec2.stop_instances(InstanceIds=[stopped["InstanceId"]])
    return rows


def _hub_row(arn: str, action: str, before: str, after: str, error: str = "") -> Row:
    return {
        "standard_arn": arn,
        "control_id": "",
        "action": action,
        "status_before": before,
        "status_after": after,
        "reason": "",
        "applied": False,
        "error": error,
    }


def securityhub_standards(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """Security Hub with FSBP enabled, Security Hub without it (a dry-run enable), and Security
    Hub not enabled at all, in turn. The operation's default Params ask for FSBP only."""
    from orgops.operations.securityhub_standards import HUB_ERROR

    fsbp = FSBP.replace("REGION", region)
    if index % 3 == 2:
        return [_hub_row(fsbp, "enable-standard", "HUB_NOT_ENABLED", "HUB_NOT_ENABLED", HUB_ERROR)]
    hub = client(session, "securityhub", region)
    hub.enable_security_hub(EnableDefaultStandards=False)
    if index % 3 == 1:
        return [_hub_row(fsbp, "enable-standard", "NOT_ENABLED", "PENDING")]
    hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": fsbp}])
    return [_hub_row(fsbp, "none", "READY", "READY")]


def unused_nat_gateways(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """A private NAT gateway without traffic (no CloudWatch datapoints) in every other account/region."""
    if index % 2:
        return []
    ec2 = client(session, "ec2", region)
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
    tags = {"owner": account}
    nat = ec2.create_nat_gateway(
        SubnetId=subnet["SubnetId"],
        ConnectivityType="private",  # no Elastic IP: public-ips stays as seeded
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["NatGateway"]
    return [
        {
            "nat_gateway_id": nat["NatGatewayId"],
            "vpc_id": nat["VpcId"],
            "subnet_id": nat["SubnetId"],
            "connectivity_type": "private",
            "public_ips": [],
            "create_time": nat["CreateTime"],
            "idle_days": 14,  # the operation's default Params.Days
            "tags": tags,
        }
    ]


def sg_open_ingress_remediation(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """A security group open to the world on SSH (reported, dry run) and on 443 (allowed by the
    default Params.AllowedPorts: not reported), in every third account/region."""
    if index % 3:
        return []
    ec2 = client(session, "ec2", region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    name = f"legacy-bastion-{index}"
    group = ec2.create_security_group(GroupName=name, Description="seeded by the orgops emulator", VpcId=vpc)
    ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    return [
        {
            "group_id": group["GroupId"],
            "group_name": name,
            "vpc_id": vpc,
            "protocol": "tcp",
            "from_port": 22,
            "to_port": 22,
            "cidr": "0.0.0.0/0",
            "action": "revoke-ingress",
            "applied": False,
            "error": "",
        }
    ]


def public_endpoints(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """An internet-facing Application Load Balancer (reported) and an internal one (not), in every
    other account/region."""
    if index % 2:
        return []
    ec2 = client(session, "ec2", region)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    subnet_ids = sorted(s["SubnetId"] for s in subnets)[:2]
    elbv2 = client(session, "elbv2", region)
    rows = []
    for scheme in ("internet-facing", "internal"):
        lb = elbv2.create_load_balancer(
            Name=f"web-{index}-{scheme[:8]}", Subnets=subnet_ids, Scheme=scheme, Type="application"
        )["LoadBalancers"][0]
        if scheme == "internet-facing":
            rows.append(
                {
                    "kind": "elbv2",
                    "resource_id": lb["LoadBalancerArn"],
                    "name": lb["LoadBalancerName"],
                    "endpoint": lb["DNSName"],
                    "detail": "application",
                }
            )
    return rows


def cloudfront_distributions(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """One distribution in about half the accounts, chosen by name (CloudFront is global: seeded
    once, from us-east-1, whatever the regions' order)."""
    if region != "us-east-1" or zlib.crc32(account.encode()) % 2:
        return []
    cloudfront = client(session, "cloudfront", "us-east-1")
    origin = f"assets-{account}.example.com"
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": f"orgops-demo-{account}",
            "Comment": "seeded by the orgops emulator",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "assets",
                        "DomainName": origin,
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "assets", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
        }
    )["Distribution"]
    listed = next(d for d in cloudfront.list_distributions()["DistributionList"]["Items"] if d["Id"] == created["Id"])
    return [
        {
            "distribution_id": listed["Id"],
            "domain_name": listed["DomainName"],
            "aliases": [],
            "status": listed["Status"],
            "enabled": True,
            "origins": [origin],
            "viewer_protocol_policy": "allow-all",
            "minimum_protocol_version": listed["ViewerCertificate"]["MinimumProtocolVersion"],
            "web_acl_id": listed.get("WebACLId", ""),
            "price_class": listed["PriceClass"],
            "last_modified": listed["LastModifiedTime"],
        }
    ]


def _caller(session: boto3.Session) -> str:
    return str(client(session, "sts", "us-east-1").get_caller_identity()["Account"])


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def inspector_activation(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """Inspector off, on for EC2 only, and on for EC2, ECR, LAMBDA and LAMBDA_CODE, in turn. The
    default Params.ResourceTypes (EC2, ECR, LAMBDA) are reported in every account/region: a dry-run
    enable for each type that is off, "none" for each that is on; LAMBDA_CODE is never reported."""
    enabled = ((), ("EC2",), ("EC2", "ECR", "LAMBDA", "LAMBDA_CODE"))[index % 3]
    if enabled:
        client(session, "inspector2", region).enable(resourceTypes=list(enabled))
    rows = []
    for resource_type in ("EC2", "ECR", "LAMBDA"):
        on = resource_type in enabled
        rows.append(
            {
                "resource_type": resource_type,
                "action": "none" if on else "enable",
                "status_before": "ENABLED" if on else "DISABLED",
                "status_after": "ENABLED" if on else "ENABLING",
                "applied": False,
                "error": "",
            }
        )
    return rows


# Seeded functions' runtimes: (deprecated on any day from 2024-10-14 to 2029-06-29, deprecation date).
SEEDED_RUNTIMES = {"python3.8": (True, date(2024, 10, 14)), "python3.13": (False, date(2029, 6, 30))}
# Not an orgops handler: the emulator's invoke router refuses these functions, and nothing invokes them.
SEEDED_HANDLER = "app.handler"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _function_row(f: dict[str, Any], deprecated: bool, when: date | None) -> Row:
    return {
        "function_name": f["FunctionName"],
        "runtime": f.get("Runtime", ""),
        "deprecated": deprecated,
        "deprecation_date": when,
        "last_modified": f["LastModified"],
        "package_type": f.get("PackageType", "Zip"),
        "architectures": f.get("Architectures", ["x86_64"]),
        "function_arn": f["FunctionArn"],
    }


def lambda_functions(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """A function on a deprecated runtime (python3.8) and one on a current runtime (python3.13), in
    every other account/region. The functions already there (the orgops stack's own, in the
    management account's home region) are reported too: read back one by one with GetFunction."""
    from orgops.operations.lambda_functions import deprecation

    lam = client(session, "lambda", region)
    rows = []
    for page in lam.get_paginator("list_functions").paginate():
        for listed in page["Functions"]:
            f = lam.get_function(FunctionName=listed["FunctionName"])["Configuration"]
            rows.append(_function_row(f, *deprecation(f.get("Runtime", ""), datetime.now(UTC).date())))
    if index % 2:
        return rows
    iam = client(session, "iam", "us-east-1")
    role_name = "app-lambda"
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    try:
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    for name, runtime, arch in (("billing-export", "python3.8", "x86_64"), ("thumbnailer", "python3.13", "arm64")):
        created = lam.create_function(
            FunctionName=f"{name}-{index}",
            Runtime=runtime,
            Role=role,
            Handler=SEEDED_HANDLER,
            Code={"ZipFile": _zip()},
            Architectures=[arch],
        )
        rows.append(_function_row(created, *SEEDED_RUNTIMES[runtime]))
    return rows


def tags(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """Security groups (``EXAMPLE_PARAMS`` limits the run to ec2:security-group): one lacking the
    required ``owner`` tag (reported) and one with it (not), in every account/region. Other
    seeders' instances lacking ``owner`` are outside ResourceTypes: not reported either."""
    ec2 = client(session, "ec2", region)
    account_id = _caller(session)
    rows = []
    for name, tagged in ((f"app-{index}", {"team": f"team-{index % 3}"}), (f"owned-{index}", {"owner": account})):
        group = ec2.create_security_group(
            GroupName=name,
            Description="seeded by the orgops emulator",
            TagSpecifications=[{"ResourceType": "security-group", "Tags": _tag_list(tagged)}],
        )["GroupId"]
        if "owner" not in tagged:
            rows.append(
                {
                    "resource_arn": f"arn:aws:ec2:{region}:{account_id}:security-group/{group}",
                    "resource_type": "ec2:security-group",
                    "missing_tags": ["owner"],
                    "tags": tagged,
                }
            )
    return rows


def tag_remediation(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """EBS snapshots (``EXAMPLE_PARAMS`` limits the run to ec2:snapshot): one lacking the required
    ``owner`` tag (a dry-run add-tags) and one with it (not reported), in every other
    account/region. Their volumes are deleted: unused-ebs-volumes stays as seeded."""
    if index % 2:
        return []
    ec2 = client(session, "ec2", region)
    account_id = _caller(session)
    rows = []
    for tagged in ({"backup": "nightly", "team": f"team-{index % 3}"}, {"owner": account, "backup": "weekly"}):
        volume = ec2.create_volume(Size=1, AvailabilityZone=f"{region}a")["VolumeId"]
        snapshot = ec2.create_snapshot(
            VolumeId=volume,
            Description="seeded by the orgops emulator",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": _tag_list(tagged)}],
        )["SnapshotId"]
        ec2.delete_volume(VolumeId=volume)
        if "owner" not in tagged:
            rows.append(
                {
                    "resource_arn": f"arn:aws:ec2:{region}:{account_id}:snapshot/{snapshot}",
                    "resource_type": "ec2:snapshot",
                    "action": "add-tags",
                    "tags_added": {"owner": "unassigned"},
                    "tags_before": tagged,
                    "tags_after": {**tagged, "owner": "unassigned"},
                    "applied": False,
                    "error": "",
                }
            )
    return rows


def _vpc_row(vpc_id: str, cidr: str, is_default: bool, subnets: int, igw: str, tags: dict[str, str]) -> Row:
    return {
        "vpc_id": vpc_id,
        "cidr_blocks": [cidr],
        "is_default": is_default,
        "state": "available",
        "subnet_count": subnets,
        "internet_gateway_id": igw,
        "tags": tags,
    }


def vpcs(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """The default VPC AWS (and moto) creates in every account/region, read back with filtered
    describe calls, and, in every third account/region, a tagged VPC with one subnet and an
    attached internet gateway."""
    ec2 = client(session, "ec2", region)
    rows = []
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
        vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        subnets = ec2.describe_subnets(Filters=vpc_filter)["Subnets"]
        igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])
        igw = ";".join(sorted(g["InternetGatewayId"] for g in igws["InternetGateways"]))
        rows.append(_vpc_row(vpc["VpcId"], vpc["CidrBlock"], True, len(subnets), igw, {}))
    if index % 3:
        return rows
    cidr = f"10.{index % 256}.0.0/16"
    tagged = {"Name": f"app-{index}", "owner": account}
    vpc_id = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": _tag_list(tagged)}])[
        "Vpc"
    ]["VpcId"]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{index % 256}.1.0/24", AvailabilityZone=f"{region}a")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    rows.append(_vpc_row(vpc_id, cidr, False, 1, igw, tagged))
    return rows


def accounts(session: boto3.Session, world: World) -> list[Row]:
    """Nothing to create: the organization is the world. One row per account as the world defines
    it (name, ``<name>@example.com``, OU path under ``Root``, tags, suspended or not); the
    management account's name and email are Organizations' own."""
    specs = {spec.name: spec for spec in world.specs}
    org = client(session, "organizations", "us-east-1").describe_organization()["Organization"]
    rows = []
    for name, account_id in world.accounts.items():
        spec = specs.get(name)
        if spec is None:  # the management account
            listed = client(session, "organizations", "us-east-1").describe_account(AccountId=account_id)["Account"]
            rows.append(
                {
                    "id": account_id,
                    "name": listed["Name"],
                    "email": org["MasterAccountEmail"],
                    "status": "ACTIVE",
                    "ou_path": "Root",
                    "tags": {},
                }
            )
            continue
        rows.append(
            {
                "id": account_id,
                "name": name,
                "email": f"{name}@example.com",
                "status": "SUSPENDED" if spec.suspended else "ACTIVE",
                "ou_path": "/".join(["Root", *([spec.ou] if spec.ou else [])]),
                "tags": dict(spec.tags),
            }
        )
    return rows


# Params for operations that require some (the demo and the e2e tests run every operation). The
# tagging operations are limited to the resource types their seeders create, so each one's rows
# are exactly its seeder's whatever other seeders create.
EXAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    "tags": {"RequiredTags": ["owner"], "ResourceTypes": ["ec2:security-group"]},
    "tag-remediation": {"RequiredTags": {"owner": "unassigned"}, "ResourceTypes": ["ec2:snapshot"]},
}

SEEDERS: dict[str, Seeder] = {
    "unused-ebs-volumes": unused_ebs_volumes,
    "public-ips": public_ips,
    "securityhub-standards": securityhub_standards,
    "unused-nat-gateways": unused_nat_gateways,
    "sg-open-ingress-remediation": sg_open_ingress_remediation,
    "public-endpoints": public_endpoints,
    "cloudfront-distributions": cloudfront_distributions,
    "inspector-activation": inspector_activation,
    "lambda-functions": lambda_functions,
    "tags": tags,
    "tag-remediation": tag_remediation,
    "vpcs": vpcs,
}

OrganizationSeeder = Callable[[boto3.Session, World], list[Row]]
# Operations of scope ``organization`` (one target: the management account in the operation's home
# region): ``(management session, world) -> rows``, called once.
ORGANIZATION_SEEDERS: dict[str, OrganizationSeeder] = {
    "accounts": accounts,
}


def seed_world(
    session: boto3.Session, world: World, regions: list[str], operation_names: list[str] | None = None
) -> dict[str, list[dict[str, str]]]:
    """Run every seeder in every active account and region; returns, per operation with a seeder,
    the report rows it must produce (as the report CSV spells them), in report order: the
    accounts whose roles cannot be assumed are seeded too, but their rows must not appear."""
    names = sorted(operation_names if operation_names is not None else operations.REGISTRY)
    seeders = {n: SEEDERS[n] for n in names if n in SEEDERS}
    expected: dict[str, list[dict[str, str]]] = {n: [] for n in seeders}
    reachable = {n: set(world.assumable_for(operations.get(n).role).values()) for n in seeders}
    org = client(session, "organizations", "us-east-1")
    org_names = {a["Id"]: a["Name"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    index = 0
    for account_id in sorted(world.active_accounts.values(), key=lambda a: org_names[a]):  # stable: ids are random
        name = org_names[account_id]
        target = session if account_id == world.management_account_id else member_session(session, account_id)
        for region in sorted(regions):
            for op_name, seeder in seeders.items():
                rows = seeder(target, name, region, index)
                if account_id not in reachable[op_name]:
                    continue
                operation = operations.get(op_name)
                tail = [""] if operation.mutating else []  # the plan column: no plan applied
                for row in rows:
                    cells = [account_id, name, region, *store.format_row(operation.columns, row), *tail]
                    expected[op_name].append(dict(zip(operation.report_columns, cells, strict=True)))
            index += 1
    management = world.management_account_id
    for op_name in (n for n in names if n in ORGANIZATION_SEEDERS):
        operation = operations.get(op_name)
        rows = ORGANIZATION_SEEDERS[op_name](session, world)
        target = [management, org_names[management], operation.home_region]
        expected[op_name] = [
            dict(
                zip(
                    (*TARGET_COLUMNS, *operation.columns),
                    [*target, *store.format_row(operation.columns, row)],
                    strict=True,
                )
            )
            for row in rows
        ]
    return expected
