"""The registry: every operation declared consistently, Params validated, CLI and README in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgops import operations
from orgops.cli import app as cli
from orgops.errors import InvalidInput
from orgops.operations import catalog
from orgops.operations.base import CHANGE_COLUMNS, Operation, Param

README = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
EXPECTED = {
    "unused-ebs-volumes": ("readonly", "regional", False),
    "unused-nat-gateways": ("readonly", "regional", False),
    "public-ips": ("readonly", "regional", False),
    "lambda-functions": ("readonly", "regional", False),
    "vpcs": ("readonly", "regional", False),
    "accounts": ("organization", "organization", False),
    "cloudfront-distributions": ("readonly", "global", False),
    "tags": ("readonly", "regional", False),
    "public-endpoints": ("readonly", "regional", False),
    "tag-remediation": ("admin", "regional", True),
    "sg-open-ingress-remediation": ("admin", "regional", True),
    "securityhub-standards": ("admin", "regional", True),
    "inspector-activation": ("admin", "regional", True),
}


def test_registry_holds_every_operation_with_its_role_scope_and_mutating_flag() -> None:
    declared = {n: (op.role, op.scope, op.mutating) for n, op in operations.REGISTRY.items()}
    assert declared == EXPECTED


def test_every_mutating_operation_reports_action_applied_and_error() -> None:
    for op in operations.REGISTRY.values():
        if op.mutating:
            assert set(CHANGE_COLUMNS) == {"action", "applied", "error"}
            assert set(CHANGE_COLUMNS) <= set(op.columns), op.name


def test_cloudfront_runs_once_per_account_in_us_east_1() -> None:
    op = operations.get("cloudfront-distributions")
    assert (op.scope, op.home_region) == ("global", "us-east-1")


def test_an_operation_without_change_columns_cannot_be_mutating() -> None:
    with pytest.raises(ValueError, match="x: a mutating operation reports the columns action, applied, error"):
        Operation(name="x", description="x", role="admin", columns=("a", "applied"), run=lambda *a: [], mutating=True)


def test_role_organization_requires_scope_organization() -> None:
    with pytest.raises(ValueError, match="role organization goes with scope organization"):
        Operation(name="x", description="x", role="organization", columns=("a",), run=lambda *a: [])


def test_unknown_operation_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="no operation named 'nope'; known operations: accounts, cloudfront"):
        operations.get("nope")


@pytest.mark.parametrize(
    ("name", "params", "field", "message"),
    [
        (
            "unused-nat-gateways",
            {"Dayz": 3},
            "Params.Dayz",
            "unknown parameter for unused-nat-gateways; its parameters: Days",
        ),
        ("unused-nat-gateways", {"Days": 0}, "Params.Days", "0 is below the minimum 1"),
        ("unused-nat-gateways", {"Days": 456}, "Params.Days", "456 is above the maximum 455"),
        ("unused-nat-gateways", {"Days": "14"}, "Params.Days", 'must be an integer, got a string "14"'),
        ("unused-nat-gateways", {"Days": True}, "Params.Days", "must be an integer, got a boolean true"),
        ("tags", {}, "Params.RequiredTags", "is required by tags: Tag keys every resource must have."),
        ("tags", {"RequiredTags": []}, "Params.RequiredTags", "is empty; give at least 1 item(s) or omit it"),
        ("tags", {"RequiredTags": ["ok", 3]}, "Params.RequiredTags[1]", "must be a non-empty string, got a number 3"),
        (
            "tags",
            {"RequiredTags": ["Owner"], "ResourceTypes": ["EC2 Instance"]},
            "Params.ResourceTypes[0]",
            '"EC2 Instance" does not match [a-z0-9-]+(:[A-Za-z0-9-]+)?',
        ),
        (
            "tag-remediation",
            {"RequiredTags": ["Owner"]},
            "Params.RequiredTags",
            'must be an object, got a list ["Owner"]',
        ),
        (
            "tag-remediation",
            {"RequiredTags": {"Owner": 1}},
            "Params.RequiredTags.Owner",
            "must be a string, got a number 1",
        ),
        (
            "tag-remediation",
            {"RequiredTags": {"Bad*Key": "x"}},
            'Params.RequiredTags["Bad*Key"]',
            'the key "Bad*Key" does not match [\\w.:/=+\\-@ ]{1,128}',
        ),
        (
            "sg-open-ingress-remediation",
            {"AllowedPorts": [443, 70000]},
            "Params.AllowedPorts[1]",
            "70000 is above the maximum 65535",
        ),
        (
            "inspector-activation",
            {"ResourceTypes": ["EC2", "S3"]},
            "Params.ResourceTypes[1]",
            '"S3" is not one of EC2, ECR, LAMBDA, LAMBDA_CODE',
        ),
        (
            "securityhub-standards",
            {"DisabledControls": {"EC2.2": ""}},
            "Params.DisabledControls.EC2.2",
            '"" does not match \\S.{0,1023}',
        ),
        (
            "securityhub-standards",
            {"DisabledControls": {"not a control": "x"}},
            'Params.DisabledControls["not a control"]',
            'the key "not a control" does not match [A-Za-z0-9]+(\\.[A-Za-z0-9]+)+',
        ),
        (
            "securityhub-standards",
            {"StandardArns": ["arn:aws:s3:::x"]},
            "Params.StandardArns[0]",
            '"arn:aws:s3:::x" does not match arn:aws[a-z-]*:securityhub:[A-Za-z0-9-]*::(standards|ruleset)/.+',
        ),
    ],
)
def test_malformed_params_are_rejected_naming_the_field(name: str, params: dict, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        operations.get(name).validate_params(params)
    assert (raised.value.field, raised.value.problem) == (field, message)


def test_a_standard_both_enabled_and_disabled_is_rejected() -> None:
    arn = "arn:aws:securityhub:REGION::standards/cis-aws-foundations-benchmark/v/1.4.0"
    with pytest.raises(InvalidInput) as raised:
        operations.get("securityhub-standards").validate_params({"StandardArns": [arn], "DisableStandardArns": [arn]})
    assert raised.value.field == "Params.DisableStandardArns"
    assert raised.value.problem == f"{arn} is also in Params.StandardArns; keep it in one list"


def test_defaults_are_filled_in_and_never_shared_between_runs() -> None:
    op = operations.get("sg-open-ingress-remediation")
    first = op.validate_params({})
    first["AllowedPorts"].append(22)
    assert op.validate_params({}) == {"AllowedPorts": [80, 443]}


def test_list_params_drop_duplicates_keeping_the_first() -> None:
    params = operations.get("tags").validate_params({"RequiredTags": ["Owner", "Team", "Owner"]})
    assert params["RequiredTags"] == ["Owner", "Team"]


def test_param_describe_lists_its_constraints() -> None:
    p = Param("Days", "integer", "d", default=14, minimum=1, maximum=455)
    assert p.describe() == {
        "name": "Days",
        "type": "integer",
        "description": "d",
        "default": 14,
        "minimum": 1,
        "maximum": 455,
    }


def test_cli_list_json_gives_every_operation_with_role_scope_columns_and_params(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["list", "--output", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [o["name"] for o in listed] == sorted(EXPECTED)
    nat = next(o for o in listed if o["name"] == "unused-nat-gateways")
    assert nat["role"] == "readonly" and nat["scope"] == "regional"
    assert nat["columns"][:4] == ["account_id", "account_name", "region", "nat_gateway_id"]
    assert nat["params"] == [
        {
            "name": "Days",
            "type": "integer",
            "description": "Days without traffic that make a gateway unused.",
            "default": 14,
            "minimum": 1,
            "maximum": 455,
        }
    ]


def test_cli_list_table_aligns_the_organization_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["OPERATION", "ROLE", "SCOPE", "DESCRIPTION"]
    accounts = next(line for line in lines if line.startswith("accounts "))
    assert accounts.split()[:3] == ["accounts", "organization", "organization"]
    assert len(lines) == 1 + len(EXPECTED)


def test_cli_describe_shows_role_scope_columns_and_param_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["describe", "sg-open-ingress-remediation"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  role: admin   scope: regional   changes resources: yes"
    assert out[2] == (
        "  columns: account_id, account_name, region, group_id, group_name, vpc_id, protocol, from_port, to_port, "
        "cidr, action, applied, error, plan_status"
    )
    assert out[3] == "  IAM actions: ec2:DescribeSecurityGroups, ec2:RevokeSecurityGroupIngress"
    assert out[5] == (
        "    AllowedPorts (integer_list, default [80, 443]; 0..65535): "
        "TCP/UDP ports that may stay open to the internet; [] revokes every open rule."
    )


def test_cli_describe_shows_choices_and_map_patterns(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["describe", "inspector-activation"])
    assert (
        '    ResourceTypes (string_list, default ["EC2", "ECR", "LAMBDA"]; one of EC2, ECR, LAMBDA, LAMBDA_CODE): '
        in (capsys.readouterr().out)
    )
    cli.main(["describe", "securityhub-standards"])
    assert "    DisabledControls (string_map, default {}; keys match [A-Za-z0-9]+(\\.[A-Za-z0-9]+)+; values match " in (
        capsys.readouterr().out
    )


def test_cli_describe_of_an_unknown_operation_fails_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["describe", "nope"]) == 2
    assert capsys.readouterr().err.startswith("orgops: Operation: no operation named 'nope'; known operations: ")


def test_readme_operations_table_is_generated_from_the_registry() -> None:
    # Fix: python -m orgops.operations.catalog --write docs/operations.md
    assert catalog.readme_table(README.read_text()) == catalog.markdown_table()


def test_cli_describe_says_what_identifies_a_finding_and_what_a_plan_pins(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["describe", "tag-remediation"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "  a finding is: account_id, region, resource_arn, action",
        "  a plan pins: tags_before (else the change is stale)",
    ]
    assert cli.main(["describe", "unused-ebs-volumes"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "  a finding is: account_id, region, volume_id"
