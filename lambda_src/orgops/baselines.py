"""The report's side of "what changed since the last run": the baseline, changes.csv, the pointer.

The baseline of a run is the last complete run (``changes.baseline_refusal``) of the same
operation with the same selection (``changes.selection``: Regions, Accounts, Params, DryRun of
the execution input, read with ``states:DescribeExecution``, or the report event's ``Input``, which
``orgops local`` gives). It is found through a pointer object::

    reports/<operation>/baselines/<fingerprint>.json
    {"ExecutionId", "ReportUri", "StatusesKey", "Fingerprint", "Selection", "Previous"}

written after a complete run's report and data set are (``record``). ``compare`` reads the
baseline's report.csv and its targets' statuses (the data set's statuses object), streams the
run's own report.csv back, and writes ``reports/<operation>/<execution name>/changes.csv``.
A comparison that cannot be made (no baseline yet, a RetryFailed or Plan run, an input that cannot
be read, a baseline whose report expired) gives ``changes.NOTHING_TO_COMPARE`` and never fails
the report.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orgops import changes, report, store
from orgops.errors import InvalidInput
from orgops.operations.base import Operation

LOG = logging.getLogger(__name__)

POINTERS = "baselines"


@dataclass(frozen=True)
class Selection:
    """A run's selection: ``fingerprint`` None when the run is compared with nothing (``reason``)."""

    fingerprint: str | None
    doc: Mapping[str, Any] | None = None
    reason: str = ""
    execution: str = ""  # the run's execution ARN: its own report written again is not its baseline


NO_SELECTION = Selection(None, reason="the report event names no execution input")


def pointer_key(operation: str, fingerprint: str) -> str:
    return f"{store.REPORTS_PREFIX}/{operation}/{POINTERS}/{fingerprint}.json"


def execution_input(event: Mapping[str, Any], sfn: Callable[[], Any], execution_arn: str) -> Any:
    """The execution's input: the event's ``Input`` when it has one, else ``DescribeExecution``'s."""
    if "Input" in event:
        return event["Input"]
    return json.loads(sfn().describe_execution(executionArn=execution_arn)["input"] or "{}")


def selection_of(
    operation: Operation, event: Mapping[str, Any], sfn: Callable[[], Any], execution_arn: str
) -> Selection:
    """The run's selection; one that cannot be read is logged and compared with nothing."""
    try:
        chosen = changes.selection(operation, execution_input(event, sfn, execution_arn))
    except (ClientError, ValueError, InvalidInput) as exc:
        LOG.warning("%s is compared with no earlier run: its input cannot be read (%s)", execution_arn, exc)
        return Selection(None, reason=f"its input cannot be read: {exc}", execution=execution_arn)
    if chosen is None:
        return Selection(
            None, reason="a RetryFailed or Plan run is compared with no earlier run", execution=execution_arn
        )
    return Selection(changes.fingerprint(chosen), chosen, execution=execution_arn)


class TargetStatuses:
    """Each target's status, noted as the statuses stream by (``watch``): the run's compared targets."""

    def __init__(self) -> None:
        self.statuses: dict[changes.TargetKey, str] = {}

    def watch(self, items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            self.statuses[(str(item.get("account_id", "")), str(item.get("region", "")))] = str(item.get("status"))
            yield item

    def with_failures(self, failures: Iterable[list[str]]) -> dict[changes.TargetKey, str]:
        """The statuses, with the failures the report added (planned targets without a status)."""
        out = dict(self.statuses)
        for account_id, _name, region, *_rest in failures:
            out.setdefault((account_id, region), store.FAILED)
        return out


def succeeded(statuses: Mapping[changes.TargetKey, str]) -> set[changes.TargetKey]:
    return {target for target, status in statuses.items() if status == store.SUCCEEDED}


def compared_targets(
    previous: Mapping[changes.TargetKey, str], current: Mapping[changes.TargetKey, str]
) -> tuple[set[changes.TargetKey], int]:
    """The targets that succeeded in both runs, and how many of either run's others are not compared."""
    both = succeeded(previous) & succeeded(current)
    return both, len((previous.keys() | current.keys()) - both)


def csv_rows(body: Any) -> Iterator[dict[str, str]]:
    """The records of a CSV object's body as ``{column: cell}``, streamed (cells may hold line breaks)."""
    with closing(body):
        yield from csv.DictReader(io.TextIOWrapper(body, encoding="utf-8", newline=""))


def statuses_of(lines: Iterable[bytes | str]) -> dict[changes.TargetKey, str]:
    """Each target's status from a data set statuses object's lines (``orgops.dataset``)."""
    out: dict[changes.TargetKey, str] = {}
    for line in lines:
        if line and line.strip():
            item = json.loads(line)
            out[(str(item["account_id"]), str(item["region"]))] = str(item["status"])
    return out


def read_pointer(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return dict(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    except ClientError as exc:
        if store.missing_object(exc):
            return None
        raise


def read_statuses(s3: Any, bucket: str, key: str) -> dict[changes.TargetKey, str]:
    """A run's target statuses from its data set object; none when it has none (no target)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as exc:
        if store.missing_object(exc):
            return {}
        raise
    with closing(body):
        return statuses_of(body.iter_lines())


def compare(
    s3: Any,
    bucket: str,
    operation: Operation,
    selection: Selection,
    keys: Mapping[str, str],
    statuses: Mapping[changes.TargetKey, str],
) -> dict[str, Any]:
    """The summary's comparison fields; writes changes.csv (``keys["changes"]``) when there is a baseline.

    ``keys`` are the run's report keys (its report.csv is read back from S3), ``statuses`` its targets'."""
    if selection.fingerprint is None:
        return dict(changes.NOTHING_TO_COMPARE)
    pointer = read_pointer(s3, bucket, pointer_key(operation.name, selection.fingerprint))
    if pointer is not None and pointer.get("ExecutionId") == selection.execution:
        pointer = pointer.get("Previous")  # this run's report written again: compared as it was the first time
    if not pointer:
        return dict(changes.NOTHING_TO_COMPARE)
    try:
        before_bucket, before_key = store.parse_s3_uri(str(pointer["ReportUri"]))
        previous_body = s3.get_object(Bucket=before_bucket, Key=before_key)["Body"]
    except (ClientError, KeyError, ValueError) as exc:  # expired (reports/ lifecycle), or hand-edited
        LOG.warning("the baseline %s cannot be read (%s): nothing to compare", pointer.get("ExecutionId"), exc)
        return dict(changes.NOTHING_TO_COMPARE)
    previous = read_statuses(s3, bucket, str(pointer.get("StatusesKey", "")))
    compared, not_compared = compared_targets(previous, statuses)
    current_body = s3.get_object(Bucket=bucket, Key=keys["report"])["Body"]
    change_set = changes.diff(operation, csv_rows(previous_body), csv_rows(current_body), compared)
    columns = operation.report_columns
    report.write_csv(s3, bucket, keys["changes"], changes.header(operation), (c.cells(columns) for c in change_set))
    if change_set.counts.duplicates:
        LOG.warning(
            "%d identities of %s are found more than once in a run (compared by their cells), e.g. %s: "
            "its key %s does not identify its findings",
            change_set.counts.duplicates,
            operation.name,
            change_set.counts.duplicate_identities[0],
            list(operation.key),
        )
    return changes.summary_fields(
        change_set.counts, str(pointer["ExecutionId"]), store.s3_uri(bucket, keys["changes"]), not_compared
    )


def record(
    s3: Any,
    bucket: str,
    operation: Operation,
    execution: store.ExecutionRef,
    selection: Selection,
    summary: Mapping[str, Any],
    statuses_key: str,
) -> bool:
    """Make this run the baseline of its selection, when it is complete; returns whether it did.
    Called once the report's files and its data set are written."""
    refusal = changes.baseline_refusal(summary)
    if selection.fingerprint is None or refusal or not summary.get("ReportUri"):
        LOG.info("%s is not a baseline: %s", execution.arn, refusal or selection.reason or "it has no report")
        return False
    key = pointer_key(operation.name, selection.fingerprint)
    replaced = read_pointer(s3, bucket, key)
    if replaced is not None and replaced.get("ExecutionId") == execution.arn:  # the report written again
        previous = replaced.get("Previous")
    else:
        previous = {k: v for k, v in replaced.items() if k != "Previous"} if replaced else None
    pointer = {
        "ExecutionId": execution.arn,
        "ReportUri": summary["ReportUri"],
        "StatusesKey": statuses_key,
        "Fingerprint": selection.fingerprint,
        "Selection": selection.doc,
        # The baseline this run replaces: what a report of this run written again compares with.
        "Previous": previous,
    }
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(pointer, indent=2).encode(),
        ContentType="application/json",
    )
    return True
