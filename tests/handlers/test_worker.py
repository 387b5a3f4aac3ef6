"""The worker: one target, rows stored under the right account, a small status returned."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from orgops import operations, store
from orgops.config import WorkerSettings
from orgops.errors import AssumeRoleFailed, ConfigurationError
from orgops.handlers import worker
from orgops.operations.base import Operation
from orgops.sessions import role_arn
from tests.handlers.helpers import assumed_sessions, fail_call, object_keys, read_object
from tests.handlers.org_fixture import DATA_BUCKET, MEMBER_ROLE, PROD_A, PROD_B, STATUS_TABLE, Org, member_session

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


# --- MaxErrors: the run's failure counter -----------------------------------------------------

BUDGET_SETTINGS = WorkerSettings(
    operation="unused-ebs-volumes", member_role_name=MEMBER_ROLE, data_bucket=DATA_BUCKET, status_table=STATUS_TABLE
)


def budget_event(account_id: str, max_errors: int) -> dict[str, Any]:
    return {**event(account_id, "prod-a", "eu-west-1"), "Common": {**COMMON, "MaxErrors": max_errors}}


def failures(session: boto3.Session) -> int:
    return store.read_failures(session.client("dynamodb", region_name="us-east-1"), STATUS_TABLE, EXECUTION)


class Refusing:
    """Sessions whose every AssumeRole is refused, counting the attempts."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def for_account(self, account_id: str) -> boto3.Session:
        self.asked.append(account_id)
        raise AssumeRoleFailed(role_arn(account_id, MEMBER_ROLE), "AccessDenied", "denied")


def test_each_failure_of_a_run_with_max_errors_is_counted(session: boto3.Session, org: Org) -> None:
    refusing = Refusing()

    results = [worker.work(budget_event(PROD_A, 5), BUDGET_SETTINGS, session, refusing) for _ in range(3)]

    assert [r["Status"] for r in results] == ["FAILED"] * 3
    assert failures(session) == 3


def test_once_more_targets_than_max_errors_failed_a_target_is_not_run_and_nothing_is_assumed(
    session: boto3.Session, org: Org
) -> None:
    refusing = Refusing()
    for _ in range(3):  # MaxErrors 2: the third failure exceeds it
        worker.work(budget_event(PROD_A, 2), BUDGET_SETTINGS, session, refusing)

    result = worker.work(budget_event(PROD_B, 2), BUDGET_SETTINGS, session, refusing)

    assert result == {
        "AccountId": PROD_B,
        "AccountName": "prod-a",
        "Region": "eu-west-1",
        "Status": "NOT_RUN",
        "Rows": 0,
        "ErrorCode": "MaxErrors",
        "ErrorMessage": "not run: 3 targets of this execution had failed when this one was to start, more than "
        "MaxErrors 2 allows, so the run stopped starting targets (those already running finished); orgops run "
        "OPERATION --retry-failed EXECUTION_ARN runs the failed and not-run targets",
    }
    assert refusing.asked == [PROD_A] * 3  # never for the target that was not run
    assert failures(session) == 3  # a target not run is not a failure


def test_max_errors_0_stops_after_the_first_failure(session: boto3.Session, org: Org) -> None:
    refusing = Refusing()

    first = worker.work(budget_event(PROD_A, 0), BUDGET_SETTINGS, session, refusing)
    second = worker.work(budget_event(PROD_B, 0), BUDGET_SETTINGS, session, refusing)

    assert (first["Status"], second["Status"]) == ("FAILED", "NOT_RUN")


def test_a_worker_that_raises_is_counted_before_the_state_machine_catches_it(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(operations.REGISTRY, "broken-test", BROKEN)
    settings = WorkerSettings(
        operation="broken-test", member_role_name=MEMBER_ROLE, data_bucket=DATA_BUCKET, status_table=STATUS_TABLE
    )

    with pytest.raises(ValueError, match="row does not match"):
        worker.work(budget_event(PROD_A, 5), settings, session)

    assert failures(session) == 1


def test_a_succeeded_target_is_not_counted(session: boto3.Session, org: Org) -> None:
    result = worker.work(budget_event(PROD_A, 0), BUDGET_SETTINGS, session)

    assert result["Status"] == "SUCCEEDED"
    assert failures(session) == 0


def test_a_run_with_max_errors_on_a_worker_without_the_status_table_is_a_configuration_error(
    session: boto3.Session, org: Org
) -> None:
    with pytest.raises(ConfigurationError, match="ORGOPS_STATUS_TABLE"):
        worker.work(budget_event(PROD_A, 2), SETTINGS, session)


# --- pre-flight -------------------------------------------------------------------------------


def test_preflight_only_assumes_the_member_role_and_answers_ok(session: boto3.Session, org: Org) -> None:
    volume_seeded = seed_volume(session, PROD_A, "eu-west-1")

    answer = worker.work(
        {"Preflight": True, "Target": {"AccountId": PROD_A, "AccountName": "prod-a", "Region": "eu-west-1"}},
        SETTINGS,
        session,
    )

    assert answer == {
        "AccountId": PROD_A,
        "AccountName": "prod-a",
        "Region": "eu-west-1",
        "Status": "OK",
        "Rows": 0,
        "ErrorCode": "",
        "ErrorMessage": "",
        "Preflight": True,
        "Role": MEMBER_ROLE,
    }
    assert volume_seeded and object_keys(session) == []  # the operation never ran: no rows stored
    assert assumed_sessions(PROD_A) == [role_arn(PROD_A, MEMBER_ROLE)]


def test_preflight_answers_the_assume_role_error(session: boto3.Session, org: Org) -> None:
    answer = worker.work(
        {"Preflight": True, "Target": {"AccountId": PROD_A, "AccountName": "prod-a", "Region": "eu-west-1"}},
        SETTINGS,
        session,
        Refusing(),
    )

    assert (answer["Status"], answer["ErrorCode"], answer["ErrorMessage"]) == (
        "FAILED",
        "AccessDenied",
        f"cannot assume arn:aws:iam::{PROD_A}:role/{MEMBER_ROLE}: AccessDenied: denied",
    )


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
