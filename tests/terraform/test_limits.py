"""AWS limits a configuration decides are refused by Terraform's own validation, evaluated by
Terraform (``terraform console`` over the variable's block alone): each with AWS's number."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.observability.terraform_eval import TerraformError, evaluate
from tests.terraform import hcl
from tests.terraform.test_operation_manifest import _variable_block

OPERATION_VARIABLES = hcl.MODULES / "operation" / "variables.tf"


def check(tmp_path: Path, variables: Path, name: str, value: object) -> str | None:
    """None when Terraform accepts ``value`` for the variable, else its message (unwrapped)."""
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "variables.tf").write_text(_variable_block(variables, name))
    (source / "main.tf").write_text("")
    try:
        evaluate(tmp_path, {name: value}, f"jsonencode(var.{name})", module=source, files=("variables.tf", "main.tf"))
    except TerraformError as exc:
        return " ".join(str(exc).replace("│", " ").split())
    return None


@pytest.mark.parametrize(("value", "accepted"), [(40, True), (1, True), (41, False), (1000, False)])
def test_the_inline_map_concurrency_is_at_most_awss_40(tmp_path: Path, value: int, accepted: bool) -> None:
    # "In this mode, the Map state supports up to 40 concurrent iterations" (Step Functions guide).
    said = check(tmp_path, OPERATION_VARIABLES, "max_concurrency", value)

    if accepted:
        assert said is None
    else:
        assert said is not None
        assert "an inline Map runs at most 40 iterations at once on AWS" in said


MEMBER_VARIABLES = hcl.MODULES / "member-roles" / "variables.tf"


@pytest.mark.parametrize("name", ["readonly_policy_arns", "admin_policy_arns"])
def test_a_role_gets_at_most_iams_10_managed_policies(tmp_path: Path, name: str) -> None:
    arns = [f"arn:aws:iam::111111111111:policy/p{i}" for i in range(11)]

    refused = check(tmp_path, MEMBER_VARIABLES, name, arns)
    accepted = check(tmp_path, MEMBER_VARIABLES, name, arns[:10])

    assert refused is not None and "1 to 10 managed policy ARNs (IAM's limit per role)" in refused
    assert accepted is None
