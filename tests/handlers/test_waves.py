"""Canary waves in the fanout function (moto): the waves it writes, and the gate (``NextWave``)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from orgops import store
from orgops.handlers import fanout
from orgops.targets import Target
from tests.handlers.helpers import read_object
from tests.handlers.org_fixture import (
    DATA_BUCKET,
    DEV_A1,
    LEGACY,
    MANAGEMENT,
    PROD_A,
    PROD_B,
    SANDBOX,
    STATUS_TABLE,
    Org,
    record_status,
)
from tests.handlers.test_fanout import EXECUTION, EXPIRES_AT, NAMES, SETTINGS, event, run

REGION = "eu-west-1"
WAVES_PREFIX = "targets/orgops-unused-ebs-volumes/run-1/waves"
# OU A holds prod-a, and dev-a1 in its child OU A1: the canary. The rest, in account id order,
# in two waves: the management account and prod-b, then sandbox.
WAVE_1, WAVE_2, WAVE_3 = [PROD_A, DEV_A1], [MANAGEMENT, PROD_B], [SANDBOX]


def items(accounts: list[str]) -> list[dict[str, str]]:
    return [{"AccountId": a, "AccountName": NAMES[a], "Region": REGION} for a in accounts]


def canary_run(session: boto3.Session, org: Org, **more: Any) -> dict[str, Any]:
    return run(session, {"Regions": [REGION], "Canary": [org.ou_a], "Waves": 2, **more})


def next_wave(session: boto3.Session, state: dict[str, Any]) -> dict[str, Any]:
    return fanout.dispatch({"NextWave": state}, SETTINGS, session)


def record(session: boto3.Session, accounts: list[str], status: str = store.SUCCEEDED) -> None:
    for account in accounts:
        code = "AccessDenied" if status == store.FAILED else ""
        result = {"AccountId": account, "AccountName": NAMES[account], "Region": REGION, "Status": status}
        record_status(session, EXECUTION, {**result, "Rows": 0, "ErrorCode": code, "ErrorMessage": code}, EXPIRES_AT)


def statuses(session: boto3.Session) -> dict[str, tuple[str, str]]:
    ddb = session.client("dynamodb", region_name="us-east-1")
    return {s["account_id"]: (s["status"], s["error_code"]) for s in store.iter_statuses(ddb, STATUS_TABLE, EXECUTION)}


def run_item(session: boto3.Session) -> dict[str, Any]:
    ddb = session.client("dynamodb", region_name="us-east-1")
    return store.read_run(ddb, STATUS_TABLE, EXECUTION) or {}


# -- what the fanout writes ----------------------------------------------------------------------------
def test_the_fanout_returns_the_canary_as_wave_1_and_writes_every_wave_and_the_whole_plan(
    session: boto3.Session, org: Org
) -> None:
    result = canary_run(session, org)

    assert (result["TargetCount"], result["Mode"], result["AccountRegions"]) == (5, "INLINE", items(WAVE_1))
    assert result["Waves"] == {"Count": 3, "Number": 1, "Remaining": 2, "Stopped": False, "Targets": 2}
    for number, wave in enumerate((WAVE_1, WAVE_2, WAVE_3), start=1):
        assert json.loads(read_object(session, f"{WAVES_PREFIX}/{number}.json")) == [{"Targets": items(wave)}]
    plan = json.loads(read_object(session, "targets/orgops-unused-ebs-volumes/run-1/batches.json"))
    assert plan == [{"Targets": items(sorted([*WAVE_1, *WAVE_2, *WAVE_3]))}]
    item = run_item(session)
    assert (item["waves"], item["canary_wave"], item["distributed_threshold"], item["planned"]) == (3, 1, 1000, 5)


def test_a_wave_over_the_threshold_travels_as_a_pointer_to_its_own_file(session: boto3.Session, org: Org) -> None:
    result = fanout.fanout(
        event({"Regions": [REGION], "Canary": [org.ou_a], "Waves": 2}, DistributedThreshold=1), SETTINGS, session
    )

    assert (result["Mode"], result["AccountRegions"]) == ("DISTRIBUTED", [])
    assert result["Batches"] == {"Bucket": DATA_BUCKET, "Key": f"{WAVES_PREFIX}/1.json"}


def test_a_run_without_waves_writes_no_wave_file_and_no_run_item(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Regions": [REGION]})

    assert result["Waves"] == {"Count": 1, "Number": 1, "Remaining": 0, "Stopped": False, "Targets": 5}
    objects = session.client("s3", region_name="us-east-1").list_objects_v2(Bucket=DATA_BUCKET)["Contents"]
    assert [o["Key"] for o in objects] == ["targets/orgops-unused-ebs-volumes/run-1/batches.json"]
    assert run_item(session) == {}


# -- the gate ------------------------------------------------------------------------------------------
def test_a_clean_wave_lets_the_next_one_start_with_its_targets_and_map_error_reset(
    session: boto3.Session, org: Org
) -> None:
    state = canary_run(session, org)
    record(session, WAVE_1)

    after = next_wave(session, {**state, "MapError": {"Error": "X", "Cause": "y"}})

    assert after == {
        **state,
        "AccountRegions": items(WAVE_2),
        "MapError": None,
        "Waves": {"Count": 3, "Number": 2, "Remaining": 1, "Stopped": False, "Targets": 2},
    }
    # nothing recorded for the waves to come (legacy, suspended, was SKIPPED by the fanout)
    assert set(statuses(session)) == {*WAVE_1, LEGACY}


def test_the_next_wave_over_the_threshold_is_read_by_the_distributed_map_from_its_file(
    session: boto3.Session, org: Org
) -> None:
    state = fanout.fanout(
        event({"Regions": [REGION], "Canary": [PROD_A], "Waves": 1}, DistributedThreshold=1), SETTINGS, session
    )
    assert (state["Mode"], state["AccountRegions"]) == ("INLINE", items([PROD_A]))  # 1 target: not over 1
    record(session, [PROD_A])

    after = next_wave(session, state)

    assert (after["Mode"], after["AccountRegions"]) == ("DISTRIBUTED", [])
    assert after["Batches"] == {"Bucket": DATA_BUCKET, "Key": f"{WAVES_PREFIX}/2.json"}
    assert after["Waves"] == {"Count": 2, "Number": 2, "Remaining": 0, "Stopped": False, "Targets": 4}


def test_a_failing_canary_records_every_later_target_not_run_and_the_reason_in_the_run_item(
    session: boto3.Session, org: Org
) -> None:
    state = canary_run(session, org)
    record(session, [PROD_A], store.FAILED)
    record(session, [DEV_A1])

    after = next_wave(session, state)

    assert after["Waves"] == {"Count": 3, "Number": 1, "Remaining": 2, "Stopped": True, "Targets": 2}
    assert (after["AccountRegions"], after["Batches"]) == ([], None)
    assert statuses(session) == {
        PROD_A: (store.FAILED, "AccessDenied"),
        DEV_A1: (store.SUCCEEDED, ""),
        LEGACY: (store.SKIPPED, "AccountNotActive"),
        **{a: (store.NOT_RUN, "WaveStopped") for a in WAVE_2 + WAVE_3},
    }
    why = "wave 1 of 3 (canary, 2 targets): 1 failed, more than the 0 failures allowed without MaxErrors"
    assert run_item(session)["stopped"] == f"{why}; 3 targets not run"
    ddb = session.client("dynamodb", region_name="us-east-1")
    item = ddb.get_item(TableName=STATUS_TABLE, Key=store.status_key(EXECUTION, Target(SANDBOX, "", REGION)))["Item"]
    assert item["error_message"]["S"] == (
        f"not run: {why}, so the later waves never started; orgops run OPERATION --retry-failed EXECUTION_ARN runs "
        "the failed and not-run targets"
    )
    assert item["expires_at"]["N"] == str(EXPIRES_AT)


def test_a_planned_target_of_the_wave_without_a_status_counts_as_failed(session: boto3.Session, org: Org) -> None:
    state = canary_run(session, org, MaxErrors=0)
    record(session, [PROD_A])  # DEV_A1's worker or status write failed: no status

    after = next_wave(session, state)

    assert after["Waves"]["Stopped"] is True
    assert run_item(session)["stopped"] == (
        "wave 1 of 3 (canary, 2 targets): 1 failed, more than MaxErrors 0 allows; 3 targets not run"
    )


@pytest.mark.parametrize(("max_errors", "stopped"), [(1, False), (0, True), ("50%", False), ("49%", True)])
def test_the_budget_is_maxerrors_as_given(
    session: boto3.Session, org: Org, max_errors: int | str, stopped: bool
) -> None:
    state = canary_run(session, org, MaxErrors=max_errors)
    record(session, [PROD_A], store.FAILED)
    record(session, [DEV_A1])

    assert next_wave(session, state)["Waves"]["Stopped"] is stopped


def test_the_count_budget_adds_up_the_failures_of_every_wave_so_far(session: boto3.Session, org: Org) -> None:
    state = canary_run(session, org, MaxErrors=1)
    record(session, [PROD_A], store.FAILED)
    record(session, [DEV_A1])
    second = next_wave(session, state)
    record(session, [MANAGEMENT], store.FAILED)  # 2 in all: more than 1
    record(session, [PROD_B])

    third = next_wave(session, second)

    assert third["Waves"]["Stopped"] is True
    assert run_item(session)["stopped"] == (
        "wave 2 of 3 (2 targets): 1 failed (2 in waves 1 to 2), more than MaxErrors 1 allows; 1 target not run"
    )
    assert statuses(session)[SANDBOX] == (store.NOT_RUN, "WaveStopped")
