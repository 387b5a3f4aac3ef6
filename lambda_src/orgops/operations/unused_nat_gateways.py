"""unused-nat-gateways: NAT gateways that moved no bytes over the last ``Params.Days`` days.

Traffic is read from CloudWatch (``AWS/NATGateway``: ``BytesOutToDestination``,
``BytesInFromSource``, ``BytesInFromDestination``, ``BytesOutToSource``), summed per gateway
with ``GetMetricData``. A gateway with no datapoints at all counts as no traffic: CloudWatch
publishes nothing for an idle gateway.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Param, Row
from orgops.operations.common import chunks, tag_map
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

NAMESPACE = "AWS/NATGateway"
METRICS = ("BytesOutToDestination", "BytesInFromSource", "BytesInFromDestination", "BytesOutToSource")
DAY = 86_400
# GetMetricData takes at most 500 queries per call.
QUERIES_PER_CALL = 500
# CloudWatch keeps hourly and coarser datapoints for 455 days.
MAX_DAYS = 455


def traffic_queries(nat_ids: Sequence[str]) -> list[dict[str, Any]]:
    """One ``Sum`` query per gateway and metric, over periods of a day; ids ``m<gateway>_<metric>``."""
    return [
        {
            "Id": f"m{g}_{m}",
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": METRICS[m],
                    "Dimensions": [{"Name": "NatGatewayId", "Value": nat_id}],
                },
                "Period": DAY,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for g, nat_id in enumerate(nat_ids)
        for m in range(len(METRICS))
    ]


def bytes_per_gateway(cloudwatch: Any, nat_ids: Sequence[str], days: int, now: datetime) -> dict[str, float]:
    """Total bytes each gateway moved between ``now - days`` and ``now`` (0 without datapoints)."""
    totals = dict.fromkeys(nat_ids, 0.0)
    queries = traffic_queries(nat_ids)
    start = now - timedelta(days=days)
    for batch in chunks(queries, QUERIES_PER_CALL):
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=list(batch), StartTime=start, EndTime=now
        )
        for page in pages:
            for result in page["MetricDataResults"]:
                gateway = int(result["Id"][1:].split("_")[0])
                totals[nat_ids[gateway]] += sum(result.get("Values", []))
    return totals


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    ec2 = client(session, "ec2", target.region)
    pages = ec2.get_paginator("describe_nat_gateways").paginate(Filters=[{"Name": "state", "Values": ["available"]}])
    gateways = [g for page in pages for g in page["NatGateways"]]
    if not gateways:
        return
    days = params["Days"]
    totals = bytes_per_gateway(
        client(session, "cloudwatch", target.region),
        [g["NatGatewayId"] for g in gateways],
        days,
        datetime.now(UTC),
    )
    for g in gateways:
        if totals[g["NatGatewayId"]] > 0:
            continue
        yield {
            "nat_gateway_id": g["NatGatewayId"],
            "vpc_id": g.get("VpcId", ""),
            "subnet_id": g.get("SubnetId", ""),
            "connectivity_type": g.get("ConnectivityType", "public"),
            "public_ips": [a["PublicIp"] for a in g.get("NatGatewayAddresses", []) if a.get("PublicIp")],
            "create_time": g.get("CreateTime"),
            "idle_days": days,
            "tags": tag_map(g.get("Tags")),
        }


OPERATION = Operation(
    name="unused-nat-gateways",
    description=(
        "Available NAT gateways with no traffic (CloudWatch bytes in and out, no datapoints = none) "
        "over the last Params.Days days."
    ),
    role="readonly",
    actions=(
        "cloudwatch:GetMetricData",
        "ec2:DescribeNatGateways",
    ),
    key=("nat_gateway_id",),
    noun="unused NAT gateways",
    columns=(
        "nat_gateway_id",
        "vpc_id",
        "subnet_id",
        "connectivity_type",
        "public_ips",
        "create_time",
        "idle_days",
        "tags",
    ),
    column_types={"create_time": "timestamp", "idle_days": "bigint"},
    run=run,
    params=(
        Param(
            "Days",
            "integer",
            "Days without traffic that make a gateway unused.",
            default=14,
            minimum=1,
            maximum=MAX_DAYS,
        ),
    ),
)
