"""`orgops local`: the Lambdas' code in this process, the result store in a local directory."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from orgops import asl, report
from orgops.cli import app as cli
from orgops.cli import local
from orgops.cli.common import EXIT_OK, EXIT_TARGETS_FAILED
from orgops.handlers import worker
from tests.cli.conftest import ALPHA, BETA, GAMMA, MANAGEMENT, SmallOrg


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def run_local(out: Path, *flags: str) -> int:
    return cli.main(["local", "unused-ebs-volumes", "--regions", "eu-west-1", "us-east-1", "--out", str(out), *flags])


def test_local_writes_the_report_rows_and_summary(small_org: SmallOrg, tmp_path: Path) -> None:
    code = run_local(tmp_path, "--concurrency", "3")
    assert code == EXIT_OK
    rows = read_csv(tmp_path / "report.csv")
    assert rows[0] == [
        "account_id", "account_name", "region", "volume_id", "size_gib", "volume_type", "create_time",
        "availability_zone", "tags",
    ]  # fmt: skip
    assert [r[:6] + r[7:] for r in rows[1:]] == [
        [ALPHA, "alpha", "eu-west-1", small_org.volume_id, "5", "gp3", "eu-west-1a", ""]
    ]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {k: summary[k] for k in ("Targets", "Succeeded", "Failed", "Skipped", "Rows", "ErrorsUri")} == {
        "Targets": 8, "Succeeded": 6, "Failed": 0, "Skipped": 2, "Rows": 1, "ErrorsUri": None,
    }  # fmt: skip
    assert summary["ReportUri"] == (tmp_path / "report.csv").resolve().as_uri()
    assert not (tmp_path / "errors.csv").exists()


def test_a_worker_that_raises_is_recorded_like_the_state_machine_catch(
    small_org: SmallOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = worker.run_target

    def flaky(event, settings, member, base):  # type: ignore[no-untyped-def]
        if event["Target"]["AccountId"] == BETA and event["Target"]["Region"] == "us-east-1":
            raise RuntimeError("boom in beta")
        return real(event, settings, member, base)

    monkeypatch.setattr(worker, "run_target", flaky)
    code = run_local(tmp_path, "--output", "json")
    assert code == EXIT_TARGETS_FAILED
    errors = read_csv(tmp_path / "errors.csv")
    assert errors[0] == list(report.ERROR_COLUMNS)
    assert [e[:4] for e in errors[1:]] == [[BETA, "beta", "us-east-1", "RuntimeError"]]
    assert "boom in beta" in errors[1][4]


def test_local_prints_one_json_document_for_scripts(
    small_org: SmallOrg, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_local(tmp_path, "--output", "json", "--accounts", MANAGEMENT, ALPHA, GAMMA) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["Status"] == "SUCCEEDED"
    assert (doc["Summary"]["Targets"], doc["Summary"]["Skipped"], doc["Summary"]["Rows"]) == (6, 2, 1)
    assert doc["Files"][:2] == [str(tmp_path / "report.csv"), str(tmp_path / "summary.json")]
    # then the run's data set (orgops.dataset), under dataset/ for orgops query
    name = doc["ExecutionArn"].rsplit(":", 1)[1]
    saved = [Path(f).relative_to(tmp_path).parts for f in doc["Files"][2:]]
    kinds = ("rows", "statuses", "summaries")
    assert [(p[:3], p[-1]) for p in saved] == [
        (("dataset", kind, "operation=unused-ebs-volumes"), f"{name}.jsonl") for kind in kinds
    ]


def record_status_item(template_vars: dict) -> dict:
    definition = json.loads(asl.render_file(template_vars))
    return definition["States"]["InlineMap"]["ItemProcessor"]["States"]["RecordStatus"]["Parameters"]["Item"]


def test_local_status_item_has_the_attributes_and_types_record_status_writes() -> None:
    variables = {name: "1" for name in asl.placeholders(asl.TEMPLATE.read_text())}
    asl_item = record_status_item(variables)
    item = local.status_item(
        "arn:aws:states:us-east-1:123456789012:execution:m:n",
        {"AccountId": ALPHA, "AccountName": "alpha", "Region": "eu-west-1"},
        {"Status": "SUCCEEDED", "Rows": 1, "ErrorCode": "", "ErrorMessage": ""},
        1,
    )
    assert {k: next(iter(v)).removesuffix(".$") for k, v in asl_item.items()} == {
        k: next(iter(v)) for k, v in item.items()
    }


def test_local_s3_reassembles_a_multipart_report(tmp_path: Path) -> None:
    s3 = local.LocalS3(tmp_path)
    rows = [["x" * 1000] for _ in range(6000)]  # about 6 MB: two parts of at least 5 MiB
    count = report.write_csv(s3, "b", "r.csv", ["h"], rows, part_size=5 * 1024 * 1024)
    assert count == 6000
    assert (tmp_path / "b" / "r.csv").read_text().splitlines() == ["h"] + ["x" * 1000] * 6000


def test_the_local_status_table_counts_a_runs_failures_as_the_status_table_does() -> None:
    from orgops import store

    table, arn = local.LocalTable(), local.local_execution_arn("us-east-1", MANAGEMENT, "run-1")
    table.put_item(TableName=local.LOCAL_TABLE, Item=store.run_item(arn, 1, planned=3, max_errors=1))

    counts = [store.count_failure(table, local.LOCAL_TABLE, arn) for _ in range(2)]

    assert counts == [1, 2]
    assert store.read_failures(table, local.LOCAL_TABLE, arn) == 2
    assert store.read_run(table, local.LOCAL_TABLE, arn) == {
        "execution_id": arn,
        "target": store.RUN_TARGET,
        "planned": 3,
        "failures": 2,
        "max_errors": 1,
        "max_errors_input": "1",
        "expires_at": 1,
    }
    assert list(store.iter_statuses(table, local.LOCAL_TABLE, arn)) == []  # the run's item is no target's
