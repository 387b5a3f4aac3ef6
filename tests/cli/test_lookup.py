"""Finding the state machine and its bucket, naming executions, exit codes: pure functions."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orgops import asl
from orgops.cli.common import EXIT_EXECUTION_FAILED, EXIT_OK, EXIT_TARGETS_FAILED, UsageError, arn_region
from orgops.cli.run import (
    arn_from_tf_outputs,
    data_bucket_from_definition,
    execution_name,
    exit_code,
    find_state_machine,
    print_executions,
    readable_cause,
    summary_uri,
)

ARN = "arn:aws:states:eu-west-1:111122223333:stateMachine:orgops-public-ips"


def test_terraform_outputs_give_the_operation_state_machine_arn() -> None:
    outputs = {
        "data_bucket": {"sensitive": False, "type": "string", "value": "orgops-data"},
        "state_machine_arns": {"sensitive": False, "type": ["object", {}], "value": {"public-ips": ARN}},
    }
    assert arn_from_tf_outputs(outputs, "public-ips") == ARN
    assert arn_from_tf_outputs(outputs, "unused-ebs-volumes") is None


def test_an_operation_missing_from_the_terraform_outputs_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"state_machine_arns": {"value": {"public-ips": ARN}}}))
    with pytest.raises(UsageError, match=r"--tf-outputs: no output maps 'unused-ebs-volumes' to a state machine ARN"):
        find_state_machine(None, "unused-ebs-volumes", tf_outputs=path)


def test_an_explicit_state_machine_arn_wins() -> None:
    assert find_state_machine(None, "public-ips", arn=ARN) == ARN


def test_the_data_bucket_is_read_from_the_deployed_definition() -> None:
    variables = {name: "1" for name in asl.placeholders(asl.TEMPLATE.read_text())}
    variables["data_bucket"] = "orgops-data-111122223333-eu-west-1"
    definition = asl.render_file(variables)
    assert data_bucket_from_definition(definition) == "orgops-data-111122223333-eu-west-1"
    assert data_bucket_from_definition("not json") is None


def test_execution_names_are_sortable_unique_and_within_the_limit() -> None:
    now = datetime(2026, 11, 25, 10, 15, 0, tzinfo=UTC)
    assert execution_name("public-ips", now, "1a2b") == "public-ips-20261125T101500Z-1a2b"
    assert len(execution_name("x" * 100, now, "1a2b")) <= 80


@pytest.mark.parametrize(
    ("status", "failed", "code"),
    [
        ("SUCCEEDED", 0, EXIT_OK),
        ("SUCCEEDED", 3, EXIT_TARGETS_FAILED),
        ("FAILED", 0, EXIT_EXECUTION_FAILED),
        ("TIMED_OUT", 0, EXIT_EXECUTION_FAILED),
        ("ABORTED", 0, EXIT_EXECUTION_FAILED),
    ],
)
def test_exit_codes_follow_the_execution_status_then_the_failed_targets(status: str, failed: int, code: int) -> None:
    assert exit_code(status, {"Failed": failed} if status == "SUCCEEDED" else None) == code


def test_a_lambda_error_cause_is_shown_as_its_message() -> None:
    cause = json.dumps({"errorMessage": "Regions[0]: 'x' is not a valid region", "errorType": "InvalidInput"})
    assert readable_cause(cause) == "Regions[0]: 'x' is not a valid region"
    assert readable_cause("States.Timeout") == "States.Timeout"


def test_the_summary_sits_next_to_the_report() -> None:
    assert summary_uri("s3://b/reports/op/run-1/report.csv") == "s3://b/reports/op/run-1/summary.json"


def test_executions_table_aligns_columns_and_shows_dashes_for_missing_counts() -> None:
    rows = [
        {
            "Name": "public-ips-1",
            "Status": "SUCCEEDED",
            "StartDate": "2026-11-25T10:15:00+00:00",
            "Seconds": 75.0,
            "Targets": 26,
            "Failed": 2,
            "Rows": 113,
            "ReportUri": "s3://b/reports/public-ips/public-ips-1/report.csv",
        },
        {
            "Name": "p-2",
            "Status": "FAILED",
            "StartDate": "2026-11-25T09:00:00+00:00",
            "Seconds": 3.0,
            "Targets": None,
            "Failed": None,
            "Rows": None,
            "ReportUri": None,
        },
    ]
    out = io.StringIO()
    print_executions(rows, out)
    assert out.getvalue().splitlines() == [
        "NAME          STATUS     STARTED              TOOK  TARGETS  FAILED  ROWS  REPORT",
        "public-ips-1  SUCCEEDED  2026-11-25 10:15:00  1:15  26       2       113   "
        "s3://b/reports/public-ips/public-ips-1/report.csv",
        "p-2           FAILED     2026-11-25 09:00:00  0:03  -        -       -     -",
    ]


def test_a_state_machine_is_called_in_the_region_of_its_arn() -> None:
    assert arn_region(ARN) == "eu-west-1"
    assert arn_region("not-an-arn") is None
