"""The result store: rows in S3, per-target statuses in DynamoDB.

Rows never travel through Step Functions payloads. A worker writes its target's rows as one
JSON Lines object at a key derived from the execution and the target, so a retried worker
overwrites its own object and a row can never be stored twice. The state machine records each
target's status (SUCCEEDED / FAILED / SKIPPED / NOT_RUN, row count, error) in the status table with
``dynamodb:putItem``, keyed by execution ARN and ``account#region``; the fanout records the
targets it skipped there too. The report reads the statuses in key order and streams the
targets' rows, a few objects ahead, so memory stays bounded whatever the run's row count.

Why S3 for rows rather than one DynamoDB item per row: one PUT per target instead of one write
per row (a 1,000,000-row run is ~1,000 objects, not 1,000,000 items), no 400 KB item limit,
and overwrite-on-retry idempotency for free.
"""

from __future__ import annotations

import io
import json
import random
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from numbers import Number
from typing import Any

from botocore.response import StreamingBody

from orgops.targets import Target

RESULTS_PREFIX = "results"
TARGETS_PREFIX = "targets"
REPORTS_PREFIX = "reports"
MAP_RESULTS_PREFIX = "map-results"

# The status table's key schema and TTL attribute (the Terraform table and the ASL use the same).
STATUS_HASH_KEY = "execution_id"
STATUS_RANGE_KEY = "target"
STATUS_TTL_ATTRIBUTE = "expires_at"

# Rows objects are split into lines in chunks of this size (botocore's default is 1 KiB).
READ_CHUNK = 64 * 1024

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
# Not started because the run's error budget (MaxErrors) was exceeded: the worker returns it
# instead of running the operation, and RecordStatus records it like any other status.
NOT_RUN = "NOT_RUN"
# The run's own item in the status table, beside its targets' (``account#region``; "#" sorts
# before every digit): its error budget, failure counter and what it retries. Written by the fanout
# only when there is a budget or a retry; ``iter_statuses`` never yields it.
RUN_TARGET = "#run"
RUN_ITEM_PREFIX = "#"
# Cells starting with these are formulas to a spreadsheet; they are escaped with a quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LINE_FORMULA = re.compile(r"([\r\n])(?=[=+\-@\t])")  # a line break followed by a formula character


@dataclass(frozen=True)
class ExecutionRef:
    """The parts of an execution ARN the store's keys are made of."""

    arn: str
    state_machine: str
    name: str

    @classmethod
    def parse(cls, arn: str) -> ExecutionRef:
        """Read a standard, express or distributed-Map child execution ARN.

        ``arn:aws:states:eu-west-1:123456789012:execution:orgops-public-ips:run-1``
        ``arn:aws:states:eu-west-1:123456789012:express:orgops-public-ips:run-1:<uuid>``
        ``arn:aws:states:eu-west-1:123456789012:execution:orgops-public-ips/Map:<child>`` (and the
        express child form, with a trailing uuid): the Map run label after ``/`` is dropped, so
        the state machine name is the same for the parent and its children.
        """
        parts = arn.split(":")
        if len(parts) < 8 or parts[0] != "arn" or parts[2] != "states" or parts[5] not in ("execution", "express"):
            raise ValueError(f"not a Step Functions execution ARN: {arn!r}")
        kind, machine, name = parts[5], parts[6].split("/", 1)[0], parts[7]
        if not machine or not name or (kind == "execution" and len(parts) != 8) or len(parts) > 9:
            raise ValueError(f"not a Step Functions execution ARN: {arn!r}")
        return cls(arn=arn, state_machine=machine, name=name)

    @property
    def prefix(self) -> str:
        return f"{self.state_machine}/{self.name}"


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of ``s3://bucket/key``: the one reading of the URIs the report writes."""
    bucket, sep, key = uri[5:].partition("/") if uri.startswith("s3://") else ("", "", "")
    if not bucket or not sep or not key:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return bucket, key


def rows_key(execution: ExecutionRef, target: Target) -> str:
    return f"{RESULTS_PREFIX}/{execution.prefix}/{target.account_id}/{target.region}.jsonl"


def targets_key(execution: ExecutionRef) -> str:
    return f"{TARGETS_PREFIX}/{execution.prefix}/batches.json"


def wave_key(execution: ExecutionRef, number: int) -> str:
    """One wave's targets (``Canary``/``Waves``), in the batches format of ``targets_key``."""
    return f"{TARGETS_PREFIX}/{execution.prefix}/waves/{number}.json"


def report_keys(operation: str, execution: ExecutionRef) -> dict[str, str]:
    base = f"{REPORTS_PREFIX}/{operation}/{execution.name}"
    return {
        "report": f"{base}/report.csv",
        "errors": f"{base}/errors.csv",
        "summary": f"{base}/summary.json",
        "changes": f"{base}/changes.csv",  # what changed since the baseline (orgops.baselines)
    }


def status_key(execution_arn: str, target: Target) -> dict[str, dict[str, str]]:
    return {STATUS_HASH_KEY: {"S": execution_arn}, STATUS_RANGE_KEY: {"S": f"{target.account_id}#{target.region}"}}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return ";".join(f"{_text(k)}={_text(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return ";".join(_text(v) for v in items)
    return str(value)


def format_cell(value: Any) -> str:
    """One CSV cell: lists joined by ';', tag maps as 'k=v;k=v' sorted by key, dates in ISO 8601.

    Text (strings, lists, maps) that a spreadsheet would run as a formula, because it starts with
    one of ``FORMULA_PREFIXES``, gets a leading ``'``; numbers, booleans and dates never do, so a
    negative number stays a number.
    """
    text = _text(value)
    if isinstance(value, (bool, Number, datetime, date)):
        return text
    # A line inside the cell is escaped too: a reader that splits rows on a bare CR or LF (a
    # careless script, an old spreadsheet import) must not meet a formula at a line start.
    text = LINE_FORMULA.sub(r"\1'", text)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def format_row(columns: tuple[str, ...], row: Mapping[str, Any]) -> list[str]:
    """The row's cells in column order; a row with other keys is an operation bug."""
    if set(row) != set(columns):
        missing = sorted(set(columns) - set(row))
        extra = sorted(set(row) - set(columns))
        raise ValueError(f"row does not match the operation's columns: missing {missing}, extra {extra}")
    return [format_cell(row[c]) for c in columns]


def encode_rows(rows: Iterable[list[str]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


def put_rows(s3: Any, bucket: str, key: str, body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")


# What S3 answers for an object that is not there: GetObject's NoSuchKey, a HEAD's 404 / NotFound.
MISSING_OBJECT_CODES = ("NoSuchKey", "404", "NotFound")


def missing_object(exc: Any) -> bool:
    """Whether a botocore ``ClientError`` says the object is not there (rather than any other failure)."""
    return exc.response.get("Error", {}).get("Code") in MISSING_OBJECT_CODES


def fetch_rows(s3: Any, bucket: str, key: str) -> bytes:
    """A rows object's bytes, read whole (the report fetches several at once, in threads)."""
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def parse_rows(body: bytes) -> Iterator[list[str]]:
    """The rows of a rows object, one at a time, its lines split as botocore's ``iter_lines`` does."""
    for line in StreamingBody(io.BytesIO(body), len(body)).iter_lines(chunk_size=READ_CHUNK):
        if line:
            yield json.loads(line)


def iter_statuses(ddb: Any, table: str, execution_arn: str) -> Iterator[dict[str, Any]]:
    """The execution's status items in key order (account id, then region), page by page."""
    pages = ddb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="execution_id = :e",
        ExpressionAttributeValues={":e": {"S": execution_arn}},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page["Items"]:
            if item.get(STATUS_RANGE_KEY, {}).get("S", "").startswith(RUN_ITEM_PREFIX):
                continue  # the run's own item (RUN_TARGET), not a target's status
            yield {k: _plain(v) for k, v in item.items()}


def _plain(value: Mapping[str, Any]) -> Any:
    ((kind, raw),) = value.items()
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "NULL":
        return None
    return raw


def run_key(execution_arn: str) -> dict[str, dict[str, str]]:
    return {STATUS_HASH_KEY: {"S": execution_arn}, STATUS_RANGE_KEY: {"S": RUN_TARGET}}


def run_item(
    execution_arn: str,
    expires_at: int,
    *,
    planned: int,
    max_errors: int | None = None,
    max_errors_text: str | None = None,
    retry_of: str | None = None,
    change: Mapping[str, str] | None = None,
    waves: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The run's own item (``RUN_TARGET``): its budget (MaxErrors as a count of targets, and as given),
    its failure counter (``failures``, 0 until a worker adds to it), the execution it retries and,
    for a mutating operation, ``change``: dry_run, params (JSON), started_by, and the plan applied
    (plan_digest, plan_of, plan_uri)."""
    item: dict[str, Any] = {
        **run_key(execution_arn),
        "planned": {"N": str(planned)},
        "failures": {"N": "0"},
        "expires_at": {"N": str(expires_at)},
    }
    if max_errors is not None:
        item["max_errors"] = {"N": str(max_errors)}
        item["max_errors_input"] = {"S": max_errors_text or str(max_errors)}
    if retry_of:
        item["retry_of"] = {"S": retry_of}
    for name, value in (change or {}).items():
        item[name] = {"S": value}
    # Canary waves (orgops.waves): ``waves`` (how many), ``canary_wave`` (1: wave 1 is the canary),
    # ``distributed_threshold``; the gate adds ``stopped`` (why a wave stopped the run).
    for name, number in (waves or {}).items():
        item[name] = {"N": str(number)}
    return item


def record_stopped(ddb: Any, table: str, execution_arn: str, reason: str) -> None:
    """Keep, in the run's item, why a wave stopped the run (the report's ``Stopped``)."""
    ddb.update_item(
        TableName=table,
        Key=run_key(execution_arn),
        UpdateExpression="SET stopped = :s",
        ExpressionAttributeValues={":s": {"S": reason}},
    )


def read_run(ddb: Any, table: str, execution_arn: str) -> dict[str, Any] | None:
    """The run's own item, plain (None when the fanout wrote none: no budget, not a retry)."""
    item = ddb.get_item(TableName=table, Key=run_key(execution_arn), ConsistentRead=True).get("Item")
    return {k: _plain(v) for k, v in item.items()} if item else None


def read_failures(ddb: Any, table: str, execution_arn: str) -> int:
    """How many targets of the execution have failed so far (the counter workers add to)."""
    run = read_run(ddb, table, execution_arn)
    return int(run.get("failures", 0)) if run else 0


def count_failure(ddb: Any, table: str, execution_arn: str) -> int:
    """Add one failed target to the execution's counter, atomically; returns the new count."""
    answer = ddb.update_item(
        TableName=table,
        Key=run_key(execution_arn),
        UpdateExpression="ADD failures :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(answer.get("Attributes", {}).get("failures", {}).get("N", "0"))


def _target_items(
    execution_arn: str, targets: Iterable[Target], status: str, code: str, message: str, expires_at: int
) -> Iterator[dict[str, Any]]:
    """Status items the fanout writes itself, for planned targets no worker will run."""
    for t in targets:
        yield {
            **status_key(execution_arn, t),
            "account_id": {"S": t.account_id},
            "account_name": {"S": t.account_name},
            "region": {"S": t.region},
            "status": {"S": status},
            "rows": {"N": "0"},
            "error_code": {"S": code},
            "error_message": {"S": message},
            "expires_at": {"N": str(expires_at)},
        }


def skipped_items(
    execution_arn: str, targets: Iterable[Target], reason: str, expires_at: int, message: str | None = None
) -> Iterator[dict[str, Any]]:
    """Status items for targets the fanout did not run (inactive accounts, regions not enabled)."""
    return _target_items(execution_arn, targets, SKIPPED, reason, message or f"account is {reason}", expires_at)


def not_run_items(
    execution_arn: str, targets: Iterable[Target], code: str, message: str, expires_at: int
) -> Iterator[dict[str, Any]]:
    """Status items for planned targets that will never start (a wave stopped the run): NOT_RUN."""
    return _target_items(execution_arn, targets, NOT_RUN, code, message, expires_at)


def batch_write(ddb: Any, table: str, items: Iterable[dict[str, Any]]) -> int:
    """Write items 25 at a time, resubmitting unprocessed ones; returns how many were written."""
    count = 0
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append({"PutRequest": {"Item": item}})
        if len(chunk) == 25:
            count += _write_chunk(ddb, table, chunk)
            chunk = []
    if chunk:
        count += _write_chunk(ddb, table, chunk)
    return count


def _write_chunk(ddb: Any, table: str, chunk: list[dict[str, Any]]) -> int:
    pending: dict[str, Any] = {table: chunk}
    for attempt in range(12):
        pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return len(chunk)
        time.sleep(min(0.05 * 2**attempt, 2.0) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
    raise RuntimeError(f"DynamoDB left {len(pending[table])} items unprocessed after 12 attempts")
