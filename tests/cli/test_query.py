"""`orgops query` over what `orgops local` saved: no AWS account, the Athena tables' names and columns."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from orgops import dataset, operations
from orgops.cli import app as cli
from orgops.cli import query as cli_query
from orgops.cli.common import EXIT_OK, EXIT_USAGE
from tests.cli.conftest import ALPHA, BETA, GAMMA, MANAGEMENT, SmallOrg


def query(sql: str, data: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    capsys.readouterr()
    assert cli.main(["query", sql, "--data", str(data), "--output", "json"]) == EXIT_OK
    return json.loads(capsys.readouterr().out)


def test_a_local_runs_data_set_answers_sql_with_the_athena_tables(
    small_org: SmallOrg, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "run"
    code = cli.main(["local", "unused-ebs-volumes", "--regions", "eu-west-1", "us-east-1", "--out", str(out)])
    assert code == EXIT_OK

    rows = query("SELECT account_id, volume_id, size_gib, volume_type FROM rows_unused_ebs_volumes", tmp_path, capsys)
    statuses = query(
        "SELECT account_id, region, status, row_count, error_code FROM statuses ORDER BY account_id, region",
        tmp_path,
        capsys,
    )
    (summary,) = query("SELECT * FROM summaries", tmp_path, capsys)

    assert rows == [{"account_id": ALPHA, "volume_id": small_org.volume_id, "size_gib": 5, "volume_type": "gp3"}]
    assert statuses == [
        {"account_id": account, "region": region, "status": status, "row_count": count, "error_code": code}
        for account, status, code in (
            (ALPHA, "SUCCEEDED", ""),  # 111111111111
            (MANAGEMENT, "SUCCEEDED", ""),  # 123456789012
            (BETA, "SUCCEEDED", ""),
            (GAMMA, "SKIPPED", "AccountNotActive"),
        )
        for region, count in (("eu-west-1", 1 if account == ALPHA else 0), ("us-east-1", 0))
    ]
    assert list(summary) == [c.name for c in (*dataset.SUMMARY_COLUMNS, *dataset.PARTITION_KEYS)]
    assert (summary["targets"], summary["row_count"], summary["operation"]) == (8, 1, "unused-ebs-volumes")
    assert summary["report_uri"] == (out / "report.csv").resolve().as_uri()  # the local files, as in summary.json


def test_every_table_exists_with_its_columns_even_without_data(tmp_path: Path) -> None:
    names, rows = cli_query.query(tmp_path, "SELECT * FROM rows_vpcs")
    tables, _ = dataset.tables(operations.REGISTRY)

    assert (names, rows) == ([c.name for c in (*tables["rows_vpcs"].columns, *dataset.PARTITION_KEYS)], [])
    assert cli_query.query(tmp_path, "SELECT count(*) AS n FROM statuses")[1] == [(0,)]


def test_the_views_have_the_tables_types(tmp_path: Path) -> None:
    _names, rows = cli_query.query(
        tmp_path,
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'rows_unused_ebs_volumes' "
        "AND column_name IN ('size_gib', 'create_time', 'tags', 'run_date')",
    )

    assert sorted(rows) == [
        ("create_time", "TIMESTAMP"),
        ("run_date", "VARCHAR"),
        ("size_gib", "BIGINT"),
        ("tags", "VARCHAR"),
    ]


def test_a_missing_folder_is_refused_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["query", "SELECT 1", "--data", str(tmp_path / "nowhere")]) == EXIT_USAGE
    assert "no such folder; save runs with orgops run, report or local" in capsys.readouterr().err


def test_a_key_that_would_leave_the_download_folder_is_skipped(tmp_path: Path) -> None:
    class Listing:
        downloaded: list[str] = []

        def get_paginator(self, _name: str) -> Listing:
            return self

        def paginate(self, **_: str) -> list[dict]:
            keys = ["dataset/../../escape.jsonl", "dataset/summaries/operation=x/run_date=2026-01-01/r.jsonl"]
            return [{"Contents": [{"Key": k} for k in keys]}]

        def download_file(self, _bucket: str, key: str, _path: str) -> None:
            self.downloaded.append(key)

    s3 = Listing()
    cli_query.download(s3, "s3://bucket", tmp_path)

    assert s3.downloaded == ["dataset/summaries/operation=x/run_date=2026-01-01/r.jsonl"]


def test_without_duckdb_the_command_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb raises ImportError

    assert cli.main(["query", "SELECT 1", "--data", str(tmp_path)]) == EXIT_USAGE
    assert "orgops query needs DuckDB, which is not installed: pip install 'orgops[query]'" in capsys.readouterr().err
