"""The invariant checker itself fails on each way a report could lose or repeat a target or a row."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from orgops.emulator import Execution
from tests.reliability import accounting

A, B = ("111111111111", "eu-west-1"), ("222222222222", "eu-west-1")
OUTPUT = {
    "Operation": "op",
    "Targets": 2,
    "Succeeded": 1,
    "Failed": 1,
    "Skipped": 0,
    "Rows": 2,
    "ReportUri": "s3://b/report.csv",
    "ErrorsUri": "s3://b/errors.csv",
}
STATUSES = [
    {"account_id": A[0], "region": A[1], "status": "SUCCEEDED", "rows": 2},
    {"account_id": B[0], "region": B[1], "status": "FAILED", "rows": 0},
]
REPORT = "account_id,account_name,region,x\n111111111111,a,eu-west-1,1\n111111111111,a,eu-west-1,2\n"
ERRORS = "account_id,account_name,region,error_code,error_message\n222222222222,b,eu-west-1,AccessDenied,no\n"


class FakeEmulator:
    def __init__(self, report: str = REPORT, errors: str = ERRORS) -> None:
        self.files = {"s3://b/report.csv": report, "s3://b/errors.csv": errors}

    def read_csv(self, uri: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.files[uri])))


def check(
    monkeypatch: pytest.MonkeyPatch,
    statuses: list[dict[str, Any]] = STATUSES,
    output: dict[str, Any] = OUTPUT,
    expected: set[tuple[str, str]] | None = None,
    **files: str,
) -> accounting.Accounting:
    monkeypatch.setattr(accounting, "statuses", lambda emu, arn: statuses)
    execution = Execution(arn="arn", status="SUCCEEDED", seconds=1.0, output=output)
    return accounting.account_for_every_target(FakeEmulator(**files), execution, expected or {A, B})  # type: ignore[arg-type]


def test_a_consistent_execution_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    acc = check(monkeypatch)
    assert acc.error_of(*B) == ("AccessDenied", "no")


def test_a_missing_target_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AssertionError, match="targets missing"):
        check(monkeypatch, expected={A, B, ("333333333333", "eu-west-1")})


def test_a_row_repeated_in_the_report_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    repeated = REPORT.replace(",2\n", ",1\n")
    with pytest.raises(AssertionError, match="a row appears twice"):
        check(monkeypatch, report=repeated)


def test_an_errors_row_for_a_target_that_did_not_fail_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = ERRORS + "111111111111,a,eu-west-1,X,y\n"
    with pytest.raises(AssertionError, match="exactly one row per failed target"):
        check(monkeypatch, errors=extra)


def test_counts_that_do_not_add_up_fail_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AssertionError):
        check(monkeypatch, output={**OUTPUT, "Succeeded": 2, "Failed": 0})


def test_report_rows_other_than_recorded_fail_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    statuses = [{**STATUSES[0], "rows": 3}, STATUSES[1]]
    with pytest.raises(AssertionError, match="rows each succeeded target recorded"):
        check(monkeypatch, statuses=statuses)
