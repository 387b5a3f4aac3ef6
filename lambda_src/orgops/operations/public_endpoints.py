"""public-endpoints: what the internet can reach in this region.

- ``elbv2`` / ``elb``: internet-facing load balancers (application, network, gateway, classic);
- ``rds``: DB instances with ``PubliclyAccessible``;
- ``apigateway-rest``: REST APIs whose endpoint type is not ``PRIVATE`` and whose default
  ``execute-api`` endpoint is not disabled; ``apigateway-http``: HTTP and WebSocket APIs (API
  Gateway v2, always public) with the default endpoint enabled;
- ``lambda-url``: Lambda function URLs with ``AuthType`` ``NONE`` (anyone can invoke them).

Each kind has its own function taking its client, so each can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Row
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

INTERNET_FACING = "internet-facing"


def _row(kind: str, resource_id: str, name: str, endpoint: str, detail: str) -> Row:
    return {"kind": kind, "resource_id": resource_id, "name": name, "endpoint": endpoint, "detail": detail}


def load_balancers(elbv2: Any, elb: Any) -> Iterator[Row]:
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        for lb in page["LoadBalancers"]:
            if lb.get("Scheme") == INTERNET_FACING:
                yield _row("elbv2", lb["LoadBalancerArn"], lb["LoadBalancerName"], lb.get("DNSName", ""), lb["Type"])
    for page in elb.get_paginator("describe_load_balancers").paginate():
        for lb in page["LoadBalancerDescriptions"]:
            if lb.get("Scheme") == INTERNET_FACING:
                name = lb["LoadBalancerName"]
                yield _row("elb", name, name, lb.get("DNSName", ""), "classic")


def db_instances(rds: Any) -> Iterator[Row]:
    for page in rds.get_paginator("describe_db_instances").paginate():
        for db in page["DBInstances"]:
            if not db.get("PubliclyAccessible"):
                continue
            endpoint = db.get("Endpoint") or {}
            address = f"{endpoint['Address']}:{endpoint.get('Port', '')}" if endpoint.get("Address") else ""
            yield _row("rds", db["DBInstanceArn"], db["DBInstanceIdentifier"], address, db.get("Engine", ""))


def rest_apis(apigateway: Any, region: str) -> Iterator[Row]:
    for page in apigateway.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            types = api.get("endpointConfiguration", {}).get("types", ["EDGE"])
            if "PRIVATE" in types or api.get("disableExecuteApiEndpoint"):
                continue
            endpoint = f"https://{api['id']}.execute-api.{region}.amazonaws.com"
            yield _row("apigateway-rest", api["id"], api.get("name", ""), endpoint, ";".join(types))


def http_apis(apigatewayv2: Any) -> Iterator[Row]:
    for page in apigatewayv2.get_paginator("get_apis").paginate():
        for api in page["Items"]:
            if api.get("DisableExecuteApiEndpoint"):
                continue
            yield _row(
                "apigateway-http",
                api["ApiId"],
                api.get("Name", ""),
                api.get("ApiEndpoint", ""),
                api.get("ProtocolType", ""),
            )


def function_urls(lam: Any) -> Iterator[Row]:
    for page in lam.get_paginator("list_functions").paginate():
        for f in page["Functions"]:
            urls = lam.get_paginator("list_function_url_configs").paginate(FunctionName=f["FunctionName"])
            for url_page in urls:
                for url in url_page["FunctionUrlConfigs"]:
                    if url.get("AuthType") == "NONE":
                        yield _row("lambda-url", url["FunctionArn"], f["FunctionName"], url["FunctionUrl"], "NONE")


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    region = target.region
    yield from load_balancers(client(session, "elbv2", region), client(session, "elb", region))
    yield from db_instances(client(session, "rds", region))
    yield from rest_apis(client(session, "apigateway", region), region)
    yield from http_apis(client(session, "apigatewayv2", region))
    yield from function_urls(client(session, "lambda", region))


OPERATION = Operation(
    name="public-endpoints",
    description=(
        "Internet-facing load balancers, publicly accessible RDS instances, public API Gateway REST/HTTP "
        "APIs, Lambda function URLs without auth."
    ),
    role="readonly",
    actions=(
        "apigateway:GET",
        "elasticloadbalancing:DescribeLoadBalancers",
        "lambda:ListFunctionUrlConfigs",
        "lambda:ListFunctions",
        "rds:DescribeDBInstances",
    ),
    # What the IAM database scopes (the load balancer and ListFunctions reads support only "*"):
    # API Gateway's two list paths (GET /restapis, GET /apis; "*" would also read API keys), the
    # account's functions and DB instances.
    resources={
        "apigateway:GET": ("arn:${Partition}:apigateway:*::/apis", "arn:${Partition}:apigateway:*::/restapis"),
        "lambda:ListFunctionUrlConfigs": ("arn:${Partition}:lambda:*:${Account}:function:*",),
        "rds:DescribeDBInstances": ("arn:${Partition}:rds:*:${Account}:db:*",),
    },
    key=("kind", "resource_id", "endpoint"),
    noun="public endpoints",
    columns=("kind", "resource_id", "name", "endpoint", "detail"),
    run=run,
)
