"""unused-ebs-volumes, public-ips, vpcs against moto EC2."""

from __future__ import annotations

import boto3

from tests.operations.conftest import REGION
from tests.operations.helpers import run

AMI = "ami-12c6146b"


def tags(**kv: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in kv.items()]


def test_unused_ebs_volumes_lists_only_available_volumes(session: boto3.Session) -> None:
    ec2 = session.client("ec2", region_name=REGION)
    free = ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=8,
        VolumeType="gp3",
        TagSpecifications=[{"ResourceType": "volume", "Tags": tags(Owner="ops")}],
    )
    used = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=4)
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": f"{REGION}a"})
    ec2.attach_volume(VolumeId=used["VolumeId"], InstanceId=instance["Instances"][0]["InstanceId"], Device="/dev/sdf")

    rows = run("unused-ebs-volumes", session)

    assert rows == [
        {
            "volume_id": free["VolumeId"],
            "size_gib": 8,
            "volume_type": "gp3",
            "create_time": free["CreateTime"],
            "availability_zone": f"{REGION}a",
            "tags": {"Owner": "ops"},
        }
    ]


def test_public_ips_lists_unassociated_elastic_ips_and_running_instances_public_ips(session: boto3.Session) -> None:
    ec2 = session.client("ec2", region_name=REGION)
    free = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tags(Name="spare")}]
    )
    bound = ec2.allocate_address(Domain="vpc")
    instances = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2)["Instances"]
    running, stopped = instances[0]["InstanceId"], instances[1]["InstanceId"]
    ec2.associate_address(AllocationId=bound["AllocationId"], InstanceId=running)
    ec2.stop_instances(InstanceIds=[stopped])

    rows = run("public-ips", session)

    public_ip = ec2.describe_instances(InstanceIds=[running])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
    assert rows == [
        {
            "public_ip": free["PublicIp"],
            "kind": "elastic-ip-unassociated",
            "allocation_id": free["AllocationId"],
            "instance_id": "",
            "tags": {"Name": "spare"},
        },
        {"public_ip": public_ip, "kind": "instance-public-ip", "allocation_id": "", "instance_id": running, "tags": {}},
    ]


def test_vpcs_reports_cidrs_default_flag_subnet_count_and_internet_gateway(session: boto3.Session) -> None:
    ec2 = session.client("ec2", region_name=REGION)
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    default_subnets = len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default["VpcId"]]}])["Subnets"])
    vpc = ec2.create_vpc(
        CidrBlock="10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags(Name="app")}]
    )["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.2.0.0/16")
    for cidr in ("10.1.0.0/24", "10.1.1.0/24"):
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    bare = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    rows = sorted(run("vpcs", session), key=lambda r: (not r["is_default"], r["cidr_blocks"]))

    assert rows == [
        {
            "vpc_id": default["VpcId"],
            "cidr_blocks": ["172.31.0.0/16"],
            "is_default": True,
            "state": "available",
            "subnet_count": default_subnets,
            "internet_gateway_id": "",
            "tags": {},
        },
        {
            "vpc_id": vpc,
            "cidr_blocks": ["10.1.0.0/16", "10.2.0.0/16"],
            "is_default": False,
            "state": "available",
            "subnet_count": 2,
            "internet_gateway_id": igw,
            "tags": {"Name": "app"},
        },
        {
            "vpc_id": bare,
            "cidr_blocks": ["10.9.0.0/16"],
            "is_default": False,
            "state": "available",
            "subnet_count": 0,
            "internet_gateway_id": "",
            "tags": {},
        },
    ]
    assert default_subnets == 3
