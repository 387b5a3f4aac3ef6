"""A moto world for observability tests: data bucket, status table, an organization, env set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgops import observability

REGION = "us-east-1"
BUCKET = "orgops-data"
TABLE = "orgops-status"
OPERATION = "unused-ebs-volumes"
EXECUTION_ARN = f"arn:aws:states:{REGION}:123456789012:execution:orgops-{OPERATION}:run-42"


@dataclass
class World:
    session: boto3.Session
    member_ids: list[str]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Every setting the three functions read, as Terraform sets them, inside ``mock_aws()``."""
    for name, value in {
        "ORGOPS_DATA_BUCKET": BUCKET,
        "ORGOPS_STATUS_TABLE": TABLE,
        "ORGOPS_OPERATION": OPERATION,
        "ORGOPS_MEMBER_ROLE_NAME": "operation-readonly",
        "ORGOPS_OPERATION_ROLE": "readonly",
        "POWERTOOLS_SERVICE_NAME": "orgops",
        "POWERTOOLS_METRICS_NAMESPACE": "orgops-test",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        session.client("s3").create_bucket(Bucket=BUCKET)
        session.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "execution_id", "KeyType": "HASH"},
                {"AttributeName": "target", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "execution_id", "AttributeType": "S"},
                {"AttributeName": "target", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        orgs = session.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        ids = [
            orgs.create_account(AccountName=f"member-{i}", Email=f"m{i}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            for i in range(2)
        ]
        yield World(session, ids)


@pytest.fixture
def output() -> Iterator[Any]:
    """Log lines and EMF documents the functions write, as parsed JSON objects."""
    import io

    stream = io.StringIO()
    observability.set_output(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        observability.set_output(None)


def log_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "_aws" not in line]


def emf_documents(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "_aws" in line]
