"""Every run as a data set: its rows, its targets' statuses and its summary, typed JSON Lines in the
data bucket, partitioned by operation and run date, for Athena (``modules/dataset``) and DuckDB
(``orgops query``), which read them with the same tables.

The report writes, next to report.csv (the same rows, from the same stream)::

    dataset/rows/operation=<operation>/run_date=<YYYY-MM-DD>/<execution name>.jsonl
    dataset/statuses/operation=<operation>/run_date=<YYYY-MM-DD>/<execution name>.jsonl
    dataset/summaries/operation=<operation>/run_date=<YYYY-MM-DD>/<execution name>.jsonl

one JSON object per line: a report row (the report's columns, then ``execution_id`` and
``run_time``), a target's status, or the run's summary. The run date and ``run_time`` are the
execution's start (UTC), so a run is in one partition however long it runs, and a report written
again for the same execution overwrites its own objects.

Values: the cells of report.csv (the same text, formula escape included), typed by the columns'
declared types (``Operation.column_types``; default string): ``bigint``/``double`` as JSON
numbers, ``boolean`` as true/false, ``timestamp`` as ``YYYY-MM-DD HH:MM:SS.fff`` in UTC (the
format Athena's Hive JSON SerDe reads without configuration), ``date`` as ``YYYY-MM-DD``, an empty
cell of a typed column as null. Lists and tag maps stay the report's text (``a;b``,
``k=v;k=v``). A cell that does not read as its column's type is null (and counted in the log).

``tables()`` is the one definition of the tables: the manifest (``dist/operations.json``) carries
it, Terraform makes the Glue tables from it, ``orgops query`` makes its DuckDB views from it.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from orgops import report, store
from orgops.operations.base import TARGET_COLUMNS, Operation
from orgops.text import safe_message

LOG = logging.getLogger(__name__)

PREFIX = "dataset"
ROWS, STATUSES, SUMMARIES = "rows", "statuses", "summaries"
KINDS = (ROWS, STATUSES, SUMMARIES)
SUFFIX = ".jsonl"
# Glue (Athena) type -> DuckDB type. The only types a column can be declared with.
TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}
DEFAULT_TYPE = "string"
# Glue and Athena column and table names: lowercase letters, digits, underscores (Hive's rule).
NAME = re.compile(r"[a-z_][a-z0-9_]{0,254}")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Column:
    name: str
    type: str

    def describe(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type}


# Every table is partitioned by these (the path's ``operation=``, ``run_date=``): Athena projects
# them (modules/dataset), DuckDB reads them from the path (hive partitioning). run_date is text
# (``YYYY-MM-DD``, which sorts as dates do), as Athena's date projection documents it.
PARTITION_KEYS = (Column("operation", "string"), Column("run_date", "string"))
RUN_COLUMNS = (Column("execution_id", "string"), Column("run_time", "timestamp"))
STATUS_COLUMNS = (
    *(Column(c, "string") for c in TARGET_COLUMNS),
    Column("status", "string"),
    Column("row_count", "bigint"),
    Column("error_code", "string"),
    Column("error_message", "string"),
    *RUN_COLUMNS,
)
SUMMARY_COLUMNS = (
    Column("targets", "bigint"),
    Column("succeeded", "bigint"),
    Column("failed", "bigint"),
    Column("skipped", "bigint"),
    Column("row_count", "bigint"),
    Column("never_run", "bigint"),
    # SUCCEEDED, or the final status of a partial report (FAILED, TIMED_OUT, ABORTED).
    Column("status", "string"),
    Column("partial", "boolean"),
    Column("map_error", "string"),
    Column("report_uri", "string"),
    Column("errors_uri", "string"),
    *RUN_COLUMNS,
)
RESERVED = frozenset(c.name for c in (*RUN_COLUMNS, *PARTITION_KEYS))


@dataclass(frozen=True)
class Table:
    """One table of the data set: ``rows_<operation>`` (one per operation), ``statuses``, ``summaries``."""

    name: str
    kind: str
    operation: str | None  # the operation of a rows table; None: every operation's (statuses, summaries)
    columns: tuple[Column, ...]

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "operation": self.operation,
            "columns": [c.describe() for c in self.columns],
        }


STATUSES_TABLE = Table(STATUSES, STATUSES, None, STATUS_COLUMNS)
SUMMARIES_TABLE = Table(SUMMARIES, SUMMARIES, None, SUMMARY_COLUMNS)


class NoTable(ValueError):
    """The operation's columns cannot make a table (its rows stay in report.csv only)."""


def column_types(op: Operation) -> dict[str, str]:
    """The type of each of the report's columns (the target columns and ``columns``): the declared
    ``column_types``, string otherwise. A declaration naming an unknown column or type is refused."""
    declared = dict(getattr(op, "column_types", None) or {})
    unknown = sorted(set(declared) - set(op.columns))
    if unknown:
        raise ValueError(f"{op.name}: column_types names {unknown}, which are not among its columns {list(op.columns)}")
    bad = {c: t for c, t in declared.items() if t not in TYPES}
    if bad:
        raise ValueError(f"{op.name}: column_types {bad}: each type must be one of {', '.join(TYPES)}")
    return {c: declared.get(c, DEFAULT_TYPE) for c in op.report_columns}


def table_name(operation: str) -> str:
    return "rows_" + operation.lower().replace("-", "_")


def rows_table(op: Operation) -> Table:
    """``rows_<operation>``: the report's columns with their types, then ``execution_id``, ``run_time``.
    Raises ``NoTable`` when the names cannot be Glue's (lowercase letters, digits, underscores) or
    take one of the data set's own (``execution_id``, ``run_time``, ``operation``, ``run_date``)."""
    types = column_types(op)
    name = table_name(op.name)
    if not NAME.fullmatch(name):
        raise NoTable(f"{op.name}: its table name {name!r} is not lowercase letters, digits and underscores")
    bad = [c for c in types if not NAME.fullmatch(c)]
    if bad:
        raise NoTable(f"{op.name}: the columns {bad} are not lowercase letters, digits and underscores")
    taken = sorted(RESERVED & set(types))
    if taken:
        raise NoTable(f"{op.name}: the columns {taken} are the data set's own")
    return Table(name, ROWS, op.name, (*(Column(c, t) for c, t in types.items()), *RUN_COLUMNS))


def tables(registry: Mapping[str, Operation]) -> tuple[dict[str, Table], dict[str, str]]:
    """Every table (by name), and why an operation has none (by operation)."""
    found = {STATUSES: STATUSES_TABLE, SUMMARIES: SUMMARIES_TABLE}
    missing: dict[str, str] = {}
    for name, op in sorted(registry.items()):
        try:
            table = rows_table(op)
        except NoTable as exc:
            missing[name] = str(exc)
            continue
        if table.name in found:
            missing[name] = f"{name}: its table name {table.name!r} is another operation's"
            continue
        found[table.name] = table
    return found, missing


def manifest_section(registry: Mapping[str, Operation]) -> dict[str, Any]:
    """The manifest's ``dataset``: what modules/dataset makes its Glue tables from."""
    found, missing = tables(registry)
    return {
        "prefix": f"{PREFIX}/",
        "partition_keys": [c.describe() for c in PARTITION_KEYS],
        "tables": {name: t.describe() for name, t in sorted(found.items())},
        "unavailable": missing,
    }


# ---- run time and keys ----------------------------------------------------------------------


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive one is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def run_date(started: datetime) -> str:
    return utc(started).date().isoformat()


def keys(operation: str, execution_name: str, started: datetime) -> dict[str, str]:
    """The run's objects, by kind."""
    where = f"operation={operation}/run_date={run_date(started)}/{execution_name}{SUFFIX}"
    return {kind: f"{PREFIX}/{kind}/{where}" for kind in KINDS}


def run_started(event: Mapping[str, Any], sfn: Callable[[], Any], execution_arn: str) -> datetime:
    """When the execution started (the run's time): the report event's ``StartTime`` (ISO 8601;
    ``orgops local`` gives it), EventBridge's ``detail.startDate`` (epoch milliseconds), else the
    execution's first history event (``sfn()`` makes the client). Unreadable (no permission, an
    execution gone), the report's own time, with a warning: the data set is written all the same."""
    detail = event.get("detail")
    try:
        if event.get("StartTime"):
            return utc(datetime.fromisoformat(str(event["StartTime"])))
        if isinstance(detail, Mapping) and isinstance(detail.get("startDate"), (int, float)):
            return datetime.fromtimestamp(detail["startDate"] / 1000, UTC)
        return execution_started(sfn(), execution_arn)
    except (ClientError, ValueError, KeyError) as exc:
        LOG.warning("the start of %s is unknown (%s): the data set dates the run now", execution_arn, exc)
        return datetime.now(UTC)


def execution_started(sfn: Any, execution_arn: str) -> datetime:
    """When the execution started: its history's first event (``ExecutionStarted``)."""
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1, reverseOrder=False)["events"]
    if not events:
        raise ValueError(f"{execution_arn} has no history")
    return utc(events[0]["timestamp"])


# ---- values ---------------------------------------------------------------------------------


def timestamp_text(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.fff`` in UTC: java.sql.Timestamp's text, which Athena's JSON SerDe reads."""
    moment = utc(moment)
    return f"{moment.strftime(TIMESTAMP_FORMAT)}.{moment.microsecond // 1000:03d}"


def _unescaped(cell: str) -> str:
    # A typed value is never text: a leading formula escape (a negative number an operation gave as
    # text) is not part of it.
    return cell[1:] if cell.startswith("'") else cell


def _bigint(cell: str) -> int:
    if re.fullmatch(r"-?\d+", cell):
        number = int(cell)
    else:
        floating = float(cell)  # 8.0, 1e3: whole numbers written as floats
        if not floating.is_integer():
            raise ValueError(cell)
        number = int(floating)
    if not -(2**63) <= number < 2**63:
        raise ValueError(cell)
    return number


def _double(cell: str) -> float:
    number = float(cell)
    if not math.isfinite(number):  # JSON has no NaN or infinity
        raise ValueError(cell)
    return number


def _boolean(cell: str) -> bool:
    if cell not in ("true", "false"):
        raise ValueError(cell)
    return cell == "true"


def _timestamp(cell: str) -> str:
    return timestamp_text(datetime.fromisoformat(cell))


def _date(cell: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return date.fromisoformat(cell).isoformat()
    return utc(datetime.fromisoformat(cell)).date().isoformat()


_PARSERS = {"bigint": _bigint, "double": _double, "boolean": _boolean, "timestamp": _timestamp, "date": _date}


class Unreadable(ValueError):
    pass


def value(kind: str, cell: str) -> Any:
    """The JSON value of a report cell in a column of type ``kind``; raises ``Unreadable``."""
    if kind == "string":
        return cell
    if cell == "":
        return None
    try:
        return _PARSERS[kind](_unescaped(cell))
    except (ValueError, OverflowError):
        raise Unreadable(f"{cell!r} is not a {kind}") from None


def record(columns: Iterable[Column], cells: Iterable[Any]) -> tuple[dict[str, Any], list[str]]:
    """One line's object, and the names of the columns whose cell did not read as their type (null)."""
    out: dict[str, Any] = {}
    unreadable: list[str] = []
    for column, cell in zip(columns, cells, strict=True):
        try:
            out[column.name] = value(column.type, cell) if isinstance(cell, str) else cell
        except Unreadable:
            out[column.name] = None
            unreadable.append(column.name)
    return out, unreadable


def line(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


# ---- writing a run's data set ------------------------------------------------------------------


class JsonLinesUpload:
    """JSON Lines streamed to one S3 object (multipart past a part), at most one chunk and one part in
    memory; nothing is written when no line was."""

    def __init__(self, s3: Any, bucket: str, key: str, part_size: int = report.PART_SIZE) -> None:
        self._out = report.S3StreamWriter(s3, bucket, key, "application/x-ndjson", part_size)
        self._text = io.StringIO()
        self.lines = 0

    def write(self, obj: Mapping[str, Any]) -> None:
        self._text.write(line(obj))
        self.lines += 1
        if self._text.tell() >= report.TEXT_CHUNK:
            self._flush()

    def _flush(self) -> None:
        self._out.write(self._text.getvalue().encode())
        self._text.seek(0)
        self._text.truncate()

    def finish(self) -> None:
        if self.lines == 0:
            return
        self._flush()
        self._out.finish()

    def abort(self) -> None:
        self._out.abort()


def status_record(status: Mapping[str, Any]) -> dict[str, Any]:
    """A status item (``store.iter_statuses``) as the statuses table's line, minus the run columns:
    the cells of a failed target exactly as errors.csv has them (``report.tally``)."""
    state = str(status.get("status") or "")
    failed = state not in (store.SUCCEEDED, store.SKIPPED)
    code = str(status.get("error_code") or ("Unknown" if failed else ""))
    return {
        "account_id": store.format_cell(status.get("account_id", "")),
        "account_name": store.format_cell(status.get("account_name", "")),
        "region": store.format_cell(status.get("region", "")),
        "status": state,
        "row_count": int(status.get("rows") or 0),
        "error_code": store.format_cell(safe_message(code, report.CODE_LIMIT)),
        "error_message": store.format_cell(safe_message(report.error_message(status.get("error_message", "")))),
    }


def summary_record(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The run's summary (the report's output) as the summaries table's line, minus the run columns."""
    map_error = summary.get("MapError")
    return {
        "targets": int(summary["Targets"]),
        "succeeded": int(summary["Succeeded"]),
        "failed": int(summary["Failed"]),
        "skipped": int(summary["Skipped"]),
        "row_count": int(summary["Rows"]),
        "never_run": int(summary.get("NeverRun") or 0),
        "status": str(summary.get("Status") or "SUCCEEDED"),
        "partial": bool(summary.get("Partial", False)),
        "map_error": str(map_error["Error"]) if isinstance(map_error, Mapping) else None,
        "report_uri": summary.get("ReportUri"),
        "errors_uri": summary.get("ErrorsUri"),
    }


class RunWriter:
    """One run's data set, written while the report is: ``statuses`` and ``rows`` pass their items
    through (tee), ``finish`` completes the objects and writes the summary; ``abort`` leaves none."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        operation: Operation,
        execution: store.ExecutionRef,
        started: datetime,
        part_size: int = report.PART_SIZE,
    ) -> None:
        self._s3, self._bucket = s3, bucket
        self.started = started  # the execution's start (UTC): the run's time everywhere
        self.keys = keys(operation.name, execution.name, started)
        self._run = {"execution_id": execution.arn, "run_time": timestamp_text(started)}
        try:
            self.table: Table | None = rows_table(operation)
        except ValueError as exc:  # NoTable, or a column_types declaration make package refuses
            LOG.warning("no data set rows for this run: %s", exc)
            self.table = None
        self._statuses = JsonLinesUpload(s3, bucket, self.keys[STATUSES], part_size)
        self._rows = JsonLinesUpload(s3, bucket, self.keys[ROWS], part_size)
        self.unreadable: dict[str, int] = {}

    def statuses(self, items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            self._statuses.write({**status_record(item), **self._run})
            yield item

    def never_run(self, failures: Iterable[list[str]]) -> None:
        """The planned targets ``report.reconcile`` added as failures (their errors.csv cells)."""
        for account_id, account_name, region, code, message in failures:
            self._statuses.write(
                {
                    "account_id": account_id,
                    "account_name": account_name,
                    "region": region,
                    "status": store.FAILED,
                    "row_count": 0,
                    "error_code": code,
                    "error_message": message,
                    **self._run,
                }
            )

    def rows(self, rows: Iterable[list[str]]) -> Iterator[list[str]]:
        columns = self.table.columns[: -len(RUN_COLUMNS)] if self.table else ()
        for cells in rows:
            if self.table is None:
                pass
            elif len(cells) != len(columns):  # a rows object of other columns: report.csv has it as it is
                self.unreadable["(whole row)"] = self.unreadable.get("(whole row)", 0) + 1
            else:
                obj, unreadable = record(columns, cells)
                for name in unreadable:
                    self.unreadable[name] = self.unreadable.get(name, 0) + 1
                self._rows.write({**obj, **self._run})
            yield cells

    def finish(self, summary: Mapping[str, Any]) -> None:
        self._rows.finish()
        self._statuses.finish()
        body = line({**summary_record(summary), **self._run}).encode()
        self._s3.put_object(
            Bucket=self._bucket, Key=self.keys[SUMMARIES], Body=body, ContentType="application/x-ndjson"
        )
        if self.unreadable:
            LOG.warning(
                "data set: cells that do not read as their column's type were stored as null (rows of other "
                "columns were left out): %s",
                ", ".join(f"{c} ({n})" for c, n in sorted(self.unreadable.items())),
            )

    def abort(self) -> None:
        self._rows.abort()
        self._statuses.abort()
