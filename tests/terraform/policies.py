"""The member roles' policies as Terraform renders them, and as they must be: helpers for the tests
of modules/operation-manifest and modules/member-roles (``terraform console``, no provider).

A statement of the manifest module is ``{"actions", "resources", "condition"}``, its resources and
condition values with the placeholders ``${Partition}`` and ``${Account}``
(``orgops.operations.base.policy_statements`` builds the same in Python).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from orgops.operations.base import ACCOUNT, PARTITION
from tests.observability.terraform_eval import evaluate
from tests.terraform import hcl

MANIFEST_MODULE = hcl.MODULES / "operation-manifest"
MEMBER_ROLES = hcl.MODULES / "member-roles"
TEMPLATE = "templates/member-roles.cfn.json"
# The variables modules/member-roles/policies.tf reads (evaluated on their own: Terraform 1.0 here).
MEMBER_POLICY_VARIABLES = (
    "readonly_statements",
    "admin_statements",
    "readonly_actions",
    "admin_actions",
    "per_operation",
    "per_operation_roles",
    "per_operation_statements",
    "management_account_roles",
    "readonly_role_name",
    "admin_role_name",
    "readonly_lambda_role_arn",
    "admin_lambda_role_arn",
)
MANAGEMENT_ACCOUNT = "222222222222"


def manifest_module(workdir: Path, variables: dict[str, Any], expression: str) -> Any:
    """``expression`` evaluated over modules/operation-manifest with ``variables``."""
    workdir.mkdir(parents=True, exist_ok=True)
    return evaluate(workdir, variables, expression, module=MANIFEST_MODULE, files=("variables.tf", "main.tf"))


def variable_block(path: Path, name: str) -> str:
    """The text of ``variable "name" { ... }`` (braces balanced), to evaluate it on its own."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f'variable "{name}" {{')
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0 and text[i] == "}":
            return text[start : i + 1] + "\n"
    raise AssertionError(f"unbalanced variable block {name}")


def member_roles_policies(tmp_path: Path, variables: dict[str, Any], expression: str) -> Any:
    """``expression`` evaluated over modules/member-roles/policies.tf, its variables' blocks, and
    main.tf's two data-source locals given (partition aws, the management account)."""
    source = tmp_path / "member-roles"
    (source / "templates").mkdir(parents=True, exist_ok=True)
    blocks = "".join(variable_block(MEMBER_ROLES / "variables.tf", n) for n in MEMBER_POLICY_VARIABLES)
    (source / "variables.tf").write_text(blocks)
    shutil.copy(MEMBER_ROLES / "policies.tf", source / "policies.tf")
    shutil.copy(MEMBER_ROLES / TEMPLATE, source / TEMPLATE)
    (source / "data.tf").write_text(
        f'locals {{\n  partition             = "aws"\n  management_account_id = "{MANAGEMENT_ACCOUNT}"\n}}\n'
    )
    work = tmp_path / "work"
    (work / "templates").mkdir(parents=True, exist_ok=True)
    return evaluate(
        work, variables, expression, module=source, files=("variables.tf", "policies.tf", "data.tf", TEMPLATE)
    )


def unscoped(statement: dict[str, Any]) -> bool:
    return "*" in statement["resources"] and not statement["condition"]


def _sub(text: str) -> Any:
    if "${" not in text:
        return text
    return {"Fn::Sub": text.replace(PARTITION, "${AWS::Partition}").replace(ACCOUNT, "${AWS::AccountId}")}


def cfn_statement(statement: dict[str, Any], sid: str) -> dict[str, Any]:
    """A statement as the CloudFormation templates write it."""
    out: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": statement["actions"],
        "Resource": [_sub(r) for r in statement["resources"]],
    }
    if statement["condition"]:
        out["Condition"] = {
            test: {key: [_sub(v) for v in values] for key, values in keys.items()}
            for test, keys in statement["condition"].items()
        }
    return out


def sids(statements: list[dict[str, Any]], base: str) -> list[str]:
    """The unscoped statement is ``base``, the others ``<base>Scoped1``, ``<base>Scoped2``, ..."""
    scoped = iter(range(1, len(statements) + 1))
    return [base if unscoped(s) else f"{base}Scoped{next(scoped)}" for s in statements]


def cfn_statements(statements: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    return [cfn_statement(s, sid) for s, sid in zip(statements, sids(statements, base), strict=True)]


def substituted(text: str, partition: str = "aws", account: str = MANAGEMENT_ACCOUNT) -> str:
    return text.replace(PARTITION, partition).replace(ACCOUNT, account)


def iam_statements(statements: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """A statement as the management account's policies hold it (aws_iam_policy_document's
    ``statement`` blocks): the placeholders replaced."""
    return [
        {
            "sid": sid,
            "actions": s["actions"],
            "resources": [substituted(r) for r in s["resources"]],
            "conditions": [
                {"test": test, "variable": key, "values": [substituted(v) for v in values]}
                for test, keys in s["condition"].items()
                for key, values in keys.items()
            ],
        }
        for s, sid in zip(statements, sids(statements, base), strict=True)
    ]


def deployed_length(statements: list[dict[str, Any]], base: str) -> int:
    """The characters IAM counts of the policy (whitespace not counted), in the longest partition."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {k: v for k, v in s.items() if k != "Condition" or v}
            for s in (
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": s["actions"],
                    "Resource": [substituted(r, "aws-us-gov", "123456789012") for r in s["resources"]],
                    "Condition": s["condition"],
                }
                for s, sid in zip(statements, sids(statements, base), strict=True)
            )
        ],
    }
    return len(re.sub(r"\s", "", json.dumps(doc)))
