"""The data set's tables and values (orgops.dataset): pure, no moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from orgops import dataset, operations, report, store
from orgops.operations.base import TARGET_COLUMNS, Operation

# The built-ins' typed columns: every number, boolean, timestamp and date they report.
TYPED = {
    "cloudfront-distributions": {"enabled": "boolean", "last_modified": "timestamp"},
    "inspector-activation": {"applied": "boolean"},
    "lambda-functions": {"deprecated": "boolean", "deprecation_date": "date", "last_modified": "timestamp"},
    "securityhub-standards": {"applied": "boolean"},
    "sg-open-ingress-remediation": {"from_port": "bigint", "to_port": "bigint", "applied": "boolean"},
    "tag-remediation": {"applied": "boolean"},
    "unused-ebs-volumes": {"size_gib": "bigint", "create_time": "timestamp"},
    "unused-nat-gateways": {"create_time": "timestamp", "idle_days": "bigint"},
    "vpcs": {"is_default": "boolean", "subnet_count": "bigint"},
}


def _op(columns: tuple[str, ...] = ("a", "b"), **kw: object) -> Operation:
    return Operation(name="x-op", description="x", role="readonly", columns=columns, run=lambda *a: [], **kw)  # type: ignore[arg-type]


def test_each_built_in_declares_the_types_of_its_numeric_boolean_and_time_columns() -> None:
    declared = {
        name: {c: t for c, t in dataset.column_types(op).items() if t != "string"}
        for name, op in operations.REGISTRY.items()
        if operations.builtin(name)
    }
    assert {name: types for name, types in declared.items() if types} == TYPED


def test_every_registered_operation_has_a_rows_table_of_its_report_columns_then_the_run_columns() -> None:
    tables, missing = dataset.tables(operations.REGISTRY)

    assert missing == {}
    assert sorted(tables) == sorted(
        ["statuses", "summaries", *(f"rows_{name.replace('-', '_')}" for name in operations.REGISTRY)]
    )
    for name, op in operations.REGISTRY.items():
        table = tables[dataset.table_name(name)]
        assert [c.name for c in table.columns] == [*op.report_columns, "execution_id", "run_time"]
        assert [c.type for c in table.columns[: len(TARGET_COLUMNS)]] == ["string"] * len(TARGET_COLUMNS)
        assert (table.kind, table.operation) == ("rows", name)


def test_every_type_is_one_athena_and_duckdb_both_have() -> None:
    tables, _ = dataset.tables(operations.REGISTRY)
    used = {c.type for t in tables.values() for c in t.columns} | {c.type for c in dataset.PARTITION_KEYS}
    assert used <= set(dataset.TYPES)
    assert dataset.TYPES == {
        "string": "VARCHAR",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
    }


def test_a_type_for_a_column_the_operation_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match=r"x-op: column_types names \['c'\], which are not among its columns"):
        dataset.column_types(_op(column_types={"c": "bigint"}))


def test_an_unknown_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"x-op: column_types \{'a': 'int'\}: each type must be one of string, bigint"):
        dataset.column_types(_op(column_types={"a": "int"}))


@pytest.mark.parametrize(
    ("columns", "why"),
    [
        (("Instance ID",), r"the columns \['Instance ID'\] are not lowercase letters, digits and underscores"),
        (("run_time",), r"the columns \['run_time'\] are the data set's own"),
        (("operation",), r"the columns \['operation'\] are the data set's own"),
    ],
)
def test_columns_glue_cannot_name_leave_the_operation_without_a_table(columns: tuple[str, ...], why: str) -> None:
    tables, missing = dataset.tables({"x-op": _op(columns)})

    assert sorted(tables) == ["statuses", "summaries"]
    assert list(missing) == ["x-op"]
    with pytest.raises(dataset.NoTable, match=why):
        dataset.rows_table(_op(columns))


def test_the_manifest_carries_the_tables_and_each_operations_column_types() -> None:
    manifest = operations.manifest()
    tables, _ = dataset.tables(operations.REGISTRY)

    assert manifest["dataset"] == {
        "prefix": "dataset/",
        "partition_keys": [{"name": "operation", "type": "string"}, {"name": "run_date", "type": "string"}],
        "tables": {name: t.describe() for name, t in sorted(tables.items())},
        "unavailable": {},
    }
    ebs = manifest["operations"]["unused-ebs-volumes"]  # type: ignore[index]
    assert ebs["column_types"]["size_gib"] == "bigint"
    assert list(ebs["column_types"]) == ebs["columns"]


def test_a_runs_objects_are_partitioned_by_operation_and_the_utc_date_it_started() -> None:
    started = datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))  # 28 February, 22:30 UTC

    assert dataset.keys("public-ips", "run-7", started) == {
        "rows": "dataset/rows/operation=public-ips/run_date=2026-02-28/run-7.jsonl",
        "statuses": "dataset/statuses/operation=public-ips/run_date=2026-02-28/run-7.jsonl",
        "summaries": "dataset/summaries/operation=public-ips/run_date=2026-02-28/run-7.jsonl",
    }


@pytest.mark.parametrize(
    ("kind", "cell", "value"),
    [
        ("string", "'=HYPERLINK(x)", "'=HYPERLINK(x)"),  # text is the report's cell, escape included
        ("string", "", ""),
        ("bigint", "8", 8),
        ("bigint", "-5", -5),
        ("bigint", "'-5", -5),  # a negative number an operation gave as text
        ("bigint", "8.0", 8),
        ("bigint", "", None),
        ("double", "1.5", 1.5),
        ("double", "3", 3.0),
        ("boolean", "true", True),
        ("boolean", "false", False),
        ("boolean", "", None),
        ("timestamp", "2024-05-01T09:30:00+00:00", "2024-05-01 09:30:00.000"),
        ("timestamp", "2024-05-01T11:30:00.123456+02:00", "2024-05-01 09:30:00.123"),
        ("timestamp", "2024-01-01T00:00:00.000+0000", "2024-01-01 00:00:00.000"),  # Lambda's LastModified
        ("timestamp", "2024-05-01", "2024-05-01 00:00:00.000"),
        ("timestamp", "", None),
        ("date", "2024-01-08", "2024-01-08"),
        ("date", "2024-01-08T23:30:00-02:00", "2024-01-09"),
        ("date", "", None),
    ],
)
def test_a_cell_becomes_the_json_value_of_its_columns_type(kind: str, cell: str, value: object) -> None:
    assert dataset.value(kind, cell) == value
    assert type(dataset.value(kind, cell)) is type(value)


@pytest.mark.parametrize(
    ("kind", "cell"),
    [
        ("bigint", "8.5"),
        ("bigint", "many"),
        ("bigint", str(2**63)),
        ("double", "nan"),
        ("double", "inf"),
        ("boolean", "yes"),
        ("timestamp", "yesterday"),
        ("date", "1 May"),
    ],
)
def test_a_cell_that_is_not_its_columns_type_is_unreadable(kind: str, cell: str) -> None:
    with pytest.raises(dataset.Unreadable, match=f"is not a {kind}"):
        dataset.value(kind, cell)


def test_a_record_stores_an_unreadable_cell_as_null_and_names_its_column() -> None:
    columns = (dataset.Column("size", "bigint"), dataset.Column("name", "string"), dataset.Column("on", "boolean"))

    obj, unreadable = dataset.record(columns, ["big", "vol", "true"])

    assert (obj, unreadable) == ({"size": None, "name": "vol", "on": True}, ["size"])


def test_timestamps_are_written_in_utc_with_milliseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=UTC)
    assert dataset.timestamp_text(moment) == "2026-01-02 03:04:05.678"
    assert dataset.timestamp_text(moment.replace(tzinfo=None)) == "2026-01-02 03:04:05.678"


def test_a_failed_targets_status_line_has_exactly_its_errors_csv_cells() -> None:
    # Given a status the state machine's Catch recorded (a Lambda error as JSON) and one with no code
    caught = {
        "account_id": "111111111111",
        "account_name": "=evil",
        "region": "eu-west-1",
        "status": store.FAILED,
        "rows": 0,
        "error_code": "",
        "error_message": '{"Error": "Lambda.Unknown", "Cause": "{\\"errorMessage\\": \\"boom\\"}"}',
    }
    skipped = {**caught, "status": store.SKIPPED, "error_code": "AccountNotActive", "error_message": "account is x"}

    line = dataset.status_record(caught)
    (error_row,) = report.tally([caught]).failures

    assert [line[c] for c in ("account_id", "account_name", "region", "error_code", "error_message")] == error_row
    assert (line["status"], line["row_count"], line["error_code"]) == ("FAILED", 0, "Unknown")
    assert dataset.status_record(skipped)["error_code"] == "AccountNotActive"


def test_a_summary_line_has_the_runs_counts_and_a_partial_reports_status() -> None:
    summary = {
        "Operation": "tags",
        "Targets": 4,
        "Succeeded": 1,
        "Failed": 2,
        "Skipped": 1,
        "Rows": 3,
        "ReportUri": "s3://b/reports/tags/r/report.csv",
        "ErrorsUri": None,
        "NeverRun": 1,
        "MapError": {"Error": "States.Timeout", "Cause": "x"},
        "Partial": True,
        "Status": "TIMED_OUT",
    }

    assert dataset.summary_record(summary) == {
        "targets": 4,
        "succeeded": 1,
        "failed": 2,
        "skipped": 1,
        "row_count": 3,
        "never_run": 1,
        "status": "TIMED_OUT",
        "partial": True,
        "map_error": "States.Timeout",
        "report_uri": "s3://b/reports/tags/r/report.csv",
        "errors_uri": None,
    }
    assert [c.name for c in dataset.SUMMARY_COLUMNS[:-2]] == list(dataset.summary_record(summary))


def test_the_run_starts_at_the_events_start_time_or_eventbridges_start_date() -> None:
    def no_history() -> object:
        raise AssertionError("the history is read only when the event does not say")

    arn = "arn:aws:states:us-east-1:111111111111:execution:orgops-tags:run-1"
    local = dataset.run_started({"StartTime": "2026-05-01T10:00:00+02:00"}, no_history, arn)
    bridged = dataset.run_started({"detail": {"startDate": 1_777_000_000_123}}, no_history, arn)

    assert local == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert bridged == datetime.fromtimestamp(1_777_000_000.123, UTC)
