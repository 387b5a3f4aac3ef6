"""Every log line of every handler carries the same keys; failed targets are findable; no rows."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from orgops import observability
from orgops.handlers import fanout, report, worker
from tests.observability.conftest import EXECUTION_ARN, OPERATION, World, log_lines

KEYS = set(observability.LOG_KEYS)


def worker_event(account_id: str, region: str = "eu-west-1") -> dict[str, Any]:
    return {
        "Target": {"AccountId": account_id, "AccountName": "member-0", "Region": region},
        "Common": {"Operation": OPERATION, "Params": {}, "DryRun": True, "ExpiresAt": 2_000_000_000},
        "ExecutionId": EXECUTION_ARN,
    }


def missing_keys(line: dict[str, Any]) -> list[str]:
    return sorted(KEYS - set(line))


def only_line(lines: list[dict[str, Any]]) -> dict[str, Any]:
    logs = log_lines(lines)
    assert len(logs) == 1, logs
    return logs[0]


def test_a_succeeded_target_logs_one_line_with_every_key(world: World, output: Any, lambda_context: Any) -> None:
    # Given a member account and the worker's settings
    account = world.member_ids[0]

    # When the worker's Lambda entry point runs one target
    result = worker.handler(worker_event(account), lambda_context)

    # Then one INFO line names the operation, execution, target, status, duration and request id
    line = only_line(output())
    assert result["Status"] == "SUCCEEDED"
    assert missing_keys(line) == []
    assert {k: line[k] for k in KEYS - {"duration_ms"}} == {
        "operation": OPERATION,
        "execution_name": "run-42",
        "account_id": account,
        "region": "eu-west-1",
        "target_status": "SUCCEEDED",
        "function_request_id": lambda_context.aws_request_id,
    }
    assert isinstance(line["duration_ms"], int) and line["duration_ms"] >= 0
    assert (line["level"], line["message"], line["service"]) == ("INFO", "target finished", "orgops")
    assert (line["rows"], line["error_code"], line["error_message"]) == (0, "", "")


def test_a_failed_target_logs_a_warning_with_every_key_and_the_error(
    world: World, output: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a target with a row to store, and a worker whose data bucket does not exist
    account = world.member_ids[1]
    creds = world.session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/operation-readonly", RoleSessionName="seed"
    )["Credentials"]
    member = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    member.client("ec2").create_volume(Size=1, AvailabilityZone="us-east-1a")
    monkeypatch.setenv("ORGOPS_DATA_BUCKET", "no-such-bucket")

    # When the worker runs the target
    result = worker.handler(worker_event(account, "us-east-1"), lambda_context)

    # Then the target is FAILED and its one line says so, with the error code
    line = only_line(output())
    assert result["Status"] == "FAILED"
    assert missing_keys(line) == []
    assert {k: line[k] for k in KEYS - {"duration_ms"}} == {
        "operation": OPERATION,
        "execution_name": "run-42",
        "account_id": account,
        "region": "us-east-1",
        "target_status": "FAILED",
        "function_request_id": lambda_context.aws_request_id,
    }
    assert (line["level"], line["message"]) == ("WARNING", "target finished")
    assert line["error_code"] == "NoSuchBucket"


def test_a_worker_that_raises_logs_the_target_as_failed_and_reraises(
    world: World, output: Any, lambda_context: Any
) -> None:
    # Given an event whose target has no region (a bug upstream: the worker raises)
    event = worker_event(world.member_ids[0])
    del event["Target"]["Region"]

    # When the worker runs, the exception still reaches Lambda (the state machine's Catch records it)
    with pytest.raises(KeyError):
        worker.handler(event, lambda_context)

    # Then its one ERROR line carries every key, status FAILED, and the exception's type
    line = only_line(output())
    assert missing_keys(line) == []
    assert (line["level"], line["target_status"], line["error_code"]) == ("ERROR", "FAILED", "KeyError")
    assert (line["account_id"], line["region"], line["execution_name"]) == (world.member_ids[0], "", "run-42")
    assert line["exception_name"] == "KeyError"


def test_rows_never_reach_the_logs(world: World, output: Any, lambda_context: Any) -> None:
    # Given a member account with an unused volume whose tag is row data
    account = world.member_ids[0]
    creds = world.session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/operation-readonly", RoleSessionName="seed"
    )["Credentials"]
    import boto3

    member = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    member.client("ec2", region_name="eu-west-1").create_volume(
        Size=5,
        AvailabilityZone="eu-west-1a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "owner", "Value": "row-data-marker"}]}],
    )

    # When the worker reports it
    result = worker.handler(worker_event(account), lambda_context)

    # Then the line counts the row but never contains it
    line = only_line(output())
    assert (result["Rows"], line["rows"]) == (1, 1)
    assert "row-data-marker" not in json.dumps(output())


def test_the_fanout_line_has_every_key_and_the_target_counts(world: World, output: Any, lambda_context: Any) -> None:
    # Given an execution over two regions of the organization
    event = {
        "Input": {"Regions": ["eu-west-1", "us-east-1"]},
        "Operation": OPERATION,
        "DefaultRegions": "eu-west-1",
        "DistributedThreshold": 1000,
        "BatchSize": 20,
        "ExecutionId": EXECUTION_ARN,
    }

    # When the fanout runs
    result = fanout.handler(event, lambda_context)

    # Then its line has every key (no target: account, region and status are empty)
    line = only_line(output())
    assert missing_keys(line) == []
    assert {k: line[k] for k in ("operation", "execution_name", "account_id", "region", "target_status")} == {
        "operation": OPERATION,
        "execution_name": "run-42",
        "account_id": "",
        "region": "",
        "target_status": "",
    }
    assert (line["message"], line["target_count"], line["mode"]) == ("fanout finished", result["TargetCount"], "INLINE")


def test_a_fanout_rejecting_its_input_logs_the_field_at_error(world: World, output: Any, lambda_context: Any) -> None:
    # Given an execution input with an unknown key
    event = {"Input": {"Regoins": ["eu-west-1"]}, "Operation": OPERATION, "ExecutionId": EXECUTION_ARN}

    # When the fanout runs, it raises
    with pytest.raises(Exception, match="Regoins"):
        fanout.handler(event, lambda_context)

    # Then its ERROR line names the error and carries every key
    line = only_line(output())
    assert missing_keys(line) == []
    assert line["level"] == "ERROR"
    assert line["error_code"] == "InvalidInput"
    assert "Regoins" in line["error_message"]


def test_the_report_line_has_every_key_and_the_totals(world: World, output: Any, lambda_context: Any) -> None:
    # Given an execution with no recorded targets
    event = {"Operation": OPERATION, "ExecutionId": EXECUTION_ARN}

    # When the report runs
    report.handler(event, lambda_context)

    # Then its line carries every key and the totals
    line = next(entry for entry in log_lines(output()) if entry["message"] == "report written")
    assert missing_keys(line) == []
    assert (line["operation"], line["execution_name"], line["target_status"]) == (OPERATION, "run-42", "")
    assert (line["targets"], line["succeeded"], line["failed"], line["skipped"], line["rows"]) == (0, 0, 0, 0, 0)


def test_the_log_level_comes_from_powertools_log_level(
    world: World, output: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given POWERTOOLS_LOG_LEVEL=DEBUG
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")

    # When a target runs
    worker.handler(worker_event(world.member_ids[0]), lambda_context)

    # Then the start line is logged too, with every key and status RUNNING
    logs = log_lines(output())
    assert [(entry["level"], entry["message"]) for entry in logs][:1] == [("DEBUG", "invocation started")]
    assert missing_keys(logs[0]) == [] and logs[0]["target_status"] == "RUNNING"


def test_warning_level_silences_succeeded_targets(
    world: World, output: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given POWERTOOLS_LOG_LEVEL=WARNING
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")

    # When a target succeeds
    worker.handler(worker_event(world.member_ids[0]), lambda_context)

    # Then nothing is logged (the EMF document is still written)
    assert log_lines(output()) == []


def test_a_failing_slack_post_never_logs_the_webhook_url(
    world: World, output: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Slack webhook URL (a secret) in SSM that cannot be reached
    secret = "https://127.0.0.1:9/services/T000/B000/secret-token-value"
    world.session.client("ssm").put_parameter(Name="/orgops/slack", Value=secret, Type="SecureString")
    monkeypatch.setenv("ORGOPS_SLACK_WEBHOOK_PARAMETER", "/orgops/slack")

    # When the report fails to post (a notification never fails the run: the report still returns)
    summary = report.handler({"Operation": OPERATION, "ExecutionId": EXECUTION_ARN}, lambda_context)

    # Then its ERROR line says so without the URL or its token
    (line,) = [entry for entry in log_lines(output()) if entry["level"] == "ERROR"]
    assert summary["Operation"] == OPERATION
    assert (line["level"], line["operation"], line["execution_name"]) == ("ERROR", OPERATION, "run-42")
    assert line["message"].startswith("slack notification failed: URLError: ")
    text = json.dumps(output())
    assert "secret-token-value" not in text and "127.0.0.1:9" not in text
