"""vpcs: every VPC with its CIDR blocks, default flag, subnet count and internet gateway."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Row
from orgops.operations.common import tag_map
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

ASSOCIATED = ("associated", "associating")


def cidr_blocks(vpc: Mapping[str, Any]) -> list[str]:
    """The VPC's associated IPv4 then IPv6 CIDR blocks (primary first)."""
    v4 = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", []) if a["CidrBlockState"]["State"] in ASSOCIATED]
    v6 = [
        a["Ipv6CidrBlock"]
        for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
        if a.get("Ipv6CidrBlockState", {}).get("State") in ASSOCIATED and a.get("Ipv6CidrBlock")
    ]
    return (v4 or [vpc["CidrBlock"]]) + v6


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    ec2 = client(session, "ec2", target.region)
    subnets: Counter[str] = Counter(
        s["VpcId"] for page in ec2.get_paginator("describe_subnets").paginate() for s in page["Subnets"]
    )
    gateways: dict[str, list[str]] = {}
    for page in ec2.get_paginator("describe_internet_gateways").paginate():
        for igw in page["InternetGateways"]:
            for att in igw.get("Attachments", []):
                if att.get("State") in ("available", "attached", "attaching"):
                    gateways.setdefault(att["VpcId"], []).append(igw["InternetGatewayId"])
    for page in ec2.get_paginator("describe_vpcs").paginate():
        for vpc in page["Vpcs"]:
            vpc_id = vpc["VpcId"]
            yield {
                "vpc_id": vpc_id,
                "cidr_blocks": cidr_blocks(vpc),
                "is_default": bool(vpc.get("IsDefault")),
                "state": vpc.get("State", ""),
                "subnet_count": subnets.get(vpc_id, 0),
                "internet_gateway_id": ";".join(sorted(gateways.get(vpc_id, []))),
                "tags": tag_map(vpc.get("Tags")),
            }


OPERATION = Operation(
    name="vpcs",
    description="Every VPC: CIDR blocks, default VPC flag, number of subnets, attached internet gateway.",
    role="readonly",
    actions=(
        "ec2:DescribeInternetGateways",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    ),
    key=("vpc_id",),
    noun="VPCs",
    columns=("vpc_id", "cidr_blocks", "is_default", "state", "subnet_count", "internet_gateway_id", "tags"),
    column_types={"is_default": "boolean", "subnet_count": "bigint"},
    run=run,
)
