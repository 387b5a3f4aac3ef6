"""The member roles hold exactly the union of the deployed operations' declared actions:
modules/operation-manifest evaluated by Terraform itself (``terraform console``, no provider)
over the manifest build.py writes, for several selections of deployed operations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import build
from orgops import operations
from tests.observability.terraform_eval import TerraformError, evaluate
from tests.terraform import hcl

MODULE = hcl.MODULES / "operation-manifest"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.write_manifest(tmp_path_factory.mktemp("dist") / "operations.json")


def expected(deployed: list[str], role: str) -> list[str]:
    ops = operations.REGISTRY
    return sorted({a for n in deployed if ops[n].role == role for a in (*ops[n].actions, *ops[n].extra_actions)})


def roles_actions(workdir: Path, manifest: Path, deployed: list[str]) -> dict[str, list[str]]:
    return evaluate(
        workdir,
        {"manifest_path": str(manifest), "operations": deployed},
        "jsonencode({readonly = local.readonly_actions, admin = local.admin_actions, unknown = local.unknown})",
        module=MODULE,
        files=("variables.tf", "main.tf"),
    )


@pytest.mark.parametrize(
    "deployed",
    [
        sorted(operations.REGISTRY),
        ["unused-ebs-volumes", "public-ips"],
        ["sg-open-ingress-remediation", "tag-remediation", "tags"],
        ["accounts"],
    ],
    ids=["all", "two-reads", "admin-and-read", "organization-only"],
)
def test_each_role_holds_exactly_the_union_of_the_deployed_operations_actions(
    tmp_path: Path, manifest: Path, deployed: list[str]
) -> None:
    got = roles_actions(tmp_path, manifest, deployed)

    assert got == {"readonly": expected(deployed, "readonly"), "admin": expected(deployed, "admin"), "unknown": []}


def test_an_operation_the_manifest_does_not_have_is_reported(tmp_path: Path, manifest: Path) -> None:
    got = roles_actions(tmp_path, manifest, ["unused-ebs-volumes", "no-such-operation"])
    assert got["unknown"] == ["no-such-operation"]


def test_a_missing_manifest_is_refused_naming_make_package(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="run make package"):
        roles_actions(tmp_path, tmp_path / "missing.json", ["unused-ebs-volumes"])


def test_the_derived_policies_fit_iams_size_limit() -> None:
    # IAM: 6,144 characters per managed policy (whitespace not counted); the module refuses more.
    for role in ("readonly", "admin"):
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "x", "Effect": "Allow", "Action": expected(sorted(operations.REGISTRY), role), "Resource": "*"}
            ],
        }
        assert len(json.dumps(doc, separators=(",", ":"))) < 6144


def _variable_block(path: Path, name: str) -> str:
    """The text of ``variable "name" { ... }`` (braces balanced), to evaluate it on its own."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f'variable "{name}" {{')
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0 and text[i] == "}":
            return text[start : i + 1] + "\n"
    raise AssertionError(f"unbalanced variable block {name}")


@pytest.mark.parametrize("name", ["readonly_actions", "admin_actions"])
def test_a_policy_over_iams_size_limit_is_refused_by_terraform_validation(tmp_path: Path, name: str) -> None:
    # Given the module's own validation, evaluated by Terraform, and 300 long actions (> 6,144 characters)
    source = tmp_path / "src"
    source.mkdir()
    (source / "variables.tf").write_text(_variable_block(hcl.MODULES / "member-roles" / "variables.tf", name))
    (source / "main.tf").write_text("")
    too_many = [f"ec2:DescribeSomethingQuiteLong{i:04d}" for i in range(300)]

    with pytest.raises(TerraformError) as refused:
        evaluate(
            tmp_path, {name: too_many}, f"jsonencode(var.{name})", module=source, files=("variables.tf", "main.tf")
        )
    said = " ".join(str(refused.value).replace("│", " ").split())  # Terraform wraps its message
    assert "policy longer than IAM's 6,144 characters per managed policy" in said
    fits = evaluate(
        tmp_path, {name: too_many[:20]}, f"jsonencode(var.{name})", module=source, files=("variables.tf", "main.tf")
    )
    assert fits == too_many[:20]


def per_operation(workdir: Path, manifest: Path, deployed: list[str]) -> dict:
    arns = {n: f"arn:aws:iam::111111111111:role/orgops-{n}-worker" for n in deployed}
    return evaluate(
        workdir,
        {"manifest_path": str(manifest), "operations": deployed, "worker_role_arns": arns},
        "jsonencode({template = jsondecode(local.per_operation_template), names = local.per_operation_role_names})",
        module=MODULE,
        files=("variables.tf", "main.tf"),
    )


def test_per_operation_roles_trust_only_their_worker_and_allow_only_their_actions(
    tmp_path: Path, manifest: Path
) -> None:
    deployed = sorted(operations.REGISTRY)
    got = per_operation(tmp_path, manifest, deployed)

    members = [n for n in deployed if operations.REGISTRY[n].role in ("readonly", "admin")]
    assert got["names"] == {n: f"orgops-op-{n}" for n in members}
    resources = got["template"]["Resources"]
    assert len(resources) == 2 * len(members)
    for name in members:
        logical = "".join(w.title() for w in name.split("-"))
        role, policy = resources[f"{logical}Role"], resources[f"{logical}Policy"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"AWS": f"arn:aws:iam::111111111111:role/orgops-{name}-worker"}
        assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": f"{logical}Policy"}]
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        op = operations.REGISTRY[name]
        assert statement["Action"] == sorted({*op.actions, *op.extra_actions})
    assert "accounts" not in got["names"]  # the organization operation runs as the org-reader


def test_the_per_operation_template_passes_cfn_lint(tmp_path: Path, manifest: Path) -> None:
    from tests.terraform.tools import run, tool

    template = tmp_path / "per-operation.cfn.json"
    template.write_text(json.dumps(per_operation(tmp_path, manifest, sorted(operations.REGISTRY))["template"]))

    result = run([tool("cfn-lint"), "--format", "json", str(template)])
    assert json.loads(result.stdout or "[]") == []
    assert result.returncode == 0
