"""The contracts the code relies on: Lambda environment names, handlers, package, table keys, bucket."""

from __future__ import annotations

from typing import Any

import pytest

from orgops import config
from tests.terraform import hcl

PLATFORM_MAIN = hcl.MODULES / "platform" / "main.tf"
OPERATION_MAIN = hcl.MODULES / "operation" / "main.tf"


def _resource(path, type_name: str, name: str) -> dict[str, Any]:
    (block,) = [b for b in hcl.typed_blocks("resource", [path]) if (b.type, b.name) == (type_name, name)]
    return block.body


def _platform_functions() -> dict[str, Any]:
    (functions,) = [entry["functions"] for entry in hcl.load(PLATFORM_MAIN)["locals"] if "functions" in entry]
    return functions


@pytest.mark.parametrize(("function", "expected"), [("fanout", config.FANOUT_ENV), ("report", config.REPORT_ENV)])
def test_platform_function_environment_is_exactly_the_config_names(function, expected) -> None:
    assert sorted(_platform_functions()[function]["environment"]) == sorted(expected)


def test_worker_environment_is_exactly_the_config_names() -> None:
    worker = _resource(OPERATION_MAIN, "aws_lambda_function", "worker")
    assert sorted(worker["environment"][0]["variables"]) == sorted(config.WORKER_ENV)


@pytest.mark.parametrize(
    ("function", "handler"),
    [("fanout", "orgops.handlers.fanout.handler"), ("report", "orgops.handlers.report.handler")],
)
def test_platform_function_handler(function, handler) -> None:
    assert hcl.string(_platform_functions()[function]["handler"]) == handler


def test_worker_handler_runtime_and_package() -> None:
    worker = _resource(OPERATION_MAIN, "aws_lambda_function", "worker")
    assert hcl.string(worker["handler"]) == "orgops.handlers.worker.handler"
    assert hcl.string(worker["runtime"]) == "python3.13"
    assert worker["filename"] == "${var.package_path}"
    assert worker["source_code_hash"] == "${filebase64sha256(var.package_path)}"


def test_platform_functions_runtime_and_package() -> None:
    functions = _resource(PLATFORM_MAIN, "aws_lambda_function", "this")
    assert hcl.string(functions["runtime"]) == "python3.13"
    assert functions["filename"] == "${var.package_path}"
    assert functions["source_code_hash"] == "${filebase64sha256(var.package_path)}"


def test_root_deploys_dist_orgops_zip() -> None:
    (locals_,) = [e for e in hcl.load(hcl.COMPOSITION / "main.tf")["locals"] if "package_path" in e]
    assert locals_["package_path"] == '${coalesce(var.package_path, "${path.root}/../dist/orgops.zip")}'


def test_slack_webhook_is_passed_by_parameter_name_only() -> None:
    env = _platform_functions()["report"]["environment"]
    expected = '${var.slack_webhook_parameter == null ? "" : var.slack_webhook_parameter}'
    assert env["ORGOPS_SLACK_WEBHOOK_PARAMETER"] == expected


def test_status_table_keys_ttl_pitr_and_encryption() -> None:
    table = _resource(PLATFORM_MAIN, "aws_dynamodb_table", "status")
    assert hcl.string(table["billing_mode"]) == "PAY_PER_REQUEST"
    assert (hcl.string(table["hash_key"]), hcl.string(table["range_key"])) == ("execution_id", "target")
    assert sorted((hcl.string(a["name"]), hcl.string(a["type"])) for a in table["attribute"]) == [
        ("execution_id", "S"),
        ("target", "S"),
    ]
    assert (hcl.string(table["ttl"][0]["attribute_name"]), table["ttl"][0]["enabled"]) == ("expires_at", True)
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True


def test_bucket_expires_each_prefix() -> None:
    (locals_,) = [e for e in hcl.load(PLATFORM_MAIN)["locals"] if "prefixes" in e]
    assert sorted(hcl.string(p["prefix"]) for p in locals_["prefixes"].values()) == [
        "athena-results/",
        "audit/",
        "dataset/",
        "map-results/",
        "reports/",
        "results/",
        "targets/",
    ]


def test_bucket_blocks_public_access_and_denies_insecure_transport() -> None:
    block = _resource(PLATFORM_MAIN, "aws_s3_bucket_public_access_block", "this")
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    assert [block[f] for f in flags] == [True] * 4
    (policy,) = [b for b in hcl.typed_blocks("data", [PLATFORM_MAIN]) if b.name == "bucket"]
    statement = policy.body["statement"][0]
    assert hcl.string(statement["effect"]) == "Deny"
    assert hcl.string(statement["condition"][0]["variable"]) == "aws:SecureTransport"
    assert [hcl.string(v) for v in statement["condition"][0]["values"]] == ["false"]


def test_bucket_denies_overwriting_and_deleting_change_logs() -> None:
    (policy,) = [b for b in hcl.typed_blocks("data", [PLATFORM_MAIN]) if b.name == "bucket"]
    statements = {hcl.string(s["sid"]): s for s in policy.body["statement"]}
    overwrite, delete = statements["DenyOverwritingChangeLogs"], statements["DenyDeletingChangeLogs"]
    audit = ["${aws_s3_bucket.this.arn}/audit/*"]
    for statement in (overwrite, delete):
        assert hcl.string(statement["effect"]) == "Deny"
        assert [hcl.string(r) for r in statement["resources"]] == audit
        assert [hcl.string(i) for i in statement["principals"][0]["identifiers"]] == ["*"]
    # S3 enforces conditional writes with s3:if-none-match (AWS: "Enforce conditional writes on
    # Amazon S3 buckets"): a PutObject without If-None-Match is refused, with it S3 answers 412
    # when the key exists; no multipart upload is exempted, so none can replace a change log either.
    assert [hcl.string(a) for a in overwrite["actions"]] == ["s3:PutObject"]
    (condition,) = overwrite["condition"]
    assert (hcl.string(condition["test"]), hcl.string(condition["variable"])) == ("Null", "s3:if-none-match")
    assert [hcl.string(v) for v in condition["values"]] == ["true"]
    assert [hcl.string(a) for a in delete["actions"]] == [
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectRetention",
        "s3:BypassGovernanceRetention",
    ]
    assert "condition" not in delete


def test_bucket_is_versioned_and_kms_encrypted() -> None:
    versioning = _resource(PLATFORM_MAIN, "aws_s3_bucket_versioning", "this")
    assert hcl.string(versioning["versioning_configuration"][0]["status"]) == "Enabled"
    sse = _resource(PLATFORM_MAIN, "aws_s3_bucket_server_side_encryption_configuration", "this")
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert hcl.string(default["sse_algorithm"]) == "aws:kms"


def test_topic_is_encrypted() -> None:
    topic = _resource(PLATFORM_MAIN, "aws_sns_topic", "this")
    assert topic["kms_master_key_id"] == "${aws_kms_key.this.arn}"


def test_the_composition_outputs_state_machine_arns_keyed_by_operation() -> None:
    outputs = dict(hcl.named_blocks("output", hcl.COMPOSITION / "outputs.tf"))
    assert (
        outputs["state_machine_arns"]["value"] == "${{for name, op in module.operation : name => op.state_machine_arn}}"
    )
    assert {"data_bucket", "status_table", "topic_arn"} <= set(outputs)
