"""``orgops run``, ``orgops executions`` and ``orgops report``: the deployed state machines.

``run`` validates the input locally (the fanout's own code), checks that ``--out`` can be
written, finds the operation's state machine, starts it under a readable name, follows it with a
progress bar (inline path: the execution history; distributed path: ``DescribeMapRun``), prints
the summary the report step returned and downloads the report files. An execution that ended
FAILED, TIMED_OUT or ABORTED gets a partial report (the targets that finished), written by the
report function on the EventBridge status change: it is awaited and downloaded the same way.
Ctrl-C (or SIGTERM) offers to stop the execution; after a stop the status is read again, so a
run that had already ended is reported as it ended.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from orgops import changes, dataset, retry, store, targets
from orgops.cli import html as html_report
from orgops.cli import progress
from orgops.cli.common import (
    EXIT_EXECUTION_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNNING,
    EXIT_TARGETS_FAILED,
    Aws,
    NotFound,
    Terminated,
    UsageError,
    arn_region,
    check_out_dir,
    checked_input,
    guarded,
    print_json,
)
from orgops.handlers.fanout import DISTRIBUTED
from orgops.text import safe_message

NAME_PREFIX = "orgops"
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
POLL_SECONDS = 2.0
DEFAULT_OUT = Path("reports")
# How long after an execution ended its partial report is awaited (EventBridge, then the report
# function: seconds usually, longer for a run with many rows).
PARTIAL_REPORT_WAIT = 180.0


# ---- finding things ---------------------------------------------------------------------------


def state_machine_name(operation: str, prefix: str = NAME_PREFIX) -> str:
    return f"{prefix}-{operation}"


def arn_from_tf_outputs(outputs: Mapping[str, Any], operation: str) -> str | None:
    """The operation's state machine ARN from ``terraform output -json``: the first output whose
    value maps the operation name to a state machine ARN (``state_machine_arns`` in the root)."""
    for name in sorted(outputs, key=lambda n: (n != "state_machine_arns", n)):
        value = outputs[name].get("value") if isinstance(outputs[name], Mapping) else None
        if isinstance(value, Mapping):
            arn = value.get(operation)
            if isinstance(arn, str) and ":stateMachine:" in arn:
                return arn
    return None


def read_tf_outputs(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--tf-outputs: cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"--tf-outputs: {path} is not JSON; write it with `terraform output -json > {path}`") from None
    if not isinstance(doc, dict):
        raise UsageError(f"--tf-outputs: {path} is not the object `terraform output -json` prints")
    return doc


def find_state_machine(
    sfn: Any,
    operation: str,
    arn: str | None = None,
    tf_outputs: Path | None = None,
    prefix: str = NAME_PREFIX,
) -> str:
    """``--state-machine-arn``, else the Terraform outputs file, else by name among the account's machines."""
    if arn:
        return arn
    if tf_outputs is not None:
        found = arn_from_tf_outputs(read_tf_outputs(tf_outputs), operation)
        if not found:
            raise UsageError(f"--tf-outputs: no output maps {operation!r} to a state machine ARN in {tf_outputs}")
        return found
    wanted = state_machine_name(operation, prefix)
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == wanted:
                return str(machine["stateMachineArn"])
    raise NotFound(
        f"no state machine named {wanted} in this account and region; deploy the operation "
        "(terraform/, operations map), pass --region, --state-machine-arn or --tf-outputs"
    )


def data_bucket_from_definition(definition: str) -> str | None:
    """The data bucket the state machine writes to (its distributed Map's ResultWriter)."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            writer = node.get("ResultWriter")
            if isinstance(writer, dict) and isinstance(writer.get("Parameters", {}).get("Bucket"), str):
                yield writer["Parameters"]["Bucket"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    try:
        return next(walk(json.loads(definition)), None)
    except ValueError:
        return None


def execution_name(operation: str, now: datetime | None = None, suffix: str | None = None) -> str:
    """``public-ips-20261125T101500Z-1a2b``: sortable, unique, within the 80-character limit."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    tail = f"-{stamp}-{suffix or secrets.token_hex(2)}"
    return operation[: 80 - len(tail)] + tail


def execution_arn_of(state_machine_arn: str, name: str) -> str:
    """The ARN an execution named ``name`` of the state machine gets."""
    parts = state_machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], name])


def summary_uri(report_uri: str) -> str:
    return report_uri.rsplit("/", 1)[0] + "/summary.json"


# ---- following an execution ---------------------------------------------------------------------


def exit_code(status: str, summary: Mapping[str, Any] | None, stopped_by_operator: bool = False) -> int:
    """The documented exit code for a finished execution (130 for one the operator stopped)."""
    if stopped_by_operator and status == "ABORTED":
        return EXIT_INTERRUPTED
    if status != "SUCCEEDED":
        return EXIT_EXECUTION_FAILED
    if summary and int(summary.get("Failed", 0)) > 0:
        return EXIT_TARGETS_FAILED
    return EXIT_OK


def current_counts(sfn: Any, execution_arn: str, history: progress.HistoryCounter) -> progress.Counts:
    counts = history.poll()
    fanout = history.fanout_output or {}
    if fanout.get("Mode") != DISTRIBUTED:
        return counts
    runs = sfn.list_map_runs(executionArn=execution_arn).get("mapRuns", [])
    if not runs:
        return counts
    return progress.map_run_counts(sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"]), counts.phase)


def follow(
    sfn: Any,
    execution_arn: str,
    bar: progress.ProgressLine,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll until the execution ends, drawing the bar; returns ``DescribeExecution``."""
    history = progress.HistoryCounter(sfn, execution_arn)
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] in TERMINAL:
            bar.finish(current_counts(sfn, execution_arn, history) if bar.enabled else None)
            return described
        if bar.wants_counts():  # history is read only when something will be drawn
            bar.update(current_counts(sfn, execution_arn, history))
        sleep(poll_seconds)


def offer_stop(
    sfn: Any,
    execution_arn: str,
    stdin: TextIO,
    stderr: TextIO,
    ask: Callable[[str], str] = input,
    terminated: bool = False,
) -> bool:
    """After Ctrl-C: stop the execution if the operator says so; it keeps running otherwise.

    Without a terminal, or after SIGTERM (nobody is there to answer), nothing is asked and the
    execution keeps running. Returns whether ``StopExecution`` was sent; the caller reads the
    status again, since the execution may have ended before the stop reached it."""
    print("", file=stderr)
    if terminated or not stdin.isatty():
        why = "terminated (SIGTERM)" if terminated else "interrupted"
        print(f"orgops: {why}; the execution keeps running: {execution_arn}", file=stderr)
        return False
    try:
        answer = ask("Stop the execution too? Targets already done keep their results [y/N]: ")
    except (EOFError, KeyboardInterrupt):
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        print(f"orgops: the execution keeps running; follow it with: orgops report {execution_arn} --wait", file=stderr)
        return False
    try:
        sfn.stop_execution(
            executionArn=execution_arn, error="orgops.Interrupted", cause="stopped by the operator (Ctrl-C)"
        )
    except ClientError:
        if sfn.describe_execution(executionArn=execution_arn)["status"] not in TERMINAL:
            raise
        # It ended between the answer and the stop: the caller reports how it ended.
    return True


def stop_outcome(execution_arn: str, status: str) -> str:
    """What the operator is told once the status after a stop is known."""
    if status == "ABORTED":
        return f"orgops: stopped {execution_arn}"
    return f"orgops: the execution had already ended {status} before the stop reached it: reporting it as it ended"


# ---- reports ------------------------------------------------------------------------------------


def default_out_dir(operation: str, name: str) -> Path:
    return DEFAULT_OUT / operation / name


def download_report(s3: Any, summary: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """report.csv, errors.csv (when targets failed), changes.csv (when compared with a baseline) and
    summary.json, into ``out_dir``."""
    uris = [summary["ReportUri"]]
    if summary.get("ErrorsUri"):
        uris.append(summary["ErrorsUri"])
    if summary.get("ChangesUri"):
        uris.append(summary["ChangesUri"])
    if summary.get("PlanUri"):  # a dry run of a mutating operation: its plan (orgops apply reads it)
        uris.append(summary["PlanUri"])
    uris.append(summary_uri(summary["ReportUri"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for uri in uris:
        bucket, key = store.parse_s3_uri(uri)
        path = out_dir / key.rsplit("/", 1)[-1]
        try:
            s3.download_file(bucket, key, str(path))
        except ClientError as exc:
            if uri.endswith("summary.json"):  # an older report step did not write it
                continue
            raise NotFound(f"cannot download {uri}: {exc}") from None
        files.append(path)
    return files


def started_seconds(described: Mapping[str, Any]) -> float | None:
    start, stop = described.get("startDate"), described.get("stopDate")
    if start is None or stop is None:
        return None
    return (stop - start).total_seconds()


def readable_cause(cause: str) -> str:
    """A Lambda error's cause is JSON ``{"errorMessage", "errorType", "stackTrace"}``: keep the message."""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return cause


def result_document(described: Mapping[str, Any], summary: Mapping[str, Any] | None, files: list[Path]) -> dict:
    doc: dict[str, Any] = {
        "ExecutionArn": described["executionArn"],
        "Status": described["status"],
        "Summary": dict(summary) if summary else None,
        "Files": [str(f) for f in files],
    }
    if described["status"] != "SUCCEEDED":
        doc["Error"] = described.get("error", "")
        doc["Cause"] = readable_cause(described.get("cause", ""))
    return doc


def waves_line(waves: Any) -> str:
    """``1: 2 targets, 1 failed; 2: 19 targets, 19 not run`` (the summary's ``Waves``)."""
    parts = []
    for w in waves if isinstance(waves, list) else ():
        not_run = f", {w['NotRun']} not run" if w.get("NotRun") else ""
        parts.append(f"{w.get('Wave')}: {w.get('Targets')} targets, {w.get('Failed')} failed{not_run}")
    return "; ".join(parts)


def print_result(doc: Mapping[str, Any], seconds: float | None, stream: TextIO) -> None:
    took = f" in {progress.format_duration(seconds)}" if seconds is not None else ""
    print(f"execution  {doc['ExecutionArn']}", file=stream)
    print(f"status     {doc['Status']}{took}", file=stream)
    summary = doc.get("Summary")
    if summary:
        if summary.get("Partial"):
            print(
                f"partial    the report holds only the targets that finished before the execution ended "
                f"{summary.get('Status') or doc['Status']}",
                file=stream,
            )
        not_run = f", {summary['NotRun']} not run" if summary.get("NotRun") else ""
        print(
            f"targets    {summary['Targets']}: {summary['Succeeded']} succeeded, {summary['Failed']} failed, "
            f"{summary['Skipped']} skipped{not_run}",
            file=stream,
        )
        if summary.get("Waves"):
            print(f"waves      {waves_line(summary['Waves'])}", file=stream)
        if summary.get("Stopped"):
            print(f"stopped    {summary['Stopped']}", file=stream)
        if summary.get("RetryOf"):
            print(f"retry of   {summary['RetryOf']}", file=stream)
        print(f"rows       {summary['Rows']}", file=stream)
        print(f"report     {summary['ReportUri']}", file=stream)
        if summary.get("ErrorsUri"):
            print(f"errors     {summary['ErrorsUri']}", file=stream)
        lead = changes.lead_line(summary, changes.noun_of(str(summary.get("Operation"))))
        if lead:  # what changed since the baseline (orgops.changes)
            print(f"changes    {lead}", file=stream)
            print(f"           {summary['ChangesUri']}", file=stream)
        elif "ComparedWith" in summary:
            print(f"changes    {changes.NOTHING_TO_COMPARE_TEXT}", file=stream)
        if summary.get("PlanUri"):  # a remediation's dry run: its plan (orgops.plans)
            print(
                f"plan       {summary['Planned']} changes, until {summary['PlanExpiresAt']}: {summary['PlanUri']}",
                file=stream,
            )
        if summary.get("AuditUri"):  # an applying run: what it made of the changes (orgops.audit)
            print(
                f"applied    {summary['Applied']} changes ({summary['ChangesFailed']} failed, "
                f"{summary['Stale']} stale, {summary['NotPlanned']} not planned); change log {summary['AuditUri']}",
                file=stream,
            )
    if doc["Status"] != "SUCCEEDED":
        # What a failure says can hold anything a resource or an exception held: escaped (a
        # terminal never runs an ANSI sequence), scrubbed of credentials, bounded.
        print(f"error      {safe_message(str(doc.get('Error') or '-'), 200)}", file=stream)
        cause = str(doc.get("Cause") or "")
        print(f"cause      {safe_message(cause, 500) or '-'}", file=stream)
    for path in doc["Files"]:
        print(f"saved      {path}", file=stream)


def is_partial_summary(doc: Any, execution_arn: str) -> bool:
    """Whether ``doc`` (a summary.json) is the partial report of this execution (not an older namesake's)."""
    return isinstance(doc, dict) and doc.get("Partial") is True and doc.get("ExecutionId") == execution_arn


def partial_report_location(sfn: Any, described: Mapping[str, Any], operation: str | None) -> tuple[str, str] | None:
    """(bucket, key) of the partial summary.json of an execution that did not succeed, or None when
    none is to be expected: the fanout never listed the targets (bad input), so no target ran."""
    history = progress.HistoryCounter(sfn, described["executionArn"])
    history.poll()
    fanout = history.fanout_output
    if not fanout:
        return None
    definition = sfn.describe_state_machine(stateMachineArn=described["stateMachineArn"])["definition"]
    bucket = data_bucket_from_definition(definition)
    if bucket is None:
        return None
    ref = store.ExecutionRef.parse(described["executionArn"])
    return bucket, store.report_keys(str(fanout.get("Operation") or operation), ref)["summary"]


def wait_for_partial_summary(
    s3: Any,
    location: tuple[str, str],
    execution_arn: str,
    deadline: float,
    poll_seconds: float,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any] | None:
    """The partial summary once the report function wrote it, or None if it is not there by ``deadline``."""
    bucket, key = location
    while True:
        try:
            doc = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except ClientError:
            doc = None
        if is_partial_summary(doc, execution_arn):
            return dict(doc)
        if clock() >= deadline:
            return None
        sleep(poll_seconds)


def partial_summary(
    aws: Aws, described: Mapping[str, Any], operation: str | None, poll_seconds: float
) -> dict[str, Any] | None:
    """The partial report's summary of a FAILED, TIMED_OUT or ABORTED execution (None when there is none)."""
    sfn = aws.client("stepfunctions", arn_region(described["executionArn"]))
    location = partial_report_location(sfn, described, operation)
    if location is None:
        return None
    stopped = described.get("stopDate")
    deadline = (stopped.timestamp() if stopped else time.time()) + PARTIAL_REPORT_WAIT
    recent = deadline > time.time()  # an execution that ended long ago is looked up once
    if recent:
        print("orgops: waiting for the partial report (the targets that finished)", file=sys.stderr)
    summary = wait_for_partial_summary(aws.client("s3"), location, described["executionArn"], deadline, poll_seconds)
    if summary is None:
        later = f"; fetch it later with: orgops report {described['executionArn']}" if recent else ""
        print(f"orgops: no partial report at s3://{location[0]}/{location[1]}{later}", file=sys.stderr)
        return None
    summary.pop("ExecutionId", None)
    return summary


def save_report(s3: Any, summary: Mapping[str, Any], out_dir: Path) -> list[Path]:
    try:
        return download_report(s3, summary, out_dir)
    except OSError as exc:
        raise UsageError(
            f"--out {out_dir}: cannot save the report files ({exc.strerror}); they stay at {summary['ReportUri']}: "
            "fetch them with `orgops report EXECUTION_ARN --out DIR`"
        ) from None


def download_dataset(aws: Aws, described: Mapping[str, Any], summary: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """The run's data set objects (orgops.dataset), those it has, under ``out_dir/dataset/`` (where
    ``orgops query`` reads them): dated by the execution's first history event, as the report dates
    them (its ``startDate`` when the history cannot be read)."""
    arn = str(described["executionArn"])
    try:
        started = dataset.execution_started(aws.client("stepfunctions", arn_region(arn)), arn)
    except (ClientError, ValueError):
        started = described["startDate"]
    bucket, _key = store.parse_s3_uri(str(summary["ReportUri"]))
    operation = str(summary.get("Operation") or "")
    s3 = aws.client("s3")
    files = []
    for key in dataset.keys(operation, store.ExecutionRef.parse(arn).name, started).values():
        path = out_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3.download_file(bucket, key, str(path))
        except ClientError:  # no rows (no rows object), or a report step older than the data set
            continue
        files.append(path)
    return files


def finish(
    aws: Aws,
    described: dict[str, Any],
    out_dir: Path | None,
    operation: str | None,
    output: str,
    poll_seconds: float = POLL_SECONDS,
    stopped_by_operator: bool = False,
    html: bool = False,
) -> int:
    """Summary, downloads and the exit code of a finished execution (a partial report when it did not succeed);
    ``html``: report.html rendered from the downloaded files too (orgops.cli.html)."""
    if described["status"] == "SUCCEEDED":
        summary = json.loads(described["output"]) if described.get("output") else None
    else:
        summary = partial_summary(aws, described, operation, poll_seconds)
    files: list[Path] = []
    if summary and summary.get("ReportUri"):
        ref = store.ExecutionRef.parse(described["executionArn"])
        target = out_dir or default_out_dir(str(summary.get("Operation") or operation), ref.name)
        files = save_report(aws.client("s3"), summary, target)
        files += download_dataset(aws, described, summary, target)
        if html:
            files.append(html_report.write_report(target, summary={**summary, "ExecutionId": ref.arn}))
    elif html:
        print("orgops: the execution has no report files, so no report.html was written", file=sys.stderr)
    doc = result_document(described, summary, files)
    if output == "json":
        print_json(doc)
    else:
        print_result(doc, started_seconds(described), sys.stdout)
    return exit_code(described["status"], summary, stopped_by_operator)


def follow_and_finish(
    aws: Aws,
    execution_arn: str,
    out_dir: Path | None,
    operation: str | None,
    output: str,
    poll: float,
    html: bool = False,
) -> int:
    sfn = aws.client("stepfunctions", arn_region(execution_arn))
    bar = progress.ProgressLine(sys.stderr)
    try:
        described = follow(sfn, execution_arn, bar, poll)
    except KeyboardInterrupt as interrupt:
        if bar.enabled:
            bar.finish()
        if not offer_stop(sfn, execution_arn, sys.stdin, sys.stderr, terminated=isinstance(interrupt, Terminated)):
            return EXIT_INTERRUPTED
        # Read the status again: the execution may have ended before the stop reached it.
        described = follow(sfn, execution_arn, progress.ProgressLine(sys.stderr, enabled=False), poll)
        print(stop_outcome(execution_arn, described["status"]), file=sys.stderr)
        return finish(aws, described, out_dir, operation, output, poll, stopped_by_operator=True, html=html)
    return finish(aws, described, out_dir, operation, output, poll, html=html)


# ---- commands -----------------------------------------------------------------------------------


@guarded
def cmd_run(args: argparse.Namespace) -> int:
    doc, operation = checked_input(args)
    name = args.name or execution_name(operation.name)
    if not args.no_wait:  # the files are saved at the end: find out now that they cannot be
        check_out_dir(args.out or default_out_dir(operation.name, name))
    aws = Aws.from_args(args)
    sfn = aws.client("stepfunctions")
    machine = find_state_machine(sfn, operation.name, args.state_machine_arn, args.tf_outputs, args.name_prefix)
    if args.retry_failed:  # the fanout refuses another state machine's execution too; here nothing starts
        retry.check_same_state_machine(args.retry_failed, execution_arn_of(machine, name), operation.name)
    return start_and_follow(aws, machine, name, doc, args, operation.name, "APPLY" if args.apply else "dry run")


def start_and_follow(
    aws: Aws,
    machine: str,
    name: str,
    doc: Mapping[str, Any],
    args: argparse.Namespace,
    operation: str,
    mode: str,
    out_dir: Path | None = None,
) -> int:
    """Start ``machine`` with the input ``doc`` under ``name``; with ``--no-wait`` print the ARN and
    return, else follow it to the end and download its report (``orgops run``, ``plan``, ``apply``)."""
    sfn = aws.client("stepfunctions", arn_region(machine))
    # Exactly the compact UTF-8 JSON whose size targets.parse_input checked (256 KiB, as Step
    # Functions counts it): not json.dumps' default \u escapes, which are up to 3 times longer.
    started = sfn.start_execution(stateMachineArn=machine, name=name, input=targets.encode_input(doc))
    execution_arn = started["executionArn"]
    if getattr(args, "no_wait", False):
        if args.output == "json":
            print_json({"ExecutionArn": execution_arn, "Name": name, "Input": doc})
        else:
            print(execution_arn)
        return EXIT_OK
    print(f"started {name} ({mode}): {execution_arn}", file=sys.stderr)
    return follow_and_finish(aws, execution_arn, out_dir or args.out, operation, args.output, args.poll_seconds)


@guarded
def cmd_report(args: argparse.Namespace) -> int:
    if not args.execution_arn.startswith("arn:"):
        return report_of_directory(args)
    check_out_dir(args.out or DEFAULT_OUT)
    aws = Aws.from_args(args)
    sfn = aws.client("stepfunctions", arn_region(args.execution_arn))
    try:
        described = sfn.describe_execution(executionArn=args.execution_arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "InvalidArn"):
            raise NotFound(f"no execution {args.execution_arn}: {exc.response['Error'].get('Message', '')}") from None
        raise
    if described["status"] not in TERMINAL:
        if not args.wait:
            print(
                f"orgops: {args.execution_arn} is still {described['status']}, so it has no report yet: "
                "add --wait to follow it to the end, or run this again later",
                file=sys.stderr,
            )
            return EXIT_RUNNING
        return follow_and_finish(
            aws, args.execution_arn, args.out, None, args.output, args.poll_seconds, html=args.html
        )
    return finish(aws, described, args.out, None, args.output, args.poll_seconds, html=args.html)


def report_of_directory(args: argparse.Namespace) -> int:
    """``orgops report DIR [--html [--out DIR2]]``: a report already saved (by ``orgops run``, ``report`` or
    ``local``: reports/OPERATION/NAME/), read from its summary.json with no AWS call; ``--html`` renders
    report.html from its files (into DIR, or ``--out``)."""
    directory = Path(args.execution_arn)
    argument = "EXECUTION_ARN|DIR"
    if args.wait:
        raise UsageError(f"--wait: {directory} is a saved report, there is nothing to follow; --wait takes an ARN")
    if args.out is not None and not args.html:
        raise UsageError(f"--out: {directory} is already saved; with a directory --out says where --html writes")
    saved = html_report.read_summary(directory, argument)
    summary = {k: v for k, v in saved.items() if k != "ExecutionId"}  # as ``finish`` prints it
    execution = str(saved.get("ExecutionId") or directory)
    files = [html_report.write_report(directory, args.out, saved, argument)] if args.html else []
    # A partial report says how its execution ended; any other summary is written after the Map succeeded.
    status = str(summary.get("Status") or "FAILED") if summary.get("Partial") else "SUCCEEDED"
    doc = {"ExecutionArn": execution, "Status": status, "Summary": summary, "Files": [str(f) for f in files]}
    if args.output == "json":
        print_json(doc)
    else:
        print_result(doc, None, sys.stdout)
    return exit_code(status, summary)


def load_summary(s3: Any, bucket: str, operation: str, name: str) -> dict[str, Any] | None:
    key = f"{store.REPORTS_PREFIX}/{operation}/{name}/summary.json"
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError:
        return None


def execution_rows(sfn: Any, s3: Any, machine: str, operation: str, limit: int, bucket: str | None) -> list[dict]:
    if bucket is None:
        bucket = data_bucket_from_definition(sfn.describe_state_machine(stateMachineArn=machine)["definition"])
    rows = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=machine, PaginationConfig={"MaxItems": limit}
    ):
        for ex in page["executions"]:
            summary = load_summary(s3, bucket, operation, ex["name"]) if bucket else None
            rows.append(
                {
                    "Name": ex["name"],
                    "Status": ex["status"],
                    "StartDate": ex["startDate"].isoformat(),
                    "Seconds": started_seconds(ex),
                    "Targets": summary.get("Targets") if summary else None,
                    "Failed": summary.get("Failed") if summary else None,
                    "Rows": summary.get("Rows") if summary else None,
                    "ReportUri": summary.get("ReportUri") if summary else None,
                    "ExecutionArn": ex["executionArn"],
                }
            )
    return rows


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def print_executions(rows: list[dict], stream: TextIO) -> None:
    if not rows:
        print("no executions yet", file=stream)
        return
    headers = ("NAME", "STATUS", "STARTED", "TOOK", "TARGETS", "FAILED", "ROWS", "REPORT")
    table = [
        (
            r["Name"],
            r["Status"],
            r["StartDate"][:19].replace("T", " "),
            progress.format_duration(r["Seconds"]) if r["Seconds"] is not None else "-",
            _cell(r["Targets"]),
            _cell(r["Failed"]),
            _cell(r["Rows"]),
            _cell(r["ReportUri"]),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    for row in (headers, *table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=stream)


@guarded
def cmd_executions(args: argparse.Namespace) -> int:
    from orgops import operations

    operation = operations.get(args.operation)
    aws = Aws.from_args(args)
    sfn = aws.client("stepfunctions")
    machine = find_state_machine(sfn, operation.name, args.state_machine_arn, args.tf_outputs, args.name_prefix)
    sfn = aws.client("stepfunctions", arn_region(machine))
    bucket = args.bucket
    if bucket is None and args.tf_outputs is not None:
        bucket = (read_tf_outputs(args.tf_outputs).get("data_bucket") or {}).get("value")
    rows = execution_rows(sfn, aws.client("s3"), machine, operation.name, args.max_items, bucket)
    if args.output == "json":
        print_json(rows)
    else:
        print_executions(rows, sys.stdout)
    return EXIT_OK
