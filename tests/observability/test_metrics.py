"""EMF metrics: one dimension (Operation), the namespace from the environment, exact values."""

from __future__ import annotations

from typing import Any

import pytest

from orgops import observability
from orgops.handlers import report, worker
from tests.observability.conftest import EXECUTION_ARN, OPERATION, TABLE, World, emf_documents
from tests.observability.test_handler_logs import worker_event


def metric_names(document: dict[str, Any]) -> list[str]:
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    return [m["Name"] for m in directive["Metrics"]]


def test_the_worker_emits_target_duration_with_the_operation_as_only_dimension(
    world: World, output: Any, lambda_context: Any
) -> None:
    # Given the namespace set by Terraform
    # When one target runs
    worker.handler(worker_event(world.member_ids[0]), lambda_context)

    # Then one EMF document: TargetDuration in ms, namespace from env, dimension Operation only
    (document,) = emf_documents(output())
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "orgops-test"
    assert directive["Dimensions"] == [["Operation"]]
    assert directive["Metrics"] == [{"Name": "TargetDuration", "Unit": "Milliseconds"}]
    assert document["Operation"] == OPERATION
    assert "service" not in document and "AccountId" not in document and "Region" not in document
    assert len(document["TargetDuration"]) == 1 and document["TargetDuration"][0] >= 0


def test_a_worker_that_raises_still_emits_its_duration(world: World, output: Any, lambda_context: Any) -> None:
    # Given an event the worker cannot read
    event = worker_event(world.member_ids[0])
    del event["Target"]["Region"]

    # When it raises
    with pytest.raises(KeyError):
        worker.handler(event, lambda_context)

    # Then the target's duration is still recorded
    (document,) = emf_documents(output())
    assert metric_names(document) == ["TargetDuration"]


def test_the_report_emits_the_execution_totals(world: World, output: Any, lambda_context: Any) -> None:
    # Given three recorded statuses: succeeded, failed, skipped
    ddb = world.session.client("dynamodb")
    for target, status, rows in (("111111111111#eu-west-1", "SUCCEEDED", 0), ("222222222222#eu-west-1", "FAILED", 0)):
        account, region = target.split("#")
        ddb.put_item(
            TableName=TABLE,
            Item={
                "execution_id": {"S": EXECUTION_ARN},
                "target": {"S": target},
                "account_id": {"S": account},
                "account_name": {"S": "a"},
                "region": {"S": region},
                "status": {"S": status},
                "rows": {"N": str(rows)},
                "error_code": {"S": "AccessDenied" if status == "FAILED" else ""},
                "error_message": {"S": ""},
            },
        )
    ddb.put_item(
        TableName=TABLE,
        Item={
            "execution_id": {"S": EXECUTION_ARN},
            "target": {"S": "333333333333#eu-west-1"},
            "account_id": {"S": "333333333333"},
            "account_name": {"S": "c"},
            "region": {"S": "eu-west-1"},
            "status": {"S": "SKIPPED"},
            "rows": {"N": "0"},
        },
    )

    # When the report runs
    summary = report.handler({"Operation": OPERATION, "ExecutionId": EXECUTION_ARN}, lambda_context)

    # Then one EMF document carries the summary's counts, dimension Operation
    (document,) = emf_documents(output())
    assert metric_names(document) == ["Targets", "Succeeded", "Failed", "Skipped", "Rows"]
    assert {name: document[name] for name in observability.REPORT_METRICS} == {
        "Targets": [3.0],
        "Succeeded": [1.0],
        "Failed": [1.0],
        "Skipped": [1.0],
        "Rows": [0.0],
    }
    assert (summary["Targets"], summary["Failed"]) == (3, 1)
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Operation"]]


def test_the_fanout_emits_no_metric(world: World, output: Any, lambda_context: Any) -> None:
    # Given / When a fanout that rejects its input
    from orgops.handlers import fanout

    with pytest.raises(Exception, match="Operation"):
        fanout.handler({"Input": {}, "Operation": "no-such-op", "ExecutionId": EXECUTION_ARN}, lambda_context)

    # Then no EMF document (the report owns the execution's counts)
    assert emf_documents(output()) == []


def test_metrics_disabled_emits_nothing(
    world: World, output: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given POWERTOOLS_METRICS_DISABLED=true
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    # When a target runs
    worker.handler(worker_event(world.member_ids[0]), lambda_context)

    # Then no EMF document is written
    assert emf_documents(output()) == []


def test_an_unknown_function_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown function kind 'mapper'; expected one of fanout, worker, report"):
        observability.observed("mapper")


def test_importing_a_handler_does_not_import_powertools() -> None:
    # Given a fresh interpreter
    import subprocess
    import sys

    code = "import sys, orgops.handlers.worker, orgops.handlers.fanout, orgops.handlers.report; "
    code += "print(any(m.startswith('aws_lambda_powertools') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    # Then Powertools is loaded on first use, not at import
    assert out.stdout.strip() == "False"
