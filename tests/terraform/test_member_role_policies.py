"""The member roles' policies hold exactly the union of the deployed operations' actions, each on
its scoped resources: modules/member-roles/policies.tf evaluated by Terraform (``terraform
console``) over the statements modules/operation-manifest outputs, for the StackSet's shared
template (Fn::Sub of each account's partition and id) and the management account's roles (its
own partition and id), then cfn-lint and checkov on the rendered template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orgops import operations
from orgops.operations.base import policy_statements
from tests.terraform.policies import (
    MANAGEMENT_ACCOUNT,
    MEMBER_ROLES,
    TEMPLATE,
    cfn_statements,
    iam_statements,
    member_roles_policies,
    unscoped,
)

ALL = sorted(operations.REGISTRY)
READ = "DeployedReadOperations"
ADMIN = "DeployedAdminOperations"
LAMBDA_ROLES = {
    "readonly_lambda_role_arn": "arn:aws:iam::111111111111:role/operation-readonly-lambda",
    "admin_lambda_role_arn": "arn:aws:iam::111111111111:role/operation-admin-lambda",
}


def statements(deployed: list[str], role: str) -> list[dict[str, Any]]:
    return policy_statements([operations.REGISTRY[n] for n in deployed if operations.REGISTRY[n].role == role])


def rendered(tmp_path: Path, variables: dict[str, Any]) -> dict[str, Any]:
    return member_roles_policies(
        tmp_path,
        {**LAMBDA_ROLES, **variables},
        "jsonencode({template = jsondecode(local.shared_template), management = local.management_statements, "
        "parameters = local.stack_set_actions})",
    )


def static_template() -> dict[str, Any]:
    return json.loads((MEMBER_ROLES / TEMPLATE).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "deployed",
    [ALL, ["sg-open-ingress-remediation", "tag-remediation", "tags"], ["unused-ebs-volumes"]],
    ids=["all", "admin-and-read", "one-read"],
)
def test_the_management_accounts_roles_hold_the_statements_with_its_own_account(
    tmp_path: Path, deployed: list[str]
) -> None:
    read, admin = statements(deployed, "readonly"), statements(deployed, "admin")

    got = rendered(
        tmp_path,
        {"readonly_statements": read, "admin_statements": admin, "management_account_roles": ["readonly", "admin"]},
    )

    assert got["management"] == {"readonly": iam_statements(read, READ), "admin": iam_statements(admin, ADMIN)}
    # the union of the deployed operations' actions, each once, nothing more
    for role, held in got["management"].items():
        ops = [operations.REGISTRY[n] for n in deployed if operations.REGISTRY[n].role == role]
        assert sorted(a for s in held for a in s["actions"]) == sorted({g["action"] for op in ops for g in op.grants()})


def test_the_management_accounts_admin_role_names_its_own_security_groups(tmp_path: Path) -> None:
    got = rendered(
        tmp_path,
        {"admin_statements": statements(ALL, "admin"), "management_account_roles": ["admin"]},
    )["management"]

    revoke = [s for s in got["admin"] if "ec2:RevokeSecurityGroupIngress" in s["actions"]]
    assert revoke == [
        {
            "sid": "DeployedAdminOperationsScoped2",
            "actions": ["ec2:RevokeSecurityGroupIngress"],
            "resources": [f"arn:aws:ec2:*:{MANAGEMENT_ACCOUNT}:security-group/*"],
            "conditions": [],
        }
    ]
    (slr,) = [s for s in got["admin"] if "iam:CreateServiceLinkedRole" in s["actions"]]
    assert slr["conditions"] == [
        {"test": "StringEquals", "variable": "iam:AWSServiceName", "values": ["inspector2.amazonaws.com"]}
    ]
    assert set(got) == {"admin"}  # management_account_roles decides


def test_the_stack_sets_template_is_the_shared_template_with_the_scoped_statements_written_in(tmp_path: Path) -> None:
    read, admin = statements(ALL, "readonly"), statements(ALL, "admin")

    got = rendered(tmp_path, {"readonly_statements": read, "admin_statements": admin})

    expected = static_template()
    for policy, role_statements, base in (("ReadonlyPolicy", read, READ), ("AdminPolicy", admin, ADMIN)):
        document = expected["Resources"][policy]["Properties"]["PolicyDocument"]
        document["Statement"] += cfn_statements([s for s in role_statements if not unscoped(s)], base)
    assert got["template"] == expected
    # the unscoped actions are the template's parameters
    assert got["parameters"] == {
        "readonly": next(s["actions"] for s in read if unscoped(s)),
        "admin": next(s["actions"] for s in admin if unscoped(s)),
    }
    scoped = got["template"]["Resources"]["AdminPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {
        "Sid": "DeployedAdminOperationsScoped2",
        "Effect": "Allow",
        "Action": ["ec2:RevokeSecurityGroupIngress"],
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*"}],
    } in scoped


def test_the_earlier_action_lists_still_give_every_action_on_star(tmp_path: Path) -> None:
    got = rendered(
        tmp_path,
        {"readonly_actions": ["ec2:DescribeVolumes", "tag:GetResources"], "management_account_roles": ["readonly"]},
    )

    assert got["management"] == {
        "readonly": [
            {"sid": READ, "actions": ["ec2:DescribeVolumes", "tag:GetResources"], "resources": ["*"], "conditions": []}
        ]
    }
    # a role no deployed operation needs: CloudFormation refuses an empty CommaDelimitedList
    assert got["parameters"] == {
        "readonly": ["ec2:DescribeVolumes", "tag:GetResources"],
        "admin": ["sts:GetCallerIdentity"],
    }
    assert got["template"] == static_template()


def test_per_operation_roles_in_the_management_account_get_their_own_statements(tmp_path: Path) -> None:
    roles = {
        n: {
            "name": f"orgops-op-{n}",
            "kind": operations.REGISTRY[n].role,
            "trusted_arn": f"arn:aws:iam::111111111111:role/orgops-{n}-worker",
            "actions": sorted({*operations.REGISTRY[n].actions, *operations.REGISTRY[n].extra_actions}),
        }
        for n in ("sg-open-ingress-remediation", "tags", "securityhub-standards")
    }
    own = {n: policy_statements([operations.REGISTRY[n]]) for n in ("sg-open-ingress-remediation", "tags")}

    got = rendered(
        tmp_path,
        {
            "per_operation": True,
            "per_operation_roles": roles,
            "per_operation_statements": own,
            "management_account_roles": ["readonly", "admin"],
        },
    )["management"]

    assert got["sg-open-ingress-remediation"] == iam_statements(own["sg-open-ingress-remediation"], "Operation")
    assert got["tags"] == iam_statements(own["tags"], "Operation")
    # without its statements (the root not wired yet): its actions on "*"
    assert got["securityhub-standards"] == [
        {"sid": "Operation", "actions": roles["securityhub-standards"]["actions"], "resources": ["*"], "conditions": []}
    ]


def _template_file(tmp_path: Path) -> Path:
    got = rendered(
        tmp_path, {"readonly_statements": statements(ALL, "readonly"), "admin_statements": statements(ALL, "admin")}
    )
    folder = tmp_path / "rendered"
    folder.mkdir()
    path = folder / "member-roles.cfn.json"
    path.write_text(json.dumps(got["template"], indent=2))
    return path


def test_the_rendered_shared_template_passes_cfn_lint(tmp_path: Path) -> None:
    from tests.terraform.tools import run, tool

    result = run([tool("cfn-lint"), "--format", "json", str(_template_file(tmp_path))])

    assert json.loads(result.stdout or "[]") == []
    assert result.returncode == 0


def test_the_rendered_shared_template_passes_checkov_without_a_skip(tmp_path: Path) -> None:
    from tests.terraform.test_tools import _reports
    from tests.terraform.tools import run, tool

    path = _template_file(tmp_path)
    result = run(
        [
            tool("checkov"),
            "--directory",
            path.parent,
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": ""},
    )

    (report,) = _reports(result.stdout)
    assert [f"{f['check_id']} {f['resource']}" for f in report["results"]["failed_checks"]] == []
    assert (report["summary"]["skipped"], report["summary"]["parsing_errors"]) == (0, 0)
    assert report["summary"]["passed"] > 10
