"""The member roles' CloudFormation template declares both roles, each trusted only by its worker role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform import hcl

TEMPLATE = hcl.MODULES / "member-roles" / "templates" / "member-roles.cfn.json"


def template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def test_template_declares_the_two_member_roles_and_their_derived_policies() -> None:
    resources = template()["Resources"]
    assert {name: (r["Type"], r.get("Condition")) for name, r in resources.items()} == {
        "ReadonlyRole": ("AWS::IAM::Role", None),
        "AdminRole": ("AWS::IAM::Role", None),
        "ReadonlyPolicy": ("AWS::IAM::ManagedPolicy", "Derived"),
        "AdminPolicy": ("AWS::IAM::ManagedPolicy", "Derived"),
    }
    assert template()["Conditions"] == {"Derived": {"Fn::Equals": [{"Ref": "PolicyMode"}, "derived"]}}


@pytest.mark.parametrize(
    ("policy", "actions", "role_name"),
    [("ReadonlyPolicy", "ReadonlyActions", "ReadonlyRoleName"), ("AdminPolicy", "AdminActions", "AdminRoleName")],
)
def test_each_derived_policy_allows_the_unscoped_actions_passed_in_on_star(policy, actions, role_name) -> None:
    # (modules/member-roles appends the scoped statements: tests/terraform/test_member_role_policies.py)
    props = template()["Resources"][policy]["Properties"]
    assert props["ManagedPolicyName"] == {"Fn::Sub": "${" + role_name + "}-actions"}
    assert props["PolicyDocument"]["Statement"] == [
        {
            "Sid": props["PolicyDocument"]["Statement"][0]["Sid"],
            "Effect": "Allow",
            "Action": {"Ref": actions},
            "Resource": "*",
        }
    ]
    assert template()["Parameters"][actions]["Type"] == "CommaDelimitedList"


@pytest.mark.parametrize(
    ("resource", "name_param", "trusted_param", "policies_param", "default_policy", "default_name"),
    [
        (
            "ReadonlyRole",
            "ReadonlyRoleName",
            "ReadonlyLambdaRoleArn",
            "ReadonlyPolicyArns",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "operation-readonly",
        ),
        (
            "AdminRole",
            "AdminRoleName",
            "AdminLambdaRoleArn",
            "AdminPolicyArns",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "operation-admin",
        ),
    ],
)
def test_role_is_trusted_only_by_its_worker_lambda_role(
    resource, name_param, trusted_param, policies_param, default_policy, default_name
) -> None:
    doc = template()
    props = doc["Resources"][resource]["Properties"]
    (statement,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": {"Ref": trusted_param}}
    assert "Condition" not in statement
    assert props["RoleName"] == {"Ref": name_param}
    derived = resource.replace("Role", "Policy")
    assert props["ManagedPolicyArns"] == {"Fn::If": ["Derived", [{"Ref": derived}], {"Ref": policies_param}]}
    assert doc["Parameters"][policies_param]["Default"] == default_policy
    assert doc["Parameters"][name_param]["Default"] == default_name


def test_stack_set_passes_every_template_parameter() -> None:
    (stack_set,) = [
        b
        for b in hcl.typed_blocks("resource", [hcl.MODULES / "member-roles" / "main.tf"])
        if b.type == "aws_cloudformation_stack_set"
    ]
    assert stack_set.body["parameters"] == "${var.per_operation ? {} : local.shared_template_parameters}"
    (entry,) = [
        e for e in hcl.load(hcl.MODULES / "member-roles" / "main.tf")["locals"] if "shared_template_parameters" in e
    ]
    assert set(entry["shared_template_parameters"]) == set(template()["Parameters"])


def test_stack_set_is_service_managed_auto_deployed_with_named_iam() -> None:
    (stack_set,) = [
        b
        for b in hcl.typed_blocks("resource", [hcl.MODULES / "member-roles" / "main.tf"])
        if b.type == "aws_cloudformation_stack_set"
    ]
    body = stack_set.body
    assert hcl.string(body["permission_model"]) == "SERVICE_MANAGED"
    assert [hcl.string(c) for c in body["capabilities"]] == ["CAPABILITY_NAMED_IAM"]
    assert body["auto_deployment"][0]["enabled"] is True
    assert body["call_as"] == "${var.call_as}"
    # the shared template is this file with the scoped statements written in (policies.tf)
    assert body["template_body"] == "${var.per_operation ? var.per_operation_template : local.shared_template}"
    (entry,) = [e for e in hcl.load(hcl.MODULES / "member-roles" / "policies.tf")["locals"] if "shared_template" in e]
    assert entry["shared_template_base"] == '${jsondecode(file("${path.module}/templates/member-roles.cfn.json"))}'


def _cfn_lint(path) -> tuple[int, list[dict[str, Any]]]:
    from tests.terraform.tools import run, tool

    result = run([tool("cfn-lint"), "--format", "json", str(path)])
    return result.returncode, json.loads(result.stdout or "[]")


def test_cfn_lint_finds_nothing_in_the_stack_set_template() -> None:
    returncode, findings = _cfn_lint(TEMPLATE)
    assert [f"{f['Rule']['Id']} {f['Message']}" for f in findings] == []
    assert returncode == 0


def test_cfn_lint_reports_a_broken_template(tmp_path) -> None:
    # Given the template with a property CloudFormation does not know on a role
    doc = template()
    doc["Resources"]["AdminRole"]["Properties"]["RoleNameTypo"] = "x"
    broken = tmp_path / "broken.cfn.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")

    returncode, findings = _cfn_lint(broken)

    assert [(f["Rule"]["Id"], f["Level"]) for f in findings] == [("E3002", "Error")]
    assert "RoleNameTypo" in findings[0]["Message"]
    assert returncode != 0
