"""The fanout honours each operation's scope: regional, global (home region), organization."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from orgops.config import FanoutSettings
from orgops.errors import InvalidInput
from orgops.handlers import fanout

SETTINGS = FanoutSettings(data_bucket="orgops-data", status_table="orgops-status", org_role_arn=None)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-accounts:run-1"
MANAGEMENT = "123456789012"


def make_org(session: boto3.Session) -> dict[str, str]:
    """An organization: the management account, two members (and the data bucket the fanout
    writes its plan to); returns id -> name."""
    session.client("s3", region_name="us-east-1").create_bucket(Bucket=SETTINGS.data_bucket)
    organizations = session.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    for name in ("prod", "dev"):
        organizations.create_account(AccountName=name, Email=f"{name}@example.com")
    return {a["Id"]: a["Name"] for a in organizations.list_accounts()["Accounts"]}


def event(operation: str, execution_input: dict[str, Any]) -> dict[str, Any]:
    return {
        "Input": execution_input,
        "Operation": operation,
        "DefaultRegions": "eu-west-1,eu-central-1",
        "DistributedThreshold": 1000,
        "BatchSize": 20,
        "ExecutionId": EXECUTION,
    }


def test_organization_scope_emits_one_target_the_management_account_in_us_east_1(session: boto3.Session) -> None:
    names = make_org(session)
    organizations = session.client("organizations", region_name="us-east-1")
    suspended = next(i for i, n in names.items() if n == "dev")
    organizations.close_account(AccountId=suspended)

    result = fanout.fanout(event("accounts", {"Regions": ["eu-west-1"]}), SETTINGS, session, now=0)

    assert result["AccountRegions"] == [
        {"AccountId": MANAGEMENT, "AccountName": names[MANAGEMENT], "Region": "us-east-1"}
    ]
    assert (result["TargetCount"], result["Skipped"], result["Mode"]) == (1, 0, "INLINE")


def test_organization_scope_rejects_account_filters(session: boto3.Session) -> None:
    with pytest.raises(InvalidInput) as raised:
        fanout.fanout(event("accounts", {"Accounts": {"Exclude": [MANAGEMENT]}}), SETTINGS, session, now=0)
    assert raised.value.field == "Accounts"
    assert raised.value.problem == (
        "accounts reads the whole organization once, from the management account; "
        "account filters do not apply to it: remove Accounts"
    )


def test_global_scope_emits_one_target_per_account_in_the_home_region(session: boto3.Session) -> None:
    names = make_org(session)

    result = fanout.fanout(
        event("cloudfront-distributions", {"Regions": ["eu-west-1", "ap-south-1"]}), SETTINGS, session, now=0
    )

    assert result["AccountRegions"] == [
        {"AccountId": i, "AccountName": names[i], "Region": "us-east-1"} for i in sorted(names)
    ]


def test_regional_scope_emits_one_target_per_account_and_region(session: boto3.Session) -> None:
    names = make_org(session)

    result = fanout.fanout(event("vpcs", {}), SETTINGS, session, now=0)

    assert result["AccountRegions"] == [
        {"AccountId": i, "AccountName": names[i], "Region": r}
        for i in sorted(names)
        for r in ("eu-central-1", "eu-west-1")
    ]
