"""``orgops diff A B``: what changed from run A to run B of one operation, as the report computes it.

A and B are execution ARNs (their report.csv, errors.csv and summary.json are read from the data
bucket, found as ``orgops report`` finds them) or saved reports: a folder ``orgops run``,
``orgops report``, ``orgops local`` or the emulator saved (``reports/<operation>/<execution
name>/``, holding report.csv and summary.json), or the path of its report.csv. Both must be runs of
the same operation. The comparison is ``orgops.changes.diff``, the report's own: findings are
identified by the operation's identity (account, region, key), and only targets that SUCCEEDED in
both runs are compared, read from each run's statuses (its data set's statuses object, saved
under ``dataset/`` beside the CSVs); a run saved without them is read from its errors.csv (the
targets listed there are not compared; skipped targets are not known then).

``--output table`` (default: the lead line, then one line per change), ``csv`` (exactly the
report's changes.csv) or ``json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from orgops import baselines, changes, dataset, operations, report, store
from orgops.cli.common import Aws, NotFound, UsageError, add_aws_arguments, arn_region, guarded, print_json
from orgops.errors import OrgopsError
from orgops.operations.base import Operation

OUTPUTS = ("table", "csv", "json")
SAVED = "a folder orgops run, report or local saved (reports/<operation>/<execution name>/) or its report.csv"

EPILOG = """\
examples:
  orgops diff reports/unused-ebs-volumes/unused-ebs-volumes-20260101T060000Z-1a2b \\
              reports/unused-ebs-volumes/unused-ebs-volumes-20260102T060000Z-3c4d
  orgops diff "$EXECUTION_A" "$EXECUTION_B" --output csv > changes.csv
  orgops diff "$EXECUTION_A" reports/unused-ebs-volumes/run-b/report.csv --output json

Changes (as changes.csv has them): added (in B only), removed (in A only: A's row), changed (in
both, other cells differ: changed_columns, and previous, a JSON object of their cells in A).
Only the targets that succeeded in both runs are compared; NotCompared counts the others."""


@dataclass(frozen=True)
class RunTargets:
    """A run's targets' statuses: every target's (``complete``, its data set's statuses) or only the
    failed ones (from errors.csv: a target not listed there is taken as succeeded)."""

    statuses: Mapping[changes.TargetKey, str]
    complete: bool

    def succeeded(self, target: changes.TargetKey) -> bool:
        status = self.statuses.get(target)
        return status == store.SUCCEEDED if self.complete else status is None


class Compared:
    """The targets that succeeded in both runs (a container for ``changes.diff``)."""

    def __init__(self, before: RunTargets, after: RunTargets) -> None:
        self.before, self.after = before, after

    def __contains__(self, target: object) -> bool:
        if not isinstance(target, tuple):
            return False
        return self.before.succeeded(target) and self.after.succeeded(target)

    def not_compared(self) -> int:
        """How many of the runs' known targets did not succeed in both."""
        known = self.before.statuses.keys() | self.after.statuses.keys()
        return sum(1 for target in known if target not in self)


@dataclass(frozen=True)
class SavedRun:
    """One side of the comparison: its operation, the execution (ARN, or the name as given), its
    rows (opened on demand, streamed) and its targets."""

    given: str
    operation: str
    execution: str
    rows: Callable[[], Iterator[dict[str, str]]]
    targets: RunTargets


def register(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed from one run of an operation to another: new, resolved and changed findings",
        description="Compare two runs of one operation (execution ARNs or saved reports) as the report compares a "
        "run with its baseline: added, removed and changed findings, over the targets that succeeded in both.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("before", metavar="A", help=f"the earlier run: an execution ARN, or {SAVED}")
    p.add_argument("after", metavar="B", help="the later run, given the same way")
    p.add_argument(
        "--output",
        choices=OUTPUTS,
        default="table",
        help="table (default), csv (the report's changes.csv) or json (the counts and every change)",
    )
    add_aws_arguments(p)
    p.set_defaults(func=cmd_diff)


# ---- reading a run -------------------------------------------------------------------------------


def is_execution_arn(text: str) -> bool:
    try:
        store.ExecutionRef.parse(text)
    except ValueError:
        return False
    return True


def _local_csv(path: Path) -> Callable[[], Iterator[dict[str, str]]]:
    def rows() -> Iterator[dict[str, str]]:
        with path.open(encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)

    return rows


def _failed_targets(rows: Iterator[dict[str, str]]) -> dict[changes.TargetKey, str]:
    return {changes.target_of(r): store.FAILED for r in rows}


def saved_run(given: str) -> SavedRun:
    """A run saved on this machine: its folder or its report.csv, summary.json beside it."""
    path = Path(given)
    folder = path.parent if path.suffix == ".csv" else path
    report_csv = path if path.suffix == ".csv" else path / "report.csv"
    if not report_csv.is_file():
        raise UsageError(f"{given}: no report.csv there; give an execution ARN, or {SAVED}")
    summary_path = folder / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        operation = str(summary["Operation"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(
            f"{given}: no summary.json naming the operation beside {report_csv.name}; give {SAVED}"
        ) from None
    execution = str(summary.get("ExecutionId") or folder.name)
    name = changes.execution_name(execution)
    found = sorted((folder / dataset.PREFIX / dataset.STATUSES).rglob(f"{name}{dataset.SUFFIX}"))
    if found:
        lines = found[0].read_text(encoding="utf-8").splitlines()
        targets = RunTargets(baselines.statuses_of(lines), complete=True)
    else:
        errors = folder / "errors.csv"
        failed = _failed_targets(_local_csv(errors)()) if errors.is_file() else {}
        targets = RunTargets(failed, complete=False)
    return SavedRun(given, operation, execution, _local_csv(report_csv), targets)


def _s3_object(s3: Any, uri: str) -> Any:
    bucket, key = store.parse_s3_uri(uri)
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as exc:
        raise NotFound(f"cannot read {uri}: {exc}") from None


def execution_run(aws: Aws, arn: str) -> SavedRun:
    """A run in AWS: its summary.json in the data bucket (the state machine's), then its files."""
    from orgops.cli.run import data_bucket_from_definition, load_summary
    from orgops.handlers.report import operation_of_state_machine

    sfn = aws.client("stepfunctions", arn_region(arn))
    try:
        described = sfn.describe_execution(executionArn=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "InvalidArn"):
            raise NotFound(f"no execution {arn}: {exc.response['Error'].get('Message', '')}") from None
        raise
    machine = str(described["stateMachineArn"])
    try:
        operation = operation_of_state_machine(machine)
    except ValueError as exc:
        raise UsageError(f"{arn}: {exc}") from None
    definition = sfn.describe_state_machine(stateMachineArn=machine)["definition"]
    bucket = data_bucket_from_definition(definition)
    ref = store.ExecutionRef.parse(arn)
    summary = load_summary(aws.client("s3"), bucket, operation, ref.name) if bucket else None
    if not summary or not summary.get("ReportUri"):
        raise NotFound(
            f"{arn} has no report yet (it is {described['status']}): wait for it to end (orgops report --wait), "
            "or compare saved reports"
        )
    s3 = aws.client("s3")
    report_uri = str(summary["ReportUri"])
    try:
        started = dataset.execution_started(sfn, arn)
        key = dataset.keys(operation, ref.name, started)[dataset.STATUSES]
        body = s3.get_object(Bucket=store.parse_s3_uri(report_uri)[0], Key=key)["Body"]
        targets = RunTargets(baselines.statuses_of(body.iter_lines()), complete=True)
    except (ClientError, ValueError):  # a report older than the data set: its errors.csv
        failed = baselines.csv_rows(_s3_object(s3, summary["ErrorsUri"])) if summary.get("ErrorsUri") else iter(())
        targets = RunTargets(_failed_targets(failed), complete=False)
    return SavedRun(arn, operation, arn, lambda: baselines.csv_rows(_s3_object(s3, report_uri)), targets)


def resolve(given: str, aws: Callable[[], Aws]) -> SavedRun:
    return execution_run(aws(), given) if is_execution_arn(given) else saved_run(given)


# ---- the comparison and its output ---------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    operation: Operation
    before: SavedRun
    after: SavedRun
    changes: list[changes.Change]
    summary: dict[str, Any]


def compare(before: SavedRun, after: SavedRun) -> Diff:
    if before.operation != after.operation:
        raise UsageError(
            f"{before.given} is a run of {before.operation} and {after.given} a run of {after.operation}: "
            "compare two runs of the same operation"
        )
    try:
        operation = operations.get(before.operation)
    except OrgopsError as exc:  # an operation this install does not have (--operations-path)
        raise UsageError(f"{before.given}: {exc}") from None
    compared = Compared(before.targets, after.targets)
    change_set = changes.diff(operation, before.rows(), after.rows(), compared)
    try:
        found = list(change_set)
    except changes.OutOfOrder as exc:
        raise UsageError(f"{before.given} and {after.given}: {exc}") from None
    summary = {
        "Operation": operation.name,
        "Execution": after.execution,
        **changes.summary_fields(change_set.counts, before.execution, "", compared.not_compared()),
    }
    summary.pop("ChangesUri")
    return Diff(operation, before, after, found, summary)


def change_record(change: changes.Change, columns: Sequence[str]) -> dict[str, Any]:
    return {
        "change": change.kind,
        "changed_columns": list(change.changed_columns),
        "previous": dict(change.previous),
        **{c: str(change.row.get(c, "")) for c in columns},
    }


def table_lines(operation: Operation, records: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per change: what, where, which finding, and each changed cell ``old -> new``
    (``records``: changes.csv's records, or ``change_record``'s)."""
    key = [c for c in operation.identity if c not in ("account_id", "region")]
    headers = ["CHANGE", "ACCOUNT", "REGION", *(c.upper() for c in key), "WHAT CHANGED"]
    rows = []
    for r in records:
        previous = r["previous"] if isinstance(r["previous"], Mapping) else json.loads(r["previous"] or "{}")
        what = "; ".join(f"{c}: {previous.get(c) or '(empty)'} -> {r.get(c) or '(empty)'}" for c in previous)
        rows.append([r["change"], r["account_id"], r["region"], *(str(r.get(c, "")) for c in key), what])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (headers, *rows)]


def write(result: Diff, output: str, stream: TextIO) -> None:
    columns = result.operation.report_columns
    if output == "csv":
        record = report.CsvRecords()
        stream.write(record(list(changes.header(result.operation))))
        for change in result.changes:
            stream.write(record(change.cells(columns)))
        return
    records = [change_record(c, columns) for c in result.changes]
    if output == "json":
        print_json({**result.summary, "Changes": records}, stream)
        return
    lead = changes.lead_line({**result.summary, "Operation": result.operation.name}, result.operation.noun)
    print(lead, file=stream)
    for line in table_lines(result.operation, records) if records else ():
        print(line, file=stream)


@guarded
def cmd_diff(args: argparse.Namespace) -> int:
    made: list[Aws] = []

    def aws() -> Aws:  # only an execution ARN needs AWS
        if not made:
            made.append(Aws.from_args(args))
        return made[0]

    result = compare(resolve(args.before, aws), resolve(args.after, aws))
    write(result, args.output, sys.stdout)
    return 0
