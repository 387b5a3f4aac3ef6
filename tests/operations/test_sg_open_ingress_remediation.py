"""sg-open-ingress-remediation: revoke internet-open ingress except AllowedPorts; dry run by default."""

from __future__ import annotations

from typing import Any

import boto3

from orgops.operations.sg_open_ingress_remediation import is_allowed
from tests.operations.conftest import REGION
from tests.operations.helpers import run


def open_group(session: boto3.Session) -> tuple[str, str]:
    """A group with: 443 open (v4), 22 open (v4 + v6 + a narrow CIDR), all traffic open (v4)."""
    ec2 = session.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            },
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    return group, vpc


def ingress(session: boto3.Session, group: str) -> list[tuple[str, Any, Any, list[str]]]:
    ec2 = session.client("ec2", region_name=REGION)
    perms = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    return sorted(
        (
            p["IpProtocol"],
            p.get("FromPort"),
            p.get("ToPort"),
            sorted([r["CidrIp"] for r in p.get("IpRanges", [])] + [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])]),
        )
        for p in perms
        if p.get("IpRanges") or p.get("Ipv6Ranges")
    )


def change(group: str, vpc: str, protocol: str, low: Any, high: Any, cidr: str, applied: bool) -> dict[str, Any]:
    return {
        "group_id": group,
        "group_name": "web",
        "vpc_id": vpc,
        "protocol": protocol,
        "from_port": low,
        "to_port": high,
        "cidr": cidr,
        "action": "revoke-ingress",
        "applied": applied,
        "error": "",
    }


def test_dry_run_lists_the_rules_to_revoke_and_changes_nothing(session: boto3.Session) -> None:
    group, vpc = open_group(session)
    before = ingress(session, group)

    rows = run("sg-open-ingress-remediation", session, {"AllowedPorts": [443]})

    assert rows == [
        change(group, vpc, "tcp", 22, 22, "0.0.0.0/0", False),
        change(group, vpc, "tcp", 22, 22, "::/0", False),
        change(group, vpc, "all", "", "", "0.0.0.0/0", False),
    ]
    assert ingress(session, group) == before


def test_apply_revokes_only_the_open_sources_and_keeps_allowed_ports(session: boto3.Session) -> None:
    group, _vpc = open_group(session)

    rows = run("sg-open-ingress-remediation", session, {"AllowedPorts": [443]}, dry_run=False)

    assert [r["applied"] for r in rows] == [True, True, True]
    assert ingress(session, group) == [("tcp", 22, 22, ["10.0.0.0/8"]), ("tcp", 443, 443, ["0.0.0.0/0"])]


def test_empty_allowed_ports_revokes_every_open_rule(session: boto3.Session) -> None:
    group, _vpc = open_group(session)

    run("sg-open-ingress-remediation", session, {"AllowedPorts": []}, dry_run=False)

    assert ingress(session, group) == [("tcp", 22, 22, ["10.0.0.0/8"])]


def test_a_failed_revoke_is_reported_and_the_others_still_run(stubbed: Any) -> None:
    fake = stubbed("ec2")
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    dns = {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    group = {
        "GroupId": "sg-1",
        "GroupName": "web",
        "VpcId": "vpc-1",
        "IpPermissions": [ssh, dns],
    }
    fake.stubber.add_response("describe_security_groups", {"SecurityGroups": [group]}, {})
    fake.stubber.add_client_error(
        "revoke_security_group_ingress",
        "UnauthorizedOperation",
        "denied",
        expected_params={
            "GroupId": "sg-1",
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        },
    )
    fake.stubber.add_response(
        "revoke_security_group_ingress",
        {"Return": True},
        {
            "GroupId": "sg-1",
            "IpPermissions": [
                {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
            ],
        },
    )

    rows = run("sg-open-ingress-remediation", fake, {"AllowedPorts": []}, dry_run=False)

    assert [(r["protocol"], r["from_port"], r["cidr"], r["applied"], r["error"]) for r in rows] == [
        ("tcp", 22, "0.0.0.0/0", False, "UnauthorizedOperation: denied"),
        ("udp", 53, "::/0", True, ""),
    ]


def test_a_rule_is_allowed_only_when_every_port_it_opens_is_allowed() -> None:
    allowed = frozenset({80, 443})
    assert is_allowed({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}, allowed)
    assert is_allowed({"IpProtocol": "6", "FromPort": 80, "ToPort": 80}, allowed)
    assert not is_allowed({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443}, allowed)
    assert not is_allowed({"IpProtocol": "-1"}, allowed)
    assert not is_allowed({"IpProtocol": "icmp", "FromPort": 8, "ToPort": 0}, allowed)
