"""unused-ebs-volumes: EBS volumes in state ``available``, attached to nothing, still billed."""

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
    pages = ec2.get_paginator("describe_volumes").paginate(Filters=[{"Name": "status", "Values": ["available"]}])
    for page in pages:
        for v in page["Volumes"]:
            yield {
                "volume_id": v["VolumeId"],
                "size_gib": v["Size"],
                "volume_type": v["VolumeType"],
                "create_time": v["CreateTime"],
                "availability_zone": v["AvailabilityZone"],
                "tags": tag_map(v.get("Tags")),
            }


OPERATION = Operation(
    name="unused-ebs-volumes",
    description="EBS volumes in state available (attached to no instance), which are still billed.",
    role="readonly",
    actions=("ec2:DescribeVolumes",),
    key=("volume_id",),
    noun="unused EBS volumes",
    columns=("volume_id", "size_gib", "volume_type", "create_time", "availability_zone", "tags"),
    column_types={"size_gib": "bigint", "create_time": "timestamp"},
    run=run,
)
