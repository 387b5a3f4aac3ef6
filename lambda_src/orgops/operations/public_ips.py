"""public-ips: Elastic IPs not associated with anything, and public IPs of running instances."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Row
from orgops.operations.common import tag_map
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    ec2 = client(session, "ec2", target.region)
    for address in ec2.describe_addresses()["Addresses"]:
        if address.get("AssociationId") or address.get("InstanceId") or address.get("NetworkInterfaceId"):
            continue
        yield {
            "public_ip": address["PublicIp"],
            "kind": "elastic-ip-unassociated",
            "allocation_id": address.get("AllocationId", ""),
            "instance_id": "",
            "tags": tag_map(address.get("Tags")),
        }
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
    )
    for page in pages:
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                if not instance.get("PublicIpAddress"):
                    continue
                yield {
                    "public_ip": instance["PublicIpAddress"],
                    "kind": "instance-public-ip",
                    "allocation_id": "",
                    "instance_id": instance["InstanceId"],
                    "tags": tag_map(instance.get("Tags")),
                }


OPERATION = Operation(
    name="public-ips",
    description="Elastic IPs not associated with anything, and the public IPs of running instances.",
    role="readonly",
    actions=(
        "ec2:DescribeAddresses",
        "ec2:DescribeInstances",
    ),
    key=("public_ip",),
    noun="public IPs",
    columns=("public_ip", "kind", "allocation_id", "instance_id", "tags"),
    run=run,
)
