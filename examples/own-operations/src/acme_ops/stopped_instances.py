"""stopped-instances: EC2 instances stopped for at least Params.Days days (their EBS volumes
are still billed). The stop time is the one EC2 records in the instance's
StateTransitionReason ("User initiated (2026-11-02 09:30:00 GMT)"); an instance whose reason
names no time is reported with stopped_since empty and kept (it cannot be shown to be recent).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from orgops.operations.base import Operation, Param, Row
from orgops.operations.common import tag_map
from orgops.sessions import client

STOPPED_AT = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")


def stopped_since(reason: str) -> datetime | None:
    """When the instance stopped, from its StateTransitionReason; None when it names no time."""
    match = STOPPED_AT.search(reason or "")
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) if match else None


def run(session: Any, target: Any, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    ec2 = client(session, "ec2", target.region)
    cutoff = datetime.now(UTC) - timedelta(days=params["Days"])
    filters = [{"Name": "instance-state-name", "Values": ["stopped"]}]
    for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                since = stopped_since(instance.get("StateTransitionReason", ""))
                if since is not None and since > cutoff:
                    continue
                yield {
                    "instance_id": instance["InstanceId"],
                    "instance_type": instance["InstanceType"],
                    "stopped_since": since.isoformat() if since else "",
                    "tags": tag_map(instance.get("Tags")),
                }


OPERATION = Operation(
    name="stopped-instances",
    description="EC2 instances stopped for at least Params.Days days (their volumes are still billed).",
    role="readonly",
    actions=("ec2:DescribeInstances",),
    columns=("instance_id", "instance_type", "stopped_since", "tags"),
    params=(Param("Days", "integer", "stopped for at least this many days", default=30, minimum=0, maximum=3650),),
    run=run,
)
