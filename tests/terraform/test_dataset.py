"""modules/dataset: the Glue tables are generated from the manifest (Terraform evaluates the module's
locals with ``terraform console``, no provider) and equal, for every operation, the columns and
types the report writes (orgops.dataset); partition projection; the workgroup; the roles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import build
from orgops import dataset, operations
from tests.observability.terraform_eval import TerraformError, evaluate
from tests.terraform import hcl
from tests.terraform.iam import all_statements

MODULE = hcl.MODULES / "dataset"
BUCKET = "orgops-data-111111111111-us-east-1"
KEY = "arn:aws:kms:us-east-1:111111111111:key/0e6a4c5b-2f3d-4e1a-9b7c-1a2b3c4d5e6f"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.write_manifest(tmp_path_factory.mktemp("dist") / "operations.json")


def module_locals(workdir: Path, manifest: Path, deployed: list[str], expression: str, **extra: Any) -> Any:
    variables = {
        "manifest_path": str(manifest),
        "operations": deployed,
        "data_bucket_name": BUCKET,
        "kms_key_arn": KEY,
        **extra,
    }
    return evaluate(workdir, variables, f"jsonencode({expression})", module=MODULE, files=("variables.tf", "locals.tf"))


def glue_tables(workdir: Path, manifest: Path, deployed: list[str]) -> dict[str, Any]:
    """The tables Terraform makes (local.tables): what each aws_glue_catalog_table gets."""
    return module_locals(workdir, manifest, deployed, "local.tables")


def test_every_operations_table_has_exactly_the_columns_and_types_the_report_writes(
    tmp_path: Path, manifest: Path
) -> None:
    tables = glue_tables(tmp_path, manifest, sorted(operations.REGISTRY))
    expected, _ = dataset.tables(operations.REGISTRY)

    assert sorted(tables) == sorted(expected)
    for name, table in expected.items():
        assert tables[name]["columns"] == [{"name": c.name, "type": c.type} for c in table.columns], name
        assert tables[name]["partition_keys"] == [
            {"name": "operation", "type": "string"},
            {"name": "run_date", "type": "string"},
        ]
    for name, op in operations.REGISTRY.items():  # the declared types reach Glue
        glue = {c["name"]: c["type"] for c in tables[dataset.table_name(name)]["columns"]}
        assert {c: glue[c] for c in op.column_types} == dict(op.column_types)


def test_only_the_deployed_operations_get_a_rows_table_and_the_shared_tables_project_them(
    tmp_path: Path, manifest: Path
) -> None:
    tables = glue_tables(tmp_path, manifest, ["unused-ebs-volumes", "accounts"])

    assert sorted(tables) == ["rows_accounts", "rows_unused_ebs_volumes", "statuses", "summaries"]
    assert tables["statuses"]["parameters"]["projection.operation.values"] == "accounts,unused-ebs-volumes"
    assert tables["rows_accounts"]["parameters"]["projection.operation.values"] == "accounts"


def test_the_partitions_are_projected_from_the_data_sets_layout(tmp_path: Path, manifest: Path) -> None:
    tables = glue_tables(tmp_path, manifest, ["public-ips"])

    root = f"s3://{BUCKET}/dataset"
    assert tables["rows_public_ips"]["location"] == f"{root}/rows/"
    assert tables["rows_public_ips"]["parameters"] == {
        "EXTERNAL": "TRUE",
        "classification": "json",
        "projection.enabled": "true",
        "projection.operation.type": "enum",
        "projection.operation.values": "public-ips",
        "projection.run_date.type": "date",
        "projection.run_date.format": "yyyy-MM-dd",
        "projection.run_date.range": "NOW-730DAYS,NOW",
        "projection.run_date.interval": "1",
        "projection.run_date.interval.unit": "DAYS",
        "storage.location.template": f"{root}/rows/operation=${{operation}}/run_date=${{run_date}}/",
    }
    # the template is where the report writes (orgops.dataset.keys)
    key = dataset.keys("public-ips", "run-1", datetime(2026, 5, 1, tzinfo=UTC))["rows"]
    template = tables["rows_public_ips"]["parameters"]["storage.location.template"]
    assert f"s3://{BUCKET}/{key}".startswith(
        template.replace("${operation}", "public-ips").replace("${run_date}", "2026-05-01")
    )
    assert tables["statuses"]["location"] == f"{root}/statuses/"


def test_no_deployed_operation_makes_no_shared_table(tmp_path: Path, manifest: Path) -> None:
    assert glue_tables(tmp_path, manifest, []) == {}


def _problem(tmp_path: Path, manifest: Path, **extra: Any) -> str:
    with pytest.raises(TerraformError) as caught:
        module_locals(tmp_path, manifest, ["tags"], "local.tables", **extra)
    return " ".join(str(caught.value).replace("│", " ").split())


def test_a_bytes_scanned_limit_below_athenas_minimum_is_refused(tmp_path: Path, manifest: Path) -> None:
    said = _problem(tmp_path, manifest, bytes_scanned_cutoff_per_query=10485759)
    assert "at least 10485760 (10 MB, Athena's minimum per-query limit)" in said


def test_a_manifest_without_the_data_set_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text('{"version": 3, "operations": {}}')
    said = _problem(tmp_path, old)
    assert "of an orgops that writes the data set: run make package" in said


def _resource(kind: str, name: str) -> dict[str, Any]:
    (block,) = [
        b for b in hcl.typed_blocks("resource", sorted(MODULE.glob("*.tf"))) if (b.type, b.name) == (kind, name)
    ]
    return block.body


def test_the_tables_read_json_lines_with_the_hive_json_serde_as_external_tables() -> None:
    table = _resource("aws_glue_catalog_table", "this")
    storage = table["storage_descriptor"][0]

    assert hcl.string(table["table_type"]) == "EXTERNAL_TABLE"
    assert hcl.string(storage["ser_de_info"][0]["serialization_library"]) == "org.apache.hive.hcatalog.data.JsonSerDe"
    assert hcl.string(storage["input_format"]) == "org.apache.hadoop.mapred.TextInputFormat"


def test_the_workgroup_enforces_encrypted_results_under_the_data_bucket_and_a_scan_limit() -> None:
    configuration = _resource("aws_athena_workgroup", "this")["configuration"][0]
    results = configuration["result_configuration"][0]

    assert configuration["enforce_workgroup_configuration"] is True
    assert hcl.string(configuration["bytes_scanned_cutoff_per_query"]) == "${var.bytes_scanned_cutoff_per_query}"
    assert hcl.string(results["output_location"]) == "s3://${var.data_bucket_name}/${local.results_prefix}"
    encryption = results["encryption_configuration"][0]
    assert (hcl.string(encryption["encryption_option"]), hcl.string(encryption["kms_key_arn"])) == (
        "SSE_KMS",
        "${var.kms_key_arn}",
    )


def test_the_analysts_read_only_the_data_set_and_write_only_query_results() -> None:
    statements = [s for s in all_statements() if s.document == "dataset/main.tf: data.aws_iam_policy_document.analyst"]
    s3 = {(s.sid, a): s.resources for s in statements for a in s.actions if a.startswith("s3:")}

    assert {a for (_sid, a), r in s3.items() if "${local.bucket_arn}/${local.data_prefix}*" in r} == {"s3:GetObject"}
    writes = {a for (_sid, a) in s3 if a in ("s3:PutObject", "s3:AbortMultipartUpload")}
    assert all(s3[(sid, a)] == ("${local.bucket_arn}/${local.results_prefix}*",) for (sid, a) in s3 if a in writes)
    (listing,) = [s for s in statements if "s3:ListBucket" in s.actions]
    assert listing.conditions == (("StringLike", "s3:prefix", ("${local.data_prefix}*", "${local.results_prefix}*")),)
    (athena,) = [s for s in statements if "athena:StartQueryExecution" in s.actions]
    assert athena.resources == ("${aws_athena_workgroup.this.arn}",)
    (kms,) = [s for s in statements if any(a.startswith("kms:") for a in s.actions)]
    assert kms.conditions == (("StringEquals", "kms:ViaService", ("s3.${local.region}.amazonaws.com",)),)


def test_the_report_role_writes_the_data_set_where_the_tables_read_it() -> None:
    (write,) = [s for s in all_statements() if s.document.startswith("operator-roles/") and s.sid == "WriteDataset"]

    assert write.resources == (f"${{var.data_bucket_arn}}/{dataset.PREFIX}/*",)
    assert "s3:PutObject" in write.actions
