"""Assembling an execution's report: CSVs streamed to S3, the summary, notifications."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from orgops import changes, store
from orgops.operations.base import TARGET_COLUMNS
from orgops.sessions import client
from orgops.targets import Target
from orgops.text import safe_message

ERROR_COLUMNS = (*TARGET_COLUMNS, "error_code", "error_message")
PART_SIZE = 8 * 1024 * 1024
# S3 rejects a multipart upload whose parts, all but the last, are smaller than this.
MIN_PART_SIZE = 5 * 1024 * 1024
# Characters of CSV formatted before they are encoded and buffered for upload.
TEXT_CHUNK = 256 * 1024
# Rows objects fetched ahead of the one being read: ~20 ms GETs overlapped 8 at a time bring
# 100,000 targets from over half an hour to a few minutes, and 8 reading threads plus the upload
# fit botocore's default pool of 10 connections per client.
READ_AHEAD = 8

_In = TypeVar("_In")
_Out = TypeVar("_Out")


class S3StreamWriter(io.RawIOBase):
    """A write-only stream that uploads to S3 in parts, holding at most one part in memory."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str, part_size: int = PART_SIZE) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part size)")
        self._s3, self._bucket, self._key, self._type = s3, bucket, key, content_type
        self._part_size = part_size
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        self.bytes_written += len(data)
        if len(self._buffer) >= self._part_size:
            self._flush_part()
        return len(data)

    def _flush_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._type
            )["UploadId"]
        number = len(self._parts) + 1
        # The buffer itself, not a copy: the call is synchronous and the buffer is cleared after it,
        # so memory holds one part, not two.
        etag = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=self._buffer
        )["ETag"]
        self._parts.append({"ETag": etag, "PartNumber": number})
        self._buffer.clear()

    def finish(self) -> None:
        if self._upload_id is None:
            self._s3.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), ContentType=self._type)
            return
        if self._buffer:
            self._flush_part()
        self._s3.complete_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )

    def abort(self) -> None:
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)


class CsvRecords:
    """Format one CSV record at a time, ending in ``\n``, with every cell holding ``\r`` or ``\n`` quoted.

    ``csv.writer`` quotes a cell only for the characters of its own line terminator: with ``"\n"``
    a cell holding a bare ``\r`` was written unquoted, and a reader (or a spreadsheet) split the
    row there, starting a new row with whatever followed (a formula, a shifted column). The
    writer here ends records in ``"\r\n"`` (so both characters force quoting) and each record's
    terminator is then written as ``"\n"``.
    """

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def __call__(self, cells: Sequence[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue()[:-2] + "\n"


def write_csv(
    s3: Any, bucket: str, key: str, header: Iterable[str], rows: Iterable[list[str]], part_size: int = PART_SIZE
) -> int:
    """Stream ``rows`` as a UTF-8 CSV to S3; returns the number of data rows.

    Rows are formatted into a small text buffer that is encoded and handed to the uploader every
    ``TEXT_CHUNK`` characters, so memory holds one chunk plus one part whatever the row count. On
    any error the multipart upload is aborted: no partial report is ever left behind.
    """
    out = S3StreamWriter(s3, bucket, key, "text/csv; charset=utf-8", part_size)
    text = io.StringIO()
    record = CsvRecords()
    count = 0
    try:
        text.write(record(list(header)))
        for row in rows:
            text.write(record(row))
            count += 1
            if text.tell() >= TEXT_CHUNK:
                out.write(text.getvalue().encode())
                text.seek(0)
                text.truncate()
        out.write(text.getvalue().encode())
        out.finish()
    except BaseException:
        out.abort()
        raise
    return count


@dataclass
class Tally:
    targets: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[list[str]] = field(default_factory=list)
    # Status items of succeeded targets with rows, in key order: the report reads these objects.
    with_rows: list[tuple[str, str]] = field(default_factory=list)
    # (account id, region) of every status counted: the planned targets are reconciled with them.
    recorded: set[tuple[str, str]] = field(default_factory=set)
    # Planned targets with no status at all (added by ``reconcile``): they never ran to the end.
    never_run: int = 0
    # Targets not started because the run's MaxErrors was exceeded (status NOT_RUN; in errors.csv too).
    not_run: int = 0


CODE_LIMIT = 200


def tally(statuses: Iterable[dict[str, Any]]) -> Tally:
    """Count the statuses; failed targets become error rows (few, so they are kept)."""
    t = Tally()
    for s in statuses:
        t.targets += 1
        t.recorded.add((str(s.get("account_id", "")), str(s.get("region", ""))))
        status = s.get("status")
        if status == store.SUCCEEDED:
            t.succeeded += 1
            if int(s.get("rows", 0)) > 0:
                t.with_rows.append((s["account_id"], s["region"]))
        elif status == store.SKIPPED:
            t.skipped += 1
        else:
            if status == store.NOT_RUN:
                t.not_run += 1
            else:
                t.failed += 1
            t.failures.append(
                [
                    store.format_cell(s.get("account_id", "")),
                    store.format_cell(s.get("account_name", "")),
                    store.format_cell(s.get("region", "")),
                    # Scrubbed here too: a message the state machine caught was never the worker's.
                    store.format_cell(safe_message(str(s.get("error_code") or "Unknown"), CODE_LIMIT)),
                    store.format_cell(safe_message(error_message(s.get("error_message", "")))),
                ]
            )
    return t


NOT_RECORDED = "NotRecorded"
NOT_RUN = "NotRun"
MAP_FAILED = "MapFailed"
RECONCILE_MESSAGES = {
    NOT_RECORDED: (
        "planned by the fanout, but no status was recorded: the worker or the status write failed after its "
        "retries, or its batch's child execution failed; run the operation again for this target"
    ),
    NOT_RUN: "planned by the fanout, but the execution ended before this target finished",
    MAP_FAILED: (
        "planned by the fanout, but the Map state failed as a whole before this target finished (its batch's "
        "child execution failed or timed out, or too many did; MapError in the summary says which error); "
        "run the operation again for this target"
    ),
}
MAP_ERROR_CAUSE_CHARS = 1_000  # the summary is the execution's output: keep the cause short


def map_error(raw: Any) -> dict[str, str] | None:
    """The Map state's caught error (``{"Error", "Cause"}``) for the summary, scrubbed and short; None
    when the Map did not fail (the fanout's ``"MapError": null``, or an event without it)."""
    if not isinstance(raw, Mapping):
        return None
    return {
        "Error": safe_message(str(raw.get("Error") or "Unknown"), CODE_LIMIT),
        "Cause": safe_message(str(raw.get("Cause") or ""), MAP_ERROR_CAUSE_CHARS),
    }


def planned_targets(batches: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The targets of the fanout's plan (``targets/...json``: ``[{"Targets": [...]}, ...]``), in order."""
    return [dict(t) for batch in batches for t in batch.get("Targets", [])]


def reconcile(t: Tally, planned: Iterable[Mapping[str, str]], code: str) -> Tally:
    """Add each planned target without a status to ``t`` as a failure with ``code``: none is lost."""
    for target in planned:
        key = (str(target["AccountId"]), str(target["Region"]))
        if key in t.recorded:
            continue
        t.recorded.add(key)
        t.targets += 1
        t.failed += 1
        t.never_run += 1
        t.failures.append(
            [
                store.format_cell(target["AccountId"]),
                store.format_cell(target.get("AccountName", "")),
                store.format_cell(target["Region"]),
                store.format_cell(code),
                store.format_cell(RECONCILE_MESSAGES[code]),
            ]
        )
    return t


def stopped(run: Mapping[str, Any] | None, t: Tally) -> str | None:
    """Why the run stopped starting targets (a wave's gate, or MaxErrors exceeded), for the summary; None
    when it did not. A wave's reason (orgops.waves, in the run's item) starts with ``"wave "``."""
    if run and run.get("stopped"):
        return str(run["stopped"])
    if not run or "max_errors" not in run or not t.not_run:
        return None
    given, limit = str(run.get("max_errors_input", run["max_errors"])), int(run["max_errors"])
    of = "" if given == str(limit) else f" ({given} of {run.get('planned', t.targets)} planned targets: {limit})"
    return (
        f"MaxErrors {given} exceeded{of}: {t.failed} targets failed, more than the {limit} allowed, so "
        f"{t.not_run} targets were not run (NOT_RUN, listed in the errors CSV)"
    )


def error_message(raw: str) -> str:
    """The readable message of a failure recorded in the status table.

    A worker's own failure is plain text. A failure the state machine caught is
    ``States.JsonToString($.Failure)``: ``{"Error": ..., "Cause": ...}`` where a Lambda error's
    ``Cause`` is itself JSON ``{"errorMessage", "errorType", "stackTrace"}``. Keep the message.
    """
    parsed = _json(raw)
    if not isinstance(parsed, dict):
        return raw
    if "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    if "Cause" in parsed or "Error" in parsed:
        cause = parsed.get("Cause")
        inner = _json(cause) if isinstance(cause, str) else cause
        if isinstance(inner, dict) and "errorMessage" in inner:
            return str(inner["errorMessage"])
        if cause:
            return str(cause)
        return str(parsed.get("Error") or raw)
    return raw


def _json(raw: Any) -> Any:
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def summary_text(summary: dict[str, Any]) -> str:
    not_run = f", {summary['NotRun']} not run" if summary.get("NotRun") else ""
    lines = [
        f"orgops {summary['Operation']}: {summary['Succeeded']} succeeded, {summary['Failed']} failed, "
        f"{summary['Skipped']} skipped{not_run} of {summary['Targets']} targets; {summary['Rows']} rows.",
        f"Report: {summary['ReportUri']}",
    ]
    if summary.get("MapError"):
        lines.insert(
            0, f"The Map state failed ({summary['MapError']['Error']}): the report lists every planned target."
        )
    if summary.get("NeverRun"):
        lines.append(f"{summary['NeverRun']} planned targets never ran to the end (in the errors CSV).")
    if summary.get("Stopped"):
        by = "Stopped by " if stopped_by_wave(summary) else "Stopped: "
        lines.insert(0, f"{by}{summary['Stopped']}.")
    if summary.get("RetryOf"):
        lines.append(f"Retry of: {summary['RetryOf']}")
    if summary["ErrorsUri"]:
        lines.append(f"Errors: {summary['ErrorsUri']}")
    lines.extend(plan_lines(summary))
    _lead_with_changes(lines, summary)
    return "\n".join(lines)


def plan_lines(summary: Mapping[str, Any]) -> list[str]:
    """A remediation's dry run: its plan; an applying run: what it made of the changes, its change log."""
    if summary.get("PlanUri"):
        return [
            f"Plan: {summary['Planned']} changes, {summary['PlanDigest']}, until {summary['PlanExpiresAt']}: "
            f"review {summary['PlanUri']}, then orgops apply it"
        ]
    if summary.get("AuditUri"):
        return [
            f"Applied {summary['Applied']} changes ({summary['ChangesFailed']} failed, {summary['Stale']} stale, "
            f"{summary['NotPlanned']} not planned). Change log: {summary['AuditUri']}"
        ]
    return []


def _lead_with_changes(lines: list[str], summary: Mapping[str, Any]) -> None:
    """What changed since the baseline first (orgops.changes), when the run was compared with one."""
    lead = changes.lead_line(summary, changes.noun_of(str(summary["Operation"])))
    if lead is None:
        return
    lines.insert(0, lead)
    if summary.get("ChangesUri"):
        lines.append(f"Changes: {summary['ChangesUri']}")


def subject_line(summary: Mapping[str, Any], status: str) -> str:
    """``orgops OP: +12 new unused EBS volumes, 3 resolved, 1 changed (OK)`` when that fits SNS's 100
    characters, else ``orgops OP: OK``."""
    plain = f"orgops {summary['Operation']}: {status}"
    if not summary.get("ComparedWith") or "New" not in summary:
        return plain[:100]
    counts = changes.counts_text(summary, changes.noun_of(str(summary["Operation"])))
    counted = f"orgops {summary['Operation']}: {counts} ({status})"
    return counted if len(counted) <= 100 else plain[:100]


def stopped_by_wave(summary: Mapping[str, Any]) -> bool:
    """Whether a wave's gate stopped the run (its ``Stopped`` names the wave), not MaxErrors inside one."""
    return bool(summary.get("Waves")) and str(summary.get("Stopped") or "").startswith("wave ")


def publish_sns(sns: Any, topic_arn: str, summary: dict[str, Any]) -> None:
    stop = "STOPPED (wave)" if stopped_by_wave(summary) else "STOPPED (MaxErrors)"
    status = stop if summary.get("Stopped") else "FAILED TARGETS" if summary["Failed"] else "OK"
    subject = subject_line(summary, status)
    sns.publish(TopicArn=topic_arn, Subject=subject, Message=summary_text(summary))


def slack_webhook_url(session: Any, name: str) -> str:
    """Read the webhook URL from Secrets Manager (an ARN) or SSM Parameter Store (a name)."""
    if name.startswith("arn:") and ":secretsmanager:" in name:
        secrets = client(session, "secretsmanager")
        return str(secrets.get_secret_value(SecretId=name)["SecretString"]).strip()
    ssm = client(session, "ssm")
    return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]).strip()


Poster = Callable[[str, bytes], None]


def post_json(url: str, body: bytes) -> None:
    if not url.startswith("https://"):
        raise ValueError("the Slack webhook URL must start with https://")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310 - https only, checked above
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - https only, checked above
        response.read()


def post_slack(url: str, summary: dict[str, Any], poster: Poster = post_json) -> None:
    poster(url, json.dumps({"text": summary_text(summary)}).encode())


def prefetched(fetch: Callable[[_In], _Out], items: Iterable[_In], ahead: int) -> Iterator[_Out]:
    """``fetch(item)`` of every item, in the items' order, computed by up to ``ahead`` threads.

    At most ``ahead`` results are fetched (or being fetched) beyond the one last yielded, so at
    most ``ahead + 1`` results are held at once. A call that raised raises its exception when its
    turn comes, after every earlier result was yielded. However the generator stops (exhausted,
    an exception, or closed early by its consumer), calls not yet started are cancelled and
    running ones are waited for: no thread outlives it.
    """
    if ahead < 1:
        raise ValueError("ahead must be at least 1")
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="orgops-read-ahead") as pool:
        pending: deque[Future[_Out]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fetch, item))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
        # Leaving the ``with`` block waits for the calls still running.


def report_rows(
    s3: Any, bucket: str, execution: store.ExecutionRef, with_rows: Iterable[tuple[str, str]]
) -> Generator[list[str], None, None]:
    """Every stored row of the targets in ``with_rows``, in that order.

    A generator: nothing is read before the first row is asked for. The targets' objects are then
    fetched by ``READ_AHEAD`` threads (``s3``, a botocore client, is thread-safe) at most
    ``READ_AHEAD`` objects ahead of the one being read, so the GETs' latencies overlap instead of
    adding up. Memory: up to ``READ_AHEAD + 1`` objects' bodies (each one target's rows, which its
    worker held in memory too), and rows are parsed and handed out one at a time. An object that
    cannot be read raises the client's error, as a sequential read would, once the rows of every
    target before it were yielded. Closing the generator stops the reads and waits for the running
    ones.
    """
    keys = (store.rows_key(execution, Target(account_id, "", region)) for account_id, region in with_rows)
    for body in prefetched(partial(store.fetch_rows, s3, bucket), keys, READ_AHEAD):
        yield from store.parse_rows(body)
