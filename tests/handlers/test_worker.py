"""The worker: one target, rows stored under the right account, a small status returned."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from orgops import operations
from orgops.config import WorkerSettings
from orgops.errors import ConfigurationError
from orgops.handlers import worker
from orgops.operations.base import Operation
from tests.handlers.helpers import assumed_sessions, fail_call, object_keys, read_object
from tests.handlers.org_fixture import DATA_BUCKET, MEMBER_ROLE, PROD_A, PROD_B, Org, member_session

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-unused-ebs-volumes:run-1"
SETTINGS = WorkerSettings(operation="unused-ebs-volumes", member_role_name=MEMBER_ROLE, data_bucket=DATA_BUCKET)
COMMON = {"Operation": "unused-ebs-volumes", "Params": {}, "DryRun": True, "ExpiresAt": 1_702_592_000}


def event(account_id: str, name: str, region: str) -> dict[str, Any]:
    return {
        "Target": {"AccountId": account_id, "AccountName": name, "Region": region},
        "Common": COMMON,
        "ExecutionId": EXECUTION,
    }


class FixedSessions:
    """Hands out one prepared member session (to inject errors into the operation's calls)."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session

    def for_account(self, account_id: str) -> boto3.Session:
        return self.session


def seed_volume(session: boto3.Session, account_id: str, region: str) -> dict[str, Any]:
    ec2 = member_session(session, account_id).client("ec2", region_name=region)
    return ec2.create_volume(
        Size=8,
        AvailabilityZone=f"{region}a",
        VolumeType="gp3",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "=orphan"}]}],
    )


def test_rows_land_under_the_account_that_owns_the_resource(session: boto3.Session, org: Org) -> None:
    volume = seed_volume(session, PROD_A, "eu-west-1")

    in_a = worker.work(event(PROD_A, "prod-a", "eu-west-1"), SETTINGS, session)
    in_b = worker.work(event(PROD_B, "prod-b", "eu-west-1"), SETTINGS, session)

    assert in_a == {
        "AccountId": PROD_A,
        "AccountName": "prod-a",
        "Region": "eu-west-1",
        "Status": "SUCCEEDED",
        "Rows": 1,
        "ErrorCode": "",
        "ErrorMessage": "",
    }
    assert (in_b["Status"], in_b["Rows"]) == ("SUCCEEDED", 0)
    key_a = f"results/orgops-unused-ebs-volumes/run-1/{PROD_A}/eu-west-1.jsonl"
    assert object_keys(session) == [key_a]  # a target without rows writes no object
    assert read_object(session, key_a).decode().splitlines() == [
        json.dumps(
            [
                PROD_A,
                "prod-a",
                "eu-west-1",
                volume["VolumeId"],
                "8",
                "gp3",
                volume["CreateTime"].isoformat(),
                "eu-west-1a",
                "Name==orphan",
            ]
        )
    ]


def test_the_worker_assumes_the_configured_role_in_the_target_account(session: boto3.Session, org: Org) -> None:
    worker.work(event(PROD_B, "prod-b", "us-west-2"), SETTINGS, session)

    assert assumed_sessions(PROD_B) == [f"arn:aws:iam::{PROD_B}:role/{MEMBER_ROLE}"]


def test_a_retried_worker_overwrites_its_own_object(session: boto3.Session, org: Org) -> None:
    seed_volume(session, PROD_A, "eu-west-1")
    worker.work(event(PROD_A, "prod-a", "eu-west-1"), SETTINGS, session)
    first = read_object(session, f"results/orgops-unused-ebs-volumes/run-1/{PROD_A}/eu-west-1.jsonl")

    worker.work(event(PROD_A, "prod-a", "eu-west-1"), SETTINGS, session)

    assert object_keys(session) == [f"results/orgops-unused-ebs-volumes/run-1/{PROD_A}/eu-west-1.jsonl"]
    assert read_object(session, f"results/orgops-unused-ebs-volumes/run-1/{PROD_A}/eu-west-1.jsonl") == first


def test_a_role_that_cannot_be_assumed_is_failed_access_denied(session: boto3.Session, org: Org) -> None:
    fail_call(session, "sts", "AssumeRole", "AccessDenied", "User is not authorized to perform: sts:AssumeRole")

    result = worker.work(event(PROD_A, "prod-a", "eu-west-1"), SETTINGS, session)

    assert result == {
        "AccountId": PROD_A,
        "AccountName": "prod-a",
        "Region": "eu-west-1",
        "Status": "FAILED",
        "Rows": 0,
        "ErrorCode": "AccessDenied",
        "ErrorMessage": f"cannot assume arn:aws:iam::{PROD_A}:role/{MEMBER_ROLE}: AccessDenied: "
        "User is not authorized to perform: sts:AssumeRole",
    }
    assert object_keys(session) == []


def test_an_aws_error_in_the_operation_is_failed_with_its_code(session: boto3.Session, org: Org) -> None:
    member = member_session(session, PROD_A)
    fail_call(member, "ec2", "DescribeVolumes", "UnauthorizedOperation", "You are not authorized")

    result = worker.work(event(PROD_A, "prod-a", "eu-west-1"), SETTINGS, session, FixedSessions(member))

    assert (result["Status"], result["Rows"], result["ErrorCode"], result["ErrorMessage"]) == (
        "FAILED",
        0,
        "UnauthorizedOperation",
        "You are not authorized",
    )
    assert object_keys(session) == []


def test_opt_in_required_means_not_subscribed_and_fails_the_target(session: boto3.Session, org: Org) -> None:
    # OptInRequired is "not subscribed to this service", a real failure; a region the account has
    # not enabled never reaches a worker (the fanout skips it from the account's region opt status).
    member = member_session(session, PROD_A)
    fail_call(member, "ec2", "DescribeVolumes", "OptInRequired", "You are not subscribed to this service.")

    result = worker.work(event(PROD_A, "prod-a", "eu-west-1"), SETTINGS, session, FixedSessions(member))

    assert result == {
        "AccountId": PROD_A,
        "AccountName": "prod-a",
        "Region": "eu-west-1",
        "Status": "FAILED",
        "Rows": 0,
        "ErrorCode": "OptInRequired",
        "ErrorMessage": "You are not subscribed to this service.",
    }


def test_a_long_error_message_is_cut_to_1000_characters(session: boto3.Session, org: Org) -> None:
    member = member_session(session, PROD_A)
    fail_call(member, "ec2", "DescribeVolumes", "Throttling", "x" * 5000)

    result = worker.work(event(PROD_A, "prod-a", "eu-west-1"), SETTINGS, session, FixedSessions(member))

    assert result["ErrorMessage"] == "x" * 1000 + "… (5000 characters)"


BROKEN = Operation(
    name="broken-test",
    description="returns a row that does not match its columns, for tests",
    role="readonly",
    columns=("thing",),
    run=lambda session, target, params, dry_run: [{"other": 1}],
)


def test_a_bug_in_an_operation_raises_for_the_state_machine_to_catch(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(operations.REGISTRY, "broken-test", BROKEN)
    settings = WorkerSettings(operation="broken-test", member_role_name=MEMBER_ROLE, data_bucket=DATA_BUCKET)

    with pytest.raises(ValueError, match=r"row does not match the operation's columns: missing \['thing'\]"):
        worker.work(event(PROD_A, "prod-a", "eu-west-1"), settings, session)

    assert object_keys(session) == []


# --- the entry point ---------------------------------------------------------------------------


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGOPS_OPERATION", "unused-ebs-volumes")
    monkeypatch.setenv("ORGOPS_MEMBER_ROLE_NAME", MEMBER_ROLE)
    monkeypatch.setenv("ORGOPS_OPERATION_ROLE", "readonly")
    monkeypatch.setenv("ORGOPS_DATA_BUCKET", DATA_BUCKET)
    monkeypatch.setattr(worker, "_SESSIONS", {})


def test_handler_reuses_an_accounts_credentials_across_its_regions(
    session: boto3.Session, org: Org, worker_env: None, lambda_context: Any
) -> None:
    seed_volume(session, PROD_A, "us-west-2")

    results = [
        worker.handler(event(PROD_A, "prod-a", region), lambda_context)
        for region in ("eu-west-1", "us-east-1", "us-west-2")
    ]

    assert [(r["Region"], r["Status"], r["Rows"]) for r in results] == [
        ("eu-west-1", "SUCCEEDED", 0),
        ("us-east-1", "SUCCEEDED", 0),
        ("us-west-2", "SUCCEEDED", 1),
    ]
    assert assumed_sessions(PROD_A) == [f"arn:aws:iam::{PROD_A}:role/{MEMBER_ROLE}"]


@pytest.mark.parametrize(
    "missing", ["ORGOPS_OPERATION", "ORGOPS_OPERATION_ROLE", "ORGOPS_MEMBER_ROLE_NAME", "ORGOPS_DATA_BUCKET"]
)
def test_handler_without_a_setting_names_the_missing_variable(
    worker_env: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any, missing: str
) -> None:
    monkeypatch.delenv(missing)

    with pytest.raises(ConfigurationError, match=f"^environment variable {missing} is not set;"):
        worker.handler(event(PROD_A, "prod-a", "eu-west-1"), lambda_context)


def test_role_sessions_start_afresh_when_the_base_credentials_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "_SESSIONS", {})
    first = boto3.Session(aws_access_key_id="AKIAFIRST", aws_secret_access_key="x", region_name="us-east-1")
    again = boto3.Session(aws_access_key_id="AKIAFIRST", aws_secret_access_key="x", region_name="us-east-1")
    rotated = boto3.Session(aws_access_key_id="AKIAROTATED", aws_secret_access_key="y", region_name="us-east-1")

    cache = worker.role_sessions(MEMBER_ROLE, first)

    assert worker.role_sessions(MEMBER_ROLE, again) is cache
    assert worker.role_sessions(MEMBER_ROLE, rotated) is not cache
