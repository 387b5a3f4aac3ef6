"""The emulator's Amazon Inspector fix: an omitted ``accountIds`` means the caller's account, as in AWS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgops.emulator import seams


@pytest.fixture
def inspector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    router = seams.install()
    try:
        with mock_aws():
            yield boto3.client("inspector2", region_name="eu-west-1")
    finally:
        seams.uninstall(router)


def test_enable_without_account_ids_enables_the_callers_account(inspector: Any) -> None:
    response = inspector.enable(resourceTypes=["EC2"])

    assert [(a["accountId"], a["resourceStatus"]["ec2"]) for a in response["accounts"]] == [("123456789012", "ENABLED")]


def test_batch_get_account_status_without_account_ids_reads_the_callers_account(inspector: Any) -> None:
    inspector.enable(resourceTypes=["ECR"])

    accounts = inspector.batch_get_account_status()["accounts"]

    assert [(a["accountId"], {k: v["status"] for k, v in a["resourceState"].items()}) for a in accounts] == [
        ("123456789012", {"ec2": "DISABLED", "ecr": "ENABLED", "lambda": "DISABLED", "lambdaCode": "DISABLED"})
    ]
