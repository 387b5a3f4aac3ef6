"""Small readers shared by the handler tests."""

from __future__ import annotations

from typing import Any

import boto3

from tests.handlers.org_fixture import DATA_BUCKET, STATUS_TABLE


def status_items(session: boto3.Session, table: str = STATUS_TABLE) -> list[dict[str, Any]]:
    items = session.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
    return sorted(items, key=lambda i: (i["execution_id"]["S"], i["target"]["S"]))


def object_keys(session: boto3.Session, bucket: str = DATA_BUCKET) -> list[str]:
    listing = session.client("s3", region_name="us-east-1").list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listing.get("Contents", [])]


def read_object(session: boto3.Session, key: str, bucket: str = DATA_BUCKET) -> bytes:
    return session.client("s3", region_name="us-east-1").get_object(Bucket=bucket, Key=key)["Body"].read()


def assumed_sessions(account_id: str, session_name: str = "orgops") -> list[str]:
    """Role ARNs moto's STS handed out in ``account_id`` under ``session_name``, in call order."""
    from moto.sts.models import sts_backends

    return [r.role_arn for r in sts_backends[account_id]["aws"].assumed_roles if r.session_name == session_name]


def fail_call(session: boto3.Session, service: str, operation: str, code: str, message: str) -> None:
    """Make every later client of ``session`` fail ``operation`` with the AWS error ``code``."""
    from botocore.exceptions import ClientError

    def hook(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    session.events.register(f"before-call.{service}.{operation}", hook)
