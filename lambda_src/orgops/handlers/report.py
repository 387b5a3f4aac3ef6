"""Report: the execution's rows as a CSV in S3, an errors CSV, the summary, notifications.

Event: the fanout's output fields {"Operation", "ExecutionId"}. Output (the execution's output):
{"Operation", "Targets", "Succeeded", "Failed", "Skipped", "Rows", "ReportUri", "ErrorsUri"}.
Running it twice for one execution writes the same objects again: it only reads the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextlib import closing
from typing import Any

import boto3

from orgops import observability, operations, report, store
from orgops.config import ReportSettings
from orgops.sessions import client, new_session

LOG = logging.getLogger(__name__)


def build_report(
    event: Mapping[str, Any],
    settings: ReportSettings,
    session: boto3.Session,
    poster: report.Poster = report.post_json,
) -> dict[str, Any]:
    operation = operations.get(str(event["Operation"]))
    execution = store.ExecutionRef.parse(str(event["ExecutionId"]))
    s3 = client(session, "s3")
    ddb = client(session, "dynamodb")
    keys = store.report_keys(operation.name, execution)
    bucket = settings.data_bucket

    counts = report.tally(store.iter_statuses(ddb, settings.status_table, execution.arn))
    # Closed as soon as the upload ends: a failed upload stops the reads at once.
    with closing(report.report_rows(s3, bucket, execution, counts.with_rows)) as target_rows:
        rows = report.write_csv(s3, bucket, keys["report"], operation.report_columns, target_rows)
    errors_uri = None
    if counts.failures:
        report.write_csv(s3, bucket, keys["errors"], report.ERROR_COLUMNS, counts.failures)
        errors_uri = f"s3://{bucket}/{keys['errors']}"
    summary = {
        "Operation": operation.name,
        "Targets": counts.targets,
        "Succeeded": counts.succeeded,
        "Failed": counts.failed,
        "Skipped": counts.skipped,
        "Rows": rows,
        "ReportUri": f"s3://{bucket}/{keys['report']}",
        "ErrorsUri": errors_uri,
    }
    s3.put_object(
        Bucket=bucket,
        Key=keys["summary"],
        Body=json.dumps({**summary, "ExecutionId": execution.arn}, indent=2).encode(),
        ContentType="application/json",
    )
    if settings.topic_arn:
        report.publish_sns(client(session, "sns"), settings.topic_arn, summary)
    if settings.slack_webhook_parameter:
        notify_slack(session, settings.slack_webhook_parameter, summary, poster)
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
