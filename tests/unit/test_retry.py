"""RetryFailed's decisions, without AWS: which planned targets run again, which executions may be retried."""

from __future__ import annotations

import pytest

from orgops import retry
from orgops.errors import InvalidInput
from orgops.targets import Target

MACHINE = "arn:aws:states:eu-west-1:111122223333:execution:orgops-unused-ebs-volumes"
PLANNED = [
    {"AccountId": "111111111111", "AccountName": "a", "Region": "eu-west-1"},
    {"AccountId": "111111111111", "AccountName": "a", "Region": "us-east-1"},
    {"AccountId": "222222222222", "AccountName": "b", "Region": "eu-west-1"},
    {"AccountId": "333333333333", "AccountName": "c", "Region": "eu-west-1"},
    {"AccountId": "444444444444", "AccountName": "d", "Region": "eu-west-1"},
]


def status(account: str, region: str, state: str) -> dict[str, str]:
    return {"account_id": account, "region": region, "status": state}


def test_failed_not_run_and_unrecorded_targets_are_retried_in_the_plans_order() -> None:
    statuses = [
        status("111111111111", "eu-west-1", "SUCCEEDED"),
        status("111111111111", "us-east-1", "FAILED"),
        status("222222222222", "eu-west-1", "NOT_RUN"),
        # 333333333333: planned, no status (its status write or its batch failed)
        status("444444444444", "eu-west-1", "SUCCEEDED"),
        status("555555555555", "eu-west-1", "SKIPPED"),  # not planned: an inactive account
    ]

    assert retry.failed_targets(PLANNED, statuses) == (
        Target("111111111111", "a", "us-east-1"),
        Target("222222222222", "b", "eu-west-1"),
        Target("333333333333", "c", "eu-west-1"),
    )


def test_a_run_where_every_planned_target_succeeded_has_nothing_to_retry() -> None:
    statuses = [status(t["AccountId"], t["Region"], "SUCCEEDED") for t in PLANNED]

    assert retry.failed_targets(PLANNED, statuses) == ()


def test_an_execution_of_the_same_state_machine_may_be_retried() -> None:
    retry.check_same_state_machine(f"{MACHINE}:run-1", f"{MACHINE}:run-2", "unused-ebs-volumes")


def test_an_execution_of_another_operation_is_refused_naming_both() -> None:
    other = "arn:aws:states:eu-west-1:111122223333:execution:orgops-public-ips:run-1"

    with pytest.raises(InvalidInput) as caught:
        retry.check_same_state_machine(other, f"{MACHINE}:run-2", "unused-ebs-volumes")

    assert str(caught.value) == (
        f"RetryFailed: {other} is an execution of state machine orgops-public-ips (operation public-ips), not of "
        "orgops-unused-ebs-volumes (operation unused-ebs-volumes), which this execution runs: retry it with orgops "
        "run public-ips --retry-failed ARN"
    )


def test_an_execution_in_another_account_or_region_is_refused_naming_where_it_is() -> None:
    elsewhere = "arn:aws:states:us-east-1:999999999999:execution:orgops-unused-ebs-volumes:run-1"

    with pytest.raises(InvalidInput) as caught:
        retry.check_same_state_machine(elsewhere, f"{MACHINE}:run-2", "unused-ebs-volumes")

    assert str(caught.value) == (
        f"RetryFailed: {elsewhere} is an execution in account 999999999999, region us-east-1, not of "
        "orgops-unused-ebs-volumes (operation unused-ebs-volumes), which this execution runs: give an execution of "
        "orgops-unused-ebs-volumes in account 111122223333, region eu-west-1"
    )
