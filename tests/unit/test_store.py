"""Result store keys and CSV cells: pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from orgops import store
from orgops.targets import Target

STANDARD = "arn:aws:states:eu-west-1:123456789012:execution:orgops-public-ips:run-1"


@pytest.mark.parametrize(
    ("arn", "machine", "name"),
    [
        (STANDARD, "orgops-public-ips", "run-1"),
        ("arn:aws-cn:states:cn-north-1:123456789012:execution:sm:r", "sm", "r"),
        (
            "arn:aws:states:eu-west-1:123456789012:express:orgops-public-ips:run-1:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
            "orgops-public-ips",
            "run-1",
        ),
        (
            "arn:aws:states:eu-west-1:123456789012:execution:orgops-public-ips/DistributedMap:5f2e-child-0001",
            "orgops-public-ips",
            "5f2e-child-0001",
        ),
        (
            "arn:aws:states:eu-west-1:123456789012:express:orgops-public-ips/DistributedMap:"
            "9b1a7c2e-0000-4000-8000-000000000001:2d4c6e8a-0000-4000-8000-000000000002",
            "orgops-public-ips",
            "9b1a7c2e-0000-4000-8000-000000000001",
        ),
    ],
    ids=["standard", "china-partition", "express", "distributed-child", "express-child"],
)
def test_execution_arns_of_every_kind_are_parsed(arn: str, machine: str, name: str) -> None:
    ref = store.ExecutionRef.parse(arn)

    assert (ref.arn, ref.state_machine, ref.name, ref.prefix) == (arn, machine, name, f"{machine}/{name}")


@pytest.mark.parametrize(
    "arn",
    [
        "run-1",
        "arn:aws:states:eu-west-1:123456789012:stateMachine:orgops-public-ips",
        "arn:aws:lambda:eu-west-1:123456789012:function:orgops-public-ips:1",
        "arn:aws:states:eu-west-1:123456789012:execution:orgops-public-ips:run-1:extra",
        "arn:aws:states:eu-west-1:123456789012:execution::run-1",
    ],
)
def test_anything_else_is_not_an_execution_arn(arn: str) -> None:
    with pytest.raises(ValueError, match=r"^not a Step Functions execution ARN: "):
        store.ExecutionRef.parse(arn)


def test_keys_are_derived_from_the_execution_and_the_target() -> None:
    ref = store.ExecutionRef.parse(STANDARD)
    target = Target("111111111111", "prod", "eu-west-1")

    assert store.rows_key(ref, target) == "results/orgops-public-ips/run-1/111111111111/eu-west-1.jsonl"
    assert store.targets_key(ref) == "targets/orgops-public-ips/run-1/batches.json"
    assert store.report_keys("public-ips", ref) == {
        "report": "reports/public-ips/run-1/report.csv",
        "errors": "reports/public-ips/run-1/errors.csv",
        "summary": "reports/public-ips/run-1/summary.json",
        "changes": "reports/public-ips/run-1/changes.csv",
    }
    assert store.status_key(STANDARD, target) == {
        "execution_id": {"S": STANDARD},
        "target": {"S": "111111111111#eu-west-1"},
    }


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (8, "8"),
        (-5, "-5"),
        (-1.5, "-1.5"),
        (Decimal("-5"), "-5"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05+00:00"),
        (date(2024, 1, 2), "2024-01-02"),
        ("vol-1", "vol-1"),
        ({"b": "2", "a": "1"}, "a=1;b=2"),
        (["x", "y"], "x;y"),
        ({"z", "a"}, "a;z"),
        ([], ""),
        ({}, ""),
    ],
)
def test_values_become_plain_cells(value: Any, cell: str) -> None:
    assert store.format_cell(value) == cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (["=1", "b"], "'=1;b"),
        ({"=k": "v"}, "'=k=v"),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_escaped(value: Any, cell: str) -> None:
    assert store.format_cell(value) == cell


def test_escaping_applies_once_per_cell_not_to_values_inside_it() -> None:
    assert store.format_cell({"Name": "=orphan", "Owner": "-"}) == "Name==orphan;Owner=-"


def test_a_row_is_formatted_in_column_order() -> None:
    assert store.format_row(("b", "a"), {"a": 1, "b": None}) == ["", "1"]


def test_a_row_with_other_keys_than_the_columns_is_an_operation_bug() -> None:
    with pytest.raises(
        ValueError, match=r"^row does not match the operation's columns: missing \['b'\], extra \['c'\]$"
    ):
        store.format_row(("a", "b"), {"a": 1, "c": 2})


def test_rows_are_encoded_as_json_lines_keeping_unicode() -> None:
    assert store.encode_rows([["a", "é"], ["b", ""]]) == '["a", "é"]\n["b", ""]\n'.encode()


def test_skipped_items_carry_the_reason_and_the_expiry() -> None:
    (item,) = store.skipped_items(STANDARD, [Target("555555555555", "legacy", "ALL")], "AccountNotActive", 42)

    assert item == {
        "execution_id": {"S": STANDARD},
        "target": {"S": "555555555555#ALL"},
        "account_id": {"S": "555555555555"},
        "account_name": {"S": "legacy"},
        "region": {"S": "ALL"},
        "status": {"S": "SKIPPED"},
        "rows": {"N": "0"},
        "error_code": {"S": "AccountNotActive"},
        "error_message": {"S": "account is AccountNotActive"},
        "expires_at": {"N": "42"},
    }


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [("s3://b/k", ("b", "k")), ("s3://data-1/reports/op/run/report.csv", ("data-1", "reports/op/run/report.csv"))],
)
def test_an_s3_uri_is_read_one_way_everywhere(uri: str, parsed: tuple[str, str]) -> None:
    assert store.parse_s3_uri(uri) == parsed
    assert store.s3_uri(*parsed) == uri


@pytest.mark.parametrize("uri", ["s3://", "s3://bucket", "s3://bucket/", "https://b/k", "b/k", "s3:///k"])
def test_a_uri_that_is_not_s3_bucket_key_is_refused_quoting_it(uri: str) -> None:
    with pytest.raises(ValueError, match=r"^not an s3://bucket/key URI: "):
        store.parse_s3_uri(uri)
