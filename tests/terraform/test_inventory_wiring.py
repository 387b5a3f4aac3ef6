"""The organization inventory's Terraform: the table, the function, its schedule, and the events the
management account forwards, against what ``orgops.inventory`` and ``orgops.config`` expect."""

from __future__ import annotations

from typing import Any

from orgops import config, inventory
from tests.terraform import hcl

PLATFORM_MAIN = hcl.MODULES / "platform" / "main.tf"
ROOT_MAIN = hcl.COMPOSITION / "main.tf"


def _resource(path: Any, type_name: str, name: str) -> dict[str, Any]:
    (block,) = [b for b in hcl.typed_blocks("resource", [path]) if (b.type, b.name) == (type_name, name)]
    return block.body


def test_the_inventory_function_gets_exactly_the_inventory_settings() -> None:
    function = _resource(PLATFORM_MAIN, "aws_lambda_function", "inventory")

    assert sorted(function["environment"][0]["variables"]) == sorted(config.INVENTORY_ENV)
    assert hcl.string(function["handler"]) == "orgops.handlers.inventory.handler"
    assert function["role"] == "${var.inventory_role_arn}"
    assert function["source_code_hash"] == "${filebase64sha256(var.package_path)}"


def test_the_fanout_is_given_the_inventory_table() -> None:
    (functions,) = [e["functions"] for e in hcl.load(PLATFORM_MAIN)["locals"] if "functions" in e]

    assert functions["fanout"]["environment"]["ORGOPS_INVENTORY_TABLE"] == "${aws_dynamodb_table.inventory.name}"


def test_the_table_is_keyed_by_account_id_encrypted_and_recoverable() -> None:
    table = _resource(PLATFORM_MAIN, "aws_dynamodb_table", "inventory")

    assert (hcl.string(table["hash_key"]), hcl.string(table["billing_mode"])) == (inventory.HASH_KEY, "PAY_PER_REQUEST")
    assert hcl.body(table["point_in_time_recovery"][0]) == {"enabled": True}
    assert hcl.body(table["server_side_encryption"][0]) == {"enabled": True, "kms_key_arn": "${aws_kms_key.this.arn}"}


def test_the_schedule_asks_for_the_stalest_accounts_every_ten_minutes() -> None:
    (variable,) = [
        b
        for n, b in hcl.named_blocks("variable", hcl.MODULES / "platform" / "variables.tf")
        if n == "inventory_schedule"
    ]
    target = _resource(PLATFORM_MAIN, "aws_cloudwatch_event_target", "inventory_schedule")

    assert hcl.string(variable["default"]) == inventory.REFRESH_SCHEDULE
    assert target["input"] == '${jsonencode({Refresh = "stalest"})}'
    assert inventory.event_action({"Refresh": "stalest"}).kind == inventory.SCHEDULED


def test_the_management_account_forwards_exactly_the_events_the_inventory_follows_from_us_east_1() -> None:
    (entry,) = [e for e in hcl.load(ROOT_MAIN)["locals"] if "organization_event_patterns" in e]
    patterns = entry["organization_event_patterns"]
    rule = _resource(ROOT_MAIN, "aws_cloudwatch_event_rule", "organization_events")
    target = _resource(ROOT_MAIN, "aws_cloudwatch_event_target", "organization_events")

    names = [hcl.string(n) for n in patterns["organizations"]["detail"]["eventName"]]
    assert sorted(names) == sorted(inventory.ORGANIZATIONS_EVENT_NAMES)
    assert [hcl.string(s) for s in patterns["account"]['"detail-type"']] == [inventory.REGION_OPT_IN]
    for block in (rule, target):
        assert (block["provider"], hcl.string(block["region"])) == ("${aws.management}", "us-east-1")
    assert target["arn"] == "${module.platform.organization_event_bus_arn}"
    assert target["role_arn"] == "${aws_iam_role.organization_events.arn}"


def test_only_the_forwarding_role_may_put_events_on_the_organization_bus() -> None:
    (policy,) = [b for b in hcl.typed_blocks("data", [PLATFORM_MAIN]) if b.name == "organization_bus"]
    (statement,) = policy.body["statement"]

    assert [hcl.string(a) for a in statement["actions"]] == ["events:PutEvents"]
    assert [(hcl.string(p["type"]), p["identifiers"]) for p in statement["principals"]] == [
        ("AWS", ["${var.organization_events_sender_arn}"])
    ]
    rule = _resource(PLATFORM_MAIN, "aws_cloudwatch_event_rule", "inventory_events")
    assert rule["event_bus_name"] == "${aws_cloudwatch_event_bus.organization.name}"
