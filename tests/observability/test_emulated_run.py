"""A whole execution in the emulator (orgops.emulator: the stack deployed as Terraform does, moto's
Step Functions calling our handlers), each handler observed as in Lambda: the EMF metrics add up
to the execution's output, and the failed targets' log lines name exactly the failed targets.

The emulator runs the handlers' inner functions with each function's environment; here its
handler table is wrapped with ``observability.observed_inner``, the same wrapper the Lambda entry
points get through ``observed``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from orgops import observability
from orgops.emulator import AccountSpec, Emulator
from orgops.emulator.lambdas import FANOUT_HANDLER, REPORT_HANDLER, WORKER_HANDLER
from orgops.emulator.server import quiet_moto
from orgops.handlers import worker
from tests.conftest import fake_aws_environment
from tests.observability.conftest import emf_documents, log_lines

pytestmark = pytest.mark.e2e

OPERATION = "unused-ebs-volumes"
REGIONS = ["eu-west-1", "us-east-1"]
ACCOUNTS = (
    AccountSpec("team-a", "Workloads"),
    AccountSpec("team-b", "Workloads"),
    AccountSpec("no-roles", "Sandbox", member_roles=False),  # AccessDenied: FAILED, in every region
)
CRASHING = ("team-b", "us-east-1")  # the worker raises: a Lambda error the state machine catches
KIND = {
    FANOUT_HANDLER: observability.FANOUT,
    WORKER_HANDLER: observability.WORKER,
    REPORT_HANDLER: observability.REPORT,
}


@dataclass
class Run:
    output: dict[str, Any]
    lines: list[dict[str, Any]]
    failed_targets: set[tuple[str, str]]


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    """One execution for the module's tests: its output and every line the functions wrote."""
    quiet_moto()
    stream = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        real_run_target = worker.run_target

        def run_target(event: Any, settings: Any, member: Any, base: Any) -> dict[str, Any]:
            target = event["Target"]
            if (target["AccountName"], target["Region"]) == CRASHING:
                raise RuntimeError("operation bug")
            return real_run_target(event, settings, member, base)

        mp.setattr(worker, "run_target", run_target)
        observability.set_output(stream)
        try:
            with Emulator.in_process(operations=[OPERATION]) as emu:
                emu.router.handlers = {
                    name: observability.observed_inner(KIND[name], inner) for name, inner in emu.router.handlers.items()
                }
                world = emu.build_organization(ACCOUNTS)
                execution = emu.run(OPERATION, {"Regions": REGIONS})
                assert execution.status == "SUCCEEDED", execution.cause
                output = execution.output or {}
                errors = emu.read_csv(output["ErrorsUri"])
                lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
                failed = {(world.account_id(e["account_name"]), e["region"]) for e in errors}
                yield Run(output, lines, failed)
        finally:
            observability.set_output(None)


def summed(documents: list[dict[str, Any]], metric: str) -> float:
    return sum(sum(d[metric]) for d in documents if metric in d)


def test_the_report_metrics_add_up_to_the_execution_output(run: Run) -> None:
    documents = emf_documents(run.lines)
    # management account + 3 members, 2 regions; no-roles fails twice, team-b crashes once
    assert (run.output["Targets"], run.output["Succeeded"], run.output["Failed"]) == (8, 5, 3)
    for metric in observability.REPORT_METRICS:
        assert summed(documents, metric) == run.output[metric], metric


def test_every_worker_invocation_emits_one_target_duration(run: Run) -> None:
    durations = [d for d in emf_documents(run.lines) if "TargetDuration" in d]
    assert len(durations) == run.output["Targets"] - run.output["Skipped"]
    assert all(d["Operation"] == OPERATION for d in durations)


def test_every_metric_has_only_the_operation_dimension(run: Run) -> None:
    for document in emf_documents(run.lines):
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["Operation"]]
        assert directive["Namespace"] == "orgops"  # the emulator's POWERTOOLS_METRICS_NAMESPACE


def test_the_failed_target_lines_are_exactly_the_failed_targets(run: Run) -> None:
    # What the README's Logs Insights query selects: target_status = "FAILED"
    failed_lines = [line for line in log_lines(run.lines) if line["target_status"] == "FAILED"]
    assert {(line["account_id"], line["region"]) for line in failed_lines} == run.failed_targets
    assert len(run.failed_targets) == 3
    assert {line["error_code"] for line in failed_lines} == {"AccessDenied", "RuntimeError"}
    assert all(line["execution_name"].startswith(OPERATION) and line["function_request_id"] for line in failed_lines)


def test_every_line_of_the_run_carries_every_key(run: Run) -> None:
    logs = log_lines(run.lines)
    assert len(logs) == 1 + 8 + 1  # fanout, eight targets, report
    assert all(sorted(set(observability.LOG_KEYS) - set(line)) == [] for line in logs)
