"""unused-nat-gateways: idle = no bytes (or no datapoints) over Params.Days, from CloudWatch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from orgops.operations import unused_nat_gateways
from tests.operations.conftest import REGION
from tests.operations.helpers import run


def nat_gateway(ec2: Any, subnet: str, name: str) -> dict[str, Any]:
    allocation = ec2.allocate_address(Domain="vpc")
    gw = ec2.create_nat_gateway(
        SubnetId=subnet,
        AllocationId=allocation["AllocationId"],
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": name}]}],
    )["NatGateway"]
    return {**gw, "PublicIp": allocation["PublicIp"]}


def traffic(cloudwatch: Any, nat_id: str, metric: str, value: float, days_ago: float) -> None:
    cloudwatch.put_metric_data(
        Namespace="AWS/NATGateway",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "NatGatewayId", "Value": nat_id}],
                "Timestamp": datetime.now(UTC) - timedelta(days=days_ago),
                "Value": value,
                "Unit": "Bytes",
            }
        ],
    )


def test_gateways_without_datapoints_or_with_only_old_traffic_are_unused(session: boto3.Session) -> None:
    ec2 = session.client("ec2", region_name=REGION)
    cloudwatch = session.client("cloudwatch", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    silent = nat_gateway(ec2, subnet, "silent")
    busy = nat_gateway(ec2, subnet, "busy")
    old = nat_gateway(ec2, subnet, "old")
    traffic(cloudwatch, busy["NatGatewayId"], "BytesInFromSource", 512, days_ago=2)
    traffic(cloudwatch, old["NatGatewayId"], "BytesOutToDestination", 4096, days_ago=10)

    rows = run("unused-nat-gateways", session, {"Days": 7})

    def row(gw: dict[str, Any], name: str) -> dict[str, Any]:
        return {
            "nat_gateway_id": gw["NatGatewayId"],
            "vpc_id": vpc,
            "subnet_id": subnet,
            "connectivity_type": "public",
            "public_ips": [gw["PublicIp"]],
            "create_time": gw["CreateTime"],
            "idle_days": 7,
            "tags": {"Name": name},
        }

    assert rows == [row(silent, "silent"), row(old, "old")]


def test_traffic_on_any_of_the_four_metrics_makes_a_gateway_used(session: boto3.Session) -> None:
    ec2 = session.client("ec2", region_name=REGION)
    cloudwatch = session.client("cloudwatch", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    for metric in unused_nat_gateways.METRICS:
        gw = nat_gateway(ec2, subnet, metric)
        traffic(cloudwatch, gw["NatGatewayId"], metric, 1, days_ago=1)

    assert run("unused-nat-gateways", session) == []


def test_no_gateway_means_no_cloudwatch_call(stubbed: Any) -> None:
    fake = stubbed("ec2")
    fake.stubber.add_response(
        "describe_nat_gateways", {"NatGateways": []}, {"Filters": [{"Name": "state", "Values": ["available"]}]}
    )

    assert run("unused-nat-gateways", fake) == []


def test_queries_sum_each_metric_per_gateway_per_day() -> None:
    queries = unused_nat_gateways.traffic_queries(["nat-1"])

    assert [q["Id"] for q in queries] == ["m0_0", "m0_1", "m0_2", "m0_3"]
    assert queries[1] == {
        "Id": "m0_1",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/NATGateway",
                "MetricName": "BytesInFromSource",
                "Dimensions": [{"Name": "NatGatewayId", "Value": "nat-1"}],
            },
            "Period": 86_400,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def test_queries_are_sent_at_most_500_per_call_and_summed_per_gateway(
    stubbed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unused_nat_gateways, "QUERIES_PER_CALL", 4)  # one gateway's four metrics per call
    fake = stubbed("cloudwatch")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    queries = unused_nat_gateways.traffic_queries(["nat-a", "nat-b"])
    window = {"StartTime": now - timedelta(days=14), "EndTime": now}
    fake.stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "m0_0", "Values": [0.0]}, {"Id": "m0_3", "Values": []}]},
        {"MetricDataQueries": queries[:4], **window},
    )
    fake.stubber.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "m1_2", "Values": [10.0, 5.0]}]},
        {"MetricDataQueries": queries[4:], **window},
    )

    totals = unused_nat_gateways.bytes_per_gateway(fake.client("cloudwatch"), ["nat-a", "nat-b"], 14, now)

    assert totals == {"nat-a": 0.0, "nat-b": 15.0}
