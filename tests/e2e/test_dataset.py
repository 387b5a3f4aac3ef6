"""Each operation's data set, as its state machine's report step writes it in the emulator, read by
DuckDB with the Glue table's declared schema: the columns and types Terraform generates for the
table (``modules/dataset``'s locals, evaluated by ``terraform console``), so an Athena table and
the JSON Lines the report wrote cannot disagree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

import build
from orgops import dataset, operations, store
from tests.e2e.conftest import REGIONS, Emulated
from tests.e2e.test_pipeline import SEEDED, _input
from tests.observability.terraform_eval import evaluate

pytestmark = pytest.mark.e2e
MODULE = Path(__file__).resolve().parents[2] / "modules" / "dataset"


@pytest.fixture(scope="module")
def glue_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What Terraform gives each aws_glue_catalog_table when every operation is deployed."""
    manifest = build.write_manifest(tmp_path_factory.mktemp("dist") / "operations.json")
    variables = {
        "manifest_path": str(manifest),
        "operations": sorted(operations.REGISTRY),
        "data_bucket_name": "orgops-data-123456789012-us-east-1",
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/0e6a4c5b-2f3d-4e1a-9b7c-1a2b3c4d5e6f",
    }
    workdir = tmp_path_factory.mktemp("tf")
    return evaluate(workdir, variables, "jsonencode(local.tables)", module=MODULE, files=("variables.tf", "locals.tf"))


@pytest.fixture(scope="module")
def runs(emulated: Emulated) -> Iterator[dict[str, Any]]:
    """Each seeded operation run once: operation -> its execution."""
    yield {op: emulated.emu.run(op, _input(op)) for op in SEEDED}


def _download(emulated: Emulated, key: str, into: Path) -> Path:
    path = into / key
    path.parent.mkdir(parents=True, exist_ok=True)
    emulated.emu.session().client("s3").download_file(emulated.emu.stack.data_bucket, key, str(path))
    return path


def _keys(emulated: Emulated, operation: str, execution_arn: str) -> dict[str, str]:
    sfn = emulated.emu.session().client("stepfunctions")
    started = dataset.execution_started(sfn, execution_arn)
    return dataset.keys(operation, store.ExecutionRef.parse(execution_arn).name, started)


def read_with_glue_schema(path: Path, table: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows of ``path`` as DuckDB reads them with exactly the table's columns and types
    (``Athena type -> DuckDB type``; a value of another type fails the read), then its partition keys
    from the path, as Athena's ``SELECT *`` shows them."""
    columns = {c["name"]: dataset.TYPES[c["type"]] for c in table["columns"]}
    partitions = {c["name"]: dataset.TYPES[c["type"]] for c in table["partition_keys"]}
    result = duckdb.connect().execute(
        "SELECT * FROM read_json(?, format = 'newline_delimited', columns = ?, hive_partitioning = true, "
        "hive_types = ?)",
        [str(path), columns, partitions],
    )
    return [d[0] for d in result.description], result.fetchall()


def as_cell(kind: str, value: Any) -> str:
    """A typed value back as the report's cell text, for comparing with report.csv."""
    if value is None:
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if isinstance(value, datetime):
        return dataset.timestamp_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def normalised_cell(kind: str, cell: str) -> str:
    """A report.csv cell as the data set writes it (timestamps in UTC with milliseconds)."""
    value = dataset.value(kind, cell)
    return as_cell(kind, value) if kind != "string" else cell


@pytest.mark.parametrize("operation", SEEDED)
def test_the_json_lines_the_report_wrote_read_with_the_glue_tables_schema_are_the_report_rows(
    emulated: Emulated, runs: dict[str, Any], glue_tables: dict[str, Any], operation: str, tmp_path: Path
) -> None:
    ex = runs[operation]
    assert ex.status == "SUCCEEDED", ex.cause
    table = glue_tables[dataset.table_name(operation)]
    path = _download(emulated, _keys(emulated, operation, ex.arn)["rows"], tmp_path)

    names, rows = read_with_glue_schema(path, table)

    # every line holds exactly the table's columns: nothing the table would not show, nothing missing
    columns = [c["name"] for c in table["columns"]]
    assert [list(json.loads(line)) for line in path.read_text().splitlines()] == [columns] * len(rows)
    assert names == [*columns, "operation", "run_date"]
    assert {row[-2:] for row in rows} == {(operation, path.parent.name.removeprefix("run_date="))}
    kinds = {c["name"]: c["type"] for c in table["columns"]}
    report_columns = list(operations.get(operation).report_columns)
    expected = [
        [normalised_cell(kinds[c], r[c]) for c in report_columns] for r in emulated.emu.read_csv(ex.output["ReportUri"])
    ]
    assert [[as_cell(kinds[c], v) for c, v in zip(report_columns, row, strict=False)] for row in rows] == expected
    assert {row[names.index("execution_id")] for row in rows} == {ex.arn}


@pytest.mark.parametrize("kind", ["statuses", "summaries"])
def test_the_statuses_and_summary_read_with_their_glue_schema(
    emulated: Emulated, runs: dict[str, Any], glue_tables: dict[str, Any], kind: str, tmp_path: Path
) -> None:
    ex = runs["unused-ebs-volumes"]
    path = _download(emulated, _keys(emulated, "unused-ebs-volumes", ex.arn)[kind], tmp_path)

    names, rows = read_with_glue_schema(path, glue_tables[kind])
    got = [dict(zip(names, row, strict=True)) for row in rows]

    if kind == "summaries":
        (summary,) = got
        assert {k: summary[k] for k in ("targets", "succeeded", "failed", "skipped", "row_count")} == {
            "targets": ex.output["Targets"],
            "succeeded": ex.output["Succeeded"],
            "failed": ex.output["Failed"],
            "skipped": ex.output["Skipped"],
            "row_count": ex.output["Rows"],
        }
        assert (summary["status"], summary["partial"], summary["execution_id"]) == ("SUCCEEDED", False, ex.arn)
    else:
        assert len(got) == ex.output["Targets"] == len({(s["account_id"], s["region"]) for s in got})
        assert sorted({s["region"] for s in got}) == sorted(REGIONS)
        assert sum(s["row_count"] for s in got) == ex.output["Rows"]
        assert [s["status"] for s in got].count("FAILED") == ex.output["Failed"]
