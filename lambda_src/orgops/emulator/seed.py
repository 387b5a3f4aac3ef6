"""Resources for each built-in operation to find, seeded in member accounts.

``SEEDERS`` maps an operation name to a function ``(session, account, region, index) -> rows``:
it creates resources in one account/region (``session`` is already in the account) and returns
the rows the operation must report for them (the operation's own columns, without the target
columns), leaving decoys the operation must not report. ``index`` numbers the account/region
pairs so that seeders vary what they create. An operation without a seeder simply runs on an
empty world. Adding an operation: add its seeder here; the e2e tests pick it up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

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


def securityhub_standards(session: boto3.Session, account: str, region: str, index: int) -> list[Row]:
    """Security Hub enabled with FSBP in two of three account/regions, not enabled in the third.
    The operation's default Params check FSBP only."""
    fsbp = FSBP.replace("REGION", region)
    if index % 3 == 2:
        return [{"standard_arn": fsbp, "enabled": False, "status": "HUB_NOT_ENABLED", "subscription_arn": ""}]
    hub = client(session, "securityhub", region)
    hub.enable_security_hub(EnableDefaultStandards=False)
    if index % 3 == 1:
        return [{"standard_arn": fsbp, "enabled": False, "status": "NOT_ENABLED", "subscription_arn": ""}]
    sub = hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": fsbp}])
    return [
        {
            "standard_arn": fsbp,
            "enabled": True,
            "status": "READY",
            "subscription_arn": sub["StandardsSubscriptions"][0]["StandardsSubscriptionArn"],
        }
    ]


SEEDERS: dict[str, Seeder] = {
    "unused-ebs-volumes": unused_ebs_volumes,
    "public-ips": public_ips,
    "securityhub-standards": securityhub_standards,
}
