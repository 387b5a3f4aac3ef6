"""The report writes each run's data set (orgops.dataset): typed rows, every target's status, the summary."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import boto3
import pytest

from orgops import dataset, operations, report, store
from orgops.handlers import report as report_handler
from orgops.operations.base import Operation
from tests.handlers.helpers import fail_call, object_keys, read_object
from tests.handlers.org_fixture import DATA_BUCKET, PROD_A
from tests.handlers.test_report import ERRORS_KEY, EXECUTION, REF, REPORT_KEY, SETTINGS, seed_mixed_run, store_target

START = "2026-04-30T23:59:59.500+00:00"
EVENT = {"Operation": "report-test", "ExecutionId": EXECUTION, "StartTime": START}
KEYS = dataset.keys("report-test", REF.name, datetime.fromisoformat(START))
RUN = {"execution_id": EXECUTION, "run_time": "2026-04-30 23:59:59.500"}

# The stand-in operation of test_report, its size declared a number.
TYPED_REPORT_TEST = Operation(
    name="report-test",
    description="columns for report tests",
    role="readonly",
    columns=("resource_id", "size", "tags"),
    column_types={"size": "bigint"},
    run=lambda session, target, params, dry_run: [],
)


@pytest.fixture(autouse=True)
def report_test_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(operations.REGISTRY, "report-test", TYPED_REPORT_TEST)


def lines(session: boto3.Session, key: str) -> list[dict]:
    return [json.loads(line) for line in read_object(session, key).decode().splitlines()]


def csv_rows(session: boto3.Session, key: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(read_object(session, key).decode())))[1:]


def test_the_runs_three_objects_are_under_its_operation_and_start_date(session: boto3.Session) -> None:
    seed_mixed_run(session)

    report_handler.build_report(EVENT, SETTINGS, session)

    assert [k for k in object_keys(session) if k.startswith("dataset/")] == sorted(KEYS.values())
    assert KEYS["rows"] == "dataset/rows/operation=report-test/run_date=2026-04-30/run-7.jsonl"


def test_the_rows_are_the_report_csvs_cells_typed_by_the_declared_columns(session: boto3.Session) -> None:
    seed_mixed_run(session)

    report_handler.build_report(EVENT, SETTINGS, session)

    got = lines(session, KEYS["rows"])
    columns = TYPED_REPORT_TEST.report_columns
    assert [[str(r[c]) for c in columns] for r in got] == csv_rows(session, REPORT_KEY)
    assert got[3] == {
        "account_id": "222222222222",
        "account_name": 'dev, "a1"',
        "region": "eu-west-1",
        "resource_id": "r-3",
        "size": 1,
        "tags": "'=cmd",  # the report's cell: formula escape included
        **RUN,
    }
    assert [type(r["size"]) for r in got] == [int] * 4


def test_every_target_has_a_status_line_and_a_failed_ones_is_its_errors_csv_row(session: boto3.Session) -> None:
    # Given the mixed run, and a planned target that never recorded a status
    seed_mixed_run(session)
    planned = [{"AccountId": "666666666666", "AccountName": "lost", "Region": "eu-west-1"}]
    session.client("s3", region_name="us-east-1").put_object(
        Bucket=DATA_BUCKET, Key=store.targets_key(REF), Body=json.dumps([{"Targets": planned}]).encode()
    )

    summary = report_handler.build_report(EVENT, SETTINGS, session)

    got = lines(session, KEYS["statuses"])
    assert len(got) == summary["Targets"] == 9
    assert [(s["status"], s["row_count"]) for s in got].count(("SUCCEEDED", 0)) == 1
    assert sum(s["row_count"] for s in got) == summary["Rows"]
    failed = [[s[c] for c in report.ERROR_COLUMNS] for s in got if s["status"] == "FAILED"]
    assert failed == csv_rows(session, ERRORS_KEY)
    assert failed[-1][3] == report.NOT_RECORDED
    assert {s["status"] for s in got} == {"SUCCEEDED", "FAILED", "SKIPPED"}
    assert all({k: s[k] for k in RUN} == RUN for s in got)
    assert [list(s) for s in got] == [[c.name for c in dataset.STATUS_COLUMNS]] * 9


def test_the_summary_line_is_the_runs_output(session: boto3.Session) -> None:
    seed_mixed_run(session)

    summary = report_handler.build_report(EVENT, SETTINGS, session)

    assert lines(session, KEYS["summaries"]) == [{**dataset.summary_record(summary), **RUN}]
    assert lines(session, KEYS["summaries"])[0]["status"] == "SUCCEEDED"


def test_a_run_without_rows_writes_no_rows_object(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [])

    report_handler.build_report(EVENT, SETTINGS, session)

    assert [k for k in object_keys(session) if k.startswith("dataset/")] == [KEYS["statuses"], KEYS["summaries"]]


def test_a_report_that_fails_leaves_no_data_set(session: boto3.Session) -> None:
    seed_mixed_run(session)
    fail_call(session, "s3", "CompleteMultipartUpload", "InternalError", "no")
    fail_call(session, "s3", "PutObject", "InternalError", "no")

    with pytest.raises(Exception, match="InternalError"):
        report_handler.build_report(EVENT, SETTINGS, session)

    assert [k for k in object_keys(session) if k.startswith("dataset/")] == []


def test_a_large_data_set_object_is_uploaded_in_parts(session: boto3.Session) -> None:
    s3 = session.client("s3", region_name="us-east-1")
    upload = dataset.JsonLinesUpload(s3, DATA_BUCKET, "dataset/x.jsonl", part_size=report.MIN_PART_SIZE)
    line = {"text": "x" * 1000}

    for _ in range(12_000):  # about 12 MB: three parts
        upload.write(line)
    upload.finish()

    body = read_object(session, "dataset/x.jsonl")
    assert body == dataset.line(line).encode() * 12_000
    head = s3.head_object(Bucket=DATA_BUCKET, Key="dataset/x.jsonl", PartNumber=1)
    assert head["PartsCount"] == 3


def test_an_operation_whose_columns_glue_cannot_name_still_gets_its_report_statuses_and_summary(
    session: boto3.Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    odd = Operation(
        name="report-test",
        description="columns Glue cannot name",
        role="readonly",
        columns=("Resource ID", "size", "tags"),
        run=lambda session, target, params, dry_run: [],
    )
    monkeypatch.setitem(operations.REGISTRY, "report-test", odd)
    seed_mixed_run(session)

    summary = report_handler.build_report(EVENT, SETTINGS, session)

    assert summary["Rows"] == 4  # report.csv as ever
    assert [k for k in object_keys(session) if k.startswith("dataset/")] == [KEYS["statuses"], KEYS["summaries"]]
    assert "no data set rows for this run: report-test: the columns ['Resource ID'] are not lowercase" in caplog.text
