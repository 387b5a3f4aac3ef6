"""Report: the execution's rows as a CSV in S3, an errors CSV, the summary, notifications.

Two events. From the state machine's Report step: the fanout's output fields {"Operation",
"ExecutionId", "MapError"} (``MapError``: null, or the error either Map state caught when it failed
as a whole); the output (the execution's output) is {"Operation", "Targets", "Succeeded",
"Failed", "Skipped", "Rows", "ReportUri", "ErrorsUri"}, with ``"NeverRun"`` (planned targets
without a status, listed in errors.csv) and ``"MapError"`` when there are any, ``"NotRun"`` and
``"Stopped"`` when MaxErrors stopped the run (NOT_RUN targets, listed in errors.csv), ``"RetryOf"``
for a retry (``RetryFailed``: the execution it retried), and what changed since the baseline
(``orgops.baselines``): ``"ComparedWith"`` and ``"ChangesUri"`` (null for the first run of a selection),
``"New"``, ``"Resolved"``, ``"Changed"``, ``"NotCompared"`` when compared. From EventBridge, when an execution ended
FAILED, TIMED_OUT or ABORTED: a "Step Functions Execution Status Change" event (``detail``:
``executionArn``, ``stateMachineArn``, ``status``; ``modules/operation`` adds ``"Operation"``):
a partial report of the targets that finished, the same files, and ``"Partial": true`` with the
final ``"Status"`` in the summary; no notification (the rule already notifies the topic of the
status). Nothing is written for an execution whose fanout never listed its targets (bad input:
no target ran), read from the start of its history. Running it twice for one execution writes the
same objects again: it only reads the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Any

import boto3
from botocore.exceptions import ClientError

from orgops import audit, baselines, dataset, observability, operations, report, store, waves
from orgops.asl import FANOUT_STATE
from orgops.config import ReportSettings
from orgops.sessions import client, new_session

LOG = logging.getLogger(__name__)

STATUS_CHANGE = "Step Functions Execution Status Change"
# The final statuses a partial report is written for (the EventBridge rule's pattern).
PARTIAL_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
ENDED = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
HISTORY_PAGE = 100


@dataclass(frozen=True)
class ReportRequest:
    operation: str
    execution_arn: str
    status: str | None = None  # the final status of an execution that did not succeed: a partial report
    # The Map state's error when it failed as a whole (its Catch's ``$.MapError``), else None.
    map_error: dict[str, str] | None = None
    # What the run is compared with (orgops.baselines): its Regions, Accounts, Params and DryRun.
    selection: baselines.Selection = baselines.NO_SELECTION

    @property
    def partial(self) -> bool:
        return self.status is not None


def operation_of_state_machine(state_machine_arn: str) -> str:
    """The operation of ``<prefix>-<operation>`` (the longest registered name the state machine's ends with)."""
    name = state_machine_arn.rsplit(":", 1)[-1]
    found = [op for op in operations.REGISTRY if name == op or name.endswith(f"-{op}")]
    if not found:
        raise ValueError(f'state machine {name!r} is named after no operation; add "Operation" to the event')
    return max(found, key=len)


def report_request(event: Mapping[str, Any]) -> ReportRequest:
    """What to report: the Report step's ``{"Operation", "ExecutionId"}``, or EventBridge's status change."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return ReportRequest(
            str(event["Operation"]), str(event["ExecutionId"]), None, report.map_error(event.get("MapError"))
        )
    status = str(detail.get("status", ""))
    if status not in PARTIAL_STATUSES:
        raise ValueError(
            f"a status change to {status!r}: a partial report is written only for {', '.join(PARTIAL_STATUSES)} "
            "(the Report step writes the report of a run that succeeded)"
        )
    operation = event.get("Operation") or operation_of_state_machine(str(detail["stateMachineArn"]))
    return ReportRequest(str(operation), str(detail["executionArn"]), status)


def fanout_listed_targets(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the Fanout state ended with the targets listed, from the history's events in order."""
    for event in events:
        details = event.get("stateExitedEventDetails") or {}
        if event.get("type") == "TaskStateExited" and details.get("name") == FANOUT_STATE:
            return True
        if event.get("type") in ENDED:
            return False
    return False


def history_events(sfn: Any, execution_arn: str) -> Iterator[Mapping[str, Any]]:
    """The execution's history, oldest first, a page at a time (read only as far as it is consumed)."""
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, PaginationConfig={"PageSize": HISTORY_PAGE}
    )
    for page in pages:
        yield from page["events"]


def read_plan(s3: Any, bucket: str, execution: store.ExecutionRef) -> list[dict[str, str]]:
    """The fanout's plan of the execution; empty when it wrote none (no target, or an older fanout)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=store.targets_key(execution))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchKey":
            return []
        raise
    return report.planned_targets(json.loads(body))


def reconcile_code(request: ReportRequest) -> str:
    """Why a planned target has no status: the execution ended early, the Map failed, or its write failed."""
    if request.partial:
        return report.NOT_RUN
    return report.MAP_FAILED if request.map_error else report.NOT_RECORDED


def nothing_to_report(request: ReportRequest) -> dict[str, Any]:
    return {"Operation": request.operation, "Partial": True, "Status": request.status, "ReportUri": None}


def build_report(
    event: Mapping[str, Any],
    settings: ReportSettings,
    session: boto3.Session,
    poster: report.Poster = report.post_json,
) -> dict[str, Any]:
    request = report_request(event)
    operation = operations.get(request.operation)
    execution = store.ExecutionRef.parse(request.execution_arn)
    if request.partial and not fanout_listed_targets(history_events(client(session, "stepfunctions"), execution.arn)):
        LOG.info("no partial report for %s: its fanout listed no targets", execution.arn)
        return nothing_to_report(request)
    s3 = client(session, "s3")
    ddb = client(session, "dynamodb")
    keys = store.report_keys(operation.name, execution)
    bucket = settings.data_bucket

    # The run's data set (orgops.dataset): its statuses and rows pass through it on their way.
    started = dataset.run_started(event, lambda: client(session, "stepfunctions"), execution.arn)
    data = dataset.RunWriter(s3, bucket, operation, execution, started)
    sfn = lambda: client(session, "stepfunctions")  # noqa: E731
    request = replace(request, selection=baselines.selection_of(operation, event, sfn, execution.arn))
    try:
        summary = _write_report(request, operation, execution, settings, s3, ddb, keys, data)
    except BaseException:
        data.abort()
        raise
    data.finish(summary)
    baselines.record(s3, bucket, operation, execution, request.selection, summary, data.keys[dataset.STATUSES])
    if request.partial:  # the EventBridge rule has told the topic how the execution ended
        return summary
    if settings.topic_arn:
        report.publish_sns(client(session, "sns"), settings.topic_arn, summary)
    if settings.slack_webhook_parameter:
        notify_slack(session, settings.slack_webhook_parameter, summary, poster)
    return summary


def _write_report(
    request: ReportRequest,
    operation: operations.Operation,
    execution: store.ExecutionRef,
    settings: ReportSettings,
    s3: Any,
    ddb: Any,
    keys: dict[str, str],
    data: dataset.RunWriter,
) -> dict[str, Any]:
    """report.csv, errors.csv and summary.json; returns the summary."""
    bucket = settings.data_bucket
    # The run's own item (MaxErrors, RetryFailed; a mutating run's dry run, Params, plan, caller).
    run = store.read_run(ddb, settings.status_table, execution.arn)
    changes = (
        audit.ChangeRecorder(operation, execution, run or {}, data.started, settings.plan_ttl_hours)
        if operation.mutating
        else None
    )
    seen = baselines.TargetStatuses()  # what changed since the last run compares the targets seen here
    statuses = seen.watch(data.statuses(store.iter_statuses(ddb, settings.status_table, execution.arn)))
    counts = report.tally(changes.statuses(statuses) if changes else statuses)
    # Every planned target appears once: one without a status (its worker, its status write or its
    # batch failed; or, in a partial report, it never finished) is a failure with the reason.
    plan = read_plan(s3, bucket, execution)
    recorded = len(counts.failures)
    report.reconcile(counts, plan, reconcile_code(request))
    data.never_run(counts.failures[recorded:])
    # Closed as soon as the upload ends: a failed upload stops the reads at once.
    with closing(report.report_rows(s3, bucket, execution, counts.with_rows)) as target_rows:
        stream = data.rows(target_rows)
        rows = report.write_csv(
            s3, bucket, keys["report"], operation.report_columns, changes.rows(stream) if changes else stream
        )
    errors_uri = None
    if counts.failures:
        report.write_csv(s3, bucket, keys["errors"], report.ERROR_COLUMNS, counts.failures)
        errors_uri = store.s3_uri(bucket, keys["errors"])
    summary = {
        "Operation": operation.name,
        "Targets": counts.targets,
        "Succeeded": counts.succeeded,
        "Failed": counts.failed,
        "Skipped": counts.skipped,
        "Rows": rows,
        "ReportUri": store.s3_uri(bucket, keys["report"]),
        "ErrorsUri": errors_uri,
    }
    if counts.never_run:  # the execution's output says how many planned targets never ran (errors.csv: which)
        summary["NeverRun"] = counts.never_run
    if changes:  # a dry run's plan, or an applying run's change log (orgops.audit)
        summary.update(changes.finish(s3, bucket, request.partial, counts.failed))
    # Not-run targets, why the run stopped, what it retried (the run's item).
    if counts.not_run:
        summary["NotRun"] = counts.not_run
    stopped = report.stopped(run, counts)
    if stopped:
        summary["Stopped"] = stopped
    if run and run.get("retry_of"):
        summary["RetryOf"] = run["retry_of"]
    if run and "waves" in run:  # Canary/Waves: each wave's targets, failures and not-run ones
        summary["Waves"] = waves.report(s3, bucket, ddb, settings.status_table, execution, int(run["waves"]))
    if request.map_error:
        summary["MapError"] = request.map_error
    if request.partial:
        summary.update(Partial=True, Status=request.status)
    # What changed since the baseline: changes.csv and New, Resolved, Changed, ComparedWith.
    compared = seen.with_failures(counts.failures)
    summary.update(baselines.compare(s3, bucket, operation, request.selection, keys, compared))
    s3.put_object(
        Bucket=bucket,
        Key=keys["summary"],
        Body=json.dumps({**summary, "ExecutionId": execution.arn}, indent=2).encode(),
        ContentType="application/json",
    )
    return summary


def notify_slack(session: boto3.Session, parameter: str, summary: dict[str, Any], poster: report.Poster) -> bool:
    """Post the summary to Slack; a failure is logged, never raised.

    The reports are written and SNS has the summary by now: a revoked webhook or a Slack outage
    must not fail the execution (and a retried report would publish to SNS again).
    """
    url = ""
    try:
        url = report.slack_webhook_url(session, parameter)
        report.post_slack(url, summary, poster)
    except Exception as exc:  # a chat notification never fails the run
        # The URL is a secret: never log it, even when an error message quotes it.
        message = str(exc).replace(url, "<webhook>") if url else str(exc)
        LOG.error("slack notification failed: %s: %s", type(exc).__name__, message)
        return False
    return True


@observability.observed(observability.REPORT)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return build_report(event, ReportSettings.from_env(), new_session())
