"""The dashboard and alarms of modules/observability, evaluated by Terraform itself.

They must show exactly the metrics orgops emits (names and the Operation dimension from
orgops.observability) and AWS's own metrics with their documented dimensions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from orgops import observability
from tests.observability.terraform_eval import TerraformError, evaluate

ACCOUNT = "111111111111"
REGION = "eu-west-1"
OPERATIONS = ("public-ips", "unused-ebs-volumes")
SM_ARNS = {op: f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:orgops-{op}" for op in OPERATIONS}
WORKERS = {op: f"orgops-{op}-worker" for op in OPERATIONS}
SHARED = {"fanout": "orgops-fanout", "report": "orgops-report"}
NAMESPACE = "orgops-prod"
STATES_METRICS = {"ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
LAMBDA_METRICS = {"Errors", "Throttles"}
EMITTED = {name for names in observability.METRICS.values() for name in names}


def variables(**overrides: Any) -> dict[str, Any]:
    return {
        "name_prefix": "orgops",
        "region": REGION,
        "metrics_namespace": NAMESPACE,
        "operations": {
            op: {"state_machine_arn": SM_ARNS[op], "worker_function_name": WORKERS[op]} for op in OPERATIONS
        },
        "shared_function_names": SHARED,
        "alarm_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:orgops-notifications",
        "failed_target_ratio_threshold": 10,
        **overrides,
    }


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("observability")
    return evaluate(
        workdir,
        variables(),
        "jsonencode({widgets = local.widgets, alarms = local.alarms, query = local.failed_targets_query})",
    )


def metric_widgets(module: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in module["widgets"] if w["type"] == "metric"]


def metric_entries(module: dict[str, Any]) -> list[list[Any]]:
    """Every metric (not expression) line of every metric widget."""
    return [
        entry
        for widget in metric_widgets(module)
        for entry in widget["properties"]["metrics"]
        if isinstance(entry[0], str)
    ]


def test_the_widgets_tile_a_24_column_grid_without_overlap(module: dict[str, Any]) -> None:
    cells: set[tuple[int, int]] = set()
    for widget in module["widgets"]:
        assert widget["type"] in {"text", "metric", "log"}
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24
        area = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & area, f"widget {widget['properties'].get('title')} overlaps another"
        cells |= area


def test_every_metric_line_has_a_namespace_name_and_dimension_pair(module: dict[str, Any]) -> None:
    for entry in metric_entries(module):
        plain = [part for part in entry if not isinstance(part, dict)]
        assert len(plain) == 4, entry  # namespace, metric, dimension name, dimension value
        assert all(isinstance(part, dict) for part in entry[4:]), entry


def test_orgops_metrics_are_the_ones_the_functions_emit_with_the_operation_dimension(module: dict[str, Any]) -> None:
    ours = [entry for entry in metric_entries(module) if entry[0] == NAMESPACE]
    assert {entry[1] for entry in ours} == EMITTED
    assert {entry[2] for entry in ours} == {observability.DIMENSION}
    assert {entry[3] for entry in ours} == set(OPERATIONS)


def test_aws_metrics_use_their_documented_names_and_dimensions(module: dict[str, Any]) -> None:
    others = [entry for entry in metric_entries(module) if entry[0] != NAMESPACE]
    states = [entry for entry in others if entry[0] == "AWS/States"]
    lambdas = [entry for entry in others if entry[0] == "AWS/Lambda"]
    assert len(states) + len(lambdas) == len(others)
    assert {entry[1] for entry in states} == STATES_METRICS
    assert {(entry[2], entry[3]) for entry in states} == {("StateMachineArn", arn) for arn in SM_ARNS.values()}
    assert {entry[1] for entry in lambdas} == LAMBDA_METRICS
    assert {(entry[2], entry[3]) for entry in lambdas} == {
        ("FunctionName", name) for name in [*SHARED.values(), *WORKERS.values()]
    }


def test_metric_math_uses_only_ids_defined_in_its_widget(module: dict[str, Any]) -> None:
    expressions = 0
    for widget in metric_widgets(module):
        ids = {
            part["id"]
            for entry in widget["properties"]["metrics"]
            for part in entry
            if isinstance(part, dict) and "id" in part
        }
        for entry in widget["properties"]["metrics"]:
            if isinstance(entry[0], dict) and "expression" in entry[0]:
                expressions += 1
                used = set(re.findall(r"\b([a-z][a-z0-9_]*)\b", entry[0]["expression"])) - {"0", "100"}
                assert used - {"FILL", "IF"} <= ids, entry
    assert expressions == 2 * len(OPERATIONS)  # unsuccessful executions and failed ratio, per operation


def test_the_failed_ratio_widget_draws_the_alarm_threshold(module: dict[str, Any]) -> None:
    (widget,) = [w for w in metric_widgets(module) if w["properties"]["title"] == "Failed targets (% of targets)"]
    assert widget["properties"]["annotations"]["horizontal"] == [{"label": "alarm threshold", "value": 10}]


def test_the_log_widget_lists_failed_targets_from_every_worker_log_group(module: dict[str, Any]) -> None:
    (widget,) = [w for w in module["widgets"] if w["type"] == "log"]
    assert widget["properties"]["query"] == module["query"]
    sources = re.findall(r"SOURCE '([^']+)'", module["query"])
    assert sources == [f"/aws/lambda/{WORKERS[op]}" for op in OPERATIONS]
    assert '| filter target_status = "FAILED" |' in module["query"]
    fields = re.search(r"\| fields ([^|]+) \|", module["query"]).group(1).split(", ")  # type: ignore[union-attr]
    logged = {*observability.LOG_KEYS, "error_code", "error_message"}
    assert set(fields) - {"@timestamp"} <= logged


def alarm_queries(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in alarm["queries"]}


def test_each_state_machine_has_an_alarm_on_failed_timed_out_or_aborted_executions(module: dict[str, Any]) -> None:
    for op in OPERATIONS:
        alarm = module["alarms"][f"{op}-failed-executions"]
        queries = alarm_queries(alarm)
        assert {(q["namespace"], q["metric_name"]) for q in queries.values() if q["expression"] is None} == {
            ("AWS/States", "ExecutionsFailed"),
            ("AWS/States", "ExecutionsTimedOut"),
            ("AWS/States", "ExecutionsAborted"),
        }
        assert all(
            q["dimensions"] == {"StateMachineArn": SM_ARNS[op]} for q in queries.values() if q["expression"] is None
        )
        assert queries["unsuccessful"]["expression"] == "FILL(failed, 0) + FILL(timed_out, 0) + FILL(aborted, 0)"
        assert alarm["threshold"] == 0


def test_each_operation_has_an_alarm_on_its_failed_target_ratio(module: dict[str, Any]) -> None:
    for op in OPERATIONS:
        alarm = module["alarms"][f"{op}-failed-targets"]
        queries = alarm_queries(alarm)
        assert queries["failed"]["namespace"] == queries["targets"]["namespace"] == NAMESPACE
        assert (queries["failed"]["metric_name"], queries["targets"]["metric_name"]) == ("Failed", "Targets")
        assert queries["failed"]["dimensions"] == queries["targets"]["dimensions"] == {"Operation": op}
        assert queries["ratio"]["expression"] == "IF(targets > 0, 100 * FILL(failed, 0) / targets, 0)"
        assert (alarm["threshold"], alarm["period"]) == (10, 3600)
    assert len(module["alarms"]) == 2 * len(OPERATIONS)


def test_every_alarm_returns_exactly_one_expression_over_its_own_metrics(module: dict[str, Any]) -> None:
    for key, alarm in module["alarms"].items():
        expressions = [q for q in alarm["queries"] if q["expression"] is not None]
        assert len(expressions) == 1, key
        used = set(re.findall(r"\b([a-z][a-z0-9_]*)\b", expressions[0]["expression"]))
        assert used <= {q["id"] for q in alarm["queries"] if q["expression"] is None}, key


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"metrics_namespace": "AWS/orgops"}, "must not start with AWS/"),
        ({"failed_target_ratio_threshold": 100}, "failed_target_ratio_threshold must be a percentage"),
        ({"operations": {}}, "operations must have at least one entry"),
        (
            {"operations": {"public-ips": {"state_machine_arn": "orgops-public-ips", "worker_function_name": "w"}}},
            "must be a Step Functions state machine ARN",
        ),
        ({"alarm_topic_arn": "orgops-notifications"}, "alarm_topic_arn must be an SNS topic ARN"),
        ({"failed_target_ratio_period_seconds": 90}, "must be a multiple of 60 between 300 and 86400"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(tmp_path: Path, override: dict[str, Any], message: str) -> None:
    with pytest.raises(TerraformError) as refused:
        evaluate(tmp_path, variables(**override), "jsonencode(local.alarms)")
    assert message in " ".join(str(refused.value).replace("│", " ").split())


def test_the_readme_query_filters_failed_targets_on_keys_the_workers_log() -> None:
    # Given the docs' "Operating orgops" page
    page = (Path(__file__).resolve().parents[2] / "docs" / "operating.md").read_text(encoding="utf-8")
    query = page.split("```text\n", 1)[1].split("```", 1)[0]

    # Then its query selects failed targets by fields every worker line carries
    fields = re.search(r"^fields (.+)$", query, re.M).group(1).split(", ")  # type: ignore[union-attr]
    assert set(fields) - {"@timestamp"} <= {*observability.LOG_KEYS, "error_code", "error_message"}
    assert re.search(r'^\| filter target_status = "FAILED" and execution_name = "<execution name>"$', query, re.M)
