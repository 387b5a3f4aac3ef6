"""public-endpoints: internet-facing LBs, public RDS, public API Gateway APIs, Lambda URLs without auth."""

from __future__ import annotations

from typing import Any

import boto3

from orgops.operations.public_endpoints import function_urls
from tests.operations.conftest import REGION
from tests.operations.helpers import run


def load_balancers(session: boto3.Session) -> dict[str, Any]:
    ec2 = session.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    elbv2 = session.client("elbv2", region_name=REGION)
    public = elbv2.create_load_balancer(Name="public-alb", Subnets=subnets, Scheme="internet-facing")
    elbv2.create_load_balancer(Name="private-alb", Subnets=subnets, Scheme="internal")
    elb = session.client("elb", region_name=REGION)
    listeners = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]
    classic = elb.create_load_balancer(
        LoadBalancerName="classic", Listeners=listeners, AvailabilityZones=[f"{REGION}a"], Scheme="internet-facing"
    )
    elb.create_load_balancer(
        LoadBalancerName="classic-internal", Listeners=listeners, AvailabilityZones=[f"{REGION}a"], Scheme="internal"
    )
    return {"alb": public["LoadBalancers"][0], "classic_dns": classic["DNSName"]}


def test_rows_list_every_kind_of_public_endpoint_and_nothing_private(session: boto3.Session) -> None:
    lbs = load_balancers(session)
    rds = session.client("rds", region_name=REGION)
    for name, public in (("open-db", True), ("closed-db", False)):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="admin",
            MasterUserPassword="password123",
            AllocatedStorage=20,
            PubliclyAccessible=public,
        )
    db = rds.describe_db_instances(DBInstanceIdentifier="open-db")["DBInstances"][0]
    apigw = session.client("apigateway", region_name=REGION)
    regional = apigw.create_rest_api(name="orders", endpointConfiguration={"types": ["REGIONAL"]})
    apigw.create_rest_api(name="internal", endpointConfiguration={"types": ["PRIVATE"]})
    apigw.create_rest_api(name="no-default", disableExecuteApiEndpoint=True)
    http = session.client("apigatewayv2", region_name=REGION).create_api(Name="web", ProtocolType="HTTP")

    rows = run("public-endpoints", session)

    alb = lbs["alb"]
    assert rows == [
        {
            "kind": "elbv2",
            "resource_id": alb["LoadBalancerArn"],
            "name": "public-alb",
            "endpoint": alb["DNSName"],
            "detail": "application",
        },
        {
            "kind": "elb",
            "resource_id": "classic",
            "name": "classic",
            "endpoint": lbs["classic_dns"],
            "detail": "classic",
        },
        {
            "kind": "rds",
            "resource_id": db["DBInstanceArn"],
            "name": "open-db",
            "endpoint": f"{db['Endpoint']['Address']}:{db['Endpoint']['Port']}",
            "detail": "postgres",
        },
        {
            "kind": "apigateway-rest",
            "resource_id": regional["id"],
            "name": "orders",
            "endpoint": f"https://{regional['id']}.execute-api.{REGION}.amazonaws.com",
            "detail": "REGIONAL",
        },
        {
            "kind": "apigateway-http",
            "resource_id": http["ApiId"],
            "name": "web",
            "endpoint": http["ApiEndpoint"],
            "detail": "HTTP",
        },
    ]


def test_lambda_function_urls_without_auth_are_public(stubbed: Any) -> None:
    fake = stubbed("lambda")
    arn = f"arn:aws:lambda:{REGION}:123456789012:function:"
    fake.stubber.add_response(
        "list_functions",
        {
            "Functions": [
                {"FunctionName": "open", "FunctionArn": arn + "open"},
                {"FunctionName": "iam", "FunctionArn": arn + "iam"},
            ]
        },
        {},
    )

    def url(name: str, qualifier: str, auth: str) -> dict[str, Any]:
        return {
            "FunctionUrl": f"https://{name}{qualifier}.lambda-url.{REGION}.on.aws/",
            "FunctionArn": arn + name + (f":{qualifier}" if qualifier else ""),
            "AuthType": auth,
            "CreationTime": "2026-01-01T00:00:00Z",
            "LastModifiedTime": "2026-01-01T00:00:00Z",
        }

    fake.stubber.add_response(
        "list_function_url_configs",
        {"FunctionUrlConfigs": [url("open", "", "NONE"), url("open", "live", "AWS_IAM")]},
        {"FunctionName": "open"},
    )
    fake.stubber.add_response(
        "list_function_url_configs", {"FunctionUrlConfigs": [url("iam", "", "AWS_IAM")]}, {"FunctionName": "iam"}
    )

    rows = list(function_urls(fake.client("lambda")))

    assert rows == [
        {
            "kind": "lambda-url",
            "resource_id": arn + "open",
            "name": "open",
            "endpoint": f"https://open.lambda-url.{REGION}.on.aws/",
            "detail": "NONE",
        }
    ]
