"""sg-open-ingress-remediation: revoke security group ingress open to the whole internet.

Every ingress rule from ``0.0.0.0/0`` or ``::/0`` is revoked unless it is a TCP or UDP rule whose
every port is in ``Params.AllowedPorts`` (a rule for 80-443 is revoked even when 80 and 443 are
allowed: it opens the ports between). Rules of other protocols (all traffic, ICMP, ...) are
always revoked. Only the open CIDR is removed from a rule; its other sources (narrower CIDRs,
security groups, prefix lists) stay. Dry run by default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Param, Row
from orgops.operations.common import attempt
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

ACTION = "revoke-ingress"
OPEN_IPV4 = "0.0.0.0/0"
OPEN_IPV6 = "::/0"
PORT_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}


def is_allowed(permission: Mapping[str, Any], allowed_ports: frozenset[int]) -> bool:
    """A TCP/UDP rule whose whole port range is allowed."""
    if str(permission.get("IpProtocol")) not in PORT_PROTOCOLS:
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None or high - low >= len(allowed_ports):
        return False
    return all(port in allowed_ports for port in range(low, high + 1))


def open_rules(group: Mapping[str, Any], allowed_ports: frozenset[int]) -> Iterator[tuple[dict[str, Any], str]]:
    """``(permission to revoke, cidr)`` for each open CIDR of each rule that is not allowed."""
    for perm in group.get("IpPermissions", []):
        if is_allowed(perm, allowed_ports):
            continue
        base = {"IpProtocol": perm["IpProtocol"]}
        if "FromPort" in perm:
            base.update(FromPort=perm["FromPort"], ToPort=perm["ToPort"])
        for r in perm.get("IpRanges", []):
            if r.get("CidrIp") == OPEN_IPV4:
                yield {**base, "IpRanges": [{"CidrIp": OPEN_IPV4}]}, OPEN_IPV4
        for r in perm.get("Ipv6Ranges", []):
            if r.get("CidrIpv6") == OPEN_IPV6:
                yield {**base, "Ipv6Ranges": [{"CidrIpv6": OPEN_IPV6}]}, OPEN_IPV6


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    ec2 = client(session, "ec2", target.region)
    allowed = frozenset(params["AllowedPorts"])
    for page in ec2.get_paginator("describe_security_groups").paginate():
        for group in page["SecurityGroups"]:
            for permission, cidr in open_rules(group, allowed):
                protocol = str(permission["IpProtocol"])
                row = {
                    "group_id": group["GroupId"],
                    "group_name": group.get("GroupName", ""),
                    "vpc_id": group.get("VpcId", ""),
                    "protocol": "all" if protocol == "-1" else PORT_PROTOCOLS.get(protocol, protocol),
                    "from_port": permission.get("FromPort", ""),
                    "to_port": permission.get("ToPort", ""),
                    "cidr": cidr,
                    "action": ACTION,
                }
                outcome = attempt(
                    dry_run,
                    partial(ec2.revoke_security_group_ingress, GroupId=group["GroupId"], IpPermissions=[permission]),
                    finding=row,
                )
                yield {**row, "applied": outcome.applied, "error": outcome.error}


OPERATION = Operation(
    name="sg-open-ingress-remediation",
    description=(
        "Revokes security group ingress from 0.0.0.0/0 and ::/0, except TCP/UDP rules on "
        "Params.AllowedPorts. Dry run unless DryRun is false."
    ),
    role="admin",
    actions=(
        "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupIngress",
    ),
    # RevokeSecurityGroupIngress acts on a security group (IAM database: security-group); the
    # Describe call supports no resource-level permission ("*").
    resources={"ec2:RevokeSecurityGroupIngress": ("arn:${Partition}:ec2:*:${Account}:security-group/*",)},
    mutating=True,
    key=("group_id", "protocol", "from_port", "to_port", "cidr", "action"),
    noun="open ingress rules",
    columns=(
        "group_id",
        "group_name",
        "vpc_id",
        "protocol",
        "from_port",
        "to_port",
        "cidr",
        "action",
        "applied",
        "error",
    ),
    column_types={"from_port": "bigint", "to_port": "bigint", "applied": "boolean"},
    run=run,
    params=(
        Param(
            "AllowedPorts",
            "integer_list",
            "TCP/UDP ports that may stay open to the internet; [] revokes every open rule.",
            default=[80, 443],
            minimum=0,
            maximum=65535,
            min_items=0,
        ),
    ),
)
