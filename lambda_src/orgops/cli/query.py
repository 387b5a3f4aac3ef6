"""``orgops query "SQL"``: SQL over the runs' data set on this machine, with DuckDB.

The tables are Athena's (``modules/dataset``), made from the same definition
(``orgops.dataset.tables``): ``rows_<operation>`` (hyphens as underscores) for every registered
operation, ``statuses`` and ``summaries``, each with the same columns and types, the partition
columns ``operation`` and ``run_date`` last. They are views over the data set's JSON Lines found
under ``--data DIR`` (default ``./reports``, where ``orgops run``, ``report`` and ``local`` save
each run's ``dataset/`` folder), or downloaded first from ``--s3 s3://BUCKET[/PREFIX]`` (default
prefix ``dataset/``) with boto3: DuckDB's S3 extension is not bundled and would be downloaded
at run time, which an offline machine cannot do. A run found twice (saved to two folders) is
read once. A table without data is an empty view, so every query of the README works on any
folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from orgops import dataset, operations
from orgops.cli.common import Aws, UsageError, add_aws_arguments, guarded

DEFAULT_DATA = Path("reports")
OUTPUTS = ("table", "csv", "json")
INSTALL = (
    "orgops query needs DuckDB, which is not installed: pip install 'orgops[query]' (or make test, which installs it)"
)

EPILOG = """\
examples:
  orgops query "SELECT operation, count(*) AS runs FROM summaries GROUP BY operation"
  orgops query "SELECT * FROM rows_public_ips WHERE run_date >= '2026-01-01'" --output csv > ips.csv
  orgops query "SELECT account_id, error_code FROM statuses WHERE status = 'FAILED'" --data /tmp/run1
  orgops query "SELECT count(*) FROM rows_vpcs" --s3 s3://orgops-data-111122223333-eu-west-1 --output json

Tables (the Athena tables of modules/dataset, same columns and types):
  rows_<operation>   every run's rows: the report's columns, then execution_id, run_time
  statuses           every run's targets: account_id, account_name, region, status, row_count,
                     error_code, error_message, execution_id, run_time
  summaries          every run: targets, succeeded, failed, skipped, row_count, never_run, status,
                     partial, map_error, report_uri, errors_uri, execution_id, run_time
  each ends with the partitions operation and run_date (YYYY-MM-DD, the run's start, UTC)."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "query",
        help="SQL over the runs' data set (downloaded reports or S3), with DuckDB: Athena's tables",
        description="Run SQL over every run's rows, statuses and summaries, with the tables and columns of the "
        "Athena tables (modules/dataset).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sql", metavar="SQL", help="the query (one statement)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="a folder holding saved runs (default: ./reports, where orgops run/report/local save them)",
    )
    where.add_argument(
        "--s3",
        metavar="s3://BUCKET[/PREFIX]",
        help="download the data set from the data bucket first (prefix dataset/)",
    )
    p.add_argument(
        "--output", choices=OUTPUTS, default="table", help="table (default), csv or json (a list of objects)"
    )
    add_aws_arguments(p)
    p.set_defaults(func=cmd_query)


# ---- finding the data set ------------------------------------------------------------------------


def run_files(root: Path) -> dict[str, dict[str, list[Path]]]:
    """The data set's files under ``root``: kind -> operation -> files, each run once (the same
    ``<kind>/operation=/run_date=/<name>.jsonl`` saved in two folders is one run), sorted."""
    found: dict[str, dict[str, dict[str, Path]]] = {kind: {} for kind in dataset.KINDS}
    for path in sorted(root.rglob(f"*{dataset.SUFFIX}")):
        parts = path.relative_to(root).parts
        if len(parts) < 5 or parts[-5] != dataset.PREFIX or parts[-4] not in found:
            continue
        operation, run_date = parts[-3], parts[-2]
        if not operation.startswith("operation=") or not run_date.startswith("run_date="):
            continue
        name = operation.removeprefix("operation=")
        found[parts[-4]].setdefault(name, {}).setdefault("/".join(parts[-4:]), path)
    return {kind: {op: sorted(files.values()) for op, files in ops.items()} for kind, ops in found.items()}


def download(s3: Any, uri: str, into: Path) -> Path:
    """The objects under ``s3://bucket/prefix`` (default prefix ``dataset/``) into ``into``, keys kept."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise UsageError(f"--s3 {uri!r} is not an S3 URI such as s3://orgops-data-111122223333-eu-west-1")
    prefix = prefix or f"{dataset.PREFIX}/"
    root = into.resolve()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if not key.endswith(dataset.SUFFIX):
                continue
            relative = PurePosixPath(key)
            target = (root / Path(*relative.parts)).resolve()
            if ".." in relative.parts or not target.is_relative_to(root):
                continue  # a key that would land outside the folder is no data set object
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
    return root


# ---- the views -----------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _types(columns: Sequence[dataset.Column]) -> str:
    """A DuckDB struct literal of column name -> DuckDB type."""
    return "{" + ", ".join(f"{_quoted(c.name)}: {_quoted(dataset.TYPES[c.type])}" for c in columns) + "}"


def view_sql(table: dataset.Table, files: Sequence[Path]) -> str:
    """``CREATE VIEW`` of ``table`` over ``files``: its columns with their types, then the partitions.

    Built as text (a view takes no parameters): the names are orgops.dataset's (lowercase letters,
    digits, underscores) and double-quoted, the file names and types single-quoted literals."""
    everything = (*table.columns, *dataset.PARTITION_KEYS)
    if not files:
        empty = ", ".join(f"CAST(NULL AS {dataset.TYPES[c.type]}) AS {_identifier(c.name)}" for c in everything)
        return f"CREATE VIEW {_identifier(table.name)} AS SELECT {empty} WHERE false"
    select = ", ".join(_identifier(c.name) for c in everything)
    listed = "[" + ", ".join(_quoted(str(f)) for f in files) + "]"
    return (
        f"CREATE VIEW {_identifier(table.name)} AS SELECT {select} FROM read_json({listed}, "  # noqa: S608 - see above
        f"format = 'newline_delimited', columns = {_types(table.columns)}, "
        f"hive_partitioning = true, hive_types = {_types(dataset.PARTITION_KEYS)})"
    )


def connect(root: Path) -> Any:
    """A DuckDB connection with a view per table of the registered operations over ``root``'s data set."""
    try:
        import duckdb
    except ImportError:
        raise UsageError(INSTALL) from None
    # Nothing is fetched from the network: JSON is built in, and no extension is installed on use.
    connection = duckdb.connect(config={"autoinstall_known_extensions": False})
    files = run_files(root)
    tables, _missing = dataset.tables(operations.REGISTRY)
    for table in tables.values():
        if table.kind == dataset.ROWS:
            found = files[dataset.ROWS].get(str(table.operation), [])
        else:
            found = [f for fs in files[table.kind].values() for f in fs]
        connection.execute(view_sql(table, found))
    return connection


def query(root: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and rows of ``sql`` over the data set under ``root``."""
    connection = connect(root)  # refuses first when DuckDB is not installed
    import duckdb

    try:
        result = connection.execute(sql)
    except duckdb.Error as exc:
        raise UsageError(f"the query failed: {exc}") from None
    if result.description is None:
        return [], []
    return [d[0] for d in result.description], result.fetchall()


# ---- output --------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value as JSON has it: timestamps as Athena shows them (``YYYY-MM-DD HH:MM:SS.fff``)."""
    if isinstance(value, datetime):
        return dataset.timestamp_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write(columns: Sequence[str], rows: Sequence[Sequence[Any]], output: str, stream: TextIO) -> None:
    if output == "json":
        json.dump([{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows], stream, indent=2)
        stream.write("\n")
        return
    if output == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(v) for v in row] for row in rows)
        return
    texts = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in texts)]) for i, c in enumerate(columns)]
    for line in _table_lines(columns, texts, widths):
        stream.write(line.rstrip() + "\n")
    stream.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _table_lines(columns: Sequence[str], rows: list[list[str]], widths: list[int]) -> Iterator[str]:
    yield "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    yield "  ".join("-" * w for w in widths)
    for row in rows:
        yield "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))


@guarded
def cmd_query(args: argparse.Namespace) -> int:
    if args.s3:
        aws = Aws.from_args(args)
        with tempfile.TemporaryDirectory(prefix="orgops-query-") as work:
            root = download(aws.client("s3"), args.s3, Path(work))
            columns, rows = query(root, args.sql)
    else:
        root = args.data or DEFAULT_DATA
        if not root.is_dir():
            raise UsageError(
                f"--data {root}: no such folder; save runs with orgops run, report or local (they write ./reports/), "
                "or give --s3 s3://<data bucket>"
            )
        columns, rows = query(root, args.sql)
    write(columns, rows, args.output, sys.stdout)
    return 0
